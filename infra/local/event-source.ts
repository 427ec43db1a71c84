import { toMskEvent, type MskEvent, type ProducedRecord } from '../../shared/readings/index.js';
import type { EmbeddedLog, RecordPosition } from '../../shared/adapters/index.js';

export interface EventSourceOptions {
  readonly log: EmbeddedLog;
  readonly topics: readonly string[];
  /** Consumer group whose committed offsets say where to resume. @default 'tideline-executor' */
  readonly group?: string;
  /** Records per invocation, as the MSK event source mapping's BatchSize (max 10,000). @default 10000 */
  readonly batchSize?: number;
  /**
   * Wait at most this long for a batch to fill, counted from when its first record arrived
   * (MaximumBatchingWindowInSeconds): records that arrived during the previous invocation have
   * waited already, so a busy log is read again at once. @default 200
   */
  readonly batchingWindowMs?: number;
  /** Poll for records this often even without an in-process produce. @default 500 */
  readonly pollMs?: number;
  /** First retry delay after a failed invocation; doubles up to 5 s. @default 200 */
  readonly retryMs?: number;
  /** Called with each failure of the handler (the batch is retried, never skipped). */
  readonly onError?: (error: unknown, attempt: number) => void;
  /** Called after each committed batch. */
  readonly onBatch?: (info: { records: number; result: unknown; ms: number }) => void;
}

/** Where a topic partition stands: committed offset, log end, and the lag between them. */
export interface PartitionLag {
  readonly topic: string;
  readonly partition: number;
  readonly committed: number;
  readonly end: number;
  readonly lag: number;
}

const MAX_BATCH = 10_000;

/**
 * The local stand-in for Lambda's MSK event source mapping: reads the embedded log from the
 * group's committed offsets, builds MSK-shaped events of up to `batchSize` records (waiting at
 * most `batchingWindowMs` for a batch to fill), invokes the handler one batch at a time, and
 * commits only after the handler returns. A failed batch is retried from the committed offsets;
 * a crash between the handler and the commit redelivers the batch, which the executor applies
 * effectively once.
 */
export class EventSourceMapping {
  private readonly group: string;
  private readonly batchSize: number;
  private readonly windowMs: number;
  private readonly pollMs: number;
  private readonly retryMs: number;
  private positions = new Map<string, number>();
  private running = false;
  private loop: Promise<void> | null = null;
  private wake: (() => void) | null = null;
  private unsubscribe: (() => void) | null = null;
  /** When the oldest record not yet taken arrived (an in-process produce), or null when none waits. */
  private gatheringSince: number | null = null;
  /** Records handed to the handler and committed since start. */
  delivered = 0;
  batches = 0;

  constructor(
    private readonly options: EventSourceOptions,
    private readonly handler: (event: MskEvent) => Promise<unknown>,
  ) {
    this.group = options.group ?? 'tideline-executor';
    this.batchSize = options.batchSize ?? MAX_BATCH;
    if (!Number.isInteger(this.batchSize) || this.batchSize < 1 || this.batchSize > MAX_BATCH) {
      throw new RangeError(`batchSize must be an integer from 1 to ${MAX_BATCH}, got ${this.batchSize}`);
    }
    this.windowMs = options.batchingWindowMs ?? 200;
    this.pollMs = options.pollMs ?? 500;
    this.retryMs = options.retryMs ?? 200;
  }

  /** Starts consuming from the committed offsets. */
  async start(): Promise<void> {
    if (this.running) return;
    await this.resetToCommitted();
    this.running = true;
    this.unsubscribe = this.options.log.onAppend(() => {
      this.gatheringSince ??= Date.now();
      this.wake?.();
    });
    this.loop = this.run();
  }

  /** Lets the batch in flight finish and commit, then stops; undelivered records wait for the next start. */
  async stop(): Promise<void> {
    this.running = false;
    this.unsubscribe?.();
    this.wake?.();
    await this.loop;
  }

  /** Committed offset, log end and lag of every partition. */
  async lag(): Promise<PartitionLag[]> {
    const out: PartitionLag[] = [];
    for (const topic of this.options.topics) {
      const committed = await this.options.log.committed(this.group, topic);
      for (let p = 0; p < committed.length; p++) {
        const end = await this.options.log.endOffset(topic, p);
        out.push({ topic, partition: p, committed: committed[p], end, lag: end - committed[p] });
      }
    }
    return out;
  }

  private async resetToCommitted(): Promise<void> {
    this.positions = new Map();
    for (const topic of this.options.topics) {
      (await this.options.log.committed(this.group, topic)).forEach((o, p) => this.positions.set(`${topic}\u0000${p}`, o));
    }
  }

  private async run(): Promise<void> {
    let attempt = 0;
    while (this.running) {
      let records = await this.poll(this.batchSize);
      if (records.length === 0) {
        await this.sleep(this.pollMs);
        continue;
      }
      if (records.length < this.batchSize && this.windowMs > 0) {
        // A record produced by another process is seen only here: its window starts now.
        const until = (this.gatheringSince ?? Date.now()) + this.windowMs;
        while (this.running && records.length < this.batchSize && Date.now() < until) {
          await this.sleep(until - Date.now());
          records = records.concat(await this.poll(this.batchSize - records.length, records));
        }
      }
      const started = Date.now();
      // A full batch may leave records behind that are waiting from now on; otherwise the next
      // produce starts the next window.
      this.gatheringSince = records.length >= this.batchSize ? started : null;
      try {
        const result = await this.handler(toMskEvent(records));
        await this.commit(records);
        attempt = 0;
        this.delivered += records.length;
        this.batches++;
        this.options.onBatch?.({ records: records.length, result, ms: Date.now() - started });
      } catch (error) {
        attempt++;
        this.options.onError?.(error, attempt);
        await this.resetToCommitted();
        // Back off, but wake at once on stop: the batch is retried on the next start.
        await this.sleep(Math.min(5000, this.retryMs * 2 ** (attempt - 1)), true);
      }
    }
  }

  /** Reads up to `max` records across partitions after those already taken into `taken`. */
  private async poll(max: number, taken: readonly ProducedRecord[] = []): Promise<ProducedRecord[]> {
    const next = new Map(this.positions);
    for (const r of taken) next.set(`${r.topic}\u0000${r.partition}`, r.offset + 1);
    const out: ProducedRecord[] = [];
    for (const topic of this.options.topics) {
      const partitions = await this.options.log.partitions(topic);
      // Share the budget across partitions so one busy partition does not starve the rest.
      const share = Math.max(1, Math.ceil(max / partitions));
      for (let p = 0; p < partitions && out.length < max; p++) {
        const from = next.get(`${topic}\u0000${p}`) ?? 0;
        out.push(...(await this.options.log.read(topic, p, from, Math.min(share, max - out.length))));
      }
    }
    if (out.length < max && out.length > 0) {
      // Fill what is left from partitions that had more than their share.
      for (const r of out) next.set(`${r.topic}\u0000${r.partition}`, r.offset + 1);
      for (const topic of this.options.topics) {
        const partitions = await this.options.log.partitions(topic);
        for (let p = 0; p < partitions && out.length < max; p++) {
          out.push(...(await this.options.log.read(topic, p, next.get(`${topic}\u0000${p}`) ?? 0, max - out.length)));
        }
      }
    }
    return out;
  }

  private async commit(records: readonly ProducedRecord[]): Promise<void> {
    const next = new Map<string, RecordPosition>();
    for (const r of records) next.set(`${r.topic}\u0000${r.partition}`, { topic: r.topic, partition: r.partition, offset: r.offset + 1 });
    await this.options.log.commit(this.group, [...next.values()]);
    for (const [k, v] of next) this.positions.set(k, v.offset);
  }

  private sleep(ms: number, untilStopOnly = false): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, Math.max(0, ms));
      const wake = untilStopOnly ? () => (this.running ? undefined : done()) : done;
      this.wake = wake;
      function done() {
        clearTimeout(timer);
        resolve();
      }
    });
  }
}
