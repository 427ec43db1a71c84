import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { tableFromIPC } from 'apache-arrow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ANOMALY_CLASSIFICATIONS } from '../../../shared/judgment/index.js';
import { ARROW_STREAM, METRIC_COLUMNS, QUERY_COLUMNS, VIEWS, type Aggregate, type GroupKey } from '../../../shared/query/index.js';
import { QUANTILE_RELATIVE_ACCURACY } from '../../../shared/stats/index.js';
import type { ApiServer } from '../../../infra/local/api-server.js';
import { prng, T0 } from '../../helpers/factories.js';
import { API_KEY, LIVE_END, postQuery, queryFixture, serveCoordinator, SENSORS, type QueryFixture } from './lake-fixture.js';

type Rand = () => number;
const pick = <T>(rand: Rand, xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)];
const subset = <T>(rand: Rand, xs: readonly T[], max: number): T[] => {
  const n = 1 + Math.floor(rand() * max);
  return [...new Set(Array.from({ length: n }, () => pick(rand, xs)))];
};

interface Spec {
  sensors?: string[];
  sensor_prefix?: string;
  from: number;
  to: number;
  where?: { classification?: string[]; status?: string[] };
  select?: 'rows';
  group_by?: GroupKey[];
  metrics?: string[];
  aggregates?: Aggregate[];
  columns?: string[];
  limit?: number;
  fan_out: number;
}

/** A random spec: sensors by id, prefix or all; any range inside or around the data; any grouping and aggregates. */
function randomSpec(rand: Rand, fanOut: number): Spec {
  const a = T0 - 1_800_000 + Math.floor(rand() * 7 * 3_600_000);
  const b = a + 60_000 + Math.floor(rand() * 7 * 3_600_000);
  const spec: Spec = { from: a, to: b, fan_out: fanOut };
  const who = rand();
  if (who < 0.3) spec.sensors = subset(rand, Array.from({ length: SENSORS + 2 }, (_, i) => `sensor-${i}`), 5);
  else if (who < 0.45) spec.sensor_prefix = pick(rand, ['sensor-1', 'sensor-', 'sensor-9', 'nope']);
  if (rand() < 0.3) spec.where = { classification: subset(rand, ANOMALY_CLASSIFICATIONS, 2) };
  if (rand() < 0.1) spec.where = { ...spec.where, status: subset(rand, ['OK', 'FAILED'], 2) };
  if (rand() < 0.25) {
    spec.select = 'rows';
    spec.columns = subset(rand, QUERY_COLUMNS, 6);
    spec.limit = 1 + Math.floor(rand() * 400);
    return spec;
  }
  const keys: GroupKey[] = [];
  if (rand() < 0.5) keys.push('sensor');
  if (rand() < 0.4) keys.push(pick(rand, ['minute', 'hour', 'day'] as const));
  if (rand() < 0.25) keys.push('hour_of_day');
  if (rand() < 0.3) keys.push('classification');
  spec.group_by = keys;
  spec.aggregates = subset(rand, ['count', 'sum', 'mean', 'min', 'max', 'stddev', 'p50', 'p95', 'p99'] as Aggregate[], 5);
  spec.metrics = subset(rand, METRIC_COLUMNS, 3);
  return spec;
}

const list = (xs: readonly string[]) => xs.map((x) => `'${x}'`).join(', ');

/** The same question as SQL over the lake files, written independently of the query module. */
function toSql(lakeDir: string, spec: Spec): string {
  const where = [`ts >= epoch_ms(${spec.from}::BIGINT)`, `ts < epoch_ms(${spec.to}::BIGINT)`];
  if (spec.sensors) where.push(`sensor_id IN (${list(spec.sensors)})`);
  if (spec.sensor_prefix) where.push(`starts_with(sensor_id, '${spec.sensor_prefix}')`);
  if (spec.where?.classification) where.push(`anomaly_classification IN (${list(spec.where.classification)})`);
  if (spec.where?.status) where.push(`status IN (${list(spec.where.status)})`);
  const from = `FROM read_parquet('${lakeDir}/readings/**/*.parquet') WHERE ${where.join(' AND ')}`;
  if (spec.select === 'rows') {
    const cols = spec.columns!.map((c) => (['ts', 'last_failure_ts'].includes(c) ? `epoch_ms(${c})::DOUBLE AS ${c}` : ['kafka_offset', 'reading_count', 'historical_failure_count'].includes(c) ? `${c}::DOUBLE AS ${c}` : c));
    return `SELECT ${cols.join(', ')} ${from} ORDER BY ts, sensor_id, kafka_partition, kafka_offset LIMIT ${spec.limit}`;
  }
  const groups = spec.group_by!.map((g) =>
    g === 'sensor' ? 'sensor_id' : g === 'classification' ? 'anomaly_classification' : g === 'hour_of_day' ? 'hour(ts)::INTEGER AS hour_of_day' : `((epoch_ms(ts) // ${{ minute: 60_000, hour: 3_600_000, day: 86_400_000 }[g]}) * ${{ minute: 60_000, hour: 3_600_000, day: 86_400_000 }[g]})::DOUBLE AS bucket`,
  );
  const aggs: string[] = ['COUNT(*)::DOUBLE AS count'];
  for (const m of spec.metrics!) {
    const x = `${m}::DOUBLE`;
    aggs.push(`SUM(${x}) AS "${m}_sum"`, `AVG(${x}) AS "${m}_mean"`, `MIN(${x}) AS "${m}_min"`, `MAX(${x}) AS "${m}_max"`, `STDDEV_SAMP(${x}) AS "${m}_stddev"`);
    aggs.push(`list_sort(list(${x}) FILTER (WHERE ${m} IS NOT NULL)) AS "${m}_sorted"`);
  }
  const groupBy = spec.group_by!.length ? ` GROUP BY ${spec.group_by!.map((_, i) => i + 1).join(', ')}` : '';
  return `SELECT ${[...groups, ...aggs].join(', ')} ${from}${groupBy}`;
}

const keyOf = (row: Record<string, unknown>, names: string[]) => JSON.stringify(names.map((n) => row[n] ?? null));

function close(actual: unknown, expected: unknown, what: string): void {
  if (expected === null || expected === undefined) return void expect(actual, what).toBeNull();
  expect(typeof actual, what).toBe('number');
  const a = actual as number;
  const e = expected as number;
  expect(Math.abs(a - e), `${what}: ${a} vs ${e}`).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(e)));
}

/** DDSketch's guarantee: within ±α (relative) of the value at rank q·(n−1). */
function quantileWithin(actual: unknown, sorted: number[] | null, q: number, what: string): void {
  if (!sorted || sorted.length === 0) return void expect(actual, what).toBeNull();
  const pos = q * (sorted.length - 1);
  const lo = sorted[Math.floor(pos)];
  const hi = sorted[Math.ceil(pos)];
  const a = actual as number;
  const α = QUANTILE_RELATIVE_ACCURACY;
  expect(a, `${what} below ${lo}`).toBeGreaterThanOrEqual(lo - α * Math.abs(lo) - 1e-9);
  expect(a, `${what} above ${hi}`).toBeLessThanOrEqual(hi + α * Math.abs(hi) + 1e-9);
}

describe('query answers equal DuckDB over the same lake files', () => {
  let f: QueryFixture;
  let server: ApiServer;
  let db: DuckDBConnection;
  beforeAll(async () => {
    f = await queryFixture();
    server = await serveCoordinator(f);
    db = await (await DuckDBInstance.create(':memory:')).connect();
  }, 300_000);
  afterAll(() => server?.close());

  const sql = async (text: string) => (await db.runAndReadAll(text)).getRowObjectsJson() as Record<string, unknown>[];

  it.each(Array.from({ length: 32 }, (_, i) => i + 1))('agrees on random specs at fan-out width %i', async (width) => {
    const rand = prng(1000 + width);
    for (let n = 0; n < 3; n++) {
      const spec = randomSpec(rand, width);
      const res = await postQuery(server, spec);
      const body = (await res.json()) as { rows: Record<string, unknown>[]; stats: { slices: number }; error?: unknown };
      expect(res.status, JSON.stringify({ spec, body: body.error })).toBe(200);
      expect(body.stats.slices).toBeLessThanOrEqual(width);
      const expected = await sql(toSql(f.env.lakeDir, spec));
      const context = JSON.stringify(spec);
      if (spec.select === 'rows') {
        const got = body.rows.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, ['ts', 'last_failure_ts'].includes(k) && v !== null ? Date.parse(v as string) : v])));
        expect(got, context).toEqual(expected);
        continue;
      }
      const keys = spec.group_by!.map((g) => ({ sensor: 'sensor_id', classification: 'anomaly_classification', hour_of_day: 'hour_of_day' })[g as string] ?? 'bucket');
      const rows = body.rows.map((r) => ('bucket' in r ? { ...r, bucket: Date.parse(r.bucket as string) } : r));
      expect(rows.length, context).toBe(expected.length);
      const byKey = new Map(expected.map((e) => [keyOf(e, keys), e]));
      for (const row of rows) {
        const e = byKey.get(keyOf(row, keys));
        expect(e, `${context} group ${keyOf(row, keys)}`).toBeDefined();
        if (spec.aggregates!.includes('count')) expect(row.count, context).toBe(e!.count);
        for (const m of spec.metrics!) {
          for (const a of spec.aggregates!) {
            if (a === 'count') continue;
            const what = `${context} ${m}_${a}`;
            if (a === 'p50' || a === 'p95' || a === 'p99') quantileWithin(row[`${m}_${a}`], e![`${m}_sorted`] as number[] | null, { p50: 0.5, p95: 0.95, p99: 0.99 }[a], what);
            else close(row[`${m}_${a}`], e![`${m}_${a}`], what);
          }
        }
      }
    }
  });

  // The headline query's path: rows of sensor_analytics_unified as Arrow, every value exact.
  it.each(Array.from({ length: 32 }, (_, i) => i + 1))('agrees on the unified view as Arrow rows, every value exact, at fan-out width %i', async (width) => {
    const rand = prng(2000 + width);
    const columns = [...VIEWS.sensor_analytics_unified.spec.columns];
    const from = T0 - 1_800_000 + Math.floor(rand() * 3 * 3_600_000);
    const to = rand() < 0.5 ? LIVE_END : Math.max(T0 + 1_800_000, from + 60_000 + Math.floor(rand() * 4 * 3_600_000));
    const limit = rand() < 0.5 ? 100_000 : 1 + Math.floor(rand() * 1500);
    const res = await fetch(`${server.url}/views/sensor_analytics_unified?from=${from}&to=${to}&limit=${limit}&fan_out=${width}`, { headers: { 'x-api-key': API_KEY, accept: ARROW_STREAM } });
    expect(res.status).toBe(200);
    const table = tableFromIPC(new Uint8Array(await res.arrayBuffer()));
    expect(table.schema.fields.map((x) => x.name)).toEqual(columns);
    const got = table.toArray().map((r) => {
      const o = r.toJSON() as Record<string, unknown>;
      return { ...o, ts: Number(o.ts), reading_count: o.reading_count === null ? null : Number(o.reading_count) };
    });
    const expected = await sql(toSql(f.env.lakeDir, { select: 'rows', columns, from, to, limit, fan_out: width }));
    expect(expected.length).toBeGreaterThan(0);
    expect(got, JSON.stringify({ from, to, limit, width })).toEqual(expected);
  });
});
