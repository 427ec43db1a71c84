import { EventShapeError } from './errors.js';
import type { RecordOrigin } from './reading.js';

/** One record as the MSK (or self-managed Kafka) event source mapping hands it over: key and value base64. */
export interface MskRecord {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  readonly timestamp: number;
  readonly timestampType?: string;
  readonly key?: string | null;
  readonly value?: string | null;
  readonly headers?: ReadonlyArray<Record<string, number[]>>;
}

/** The event Lambda receives from an MSK event source mapping: records grouped by "topic-partition". */
export interface MskEvent {
  readonly eventSource: 'aws:kafka' | 'SelfManagedKafka';
  readonly eventSourceArn?: string;
  readonly bootstrapServers?: string;
  readonly records: Readonly<Record<string, readonly MskRecord[]>>;
}

/** A raw record with its origin; key and value are still base64 text, exactly as delivered. */
export interface RawRecord extends RecordOrigin {
  readonly key: string | null;
  readonly value: string | null;
}

/** The records of one topic partition in one batch, in offset order. */
export interface PartitionBatch {
  readonly topic: string;
  readonly partition: number;
  readonly records: readonly RawRecord[];
}

const EVENT_SOURCES = new Set(['aws:kafka', 'SelfManagedKafka']);

/** True when `event` has the shape of an MSK / self-managed Kafka batch. */
export function isMskEvent(event: unknown): event is MskEvent {
  if (typeof event !== 'object' || event === null) return false;
  const e = event as Partial<MskEvent>;
  return EVENT_SOURCES.has(e.eventSource as string) && typeof e.records === 'object' && e.records !== null;
}

/**
 * Splits an MSK event into per-partition batches, each sorted by offset.
 * A record whose envelope is broken (no numeric offset) cannot be addressed, so the whole
 * event is rejected: Lambda would redeliver it anyway, and nothing is silently dropped.
 */
export function partitionBatches(event: MskEvent): PartitionBatch[] {
  const batches: PartitionBatch[] = [];
  for (const [name, records] of Object.entries(event.records)) {
    if (!Array.isArray(records)) throw new EventShapeError(`records["${name}"] must be an array, got ${typeof records}`);
    const out: RawRecord[] = new Array(records.length);
    for (let i = 0; i < records.length; i++) {
      const r = records[i];
      if (
        typeof r !== 'object' || r === null ||
        typeof r.topic !== 'string' || !Number.isInteger(r.partition) || !Number.isInteger(r.offset)
      ) {
        throw new EventShapeError(`records["${name}"][${i}] has no topic, integer partition and integer offset`);
      }
      const key = typeof r.key === 'string' ? r.key : null;
      const value = typeof r.value === 'string' ? r.value : null;
      const timestamp = typeof r.timestamp === 'number' ? r.timestamp : 0;
      // A record as Lambda delivers it is already a raw record: taken as it is, not copied
      // (a copy per record was a tenth of a batch's time, most of it garbage collection).
      out[i] = key === r.key && value === r.value && timestamp === r.timestamp
        ? (r as RawRecord)
        : { topic: r.topic, partition: r.partition, offset: r.offset, timestamp, key, value };
    }
    if (out.length === 0) continue;
    // Lambda delivers a partition's records in offset order; sort only when they are not.
    let ordered = true;
    for (let i = 1; i < out.length && ordered; i++) ordered = out[i - 1].offset <= out[i].offset;
    if (!ordered) out.sort((a, b) => a.offset - b.offset);
    batches.push({ topic: out[0].topic, partition: out[0].partition, records: out });
  }
  return batches;
}

/** A Kafka record as produced: key and value as text or bytes. */
export interface ProducedRecord {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  readonly timestamp: number;
  readonly key: Uint8Array | string | null;
  readonly value: Uint8Array | string | null;
}

/** Builds an MSK event from records, as the event source mapping would; used by the local stream and tests. */
export function toMskEvent(
  records: readonly ProducedRecord[],
  eventSourceArn = 'arn:aws:kafka:local:000000000000:cluster/tideline-local/local',
): MskEvent {
  const grouped: Record<string, MskRecord[]> = {};
  for (const r of records) {
    const name = `${r.topic}-${r.partition}`;
    (grouped[name] ??= []).push({
      topic: r.topic,
      partition: r.partition,
      offset: r.offset,
      timestamp: r.timestamp,
      timestampType: 'CREATE_TIME',
      key: r.key === null ? null : Buffer.from(r.key).toString('base64'),
      value: r.value === null ? null : Buffer.from(r.value).toString('base64'),
      headers: [],
    });
  }
  return { eventSource: 'aws:kafka', eventSourceArn, bootstrapServers: 'local', records: grouped };
}
