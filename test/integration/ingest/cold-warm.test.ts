import { describe, expect, it } from 'vitest';
import { ingestPortsFrom, DirectoryObjectStore, dynamoClientFrom } from '../../../shared/adapters/index.js';
import { ingestBatch } from '../../../shared/ingest/index.js';
import { duckdb, lakeRows } from '../../helpers/duckdb.js';
import { generateReadings, mskEventFactory, prng, recordsFor, T0 } from '../../helpers/factories.js';
import { seedReflections, testEnvironment, type TestEnvironment } from '../../helpers/stores.js';

const DAY = 86_400_000;

async function seeded(): Promise<TestEnvironment> {
  const env = await testEnvironment();
  const history = generateReadings({ sensors: 5, start: T0 - 30 * DAY, end: T0, stepMs: 900_000, seed: 4 });
  await seedReflections(env, Array.from({ length: 5 }, (_, s) => `sensor-${s}`), history, T0);
  return env;
}

describe('cold = warm', () => {
  it('gives identical enriched rows when the stream is split differently and every batch runs in a fresh process', async () => {
    const readings = generateReadings({ sensors: 5, start: T0, end: T0 + 2 * 3_600_000, stepMs: 30_000, seed: 8, missingRate: 0.05 });
    const records = recordsFor(readings);

    // Warm: one long-lived set of ports (reflection cache kept), batches of 1,000.
    const warm = await seeded();
    for (let i = 0; i < records.length; i += 1000) await ingestBatch(mskEventFactory(records.slice(i, i + 1000)), warm.ports, warm.config);

    // Cold: new ports for every batch (nothing cached), batches of random size.
    const cold = await seeded();
    const rand = prng(2);
    for (let i = 0; i < records.length; ) {
      const size = 1 + Math.floor(rand() * 200);
      const ports = ingestPortsFrom(cold.config, dynamoClientFrom(cold.config), new DirectoryObjectStore(cold.lakeDir));
      await ingestBatch(mskEventFactory(records.slice(i, i + size)), ports, cold.config);
      i += size;
    }

    const warmRows = await lakeRows(await duckdb(), warm.lakeDir);
    expect(warmRows).toHaveLength(readings.length);
    expect(warmRows.filter((r) => r.temp_rate_of_change !== null).length).toBeGreaterThan(readings.length / 2);
    expect(await lakeRows(await duckdb(), cold.lakeDir)).toEqual(warmRows);
  });
});
