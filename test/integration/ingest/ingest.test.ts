import { describe, expect, it, beforeAll } from 'vitest';
import { DuckDBInstance } from '@duckdb/node-api';
import { ingestBatch } from '../../../shared/ingest/index.js';
import { generateReadings, mskEventFactory, recordsFor, readingFactory, T0 } from '../../helpers/factories.js';
import { seedReflections, testEnvironment, type TestEnvironment } from '../../helpers/stores.js';

const DAY = 86_400_000;

describe('ingest against DynamoDB Local and a lake directory', () => {
  let env: TestEnvironment;
  beforeAll(async () => {
    env = await testEnvironment();
    const history = generateReadings({ sensors: 3, start: T0 - 30 * DAY, end: T0, stepMs: 600_000 });
    await seedReflections(env, ['sensor-0', 'sensor-1', 'sensor-2'], history, T0);
  });

  it('judges readings, writes the lake, and dead-letters a bad record', async () => {
    const readings = [
      readingFactory({ sensor_id: 'sensor-0', ts: T0 + 1000, temperature: 20 }),
      readingFactory({ sensor_id: 'sensor-0', ts: T0 + 2000, temperature: 60 }),
    ];
    const records = [...recordsFor(readings), { topic: 'sensor_readings', partition: 0, offset: 2, timestamp: T0, key: 'sensor-0', value: '{bad json' }];
    const result = await ingestBatch(mskEventFactory(records), env.ports, env.config);
    expect(result).toMatchObject({ records: 3, processed: 2, deadLetters: 1, critical: 1, alertsOpened: 1 });

    const db = await DuckDBInstance.create(':memory:');
    const conn = await db.connect();
    const rows = (await conn.runAndReadAll(
      `SELECT temperature, anomaly_classification FROM read_parquet('${env.lakeDir}/readings/**/*.parquet', hive_partitioning = true) ORDER BY kafka_offset`,
    )).getRowObjectsJson();
    expect(rows).toEqual([
      { temperature: 20, anomaly_classification: 'NORMAL' },
      { temperature: 60, anomaly_classification: 'CRITICAL_ANOMALY' },
    ]);
  });
});
