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

/** Merges sketches into a new one, leaving the inputs untouched. */
export function mergeQuantileSketches(sketches: Iterable<QuantileSketch>): QuantileSketch {
  const out = newQuantileSketch();
  for (const s of sketches) out.merge(s);
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
