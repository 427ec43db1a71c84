/**
 * Point-wise detection quality, scored the way SKAB's leaderboard does: every judged reading is
 * one label (anomalous or not) and one prediction (alerting or not); counts are summed over
 * files before the ratios are taken.
 */
export interface Confusion {
  readonly tp: number;
  readonly fp: number;
  readonly fn: number;
  readonly tn: number;
}

export const EMPTY_CONFUSION: Confusion = Object.freeze({ tp: 0, fp: 0, fn: 0, tn: 0 });

/** Counts of one labelled sequence; labels and predictions must be the same length. */
export function confusionOf(labels: readonly boolean[], predictions: readonly boolean[]): Confusion {
  if (labels.length !== predictions.length) {
    throw new RangeError(`labels (${labels.length}) and predictions (${predictions.length}) must be the same length`);
  }
  let tp = 0, fp = 0, fn = 0, tn = 0;
  for (let i = 0; i < labels.length; i++) {
    if (predictions[i]) labels[i] ? tp++ : fp++;
    else labels[i] ? fn++ : tn++;
  }
  return { tp, fp, fn, tn };
}

/** Sums counts (pooling over files, as SKAB's leaderboard does). */
export function addConfusion(a: Confusion, b: Confusion): Confusion {
  return { tp: a.tp + b.tp, fp: a.fp + b.fp, fn: a.fn + b.fn, tn: a.tn + b.tn };
}

/** Ratios of a confusion; null where the ratio is 0/0 (e.g. FAR with no normal readings). */
export interface Quality {
  readonly f1: number | null;
  readonly precision: number | null;
  readonly recall: number | null;
  /** False alarm rate: FP / (FP + TN). */
  readonly far: number | null;
  /** Missed alarm rate: FN / (FN + TP). */
  readonly mar: number | null;
}

const share = (x: number, total: number): number | null => (total === 0 ? null : x / total);

/**
 * F1, FAR and MAR of counts. F1 = 2·TP / (2·TP + FP + FN), which is 0 (not undefined) when
 * there are positives or alerts but no hit, and null only when there are neither.
 */
export function qualityOf(c: Confusion): Quality {
  return {
    f1: share(2 * c.tp, 2 * c.tp + c.fp + c.fn),
    precision: share(c.tp, c.tp + c.fp),
    recall: share(c.tp, c.tp + c.fn),
    far: share(c.fp, c.fp + c.tn),
    mar: share(c.fn, c.fn + c.tp),
  };
}

/** How quickly each labelled changepoint was answered by a change in the prediction. */
export interface ChangepointDelays {
  readonly changepoints: number;
  readonly detected: number;
  /** Per changepoint: ms from the changepoint to the first predicted change, or null when missed. */
  readonly delaysMs: readonly (number | null)[];
}

/**
 * A predicted changepoint is a reading whose prediction differs from the reading before it.
 * Each labelled changepoint is detected by the first predicted change at or after it and before
 * the next labelled changepoint; its delay is the time between the two. The first reading has
 * no predecessor, so it never counts as a predicted change.
 */
export function changepointDelays(
  ts: readonly number[],
  changepoints: readonly boolean[],
  predictions: readonly boolean[],
): ChangepointDelays {
  if (ts.length !== changepoints.length || ts.length !== predictions.length) {
    throw new RangeError('ts, changepoints and predictions must be the same length');
  }
  const labelled: number[] = [];
  for (let i = 0; i < changepoints.length; i++) if (changepoints[i]) labelled.push(i);
  const delaysMs: (number | null)[] = labelled.map((start, k) => {
    const stop = k + 1 < labelled.length ? labelled[k + 1] : ts.length;
    for (let i = Math.max(start, 1); i < stop; i++) {
      if (predictions[i] !== predictions[i - 1]) return ts[i] - ts[start];
    }
    return null;
  });
  return { changepoints: labelled.length, detected: delaysMs.filter((d) => d !== null).length, delaysMs };
}

/** Pools changepoint results over files. */
export function addChangepointDelays(a: ChangepointDelays, b: ChangepointDelays): ChangepointDelays {
  return { changepoints: a.changepoints + b.changepoints, detected: a.detected + b.detected, delaysMs: [...a.delaysMs, ...b.delaysMs] };
}

/** Mean and median delay (seconds) over detected changepoints; null when none was detected. */
export function delaySummary(d: ChangepointDelays): { meanS: number | null; medianS: number | null } {
  const found = d.delaysMs.filter((x): x is number => x !== null).sort((x, y) => x - y);
  if (found.length === 0) return { meanS: null, medianS: null };
  const mid = found.length >> 1;
  const median = found.length % 2 ? found[mid] : (found[mid - 1] + found[mid]) / 2;
  return { meanS: found.reduce((s, x) => s + x, 0) / found.length / 1000, medianS: median / 1000 };
}
