import { fork, type ChildProcess } from 'node:child_process';
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
import { CHANGES_PREFIX } from '../../shared/lake/index.js';
import { PARTIALS_PREFIX, refreshReflections, type RefreshPorts } from '../../shared/refresh/index.js';
import type { LakeWriterReply, LakeWriterRequest } from './lake-writer.js';

const HOUR = 3_600_000;
const T_END = Date.UTC(2026, 0, 31);
/** Full rebuilds from scratch; the median is the figure's denominator. */
const FULL_RUNS = 3;
/**
 * Refreshes after one new hour each; the median is the figure's numerator. A day of them: a
 * version's changes against its sensor's whole item grow hour by hour until the store writes the
 * item whole again (about daily), so fewer would leave out the day's costlier refreshes.
 */
const INCREMENTAL_RUNS = 24;

/** The lake writer child process (lake-writer.ts), one request at a time. */
function lakeWriter(): { write: (request: LakeWriterRequest) => Promise<{ rows: number; seconds: number }>; stop: () => void } {
  const child: ChildProcess = fork(new URL('./lake-writer.ts', import.meta.url), [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const exited = once(child, 'exit').then(([code]) => Promise.reject(new Error(`the lake writer exited (code ${code})`)));
  exited.catch(() => {});
  return {
    async write(request) {
      child.send(request);
      const [reply] = (await Promise.race([once(child, 'message'), exited])) as [LakeWriterReply];
      return reply.ok ? { rows: reply.rows, seconds: reply.seconds } : Promise.reject(new Error(`the lake writer failed: ${reply.error}`));
    },
    stop: () => child.kill(),
  };
}

/** What one fleet's run measured: each full rebuild and each refresh after one new hour, in order. */
interface FleetRun {
  readonly sensors: number;
  readonly full: number[];
  readonly incremental: number[];
  readonly history: { rows: number; seconds: number };
}

const median = (xs: readonly number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

/**
 * Fleets the ratio is measured on; the figure is the last's. A refresh after one new hour pays a
 * fixed cost per run (a listing, a query, a batch write and a flip: about 40 ms on the stand-ins)
 * beside its per-sensor work, while a rebuild is all per-sensor work, so the ratio falls as the
 * fleet grows. 100 sensors at one reading each 30 s is still a thousandth of the use case's fleet
 * and a 35th of its rate per sensor; 20 shows where the fixed cost stands.
 */
const FLEETS = { full: [20, 100], quick: [6] } as const;

/**
 * Refresh after one new hour versus a full 30-day rebuild for the same sensors (both write every
 * sensor's reflection to DynamoDB Local and read the lake with DuckDB), and backfill throughput
 * from a CSV (parse, validate, stage as Parquet, publish). The lake is written by a child process,
 * so the refreshing process holds only its own garbage and compiled code, as a refresh Lambda would.
 */
export default {
  title: 'reflection refresh (incremental vs full) and backfill throughput',
  async run({ quick, log }) {
    const stepMs = quick ? 180_000 : 30_000;
    const dir = await mkdtemp(join(tmpdir(), 'tideline-bench-refresh-'));
    const dynamo = await startDynamoDbLocal();
    const sql = new DuckDbSqlEngine();
    const writer = lakeWriter();
    try {
      const client = dynamoClientFrom({ dynamodbEndpoint: dynamo.endpoint });
      const runs: FleetRun[] = [];
      for (const sensors of quick ? FLEETS.quick : FLEETS.full) {
        const tables = defaultTableNames(`bench-${sensors}-`);
        await createTables(client, tables);
        const lakeDir = join(dir, `lake-${sensors}`);
        log(`  ${sensors} sensors: backfill 30 days from CSV …`);
        const history = await writer.write({ kind: 'history', lakeDir, csvPath: join(dir, `history-${sensors}.csv`), sensors, stepMs, end: T_END });
        await rm(join(dir, `history-${sensors}.csv`));

        // Each rebuild starts from nothing a refresh left: no partial files or listing records in the
        // lake, a new lake and reflection store (no remembered days, merges or bases).
        let ports!: RefreshPorts;
        const full: number[] = [];
        for (let i = 0; i < FULL_RUNS; i++) {
          const lake = new DirectoryObjectStore(lakeDir);
          await lake.delete([...(await lake.list(`${PARTIALS_PREFIX}/`)), ...(await lake.list(`${CHANGES_PREFIX}/`))]);
          ports = { lake, reflections: new DynamoReflectionStore(documentClient(client), tables.reflections), sql, lakeSql: { kind: 'duckdb', root: lakeDir } };
          log(`  ${sensors} sensors: full 30-day rebuild ${i + 1} of ${FULL_RUNS} …`);
          const t = performance.now();
          const r = await refreshReflections(ports, { now: T_END, force: true });
          full.push(performance.now() - t);
          if (r.hoursScanned !== 30 * 24) throw new Error(`a full rebuild read ${r.hoursScanned} hour partitions, expected ${30 * 24}`);
        }

        const incremental: number[] = [];
        for (let h = 0; h < INCREMENTAL_RUNS; h++) {
          const hourStart = T_END + h * HOUR;
          await writer.write({ kind: 'hour', lakeDir, hourStart, sensors, stepMs });
          const t = performance.now();
          const r = await refreshReflections(ports, { now: hourStart + HOUR });
          incremental.push(performance.now() - t);
          if (r.hoursScanned !== 1) throw new Error(`the refresh after one new hour read ${r.hoursScanned} hour partitions, expected 1`);
        }
        runs.push({ sensors, full, incremental, history });
        log(`  ${sensors} sensors: full 30-day rebuild ${full.map((x) => x.toFixed(0)).join(' / ')} ms (median ${median(full).toFixed(0)} ms; the first gives a ratio of ${(median(incremental) / full[0]).toFixed(4)})`);
        log(`  ${sensors} sensors: after one new hour, in order ${incremental.map((x) => x.toFixed(0)).join(' / ')} ms (median ${median(incremental).toFixed(0)} ms)`);
      }
      for (const r of runs) log(`  ratio at ${r.sensors} sensors: ${(median(r.incremental) / median(r.full)).toFixed(4)} (${median(r.incremental).toFixed(0)} ms ÷ ${median(r.full).toFixed(0)} ms)`);
      const measured = runs[runs.length - 1];
      const history = measured.history;
      return [figure('refresh.incremental_vs_full', median(measured.incremental) / median(measured.full)), figure('backfill.rows_per_s', history.rows / history.seconds)];
    } finally {
      writer.stop();
      await sql.close();
      await dynamo.stop();
      await rm(dir, { recursive: true, force: true });
    }
  },
} satisfies Benchmark;
