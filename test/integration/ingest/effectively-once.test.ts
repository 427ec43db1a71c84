import { beforeAll, describe, expect, it } from 'vitest';
import { ingestBatch, type IngestPorts } from '../../../shared/ingest/index.js';
import type { ProducedRecord } from '../../../shared/readings/index.js';
import { gaussian, generateReadings, mskEventFactory, prng, T0 } from '../../helpers/factories.js';
import { snapshotOutputs } from '../../helpers/snapshot.js';
import { seedReflections, testEnvironment, type TestEnvironment } from '../../helpers/stores.js';

const DAY = 86_400_000;
const SENSORS = 6;
const PARTITIONS = 3;
const PER_PARTITION = 300;

/** A stream on three partitions (sensor i on partition i % 3) with spikes and some malformed records. */
function stream(seed: number): ProducedRecord[][] {
  const rand = prng(seed);
  const byPartition: ProducedRecord[][] = Array.from({ length: PARTITIONS }, () => []);
  for (let p = 0; p < PARTITIONS; p++) {
    for (let offset = 0; offset < PER_PARTITION; offset++) {
      const s = p + PARTITIONS * Math.floor(rand() * (SENSORS / PARTITIONS));
      const ts = T0 + offset * 20_000 + Math.floor(rand() * 5000);
      const spike = rand() < 0.05 ? 15 : 0;
      const body = rand() < 0.03
        ? '{"sensor_id": 42}'
        : JSON.stringify({ sensor_id: `sensor-${s}`, ts, temperature: 20 + s + gaussian(rand) + spike, pressure: 110 + gaussian(rand), vibration: 0.5 + 0.1 * gaussian(rand) });
      byPartition[p].push({ topic: 'sensor_readings', partition: p, offset, timestamp: ts, key: `sensor-${s}`, value: body });
    }
  }
  return byPartition;
}

async function seededEnvironment(): Promise<TestEnvironment> {
  const env = await testEnvironment();
  const history = generateReadings({ sensors: SENSORS, start: T0 - 30 * DAY, end: T0, stepMs: 900_000, seed: 3 });
  await seedReflections(env, Array.from({ length: SENSORS }, (_, s) => `sensor-${s}`), history, T0);
  return env;
}

/** Delivers the stream in batches of random size, partitions interleaved, as an event source mapping would. */
async function deliver(records: ProducedRecord[][], ports: IngestPorts, env: TestEnvironment, rand: () => number, onFailure?: () => void): Promise<void> {
  const next = records.map(() => 0);
  while (next.some((n, p) => n < records[p].length)) {
    const batch: ProducedRecord[] = [];
    const taken: [number, number][] = [];
    for (let p = 0; p < records.length; p++) {
      if (next[p] >= records[p].length || rand() < 0.3) continue;
      const size = 1 + Math.floor(rand() * 60);
      const slice = records[p].slice(next[p], next[p] + size);
      batch.push(...slice);
      taken.push([p, slice.length]);
    }
    if (batch.length === 0) continue;
    try {
      await ingestBatch(mskEventFactory(batch), ports, env.config);
      for (const [p, n] of taken) next[p] += n;
    } catch {
      // Not committed: the same records come again, in batches of other sizes.
      onFailure?.();
    }
  }
}

/** Ports that fail at random, before or after doing the write (a timeout after success looks the same). */
function faultyPorts(ports: IngestPorts, rand: () => number, rate: number): IngestPorts {
  const wrap = <T extends object>(target: T, methods: (keyof T)[]): T => {
    const out = Object.create(target) as T;
    for (const m of methods) {
      const fn = (target[m] as (...a: unknown[]) => Promise<unknown>).bind(target);
      (out as Record<keyof T, unknown>)[m] = async (...args: unknown[]) => {
        if (rand() < rate) throw new Error(`injected failure before ${String(m)}`);
        const result = await fn(...args);
        if (rand() < rate) throw new Error(`injected failure after ${String(m)}`);
        return result;
      };
    }
    return out;
  };
  return {
    ...ports,
    lake: wrap(ports.lake, ['put', 'delete']),
    state: wrap(ports.state, ['putPartitionMark', 'putWindowBuckets', 'getWindowBuckets']),
    minuteSummaries: wrap(ports.minuteSummaries, ['putMany', 'getMany']),
    alerts: wrap(ports.alerts, ['apply']),
    deadLetters: wrap(ports.deadLetters, ['putMany']),
  };
}

describe('effectively once', () => {
  const records = stream(5);
  let clean: TestEnvironment;
  let expected: Record<string, unknown>;

  beforeAll(async () => {
    clean = await seededEnvironment();
    await deliver(records, clean.ports, clean, prng(1));
    expected = await snapshotOutputs(clean);
  });

  it('writes every record once: a lake row per reading, a dead letter per malformed record', () => {
    const lake = expected.lake as { kafka_partition: number; kafka_offset: number }[];
    const dead = expected.deadLetters as unknown[];
    expect(lake.length + dead.length).toBe(PARTITIONS * PER_PARTITION);
    expect(new Set(lake.map((r) => `${r.kafka_partition}:${r.kafka_offset}`)).size).toBe(lake.length);
    expect((expected.alerts as unknown[]).length).toBeGreaterThan(0);
  });

  it('changes nothing when 100 already-processed batches are delivered again, whole, overlapping and reordered', async () => {
    const rand = prng(9);
    for (let i = 0; i < 100; i++) {
      const batch: ProducedRecord[] = [];
      for (const p of [0, 1, 2].sort(() => rand() - 0.5)) {
        if (rand() < 0.3) continue;
        const from = Math.floor(rand() * PER_PARTITION);
        batch.push(...records[p].slice(from, from + 1 + Math.floor(rand() * 80)));
      }
      if (batch.length > 0) await ingestBatch(mskEventFactory(batch), clean.ports, clean.config);
    }
    expect(await snapshotOutputs(clean)).toEqual(expected);
  });

  it('ends with the same outputs as a clean run when writes fail at random and batches are redelivered differently', async () => {
    const env = await seededEnvironment();
    const rand = prng(21);
    let failures = 0;
    await deliver(records, faultyPorts(env.ports, rand, 0.04), env, rand, () => failures++);
    expect(failures).toBeGreaterThan(10);
    expect(await snapshotOutputs(env)).toEqual(expected);
  });
});
