import type { SensorStatus } from './status.js';

/**
 * One sensor reading as Tideline holds it after validation.
 * Field names are the wire and view column names (snake_case), so a reading reads the same
 * in Kafka, in the lake and in SQL. `ts` is event time in epoch milliseconds, UTC.
 * A sensor may measure only some metrics: absent ones are `null`.
 */
export interface Reading {
  readonly sensor_id: string;
  readonly ts: number;
  readonly temperature: number | null;
  readonly pressure: number | null;
  readonly vibration: number | null;
  readonly status: SensorStatus;
}

/** The three measured metrics, in the order used for vectors and covariance matrices. */
export const METRICS = ['temperature', 'pressure', 'vibration'] as const;
export type Metric = (typeof METRICS)[number];

/** Where a record sits in the stream: what makes it addressable and replay-safe. */
export interface RecordOrigin {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  /** The Kafka record timestamp (epoch ms). */
  readonly timestamp: number;
}

/** A record that could not become a reading, kept with its raw bytes and a reason a person understands. */
export interface DeadLetter extends RecordOrigin {
  readonly key: string | null;
  readonly value: string | null;
  readonly reason: string;
  readonly field: string | null;
  readonly error: string;
}
