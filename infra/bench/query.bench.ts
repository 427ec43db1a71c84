import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { request } from 'node:http';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { tableFromIPC } from 'apache-arrow';
import {
  coordinatorPortsFrom,
  createTables,
  defaultTableNames,
  DirectoryObjectStore,
  dynamoClientFrom,
  startDynamoDbLocal,
} from '../../shared/adapters/index.js';
import { loadTidelineConfig } from '../../shared/config/index.js';
import { ENRICHED_COLUMNS, type EnrichedReading } from '../../shared/judgment/index.js';
import { batchObjectKey, encodeParquet } from '../../shared/lake/index.js';
import { ARROW_STREAM, loadQueryConfig, VIEWS } from '../../shared/query/index.js';
import { createCoordinatorApp } from '../../functions/coordinator/app.js';
import { startApiServer } from '../local/api-server.js';
import type { Benchmark, Figure } from './benchmark.js';

const READINGS = 50_000;
const SENSORS = 5_000;
const PARTITIONS = 8;
const WINDOW_MS = 10 * 60_000;
const NOW = Date.UTC(2026, 0, 5, 12, 30);
const API_KEY = 'bench-key';

/** A small deterministic PRNG, so every run reads the same lake. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * 50,000 judged readings of the last ten minutes, each carrying its 30 days of context (the
 * hour-of-day mean, stddev and count it was judged against), as the executor writes them: one
 * Parquet file per Kafka partition and batch.
 */
export async function writeLake(lakeDir: string): Promise<void> {
  const rand = prng(5);
  const lake = new DirectoryObjectStore(lakeDir);
  const byPartition: EnrichedReading[][] = Array.from({ length: PARTITIONS }, () => []);
  for (let i = 0; i < READINGS; i++) {
    const s = i % SENSORS;
    const ts = NOW - WINDOW_MS + Math.floor((i / READINGS) * WINDOW_MS);
    const mean = 20 + (s % 50);
    const sd = 1 + rand();
    const temperature = mean + (rand() - 0.5) * 6 * sd;
    const z = Math.abs(temperature - mean) / sd;
    const p = s % PARTITIONS;
    byPartition[p].push({
      sensor_id: `sensor-${String(s).padStart(5, '0')}`, ts, temperature, pressure: 100 + rand() * 10, vibration: rand(), status: 'OK',
      kafka_topic: 'sensor_readings', kafka_partition: p, kafka_offset: byPartition[p].length, late: false, reflection_version: 'v1', hour_of_day: new Date(ts).getUTCHours(),
      avg_temp_historical: mean, stddev_temp_historical: sd, max_pressure_historical: 112, reading_count: 30 * 60,
      temperature_z_score: z, anomaly_classification: z > 3 ? 'CRITICAL_ANOMALY' : z > 2 ? 'WARNING' : 'NORMAL', temp_deviation: temperature - mean,
      seasonal_temp_mean: mean, seasonal_z_score: z, temp_ma_5min: mean, vibration_stddev_10min: 0.1, temp_rate_of_change: 0,
      historical_temp_mean: mean, historical_temp_stddev: sd, historical_vibration_stddev: 0.1, historical_pressure_p95: 110, day_temp_avg: mean, night_temp_avg: mean,
      historical_failure_count: 0, last_failure_ts: null, z_score: z, temp_z_score: z, temp_seasonal_deviation: 0, days_since_failure: null,
      mahalanobis_distance: z, anomaly_score: 0.1, predictive_failure_risk: 0.1,
    });
  }
  for (const [p, rows] of byPartition.entries()) {
    for (let b = 0; b < rows.length; b += 2000) {
      const batch = rows.slice(b, b + 2000);
      await lake.put(batchObjectKey('readings', batch[0].ts, 'sensor_readings', p, b, b + batch.length - 1), encodeParquet(ENRICHED_COLUMNS, batch));
    }
  }
}

/**
 * GET `url` with node:http, the whole body in one buffer. Not fetch: undici's fetch spends about
 * 20 ms of this machine's time gathering a 5.6 MB body, a cost of that client rather than of the
 * server measured here (pyarrow or DuckDB reading the endpoint bring their own HTTP clients).
 */
function httpGet(url: string, headers: Record<string, string>): Promise<{ status: number; body: Buffer }> {
  return new Promise((resolve, reject) => {
    request(url, { headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    })
      .on('error', reject)
      .end();
  });
}

function percentile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)];
}

/**
 * p50 and p95 of `runs` calls after `warmUp` calls. A server is measured in its steady state:
 * its first few dozen answers run before V8 has optimised the merge and encode loops and while
 * the heap is still growing to its working size.
 */
async function timed(warmUp: number, runs: number, fn: () => Promise<number>): Promise<{ p50: number; p95: number; rows: number }> {
  let rows = 0;
  for (let i = 0; i < warmUp; i++) rows = await fn();
  const ms: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    rows = await fn();
    ms.push(performance.now() - t);
  }
  return { p50: percentile(ms, 0.5), p95: percentile(ms, 0.95), rows };
}

export default {
  title: 'query: the headline query (50,000 current readings with 30 days of context) through HTTP, beside in-process DuckDB',
  async run({ quick, log }) {
    const dir = await mkdtemp(join(tmpdir(), 'tideline-query-bench-'));
    const lakeDir = join(dir, 'lake');
    const ddb = await startDynamoDbLocal({ startTimeoutMs: 120_000 });
    const server = { close: async () => {} };
    try {
      log('  writing 50,000 judged readings to the lake');
      await writeLake(lakeDir);
      const names = defaultTableNames('bench-');
      const env = { DYNAMODB_ENDPOINT: ddb.endpoint, LAKE_DIR: lakeDir, ...Object.fromEntries(Object.entries(names).map(([k, v]) => [`TABLE_${k.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()}`, v])) };
      const config = loadTidelineConfig(env);
      const dynamo = dynamoClientFrom(config);
      await createTables(dynamo, config.tables);
      const query = loadQueryConfig({ TIDELINE_API_KEY: API_KEY });
      const ports = coordinatorPortsFrom(config, query, dynamo, new DirectoryObjectStore(lakeDir));
      const app = createCoordinatorApp({ ports, config: query, now: () => NOW });
      // Served as the local runtime serves it: the core behind the local server.
      const api = await startApiServer({ app });
      server.close = api.close;

      const from = NOW - WINDOW_MS;
      const url = `${api.url}/views/sensor_analytics_unified?from=${from}&to=${NOW}&limit=${READINGS}`;
      // JSON answers take half a second each and are reported for reference only: fewer runs.
      const [warmUp, runs, jsonRuns] = quick ? [5, 10, 5] : [30, 100, 20];
      log(`  after ${warmUp} warm-up runs: ${runs} Arrow, ${jsonRuns} JSON, ${runs} DuckDB`);
      const arrow = await timed(warmUp, runs, async () => {
        const res = await httpGet(url, { 'x-api-key': API_KEY, accept: ARROW_STREAM });
        if (res.status !== 200) throw new Error(`HTTP ${res.status}: ${res.body.toString()}`);
        return tableFromIPC(res.body).numRows;
      });
      const json = await timed(Math.min(warmUp, 5), jsonRuns, async () => {
        const res = await httpGet(url, { 'x-api-key': API_KEY });
        if (res.status !== 200) throw new Error(`HTTP ${res.status}: ${res.body.toString()}`);
        return (JSON.parse(res.body.toString()) as { rows: unknown[] }).rows.length;
      });
      const conn = await (await DuckDBInstance.create(':memory:')).connect();
      const columns = VIEWS.sensor_analytics_unified.spec.columns.join(', ');
      const sql = `SELECT ${columns} FROM read_parquet('${lakeDir}/readings/**/*.parquet')
        WHERE ts >= epoch_ms(${from}::BIGINT) AND ts < epoch_ms(${NOW}::BIGINT)
        ORDER BY ts, sensor_id, kafka_partition, kafka_offset LIMIT ${READINGS}`;
      const duck = await timed(Math.min(warmUp, 5), runs, async () => (await conn.runAndReadAll(sql)).getRowObjects().length);
      for (const [name, r] of [['arrow', arrow], ['json', json], ['duckdb', duck]] as const) {
        if (r.rows !== READINGS) throw new Error(`${name} returned ${r.rows} rows, expected ${READINGS}`);
        log(`  ${name}: p50 ${r.p50.toFixed(1)} ms, p95 ${r.p95.toFixed(1)} ms`);
      }
      const figures: Figure[] = [
        { name: 'query.p95_ms', value: arrow.p95, unit: 'ms', target: '<= 50' },
        { name: 'query.vs_duckdb', value: arrow.p95 / duck.p95, unit: 'ratio', target: '<= 2' },
        { name: 'query.p50_ms', value: arrow.p50, unit: 'ms', target: 'Arrow, for reference' },
        { name: 'query.json_p95_ms', value: json.p95, unit: 'ms', target: 'JSON, for reference' },
        { name: 'query.duckdb_p95_ms', value: duck.p95, unit: 'ms', target: 'in-process DuckDB, for reference' },
      ];
      return figures;
    } finally {
      await server.close();
      await ddb.stop();
      await rm(dir, { recursive: true, force: true });
    }
  },
} satisfies Benchmark;
