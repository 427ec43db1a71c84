import { randomUUID } from 'node:crypto';
import type { ObjectStore } from '../ports/index.js';
import { hourPartitionStart, LAKE_PREFIX, type LakeTable } from './layout.js';

/**
 * The lake's change notes: before a writer adds or removes files in an hour partition (the
 * executor, backfill, compaction), it leaves an empty object under `changes/` naming the
 * partition and the wall-clock time. The refresh lists `changes/` once instead of listing every
 * hour of its 92-day window, and looks only at the partitions named (see README, "Reflections and
 * refresh"). Notes are flat (one directory, one listing), immutable (a unique key per note, so
 * removing a note never removes a newer one) and empty (the key says everything).
 */
export const CHANGES_PREFIX = 'changes';

/**
 * How long a note stays after it was written, at least: the refresh removes a note only once it
 * has listed the note's partition more than this long after the note's time. A writer's files
 * land within this of its note (a note is written before the files, and a writer reuses it for at
 * most NOTE_REUSE_MS, its writes ending within a Lambda's 15 minutes of starting), so the listing
 * that lets a note go sees every file it announced, with half an hour to spare for clock skew.
 */
export const CHANGE_NOTE_GRACE_MS = 3_600_000;

/** A writer notes a partition again after this long, rather than once per write (the executor writes every second). */
export const NOTE_REUSE_MS = 900_000;

/** One parsed change note. */
export interface LakeChangeNote {
  readonly key: string;
  /** `table/dt=YYYY-MM-DD/hour=HH`, the partition's directory. */
  readonly dir: string;
  readonly table: LakeTable;
  readonly hourStart: number;
  /** Writer's wall clock when it wrote the note, epoch ms. */
  readonly notedAt: number;
}

const TABLE_BY_PREFIX = new Map<string, LakeTable>(Object.entries(LAKE_PREFIX).map(([table, prefix]) => [prefix, table as LakeTable]));
const DATA_DIR = /^([a-z_]+)\/(dt=\d{4}-\d{2}-\d{2})\/(hour=\d{2})\//;
const NOTE = /^changes\/([a-z_]+)\.(dt=\d{4}-\d{2}-\d{2})\.(hour=\d{2})\.(\d{13})-[0-9a-f]+$/;

/** `changes/<table>.dt=YYYY-MM-DD.hour=HH.<notedAt, 13 digits>-<id>` for the partition `dir`. */
export function changeNoteKey(dir: string, notedAt: number, id = randomUUID().slice(0, 8)): string {
  const m = /^([a-z_]+)\/(dt=\d{4}-\d{2}-\d{2})\/(hour=\d{2})$/.exec(dir);
  if (!m) throw new Error(`"${dir}" is not a table/dt=YYYY-MM-DD/hour=HH partition directory`);
  return `${CHANGES_PREFIX}/${m[1]}.${m[2]}.${m[3]}.${String(Math.floor(notedAt)).padStart(13, '0')}-${id}`;
}

/** The note a key names, or null for any other key under `changes/`. */
export function parseChangeNote(key: string): LakeChangeNote | null {
  const m = NOTE.exec(key);
  if (!m) return null;
  const table = TABLE_BY_PREFIX.get(m[1]);
  if (!table) return null;
  return { key, dir: `${m[1]}/${m[2]}/${m[3]}`, table, hourStart: hourPartitionStart(`${m[2]}/${m[3]}`), notedAt: Number(m[4]) };
}

/** The partition directories (`table/dt=…/hour=…`) of lake data keys; keys outside a table's partitions are skipped. */
export function partitionDirsOf(keys: readonly string[]): string[] {
  const dirs = new Set<string>();
  for (const key of keys) {
    const m = DATA_DIR.exec(key);
    if (m && TABLE_BY_PREFIX.has(m[1])) dirs.add(`${m[1]}/${m[2]}/${m[3]}`);
  }
  return [...dirs].sort();
}

/** Per lake: when this process last noted each partition (reused for NOTE_REUSE_MS). */
const noted = new WeakMap<ObjectStore, Map<string, number>>();

/**
 * Leaves a change note for each partition the given data keys are in; call it, and let it
 * finish, **before** writing or deleting those keys. A partition this process noted less than
 * NOTE_REUSE_MS ago is not noted again: that note covers this write too (`reuse: false` notes
 * anyway, for a writer that may run longer than a Lambda).
 *
 * @param now the writer's wall clock (epoch ms), not event time.
 * @example
 *   await noteLakeChanges(lake, files.map((f) => f.key), Date.now());
 *   await Promise.all(files.map((f) => lake.put(f.key, f.body)));
 */
export async function noteLakeChanges(lake: ObjectStore, keys: readonly string[], now: number, options: { readonly reuse?: boolean } = {}): Promise<void> {
  let mine = noted.get(lake);
  if (!mine) noted.set(lake, (mine = new Map()));
  const reuse = options.reuse ?? true;
  const due = partitionDirsOf(keys).filter((dir) => !(reuse && now - (mine.get(dir) ?? -Infinity) < NOTE_REUSE_MS));
  await Promise.all(due.map((dir) => lake.put(changeNoteKey(dir, now), new Uint8Array())));
  for (const dir of due) mine.set(dir, now);
  // Forget partitions noted long ago, so a long-lived writer's memory stays small.
  if (mine.size > 1024) for (const [dir, at] of mine) if (now - at >= NOTE_REUSE_MS) mine.delete(dir);
}
