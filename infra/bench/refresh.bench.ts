import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { figure, type Benchmark } from './benchmark.js';
import {
  createTables,
  defaultTableNames,
  DirectoryObjectStore,
  documentClient,
  DynamoReflectionStore,
  dynamoClientFrom,
  startDynamoDbLocal,
} from '../../shared/adapters/index.js';
import { DuckDbSqlEngine } from '../../shared/adapters/duckdb/index.js';
import { backfill, csvHistorySource, parseColumnMap, readingsHistorySource, refreshReflections, type RefreshPorts } from '../../shared/refresh/index.js';
import type { Reading } from '../../shared/readings/index.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const T_END = Date.UTC(2026, 0, 31);
/** Refreshes after one new hour each; the median is the figure. */
const INCREMENTAL_RUNS = 5;

/**
 * Collects the garbage of the step before (the CSV import, the full rebuild) so a timed refresh
 * pays only for its own; `npm run bench` runs node with --expose-gc.
 */
function settleHeap(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

/** A day-cycle temperature, correlated pressure, noisy vibration; deterministic. */
function reading(sensor: number, ts: number, i: number): Reading {
  const noise = Math.sin(i * 12.9898 + sensor * 78.233) * 0.5;
  const temperature = 20 + sensor + 5 * Math.sin((2 * Math.PI * new Date(ts).getUTCHours()) / 24) + noise;
  return { sensor_id: `sensor-${sensor}`, ts, temperature, pressure: 100 + 0.5 * temperature + noise, vibration: 0.5 + noise / 10, status: 'OK' };
}

/** Writes 30 days of readings of `sensors` sensors as one CSV (sensor column), in time order. */
async function historyCsv(path: string, sensors: number, stepMs: number): Promise<number> {
  const out = createWriteStream(path);
  out.write('ts,sensor,temperature,pressure,vibration\n');
  let rows = 0;
  let lines: string[] = [];
  for (let ts = T_END - 30 * DAY; ts < T_END; ts += stepMs) {
    for (let s = 0; s < sensors; s++) {
      const r = reading(s, ts + s, rows);
      lines.push(`${ts + s},${r.sensor_id},${r.temperature},${r.pressure},${r.vibration}`);
      rows++;
    }
    if (lines.length > 10_000) {
      if (!out.write(`${lines.join('\n')}\n`)) await once(out, 'drain');
      lines = [];
    }
  }
  out.end(lines.length ? `${lines.join('\n')}\n` : '');
  await once(out, 'finish');
  return rows;
}

/**
 * Refresh after one new hour versus a full 30-day rebuild for the same sensors (both write every
 * sensor's reflection to DynamoDB Local and read the lake with DuckDB), and backfill throughput
 * from a CSV (parse, validate, stage as Parquet, publish).
 */
export default {
  title: 'reflection refresh (incremental vs full) and backfill throughput',
  async run({ quick, log }) {
    const sensors = quick ? 6 : 20;
    const stepMs = quick ? 180_000 : 30_000;
    const dir = await mkdtemp(join(tmpdir(), 'tideline-bench-refresh-'));
    const dynamo = await startDynamoDbLocal();
    const sql = new DuckDbSqlEngine();
    try {
      const client = dynamoClientFrom({ dynamodbEndpoint: dynamo.endpoint });
      const tables = defaultTableNames('bench-');
      await createTables(client, tables);
      const lakeDir = join(dir, 'lake');
      const lake = new DirectoryObjectStore(lakeDir);
      const ports: RefreshPorts = { lake, reflections: new DynamoReflectionStore(documentClient(client), tables.reflections), sql, lakeSql: { kind: 'duckdb', root: lakeDir } };

      const csv = join(dir, 'history.csv');
      const rows = await historyCsv(csv, sensors, stepMs);
      log(`  backfill ${rows.toLocaleString('en-US')} rows (${sensors} sensors, 30 days) from CSV …`);
      let t = performance.now();
      await backfill([csvHistorySource({ path: csv, columns: parseColumnMap('temperature=temperature,pressure=pressure,vibration=vibration,sensor_id=sensor,ts=ts') })], lake);
      const backfillSeconds = (performance.now() - t) / 1000;

      log('  full 30-day rebuild …');
      settleHeap();
      t = performance.now();
      await refreshReflections(ports, { now: T_END });
      const full = performance.now() - t;

      const incremental: number[] = [];
      for (let h = 0; h < INCREMENTAL_RUNS; h++) {
        const hourStart = T_END + h * HOUR;
        const fresh: Reading[] = [];
        let i = 0;
        for (let ts = hourStart; ts < hourStart + HOUR; ts += stepMs) for (let s = 0; s < sensors; s++) fresh.push(reading(s, ts + s, i++));
        await backfill([readingsHistorySource(`live-hour-${h}`, fresh)], lake);
        settleHeap();
        t = performance.now();
        const r = await refreshReflections(ports, { now: hourStart + HOUR });
        incremental.push(performance.now() - t);
        if (r.hoursScanned !== 1) throw new Error(`the refresh after one new hour read ${r.hoursScanned} hour partitions, expected 1`);
      }
      incremental.sort((a, b) => a - b);
      const median = incremental[INCREMENTAL_RUNS >> 1];
      log(`  full 30-day rebuild ${full.toFixed(0)} ms; after one new hour ${incremental.map((x) => x.toFixed(0)).join(' / ')} ms (median ${median.toFixed(0)} ms)`);
      return [figure('refresh.incremental_vs_full', median / full), figure('backfill.rows_per_s', rows / backfillSeconds)];
    } finally {
      await sql.close();
      await dynamo.stop();
      await rm(dir, { recursive: true, force: true });
    }
  },
} satisfies Benchmark;
