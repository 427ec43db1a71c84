import { afterAll, describe, expect, it } from 'vitest';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { DuckDbSqlEngine } from '../../../shared/adapters/duckdb/index.js';
import type { RefreshPorts } from '../../../shared/refresh/index.js';
import { makeRefreshHandler } from '../../../functions/refresh/refresh.js';
import { scheduledEvent } from '../../../functions/refresh/schedule.js';
import { generateReadings, T0 } from '../../helpers/factories.js';
import { testEnvironment } from '../../helpers/stores.js';
import { writeBatch } from './lake-writer.js';

const HOUR = 3_600_000;

/** Powertools Metrics that also keeps what was added, so the test reads the figures. */
class RecordingMetrics extends Metrics {
  readonly added: { name: string; unit: string; value: number }[] = [];
  override addMetric(...args: Parameters<Metrics['addMetric']>): this {
    const [name, unit, value] = args;
    this.added.push({ name, unit, value });
    super.addMetric(...args);
    return this;
  }
}

describe('the refresh function', () => {
  const sql = new DuckDbSqlEngine();
  afterAll(() => sql.close());

  it('refreshes on a schedule tick and publishes the age of the version in force, also when a refresh fails', async () => {
    const env = await testEnvironment();
    const ports: RefreshPorts = { lake: env.ports.lake, reflections: env.ports.reflections, sql, lakeSql: { kind: 'duckdb', root: env.lakeDir } };
    await writeBatch(ports.lake, generateReadings({ sensors: 2, start: T0 - 2 * 24 * HOUR, end: T0, stepMs: HOUR }), { partition: 0, firstOffset: 0 });
    let clock = T0 + 5 * 60_000;
    const metrics = new RecordingMetrics({ namespace: 'Tideline', serviceName: 'refresh' });
    const logger = new Logger({ logLevel: 'SILENT' });
    const handler = makeRefreshHandler({ ports, metrics, logger, now: () => clock });

    const result = await handler(scheduledEvent(clock));
    expect(result).toMatchObject({ wroteVersion: true, sensors: 2, windowEnd: T0, refreshedAt: T0 + 5 * 60_000 });
    expect(metrics.added).toContainEqual({ name: 'ReflectionAgeSeconds', unit: 'Seconds', value: 0 });

    // The next tick's refresh fails (the SQL engine is gone): the version stays, its age grows.
    clock += HOUR;
    await writeBatch(ports.lake, generateReadings({ sensors: 2, start: T0, end: T0 + HOUR, stepMs: 10 * 60_000 }), { partition: 0, firstOffset: 1000 });
    const broken = makeRefreshHandler({ ports: { ...ports, sql: { dialect: 'duckdb', query: async () => { throw new Error('DuckDB is out of memory'); } } }, metrics, logger, now: () => clock });
    await expect(broken(scheduledEvent(clock))).rejects.toThrow('DuckDB is out of memory');
    expect((await ports.reflections.currentPointer())?.version).toBe(result.version);
    expect(metrics.added.at(-1)).toEqual({ name: 'ReflectionAgeSeconds', unit: 'Seconds', value: 3600 });

    await expect(handler({ detail: 'not a schedule' })).rejects.toThrow('refresh expects an EventBridge scheduled event (source, detail-type, time)');
  });
});
