import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  addVector,
  emptyCoMoments,
  mergeCoMoments,
  mergeMoments,
  momentsOf,
  pseudoInverseOf,
  quadraticFormRoot,
  sampleCovariance,
  sampleStddev,
  EMPTY_MOMENTS,
} from '../../../shared/stats/index.js';

const close = (a: number, b: number, rel = 1e-9) => Math.abs(a - b) <= rel * Math.max(1, Math.abs(a), Math.abs(b));
const finite = fc.double({ min: -1e4, max: 1e4, noNaN: true });

describe('moments', () => {
  it('gives the sample (n − 1) standard deviation', () => {
    expect(sampleStddev(momentsOf([2, 4, 4, 4, 5, 5, 7, 9]))).toBeCloseTo(2.138089935, 9);
  });

  it('has no stddev for fewer than two values, and skips nulls', () => {
    expect(sampleStddev(momentsOf([3]))).toBeNull();
    expect(momentsOf([1, null, 3])).toEqual({ n: 2, mean: 2, m2: 2 });
  });

  it('merges partials to what one pass over all values gives (Chan)', () => {
    fc.assert(
      fc.property(fc.array(finite), fc.array(finite), (a, b) => {
        const merged = mergeMoments(momentsOf(a), momentsOf(b));
        const whole = momentsOf([...a, ...b]);
        expect(merged.n).toBe(whole.n);
        expect(close(merged.mean, whole.mean)).toBe(true);
        expect(close(merged.m2, whole.m2, 1e-7)).toBe(true);
      }),
    );
    expect(mergeMoments(EMPTY_MOMENTS, momentsOf([1, 2]))).toEqual(momentsOf([1, 2]));
  });
});

describe('co-moments', () => {
  it('merge to the one-pass covariance', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(finite, finite, finite), { minLength: 2 }), fc.nat(), (rows, cut) => {
        const k = cut % rows.length;
        const fold = (rs: number[][]) => rs.reduce((m, r) => addVector(m, r), emptyCoMoments(3));
        const merged = sampleCovariance(mergeCoMoments(fold(rows.slice(0, k)), fold(rows.slice(k)))) as number[];
        const whole = sampleCovariance(fold(rows)) as number[];
        merged.forEach((v, i) => expect(close(v, whole[i], 1e-7)).toBe(true));
      }),
    );
  });
});

describe('pseudo-inverse', () => {
  it('is the inverse of a non-singular matrix', () => {
    const inv = pseudoInverseOf([4, 2, 0, 2, 3, 1, 0, 1, 2], 3);
    const a = [4, 2, 0, 2, 3, 1, 0, 1, 2];
    for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) {
      const v = [0, 1, 2].reduce((s, k) => s + a[i * 3 + k] * inv[k * 3 + j], 0);
      expect(v).toBeCloseTo(i === j ? 1 : 0, 10);
    }
  });

  it('stands in for a singular covariance (a constant metric) without blowing up', () => {
    const inv = pseudoInverseOf([1, 0, 0, 0, 0, 0, 0, 0, 4], 3);
    expect(quadraticFormRoot(inv, [2, 5, 4])).toBeCloseTo(Math.sqrt(4 + 4), 10);
  });
});
