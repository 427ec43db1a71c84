import type { Reading } from '../../shared/readings/index.js';
import { reflectionFromReadings } from '../../shared/reflections/index.js';
import type { IngestPorts } from '../../shared/ingest/index.js';
import type { SensorSimulator } from './simulator.js';

const DAY_MS = 86_400_000;

/** Draws a progress bar on a terminal, or a line every 10 % elsewhere (logs, tests). */
export function progressBar(label: string, write: (s: string) => void, tty: boolean): (fraction: number) => void {
  let lastDecile = -1;
  return (fraction) => {
    const f = Math.max(0, Math.min(1, fraction));
    if (tty) {
      const width = 30;
      const filled = Math.round(f * width);
      write(`\r${label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${String(Math.round(f * 100)).padStart(3)}%${f >= 1 ? '\n' : ''}`);
    } else {
      const decile = Math.floor(f * 10);
      if (decile > lastDecile) {
        lastDecile = decile;
        write(`${label} ${decile * 10}%\n`);
      }
    }
  };
}

export interface BackfillOptions {
  readonly simulator: SensorSimulator;
  readonly ports: IngestPorts;
  /** History ends here (exclusive); live readings start at this time. */
  readonly until: number;
  /** @default 30 */
  readonly days?: number;
  /** Spacing of simulated history readings. @default 10 minutes */
  readonly stepMs?: number;
  readonly progress?: (fraction: number) => void;
}

/**
 * Gives a fresh data directory 30 simulated days of history, so the first live readings are
 * judged against a real hour-of-day band instead of INSUFFICIENT_HISTORY. The history is the
 * simulator's clean readings, materialised as one reflection version through the reflection
 * model's reference computation, then made current with the same conditional pointer flip a
 * refresh uses. Returns the version written.
 */
export async function backfillReflections(options: BackfillOptions): Promise<{ version: string; readings: number }> {
  const days = options.days ?? 30;
  const step = options.stepMs ?? 600_000;
  const start = options.until - days * DAY_MS;
  const bySensor = new Map<string, Reading[]>(options.simulator.sensorIds.map((id) => [id, []]));
  let count = 0;
  const total = Math.ceil((options.until - start) / step) * options.simulator.sensorIds.length;
  for (const r of options.simulator.history(start, options.until, step)) {
    (bySensor.get(r.sensor_id) as Reading[]).push(r);
    if (++count % 50_000 === 0) {
      options.progress?.((0.8 * count) / total);
      // Let timers and HTTP (health) run during a long backfill.
      await new Promise((resolve) => setImmediate(resolve));
    }
  }
  const version = `backfill-${options.until}`;
  const reflections = [...bySensor].map(([id, list]) => reflectionFromReadings(id, version, list, options.until));
  options.progress?.(0.9);
  await options.ports.reflections.putReflections(reflections, options.until + 90 * DAY_MS);
  const current = await options.ports.reflections.currentPointer();
  await options.ports.reflections.flipPointer({ version, refreshedAt: Date.now(), windowEnd: options.until }, current?.version ?? null);
  options.progress?.(1);
  return { version, readings: count };
}
