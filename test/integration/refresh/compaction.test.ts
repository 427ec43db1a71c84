import { describe, expect, it } from 'vitest';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DirectoryObjectStore } from '../../../shared/adapters/index.js';
import { decodeParquet } from '../../../shared/lake/index.js';
import type { ObjectStore } from '../../../shared/ports/index.js';
import { compactClosedHours, compactHour, visibleLakeKeys } from '../../../shared/refresh/index.js';
import { makeCompactionHandler } from '../../../functions/compaction/compaction.js';
import { scheduledEvent } from '../../../functions/refresh/schedule.js';
import { generateReadings, T0 } from '../../helpers/factories.js';
import { writeBatch } from './lake-writer.js';

const HOUR = 3_600_000;

async function lakeDir(): Promise<DirectoryObjectStore> {
  return new DirectoryObjectStore(await mkdtemp(join(tmpdir(), 'tideline-lake-')));
}

/** What a reader following the visibility rule sees: each row as "topic/partition/offset sensor ts". */
async function visibleRows(lake: ObjectStore): Promise<string[]> {
  const rows: string[] = [];
  for (const key of await visibleLakeKeys(lake, 'readings')) {
    for (const r of decodeParquet((await lake.get(key))!).toArray()) {
      const o = r.toJSON() as Record<string, unknown>;
      rows.push(`${o.kafka_topic}/${o.kafka_partition}/${o.kafka_offset} ${o.sensor_id} ${o.ts}`);
    }
  }
  return rows.sort();
}

/** An hour written as many small batches from two partitions, one batch redelivered under another name. */
async function smallFiles(lake: ObjectStore) {
  const readings = generateReadings({ sensors: 4, start: T0, end: T0 + HOUR, stepMs: 60_000 });
  let next = [0, 0];
  for (let i = 0; i < readings.length; i += 16) {
    const p = (i / 16) % 2;
    next[p] = await writeBatch(lake, readings.slice(i, i + 16), { partition: p, firstOffset: next[p] });
  }
  // A retried batch that overlaps one already written (offsets 0..7 of partition 0 again).
  await writeBatch(lake, readings.slice(0, 8), { partition: 0, firstOffset: 0 });
  return readings;
}

describe('compaction', () => {
  it('rewrites a closed hour into one file sorted by (sensor_id, ts), each stream position once', async () => {
    const lake = await lakeDir();
    await smallFiles(lake);
    const before = [...new Set(await visibleRows(lake))];
    expect((await visibleLakeKeys(lake, 'readings')).length).toBeGreaterThan(10);

    const result = await compactHour(lake, T0);
    expect(result).toMatchObject({ compacted: true, rows: before.length, duplicatesDropped: 8, key: 'readings/dt=2026-01-05/hour=00/compacted-000001.parquet' });
    expect(await visibleLakeKeys(lake, 'readings')).toEqual([result.key]);
    expect(await lake.list('readings/')).toEqual(['readings/dt=2026-01-05/hour=00/_compaction-000001.json', result.key]);
    expect(await visibleRows(lake)).toEqual(before);
    const rows = decodeParquet((await lake.get(result.key!))!).toArray().map((r) => r.toJSON() as { sensor_id: string; ts: number });
    const sorted = [...rows].sort((a, b) => (a.sensor_id < b.sensor_id ? -1 : a.sensor_id > b.sensor_id ? 1 : a.ts - b.ts));
    expect(rows.map((r) => `${r.sensor_id} ${r.ts}`)).toEqual(sorted.map((r) => `${r.sensor_id} ${r.ts}`));
  });

  it('shows readers either the old files or the new one when it stops at any step', async () => {
    // Writes: the change note, the compacted file, the manifest, the deletions, the done note.
    for (let killAt = 1; killAt <= 6; killAt++) {
      const lake = await lakeDir();
      await smallFiles(lake);
      const old = await visibleRows(lake);
      const compacted = [...new Set(old)];
      let writes = 0;
      const dying: ObjectStore = {
        get: (k) => lake.get(k),
        list: (p) => lake.list(p),
        put: async (k, b) => {
          if (++writes === killAt) throw new Error('killed');
          await lake.put(k, b);
        },
        delete: async (ks) => {
          if (++writes === killAt) {
            await lake.delete(ks.slice(0, Math.floor(ks.length / 2)));
            throw new Error('killed');
          }
          await lake.delete(ks);
        },
      };
      const outcome = await compactHour(dying, T0).then(() => 'finished', (e: Error) => e.message);
      expect(outcome, `kill at write ${killAt}`).toBe(killAt <= 5 ? 'killed' : 'finished');
      // Either every old file (the redelivered batch's copies included) or the compacted file alone.
      expect([old, compacted], `after a kill at write ${killAt}`).toContainEqual(await visibleRows(lake));
      // The next run finishes the job and cleans up what the stopped one left.
      await compactHour(lake, T0);
      expect(await visibleRows(lake)).toEqual(compacted);
      expect((await lake.list('readings/')).length, `leftovers after a kill at write ${killAt}`).toBe(2);
    }
  });

  it('shows a late reading written after compaction, and folds it in at the next compaction', async () => {
    const lake = await lakeDir();
    await smallFiles(lake);
    await compactHour(lake, T0);
    const late = generateReadings({ sensors: 1, start: T0 + 30 * 60_000, end: T0 + 30 * 60_000 + 1, stepMs: 60_000, seed: 4 });
    await writeBatch(lake, late, { partition: 0, firstOffset: 10_000 });
    const withLate = await visibleRows(lake);
    expect(withLate).toContain(`sensor_readings/0/10000 sensor-0 ${late[0].ts}`);
    expect((await visibleLakeKeys(lake, 'readings')).length).toBe(2);

    const [again] = await compactClosedHours(lake, { now: T0 + 2 * HOUR + 11 * 60_000, lookbackHours: 4 });
    expect(again).toMatchObject({ compacted: true, files: 2, key: 'readings/dt=2026-01-05/hour=00/compacted-000002.parquet' });
    expect(await visibleRows(lake)).toEqual(withLate);
    expect(await lake.list('readings/')).toEqual(['readings/dt=2026-01-05/hour=00/_compaction-000002.json', again.key]);
  });

  it('runs hourly from the schedule: the previous closed hour, after the grace period', async () => {
    const lake = await lakeDir();
    await smallFiles(lake);
    await writeBatch(lake, generateReadings({ sensors: 1, start: T0 + HOUR, end: T0 + HOUR + 1, stepMs: 60_000 }), { partition: 3, firstOffset: 0 });
    const handler = makeCompactionHandler({ lake, graceMs: 10 * 60_000, lookbackHours: 2 });
    // 02:05: hour 01 is not closed yet (grace), hour 00 is.
    const first = await handler(scheduledEvent(T0 + 2 * HOUR + 5 * 60_000));
    expect(first.map((r) => [r.dir, r.compacted])).toEqual([['readings/dt=2026-01-05/hour=00', true]]);
    const second = await handler(scheduledEvent(T0 + 2 * HOUR + 15 * 60_000));
    expect(second.map((r) => [r.dir, r.compacted])).toEqual([['readings/dt=2026-01-05/hour=01', true]]);
    await expect(handler({ hello: 'world' })).rejects.toThrow('compaction expects an EventBridge scheduled event (source, detail-type, time)');
  });
});
