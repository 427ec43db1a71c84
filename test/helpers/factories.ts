import type { Reading } from '../../shared/readings/index.js';
import { seededRandom } from '../../infra/local/simulator.js';
import { toMskEvent, type MskEvent, type ProducedRecord } from '../../shared/readings/index.js';

export const T0 = Date.UTC(2026, 0, 5, 0, 0, 0); // a Monday

/** A valid reading; override any field. */
export function readingFactory(overrides: Partial<Reading> = {}): Reading {
  return { sensor_id: 'sensor-1', ts: T0, temperature: 20, pressure: 101, vibration: 0.5, status: 'OK', ...overrides };
}

/** Kafka records for readings on one topic partition, offsets from `firstOffset`, key = sensor_id. */
export function recordsFor(readings: readonly object[], options: { topic?: string; partition?: number; firstOffset?: number } = {}): ProducedRecord[] {
  const { topic = 'sensor_readings', partition = 0, firstOffset = 0 } = options;
  return readings.map((r, i) => {
    const body = r as { sensor_id?: unknown; ts?: unknown };
    return {
      topic,
      partition,
      offset: firstOffset + i,
      timestamp: typeof body.ts === 'number' ? body.ts : T0,
      key: typeof body.sensor_id === 'string' ? body.sensor_id : null,
      value: JSON.stringify(r),
    };
  });
}

/** An MSK event as the event source mapping delivers it. */
export function mskEventFactory(records: readonly ProducedRecord[]): MskEvent {
  return toMskEvent(records);
}

/** A small deterministic PRNG: the simulator's, so generated data is the same on every run. */
export const prng = seededRandom;

/** Standard normal from a uniform PRNG (Box–Muller). */
export function gaussian(rand: () => number): number {
  const u = Math.max(rand(), 1e-12);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rand());
}

/**
 * Readings of `sensors` sensors every `stepMs` from `start` to `end`, with a daily temperature
 * cycle, correlated pressure and noisy vibration; some values absent, some FAILED statuses.
 */
export function generateReadings(options: { sensors: number; start: number; end: number; stepMs: number; seed?: number; missingRate?: number }): Reading[] {
  const rand = prng(options.seed ?? 1);
  const out: Reading[] = [];
  for (let ts = options.start; ts < options.end; ts += options.stepMs) {
    for (let s = 0; s < options.sensors; s++) {
      const hour = new Date(ts).getUTCHours();
      const base = 20 + s + 5 * Math.sin((2 * Math.PI * hour) / 24);
      const temperature = base + gaussian(rand);
      const miss = options.missingRate ?? 0;
      out.push({
        sensor_id: `sensor-${s}`,
        ts: ts + Math.floor(rand() * 1000),
        temperature: rand() < miss ? null : temperature,
        pressure: rand() < miss ? null : 100 + 0.5 * temperature + gaussian(rand),
        vibration: rand() < miss ? null : Math.abs(0.5 + 0.1 * gaussian(rand)),
        status: rand() < 0.002 ? 'FAILED' : 'OK',
      });
    }
  }
  return out;
}
