import { createHash, randomUUID } from 'node:crypto';
import { batchObjectKey, changeNoteId, noteLakeChanges } from '../lake/index.js';
import { encodeBackfillParquet } from './columnar.js';
import type { ObjectStore } from '../ports/index.js';
import type { HistoryReading, HistorySource } from './history.js';
import { mapLimit } from './refresh.js';

const HOUR_MS = 3_600_000;

/** Stream position of backfilled rows: topic `backfill`, a partition per source, the line as offset. */
export const BACKFILL_TOPIC = 'backfill';
/** Where an import's files wait until every source has been read without error. */
export const STAGING_PREFIX = 'staging';

export interface BackfillProgress {
  readonly source: string;
  /** 0-based index of the source being read, of `sources`. */
  readonly sourceIndex: number;
  readonly sources: number;
  /** Readings read so far, over all sources. */
  readonly rows: number;
  /** Progress through the current source, in its size's unit; size null when unknown. */
  readonly progress: number;
  readonly size: number | null;
}

export interface BackfillOptions {
  /** Names the staging area. @default a random id */
  readonly importId?: string;
  /** Most rows in one lake file. @default 250000 */
  readonly fileRows?: number;
  readonly onProgress?: (progress: BackfillProgress) => void;
}

export interface BackfillResult {
  readonly rows: number;
  readonly sources: number;
  /** Lake keys published. */
  readonly files: readonly string[];
  readonly firstTs: number | null;
  readonly lastTs: number | null;
}

/**
 * Imports history into the lake's readings table, all or nothing: every source is read and
 * written to `staging/<import id>/…` first; only when all have been read without error are the
 * files published under `readings/dt=…/hour=…/` (and the staging area removed). A bad file is a
 * HistoryFileError naming file, line and column, and leaves the lake as it was.
 *
 * Rows get stream positions (topic `backfill`, a partition derived from the source name and its
 * first sensor, the line as offset), and files the executor's naming, so importing the same file
 * again overwrites the same objects and counts nothing twice. Rows are not judged: the judgment
 * columns are null. Run a refresh afterwards to fold the history into the reflections.
 *
 * @example
 *   await backfill([csvHistorySource({ path: 'valve1/0.csv', format: 'skab', sensorId: 'skab-valve1-0' })], lake);
 */
export async function backfill(sources: readonly HistorySource[], lake: ObjectStore, options: BackfillOptions = {}): Promise<BackfillResult> {
  const importId = options.importId ?? randomUUID();
  const staging = `${STAGING_PREFIX}/backfill-${importId}/`;
  const fileRows = options.fileRows ?? 250_000;
  let rows = 0;
  let firstTs: number | null = null;
  let lastTs: number | null = null;
  try {
    for (let s = 0; s < sources.length; s++) {
      const source = sources[s];
      let partition: number | null = null;
      const buffers = new Map<number, HistoryReading[]>();
      let buffered = 0;
      const flush = async (hour: number) => {
        const list = buffers.get(hour);
        if (!list || list.length === 0) return;
        buffers.delete(hour);
        buffered -= list.length;
        const first = list[0].line;
        const last = list[list.length - 1].line;
        const key = staging + batchObjectKey('readings', hour, BACKFILL_TOPIC, partition as number, first, last);
        await lake.put(key, encodeBackfillParquet(list, BACKFILL_TOPIC, partition as number));
      };
      for await (const chunk of source.chunks()) {
        for (const h of chunk.readings) {
          partition ??= sourcePartition(source.name, h.reading.sensor_id);
          const hour = Math.floor(h.reading.ts / HOUR_MS) * HOUR_MS;
          let list = buffers.get(hour);
          if (!list) buffers.set(hour, (list = []));
          list.push(h);
          buffered++;
          firstTs = Math.min(firstTs ?? h.reading.ts, h.reading.ts);
          lastTs = Math.max(lastTs ?? h.reading.ts, h.reading.ts);
          if (list.length >= fileRows) await flush(hour);
        }
        rows += chunk.readings.length;
        // Bounded memory: history is mostly in time order, so hours before the newest are complete.
        if (buffered > 4 * fileRows) for (const hour of [...buffers.keys()]) await flush(hour);
        options.onProgress?.({ source: source.name, sourceIndex: s, sources: sources.length, rows, progress: chunk.progress, size: source.size });
      }
      for (const hour of [...buffers.keys()]) await flush(hour);
    }
  } catch (e) {
    await lake.delete(await lake.list(staging));
    throw e;
  }
  const staged = await lake.list(staging);
  const published = staged.map((k) => k.slice(staging.length));
  // Noted before publishing (so the refresh looks at these hours) and done after: the done notes
  // let the refresh count the import with one listing of each hour, however long publishing took.
  const noteId = changeNoteId();
  await noteLakeChanges(lake, published, Date.now(), { id: noteId });
  await mapLimit(staged, 8, async (key) => {
    const body = await lake.get(key);
    if (body === null) throw new Error(`staged file ${key} vanished before it was published`);
    await lake.put(key.slice(staging.length), body);
  });
  await lake.delete(staged);
  await noteLakeChanges(lake, published, Date.now(), { id: noteId, done: true });
  return { rows, sources: sources.length, files: published, firstTs, lastTs };
}

/** A non-negative 31-bit partition number from the source's name and sensor. */
function sourcePartition(name: string, sensorId: string): number {
  return createHash('sha256').update(name).update('\u0000').update(sensorId).digest().readUInt32BE(0) >>> 1;
}
