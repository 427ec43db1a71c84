/**
 * Ports: the small interfaces through which the domain reaches outside systems. Adapters for
 * AWS (DynamoDB, S3, Athena) and for one machine (a directory, DuckDB) implement them, and
 * handlers get them injected, so the same handler runs on Lambda and locally.
 */
import type { DeadLetter } from '../readings/index.js';
import type { AlertChange, AnomalyClassification, MinuteSummary, SensorWindow } from '../judgment/index.js';
import type { ReflectionPointer, SensorReflection } from '../reflections/index.js';

/** A flat key → bytes store: the lake's storage (S3 on AWS, a directory locally). */
export interface ObjectStore {
  put(key: string, body: Uint8Array): Promise<void>;
  /** The object's bytes, or null when there is no such object. */
  get(key: string): Promise<Uint8Array | null>;
  /** Deletes the keys; a missing key is not an error. */
  delete(keys: readonly string[]): Promise<void>;
  /** Every key under the prefix, sorted. */
  list(prefix: string): Promise<string[]>;
}

/** Historical context, versioned: readers see one version; a refresh writes a new one, then flips the pointer. */
export interface ReflectionStore {
  currentPointer(): Promise<ReflectionPointer | null>;
  /** The reflections of `version` for the given sensors; sensors without one are absent from the map. */
  getReflections(version: string, sensorIds: readonly string[]): Promise<Map<string, SensorReflection>>;
  putReflections(reflections: readonly SensorReflection[], expiresAt: number): Promise<void>;
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
  getSensorWindows(sensorIds: readonly string[]): Promise<Map<string, StoredSensorWindow>>;
  putSensorWindows(windows: readonly StoredSensorWindow[]): Promise<void>;
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
