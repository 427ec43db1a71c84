import { canRetryHttpCall, InfluxDB, type Transport } from '@influxdata/influxdb-client';
import type { AlertChange, EnrichedReading } from '../../judgment/index.js';
import type { JudgedReadingSink } from '../../ports/index.js';
import { numberVar, optionalStringVar, stringVar, type Env } from '../../config/index.js';
import { ConfigError } from '../../errors.js';
import { explainInfluxError, type InfluxSettingError, type InfluxTarget } from './errors.js';
import { alertLine, INFLUX_MEASUREMENTS, judgedReadingLine } from './line-protocol.js';

export interface InfluxSinkOptions {
  readonly url: string;
  readonly token?: string;
  readonly org: string;
  readonly bucket: string;
  /** @default "tideline_readings" */
  readonly measurement?: string;
  /** @default "tideline_alerts" */
  readonly alertMeasurement?: string;
  /** Lines per write request. @default 5000 */
  readonly batchSize?: number;
  /** Longest a line waits before a write is started. @default 1000 */
  readonly flushIntervalMs?: number;
  /** Lines held at most; beyond this the oldest are dropped and counted. @default 100000 */
  readonly maxBufferLines?: number;
  /** Attempts after the first before a batch is dropped. @default 5 */
  readonly maxRetries?: number;
  /** First retry delay, doubled per attempt up to maxRetryDelayMs (a server's Retry-After wins). @default 1000 */
  readonly retryDelayMs?: number;
  /** @default 30000 */
  readonly maxRetryDelayMs?: number;
  /** Per-request timeout. @default 10000 */
  readonly timeoutMs?: number;
  /** Called with counts as they change: InfluxSinkWritten, InfluxSinkDropped, InfluxSinkWriteErrors. */
  readonly onMetric?: (name: InfluxSinkMetric, value: number) => void;
  /** How settings are named in the last error. @default the INFLUX_* variables */
  readonly names?: InfluxTarget['names'];
  /** A transport to use instead of the client's HTTP one. */
  readonly transport?: Transport;
}

/** Metric names the sink reports (CloudWatch EMF through the executor's Metrics). */
export const INFLUX_SINK_METRICS = { written: 'InfluxSinkWritten', dropped: 'InfluxSinkDropped', writeErrors: 'InfluxSinkWriteErrors' } as const;
export type InfluxSinkMetric = (typeof INFLUX_SINK_METRICS)[keyof typeof INFLUX_SINK_METRICS];

/** What the sink has done so far: offered = written + dropped + buffered + inFlight. */
export interface InfluxSinkStats {
  offered: number;
  written: number;
  dropped: number;
  writeErrors: number;
  retries: number;
  /** Lines waiting for a write. */
  buffered: number;
  /** Lines of the write under way. */
  inFlight: number;
  /** The most recent failure, naming the setting to fix; null after a success. */
  lastError: InfluxSettingError | null;
}

const ENV_NAMES: InfluxTarget['names'] = { url: 'INFLUX_URL', token: 'INFLUX_TOKEN', org: 'INFLUX_ORG', bucket: 'INFLUX_SINK_BUCKET' };

/**
 * Writes judged readings and alert changes to InfluxDB as line protocol, so Grafana users see
 * Tideline's judgments beside their raw data. Never blocks or fails the pipeline: `offer`
 * only appends to a bounded buffer (dropping the oldest lines, counted, when full); one write
 * is in flight at a time, in batches, retried with backoff on retriable failures (network,
 * timeouts, 429, 5xx) and dropped, counted, after `maxRetries` or on a permanent refusal.
 *
 * On Lambda a frozen container runs no timers: call `flush(deadlineMs)` at the end of an
 * invocation to give buffered lines a bounded chance to go out.
 */
export class InfluxJudgedReadingSink implements JudgedReadingSink {
  private buffer: string[] = [];
  private head = 0;
  private timer: NodeJS.Timeout | null = null;
  private writing: Promise<void> | null = null;
  private closed = false;
  private readonly transport: Transport;
  private readonly path: string;
  private readonly target: InfluxTarget;
  readonly stats: InfluxSinkStats = { offered: 0, written: 0, dropped: 0, writeErrors: 0, retries: 0, buffered: 0, inFlight: 0, lastError: null };

  constructor(private readonly options: InfluxSinkOptions) {
    this.transport = options.transport ?? new InfluxDB({ url: options.url, token: options.token, timeout: options.timeoutMs ?? 10_000 }).transport;
    this.path = `/api/v2/write?org=${encodeURIComponent(options.org)}&bucket=${encodeURIComponent(options.bucket)}&precision=ms`;
    this.target = { url: options.url, org: options.org, bucket: options.bucket, names: options.names ?? ENV_NAMES };
  }

  offer(rows: readonly EnrichedReading[], alerts: readonly AlertChange[]): void {
    this.stats.offered += rows.length + alerts.length;
    if (this.closed) {
      this.drop(rows.length + alerts.length);
      return;
    }
    const add = (make: () => string) => {
      try {
        this.buffer.push(make());
      } catch {
        // A row line protocol cannot express is counted, never thrown into the pipeline.
        this.drop(1);
      }
    };
    for (const row of rows) add(() => judgedReadingLine(row, this.options.measurement ?? INFLUX_MEASUREMENTS.readings));
    for (const change of alerts) add(() => alertLine(change, this.options.alertMeasurement ?? INFLUX_MEASUREMENTS.alerts));
    const over = this.pending() - (this.options.maxBufferLines ?? 100_000);
    if (over > 0) {
      this.head += over;
      this.drop(over);
    }
    this.compact();
    this.stats.buffered = this.pending();
    if (this.pending() >= (this.options.batchSize ?? 5000)) this.kick();
    else this.schedule();
  }

  /**
   * Writes what is buffered, waiting at most `deadlineMs`; resolves either way (never rejects).
   * Returns true when nothing is left buffered or in flight.
   */
  async flush(deadlineMs = 10_000): Promise<boolean> {
    const until = Date.now() + deadlineMs;
    while ((this.pending() > 0 || this.writing) && Date.now() < until) {
      this.kick();
      const left = until - Date.now();
      let timeout: NodeJS.Timeout | undefined;
      await Promise.race([this.writing ?? Promise.resolve(), new Promise((r) => (timeout = setTimeout(r, Math.max(0, left))))]);
      clearTimeout(timeout);
    }
    return this.pending() === 0 && this.writing === null;
  }

  /** Flushes (bounded), then stops; lines still buffered are counted as dropped. */
  async close(deadlineMs = 10_000): Promise<InfluxSinkStats> {
    await this.flush(deadlineMs);
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    const left = this.pending();
    if (left > 0) {
      this.head = this.buffer.length;
      this.drop(left);
      this.stats.buffered = 0;
    }
    return this.stats;
  }

  private pending(): number {
    return this.buffer.length - this.head;
  }

  private compact(): void {
    if (this.head > 4096 && this.head * 2 > this.buffer.length) {
      this.buffer = this.buffer.slice(this.head);
      this.head = 0;
    }
  }

  private drop(n: number): void {
    if (n <= 0) return;
    this.stats.dropped += n;
    this.options.onMetric?.(INFLUX_SINK_METRICS.dropped, n);
  }

  private schedule(): void {
    if (this.timer || this.writing || this.pending() === 0) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.kick();
    }, this.options.flushIntervalMs ?? 1000);
    // A pending write must not keep a CLI or test process alive; close() flushes explicitly.
    this.timer.unref();
  }

  /** Starts the write loop unless one is running. */
  private kick(): void {
    if (this.writing || this.pending() === 0) return;
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    this.writing = this.writeLoop().finally(() => {
      this.writing = null;
      this.schedule();
    });
  }

  private async writeLoop(): Promise<void> {
    const batchSize = this.options.batchSize ?? 5000;
    while (this.pending() > 0 && !this.closed) {
      const batch = this.buffer.slice(this.head, this.head + batchSize);
      this.head += batch.length;
      this.compact();
      this.stats.buffered = this.pending();
      this.stats.inFlight = batch.length;
      await this.writeWithRetries(batch);
      this.stats.inFlight = 0;
    }
  }

  private async writeWithRetries(lines: string[]): Promise<boolean> {
    const maxRetries = this.options.maxRetries ?? 5;
    for (let attempt = 0; ; attempt++) {
      try {
        await this.transport.request(this.path, lines.join('\n'), { method: 'POST', headers: { 'content-type': 'text/plain; charset=utf-8' } });
        this.stats.written += lines.length;
        this.stats.lastError = null;
        this.options.onMetric?.(INFLUX_SINK_METRICS.written, lines.length);
        return true;
      } catch (e) {
        this.stats.writeErrors++;
        this.stats.lastError = explainInfluxError(e, this.target);
        this.options.onMetric?.(INFLUX_SINK_METRICS.writeErrors, 1);
        if (!canRetryHttpCall(e) || attempt >= maxRetries || this.closed) {
          this.drop(lines.length);
          return false;
        }
        this.stats.retries++;
        const base = Math.min(this.options.maxRetryDelayMs ?? 30_000, (this.options.retryDelayMs ?? 1000) * 2 ** attempt);
        const retryAfter = (e as { retryAfter?: () => number }).retryAfter?.() ?? 0;
        await new Promise((r) => setTimeout(r, Math.max(base, retryAfter)).unref());
      }
    }
  }
}

/**
 * The sink configured by the environment, or null when INFLUX_SINK_BUCKET is unset:
 * INFLUX_URL, INFLUX_TOKEN, INFLUX_ORG, INFLUX_SINK_BUCKET, INFLUX_SINK_MEASUREMENT,
 * INFLUX_SINK_ALERT_MEASUREMENT, INFLUX_SINK_BATCH_SIZE, INFLUX_SINK_FLUSH_MS,
 * INFLUX_SINK_MAX_BUFFER, INFLUX_SINK_MAX_RETRIES.
 */
export function influxSinkFrom(env: Env, extra: Pick<InfluxSinkOptions, 'onMetric' | 'transport'> = {}): InfluxJudgedReadingSink | null {
  const bucket = optionalStringVar(env, 'INFLUX_SINK_BUCKET');
  if (!bucket) return null;
  const url = stringVar(env, 'INFLUX_URL');
  if (!/^https?:\/\/[^/]/.test(url)) throw new ConfigError('INFLUX_URL', `"${url}" is not a URL like http://localhost:8086`);
  return new InfluxJudgedReadingSink({
    url,
    token: optionalStringVar(env, 'INFLUX_TOKEN'),
    org: stringVar(env, 'INFLUX_ORG'),
    bucket,
    measurement: stringVar(env, 'INFLUX_SINK_MEASUREMENT', INFLUX_MEASUREMENTS.readings),
    alertMeasurement: stringVar(env, 'INFLUX_SINK_ALERT_MEASUREMENT', INFLUX_MEASUREMENTS.alerts),
    batchSize: numberVar(env, 'INFLUX_SINK_BATCH_SIZE', 5000, { min: 1, max: 100_000 }),
    flushIntervalMs: numberVar(env, 'INFLUX_SINK_FLUSH_MS', 1000, { min: 10 }),
    maxBufferLines: numberVar(env, 'INFLUX_SINK_MAX_BUFFER', 100_000, { min: 1 }),
    maxRetries: numberVar(env, 'INFLUX_SINK_MAX_RETRIES', 5, { min: 0, max: 100 }),
    ...extra,
  });
}
