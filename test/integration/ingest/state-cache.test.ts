import { describe, expect, it } from 'vitest';
import { DirectoryObjectStore, dynamoClientFrom, ingestPortsFrom } from '../../../shared/adapters/index.js';
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
  state.getSensorWindows = async (ids) => {
    reads.windows += ids.length;
    return ports.state.getSensorWindows(ids);
  };
  const minuteSummaries = Object.create(ports.minuteSummaries) as IngestPorts['minuteSummaries'];
  minuteSummaries.getMany = async (keys) => {
    reads.summaries += keys.length;
    return ports.minuteSummaries.getMany(keys);
  };
  return { ports: { ...ports, state, minuteSummaries }, reads };
}

describe('the warm executor’s state cache', () => {
  it('reads each sensor’s window and each minute summary back only once across the batches of one warm executor', async () => {
    const env = await seeded();
    const { ports, reads } = countingReads(env);
    const batches = await deliver(stream(), env, 1, () => ports);
    expect(batches).toBeGreaterThan(20);
    // One miss per sensor, then only what this executor committed itself.
    expect(reads.windows).toBe(SENSORS);
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
    expect(second.reads.windows).toBeGreaterThan(SENSORS);

    expect(await snapshotOutputs(shared)).toEqual(await snapshotOutputs(alone));
  });
});
