import type { QueryLog } from '../ports/index.js';
import type { QueryLogEntry } from './sla.js';

export interface QueryLogWriterOptions {
  /**
   * Whether `add` resolves only once its entry is stored. Lambda may freeze the process as soon
   * as the handler returns, so the Lambda entry waits; a long-lived process (the local runtime)
   * writes behind its responses.
   */
  readonly waitForEachWrite: boolean;
  /** How long an entry may wait for others to share its write. @default 250 */
  readonly lingerMs?: number;
  /** Entries written in one go (DynamoDB's BatchWriteItem takes 25). @default 25 */
  readonly batchSize?: number;
  /** Batches in flight before `add` waits for its own entry to be stored. @default 8 */
  readonly maxBatchesBehind?: number;
  /** Where a failed write goes (its entries are lost to the SLA report, never to the caller). */
  readonly onError: (message: string, error: unknown) => void;
}

/**
 * Writes query-log entries behind the responses they describe, several to a write: one
 * BatchWriteItem per `batchSize` entries or per `lingerMs`, whichever comes first. A write per
 * query put the SDK's request building and signing (about 2-4 ms of this process's time) inside
 * the next answer's latency; batched, a busy API pays it once per many queries.
 */
export class QueryLogWriter {
  private queue: { entry: QueryLogEntry; stored: () => void }[] = [];
  private timer: NodeJS.Timeout | undefined;
  private readonly inFlight = new Set<Promise<void>>();
  private readonly lingerMs: number;
  private readonly batchSize: number;
  private readonly maxBatchesBehind: number;

  constructor(
    private readonly log: QueryLog,
    private readonly options: QueryLogWriterOptions,
  ) {
    this.lingerMs = options.lingerMs ?? 250;
    this.batchSize = options.batchSize ?? 25;
    this.maxBatchesBehind = options.maxBatchesBehind ?? 8;
  }

  /** Queues the entry; resolves once it is stored when the writer waits for each write or too many batches are behind, else at once. */
  add(entry: QueryLogEntry): Promise<void> {
    let stored!: () => void;
    const written = new Promise<void>((resolve) => (stored = resolve));
    this.queue.push({ entry, stored });
    if (this.options.waitForEachWrite || this.queue.length >= this.batchSize) this.writeQueued();
    else this.timer ??= setTimeout(() => this.writeQueued(), this.lingerMs).unref();
    return this.options.waitForEachWrite || this.inFlight.size > this.maxBatchesBehind ? written : Promise.resolve();
  }

  /** Writes what is queued now and waits for every write in flight (GET /metrics/sla reads after it; shutdown calls it). */
  async flush(): Promise<void> {
    this.writeQueued();
    await Promise.all(this.inFlight);
  }

  private writeQueued(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    const batch = this.queue;
    if (batch.length === 0) return;
    this.queue = [];
    const write: Promise<void> = this.log
      .record(batch.map((q) => q.entry))
      .catch((e) => this.options.onError(`query log write of ${batch.length} entries failed`, e))
      .finally(() => {
        this.inFlight.delete(write);
        for (const q of batch) q.stored();
      });
    this.inFlight.add(write);
  }
}
