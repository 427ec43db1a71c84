import { createHash } from 'node:crypto';
import { hourPartitionStart, LAKE_PREFIX, type LakeTable } from '../lake/index.js';
import type { ObjectStore } from '../ports/index.js';
import { CompactionManifestError } from './errors.js';

/**
 * Which Parquet files of an hour partition a reader must read: the lake's one rule that makes
 * compaction invisible to readers (see README, "Compaction").
 *
 * An hour partition holds batch files (`<topic>-<partition>-<first>-<last>.parquet`, as the
 * executor and backfill name them), at most one committed compacted file
 * (`compacted-<generation>.parquet`) and compaction manifests (`_compaction-<generation>.json`;
 * the leading underscore keeps Athena/Hive from reading them as data). The newest manifest is
 * the commit point of a compaction: it names its compacted file and every file that file
 * replaces. So:
 * - a compacted file is visible only once a manifest names it (written before: invisible);
 * - a file the newest manifest replaces is hidden, even while it still exists (deleted after);
 * - every other batch file is visible, including a late one written into the hour after
 *   compaction (a later compaction folds it in).
 * One object put is atomic (S3, and the directory store's rename), so a reader sees the
 * compaction entirely or not at all, never both the sources and the result, nor neither.
 */
export interface CompactionManifest {
  readonly generation: number;
  /** Key of the compacted file this manifest commits. */
  readonly file: string;
  /** Keys the compacted file replaces (cumulative over generations). */
  readonly replaces: readonly string[];
}

const MANIFEST = /\/_compaction-(\d{6})\.json$/;
const COMPACTED = /\/compacted-(\d{6})\.parquet$/;
const HOUR_DIR = /^([a-z_]+)\/(dt=\d{4}-\d{2}-\d{2}\/hour=\d{2})\//;

export function isManifestKey(key: string): boolean {
  return MANIFEST.test(key);
}

export function isCompactedKey(key: string): boolean {
  return COMPACTED.test(key);
}

/** `table/dt=…/hour=…/compacted-<generation>.parquet` */
export function compactedKey(hourDir: string, generation: number): string {
  return `${hourDir}/compacted-${String(generation).padStart(6, '0')}.parquet`;
}

/** `table/dt=…/hour=…/_compaction-<generation>.json` */
export function manifestKey(hourDir: string, generation: number): string {
  return `${hourDir}/_compaction-${String(generation).padStart(6, '0')}.json`;
}

/** One hour partition's directory and its keys, as listed. */
export interface HourDirectory {
  /** `table/dt=YYYY-MM-DD/hour=HH` */
  readonly dir: string;
  readonly table: LakeTable;
  readonly hourStart: number;
  readonly keys: string[];
}

const TABLE_BY_PREFIX = new Map<string, LakeTable>(Object.entries(LAKE_PREFIX).map(([table, prefix]) => [prefix, table as LakeTable]));

/** Groups listed keys by hour partition; keys outside `table/dt=…/hour=…/` are ignored. */
export function groupByHour(keys: readonly string[]): Map<string, HourDirectory> {
  const out = new Map<string, HourDirectory>();
  for (const key of keys) {
    const m = HOUR_DIR.exec(key);
    if (!m) continue;
    const table = TABLE_BY_PREFIX.get(m[1]);
    if (!table) continue;
    const dir = `${m[1]}/${m[2]}`;
    let h = out.get(dir);
    if (!h) out.set(dir, (h = { dir, table, hourStart: hourPartitionStart(m[2]), keys: [] }));
    h.keys.push(key);
  }
  return out;
}

/** The newest manifest key among an hour's keys, or null. */
export function newestManifestKey(keys: readonly string[]): string | null {
  let best: string | null = null;
  for (const k of keys) if (MANIFEST.test(k) && (best === null || k > best)) best = k;
  return best;
}

/** Applies the visibility rule to an hour's listed keys, given its newest manifest (if any). */
export function resolveVisible(keys: readonly string[], manifest: CompactionManifest | null): { visible: string[]; hidden: string[] } {
  const replaced = new Set(manifest?.replaces ?? []);
  const visible: string[] = [];
  const hidden: string[] = [];
  for (const k of keys) {
    if (!k.endsWith('.parquet')) continue;
    const ok = isCompactedKey(k) ? manifest !== null && manifest.file === k : !replaced.has(k);
    (ok ? visible : hidden).push(k);
  }
  return { visible: visible.sort(), hidden: hidden.sort() };
}

export async function readManifest(lake: ObjectStore, key: string): Promise<CompactionManifest | null> {
  const bytes = await lake.get(key);
  if (bytes === null) return null;
  let m: unknown;
  try {
    m = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch (e) {
    throw new CompactionManifestError(key, `not JSON: ${(e as Error).message}`);
  }
  const x = m as Partial<CompactionManifest>;
  if (typeof x.generation !== 'number' || typeof x.file !== 'string' || !Array.isArray(x.replaces)) {
    throw new CompactionManifestError(key, 'expected {generation: number, file: string, replaces: string[]}');
  }
  return x as CompactionManifest;
}

/** The visible and hidden data files of one listed hour partition (reads its newest manifest). */
export async function visibleHourFiles(lake: ObjectStore, hour: HourDirectory): Promise<{ visible: string[]; hidden: string[]; manifest: CompactionManifest | null }> {
  const mk = newestManifestKey(hour.keys);
  const manifest = mk === null ? null : await readManifest(lake, mk);
  return { ...resolveVisible(hour.keys, manifest), manifest };
}

/**
 * Every visible data file of a lake table (optionally under a narrower prefix such as
 * `readings/dt=2026-01-05/`): what any reader that lists files (DuckDB, the query path) reads.
 */
export async function visibleLakeKeys(lake: ObjectStore, table: LakeTable, under = `${LAKE_PREFIX[table]}/`): Promise<string[]> {
  const hours = groupByHour(await lake.list(under));
  const out: string[] = [];
  for (const h of hours.values()) out.push(...(await visibleHourFiles(lake, h)).visible);
  return out.sort();
}

/** Fingerprint of an hour's listing: changes whenever a file arrives, is replaced by compaction or is removed. */
export function fingerprintOf(keys: readonly string[]): string {
  const h = createHash('sha256');
  for (const k of [...keys].sort()) h.update(k).update('\n');
  return h.digest('base64url').slice(0, 22);
}
