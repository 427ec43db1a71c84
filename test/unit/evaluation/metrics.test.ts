import { describe, expect, it } from 'vitest';
import {
  addChangepointDelays,
  addConfusion,
  changepointDelays,
  confusionOf,
  delaySummary,
  EMPTY_CONFUSION,
  qualityOf,
} from '../../../shared/evaluation/index.js';

const bits = (s: string) => [...s].map((c) => c === '1');

describe('confusion counts and ratios', () => {
  it('counts hits, false alarms, misses and quiet readings', () => {
    //                     labels        predictions
    const c = confusionOf(bits('0011110000'), bits('0001111100'));
    expect(c).toEqual({ tp: 3, fp: 2, fn: 1, tn: 4 });
  });

  it('computes F1, FAR and MAR from counts worked by hand', () => {
    // tp 3, fp 2, fn 1, tn 4: F1 = 6 / (6 + 2 + 1) = 2/3; FAR = 2 / 6 = 1/3; MAR = 1 / 4.
    const q = qualityOf({ tp: 3, fp: 2, fn: 1, tn: 4 });
    expect(q.f1).toBeCloseTo(2 / 3, 12);
    expect(q.far).toBeCloseTo(1 / 3, 12);
    expect(q.mar).toBe(0.25);
    expect(q.precision).toBe(0.6);
    expect(q.recall).toBe(0.75);
  });

  it('pools counts over files before taking ratios, as SKAB does', () => {
    const a = confusionOf(bits('1100'), bits('1000')); // tp1 fn1 tn2
    const b = confusionOf(bits('0011'), bits('1111')); // fp2 tp2
    const pooled = addConfusion(addConfusion(EMPTY_CONFUSION, a), b);
    expect(pooled).toEqual({ tp: 3, fp: 2, fn: 1, tn: 2 });
    // Pooled F1 = 6/9, not the mean of the per-file F1s (2/3 and 4/6 happen to agree; FAR does not: 2/4 vs mean(0, 1)).
    expect(qualityOf(pooled).far).toBe(0.5);
  });

  it('gives F1 0 when there are anomalies but no hit, and null ratios for 0/0', () => {
    expect(qualityOf(confusionOf(bits('0110'), bits('0000')))).toMatchObject({ f1: 0, mar: 1, far: 0, precision: null });
    expect(qualityOf(confusionOf(bits('0000'), bits('0000')))).toMatchObject({ f1: null, mar: null, far: 0 });
  });

  it('rejects sequences of different lengths', () => {
    expect(() => confusionOf(bits('01'), bits('011'))).toThrow(/labels \(2\) and predictions \(3\)/);
  });
});

describe('changepoint detection delay', () => {
  const ts = Array.from({ length: 12 }, (_, i) => i * 1000);

  it('measures each changepoint to the first change in the prediction before the next changepoint', () => {
    //              index        012345678901
    const cps = bits('001000001000');
    const pred = bits('000001111100');
    // cp at 2: prediction first changes at 5 (0→1): 3 s. cp at 8: it changes at 10 (1→0): 2 s.
    const d = changepointDelays(ts, cps, pred);
    expect(d).toEqual({ changepoints: 2, detected: 2, delaysMs: [3000, 2000] });
    expect(delaySummary(d)).toEqual({ meanS: 2.5, medianS: 2.5 });
  });

  it('counts a changepoint as missed when the prediction does not change before the next one', () => {
    const cps = bits('010010000000');
    const pred = bits('000000110000');
    // cp at 1: no change in 1..3 → missed. cp at 4: change at 6: 2 s.
    const d = changepointDelays(ts, cps, pred);
    expect(d.delaysMs).toEqual([null, 2000]);
    const pooled = addChangepointDelays(d, changepointDelays(ts, bits('100000000000'), bits('000000000000')));
    expect(pooled).toMatchObject({ changepoints: 3, detected: 1 });
    expect(delaySummary(pooled)).toEqual({ meanS: 2, medianS: 2 });
  });

  it('has no delay summary when nothing was detected', () => {
    expect(delaySummary(changepointDelays([0, 1], [true, false], [false, false]))).toEqual({ meanS: null, medianS: null });
  });
});
