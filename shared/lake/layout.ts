/**
 * The lake's layout: Hive-style hour partitions by event time, so Athena (partition projection)
 * and DuckDB (hive_partitioning) prune by time, and object names derived from stream positions,
 * so a replayed batch overwrites its own files instead of adding copies.
 */
export const LAKE_PREFIX = {
  readings: 'readings',
  deviceStatus: 'device_status',
} as const;
export type LakeTable = keyof typeof LAKE_PREFIX;

const pad2 = (n: number) => String(n).padStart(2, '0');

/** `dt=YYYY-MM-DD/hour=HH` of an event time (UTC). */
export function hourPartition(ts: number): string {
  const d = new Date(ts);
  return `dt=${d.getUTCFullYear()}-${pad2(d.getUTCMonth() + 1)}-${pad2(d.getUTCDate())}/hour=${pad2(d.getUTCHours())}`;
}

/** Start of the hour (epoch ms) that a partition path names. */
export function hourPartitionStart(partition: string): number {
  const m = /dt=(\d{4})-(\d{2})-(\d{2})\/hour=(\d{2})/.exec(partition);
  if (!m) throw new Error(`"${partition}" is not a dt=YYYY-MM-DD/hour=HH partition`);
  return Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4]);
}

/** Object key of the rows one batch wrote for one hour: table/partition/topic-partition-first-last.parquet. */
export function batchObjectKey(table: LakeTable, ts: number, topic: string, partition: number, firstOffset: number, lastOffset: number): string {
  const o = (n: number) => String(n).padStart(20, '0');
  return `${LAKE_PREFIX[table]}/${hourPartition(ts)}/${topic}-${partition}-${o(firstOffset)}-${o(lastOffset)}.parquet`;
}
