/**
 * The Numenta Anomaly Benchmark's scoring (Lavin & Ahmad 2015, "Evaluating Real-time Anomaly
 * Detection Algorithms – the Numenta Anomaly Benchmark"; numenta/NAB nab/sweeper.py).
 *
 * - The first 15 % of a file (at most 750 rows) is probationary: not scored.
 * - Inside a label window only the earliest detection counts, weighted by a scaled sigmoid of its
 *   position: 1·A_TP at the window's first row, falling to 0 at its end (earlier is better).
 * - A detection outside every window costs A_FP scaled by the same sigmoid of its distance past the
 *   previous window's end (a detection just after a window costs less than one far from any).
 * - A window without a detection costs A_FN.
 * - The normalised score is 100·(raw − null) / (perfect − null), where the null detector never
 *   detects (−A_FN per window) and the perfect one detects every window at its first row.
 */

/** The standard application profile's weights. */
export interface NabProfile {
  readonly tpWeight: number;
  /** Magnitude of a false positive's cost (the paper's A_FP = −0.11). */
  readonly fpWeight: number;
  readonly fnWeight: number;
}

export const NAB_STANDARD_PROFILE: NabProfile = Object.freeze({ tpWeight: 1, fpWeight: 0.11, fnWeight: 1 });

/** A label window, inclusive at both ends (epoch ms). */
export interface NabWindow {
  readonly start: number;
  readonly end: number;
}

const PROBATION_PERCENT = 0.15;

/** Rows not scored at the start of a file of `rows` rows: floor(15 %), at most 750. */
export function nabProbationaryLength(rows: number): number {
  return Math.min(Math.floor(PROBATION_PERCENT * rows), PROBATION_PERCENT * 5000);
}

/**
 * 2·sigmoid(−5·x) − 1: 0.9866 at x = −1 (a window's first row), 0 at x = 0 (its end),
 * −0.9866 at x = 1, and −1 from x = 3 on.
 */
export function nabScaledSigmoid(relativePosition: number): number {
  if (relativePosition >= 3) return -1;
  return 2 / (1 + Math.exp(5 * relativePosition)) - 1;
}

/** What happened in one window. */
export interface NabWindowResult {
  readonly start: number;
  readonly end: number;
  /** Event time of the first scored detection inside the window, or null. */
  readonly detectedAt: number | null;
  /** How long before the window's end the first detection came (ms), or null. */
  readonly leadMs: number | null;
  /** This window's contribution: the weighted true-positive score, or −A_FN when missed. */
  readonly score: number;
}

export interface NabResult {
  readonly rows: number;
  readonly probationaryRows: number;
  readonly windows: readonly NabWindowResult[];
  readonly windowsCaught: number;
  /** Scored detections outside every window. */
  readonly falsePositives: number;
  /** False positives per day of scored data. */
  readonly falseAlertsPerDay: number | null;
  readonly raw: number;
  readonly nullScore: number;
  readonly perfectScore: number;
  /** 100·(raw − null)/(perfect − null); null when no window is scored (perfect = null). */
  readonly normalized: number | null;
}

/**
 * Scores one file's detections. `ts` ascending; `detections[i]` true where the detector fired at
 * row i; windows sorted and non-overlapping. A window whose rows all fall in the probationary
 * period is not scored, as in NAB.
 */
export function nabScore(
  ts: readonly number[],
  detections: readonly boolean[],
  windows: readonly NabWindow[],
  profile: NabProfile = NAB_STANDARD_PROFILE,
): NabResult {
  if (ts.length !== detections.length) throw new RangeError(`ts (${ts.length}) and detections (${detections.length}) must be the same length`);
  const probation = nabProbationaryLength(ts.length);
  const maxTp = nabScaledSigmoid(-1);
  // Row index bounds of each window (rows inside [start, end]).
  const bounds = windows
    .map((w) => {
      let left = -1, right = -1;
      for (let i = 0; i < ts.length; i++) {
        if (ts[i] < w.start) continue;
        if (ts[i] > w.end) break;
        if (left < 0) left = i;
        right = i;
      }
      return { w, left, right };
    })
    .filter((b) => b.left >= 0);
  const inWindow = new Int32Array(ts.length).fill(-1);
  bounds.forEach((b, k) => inWindow.fill(k, b.left, b.right + 1));

  const first: (number | null)[] = bounds.map(() => null);
  let raw = 0;
  let falsePositives = 0;
  let prev: { right: number; width: number } | null = null;
  for (let i = 0; i < ts.length; i++) {
    const k = inWindow[i];
    if (k >= 0) {
      const b = bounds[k];
      if (i === b.right) prev = { right: b.right, width: b.right - b.left + 1 };
      if (i >= probation && detections[i] && first[k] === null) first[k] = i;
      continue;
    }
    if (i < probation || !detections[i]) continue;
    // As NAB: no window yet → the full cost; else scaled by the distance past the last window.
    const position = prev === null ? 3 : Math.abs(prev.right - i) / (prev.width - 1);
    raw += profile.fpWeight * nabScaledSigmoid(position);
    falsePositives++;
  }

  const results: NabWindowResult[] = [];
  let scored = 0;
  bounds.forEach((b, k) => {
    if (b.right < probation) return;
    scored++;
    const i = first[k];
    let score = -profile.fnWeight;
    if (i !== null) {
      const width = b.right - b.left + 1;
      score = Math.max(score, (profile.tpWeight * nabScaledSigmoid(-(b.right - i + 1) / width)) / maxTp);
    }
    raw += score;
    results.push({ start: b.w.start, end: b.w.end, detectedAt: i === null ? null : ts[i], leadMs: i === null ? null : b.w.end - ts[i], score });
  });
  const nullScore = -profile.fnWeight * scored;
  const perfectScore = profile.tpWeight * scored;
  const scoredDays = ts.length > probation ? (ts[ts.length - 1] - ts[Math.min(probation, ts.length - 1)]) / 86_400_000 : 0;
  return {
    rows: ts.length,
    probationaryRows: probation,
    windows: results,
    windowsCaught: results.filter((r) => r.detectedAt !== null).length,
    falsePositives,
    falseAlertsPerDay: scoredDays > 0 ? falsePositives / scoredDays : null,
    raw,
    nullScore,
    perfectScore,
    normalized: perfectScore === nullScore ? null : (100 * (raw - nullScore)) / (perfectScore - nullScore),
  };
}
