/**
 * Ports: the small interfaces through which the domain reaches outside systems. Adapters for
 * AWS (DynamoDB, S3, Athena) and for one machine (a directory, DuckDB) implement them, and
 * handlers get them injected, so the same handler runs on Lambda and locally.
 */
import type { DeadLetter } from '../readings/index.js';
import type { AlertChange, AnomalyClassification, MinuteSummary, SensorWindow } from '../judgment/index.js';
import type { ReflectionPointer, SensorReflection } from '../reflections/index.js';
import type { Alert } from '../judgment/index.js';
import type { EnrichedReading } from '../judgment/index.js';
import type { QueryLogEntry, QuerySlice, SliceResult } from '../query/index.js';

/** A flat key → bytes store: the lake's storage (S3 on AWS, a directory locally). */
export interface ObjectStore {
  /**
   * Stores the object whole (a reader sees the old bytes or the new, never a mix). May resolve to
   * the new object's version token, as `version` would give it (nothing or null: unknown), so a
   * writer that remembers what it wrote can later tell, without reading it back, that the object is
   * still its own.
   */
  put(key: string, body: Uint8Array): Promise<string | null | void>;
  /** The object's bytes, or null when there is no such object. */
  get(key: string): Promise<Uint8Array | null>;
  /** Deletes the keys; a missing key is not an error. */
  delete(keys: readonly string[]): Promise<void>;
  /** Every key under the prefix, sorted. */
  list(prefix: string): Promise<string[]>;
  /**
   * A token that changes whenever the object's content does (the ETag on S3; size, mtime and
   * inode on disk), or null when there is no such object. Optional: a reader that keeps decoded
   * objects (the query executor's file cache) uses it to tell a rewritten key from an unchanged
   * one, and decodes every time when a store lacks it.
   */
  version?(key: string): Promise<string | null>;
}

/** Historical context, versioned: readers see one version; a refresh writes a new one, then flips the pointer. */
export interface ReflectionStore {
  currentPointer(): Promise<ReflectionPointer | null>;
  /** The reflections of `version` for the given sensors; sensors without one are absent from the map. */
  getReflections(version: string, sensorIds: readonly string[]): Promise<Map<string, SensorReflection>>;
  /**
   * Writes the reflections of one version. They are read once, in order, and an implementation
   * may start encoding each as it arrives, so a caller can produce them lazily (the refresh merges
   * sensor by sensor while the DynamoDB store compresses the ones before on the thread pool).
   */
  putReflections(reflections: Iterable<SensorReflection>, expiresAt: number): Promise<void>;
  /** Makes `pointer` the version in force, only if `expectedVersion` is still in force (null: none yet). */
  flipPointer(pointer: ReflectionPointer, expectedVersion: string | null): Promise<void>;
}

/** Files an attempt at a batch is writing, recorded before it writes them, so a retry can remove them. */
export interface PendingLakeWrite {
  readonly files: readonly string[];
  readonly through: number;
  readonly reflectionVersion: string | null;
}

/** Per topic partition: every offset ≤ `hwm` is fully applied. */
export interface PartitionMark {
  readonly topic: string;
  readonly partition: number;
  readonly hwm: number;
  readonly pending: PendingLakeWrite | null;
  /**
   * How many bucket items hold the partition's sensor windows (see WindowLayout); absent: the
   * store's initial layout. Changes only with the mark's advance, so a layout is committed with
   * the windows written in it.
   */
  readonly windowBuckets?: number;
}

/**
 * Where one topic partition's sensor windows are stored: `buckets` items, each holding the
 * sensors whose id hashes to it, or one item per sensor when `buckets` is 0. A sensor lives in one
 * partition (the Kafka key is its id), so no two partitions write one item.
 */
export interface WindowLayout {
  readonly topic: string;
  readonly partition: number;
  readonly buckets: number;
}

/** A sensor's window as of an applied offset. */
export interface WindowVersion {
  readonly window: SensorWindow;
  readonly appliedThrough: number;
}

/**
 * A sensor's stored window: the current one and the one it was computed from. If `current`
 * came from an attempt whose partition mark never advanced, `previous` is the committed state.
 */
export interface StoredSensorWindow {
  readonly sensorId: string;
  readonly current: WindowVersion;
  readonly previous: WindowVersion | null;
}

/** Stream-processing state: partition high-water marks and sensor windows. */
export interface IngestStateStore {
  getPartitionMark(topic: string, partition: number): Promise<PartitionMark | null>;
  putPartitionMark(mark: PartitionMark): Promise<void>;
  /**
   * Average bytes a window bucket may reach before a partition's buckets double; 0 keeps one item
   * per sensor. What suits the store: DynamoDB bills by the KB (0), DynamoDB Local pays per item.
   */
  readonly windowBucketBytes: number;
  /** The stored windows in each of `keys` (bucket numbers, or sensor ids when `layout.buckets` is 0); empty buckets are absent. */
  getWindowBuckets(layout: WindowLayout, keys: readonly string[]): Promise<Map<string, StoredSensorWindow[]>>;
  /** Replaces each bucket's item with the given windows (every sensor the bucket holds). */
  putWindowBuckets(layout: WindowLayout, buckets: ReadonlyMap<string, readonly StoredSensorWindow[]>): Promise<void>;
}

export interface MinuteSummaryKey {
  readonly sensorId: string;
  readonly minute: number;
  readonly classification: AnomalyClassification;
}

export interface MinuteSummaryStore {
  getMany(keys: readonly MinuteSummaryKey[]): Promise<MinuteSummary[]>;
  putMany(summaries: readonly MinuteSummary[]): Promise<void>;
}

export interface AlertStore {
  /** Applies opens and closes; idempotent (ids are derived from stream positions). */
  apply(changes: readonly AlertChange[]): Promise<void>;
}

export interface DeadLetterStore {
  /** Idempotent: a dead letter is keyed by topic, partition and offset. */
  putMany(deadLetters: readonly DeadLetter[]): Promise<void>;
}

/** A value in a SQL result row: numbers for numeric columns, strings for text and times. */
export type SqlValue = string | number | boolean | null;
export type SqlRow = Readonly<Record<string, SqlValue>>;

/**
 * Runs SQL over the lake: Athena on AWS, DuckDB over the lake directory on one machine. One
 * generator writes the text for both (`dialect` says which); numeric columns come back as
 * numbers (BIGINT as a JS number: counts and epoch milliseconds stay below 2^53).
 */
export interface SqlEngine {
  readonly dialect: 'duckdb' | 'athena';
  query(sql: string, options?: SqlQueryOptions): Promise<SqlRow[]>;
}

/** What a caller knows of a query that an engine may plan by. */
export interface SqlQueryOptions {
  /**
   * How many lake files the query reads, when the caller listed them. DuckDB runs a query of a
   * few files on one thread: for an hour of new data, handing work between threads costs more than
   * it saves. Athena ignores it.
   */
  readonly lakeFiles?: number;
}

/** Reads alerts for the API (the executor only writes them, through AlertStore). */
export interface AlertReader {
  /** Open alerts, newest first, at most `limit`. */
  openAlerts(limit: number): Promise<Alert[]>;
  /** Alerts closed since `since` (epoch ms, by opening time), newest first, at most `limit`. */
  recentlyClosedAlerts(since: number, limit: number): Promise<Alert[]>;
  /** One sensor's open alerts, newest first. */
  openAlertsOf(sensorId: string): Promise<Alert[]>;
}

/** Runs one query slice on an executor: Lambda Invoke on AWS, a bounded worker pool locally. */
export interface SliceInvoker {
  /** The slice's result; rejects on failure. `signal` aborts waiting when the query is given up. */
  invoke(slice: QuerySlice, options: { readonly timeoutMs: number; readonly signal?: AbortSignal }): Promise<SliceResult>;
}

/** Every API query, for GET /metrics/sla. */
export interface QueryLog {
  /** Stores the entries (one or more; the DynamoDB log writes 25 a request). */
  record(entries: readonly QueryLogEntry[]): Promise<void>;
  /** Entries that started in [from, to), any order. */
  entriesBetween(from: number, to: number): Promise<QueryLogEntry[]>;
}

/**
 * Receives what the executor judged, once the partition's mark is committed (so it sees only
 * applied work, once per delivery that applied it). `offer` returns at once and never throws:
 * an outside system's trouble must never block or fail ingestion — the InfluxDB sink buffers,
 * retries, and drops with a count instead.
 */
export interface JudgedReadingSink {
  offer(rows: readonly EnrichedReading[], alerts: readonly AlertChange[]): void;
}
