import kafkajs from 'kafkajs';
import type { Kafka as KafkaClient, Message, Producer } from 'kafkajs';
import type { Reading } from '../../readings/index.js';
import { authSetting, brokerSetting, KAFKA_COMPRESSION, kafkaClientConfig, resolveBrokers, type KafkaSettings } from './config.js';
import { explainKafkaError } from './errors.js';

/** A reading as it travels on the topic: the README's JSON, event time as ISO-8601 UTC. */
export function readingMessage(reading: Reading, now: number): Message {
  return {
    key: reading.sensor_id,
    value: JSON.stringify({ ...reading, ts: new Date(reading.ts).toISOString() }),
    // The Kafka timestamp is when the record was produced; event time travels in the value.
    timestamp: String(now),
  };
}

export interface ReadingProducerOptions {
  readonly settings: KafkaSettings;
  readonly topic: string;
  /** Readings per produce request. @default 500 */
  readonly batchSize?: number;
  /** Longest a buffered reading waits before it is sent. @default 50 */
  readonly lingerMs?: number;
  /** acks: -1 waits for every in-sync replica (no loss on a broker failure). @default -1 */
  readonly acks?: -1 | 0 | 1;
  /** A kafkajs client to use instead of one built from `settings`. */
  readonly kafka?: KafkaClient;
  /** Clock for record timestamps. @default Date.now */
  readonly now?: () => number;
}

export interface ProducerStats {
  readings: number;
  requests: number;
  bytes: number;
}

/**
 * Sends readings to a topic with kafkajs: key = sensor_id (so one sensor's readings stay in
 * order on one partition, with the Java client's murmur2 partitioner), batched into one
 * request per `batchSize` readings or `lingerMs`, compressed per KAFKA_COMPRESSION.
 * `send` waits when a batch is full, so a fast source is held back to the cluster's pace.
 */
export class ReadingProducer {
  private buffer: Message[] = [];
  private bufferBytes = 0;
  private timer: NodeJS.Timeout | null = null;
  private inFlight: Promise<void> = Promise.resolve();
  private failure: Error | null = null;
  readonly stats: ProducerStats = { readings: 0, requests: 0, bytes: 0 };

  private constructor(
    private readonly producer: Producer,
    readonly brokers: readonly string[],
    private readonly options: ReadingProducerOptions,
    private readonly explain: (e: unknown) => Error,
  ) {}

  /** Resolves the brokers (MSK_CLUSTER_ARN when given), connects, and returns a producer. */
  static async connect(options: ReadingProducerOptions): Promise<ReadingProducer> {
    const { settings } = options;
    const brokers = await resolveBrokers(settings);
    const explain = (e: unknown) => explainKafkaError(e, brokers, brokerSetting(settings), authSetting(settings));
    const kafka = options.kafka ?? new kafkajs.Kafka(kafkaClientConfig(settings, brokers));
    const producer = kafka.producer({ createPartitioner: kafkajs.Partitioners.DefaultPartitioner, allowAutoTopicCreation: false });
    try {
      await producer.connect();
    } catch (e) {
      throw explain(e);
    }
    return new ReadingProducer(producer, brokers, options, explain);
  }

  /** Buffers a reading; when the batch is full, waits for the previous request and sends. */
  async send(reading: Reading): Promise<void> {
    if (this.failure) throw this.failure;
    const message = readingMessage(reading, (this.options.now ?? Date.now)());
    this.buffer.push(message);
    this.bufferBytes += (message.value as string).length + reading.sensor_id.length;
    if (this.buffer.length >= (this.options.batchSize ?? 500)) {
      await this.flush();
    } else if (!this.timer) {
      this.timer = setTimeout(() => {
        this.timer = null;
        this.flush().catch(() => undefined); // the failure is kept and thrown by the next send/flush
      }, this.options.lingerMs ?? 50);
    }
  }

  /** Sends whatever is buffered and waits until the cluster acknowledged everything so far. */
  async flush(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    const messages = this.buffer;
    const bytes = this.bufferBytes;
    this.buffer = [];
    this.bufferBytes = 0;
    // One request at a time keeps each partition's order and bounds what is held in memory.
    this.inFlight = this.inFlight.then(async () => {
      if (messages.length === 0 || this.failure) return;
      try {
        await this.producer.send({
          topic: this.options.topic,
          messages,
          acks: this.options.acks ?? -1,
          compression: this.options.settings.compression === KAFKA_COMPRESSION.gzip ? kafkajs.CompressionTypes.GZIP : kafkajs.CompressionTypes.None,
        });
        this.stats.readings += messages.length;
        this.stats.requests++;
        this.stats.bytes += bytes;
      } catch (e) {
        this.failure = this.explain(e);
      }
    });
    await this.inFlight;
    if (this.failure) throw this.failure;
  }

  /** Flushes, then disconnects. */
  async close(): Promise<void> {
    try {
      await this.flush();
    } finally {
      await this.producer.disconnect();
    }
  }
}
