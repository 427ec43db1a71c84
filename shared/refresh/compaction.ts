import { ENRICHED_COLUMNS } from '../judgment/index.js';
import { changeNoteId, decodeParquet, encodeParquet, hourPartition, LAKE_PREFIX, noteLakeChanges } from '../lake/index.js';
import type { ObjectStore } from '../ports/index.js';
import { compactedKey, groupByHour, isCompactedKey, isManifestKey, manifestKey, newestManifestKey, readManifest, resolveVisible } from './visibility.js';

const HOUR_MS = 3_600_000;

export interface CompactionResult {
  /** `readings/dt=…/hour=…` */
  readonly dir: string;
  readonly compacted: boolean;
  /** Files folded into the compacted file (0 when nothing was to do). */
  readonly files: number;
  readonly rows: number;
  readonly duplicatesDropped: number;
  readonly key: string | null;
}

/**
 * Rewrites one hour partition of the readings table into one Parquet file sorted by
 * (sensor_id, ts) — the use case's `LOCALSORT BY (sensor_id, timestamp)` — with each stream
 * position (kafka_topic, kafka_partition, kafka_offset) once.
 *
 * Order of writes, so a reader following the visibility rule (visibility.ts) sees the old files
 * or the new one, never both or neither, whenever this stops:
 * 1. put `compacted-<g>.parquet` (no manifest names it yet: invisible);
 * 2. put `_compaction-<g>.json` naming it and every file it replaces (the commit point);
 * 3. delete the replaced files and older manifests (already hidden; a crash leaves them hidden).
 * A late batch file written into the hour afterwards is visible beside the compacted file and is
 * folded in by the next compaction of the hour (generation g + 1 replaces the file of g).
 * One compaction per hour at a time (the schedule runs one); a stale compacted file left by a
 * crashed run is overwritten or deleted by the next.
 */
export async function compactHour(lake: ObjectStore, hourStart: number): Promise<CompactionResult> {
  const dir = `${LAKE_PREFIX.readings}/${hourPartition(hourStart)}`;
  const keys = await lake.list(`${dir}/`);
  const newest = newestManifestKey(keys);
  const manifest = newest === null ? null : await readManifest(lake, newest);
  const { visible } = resolveVisible(keys, manifest);
  // Leftovers of an earlier run that stopped after its commit point: already hidden, now removed.
  const leftovers = keys.filter(
    (k) =>
      (manifest !== null && manifest.replaces.includes(k)) ||
      (isManifestKey(k) && k !== newest) ||
      (isCompactedKey(k) && k !== manifest?.file && k < compactedKey(dir, (manifest?.generation ?? 0) + 1)),
  );
  if (visible.length === 0 || (visible.length === 1 && isCompactedKey(visible[0]))) {
    if (leftovers.length) {
      const noteId = changeNoteId();
      await noteLakeChanges(lake, leftovers, Date.now(), { id: noteId });
      await lake.delete(leftovers);
      await noteLakeChanges(lake, leftovers, Date.now(), { id: noteId, done: true });
    }
    return { dir, compacted: false, files: 0, rows: 0, duplicatesDropped: 0, key: manifest?.file ?? null };
  }

  const rows: Record<string, unknown>[] = [];
  for (const key of visible) {
    const bytes = await lake.get(key);
    if (bytes === null) throw new Error(`lake file ${key} vanished during compaction of ${dir}; another compaction is running`);
    for (const row of decodeParquet(bytes).toArray()) rows.push(row.toJSON() as Record<string, unknown>);
  }
  const seen = new Set<string>();
  const unique = rows.filter((r) => {
    const id = `${r.kafka_topic}\u0000${r.kafka_partition}\u0000${r.kafka_offset}`;
    if (seen.has(id)) return false;
    seen.add(id);
    return true;
  });
  unique.sort((a, b) => {
    const sa = a.sensor_id as string, sb = b.sensor_id as string;
    if (sa !== sb) return sa < sb ? -1 : 1;
    return (a.ts as number) - (b.ts as number) || Number(a.kafka_offset as bigint) - Number(b.kafka_offset as bigint);
  });

  const generation = (manifest?.generation ?? 0) + 1;
  const key = compactedKey(dir, generation);
  // The refresh learns of the hour's new file names from this note, written before any of them,
  // and from its done note after the last deletion.
  const noteId = changeNoteId();
  await noteLakeChanges(lake, [key], Date.now(), { id: noteId });
  await lake.put(key, encodeParquet(ENRICHED_COLUMNS, unique));
  const replaces = [...new Set([...(manifest?.replaces ?? []), ...visible])].sort();
  await lake.put(manifestKey(dir, generation), Buffer.from(JSON.stringify({ generation, file: key, replaces })));
  await lake.delete([...new Set([...visible, ...leftovers, ...(newest ? [newest] : [])])]);
  await noteLakeChanges(lake, [key], Date.now(), { id: noteId, done: true });
  return { dir, compacted: true, files: visible.length, rows: unique.length, duplicatesDropped: rows.length - unique.length, key };
}

export interface CompactClosedHoursOptions {
  /** Wall clock; the schedule passes the event's time, so a retried event compacts the same hours. */
  readonly now: number;
  /** An hour is closed this long after its end. @default 10 minutes */
  readonly graceMs?: number;
  /** Earlier hours to check for late files (they are recompacted). @default 48 */
  readonly lookbackHours?: number;
}

/**
 * The hourly job: compacts the previous closed hour, and every hour in the lookback that holds a
 * file not yet compacted (late readings reopened it, or an earlier run was missed).
 */
export async function compactClosedHours(lake: ObjectStore, options: CompactClosedHoursOptions): Promise<CompactionResult[]> {
  const graceMs = options.graceMs ?? 600_000;
  const lastClosed = Math.floor((options.now - graceMs) / HOUR_MS) * HOUR_MS - HOUR_MS;
  const first = lastClosed - (options.lookbackHours ?? 48) * HOUR_MS;
  const days = new Set<string>();
  for (let h = first; h <= lastClosed; h += HOUR_MS) days.add(hourPartition(h).slice(0, 13));
  const keys: string[] = [];
  for (const day of days) keys.push(...(await lake.list(`${LAKE_PREFIX.readings}/${day}/`)));
  const hours = [...groupByHour(keys).values()]
    .filter((h) => h.hourStart >= first && h.hourStart <= lastClosed)
    .filter((h) => h.hourStart === lastClosed || h.keys.some((k) => k.endsWith('.parquet') && !isCompactedKey(k)))
    .sort((a, b) => a.hourStart - b.hourStart);
  const out: CompactionResult[] = [];
  for (const h of hours) out.push(await compactHour(lake, h.hourStart));
  return out;
}
