import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { addToPartial, emptyMetricPartial, finalAggregate, fromWire, mergeMetricPartial, toWire } from '../../../shared/query/index.js';

const values = fc.array(fc.double({ min: -1e4, max: 1e4, noNaN: true }), { minLength: 0, maxLength: 200 });

describe('partial aggregates', () => {
  it('merge to the same count, sum, mean, min, max and sample stddev however the values are split', () => {
    fc.assert(
      fc.property(values, fc.array(fc.nat(), { maxLength: 6 }), (xs, cuts) => {
        const whole = emptyMetricPartial(false);
        xs.forEach((x) => addToPartial(whole, x));
        const bounds = [0, ...cuts.map((c) => c % (xs.length + 1)).sort((a, b) => a - b), xs.length];
        const merged = emptyMetricPartial(false);
        for (let i = 0; i + 1 < bounds.length; i++) {
          const part = emptyMetricPartial(false);
          xs.slice(bounds[i], bounds[i + 1]).forEach((x) => addToPartial(part, x));
          // Through the wire form, as slices return them.
          mergeMetricPartial(merged, fromWire(toWire({ key: [], count: 0, metrics: [part] })).metrics[0]);
        }
        expect(merged.n).toBe(xs.length);
        expect(merged.min).toBe(whole.min);
        expect(merged.max).toBe(whole.max);
        for (const a of ['sum', 'mean', 'stddev'] as const) {
          const w = finalAggregate(whole, a);
          const m = finalAggregate(merged, a);
          if (w === null) expect(m).toBeNull();
          else expect(Math.abs(m! - w)).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(w), Math.abs(merged.sum)));
        }
      }),
    );
  });

  it('gives quantiles within 1 % of the exact value when merged from parts, negative values included', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: -1e6, max: 1e6 }).map((i) => i / 1000), { minLength: 1, maxLength: 300 }), fc.integer({ min: 1, max: 8 }), (xs, parts) => {
        const merged = emptyMetricPartial(true);
        for (let p = 0; p < parts; p++) {
          const part = emptyMetricPartial(true);
          xs.forEach((x, i) => i % parts === p && addToPartial(part, x));
          mergeMetricPartial(merged, fromWire(toWire({ key: [], count: 0, metrics: [part] })).metrics[0]);
        }
        const sorted = [...xs].sort((a, b) => a - b);
        for (const [a, q] of [['p50', 0.5], ['p95', 0.95], ['p99', 0.99]] as const) {
          const exact = sorted[Math.floor(q * (sorted.length - 1))];
          expect(Math.abs(finalAggregate(merged, a)! - exact)).toBeLessThanOrEqual(0.01 * Math.abs(exact) + 1e-9);
        }
      }),
    );
  });

  it('follows SQL on empty input: null aggregates, stddev null under two values', () => {
    const p = emptyMetricPartial(true);
    expect(['sum', 'mean', 'min', 'max', 'stddev', 'p95'].map((a) => finalAggregate(p, a as 'sum'))).toEqual([null, null, null, null, null, null]);
    addToPartial(p, 4);
    expect(finalAggregate(p, 'stddev')).toBeNull();
    expect(finalAggregate(p, 'mean')).toBe(4);
  });
});
