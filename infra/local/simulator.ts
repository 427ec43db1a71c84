import type { Reading } from '../../shared/readings/index.js';

/** A small deterministic PRNG (mulberry32): the same seed gives the same sensors. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function normal(rand: () => number): number {
  return Math.sqrt(-2 * Math.log(Math.max(rand(), 1e-12))) * Math.cos(2 * Math.PI * rand());
}

export interface SimulatorOptions {
  /** @default 200 */
  readonly sensors?: number;
  /** @default 42 */
  readonly seed?: number;
  /** Probability that a live reading carries an injected anomaly. @default 0.002 */
  readonly anomalyRate?: number;
}

/** A reading with the simulator's ground truth: was an anomaly injected? */
export interface SimulatedReading {
  readonly reading: Reading;
  readonly injected: boolean;
}

/**
 * Simulated plant sensors: each has its own level, a daily temperature cycle, pressure that
 * follows temperature, vibration noise, rare FAILED statuses, and (when asked) injected spikes
 * whose ground truth is returned with the reading.
 */
export class SensorSimulator {
  private readonly rand: () => number;
  private readonly levels: { temp: number; amp: number; phase: number }[];
  readonly sensorIds: string[];

  constructor(private readonly options: SimulatorOptions = {}) {
    this.rand = seededRandom(options.seed ?? 42);
    const n = options.sensors ?? 200;
    this.sensorIds = Array.from({ length: n }, (_, i) => `sensor-${String(i).padStart(5, '0')}`);
    this.levels = this.sensorIds.map(() => ({ temp: 15 + 30 * this.rand(), amp: 1 + 4 * this.rand(), phase: this.rand() * 2 * Math.PI }));
  }

  /** One reading of sensor `i` at event time `ts`; `inject` forces an anomaly, otherwise one is injected at `anomalyRate`. */
  reading(i: number, ts: number, inject = false): SimulatedReading {
    const injected = inject || this.rand() < (this.options.anomalyRate ?? 0.002);
    return { injected, reading: this.sample(i, ts, injected) };
  }

  /** Every sensor's readings from `start` to `end` every `stepMs` (history: no injected anomalies). */
  *history(start: number, end: number, stepMs: number): Generator<Reading> {
    for (let ts = start; ts < end; ts += stepMs) {
      for (let i = 0; i < this.sensorIds.length; i++) yield this.sample(i, ts, false);
    }
  }

  private sample(i: number, ts: number, injected: boolean): Reading {
    const l = this.levels[i];
    const dayAngle = (2 * Math.PI * (ts % 86_400_000)) / 86_400_000;
    let temperature = l.temp + l.amp * Math.sin(dayAngle + l.phase) + 0.5 * normal(this.rand);
    if (injected) temperature += (this.rand() < 0.5 ? -1 : 1) * (8 + 6 * this.rand()) * l.amp * 0.5;
    return {
      sensor_id: this.sensorIds[i],
      ts,
      temperature,
      pressure: 100 + 0.4 * temperature + 0.8 * normal(this.rand),
      vibration: Math.abs(0.3 + 0.05 * normal(this.rand) + (injected ? 0.3 * this.rand() : 0)),
      status: this.rand() < 0.0005 ? 'FAILED' : 'OK',
    };
  }
}
