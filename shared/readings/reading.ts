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
  /**
   * Further numeric measurements by name (e.g. current, flow rate), for sensors that report more
   * than the three metrics. Absent (not empty) when there are none. Judged together with the
   * metrics by the multivariate channel score.
   */
  readonly channels?: Readonly<Record<string, number>>;
}

/** The three measured metrics, in the order used for vectors and covariance matrices. */
export const METRICS = ['temperature', 'pressure', 'vibration'] as const;
export type Metric = (typeof METRICS)[number];

/** Channel names: a letter, then letters, digits or '_'; never a metric's name. */
export const CHANNEL_NAME = /^[A-Za-z][A-Za-z0-9_]{0,63}$/;
/** At most this many extra channels per reading, so rows and reflections stay bounded. */
export const MAX_CHANNELS = 32;

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
