import { describe, expect, it } from 'vitest';
import { makeExecutorHandler } from '../../../functions/executor/executor.js';
import { listLakeFiles, loadQueryConfig, parseQuerySpec, planSlices, type SliceResult } from '../../../shared/query/index.js';
import { EventShapeError } from '../../../shared/readings/index.js';
import { duckdb, rows } from '../../helpers/duckdb.js';
import { mskEventFactory, readingFactory, recordsFor, T0 } from '../../helpers/factories.js';
import { testEnvironment } from '../../helpers/stores.js';

describe('executor handler', () => {
  it('rejects an event that is not an MSK batch, so nothing is half-processed', async () => {
    const env = await testEnvironment();
    const handler = makeExecutorHandler({ ports: env.ports, config: env.config });
    await expect(handler({ Records: [] })).rejects.toThrow(EventShapeError);
    await expect(handler({ eventSource: 'aws:kafka', records: { 'sensor_readings-0': [{ topic: 'sensor_readings' }] } })).rejects.toThrow(
      'records["sensor_readings-0"][0] has no topic, integer partition and integer offset',
    );
  });

  it('writes device_status records to the lake for the failure history, and dead-letters records of a topic it does not read', async () => {
    const env = await testEnvironment();
    const handler = makeExecutorHandler({ ports: env.ports, config: env.config });
    const status = recordsFor([{ sensor_id: 'pump-1', ts: T0, status: 'FAILED' }], { topic: 'device_status' });
    const unknown = recordsFor([readingFactory()], { topic: 'telemetry' });
    const result = await handler(mskEventFactory([...status, ...unknown]));
    expect(result).toMatchObject({ records: 2, processed: 1, deadLetters: 1 });
    const conn = await duckdb();
    expect(await rows(conn, `SELECT sensor_id, status FROM read_parquet('${env.lakeDir}/device_status/**/*.parquet')`)).toEqual([
      { sensor_id: 'pump-1', status: 'FAILED' },
    ]);
  });

  it('answers a query slice with a result that survives JSON, as a Lambda Invoke returns it', async () => {
    const env = await testEnvironment();
    const handler = makeExecutorHandler({ ports: env.ports, config: env.config });
    const readings = Array.from({ length: 5 }, (_, i) => readingFactory({ sensor_id: `pump-${i}`, ts: T0 + i * 1000, temperature: 20 + i }));
    await handler(mskEventFactory(recordsFor(readings)));
    const spec = parseQuerySpec({ select: 'rows', columns: ['sensor_id', 'ts', 'temperature'], from: T0, to: T0 + 60_000 }, loadQueryConfig({}), T0);
    const [slice] = planSlices(spec, await listLakeFiles(env.ports.lake, spec.from, spec.to), 'q');
    const result = (await handler(slice)) as Extract<SliceResult, { kind: 'rows' }>;
    expect(JSON.parse(JSON.stringify(result))).toEqual(result);
    expect(result.values).toEqual([readings.map((r) => r.sensor_id), readings.map((r) => r.ts), readings.map((r) => r.temperature)]);
  });
});
