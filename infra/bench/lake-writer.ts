/**
 * The refresh benchmark's lake writer, run as a child process: it imports the history and then
 * each new hour, as executors and a backfill would from processes of their own, so the process
 * that refreshes pays only for refreshing (its garbage, its compiled code). Driven over IPC by
 * refresh.bench.ts: each request is answered once its files are in the lake.
 */
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { DirectoryObjectStore } from '../../shared/adapters/index.js';
import { backfill, csvHistorySource, parseColumnMap, readingsHistorySource } from '../../shared/refresh/index.js';
import type { Reading } from '../../shared/readings/index.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

export type LakeWriterRequest =
  | { readonly kind: 'history'; readonly lakeDir: string; readonly csvPath: string; readonly sensors: number; readonly stepMs: number; readonly end: number }
  | { readonly kind: 'hour'; readonly lakeDir: string; readonly hourStart: number; readonly sensors: number; readonly stepMs: number };

export type LakeWriterReply = { readonly ok: true; readonly rows: number; readonly seconds: number } | { readonly ok: false; readonly error: string };

/** A day-cycle temperature, correlated pressure, noisy vibration; deterministic. */
function reading(sensor: number, ts: number, i: number): Reading {
  const noise = Math.sin(i * 12.9898 + sensor * 78.233) * 0.5;
  const temperature = 20 + sensor + 5 * Math.sin((2 * Math.PI * new Date(ts).getUTCHours()) / 24) + noise;
  return { sensor_id: `sensor-${sensor}`, ts, temperature, pressure: 100 + 0.5 * temperature + noise, vibration: 0.5 + noise / 10, status: 'OK' };
}

/** Writes 30 days of readings of `sensors` sensors before `end` as one CSV (sensor column), in time order. */
async function historyCsv(path: string, sensors: number, stepMs: number, end: number): Promise<number> {
  const out = createWriteStream(path);
  out.write('ts,sensor,temperature,pressure,vibration\n');
  let rows = 0;
  let lines: string[] = [];
  for (let ts = end - 30 * DAY; ts < end; ts += stepMs) {
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

/** Imports the history CSV (timed: the backfill throughput figure), or one new hour of readings. */
async function write(request: LakeWriterRequest): Promise<{ rows: number; seconds: number }> {
  const lake = new DirectoryObjectStore(request.lakeDir);
  if (request.kind === 'history') {
    const rows = await historyCsv(request.csvPath, request.sensors, request.stepMs, request.end);
    const t = performance.now();
    await backfill([csvHistorySource({ path: request.csvPath, columns: parseColumnMap('temperature=temperature,pressure=pressure,vibration=vibration,sensor_id=sensor,ts=ts') })], lake);
    return { rows, seconds: (performance.now() - t) / 1000 };
  }
  const fresh: Reading[] = [];
  let i = 0;
  for (let ts = request.hourStart; ts < request.hourStart + HOUR; ts += request.stepMs) for (let s = 0; s < request.sensors; s++) fresh.push(reading(s, ts + s, i++));
  const t = performance.now();
  await backfill([readingsHistorySource(`live-hour-${request.hourStart}`, fresh)], lake);
  return { rows: fresh.length, seconds: (performance.now() - t) / 1000 };
}

if (process.send) {
  process.on('message', (request: LakeWriterRequest) => {
    write(request).then(
      (done) => process.send!({ ok: true, ...done } satisfies LakeWriterReply),
      (e: unknown) => process.send!({ ok: false, error: (e as Error)?.stack ?? String(e) } satisfies LakeWriterReply),
    );
  });
  // The parent's exit closes the channel; the writer goes with it.
  process.on('disconnect', () => process.exit(0));
}
