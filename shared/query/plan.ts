import { hourPartitionStart, LAKE_PREFIX } from '../lake/index.js';
import type { ObjectStore } from '../ports/index.js';
import { groupByHour, visibleHourFiles } from '../refresh/index.js';
import type { QuerySpec } from './spec.js';

const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;
/** Day listings in flight at once (S3 LIST calls are a round trip each). */
const LIST_PARALLEL = 8;

/** One lake file a query must read: its hour partition and its sensor shard. */
export interface LakeFile {
  readonly key: string;
  /** Start of the file's hour partition, epoch ms. */
  readonly hour: number;
  /**
   * The sensor shard: the Kafka topic partition the file came from. The Kafka key is the sensor
   * id, so one sensor's readings are always in one shard.
   */
  readonly shard: string;
}

/** One unit of work of a query, as the coordinator sends it to an executor in query mode. */
export interface QuerySlice {
  readonly mode: 'query';
  readonly queryId: string;
  readonly sliceId: string;
  /** Which shards and hours, for error messages and logs. */
  readonly describedAs: string;
  readonly spec: QuerySpec;
  readonly files: readonly string[];
}

/** True when an executor event is a query slice rather than an MSK batch. */
export function isQuerySlice(event: unknown): event is QuerySlice {
  if (typeof event !== 'object' || event === null) return false;
  const e = event as Record<string, unknown>;
  return e.mode === 'query' && typeof e.sliceId === 'string' && Array.isArray(e.files) && typeof e.spec === 'object' && e.spec !== null;
}

const FILE = /^(.*\/)?([^/]+)-(\d+)-\d{20}-\d{20}\.parquet$/;

/**
 * The lake files whose hour partition overlaps [from, to), listed one day prefix at a time
 * (`readings/dt=YYYY-MM-DD/`), so a month-long query makes about 31 listings, not 744.
 */
export async function listLakeFiles(lake: ObjectStore, from: number, to: number): Promise<LakeFile[]> {
  const firstHour = Math.floor(from / HOUR_MS) * HOUR_MS;
  const days: string[] = [];
  for (let d = Math.floor(from / DAY_MS) * DAY_MS; d < to; d += DAY_MS) days.push(`${LAKE_PREFIX.readings}/dt=${new Date(d).toISOString().slice(0, 10)}/`);
  const listed: string[][] = new Array(days.length);
  let next = 0;
  const worker = async () => {
    while (next < days.length) {
      const i = next++;
      listed[i] = await lake.list(days[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(LIST_PARALLEL, days.length) }, worker));
  // Only what the lake's compaction rule makes visible: never a compaction's sources and its result together.
  const visible: string[] = [];
  for (const hourDir of groupByHour(listed.flat()).values()) visible.push(...(await visibleHourFiles(lake, hourDir)).visible);
  const out: LakeFile[] = [];
  for (const key of visible) {
    const hour = hourPartitionStart(key);
    if (hour < firstHour || hour >= to) continue;
    const m = FILE.exec(key);
    // Files not named by stream position (e.g. compacted ones) form their own shard.
    out.push({ key, hour, shard: m ? `${m[2]}-${m[3]}` : key });
  }
  return out;
}

/**
 * Splits the files into at most `spec.fanOut` slices: sensor shards × time ranges. Shards are
 * dealt round-robin into min(fanOut, shards) groups, hours cut into contiguous ranges to use
 * the remaining width; empty cells are dropped. Every file lands in exactly one slice.
 */
export function planSlices(spec: QuerySpec, files: readonly LakeFile[], queryId: string): QuerySlice[] {
  if (files.length === 0) return [];
  const shards = [...new Set(files.map((f) => f.shard))].sort();
  const hours = [...new Set(files.map((f) => f.hour))].sort((a, b) => a - b);
  const shardGroups = Math.min(spec.fanOut, shards.length);
  const timeRanges = Math.min(hours.length, Math.max(1, Math.floor(spec.fanOut / shardGroups)));
  const shardGroupOf = new Map(shards.map((s, i) => [s, i % shardGroups]));
  const rangeOf = new Map(hours.map((h, i) => [h, Math.floor((i * timeRanges) / hours.length)]));
  const cells = new Map<number, LakeFile[]>();
  for (const f of files) {
    const cell = shardGroupOf.get(f.shard)! * timeRanges + rangeOf.get(f.hour)!;
    let list = cells.get(cell);
    if (!list) cells.set(cell, (list = []));
    list.push(f);
  }
  return [...cells.entries()]
    .sort(([a], [b]) => a - b)
    .map(([, cellFiles], i) => {
      const cellShards = [...new Set(cellFiles.map((f) => f.shard))].sort();
      const cellHours = cellFiles.map((f) => f.hour);
      const first = new Date(Math.min(...cellHours)).toISOString().slice(0, 13);
      const last = new Date(Math.max(...cellHours)).toISOString().slice(0, 13);
      const shardText = cellShards.length > 3 ? `${cellShards.slice(0, 3).join(',')}… (${cellShards.length} shards)` : cellShards.join(',');
      return {
        mode: 'query' as const,
        queryId,
        sliceId: `${queryId}/s${i}`,
        describedAs: `shards ${shardText}, hours ${first}h..${last}h, ${cellFiles.length} files`,
        spec,
        files: cellFiles.map((f) => f.key).sort(),
      };
    });
}
