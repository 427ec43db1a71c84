import type { ChildProcess } from 'node:child_process';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { EmbeddedLog } from '../../../shared/adapters/index.js';
import { duckdb, rows } from '../../helpers/duckdb.js';
import { api, spawnRuntime, waitFor } from './helpers.js';

const KILLS = 10;

const children: ChildProcess[] = [];
const dataDirs: string[] = [];
afterAll(async () => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  // A DynamoDB Local a killed runtime left behind (a clean stop removes the record).
  for (const dir of dataDirs) {
    const record = await readFile(join(dir, 'dynamodb.json'), 'utf8').catch(() => null);
    if (record) process.kill((JSON.parse(record) as { pid: number }).pid, 'SIGKILL');
  }
});

/** The runtime with the crash test's settings: a malformed record per 100, a short batching window. */
const startRuntime = (dataDir: string, env: Record<string, string> = {}) =>
  spawnRuntime(dataDir, { TIDELINE_MALFORMED_RATE: '0.01', TIDELINE_BATCH_WINDOW_MS: '20', ...env }, (c) => children.push(c));

describe('the local runtime under kill -9', () => {
  it(`keeps every produced reading in the lake exactly once across ${KILLS} kills in mid-stream`, async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'tideline-crash-'));
    dataDirs.push(dataDir);
    const acknowledged = new Set<string>();
    let sent = 0;
    for (let round = 0; round < KILLS; round++) {
      const runtime = await startRuntime(dataDir);
      // Produce from outside while the simulator produces inside, then kill -9 mid-stream.
      let producing = true;
      let acknowledgedThisRound = 0;
      const producer = (async () => {
        while (producing) {
          const batch = Array.from({ length: 50 }, () => {
            const n = sent++;
            const id = `crash-${n % 7}`;
            return { key: id, value: { sensor_id: id, ts: new Date(1_700_000_000_000 + n * 1000).toISOString(), temperature: n % 97, pressure: 100, vibration: 0.3 } };
          });
          try {
            const res = await api<{ offsets: unknown[] }>(runtime, 'POST', '/topics/sensor_readings', { records: batch });
            if (res.offsets.length === batch.length) {
              for (const r of batch) acknowledged.add(`${r.value.sensor_id}|${r.value.ts}`);
              acknowledgedThisRound += batch.length;
            }
          } catch {
            // Killed mid-request: not acknowledged, so not promised.
          }
          await new Promise((r) => setTimeout(r, 50));
        }
      })();
      // Mid-stream: after a time that moves the kill around, and never before the stream has
      // taken more than one request of this round (a loaded machine may be slow to get there).
      await new Promise((r) => setTimeout(r, 700 + 150 * round));
      await waitFor(async () => (acknowledgedThisRound > 50 ? true : null), 120_000);
      runtime.process.kill('SIGKILL');
      producing = false;
      await producer;
      await new Promise<void>((r) => (runtime.process.exitCode !== null || runtime.process.signalCode !== null ? r() : runtime.process.once('exit', () => r())));
    }

    // One clean run, simulator off, drains the stream, then stops with Ctrl-C's signal.
    const last = await startRuntime(dataDir, { TIDELINE_RATE: '0' });
    await waitFor(async () => {
      const s = await api<{ stream: { lag: number }; executor: { batches: number } }>(last, 'GET', '/local/status');
      return s.stream.lag === 0 ? s : null;
    }, 180_000);
    last.process.kill('SIGINT');
    await new Promise<void>((r) => last.process.once('exit', () => r()));

    // What the stream holds (after the last start's simulator too), against what the lake holds.
    const log = await EmbeddedLog.open(join(dataDir, 'stream'));
    const inLog = new Map<string, string>();
    for (let p = 0; p < (await log.partitions('sensor_readings')); p++) {
      for (let from = 0; ; ) {
        const records = await log.read('sensor_readings', p, from, 10_000);
        if (records.length === 0) break;
        for (const r of records) inLog.set(`${p}:${r.offset}`, Buffer.from(r.value ?? '').toString('utf8'));
        from = records[records.length - 1].offset + 1;
      }
    }
    await log.close();

    const conn = await duckdb();
    const glob = `${dataDir}/lake/readings/**/*.parquet`;
    const duplicates = await rows(conn, `SELECT kafka_partition, kafka_offset, count(*) AS n FROM read_parquet('${glob}') GROUP BY ALL HAVING count(*) > 1`);
    expect(duplicates).toEqual([]);
    const lake = await rows(conn, `SELECT sensor_id, epoch_ms(ts) AS ts, kafka_partition AS p, kafka_offset AS o FROM read_parquet('${glob}')`);
    const lakeKeys = new Set(lake.map((r) => `${r.p}:${r.o}`));
    // Every lake row is a record of the stream; every readable record of the stream is in the lake.
    for (const key of lakeKeys) expect(inLog.has(key)).toBe(true);
    // Only the simulator's malformed records (bad time, unknown status, wrong type, cut-off JSON) stay out: they are dead letters.
    const notInLake = [...inLog].filter(([key]) => !lakeKeys.has(key)).map(([, value]) => value);
    for (const value of notInLake) expect(value).toMatch(/"yesterday"|"BROKEN"|"hot"|[^}]$/);
    expect(notInLake.length).toBeGreaterThan(0);
    const inLake = new Map<string, number>();
    for (const r of lake) {
      const key = `${r.sensor_id}|${new Date(r.ts as number).toISOString()}`;
      inLake.set(key, (inLake.get(key) ?? 0) + 1);
    }
    const missing = [...acknowledged].filter((k) => inLake.get(k) !== 1);
    expect(missing).toEqual([]);
    expect(acknowledged.size).toBeGreaterThan(KILLS * 50);
  }, 1_200_000);
});
