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
 *
 * A note written before the files only says the partition *may* change: the refresh keeps
 * listing the partition until the note is older than CHANGE_NOTE_GRACE_MS. A writer that knows
 * when it is done (backfill, compaction) also leaves a *done* note with the same id after its
 * files; with it, one listing after it captures the change, and both notes go at once.
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
  /** The writing operation's id: a done note carries the id of the note it completes. */
  readonly id: string;
  /** Written after the files: every file of operation `id` in the partition is in place. */
  readonly done: boolean;
}

const TABLE_BY_PREFIX = new Map<string, LakeTable>(Object.entries(LAKE_PREFIX).map(([table, prefix]) => [prefix, table as LakeTable]));
const DATA_DIR = /^([a-z_]+)\/(dt=\d{4}-\d{2}-\d{2})\/(hour=\d{2})\//;
const NOTE = /^changes\/([a-z_]+)\.(dt=\d{4}-\d{2}-\d{2})\.(hour=\d{2})\.(\d{13})-([0-9a-f]+)(\.done)?$/;

/** A new operation id for a pair of notes (8 hex digits). */
export function changeNoteId(): string {
  return randomUUID().slice(0, 8);
}

/**
 * `changes/<table>.dt=YYYY-MM-DD.hour=HH.<notedAt, 13 digits>-<id>` for the partition `dir`,
 * with `.done` for a done note.
 */
export function changeNoteKey(dir: string, notedAt: number, id = changeNoteId(), done = false): string {
  const m = /^([a-z_]+)\/(dt=\d{4}-\d{2}-\d{2})\/(hour=\d{2})$/.exec(dir);
  if (!m) throw new Error(`"${dir}" is not a table/dt=YYYY-MM-DD/hour=HH partition directory`);
  if (!/^[0-9a-f]+$/.test(id)) throw new Error(`change note id "${id}" must be lowercase hex`);
  return `${CHANGES_PREFIX}/${m[1]}.${m[2]}.${m[3]}.${String(Math.floor(notedAt)).padStart(13, '0')}-${id}${done ? '.done' : ''}`;
}

/** The note a key names, or null for any other key under `changes/`. */
export function parseChangeNote(key: string): LakeChangeNote | null {
  const m = NOTE.exec(key);
  if (!m) return null;
  const table = TABLE_BY_PREFIX.get(m[1]);
  if (!table) return null;
  return { key, dir: `${m[1]}/${m[2]}/${m[3]}`, table, hourStart: hourPartitionStart(`${m[2]}/${m[3]}`), notedAt: Number(m[4]), id: m[5], done: m[6] !== undefined };
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

export interface NoteOptions {
  /** Reuse a note this process left less than NOTE_REUSE_MS ago. @default true, false with an `id` */
  readonly reuse?: boolean;
  /** The operation's id, shared by its note and its done note (changeNoteId()). @default a new id */
  readonly id?: string;
  /** A done note: written after the operation's files are all in place. @default false */
  readonly done?: boolean;
}

/** Per lake: when this process last noted each partition (reused for NOTE_REUSE_MS). */
const noted = new WeakMap<ObjectStore, Map<string, number>>();

/**
 * Leaves a change note for each partition the given data keys are in; call it, and let it
 * finish, **before** writing or deleting those keys. A partition this process noted less than
 * NOTE_REUSE_MS ago is not noted again: that note covers this write too (`reuse: false` notes
 * anyway, for a writer that may run longer than a Lambda). A writer that pairs its notes passes
 * one `id` to both calls and `done: true` to the second, after its files:
 *   const id = changeNoteId();
 *   await noteLakeChanges(lake, keys, Date.now(), { id });
 *   … write the files …
 *   await noteLakeChanges(lake, keys, Date.now(), { id, done: true });
 *
 * @param now the writer's wall clock (epoch ms), not event time.
 * @example
 *   await noteLakeChanges(lake, files.map((f) => f.key), Date.now());
 *   await Promise.all(files.map((f) => lake.put(f.key, f.body)));
 */
export async function noteLakeChanges(lake: ObjectStore, keys: readonly string[], now: number, options: NoteOptions = {}): Promise<void> {
  let mine = noted.get(lake);
  if (!mine) noted.set(lake, (mine = new Map()));
  const reuse = (options.reuse ?? true) && options.id === undefined;
  const due = partitionDirsOf(keys).filter((dir) => !(reuse && now - (mine.get(dir) ?? -Infinity) < NOTE_REUSE_MS));
  await Promise.all(due.map((dir) => lake.put(changeNoteKey(dir, now, options.id, options.done), new Uint8Array())));
  for (const dir of due) mine.set(dir, now);
  // Forget partitions noted long ago, so a long-lived writer's memory stays small.
  if (mine.size > 1024) for (const [dir, at] of mine) if (now - at >= NOTE_REUSE_MS) mine.delete(dir);
}
