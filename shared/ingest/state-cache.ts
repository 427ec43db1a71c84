import { minuteSummaryKey, type MinuteSummary } from '../judgment/index.js';
import type { LoadedWindows } from './window-buckets.js';

/** What one topic partition's last committed batch left: its mark, sensor windows and minute summaries. */
export interface CommittedPartitionState {
  readonly hwm: number;
  /** The window layout's bucket count the mark records. */
  readonly buckets: number;
  /** Committed windows of the buckets this process has read or written, whole. */
  readonly windows: LoadedWindows;
  /** Committed minute summaries of recent minutes, by `minuteSummaryKey`. */
  readonly summaries: Map<string, MinuteSummary>;
}

const MINUTE_MS = 60_000;

/**
 * Sensor windows and minute summaries of each topic partition as this process committed them,
 * kept across the batches of a warm function so it need not read them back.
 *
 * Valid only while the partition's mark is the one this process advanced it to. The state
 * committed at an offset is a function of the stream up to that offset, so whoever committed it
 * holds the same; a mark moved by another consumer, or a failed attempt here, drops the
 * partition's state. Only a speed-up: a cold function reads the same state from the stores and
 * computes the same rows.
 */
export class IngestStateCache {
  private readonly partitions = new Map<string, CommittedPartitionState>();

  constructor(
    /** Bound on cached window buckets per partition (one per sensor when not packed), so a long-lived function's memory stays flat. */
    private readonly maxBucketsPerPartition = 50_000,
    /** Minute summaries older than this before the newest one are dropped (late readings read them back). */
    private readonly keepSummariesMs = 5 * MINUTE_MS,
  ) {}

  /** The partition's state if this process committed its mark at `hwm`; otherwise forgets it and returns null. */
  validAt(topic: string, partition: number, hwm: number): CommittedPartitionState | null {
    const key = `${topic}\u0000${partition}`;
    const state = this.partitions.get(key);
    if (!state) return null;
    if (state.hwm === hwm) return state;
    this.partitions.delete(key);
    return null;
  }

  /**
   * Records what this process just committed at `hwm`: the partition's windows in the layout of
   * `buckets` (the loaded ones, updated with what the batch wrote) and the summaries it wrote, on
   * top of those it kept.
   */
  committed(
    topic: string,
    partition: number,
    hwm: number,
    buckets: number,
    windows: LoadedWindows,
    previous: CommittedPartitionState | null,
    summaries: readonly MinuteSummary[],
  ): void {
    if (windows.size > this.maxBucketsPerPartition) windows.clear();
    const state: CommittedPartitionState = { hwm, buckets, windows, summaries: previous?.summaries ?? new Map() };
    let newest = -Infinity;
    for (const s of summaries) {
      state.summaries.set(minuteSummaryKey(s.sensor_id, s.minute, s.anomaly_classification), s);
      newest = Math.max(newest, s.minute);
    }
    for (const [k, s] of state.summaries) if (s.minute < newest - this.keepSummariesMs) state.summaries.delete(k);
    this.partitions.set(`${topic}\u0000${partition}`, state);
  }

  /** Drops the partition's state (a failed attempt: what it wrote may or may not be committed). */
  forget(topic: string, partition: number): void {
    this.partitions.delete(`${topic}\u0000${partition}`);
  }
}

