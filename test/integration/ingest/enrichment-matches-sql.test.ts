import { beforeAll, describe, expect, it } from 'vitest';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DEFAULT_JUDGMENT_CONFIG, ENRICHED_COLUMNS, fixedViewsSql, profileTablesSql } from '../../../shared/judgment/index.js';
import { ingestBatch } from '../../../shared/ingest/index.js';
import { encodeParquet } from '../../../shared/lake/index.js';
import type { Reading } from '../../../shared/readings/index.js';
import { duckdb, lakeRows, rows } from '../../helpers/duckdb.js';
import { gaussian, generateReadings, mskEventFactory, prng, T0 } from '../../helpers/factories.js';
import { seedReflections, testEnvironment } from '../../helpers/stores.js';

const DAY = 86_400_000;
const SENSORS = 4;
const READING_COLUMNS = [['sensor_id', 'string'], ['ts', 'timestamp'], ['temperature', 'double'], ['pressure', 'double'], ['vibration', 'double'], ['status', 'string']] as const;

/** Equal to 1e-9 relative (1e-9 absolute near zero), or both null, or equal strings. */
function close(a: unknown, b: unknown): boolean {
  if (a === null || b === null || typeof a !== 'number' || typeof b !== 'number') return a === b;
  return Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a), Math.abs(b));
}

describe('enrichment', () => {
  let lake: Record<string, unknown>[];
  let sql: Record<string, unknown>[];

  beforeAll(async () => {
    const env = await testEnvironment();
    const history = generateReadings({ sensors: SENSORS, start: T0 - 90 * DAY, end: T0, stepMs: 600_000, missingRate: 0.03, seed: 7 });
    await seedReflections(env, Array.from({ length: SENSORS }, (_, s) => `sensor-${s}`), history, T0);

    // Live readings: in order per sensor, uneven steps, missing metrics, spikes of several sizes.
    const rand = prng(11);
    const live: { reading: Reading; partition: number; offset: number }[] = [];
    const next = [0, 1_000_000];
    for (let i = 0; i < 750; i++) {
      for (let s = 0; s < SENSORS; s++) {
        const ts = T0 + i * 60_000 + s * 1000 + Math.floor(rand() * 30_000);
        const hour = new Date(ts).getUTCHours();
        const spike = rand() < 0.02 ? 10 : rand() < 0.005 ? 80 : 0;
        const t = 20 + s + 5 * Math.sin((2 * Math.PI * hour) / 24) + gaussian(rand) + spike;
        const reading: Reading = {
          sensor_id: `sensor-${s}`,
          ts,
          temperature: rand() < 0.03 ? null : t,
          pressure: rand() < 0.03 ? null : 100 + 0.5 * t + gaussian(rand),
          vibration: rand() < 0.03 ? null : Math.abs(0.5 + 0.1 * gaussian(rand) + (spike ? 0.5 : 0)),
          status: 'OK',
        };
        const partition = s % 2;
        live.push({ reading, partition, offset: next[partition]++ });
      }
    }
    for (let i = 0; i < live.length; i += 500) {
      const records = live.slice(i, i + 500).map(({ reading, partition, offset }) => ({
        topic: 'sensor_readings', partition, offset, timestamp: reading.ts, key: reading.sensor_id, value: JSON.stringify(reading),
      }));
      await ingestBatch(mskEventFactory(records), env.ports, env.config);
    }

    const conn = await duckdb();
    const historyFile = join(env.lakeDir, 'history.parquet');
    const liveFile = join(env.lakeDir, 'live.parquet');
    await writeFile(historyFile, encodeParquet(READING_COLUMNS, history));
    await writeFile(liveFile, encodeParquet([...READING_COLUMNS, ['kafka_offset', 'bigint']], live.map((l) => ({ ...l.reading, kafka_offset: l.offset }))));
    await conn.run(`CREATE TABLE history AS SELECT * FROM '${historyFile}'; CREATE TABLE live AS SELECT * FROM '${liveFile}';`);
    await conn.run(profileTablesSql(T0));
    sql = await rows(conn, fixedViewsSql(DEFAULT_JUDGMENT_CONFIG));
    lake = (await lakeRows(conn, env.lakeDir)).sort((a, b) => (a.kafka_offset as number) - (b.kafka_offset as number));
  });

  it('writes one lake row per reading with every enriched column', () => {
    expect(lake).toHaveLength(SENSORS * 750);
    expect(Object.keys(lake[0]).sort()).toEqual(ENRICHED_COLUMNS.map(([c]) => c).sort());
  });

  it('covers every classification and the whole risk ladder in this data', () => {
    expect(new Set(lake.map((r) => r.anomaly_classification))).toEqual(new Set(['NORMAL', 'WARNING', 'CRITICAL_ANOMALY', 'INSUFFICIENT_HISTORY']));
    expect(new Set(lake.map((r) => r.predictive_failure_risk))).toEqual(new Set([0.1, 0.6, 0.7, 0.9]));
  });

  // Every column the fixed SQL defines, except the p95 (a sketch: checked below within its error).
  const SQL_COLUMNS = ['avg_temp_historical', 'stddev_temp_historical', 'max_pressure_historical', 'reading_count', 'temperature_z_score',
    'anomaly_classification', 'temp_deviation', 'seasonal_temp_mean', 'seasonal_z_score', 'temp_ma_5min', 'vibration_stddev_10min',
    'temp_rate_of_change', 'historical_temp_mean', 'historical_temp_stddev', 'historical_vibration_stddev', 'day_temp_avg', 'night_temp_avg',
    'historical_failure_count', 'last_failure_ts', 'z_score', 'temp_z_score', 'temp_seasonal_deviation', 'days_since_failure',
    'mahalanobis_distance', 'anomaly_score', 'predictive_failure_risk'];

  it('checks every column the fixed SQL defines', () => {
    expect(Object.keys(sql[0]).sort()).toEqual([...SQL_COLUMNS, 'historical_pressure_p95', 'kafka_offset'].sort());
  });

  it.each(SQL_COLUMNS)('computes %s as the fixed SQL does, to 1e-9 relative', (column) => {
    const mismatches = lake
      .map((row, i) => ({ offset: row.kafka_offset, ours: row[column], sql: sql[i][column] }))
      .filter((m, i) => sql[i].kafka_offset !== m.offset || !close(m.ours, m.sql));
    expect(mismatches.slice(0, 5)).toEqual([]);
    expect(lake.some((r) => r[column] !== null)).toBe(true);
  });

  it('takes historical_pressure_p95 from a sketch within its 1 % relative error of the exact p95', () => {
    for (let i = 0; i < lake.length; i++) {
      const ours = lake[i].historical_pressure_p95 as number;
      const exact = sql[i].historical_pressure_p95 as number;
      expect(Math.abs(ours - exact)).toBeLessThanOrEqual(0.011 * Math.abs(exact));
    }
  });
});
