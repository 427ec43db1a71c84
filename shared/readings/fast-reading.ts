import type { RawRecord } from './msk-event.js';
import type { Reading } from './reading.js';
import { ReadingBatch } from './reading-batch.js';
import { SENSOR_STATUS, type SensorStatus } from './status.js';
import { EARLIEST_EVENT_TIME, MAX_FUTURE_SKEW_MS, parseEventTime } from './validate.js';

/*
 * The executor's fast path for the common record: a flat JSON object of ASCII text holding
 * sensor_id, ts, the three metrics and status, as a sensor sends it. It reads the base64 text
 * with atob (one Latin-1 string, no Buffer per record) and scans that string once, instead of
 * Buffer.from + toString + JSON.parse + validation, which cost about two thirds of a batch.
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
const POW10 = Array.from({ length: 23 }, (_, i) => Number(`1e${i}`));
/** Integers up to this are exact in a double; a mantissa beyond it is read by Number() instead. */
const MAX_EXACT = 2 ** 53;

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
  const s = decodeBase64Latin1(value);
  if (s === null) return false;
  // The sensor's id from its key: decoded and checked once per batch, not once per record.
  const keyText = sensorIdOfKey(batch, key);
  if (keyText === null) return false;
  // Positions and values stay in locals (helpers take and return indexes): module-level scanner
  // state measured a third slower. Absent metrics are NaN, as in the batch's columns.
  const n = s.length;
  let seen = 0;
  let ts = 0;
  let temperature = NaN;
  let pressure = NaN;
  let vibration = NaN;
  let status: SensorStatus = SENSOR_STATUS.OK;
  let idStart = 0;
  let idEnd = 0;
  let i = skipSpace(s, 0);
  if (s.charCodeAt(i) !== 0x7b /* { */) return false;
  i = skipSpace(s, i + 1);
  for (;;) {
    if (s.charCodeAt(i) !== 0x22 /* " */) return false;
    const keyEnd = stringEnd(s, i);
    if (keyEnd < 0) return false;
    const field = fieldOf(s, i + 1, keyEnd);
    if (field === 0 || (seen & field) !== 0) return false;
    seen |= field;
    i = skipSpace(s, keyEnd + 1);
    if (s.charCodeAt(i) !== 0x3a /* : */) return false;
    i = skipSpace(s, i + 1);
    const c = s.charCodeAt(i);
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
        ts = isoEventTime(s.slice(i + 1, end), recordTimestamp);
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
      const v = numberAt(s, i);
      if (v !== v) return false; // NaN: not a JSON number, or not finite
      const end = numberEnd;
      if (field === TS) {
        if (!Number.isInteger(v) || v < EARLIEST_EVENT_TIME || (recordTimestamp > 0 && v > recordTimestamp + MAX_FUTURE_SKEW_MS)) return false;
        ts = v;
      } else if (field === TEMPERATURE) temperature = v;
      else if (field === PRESSURE) pressure = v;
      else vibration = v;
      i = end;
    }
    i = skipSpace(s, i);
    const sep = s.charCodeAt(i);
    i = skipSpace(s, i + 1);
    if (sep === 0x7d /* } */) break;
    if (sep !== 0x2c /* , */) return false;
  }
  if (i !== n || (seen & (SENSOR_ID | TS)) !== (SENSOR_ID | TS)) return false;
  // The key must be the sensor_id; comparing characters spares a string per record for the id.
  if (keyText.length !== idEnd - idStart || !sameText(s, idStart, keyText)) return false;
  const at = batch.length++;
  batch.records[at] = record;
  batch.sensorIndex[at] = batch.sensorNumber(keyText);
  batch.ts[at] = ts;
  batch.temperature[at] = temperature;
  batch.pressure[at] = pressure;
  batch.vibration[at] = vibration;
  batch.status[at] = status;
  return true;
}

/** The sensor id a base64 key holds, or null unless it decodes to a valid one. */
function sensorIdOfKey(batch: ReadingBatch, key: string): string | null {
  let text = batch.sensorIdByKey.get(key);
  if (text === undefined) {
    const decoded = decodeBase64Latin1(key);
    if (decoded === null || !isSensorId(decoded)) return null;
    batch.sensorIdByKey.set(key, (text = decoded));
  }
  return text;
}

/**
 * Base64 text as a Latin-1 string (one character per byte), or null unless it is text that
 * decodeBase64 accepts and Buffer decodes to the same bytes: standard alphabet, length a
 * multiple of four, padding only at the end, no whitespace (atob would skip it; the length
 * check catches that).
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

function skipSpace(s: string, i: number): number {
  while (i < s.length) {
    const c = s.charCodeAt(i);
    if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) break;
    i++;
  }
  return i;
}

/** Index of the closing quote of the string opening at `i`, or -1 when it holds an escape, a control or non-ASCII character, or does not close. */
function stringEnd(s: string, i: number): number {
  for (let j = i + 1; j < s.length; j++) {
    const c = s.charCodeAt(j);
    if (c === 0x22) return j;
    if (c === 0x5c /* \ */ || c < 0x20 || c > 0x7e) return -1;
  }
  return -1;
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

/** Where the number numberAt read last ends (a second return value, written once per number). */
let numberEnd = 0;

/**
 * The JSON number at `start`, its end left in numberEnd; NaN when the text there does not start
 * with a JSON number (so Number() never sees anything JSON.parse would refuse) or it is not
 * finite. What follows the number is the caller's to check. Always the double JSON.parse gives
 * (the one nearest the decimal, ties to even):
 *
 * - a mantissa below 2^53 with at most 22 fraction digits and no exponent is one exact division,
 *   hence correctly rounded (Clinger's fast path);
 * - a longer mantissa (JSON.stringify writes 17 significant digits for most computed values)
 *   is divided in double-double arithmetic, good to about 2^-100, and the result taken only when
 *   no double-rounding tie is within that error (see nearestOf);
 * - anything else goes through Number(), which rounds correctly too.
 */
function numberAt(s: string, start: number): number {
  let i = start;
  const negative = s.charCodeAt(i) === 0x2d; /* - */
  if (negative) i++;
  let c = s.charCodeAt(i);
  if (!isDigit(c)) return NaN;
  // The significant digits as high * 10^lowDigits + low: the first 15 (exact in a double) and
  // the rest; fraction counts the digits after the point.
  let high = 0;
  let low = 0;
  let significant = 0;
  let lowDigits = 0;
  let fraction = 0;
  if (c === 0x30) {
    c = s.charCodeAt(++i);
    if (isDigit(c)) return NaN; // a leading zero
  } else {
    while (isDigit(c)) {
      if (significant < 15) high = high * 10 + (c - 0x30);
      else { low = low * 10 + (c - 0x30); lowDigits++; }
      significant++;
      c = s.charCodeAt(++i);
    }
  }
  if (c === 0x2e /* . */) {
    c = s.charCodeAt(++i);
    if (!isDigit(c)) return NaN;
    while (isDigit(c)) {
      if (significant < 15) {
        high = high * 10 + (c - 0x30);
        if (high !== 0) significant++; // leading zeros of a fraction are not significant
      } else { low = low * 10 + (c - 0x30); lowDigits++; }
      fraction++;
      c = s.charCodeAt(++i);
    }
  }
  let exponent = false;
  if (c === 0x65 || c === 0x45) {
    exponent = true;
    c = s.charCodeAt(++i);
    if (c === 0x2b /* + */ || c === 0x2d) c = s.charCodeAt(++i);
    if (!isDigit(c)) return NaN;
    while (isDigit(c)) c = s.charCodeAt(++i);
  }
  const end = i;
  numberEnd = end;
  if (!exponent && fraction <= 22 && lowDigits <= 8) {
    // Exact when below 2^53 (then so is high * 10^lowDigits, and the sum rounds nothing).
    const mantissa = lowDigits === 0 ? high : high * POW10[lowDigits] + low;
    const v = mantissa < MAX_EXACT ? mantissa / POW10[fraction] : nearestOf(high, POW10[lowDigits], low, POW10[fraction]);
    if (v === v) return negative ? -v : v;
  }
  const v = Number(s.slice(start, end));
  return Number.isFinite(v) ? v : NaN;
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
 * The double nearest to (high * scale + low) / divisor, all four exact doubles (divisor a power
 * of ten up to 10^22), or NaN when that cannot be told cheaply (about once in 2^37 values).
 * The quotient is formed as a double-double (H, L) within 2^-100 |H| of the true value; H is the
 * nearest double unless the true value may lie across the midpoint to a neighbour, which is
 * checked by rounding H + L moved by a wider margin both ways.
 */
function nearestOf(high: number, scale: number, low: number, divisor: number): number {
  // m = high * scale + low as a double-double (m1, m2).
  const p = high * scale;
  const pError = productError(high, scale, p);
  const sum = p + low;
  const sumError = low - (sum - p); // exact: |low| is far below |p|
  const m1 = sum + (pError + sumError);
  const m2 = pError + sumError - (m1 - sum);
  // (m1, m2) / divisor.
  const q1 = m1 / divisor;
  const r = m1 - q1 * divisor - productError(q1, divisor, q1 * divisor) + m2;
  const q2 = r / divisor;
  const h = q1 + q2;
  const l = q2 - (h - q1);
  const margin = Math.abs(h) * 2 ** -90;
  return h + (l + margin) === h && h + (l - margin) === h ? h : NaN;
}

/** Which field a key names (the text between start and end), or 0 for any other key. */
function fieldOf(s: string, start: number, end: number): number {
  switch (end - start) {
    case 2: return textIs(s, KEY_TS, start) ? TS : 0;
    case 6: return textIs(s, KEY_STATUS, start) ? STATUS : 0;
    case 8: return textIs(s, KEY_PRESSURE, start) ? PRESSURE : 0;
    case 9: return textIs(s, KEY_SENSOR_ID, start) ? SENSOR_ID : textIs(s, KEY_VIBRATION, start) ? VIBRATION : 0;
    case 11: return textIs(s, KEY_TEMPERATURE, start) ? TEMPERATURE : 0;
    default: return 0;
  }
}

/**
 * Whether the characters `word` holds are at `start` in `s`. Words are kept as character codes:
 * String#startsWith with a position, or charCodeAt on strings of different kinds, made this the
 * parser's hottest line.
 */
function textIs(s: string, word: Uint8Array, start: number): boolean {
  for (let i = 0; i < word.length; i++) if (s.charCodeAt(start + i) !== word[i]) return false;
  return true;
}

function statusAt(s: string, start: number, end: number): SensorStatus | null {
  for (let k = 0; k < STATUSES.length; k++) if (STATUS_CODES[k].length === end - start && textIs(s, STATUS_CODES[k], start)) return STATUSES[k];
  return null;
}

/** Whether `s` holds `other` at `start`. */
function sameText(s: string, start: number, other: string): boolean {
  for (let i = 0; i < other.length; i++) if (s.charCodeAt(start + i) !== other.charCodeAt(i)) return false;
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
