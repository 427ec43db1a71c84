import { describe, expect, it } from 'vitest';
import { DirectoryObjectStore, documentClient, DynamoIngestStateStore, dynamoClientFrom, ingestPortsFrom } from '../../../shared/adapters/index.js';
import { ingestBatch, type IngestPorts } from '../../../shared/ingest/index.js';
import type { ProducedRecord } from '../../../shared/readings/index.js';
import { generateReadings, mskEventFactory, prng, recordsFor, T0 } from '../../helpers/factories.js';
import { snapshotOutputs } from '../../helpers/snapshot.js';
import { seedReflections, testEnvironment, type TestEnvironment } from '../../helpers/stores.js';

const DAY = 86_400_000;
const SENSORS = 6;

/** Sensor i on partition i % 2, an hour of readings every 20 s, some with spikes. */
function stream(): ProducedRecord[][] {
  const readings = generateReadings({ sensors: SENSORS, start: T0, end: T0 + 3_600_000, stepMs: 20_000, seed: 11, missingRate: 0.05 });
  const rand = prng(12);
  const spiked = readings.map((r) => (rand() < 0.04 && r.temperature !== null ? { ...r, temperature: r.temperature + 15 } : r));
  return [0, 1].map((p) => recordsFor(spiked.filter((r) => Number(r.sensor_id.split('-')[1]) % 2 === p), { partition: p }));
}

async function seeded(): Promise<TestEnvironment> {
  const env = await testEnvironment();
  const history = generateReadings({ sensors: SENSORS, start: T0 - 30 * DAY, end: T0, stepMs: 900_000, seed: 3 });
  await seedReflections(env, Array.from({ length: SENSORS }, (_, s) => `sensor-${s}`), history, T0);
  return env;
}

/** Batches of random size from both partitions; `portsFor(i)` gives the ports that ingest batch i. */
async function deliver(records: ProducedRecord[][], env: TestEnvironment, seed: number, portsFor: (batch: number) => IngestPorts): Promise<number> {
  const rand = prng(seed);
  const next = records.map(() => 0);
  let batches = 0;
  while (next.some((n, p) => n < records[p].length)) {
    const batch: ProducedRecord[] = [];
    for (let p = 0; p < records.length; p++) {
      const size = 1 + Math.floor(rand() * 40);
      batch.push(...records[p].slice(next[p], next[p] + size));
      next[p] = Math.min(records[p].length, next[p] + size);
    }
    await ingestBatch(mskEventFactory(batch), portsFor(batches++), env.config);
  }
  return batches;
}

/** The ports of `env` with the reads of windows and minute summaries counted. */
function countingReads(env: TestEnvironment): { ports: IngestPorts; reads: { windows: number; summaries: number } } {
  const ports = ingestPortsFrom(env.config, dynamoClientFrom(env.config), new DirectoryObjectStore(env.lakeDir));
  const reads = { windows: 0, summaries: 0 };
  const state = Object.create(ports.state) as IngestPorts['state'];
  state.getWindowBuckets = async (layout, keys) => {
    reads.windows += keys.length;
    return ports.state.getWindowBuckets(layout, keys);
  };
  const minuteSummaries = Object.create(ports.minuteSummaries) as IngestPorts['minuteSummaries'];
  minuteSummaries.getMany = async (keys) => {
    reads.summaries += keys.length;
    return ports.minuteSummaries.getMany(keys);
  };
  return { ports: { ...ports, state, minuteSummaries }, reads };
}

describe('the warm executor’s state cache', () => {
  it('reads each window bucket and each minute summary back only once across the batches of one warm executor', async () => {
    const env = await seeded();
    const { ports, reads } = countingReads(env);
    const batches = await deliver(stream(), env, 1, () => ports);
    expect(batches).toBeGreaterThan(20);
    // Each partition's one window bucket once, and each sensor once where windows were stored
    // one per sensor before buckets; then only what this executor committed itself.
    expect(reads.windows).toBe(2 + SENSORS);
    // One miss per sensor, minute and classification: far fewer than one per batch and sensor.
    expect(reads.summaries).toBeGreaterThan(0);
    expect(reads.summaries).toBeLessThan(SENSORS * 60 * 4);
  });

  it('writes what one executor writes when two warm executors take turns on the same partitions', async () => {
    const records = stream();
    const alone = await seeded();
    await deliver(records, alone, 5, () => alone.ports);

    // Two warm executors, each with its own cache, taking batches at random as consumers after a
    // rebalance would: each must notice the other moved the mark and read the state back.
    const shared = await seeded();
    const first = countingReads(shared);
    const second = countingReads(shared);
    const pick = prng(6);
    await deliver(records, shared, 5, () => (pick() < 0.5 ? first.ports : second.ports));
    // Read back whenever the other had moved the mark, not only once.
    expect(second.reads.windows).toBeGreaterThan(2 + SENSORS);

    expect(await snapshotOutputs(shared)).toEqual(await snapshotOutputs(alone));
  });
});

/** The ports of `env` with sensor windows stored in buckets of about `bytes` (0: one item per sensor). */
function withWindowBuckets(env: TestEnvironment, bytes: number): IngestPorts {
  const dynamo = dynamoClientFrom(env.config);
  const ports = ingestPortsFrom(env.config, dynamo, new DirectoryObjectStore(env.lakeDir));
  return { ...ports, state: new DynamoIngestStateStore(documentClient(dynamo), env.config.tables.state, { windowBucketBytes: bytes }) };
}

describe('window layouts', () => {
  it('writes the same outputs whether windows have an item per sensor, one bucket per partition, or buckets that grow', async () => {
    const records = stream();
    const runs = await Promise.all([0, 64 * 1024, 1024].map(async (bytes) => {
      const env = await seeded();
      await deliver(records, env, 9, () => withWindowBuckets(env, bytes));
      const marks = await Promise.all([0, 1].map((p) => env.ports.state.getPartitionMark('sensor_readings', p)));
      return { buckets: marks.map((m) => m?.windowBuckets), outputs: await snapshotOutputs(env) };
    }));
    expect(runs[0].buckets).toEqual([0, 0]);
    expect(runs[1].buckets).toEqual([1, 1]);
    // A few windows of about 2 KB outgrow 1 KB buckets: the partitions' buckets doubled.
    expect(runs[2].buckets.every((b) => (b ?? 0) > 1)).toBe(true);
    expect(runs[1].outputs).toEqual(runs[0].outputs);
    expect(runs[2].outputs).toEqual(runs[0].outputs);
  });

  it('ends with a clean run’s outputs when writes fail at random while buckets grow, and batches are redelivered differently', async () => {
    const records = stream();
    const clean = await seeded();
    await deliver(records, clean, 7, () => withWindowBuckets(clean, 0));

    const env = await seeded();
    const rand = prng(8);
    const ports = withWindowBuckets(env, 1024);
    const failing = <T extends object>(target: T, methods: (keyof T)[]): T => {
      const out = Object.create(target) as T;
      for (const m of methods) {
        const fn = (target[m] as (...a: unknown[]) => Promise<unknown>).bind(target);
        (out as Record<keyof T, unknown>)[m] = async (...args: unknown[]) => {
          if (rand() < 0.05) throw new Error(`injected failure before ${String(m)}`);
          const result = await fn(...args);
          if (rand() < 0.05) throw new Error(`injected failure after ${String(m)}`);
          return result;
        };
      }
      return out;
    };
    const faulty: IngestPorts = {
      ...ports,
      lake: failing(ports.lake, ['put']),
      state: failing(ports.state, ['putPartitionMark', 'putWindowBuckets', 'getWindowBuckets']),
      minuteSummaries: failing(ports.minuteSummaries, ['putMany']),
    };
    // Batches of random size; a failed one is redelivered from the committed offsets in other sizes.
    const next = records.map(() => 0);
    let failures = 0;
    while (next.some((n, p) => n < records[p].length)) {
      const p = next[0] < records[0].length && (next[1] >= records[1].length || rand() < 0.5) ? 0 : 1;
      const size = 1 + Math.floor(rand() * 40);
      try {
        await ingestBatch(mskEventFactory(records[p].slice(next[p], next[p] + size)), faulty, env.config);
        next[p] = Math.min(records[p].length, next[p] + size);
      } catch {
        failures++;
      }
    }
    expect(failures).toBeGreaterThan(10);
    expect((await env.ports.state.getPartitionMark('sensor_readings', 0))?.windowBuckets).toBeGreaterThan(1);
    expect(await snapshotOutputs(env)).toEqual(await snapshotOutputs(clean));
  });

  it('keeps windows stored one item per sensor when a partition moves to buckets', async () => {
    const records = stream();
    const perSensor = await seeded();
    await deliver(records, perSensor, 3, () => withWindowBuckets(perSensor, 0));

    // The first half with an item per sensor, the rest with buckets (as after an upgrade).
    const upgraded = await seeded();
    const half = records.map((r) => r.slice(0, r.length / 2));
    await deliver(half, upgraded, 3, () => withWindowBuckets(upgraded, 0));
    await deliver(records.map((r, p) => r.slice(half[p].length)), upgraded, 4, () => withWindowBuckets(upgraded, 64 * 1024));

    const lake = async (env: TestEnvironment) => (await snapshotOutputs(env)).lake;
    expect(await lake(upgraded)).toEqual(await lake(perSensor));
  });
});
