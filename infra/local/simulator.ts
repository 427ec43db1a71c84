import type { Reading, SensorStatus } from '../../shared/readings/index.js';

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

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;

export interface SimulatorOptions {
  /** @default 200 */
  readonly sensors?: number;
  /** @default 42 */
  readonly seed?: number;
  /** Probability that a live reading carries an injected spike. @default 0.002 */
  readonly anomalyRate?: number;
  /** Share of sensors that drift away from their normal level once live. @default 0.02 */
  readonly driftingShare?: number;
  /** Share of sensors that wear out once live: vibration climbs, then DEGRADED, then FAILED. @default 0.01 */
  readonly failingShare?: number;
  /** Temperature drift of a drifting sensor, in degrees per hour of live time. @default 6 */
  readonly driftPerHour?: number;
  /** Hours from going live until a failing sensor reports FAILED. @default 0.5 */
  readonly hoursToFailure?: number;
}

/** The kinds of trouble the simulator injects; each injected reading records which. */
export const GROUND_TRUTH_KIND = {
  /** A one-off temperature spike far outside the hour's band. */
  spike: 'spike',
  /** A sensor whose level has drifted more than 3 noise sigmas from normal. */
  drift: 'drift',
  /** A sensor wearing out: vibration climbing, status DEGRADED or FAILED. */
  failure: 'failure',
} as const;
export type GroundTruthKind = (typeof GROUND_TRUTH_KIND)[keyof typeof GROUND_TRUTH_KIND];

/** What the simulator did to one reading, so what was caught can be compared with what was injected. */
export interface GroundTruth {
  readonly sensor_id: string;
  readonly ts: number;
  readonly kind: GroundTruthKind;
  /** Temperature offset from the sensor's normal level, in degrees. */
  readonly offset: number;
}

/** A reading with the simulator's ground truth (null: a normal reading). */
export interface SimulatedReading {
  readonly reading: Reading;
  readonly injected: GroundTruth | null;
}

interface SensorTraits {
  readonly level: number;
  readonly amp: number;
  readonly phase: number;
  readonly noise: number;
  readonly behaviour: 'normal' | 'drifting' | 'failing';
  readonly driftSign: number;
}

/** Malformed records of the kinds real fleets send, each with the reason the executor should give. */
const MALFORMED = [
  (id: string) => `{"sensor_id": "${id}", "ts": "yesterday", "temperature": 20}`,
  (id: string) => `{"sensor_id": "${id}", "ts": "2026-01-01T00:00:00Z", "status": "BROKEN"}`,
  (id: string) => `{"sensor_id": "${id}", "temperature": 21.5`,
  (id: string) => `{"sensor_id": "${id}", "ts": "2026-01-01T00:00:00Z", "temperature": "hot"}`,
] as const;

/**
 * Simulated plant sensors. Each has its own level, daily temperature cycle and noise; pressure
 * follows temperature and vibration follows the temperature's excursion from its cycle, through a
 * load factor shared by the whole plant, so the three metrics are correlated as on real
 * equipment. Once live (after `goLive`), a few sensors drift and a few wear out until they
 * fail, and spikes are injected at `anomalyRate`; every reading so affected carries its ground
 * truth. History (`history`) is clean: it is what "normal" is learnt from.
 */
export class SensorSimulator {
  private readonly rand: () => number;
  private readonly traits: SensorTraits[];
  private liveStart: number | null = null;
  private load = 0;
  private loadTs = 0;
  readonly sensorIds: string[];

  constructor(private readonly options: SimulatorOptions = {}) {
    const n = options.sensors ?? 200;
    if (!Number.isInteger(n) || n < 0) throw new RangeError(`sensors must be a non-negative integer, got ${n}`);
    this.rand = seededRandom(options.seed ?? 42);
    this.sensorIds = Array.from({ length: n }, (_, i) => `sensor-${String(i).padStart(5, '0')}`);
    const drifting = Math.round(n * (options.driftingShare ?? 0.02));
    const failing = Math.round(n * (options.failingShare ?? 0.01));
    this.traits = this.sensorIds.map((_, i) => ({
      level: 15 + 30 * this.rand(),
      amp: 1 + 4 * this.rand(),
      phase: this.rand() * 2 * Math.PI,
      noise: 0.3 + 0.4 * this.rand(),
      // Spread the misbehaving sensors through the fleet, from the end, so sensor-00000 stays normal.
      behaviour: i >= n - drifting ? 'drifting' : i >= n - drifting - failing ? 'failing' : 'normal',
      driftSign: this.rand() < 0.5 ? -1 : 1,
    }));
  }

  /** Sensors that drift or wear out once live. */
  get misbehaving(): { sensor_id: string; behaviour: 'drifting' | 'failing' }[] {
    return this.traits.flatMap((t, i) => (t.behaviour === 'normal' ? [] : [{ sensor_id: this.sensorIds[i], behaviour: t.behaviour }]));
  }

  /** From `ts` on, drifting and failing sensors start to misbehave. */
  goLive(ts: number): void {
    this.liveStart = ts;
  }

  /** One reading of sensor `i` at event time `ts`; `inject` forces a spike, otherwise one comes at `anomalyRate`. */
  reading(i: number, ts: number, inject = false): SimulatedReading {
    const spike = inject || (this.liveStart !== null && this.rand() < (this.options.anomalyRate ?? 0.002));
    return this.sample(i, ts, spike, this.liveStart !== null);
  }

  /** Every sensor's reading at `ts` (live). */
  tick(ts: number): SimulatedReading[] {
    return this.sensorIds.map((_, i) => this.reading(i, ts));
  }

  /** A malformed record for sensor `i` (bad time, unknown status, broken JSON, wrong type), as raw text. */
  malformed(i: number): string {
    return MALFORMED[Math.floor(this.rand() * MALFORMED.length)](this.sensorIds[i]);
  }

  /** Every sensor's readings from `start` to `end` every `stepMs`: clean history, no injected trouble. */
  *history(start: number, end: number, stepMs: number): Generator<Reading> {
    for (let ts = start; ts < end; ts += stepMs) {
      for (let i = 0; i < this.sensorIds.length; i++) yield this.sample(i, ts, false, false).reading;
    }
  }

  /** The plant-wide load factor: a slow random walk pulled back to 0 (AR(1) in minutes). */
  private loadAt(ts: number): number {
    if (ts !== this.loadTs) {
      const steps = Math.min(60, Math.max(1, Math.abs(ts - this.loadTs) / 60_000));
      for (let s = 0; s < steps; s++) this.load = 0.97 * this.load + 0.25 * normal(this.rand);
      this.loadTs = ts;
    }
    return this.load;
  }

  private sample(i: number, ts: number, spike: boolean, live: boolean): SimulatedReading {
    const t = this.traits[i];
    const dayAngle = (2 * Math.PI * (ts % DAY_MS)) / DAY_MS;
    const expected = t.level + t.amp * Math.sin(dayAngle + t.phase);
    const excursion = 0.5 * t.noise * this.loadAt(ts) + t.noise * normal(this.rand);
    let offset = 0;
    let kind: GroundTruthKind | null = null;
    let status: SensorStatus = this.rand() < 0.0005 ? 'FAILED' : 'OK';
    let wear = 0;
    const liveHours = live && this.liveStart !== null ? Math.max(0, ts - this.liveStart) / HOUR_MS : 0;
    if (t.behaviour === 'drifting' && live) {
      offset = t.driftSign * (this.options.driftPerHour ?? 6) * liveHours;
      if (Math.abs(offset) > 3 * (t.noise + 0.3 * t.amp)) kind = GROUND_TRUTH_KIND.drift;
    } else if (t.behaviour === 'failing' && live) {
      wear = Math.min(1, liveHours / (this.options.hoursToFailure ?? 0.5));
      offset = 4 * t.amp * wear;
      status = wear >= 1 ? 'FAILED' : wear > 0.6 ? 'DEGRADED' : 'OK';
      if (wear > 0.6) kind = GROUND_TRUTH_KIND.failure;
    }
    if (spike) {
      offset += (this.rand() < 0.5 ? -1 : 1) * (4 + 3 * this.rand()) * t.amp;
      kind = GROUND_TRUTH_KIND.spike;
    }
    const temperature = expected + excursion + offset;
    const reading: Reading = {
      sensor_id: this.sensorIds[i],
      ts,
      temperature,
      pressure: 100 + 0.4 * temperature + 0.8 * normal(this.rand),
      vibration: Math.abs(0.3 + 0.04 * (excursion + offset) + 0.03 * normal(this.rand) + (spike ? 0.3 * this.rand() : 0) + 1.5 * wear * wear),
      status,
    };
    return { reading, injected: kind ? { sensor_id: reading.sensor_id, ts, kind, offset } : null };
  }
}
