import { RecordValidationError } from './errors.js';
import { CHANNEL_NAME, MAX_CHANNELS, METRICS, type Reading } from './reading.js';
import { isSensorStatus, SENSOR_STATUS, SENSOR_STATUS_LIST, type SensorStatus } from './status.js';

/** Sensor ids end up in keys, object names and SQL literals, so they are a safe, bounded alphabet. */
const SENSOR_ID = /^[A-Za-z0-9][A-Za-z0-9._:\-]{0,127}$/;
const ISO_WITH_ZONE = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/;

/** Earliest event time accepted; older values are almost always a unit mistake. */
export const EARLIEST_EVENT_TIME = Date.UTC(2000, 0, 1);
/** How far an event time may run ahead of the Kafka record's own timestamp (clock skew allowance). */
export const MAX_FUTURE_SKEW_MS = 24 * 3600 * 1000;

/**
 * Decodes base64, refusing text that is not base64. Buffer.from silently skips characters it
 * cannot decode, so a decoded length short of what the text's length promises gives them away
 * (cheaper per record than a regular expression over the whole text).
 */
export function decodeBase64(text: string, field: string): Buffer {
  const buf = text.length % 4 === 0 ? Buffer.from(text, 'base64') : null;
  const padding = text.endsWith('==') ? 2 : text.endsWith('=') ? 1 : 0;
  if (buf === null || buf.length !== (text.length / 4) * 3 - padding) throw new RecordValidationError(`${field} is not valid base64`, field);
  return buf;
}

/**
 * Reads one record (base64 key and JSON value) as a reading, or throws RecordValidationError
 * with a reason a person understands. `recordTimestamp` bounds event time from above, so the
 * verdict is the same whenever the record is replayed (no wall clock involved).
 */
export function readReading(key: string | null, value: string | null, recordTimestamp: number): Reading {
  if (value === null) throw new RecordValidationError('record has no value', 'value');
  const json = decodeBase64(value, 'value').toString('utf8');
  let body: unknown;
  try {
    body = JSON.parse(json);
  } catch (e) {
    throw new RecordValidationError(`value is not valid JSON: ${(e as Error).message}`, 'value');
  }
  const reading = parseReading(body, recordTimestamp);
  if (key === null) throw new RecordValidationError(`record has no key; the key must be the sensor_id "${reading.sensor_id}"`, 'key');
  const keyText = decodeBase64(key, 'key').toString('utf8');
  if (keyText !== reading.sensor_id) {
    throw new RecordValidationError(`key "${truncate(keyText)}" does not match sensor_id "${reading.sensor_id}"`, 'key');
  }
  return reading;
}

/** Validates a parsed JSON body as a reading. */
export function parseReading(body: unknown, recordTimestamp: number): Reading {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new RecordValidationError(`value must be a JSON object, got ${describe(body)}`, 'value');
  }
  const b = body as Record<string, unknown>;
  const sensorId = b.sensor_id;
  if (sensorId === undefined || sensorId === null) throw new RecordValidationError('sensor_id is missing', 'sensor_id');
  if (typeof sensorId !== 'string' || !SENSOR_ID.test(sensorId)) {
    throw new RecordValidationError(
      `sensor_id must be 1-128 characters of letters, digits, '.', '_', ':' or '-', starting with a letter or digit; got ${describe(sensorId)}`,
      'sensor_id',
    );
  }
  return {
    sensor_id: sensorId,
    ts: parseEventTime(b.ts, recordTimestamp),
    temperature: optionalNumber(b, 'temperature'),
    pressure: optionalNumber(b, 'pressure'),
    vibration: optionalNumber(b, 'vibration'),
    status: parseStatus(b.status),
    ...parseChannels(b.channels),
  };
}

/** Optional `channels`: an object of name → finite number or null (null: not measured). */
function parseChannels(v: unknown): { channels?: Record<string, number> } {
  if (v === undefined || v === null) return {};
  if (typeof v !== 'object' || Array.isArray(v)) throw new RecordValidationError(`channels must be an object of name → number, got ${describe(v)}`, 'channels');
  const entries = Object.entries(v as Record<string, unknown>);
  if (entries.length > MAX_CHANNELS) throw new RecordValidationError(`channels has ${entries.length} entries; at most ${MAX_CHANNELS} are allowed`, 'channels');
  const channels: Record<string, number> = {};
  for (const [name, x] of entries) {
    if (!CHANNEL_NAME.test(name) || (METRICS as readonly string[]).includes(name)) {
      throw new RecordValidationError(
        `channel name ${describe(name)} must be a letter then up to 63 letters, digits or '_', and not one of ${METRICS.join(', ')}`,
        'channels',
      );
    }
    if (x === null) continue;
    if (typeof x !== 'number' || !Number.isFinite(x)) throw new RecordValidationError(`channels.${name} must be a finite number or null, got ${describe(x)}`, 'channels');
    channels[name] = x;
  }
  return Object.keys(channels).length === 0 ? {} : { channels };
}

/** Event time as epoch ms: ISO-8601 with a zone, or integer epoch milliseconds. */
export function parseEventTime(ts: unknown, recordTimestamp: number): number {
  let ms: number;
  if (typeof ts === 'number') {
    if (!Number.isInteger(ts)) throw new RecordValidationError(`ts must be integer epoch milliseconds, got ${ts}`, 'ts');
    ms = ts;
  } else if (typeof ts === 'string') {
    const m = ISO_WITH_ZONE.exec(ts);
    if (!m) {
      throw new RecordValidationError(
        `ts "${truncate(ts)}" is not ISO-8601 with a zone (e.g. 2026-01-31T12:00:00Z or +02:00)`,
        'ts',
      );
    }
    ms = Date.parse(ts.replace(' ', 'T'));
    const [, y, mo, d, h, mi, s] = m;
    const day = new Date(Date.UTC(+y, +mo - 1, +d));
    if (Number.isNaN(ms) || day.getUTCDate() !== +d || +h > 23 || +mi > 59 || (s !== undefined && +s > 59)) {
      throw new RecordValidationError(`ts "${truncate(ts)}" is not a real date and time`, 'ts');
    }
  } else if (ts === undefined || ts === null) {
    throw new RecordValidationError('ts is missing', 'ts');
  } else {
    throw new RecordValidationError(`ts must be an ISO-8601 string or epoch milliseconds, got ${describe(ts)}`, 'ts');
  }
  if (ms < EARLIEST_EVENT_TIME) {
    const hint = ms > 0 && ms < 1e11 ? ' (it looks like seconds; send milliseconds)' : '';
    throw new RecordValidationError(`ts ${instant(ms)} is before 2000-01-01${hint}`, 'ts');
  }
  if (recordTimestamp > 0 && ms > recordTimestamp + MAX_FUTURE_SKEW_MS) {
    throw new RecordValidationError(
      `ts ${instant(ms)} is more than 24 h after the record's Kafka timestamp ${instant(recordTimestamp)}`,
      'ts',
    );
  }
  return ms;
}

/** An instant for a message: ISO-8601 when a Date can hold it (±8.64e15 ms), the number otherwise. */
function instant(ms: number): string {
  return Math.abs(ms) <= 8.64e15 ? new Date(ms).toISOString() : `${ms} ms`;
}

function optionalNumber(b: Record<string, unknown>, field: string): number | null {
  const v = b[field];
  if (v === undefined || v === null) return null;
  if (typeof v !== 'number') throw new RecordValidationError(`${field} must be a number or null, got ${describe(v)}`, field);
  if (!Number.isFinite(v)) throw new RecordValidationError(`${field} is not a finite number`, field);
  return v;
}

function parseStatus(v: unknown): SensorStatus {
  if (v === undefined || v === null) return SENSOR_STATUS.OK;
  if (!isSensorStatus(v)) throw new RecordValidationError(`status ${describe(v)} is not one of ${SENSOR_STATUS_LIST}`, 'status');
  return v;
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'string') return `"${truncate(v)}"`;
  if (typeof v === 'object') return 'an object';
  return `${typeof v} ${String(v)}`;
}

function truncate(s: string, max = 64): string {
  return s.length > max ? `${s.slice(0, max)}…` : s;
}
