import { describe, expect, it } from 'vitest';
import {
  NAB_STANDARD_PROFILE,
  nabProbationaryLength,
  nabScaledSigmoid,
  nabScore,
} from '../../../shared/evaluation/index.js';

const MIN = 60_000;

describe('NAB scoring (standard profile)', () => {
  it('uses the standard profile weights of the NAB paper', () => {
    expect(NAB_STANDARD_PROFILE).toEqual({ tpWeight: 1, fpWeight: 0.11, fnWeight: 1 });
  });

  it('leaves the first 15 % (at most 750 rows) unscored', () => {
    expect(nabProbationaryLength(20)).toBe(3);
    expect(nabProbationaryLength(4032)).toBe(604);
    expect(nabProbationaryLength(22695)).toBe(750);
  });

  it('scales positions with a sigmoid that is 0 at the window end and -1 far past it', () => {
    expect(nabScaledSigmoid(-1)).toBeCloseTo(0.98661, 5);
    expect(nabScaledSigmoid(-0.5)).toBeCloseTo(0.84828, 5);
    expect(nabScaledSigmoid(0)).toBe(0);
    expect(nabScaledSigmoid(3)).toBe(-1);
  });

  it('scores a tiny file as worked by hand', () => {
    // 20 rows, one a minute. Probation: floor(0.15 · 20) = 3 rows (0–2) unscored.
    // One window over rows 8–11 (width 4). Detections at rows 1, 5, 9, 10, 13, 19.
    //  row 1: probationary → ignored.
    //  row 5: outside, no window before it → position 3 → sigmoid −1 → −0.11.
    //  row 9: first in the window → position −(11 − 9 + 1)/4 = −0.75;
    //         2·sigmoid(3.75) − 1 = 0.954045; divided by maxTP = 2·sigmoid(5) − 1 = 0.986614 → +0.966989.
    //  row 10: a later detection in the same window → ignored.
    //  row 13: past the window → position |11 − 13|/(4 − 1) = 0.6667;
    //         2·sigmoid(−3.3333) − 1 = −0.931109; · 0.11 → −0.102422.
    //  row 19: position 8/3 = 2.6667 → 2·sigmoid(−13.333) − 1 = −0.9999968 · 0.11 → −0.1099996.
    // raw = 0.966989 − 0.11 − 0.102422 − 0.1099996 = 0.644567.
    // null detector: −1 (one missed window); perfect: +1. Normalised: 100 · (0.644567 + 1) / 2 = 82.228.
    const ts = Array.from({ length: 20 }, (_, i) => i * MIN);
    const detections = ts.map((_, i) => [1, 5, 9, 10, 13, 19].includes(i));
    const r = nabScore(ts, detections, [{ start: 8 * MIN, end: 11 * MIN }]);
    expect(r.probationaryRows).toBe(3);
    expect(r.windows).toEqual([{ start: 8 * MIN, end: 11 * MIN, detectedAt: 9 * MIN, leadMs: 2 * MIN, score: expect.closeTo(0.966989, 5) }]);
    expect(r.falsePositives).toBe(3);
    expect(r.raw).toBeCloseTo(0.644567, 5);
    expect(r.nullScore).toBe(-1);
    expect(r.perfectScore).toBe(1);
    expect(r.normalized).toBeCloseTo(82.228, 3);
    // 3 false alerts over the 16 scored minutes (rows 3–19).
    expect(r.falseAlertsPerDay).toBeCloseTo(3 / (16 / 1440), 9);
  });

  it('gives the perfect detector 100 and the null detector 0', () => {
    const ts = Array.from({ length: 40 }, (_, i) => i * MIN);
    const windows = [{ start: 10 * MIN, end: 14 * MIN }, { start: 25 * MIN, end: 30 * MIN }];
    expect(nabScore(ts, ts.map((t) => t === 10 * MIN || t === 25 * MIN), windows).normalized).toBeCloseTo(100, 9);
    expect(nabScore(ts, ts.map(() => false), windows).normalized).toBe(0);
  });

  it('does not score a window that lies wholly in the probationary period', () => {
    const ts = Array.from({ length: 100 }, (_, i) => i * MIN); // probation: rows 0–14
    const r = nabScore(ts, ts.map(() => false), [{ start: 2 * MIN, end: 5 * MIN }, { start: 50 * MIN, end: 55 * MIN }]);
    expect(r.windows).toHaveLength(1);
    expect(r).toMatchObject({ windowsCaught: 0, raw: -1, nullScore: -1, perfectScore: 1, normalized: 0 });
  });

  it('has no normalised score for a file without scored windows', () => {
    const ts = [0, MIN, 2 * MIN];
    expect(nabScore(ts, [false, false, true], []).normalized).toBeNull();
  });
});
