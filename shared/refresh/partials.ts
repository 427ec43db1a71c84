import { gunzipSync, gzipSync } from 'node:zlib';
import {
  EMPTY_MOMENTS,
  emptyCoMoments,
  mergeCoMoments,
  mergeMoments,
  newQuantileSketch,
  type CoMoments,
  type Moments,
  type QuantileSketch,
} from '../stats/index.js';
import { PartialFileError } from './errors.js';

/**
 * Pressure values of one sensor-hour as the quantile sketch's bins: count per bin key of the
 * sketch's logarithmic mapping, for positive and negative values, plus a count of zeros. Adding
 * counts merges exactly, and a sketch rebuilt from merged bins is the very sketch a full scan
 * would have built, so p95 carries only the sketch's own ±1 % relative error.
 */
export interface PressureBins {
  zero: number;
  readonly positive: Map<number, number>;
  readonly negative: Map<number, number>;
}

/**
 * The mergeable partial aggregate of one sensor over one UTC hour of one day: everything a
 * reflection needs, in a form two partials merge without the raw readings (Welford/Chan moments,
 * co-moments, sketch bins, max, counts). A day's hours are that day's hour-of-day buckets and,
 * with the weekday, its hour-of-week buckets; windows are unions of whole hours.
 */
export interface HourPartial {
  readonly sensorId: string;
  /** Start of the hour, epoch ms UTC. */
  readonly hourStart: number;
  /** Readings in the hour, whatever metrics they carry. */
  readings: number;
  temperature: Moments;
  pressure: Moments;
  vibration: Moments;
  maxPressure: number | null;
  /** Complete (temperature, pressure, vibration) vectors. */
  vector: CoMoments;
  /** FAILED readings plus FAILED device_status events. */
  failures: number;
  lastFailureTs: number | null;
  readonly pressureBins: PressureBins;
  /** Readings that carried extra channels: a sensor with any in the profile window gets a channel profile. */
  channelReadings: number;
  /** Per measurement (the metrics and every extra channel), what its channel profile needs. */
  readonly measurements: Map<string, MeasurementPartial>;
}

/**
 * One measurement (a metric or an extra channel) of one sensor-hour, for the channel profile:
 * co-moments of (event time ms, value), co-moments of (previous value, value) over its
 * consecutive values within the hour, and its first and last values. Steps are order-dependent:
 * hours merge in time order, and the last value of one hour and the first of the next make the
 * step between them.
 */
export interface MeasurementPartial {
  readonly trend: CoMoments;
  readonly steps: CoMoments;
  readonly first: number;
  readonly last: number;
}

export function emptyPressureBins(): PressureBins {
  return { zero: 0, positive: new Map(), negative: new Map() };
}

export function emptyHourPartial(sensorId: string, hourStart: number): HourPartial {
  return {
    sensorId,
    hourStart,
    readings: 0,
    temperature: EMPTY_MOMENTS,
    pressure: EMPTY_MOMENTS,
    vibration: EMPTY_MOMENTS,
    maxPressure: null,
    vector: emptyCoMoments(3),
    failures: 0,
    lastFailureTs: null,
    pressureBins: emptyPressureBins(),
    channelReadings: 0,
    measurements: new Map(),
  };
}

/** The sketch's key mapping, read once: SQL computes bin keys with the same constants. */
export interface SketchMapping {
  readonly multiplier: number;
  readonly offset: number;
  /** Values with |x| at or below this count as zero (the sketch's own rule). */
  readonly minPossible: number;
  key(value: number): number;
  value(key: number): number;
}

export const SKETCH_MAPPING: SketchMapping = (() => {
  const m = newQuantileSketch().mapping as unknown as {
    _multiplier: number;
    _offset: number;
    minPossible: number;
    key(v: number): number;
    value(k: number): number;
  };
  return { multiplier: m._multiplier, offset: m._offset, minPossible: m.minPossible, key: (v) => m.key(v), value: (k) => m.value(k) };
})();

/** Adds `count` pressure values that fall in the bin of `sign` (−1, 0, 1) and `key`. */
export function addToBins(bins: PressureBins, sign: number, key: number, count: number): void {
  if (sign === 0) bins.zero += count;
  else {
    const map = sign > 0 ? bins.positive : bins.negative;
    map.set(key, (map.get(key) ?? 0) + count);
  }
}

export function mergeBinsInto(into: PressureBins, from: PressureBins): void {
  into.zero += from.zero;
  for (const [k, n] of from.positive) into.positive.set(k, (into.positive.get(k) ?? 0) + n);
  for (const [k, n] of from.negative) into.negative.set(k, (into.negative.get(k) ?? 0) + n);
}

/**
 * A sketch with exactly these bins. Each bin is re-entered at its representative value, which
 * lies strictly inside the bin, so it lands in the same key.
 */
export function sketchFromBins(bins: PressureBins): QuantileSketch {
  const s = newQuantileSketch();
  if (bins.zero > 0) s.accept(0, bins.zero);
  for (const [k, n] of bins.positive) s.accept(SKETCH_MAPPING.value(k), n);
  for (const [k, n] of bins.negative) s.accept(-SKETCH_MAPPING.value(k), n);
  return s;
}

/**
 * Merges everything but the channel measurements (whose steps merge in time order, see
 * combine.ts): what the sensor profile keeps of a span of hours.
 */
export function mergeTotalsInto(into: HourPartial, from: HourPartial): void {
  into.readings += from.readings;
  mergeMetricsInto(into, from);
  into.vector = mergeCoMoments(into.vector, from.vector);
  into.failures += from.failures;
  if (from.lastFailureTs !== null) into.lastFailureTs = into.lastFailureTs === null ? from.lastFailureTs : Math.max(into.lastFailureTs, from.lastFailureTs);
  mergeBinsInto(into.pressureBins, from.pressureBins);
  into.channelReadings += from.channelReadings;
}

/** Merges the per-metric moments and the max pressure only: all an hour-of-day profile keeps. */
export function mergeMetricsInto(into: HourPartial, from: HourPartial): void {
  into.temperature = mergeMoments(into.temperature, from.temperature);
  into.pressure = mergeMoments(into.pressure, from.pressure);
  into.vibration = mergeMoments(into.vibration, from.vibration);
  if (from.maxPressure !== null) into.maxPressure = into.maxPressure === null ? from.maxPressure : Math.max(into.maxPressure, from.maxPressure);
}

// ---------------------------------------------------------------------------------------------
// The partial file of one day: rows per (sensor, hour), plus, per hour computed, the fingerprint
// of the lake files the hour was computed from. Gzipped columnar JSON: a refresh decodes up to 91
// of these every run, and JSON.parse is some 100× faster here than Parquet through Arrow rows.

/** Column layout of `partials/dt=YYYY-MM-DD/partials.json.gz` (one array per column). */
export const PARTIAL_COLUMNS = [
  'sensor_id', 'hour_start_ms', 'readings',
  't_n', 't_mean', 't_m2', 'p_n', 'p_mean', 'p_m2', 'v_n', 'v_mean', 'v_m2', 'p_max',
  'vec_n', 'vec_t', 'vec_p', 'vec_v', 'c_tt', 'c_tp', 'c_tv', 'c_pp', 'c_pv', 'c_vv',
  'failures', 'last_failure_ms', 'p_zero', 'p_bins_pos', 'p_bins_neg',
  'channel_readings', 'measurements',
] as const;
type PartialColumn = (typeof PARTIAL_COLUMNS)[number];

/** The partials of one day and, per hour computed, the fingerprint of its lake files. */
export interface DayPartials {
  readonly partials: HourPartial[];
  /** hourStart → fingerprint of the lake files the hour's partials came from. */
  readonly fingerprints: Map<number, string>;
}

const FORMAT = 'tideline.partials.v2';
/** Files of v1 had no channel partials: their hours are recomputed, as if never computed. */
const FORMAT_WITHOUT_CHANNELS = 'tideline.partials.v1';

/** A measurement partial in the file: [name, trend n, mean t, mean x, c_tt, c_tx, c_xx, steps n, mean prev, mean x, c_pp, c_px, c_xx, first, last]. */
type EncodedMeasurement = [string, ...number[]];

function encodeMeasurements(m: Map<string, MeasurementPartial>): EncodedMeasurement[] | null {
  if (m.size === 0) return null;
  return [...m].map(([name, { trend: t, steps: s, first, last }]) => [
    name, t.n, t.mean[0], t.mean[1], t.c[0], t.c[1], t.c[3], s.n, s.mean[0], s.mean[1], s.c[0], s.c[1], s.c[3], first, last,
  ]);
}

function decodeMeasurements(value: unknown, into: Map<string, MeasurementPartial>, where: string): void {
  if (value === null || value === undefined) return;
  if (!Array.isArray(value)) throw new PartialFileError(where, 'measurements must be a list');
  for (const e of value) {
    if (!Array.isArray(e) || e.length !== 15 || typeof e[0] !== 'string' || !e.slice(1).every((x) => typeof x === 'number')) {
      throw new PartialFileError(where, `bad measurement partial ${JSON.stringify(e).slice(0, 80)}`);
    }
    const [name, tn, tt, tx, ctt, ctx, cxx, sn, sp, sx, cpp, cpx, csx, first, last] = e as [string, ...number[]];
    into.set(name, {
      trend: { n: tn, mean: [tt, tx], c: [ctt, ctx, ctx, cxx] },
      steps: { n: sn, mean: [sp, sx], c: [cpp, cpx, cpx, csx] },
      first,
      last,
    });
  }
}

const encodeBinMap = (m: Map<number, number>) => [...m].map(([k, n]) => `${k}:${n}`).join(',');

function decodeBinMap(text: unknown, into: Map<number, number>, where: string): void {
  if (typeof text !== 'string' || text === '') return;
  for (const pair of text.split(',')) {
    const [k, n] = pair.split(':').map(Number);
    if (!Number.isInteger(k) || !Number.isFinite(n)) throw new PartialFileError(where, `bad sketch bin "${pair}"`);
    into.set(k, n);
  }
}

export function encodeDayPartials(day: DayPartials): Uint8Array {
  const cols = Object.fromEntries(PARTIAL_COLUMNS.map((c) => [c, [] as unknown[]])) as Record<PartialColumn, unknown[]>;
  for (const p of day.partials) {
    const c = p.vector.c;
    const row: Record<PartialColumn, unknown> = {
      sensor_id: p.sensorId, hour_start_ms: p.hourStart, readings: p.readings,
      t_n: p.temperature.n, t_mean: p.temperature.mean, t_m2: p.temperature.m2,
      p_n: p.pressure.n, p_mean: p.pressure.mean, p_m2: p.pressure.m2,
      v_n: p.vibration.n, v_mean: p.vibration.mean, v_m2: p.vibration.m2,
      p_max: p.maxPressure,
      vec_n: p.vector.n, vec_t: p.vector.mean[0], vec_p: p.vector.mean[1], vec_v: p.vector.mean[2],
      c_tt: c[0], c_tp: c[1], c_tv: c[2], c_pp: c[4], c_pv: c[5], c_vv: c[8],
      failures: p.failures, last_failure_ms: p.lastFailureTs,
      p_zero: p.pressureBins.zero, p_bins_pos: encodeBinMap(p.pressureBins.positive), p_bins_neg: encodeBinMap(p.pressureBins.negative),
      channel_readings: p.channelReadings, measurements: encodeMeasurements(p.measurements),
    };
    for (const name of PARTIAL_COLUMNS) cols[name].push(row[name]);
  }
  const body = { format: FORMAT, rows: day.partials.length, fingerprints: [...day.fingerprints], columns: cols };
  return gzipSync(Buffer.from(JSON.stringify(body)));
}

/** Reads a day's partial file; `key` names it in errors. */
export function decodeDayPartials(key: string, bytes: Uint8Array): DayPartials {
  let body: { format?: unknown; rows?: unknown; fingerprints?: unknown; columns?: Record<string, unknown[]> };
  try {
    body = JSON.parse(gunzipSync(bytes).toString('utf8'));
  } catch (e) {
    throw new PartialFileError(key, `not a readable partial file (gzipped JSON): ${(e as Error).message}`, { cause: e });
  }
  if (body.format === FORMAT_WITHOUT_CHANNELS) return { partials: [], fingerprints: new Map() };
  if (body.format !== FORMAT || typeof body.rows !== 'number' || !Array.isArray(body.fingerprints) || typeof body.columns !== 'object') {
    throw new PartialFileError(key, `not a ${FORMAT} file`);
  }
  const rows = body.rows;
  const cols = body.columns as Record<string, unknown[]>;
  for (const name of PARTIAL_COLUMNS) {
    if (!Array.isArray(cols[name]) || cols[name].length !== rows) throw new PartialFileError(key, `column ${name} is missing or not ${rows} long`);
  }
  const num = (name: PartialColumn, i: number) => cols[name][i] as number | null;
  const partials: HourPartial[] = new Array(rows);
  for (let i = 0; i < rows; i++) {
    const m = (prefix: 't' | 'p' | 'v'): Moments => ({ n: num(`${prefix}_n`, i) ?? 0, mean: num(`${prefix}_mean`, i) ?? 0, m2: num(`${prefix}_m2`, i) ?? 0 });
    const tt = num('c_tt', i) ?? 0, tp = num('c_tp', i) ?? 0, tv = num('c_tv', i) ?? 0;
    const pp = num('c_pp', i) ?? 0, pv = num('c_pv', i) ?? 0, vv = num('c_vv', i) ?? 0;
    const bins = emptyPressureBins();
    bins.zero = num('p_zero', i) ?? 0;
    decodeBinMap(cols.p_bins_pos[i], bins.positive, key);
    decodeBinMap(cols.p_bins_neg[i], bins.negative, key);
    const measurements = new Map<string, MeasurementPartial>();
    decodeMeasurements(cols.measurements[i], measurements, key);
    partials[i] = {
      sensorId: cols.sensor_id[i] as string,
      hourStart: num('hour_start_ms', i) as number,
      readings: num('readings', i) ?? 0,
      temperature: m('t'),
      pressure: m('p'),
      vibration: m('v'),
      maxPressure: num('p_max', i),
      vector: { n: num('vec_n', i) ?? 0, mean: [num('vec_t', i) ?? 0, num('vec_p', i) ?? 0, num('vec_v', i) ?? 0], c: [tt, tp, tv, tp, pp, pv, tv, pv, vv] },
      failures: num('failures', i) ?? 0,
      lastFailureTs: num('last_failure_ms', i),
      pressureBins: bins,
      channelReadings: num('channel_readings', i) ?? 0,
      measurements,
    };
  }
  return { partials, fingerprints: new Map(body.fingerprints as [number, string][]) };
}
