import { DDSketch } from '@datadog/sketches-js';

/**
 * Mergeable quantile sketch (DDSketch, Datadog's implementation): every quantile it returns is
 * within ±RELATIVE_ACCURACY of the true value, relative to that value, and two sketches merge
 * exactly. That is what lets a refresh keep one sketch per sensor and day and recombine 90 days
 * for the p95 without rescanning raw readings.
 */
export const QUANTILE_RELATIVE_ACCURACY = 0.01;

export type QuantileSketch = DDSketch;

export function newQuantileSketch(): QuantileSketch {
  return new DDSketch({ relativeAccuracy: QUANTILE_RELATIVE_ACCURACY });
}

/**
 * Merges sketch `b` into `a`. DDSketch.merge in @datadog/sketches-js 2.1 merges only the
 * positive store (negative values are dropped once both sides are non-empty), so the stores
 * are merged one by one here.
 */
export function mergeSketchInto(a: QuantileSketch, b: QuantileSketch): void {
  if (b.count === 0) return;
  a.store.merge(b.store);
  a.negativeStore.merge(b.negativeStore);
  a.zeroCount += b.zeroCount;
  a.count += b.count;
  a.sum += b.sum;
  if (b.min < a.min) a.min = b.min;
  if (b.max > a.max) a.max = b.max;
}

/** Merges sketches into a new one, leaving the inputs untouched. */
export function mergeQuantileSketches(sketches: Iterable<QuantileSketch>): QuantileSketch {
  const out = newQuantileSketch();
  for (const s of sketches) mergeSketchInto(out, s);
  return out;
}

/** The q-quantile (0..1), or null when the sketch is empty. */
export function quantileOf(s: QuantileSketch, q: number): number | null {
  return s.count === 0 ? null : s.getValueAtQuantile(q);
}

/** Serialised as base64 protobuf, the sketch's own portable format. */
export function encodeQuantileSketch(s: QuantileSketch): string {
  return Buffer.from(s.toProto()).toString('base64');
}

export function decodeQuantileSketch(text: string): QuantileSketch {
  return DDSketch.fromProto(Buffer.from(text, 'base64')) as QuantileSketch;
}
