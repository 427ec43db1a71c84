import { replayAlertDecisions, type AlertInputs, type JudgmentConfig } from '../judgment/index.js';
import { addConfusion, confusionOf, EMPTY_CONFUSION, qualityOf, type Confusion } from './metrics.js';

/** One labelled file's judged readings, in stream order, with the columns the alert rule reads. */
export interface JudgedFile {
  readonly labels: readonly boolean[];
  readonly rows: readonly AlertInputs[];
}

/** The outcome of one channel critical z: per file, and pooled over files. */
export interface SweepPoint {
  readonly channelCriticalZ: number;
  readonly perFile: readonly Confusion[];
  readonly pooled: Confusion;
}

/**
 * Replays every file's alert decisions at each channel critical z (the rest of `config` as
 * given) and scores them against the labels: what the figures would have been with that default.
 */
export function sweepChannelCriticalZ(files: readonly JudgedFile[], zs: readonly number[], config: JudgmentConfig): SweepPoint[] {
  return zs.map((z) => {
    const at = { ...config, channelCriticalZ: z };
    const perFile = files.map((f) => confusionOf(f.labels, replayAlertDecisions(f.rows, at)));
    return { channelCriticalZ: z, perFile, pooled: perFile.reduce(addConfusion, EMPTY_CONFUSION) };
  });
}

/** One fold of a leave-files-out check: the z chosen without the held-out files, and how it did on them. */
export interface HeldOutFold {
  readonly heldOut: readonly number[];
  /** Null when no z of the sweep kept the training files' FAR within the bound. */
  readonly chosenZ: number | null;
  readonly confusion: Confusion;
}

/**
 * Leave-files-out check of a sweep: for each fold, picks the z with the best pooled F1 on the
 * other files among those whose pooled FAR is at most `maxFar` (ties to the higher z), then scores
 * the held-out files with it. Pooled over folds, the held-out figures say what choosing the
 * default on some files is worth on files it never saw.
 */
export function leaveFilesOut(sweep: readonly SweepPoint[], folds: readonly (readonly number[])[], maxFar: number): HeldOutFold[] {
  return folds.map((heldOut) => {
    const held = new Set(heldOut);
    let best: { point: SweepPoint; f1: number } | null = null;
    for (const point of sweep) {
      const train = point.perFile.filter((_, i) => !held.has(i)).reduce(addConfusion, EMPTY_CONFUSION);
      const q = qualityOf(train);
      if (q.far === null || q.far > maxFar || q.f1 === null) continue;
      if (best === null || q.f1 > best.f1 || (q.f1 === best.f1 && point.channelCriticalZ > best.point.channelCriticalZ)) best = { point, f1: q.f1 };
    }
    const confusion = best ? heldOut.map((i) => best.point.perFile[i]).reduce(addConfusion, EMPTY_CONFUSION) : EMPTY_CONFUSION;
    return { heldOut, chosenZ: best?.point.channelCriticalZ ?? null, confusion };
  });
}

/** `count` folds of consecutive files (0..n−1), as even as they come: [[0,1,2,3],[4,5,6,7],…]. */
export function consecutiveFolds(n: number, count: number): number[][] {
  const k = Math.min(Math.max(1, count), n);
  return Array.from({ length: k }, (_, f) => {
    const from = Math.floor((f * n) / k);
    const to = Math.floor(((f + 1) * n) / k);
    return Array.from({ length: to - from }, (_, i) => from + i);
  });
}
