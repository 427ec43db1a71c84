import type { RawRecord } from './msk-event.js';
import type { Reading } from './reading.js';
import { ReadingBatch } from './reading-batch.js';
import { SENSOR_STATUS, type SensorStatus } from './status.js';
import { EARLIEST_EVENT_TIME, MAX_FUTURE_SKEW_MS, parseEventTime } from './validate.js';

/*
 * The executor's fast path for the common record: a flat JSON object of ASCII text holding
 * sensor_id, ts, the three metrics and status, as a sensor sends it. It decodes the base64 text
 * into one scratch buffer reused for every record (no string or Buffer per record) and scans those
 * bytes once, instead of Buffer.from + toString + JSON.parse + validation, which cost about two
 * thirds of a batch.
 *
 * It never decides that a record is bad: anything it is not sure of (escapes, non-ASCII bytes,
 * unknown or repeated keys, channels, exponents, a value that fails a check, …) makes it return
 * null, and the caller reads the record with readReading, which gives the verdict and the
 * dead-letter reason. So for every record it accepts, it returns exactly what readReading
 * returns; the property tests in test/unit/readings/fast-reading.test.ts check this.
 */

/** Field bits, also used to refuse a repeated key (JSON.parse would keep the last one). */
const SENSOR_ID = 1;
const TS = 2;
const TEMPERATURE = 4;
const PRESSURE = 8;
const VIBRATION = 16;
const STATUS = 32;

const STATUSES: readonly SensorStatus[] = Object.values(SENSOR_STATUS);
const STATUS_OK = SENSOR_STATUS.OK;
// The event-time bounds as this module's own constants: read per record, and an imported
// binding can be a getter call where the module is loaded through a CommonJS wrapper.
const EARLIEST_TS = EARLIEST_EVENT_TIME;
const MAX_SKEW_MS = MAX_FUTURE_SKEW_MS;
const codes = (word: string) => Uint8Array.from(word, (ch) => ch.charCodeAt(0));
const STATUS_CODES = STATUSES.map(codes);
const KEY_TS = codes('ts');
const KEY_STATUS = codes('status');
const KEY_PRESSURE = codes('pressure');
const KEY_SENSOR_ID = codes('sensor_id');
const KEY_VIBRATION = codes('vibration');
const KEY_TEMPERATURE = codes('temperature');
const NULL = codes('null');

/** Exact powers of ten as doubles (10^22 is the largest one a double holds exactly). */
const POW10 = Float64Array.from({ length: 23 }, (_, i) => Number(`1e${i}`));
/** Integers up to this are exact in a double; a mantissa beyond it is read by Number() instead. */
const MAX_EXACT = 2 ** 53;
/** Relative margin around a double-double quotient, far above its 2^-100 error. */
const TIE_MARGIN = 2 ** -90;

/**
 * Reads a record in the common shape, or returns null when the record needs the general path
 * (readReading). Never throws. The executor reads into a batch with readReadingInto; this is the
 * same reader for one record.
 */
export function readReadingFast(key: string | null, value: string | null, recordTimestamp: number): Reading | null {
  const batch = new ReadingBatch(1);
  const record: RawRecord = { topic: '', partition: 0, offset: 0, timestamp: recordTimestamp, key, value };
  return readReadingInto(batch, record) ? batch.reading(0) : null;
}

/**
 * Reads a record in the common shape onto the end of `batch` and returns true, or returns false
 * (leaving the batch as it was) when the record needs the general path (readReading). Never throws.
 */
export function readReadingInto(batch: ReadingBatch, record: RawRecord): boolean {
  const { key, value } = record;
  const recordTimestamp = record.timestamp;
  if (key === null || value === null) return false;
  const n = decodeValue(value);
  if (n < 0) return false;
  const s = scratch;
  // The sensor's id from its key: decoded and checked once per batch, not once per record.
  const sensor = sensorOfKey(batch, key);
  if (sensor === null) return false;
  const keyText = sensor.id;
  // Positions and values stay in locals (helpers take and return indexes): module-level scanner
  // state measured a third slower. Absent metrics are NaN, as in the batch's columns.
  let seen = 0;
  let ts = 0;
  let temperature = NaN;
  let pressure = NaN;
  let vibration = NaN;
  let status: SensorStatus = STATUS_OK;
  let idStart = 0;
  let idEnd = 0;
  let i = skipSpace(s, 0);
  if (s[i] !== 0x7b /* { */) return false;
  i = skipSpace(s, i + 1);
  for (;;) {
    if (s[i] !== 0x22 /* " */) return false;
    const field = keyAt(s, i + 1);
    if (field === 0 || (seen & field) !== 0) return false;
    const keyEnd = i + 1 + keyLength(field);
    seen |= field;
    i = skipSpace(s, keyEnd + 1);
    if (s[i] !== 0x3a /* : */) return false;
    i = skipSpace(s, i + 1);
    const c = s[i];
    if (c === 0x22) {
      const end = stringEnd(s, i);
      if (end < 0) return false;
      if (field === SENSOR_ID) {
        idStart = i + 1;
        idEnd = end;
      } else if (field === STATUS) {
        const known = statusAt(s, i + 1, end);
        if (known === null) return false;
        status = known;
      } else if (field === TS) {
        ts = isoEventTime(s.toString('latin1', i + 1, end), recordTimestamp);
        if (ts < 0) return false;
      } else {
        return false;
      }
      i = end + 1;
    } else if (c === 0x6e /* n */) {
      // null: an absent metric, or the default status; ts and sensor_id may not be null.
      if (field === SENSOR_ID || field === TS || !textIs(s, NULL, i)) return false;
      if (field === TEMPERATURE) temperature = NaN;
      else if (field === PRESSURE) pressure = NaN;
      else if (field === VIBRATION) vibration = NaN;
      i += 4;
    } else {
      if (field === SENSOR_ID || field === STATUS) return false;
      const end = numberAt(s, i);
      if (end < 0) return false; // not a JSON number, or not finite
      const v = NUMBER[0];
      if (field === TS) {
        if (!Number.isInteger(v) || v < EARLIEST_TS || (recordTimestamp > 0 && v > recordTimestamp + MAX_SKEW_MS)) return false;
        ts = v;
      } else if (field === TEMPERATURE) temperature = v;
      else if (field === PRESSURE) pressure = v;
      else vibration = v;
      i = end;
    }
    i = skipSpace(s, i);
    const sep = s[i];
    i = skipSpace(s, i + 1);
    if (sep === 0x7d /* } */) break;
    if (sep !== 0x2c /* , */) return false;
  }
  if (i !== n || (seen & (SENSOR_ID | TS)) !== (SENSOR_ID | TS)) return false;
  // The key must be the sensor_id; comparing characters spares a string per record for the id.
  if (keyText.length !== idEnd - idStart || !sameText(s, idStart, keyText)) return false;
  const at = batch.length++;
  batch.records[at] = record;
  if (sensor.number < 0) sensor.number = batch.sensorNumber(keyText);
  batch.sensorIndex[at] = sensor.number;
  batch.ts[at] = ts;
  batch.temperature[at] = temperature;
  batch.pressure[at] = pressure;
  batch.vibration[at] = vibration;
  batch.status[at] = status;
  return true;
}

/** The sensor a base64 key names, or null unless it decodes to a valid sensor id. */
function sensorOfKey(batch: ReadingBatch, key: string): { readonly id: string; number: number } | null {
  let sensor = batch.sensorByKey.get(key);
  if (sensor === undefined) {
    const decoded = decodeBase64Latin1(key);
    if (decoded === null || !isSensorId(decoded)) return null;
    batch.sensorByKey.set(key, (sensor = { id: decoded, number: -1 }));
  }
  return sensor;
}

/**
 * Base64 text as a Latin-1 string (one character per byte), or null unless it is text that
 * decodeBase64 accepts and Buffer decodes to the same bytes: standard alphabet, length a
 * multiple of four, padding only at the end, no whitespace (atob would skip it; the length
 * check catches that). Used for keys, which are decoded once per batch.
 */
function decodeBase64Latin1(b64: string): string | null {
  const n = b64.length;
  if (n % 4 !== 0) return null;
  let out: string;
  try {
    out = atob(b64);
  } catch {
    return null;
  }
  const padding = n === 0 ? 0 : b64.charCodeAt(n - 1) !== 0x3d ? 0 : b64.charCodeAt(n - 2) === 0x3d ? 2 : 1;
  return out.length === (n / 4) * 3 - padding ? out : null;
}

/** The record value being read, decoded; reused for every record, grown when one is larger. */
let scratch = Buffer.alloc(4096);

/**
 * Decodes a value into `scratch` and returns its length, followed by a 0 byte that stops every
 * scan (no token holds a control character); -1 unless decodeBase64 (the general path) would
 * accept the text, with the same check on the same decoder, so both read the same bytes.
 */
function decodeValue(b64: string): number {
  const n = b64.length;
  if (n % 4 !== 0) return -1;
  const bytes = (n / 4) * 3;
  if (scratch.length <= bytes) scratch = Buffer.alloc(2 * bytes + 1);
  const written = scratch.write(b64, 0, 'base64');
  const padding = n === 0 ? 0 : b64.charCodeAt(n - 1) !== 0x3d ? 0 : b64.charCodeAt(n - 2) === 0x3d ? 2 : 1;
  if (written !== bytes - padding) return -1;
  scratch[written] = 0;
  return written;
}

function skipSpace(s: Uint8Array, i: number): number {
  for (;;) {
    const c = s[i];
    if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) break;
    i++;
  }
  return i;
}

/** Index of the closing quote of the string opening at `i`, or -1 when it holds an escape, a control or non-ASCII character, or does not close. */
function stringEnd(s: Uint8Array, i: number): number {
  for (let j = i + 1; ; j++) {
    const c = s[j];
    if (c === 0x22) return j;
    if (c === 0x5c /* \ */ || c < 0x20 || c > 0x7e) return -1;
  }
  return -1;
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

/**
 * The value numberAt read last (a second return value): a double returned from a call that is
 * not inlined is boxed, a heap number per metric per record.
 */
const NUMBER = new Float64Array(1);

/**
 * Reads the JSON number at `start` into NUMBER[0] and returns where it ends; -1 when the text
 * there does not start with a JSON number (so Number() never sees anything JSON.parse would
 * refuse) or it is not finite. What follows the number is the caller's to check. Always the double JSON.parse gives
 * (the one nearest the decimal, ties to even):
 *
 * - a mantissa below 2^53 with at most 22 fraction digits and no exponent is one exact division,
 *   hence correctly rounded (Clinger's fast path);
 * - a longer mantissa (JSON.stringify writes 17 significant digits for most computed values)
 *   is divided in double-double arithmetic, good to about 2^-100, and the result taken only when
 *   no double-rounding tie is within that error (see nearestOf);
 * - anything else goes through Number(), which rounds correctly too.
 */
function numberAt(s: Buffer, start: number): number {
  let i = start;
  const negative = s[i] === 0x2d; /* - */
  if (negative) i++;
  let c = s[i];
  if (!isDigit(c)) return -1;
  // The significant digits as high * 10^lowDigits + low: the first 15 (exact in a double) and
  // the rest; fraction counts the digits after the point.
  let high = 0;
  let low = 0;
  let significant = 0;
  let lowDigits = 0;
  let fraction = 0;
  if (c === 0x30) {
    c = s[++i];
    if (isDigit(c)) return -1; // a leading zero
  } else {
    while (isDigit(c)) {
      if (significant < 15) high = high * 10 + (c - 0x30);
      else { low = low * 10 + (c - 0x30); lowDigits++; }
      significant++;
      c = s[++i];
    }
  }
  if (c === 0x2e /* . */) {
    c = s[++i];
    if (!isDigit(c)) return -1;
    while (isDigit(c)) {
      if (significant < 15) {
        high = high * 10 + (c - 0x30);
        if (high !== 0) significant++; // leading zeros of a fraction are not significant
      } else { low = low * 10 + (c - 0x30); lowDigits++; }
      fraction++;
      c = s[++i];
    }
  }
  let exponent = false;
  if (c === 0x65 || c === 0x45) {
    exponent = true;
    c = s[++i];
    if (c === 0x2b /* + */ || c === 0x2d) c = s[++i];
    if (!isDigit(c)) return -1;
    while (isDigit(c)) c = s[++i];
  }
  const end = i;
  if (!exponent && fraction <= 22 && lowDigits <= 8) {
    const divisor = POW10[fraction];
    // Exact when below 2^53 (then so is high * 10^lowDigits, and the sum rounds nothing).
    const mantissa = lowDigits === 0 ? high : high * POW10[lowDigits] + low;
    if (mantissa < MAX_EXACT) {
      NUMBER[0] = negative ? -(mantissa / divisor) : mantissa / divisor;
      return end;
    }
    // The double nearest (high * 10^lowDigits + low) / divisor, as a double-double (h, l) within
    // 2^-100 |h| of the true quotient. h is the nearest double unless the true value may lie
    // across the midpoint to a neighbour, which is checked by rounding h + l moved by a wider
    // margin both ways; else (about once in 2^37 values) Number() decides. Written out here,
    // not called: a double passed to or returned from a call that is not inlined is boxed.
    const scale = POW10[lowDigits];
    const p = high * scale;
    const pError = productError(high, scale, p);
    const sum = p + low;
    const sumError = low - (sum - p); // exact: |low| is far below |p|
    const m1 = sum + (pError + sumError);
    const m2 = pError + sumError - (m1 - sum);
    const q1 = m1 / divisor;
    const qd = q1 * divisor;
    const q2 = (m1 - qd - productError(q1, divisor, qd) + m2) / divisor;
    const h = q1 + q2;
    const l = q2 - (h - q1);
    const margin = Math.abs(h) * TIE_MARGIN;
    if (h + (l + margin) === h && h + (l - margin) === h) {
      NUMBER[0] = negative ? -h : h;
      return end;
    }
  }
  const v = Number(s.toString('latin1', start, end));
  if (!Number.isFinite(v)) return -1;
  NUMBER[0] = v;
  return end;
}

/** Veltkamp's split constant for doubles, 2^27 + 1. */
const SPLITTER = 134217729;

/** The rounding error of a * b (Dekker's TwoProduct): a * b = fl(a * b) + productError(a, b, fl(a * b)), exactly. */
function productError(a: number, b: number, p: number): number {
  let t = SPLITTER * a;
  const aHigh = t - (t - a);
  const aLow = a - aHigh;
  t = SPLITTER * b;
  const bHigh = t - (t - b);
  const bLow = b - bHigh;
  return aHigh * bHigh - p + aHigh * bLow + aLow * bHigh + aLow * bLow;
}


/**
 * Which field the key starting at `start` (just past its opening quote) names, when its text is
 * exactly that field's name followed by the closing quote; 0 for any other key. Dispatching on
 * the first letter spares scanning every key for escapes and its end.
 */
function keyAt(s: Uint8Array, start: number): number {
  switch (s[start]) {
    case 0x73 /* s */:
      if (s[start + 9] === 0x22 && textIs(s, KEY_SENSOR_ID, start)) return SENSOR_ID;
      return s[start + 6] === 0x22 && textIs(s, KEY_STATUS, start) ? STATUS : 0;
    case 0x74 /* t */:
      if (s[start + 2] === 0x22 && s[start + 1] === 0x73) return TS;
      return s[start + 11] === 0x22 && textIs(s, KEY_TEMPERATURE, start) ? TEMPERATURE : 0;
    case 0x70 /* p */:
      return s[start + 8] === 0x22 && textIs(s, KEY_PRESSURE, start) ? PRESSURE : 0;
    case 0x76 /* v */:
      return s[start + 9] === 0x22 && textIs(s, KEY_VIBRATION, start) ? VIBRATION : 0;
    default:
      return 0;
  }
}

/** Length of the name of a field keyAt found. */
function keyLength(field: number): number {
  switch (field) {
    case TS: return 2;
    case STATUS: return 6;
    case PRESSURE: return 8;
    case SENSOR_ID:
    case VIBRATION: return 9;
    default: return 11;
  }
}

/** Whether the characters `word` holds are at `start` in `s`. */
function textIs(s: Uint8Array, word: Uint8Array, start: number): boolean {
  for (let i = 0; i < word.length; i++) if (s[start + i] !== word[i]) return false;
  return true;
}

function statusAt(s: Uint8Array, start: number, end: number): SensorStatus | null {
  for (let k = 0; k < STATUSES.length; k++) if (STATUS_CODES[k].length === end - start && textIs(s, STATUS_CODES[k], start)) return STATUSES[k];
  return null;
}

/** Whether `s` holds `other` at `start`. */
function sameText(s: Uint8Array, start: number, other: string): boolean {
  for (let i = 0; i < other.length; i++) if (s[start + i] !== other.charCodeAt(i)) return false;
  return true;
}

/** parseEventTime's verdict on an ISO text, or -1 when it refuses it (the general path then says why). */
function isoEventTime(iso: string, recordTimestamp: number): number {
  try {
    return parseEventTime(iso, recordTimestamp);
  } catch {
    return -1;
  }
}

/** validate.ts's SENSOR_ID rule, by character: 1-128 of [A-Za-z0-9._:-], starting with a letter or digit. */
function isSensorId(id: string): boolean {
  const n = id.length;
  if (n === 0 || n > 128) return false;
  for (let i = 0; i < n; i++) {
    const c = id.charCodeAt(i);
    const alnum = (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);
    if (!alnum && (i === 0 || (c !== 0x2e && c !== 0x5f && c !== 0x3a && c !== 0x2d))) return false;
  }
  return true;
}
