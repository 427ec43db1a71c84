import {
  decodeQuantileSketch,
  encodeQuantileSketch,
  mergeMoments,
  mergeSketchInto,
  newQuantileSketch,
  quantileOf,
  sampleStddev,
  type QuantileSketch,
} from '../stats/index.js';
import { QUANTILES, type Aggregate } from './spec.js';

/** A group's key: one value per group_by entry (sensor id, bucket start in epoch ms, hour of day, classification). */
export type GroupValue = string | number | null;

/**
 * Partial aggregate of one metric over some readings: count, sum and M2 merge exactly (Chan et
 * al.), min and max trivially, and the DDSketch merges with its stated relative error, so how
 * the readings were split across slices never changes the answer beyond that error.
 */
export interface MetricPartial {
  n: number;
  sum: number;
  m2: number;
  min: number;
  max: number;
  /** Present only when the query asks for a quantile. */
  sketch: QuantileSketch | null;
}

/** Partial aggregates of one group. `count` counts readings, with or without the metrics. */
export interface GroupPartial {
  readonly key: readonly GroupValue[];
  count: number;
  readonly metrics: MetricPartial[];
}

/** The JSON form a slice sends back (sketches as base64 protobuf; ±Infinity as null). */
export interface WireGroupPartial {
  readonly key: readonly GroupValue[];
  readonly count: number;
  readonly metrics: readonly { readonly n: number; readonly sum: number; readonly m2: number; readonly min: number | null; readonly max: number | null; readonly sketch: string | null }[];
}

export function emptyMetricPartial(withSketch: boolean): MetricPartial {
  return { n: 0, sum: 0, m2: 0, min: Infinity, max: -Infinity, sketch: withSketch ? newQuantileSketch() : null };
}

/** Folds one value in (Welford's update against the running mean sum/n). */
export function addToPartial(p: MetricPartial, x: number): void {
  const before = p.n === 0 ? 0 : p.sum / p.n;
  p.n += 1;
  p.sum += x;
  p.m2 += (x - before) * (x - p.sum / p.n);
  if (x < p.min) p.min = x;
  if (x > p.max) p.max = x;
  p.sketch?.accept(x);
}

/** Merges `b` into `a` (Chan's merge for M2). */
export function mergeMetricPartial(a: MetricPartial, b: MetricPartial): void {
  if (b.n > 0) {
    a.m2 = a.n === 0 ? b.m2 : mergeMoments({ n: a.n, mean: a.sum / a.n, m2: a.m2 }, { n: b.n, mean: b.sum / b.n, m2: b.m2 }).m2;
    a.n += b.n;
    a.sum += b.sum;
    if (b.min < a.min) a.min = b.min;
    if (b.max > a.max) a.max = b.max;
  }
  if (a.sketch && b.sketch) mergeSketchInto(a.sketch, b.sketch);
}

export function toWire(g: GroupPartial): WireGroupPartial {
  return {
    key: g.key,
    count: g.count,
    metrics: g.metrics.map((m) => ({
      n: m.n,
      sum: m.sum,
      m2: m.m2,
      min: m.n === 0 ? null : m.min,
      max: m.n === 0 ? null : m.max,
      sketch: m.sketch ? encodeQuantileSketch(m.sketch) : null,
    })),
  };
}

export function fromWire(w: WireGroupPartial): GroupPartial {
  return {
    key: w.key,
    count: w.count,
    metrics: w.metrics.map((m) => ({
      n: m.n,
      sum: m.sum,
      m2: m.m2,
      min: m.min ?? Infinity,
      max: m.max ?? -Infinity,
      sketch: m.sketch === null ? null : decodeQuantileSketch(m.sketch),
    })),
  };
}

/**
 * The final value of one aggregate: SQL semantics (null over no values; stddev is the sample
 * stddev, null under two values, as STDDEV_SAMP).
 */
export function finalAggregate(p: MetricPartial, aggregate: Exclude<Aggregate, 'count'>): number | null {
  if (p.n === 0) return null;
  switch (aggregate) {
    case 'sum': return p.sum;
    case 'mean': return p.sum / p.n;
    case 'min': return p.min;
    case 'max': return p.max;
    case 'stddev': return sampleStddev({ n: p.n, mean: p.sum / p.n, m2: p.m2 });
    default: return quantileOf(p.sketch!, QUANTILES[aggregate]!);
  }
}

/** Orders group keys: nulls first, numbers numerically, strings by code unit. */
export function compareKeys(a: readonly GroupValue[], b: readonly GroupValue[]): number {
  for (let i = 0; i < a.length; i++) {
    const x = a[i];
    const y = b[i];
    if (x === y) continue;
    if (x === null) return -1;
    if (y === null) return 1;
    return x < y ? -1 : 1;
  }
  return 0;
}
