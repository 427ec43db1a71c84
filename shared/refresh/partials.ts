import { decodeParquet, encodeParquet, type LakeSchema } from '../lake/index.js';
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

/** Merges `from` into `into` (same sensor; hours may differ: the result is a window partial). */
export function mergeHourPartialInto(into: HourPartial, from: HourPartial): void {
  into.readings += from.readings;
  into.temperature = mergeMoments(into.temperature, from.temperature);
  into.pressure = mergeMoments(into.pressure, from.pressure);
  into.vibration = mergeMoments(into.vibration, from.vibration);
  if (from.maxPressure !== null) into.maxPressure = into.maxPressure === null ? from.maxPressure : Math.max(into.maxPressure, from.maxPressure);
  into.vector = mergeCoMoments(into.vector, from.vector);
  into.failures += from.failures;
  if (from.lastFailureTs !== null) into.lastFailureTs = into.lastFailureTs === null ? from.lastFailureTs : Math.max(into.lastFailureTs, from.lastFailureTs);
  mergeBinsInto(into.pressureBins, from.pressureBins);
}

// ---------------------------------------------------------------------------------------------
// The partial file of one day: rows per (sensor, hour), plus one marker row per hour computed
// (sensor_id "") carrying the fingerprint of the lake files the hour was computed from.

/** Column layout of `partials/dt=YYYY-MM-DD/partials.parquet`. */
export const PARTIAL_COLUMNS = [
  ['sensor_id', 'string'],
  ['hour_start_ms', 'double'],
  ['fingerprint', 'string'],
  ['readings', 'double'],
  ['t_n', 'double'], ['t_mean', 'double'], ['t_m2', 'double'],
  ['p_n', 'double'], ['p_mean', 'double'], ['p_m2', 'double'],
  ['v_n', 'double'], ['v_mean', 'double'], ['v_m2', 'double'],
  ['p_max', 'double'],
  ['vec_n', 'double'], ['vec_t', 'double'], ['vec_p', 'double'], ['vec_v', 'double'],
  ['c_tt', 'double'], ['c_tp', 'double'], ['c_tv', 'double'], ['c_pp', 'double'], ['c_pv', 'double'], ['c_vv', 'double'],
  ['failures', 'double'],
  ['last_failure_ms', 'double'],
  ['p_zero', 'double'],
  ['p_bins_pos', 'string'],
  ['p_bins_neg', 'string'],
] as const satisfies LakeSchema;

/** The partials of one day and, per hour computed, the fingerprint of its lake files. */
export interface DayPartials {
  readonly partials: HourPartial[];
  /** hourStart → fingerprint of the lake files the hour's partials came from. */
  readonly fingerprints: Map<number, string>;
}

const encodeBinMap = (m: Map<number, number>) => [...m].map(([k, n]) => `${k}:${n}`).join(',');

function decodeBinMap(text: string | null, into: Map<number, number>, where: string): void {
  if (!text) return;
  for (const pair of text.split(',')) {
    const [k, n] = pair.split(':').map(Number);
    if (!Number.isInteger(k) || !Number.isFinite(n)) throw new PartialFileError(where, `bad sketch bin "${pair}"`);
    into.set(k, n);
  }
}

export function encodeDayPartials(day: DayPartials): Uint8Array {
  const rows: Record<string, unknown>[] = [];
  for (const [hourStart, fingerprint] of day.fingerprints) rows.push({ sensor_id: '', hour_start_ms: hourStart, fingerprint });
  for (const p of day.partials) {
    const c = p.vector.c;
    rows.push({
      sensor_id: p.sensorId,
      hour_start_ms: p.hourStart,
      fingerprint: null,
      readings: p.readings,
      t_n: p.temperature.n, t_mean: p.temperature.mean, t_m2: p.temperature.m2,
      p_n: p.pressure.n, p_mean: p.pressure.mean, p_m2: p.pressure.m2,
      v_n: p.vibration.n, v_mean: p.vibration.mean, v_m2: p.vibration.m2,
      p_max: p.maxPressure,
      vec_n: p.vector.n, vec_t: p.vector.mean[0], vec_p: p.vector.mean[1], vec_v: p.vector.mean[2],
      c_tt: c[0], c_tp: c[1], c_tv: c[2], c_pp: c[4], c_pv: c[5], c_vv: c[8],
      failures: p.failures,
      last_failure_ms: p.lastFailureTs,
      p_zero: p.pressureBins.zero,
      p_bins_pos: encodeBinMap(p.pressureBins.positive),
      p_bins_neg: encodeBinMap(p.pressureBins.negative),
    });
  }
  return encodeParquet(PARTIAL_COLUMNS, rows);
}

/** Reads a day's partial file; `key` names it in errors. */
export function decodeDayPartials(key: string, bytes: Uint8Array): DayPartials {
  let table;
  try {
    table = decodeParquet(bytes);
  } catch (e) {
    throw new PartialFileError(key, `not a readable Parquet file: ${(e as Error).message}`, { cause: e });
  }
  const col = (name: string) => {
    const v = table.getChild(name);
    if (!v) throw new PartialFileError(key, `column ${name} is missing`);
    return v;
  };
  const names = PARTIAL_COLUMNS.map(([n]) => n);
  const vectors = Object.fromEntries(names.map((n) => [n, col(n)]));
  const num = (n: string, i: number) => vectors[n].get(i) as number | null;
  const partials: HourPartial[] = [];
  const fingerprints = new Map<number, string>();
  for (let i = 0; i < table.numRows; i++) {
    const sensorId = vectors.sensor_id.get(i) as string;
    const hourStart = num('hour_start_ms', i) as number;
    if (sensorId === '') {
      fingerprints.set(hourStart, vectors.fingerprint.get(i) as string);
      continue;
    }
    const m = (prefix: string): Moments => ({ n: num(`${prefix}_n`, i) ?? 0, mean: num(`${prefix}_mean`, i) ?? 0, m2: num(`${prefix}_m2`, i) ?? 0 });
    const tt = num('c_tt', i) ?? 0, tp = num('c_tp', i) ?? 0, tv = num('c_tv', i) ?? 0;
    const pp = num('c_pp', i) ?? 0, pv = num('c_pv', i) ?? 0, vv = num('c_vv', i) ?? 0;
    const bins = emptyPressureBins();
    bins.zero = num('p_zero', i) ?? 0;
    decodeBinMap(vectors.p_bins_pos.get(i) as string | null, bins.positive, key);
    decodeBinMap(vectors.p_bins_neg.get(i) as string | null, bins.negative, key);
    partials.push({
      sensorId,
      hourStart,
      readings: num('readings', i) ?? 0,
      temperature: m('t'),
      pressure: m('p'),
      vibration: m('v'),
      maxPressure: num('p_max', i),
      vector: {
        n: num('vec_n', i) ?? 0,
        mean: [num('vec_t', i) ?? 0, num('vec_p', i) ?? 0, num('vec_v', i) ?? 0],
        c: [tt, tp, tv, tp, pp, pv, tv, pv, vv],
      },
      failures: num('failures', i) ?? 0,
      lastFailureTs: num('last_failure_ms', i),
      pressureBins: bins,
    });
  }
  return { partials, fingerprints };
}
