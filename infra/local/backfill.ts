import type { ObjectStore } from '../../shared/ports/index.js';
import { backfill, type HistorySource } from '../../shared/refresh/index.js';
import type { SensorSimulator } from './simulator.js';

const DAY_MS = 86_400_000;

/** Draws a progress bar on a terminal, or a line every 10 % elsewhere (logs, tests). */
export function progressBar(label: string, write: (s: string) => void, tty: boolean): (fraction: number) => void {
  let lastDecile = -1;
  let lastDrawn = -1;
  return (fraction) => {
    const f = Math.max(0, Math.min(1, fraction));
    if (tty) {
      const width = 30;
      const filled = Math.round(f * width);
      const percent = Math.round(f * 100);
      if (percent === lastDrawn) return;
      lastDrawn = percent;
      write(`\r${label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${String(percent).padStart(3)}%${f >= 1 ? '\n' : ''}`);
    } else {
      const decile = Math.floor(f * 10);
      if (decile > lastDecile) {
        lastDecile = decile;
        write(`${label} ${decile * 10}%\n`);
      }
    }
  };
}

/**
 * The simulator's clean history from `start` to `end`, every `stepMs`, as a history source for
 * the lake's backfill (lines are positions, so a re-import overwrites the same files).
 */
export function simulatorHistorySource(simulator: SensorSimulator, start: number, end: number, stepMs: number): HistorySource {
  const steps = Math.max(0, Math.ceil((end - start) / stepMs));
  const perStep = simulator.sensorIds.length;
  // About 50,000 readings a chunk, whole time steps only.
  const stepsPerChunk = Math.max(1, Math.floor(50_000 / Math.max(1, perStep)));
  return {
    name: `simulator://${perStep}-sensors/${new Date(start).toISOString()}`,
    size: steps * perStep,
    async *chunks() {
      let line = 2;
      for (let s = 0; s < steps; s += stepsPerChunk) {
        const from = start + s * stepMs;
        const to = Math.min(end, start + (s + stepsPerChunk) * stepMs);
        const readings = [];
        for (const reading of simulator.history(from, to, stepMs)) readings.push({ reading, line: line++ });
        yield { readings, progress: line - 2 };
      }
    },
  };
}

export interface BackfillOptions {
  readonly simulator: SensorSimulator;
  readonly lake: ObjectStore;
  /** Folds the lake into the reflections (the refresh handler, called as its schedule would). */
  readonly refresh: () => Promise<unknown>;
  /** History ends here (exclusive); live readings start at this time. */
  readonly until: number;
  /** @default 30 */
  readonly days?: number;
  /** Spacing of simulated history readings. @default 10 minutes */
  readonly stepMs?: number;
  readonly progress?: (fraction: number) => void;
}

/**
 * Gives a fresh data directory simulated history, so the first live readings are judged against
 * a real hour-of-day band instead of INSUFFICIENT_HISTORY: the simulator's clean readings go into
 * the lake through the same all-or-nothing import `tideline backfill` uses, then a refresh folds
 * them into a reflection version. The history is in the lake like any other, so later refreshes
 * keep it in the windows.
 */
export async function backfillHistory(options: BackfillOptions): Promise<{ readings: number }> {
  const days = options.days ?? 30;
  const step = options.stepMs ?? 600_000;
  const source = simulatorHistorySource(options.simulator, options.until - days * DAY_MS, options.until, step);
  const total = source.size ?? 1;
  const result = await backfill([source], options.lake, { onProgress: (p) => options.progress?.((0.8 * p.rows) / total) });
  options.progress?.(0.8);
  await options.refresh();
  options.progress?.(1);
  return { readings: result.rows };
}
