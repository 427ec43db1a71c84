import type { SensorStatus } from '../readings/index.js';
import type { AnomalyClassification } from './classification.js';

/**
 * A reading with every column of the use case's two views (sensor_analytics_unified,
 * ml_features_realtime) and of its Python detector, with DESIGN.md's fixes applied.
 * Column names are the views' names; null where the inputs for a column are missing.
 */
export interface EnrichedReading {
  // the reading
  sensor_id: string;
  ts: number;
  temperature: number | null;
  pressure: number | null;
  vibration: number | null;
  status: SensorStatus;
  // where it came from (what makes lake rows addressable and replay-safe)
  kafka_topic: string;
  kafka_partition: number;
  kafka_offset: number;
  /** Older than the sensor's newest event time: judged against history, outside the window. */
  late: boolean;
  reflection_version: string | null;
  hour_of_day: number;
  // sensor_analytics_unified: same hour of day over the previous 30 days
  avg_temp_historical: number | null;
  stddev_temp_historical: number | null;
  max_pressure_historical: number | null;
  reading_count: number;
  temperature_z_score: number | null;
  anomaly_classification: AnomalyClassification;
  temp_deviation: number | null;
  // seasonal: same hour of week over earlier weeks
  seasonal_temp_mean: number | null;
  seasonal_z_score: number | null;
  // ml_features_realtime: windows in event-time order
  temp_ma_5min: number | null;
  vibration_stddev_10min: number | null;
  /** °/minute over the last 5 readings: per unit of time, not per reading. */
  temp_rate_of_change: number | null;
  // sensor profile over 90 days
  historical_temp_mean: number | null;
  historical_temp_stddev: number | null;
  historical_vibration_stddev: number | null;
  historical_pressure_p95: number | null;
  day_temp_avg: number | null;
  night_temp_avg: number | null;
  historical_failure_count: number;
  last_failure_ts: number | null;
  // derived
  z_score: number | null;
  temp_z_score: number | null;
  temp_seasonal_deviation: number | null;
  days_since_failure: number | null;
  mahalanobis_distance: number | null;
  anomaly_score: number | null;
  predictive_failure_risk: number;
  // the alert decision (set by judgeReading; optional so rows built elsewhere need not carry it)
  /** After this reading, an alert (any kind) is open for the sensor: the product's alert decision. */
  alert_open?: boolean;
  /** This reading opened an alert. */
  alert_opened?: boolean;
  // the multivariate channel score (sensors that report extra channels only)
  /** The reading's extra channels as JSON text, so the lake keeps every measurement; null without. */
  channels?: string | null;
  /**
   * Largest |z| over every measurement (metrics and channels) of the sensor's channel step profile:
   * the 10-reading mean against the profile mean for a stationary measurement, the 10-step change
   * for a persistent one (see channelScore). Null without a channel profile.
   */
  channel_score?: number | null;
  /** The measurement that gave channel_score. */
  channel_score_channel?: string | null;
}

type ColumnType = 'string' | 'timestamp' | 'double' | 'int' | 'bigint' | 'boolean';

/** The lake schema of enriched readings, in column order; one source for Parquet, SQL and the API. */
export const ENRICHED_COLUMNS = [
  ['sensor_id', 'string'],
  ['ts', 'timestamp'],
  ['temperature', 'double'],
  ['pressure', 'double'],
  ['vibration', 'double'],
  ['status', 'string'],
  ['kafka_topic', 'string'],
  ['kafka_partition', 'int'],
  ['kafka_offset', 'bigint'],
  ['late', 'boolean'],
  ['reflection_version', 'string'],
  ['hour_of_day', 'int'],
  ['avg_temp_historical', 'double'],
  ['stddev_temp_historical', 'double'],
  ['max_pressure_historical', 'double'],
  ['reading_count', 'bigint'],
  ['temperature_z_score', 'double'],
  ['anomaly_classification', 'string'],
  ['temp_deviation', 'double'],
  ['seasonal_temp_mean', 'double'],
  ['seasonal_z_score', 'double'],
  ['temp_ma_5min', 'double'],
  ['vibration_stddev_10min', 'double'],
  ['temp_rate_of_change', 'double'],
  ['historical_temp_mean', 'double'],
  ['historical_temp_stddev', 'double'],
  ['historical_vibration_stddev', 'double'],
  ['historical_pressure_p95', 'double'],
  ['day_temp_avg', 'double'],
  ['night_temp_avg', 'double'],
  ['historical_failure_count', 'bigint'],
  ['last_failure_ts', 'timestamp'],
  ['z_score', 'double'],
  ['temp_z_score', 'double'],
  ['temp_seasonal_deviation', 'double'],
  ['days_since_failure', 'double'],
  ['mahalanobis_distance', 'double'],
  ['anomaly_score', 'double'],
  ['predictive_failure_risk', 'double'],
  ['alert_open', 'boolean'],
  ['alert_opened', 'boolean'],
  ['channels', 'string'],
  ['channel_score', 'double'],
  ['channel_score_channel', 'string'],
] as const satisfies readonly (readonly [keyof EnrichedReading, ColumnType])[];

export type EnrichedColumn = (typeof ENRICHED_COLUMNS)[number][0];
