import kafkajs from 'kafkajs';
import type { Batch, EachBatchPayload, IHeaders, KafkaMessage, Kafka as KafkaClient } from 'kafkajs';
import type { MskEvent, MskRecord } from '../../readings/index.js';
import { authSetting, brokerSetting, kafkaClientConfig, resolveBrokers, type KafkaSettings } from './config.js';
import { explainKafkaError } from './errors.js';

/** The most records an MSK event source mapping puts in one event. https://docs.aws.amazon.com/lambda/latest/dg/with-msk.html */
export const MSK_MAX_BATCH_RECORDS = 10_000;
/** Lambda's synchronous invocation payload limit; events stay under it as the mapping keeps them. */
export const MSK_MAX_EVENT_BYTES = 6 * 1024 * 1024;

export interface MskEventOptions {
  /** eventSourceArn of the events: the MSK cluster ARN, or a label for a self-managed cluster. */
  readonly eventSourceArn: string;
  /** bootstrapServers of the events (comma-separated brokers). */
  readonly bootstrapServers: string;
  /** At most this many records per event. @default 10000 */
  readonly maxRecords?: number;
  /** At most about this many bytes of base64 key + value per event. @default 6 MiB */
  readonly maxBytes?: number;
}

/** The part of a kafkajs batch that the events are built from. */
export type KafkaBatchLike = Pick<Batch, 'topic' | 'partition' | 'messages'>;

/** Kafka headers as the MSK event carries them: one object per header, the value as its bytes. */
function mskHeaders(headers: IHeaders | undefined): Record<string, number[]>[] {
  const out: Record<string, number[]>[] = [];
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (value === undefined) continue;
    for (const v of Array.isArray(value) ? value : [value]) out.push({ [name]: [...Buffer.from(v)] });
  }
  return out;
}

/** kafkajs keeps the batch's timestamp type in the (untyped) batch context: 1 is LogAppendTime. */
function timestampType(message: KafkaMessage): string {
  const ctx = (message as { batchContext?: { timestampType?: number } }).batchContext;
  return ctx?.timestampType === 1 ? 'LOG_APPEND_TIME' : 'CREATE_TIME';
}

function toMskRecord(topic: string, partition: number, m: KafkaMessage): MskRecord {
  return {
    topic,
    partition,
    offset: Number(m.offset),
    timestamp: Number(m.timestamp),
    timestampType: timestampType(m),
    key: m.key === null ? null : m.key.toString('base64'),
    value: m.value === null ? null : m.value.toString('base64'),
    headers: mskHeaders(m.headers),
  };
}

/**
 * Builds the MSK events an event source mapping would deliver for one kafkajs batch: records
 * keyed "topic-partition", base64 key and value, numeric offset and timestamp, headers as byte
 * arrays; split so no event exceeds `maxRecords` records or about `maxBytes` bytes, in offset order.
 * Control records (transaction markers) are not data and are left out, as Lambda does.
 */
export function mskEventsFromBatch(batch: KafkaBatchLike, options: MskEventOptions): MskEvent[] {
  const maxRecords = Math.min(options.maxRecords ?? MSK_MAX_BATCH_RECORDS, MSK_MAX_BATCH_RECORDS);
  const maxBytes = options.maxBytes ?? MSK_MAX_EVENT_BYTES;
  const name = `${batch.topic}-${batch.partition}`;
  const events: MskEvent[] = [];
  let records: MskRecord[] = [];
  let bytes = 0;
  const close = () => {
    if (records.length === 0) return;
    events.push({ eventSource: 'aws:kafka', eventSourceArn: options.eventSourceArn, bootstrapServers: options.bootstrapServers, records: { [name]: records } });
    records = [];
    bytes = 0;
  };
  for (const m of batch.messages) {
    if ((m as { isControlRecord?: boolean }).isControlRecord) continue;
    const record = toMskRecord(batch.topic, batch.partition, m);
    const size = (record.key?.length ?? 0) + (record.value?.length ?? 0) + 200;
    if (records.length >= maxRecords || (records.length > 0 && bytes + size > maxBytes)) close();
    records.push(record);
    bytes += size;
  }
  close();
  return events;
}

/** Commits "next offset to read" for a topic partition (kafkajs' commitOffsets shape). */
export type CommitOffset = (position: { topic: string; partition: number; offset: string }) => Promise<void>;

/**
 * Delivers one kafkajs batch to `handler` as MSK events, one at a time; after each event's
 * handler returns, resolves and commits the offset after its last record. A handler that throws
 * commits nothing for that event, so the records come again (the handler is replay-safe).
 * Stops early when the consumer is stopping or the batch went stale in a rebalance.
 * Returns the number of records delivered and committed.
 */
export async function deliverBatch(
  payload: Pick<EachBatchPayload, 'batch' | 'resolveOffset' | 'heartbeat' | 'isRunning' | 'isStale'>,
  handler: (event: MskEvent) => Promise<unknown>,
  commit: CommitOffset,
  options: MskEventOptions,
): Promise<number> {
  let delivered = 0;
  for (const event of mskEventsFromBatch(payload.batch, options)) {
    if (!payload.isRunning() || payload.isStale()) break;
    await handler(event);
    const records = Object.values(event.records)[0];
    const last = records[records.length - 1].offset;
    payload.resolveOffset(String(last));
    await commit({ topic: payload.batch.topic, partition: payload.batch.partition, offset: String(last + 1) });
    delivered += records.length;
    await payload.heartbeat();
  }
  return delivered;
}

export interface KafkaEventConsumerOptions {
  readonly settings: KafkaSettings;
  readonly topics: readonly string[];
  /** Takes each MSK event, e.g. the executor handler. */
  readonly handler: (event: MskEvent) => Promise<unknown>;
  /** Read each partition from its beginning when the group has no committed offset. @default false */
  readonly fromBeginning?: boolean;
  /** @default 10000 */
  readonly maxRecords?: number;
  /** Partitions handled at once (each partition stays in order). @default 1 */
  readonly partitionsConcurrently?: number;
  /** Called when the consumer crashes and will not restart. */
  readonly onCrash?: (error: Error) => void;
  /** A kafkajs client to use instead of one built from `settings`. */
  readonly kafka?: KafkaClient;
}

/** A running consumer group member; `stop()` finishes the event in hand, commits, and leaves the group. */
export interface KafkaEventConsumer {
  readonly brokers: readonly string[];
  /** Records delivered to the handler and committed. */
  delivered(): number;
  stop(): Promise<void>;
}

/**
 * Consumes the topics with a kafkajs consumer group and hands the handler exactly the MSK
 * events the Lambda event source mapping would, committing offsets only after the handler
 * returns. Auto-commit is off: a crash between handler and commit redelivers the event, which
 * the executor's offset high-water marks make harmless.
 */
export async function startKafkaEventConsumer(options: KafkaEventConsumerOptions): Promise<KafkaEventConsumer> {
  const { settings } = options;
  const brokers = await resolveBrokers(settings);
  const explain = (e: unknown) => explainKafkaError(e, brokers, brokerSetting(settings), authSetting(settings));
  const kafka = options.kafka ?? new kafkajs.Kafka(kafkaClientConfig(settings, brokers));
  const consumer = kafka.consumer({ groupId: settings.groupId });
  const eventOptions: MskEventOptions = {
    eventSourceArn: settings.mskClusterArn ?? `self-managed:${brokers.join(',')}`,
    bootstrapServers: brokers.join(','),
    maxRecords: options.maxRecords,
  };
  let delivered = 0;
  try {
    await consumer.connect();
    await consumer.subscribe({ topics: [...options.topics], fromBeginning: options.fromBeginning ?? false });
  } catch (e) {
    await consumer.disconnect().catch(() => undefined);
    throw explain(e);
  }
  if (options.onCrash) {
    const onCrash = options.onCrash;
    consumer.on(consumer.events.CRASH, (event) => {
      if (!event.payload.restart) onCrash(explain(event.payload.error));
    });
  }
  await consumer.run({
    autoCommit: false,
    eachBatchAutoResolve: false,
    partitionsConsumedConcurrently: options.partitionsConcurrently ?? 1,
    eachBatch: async (payload) => {
      delivered += await deliverBatch(payload, options.handler, (p) => consumer.commitOffsets([p]), eventOptions);
    },
  });
  return {
    brokers,
    delivered: () => delivered,
    stop: () => consumer.disconnect(),
  };
}
