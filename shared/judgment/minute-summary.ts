import { ANOMALY_CLASSIFICATION, type AnomalyClassification } from './classification.js';
import type { EnrichedReading } from './enriched.js';

/**
 * The use case's realtime_sensor_summary reflection: per sensor, minute and classification.
 * Kept as sums, not means, so contributions merge exactly; `applied_through` is the newest
 * Kafka offset folded in, which makes a replayed batch add nothing twice.
 */
export interface MinuteSummary {
  readonly sensor_id: string;
  /** Start of the minute, epoch ms. */
  readonly minute: number;
  readonly anomaly_classification: AnomalyClassification;
  readonly reading_count: number;
  readonly temperature_count: number;
  readonly temperature_sum: number;
  readonly max_z_score: number | null;
  readonly critical_count: number;
  readonly applied_through: number;
}

export function minuteOf(ts: number): number {
  return ts - (((ts % 60_000) + 60_000) % 60_000);
}

export function minuteSummaryKey(sensorId: string, minute: number, classification: AnomalyClassification): string {
  return `${sensorId}|${minute}|${classification}`;
}

/** Folds one judged reading into a summary (or starts one). */
export function addToMinuteSummary(
  s: MinuteSummary | undefined,
  row: Pick<EnrichedReading, 'sensor_id' | 'ts' | 'anomaly_classification' | 'temperature' | 'temperature_z_score' | 'kafka_offset'>,
): MinuteSummary {
  const z = row.temperature_z_score;
  return {
    sensor_id: row.sensor_id,
    minute: minuteOf(row.ts),
    anomaly_classification: row.anomaly_classification,
    reading_count: (s?.reading_count ?? 0) + 1,
    temperature_count: (s?.temperature_count ?? 0) + (row.temperature === null ? 0 : 1),
    temperature_sum: (s?.temperature_sum ?? 0) + (row.temperature ?? 0),
    max_z_score: z === null ? (s?.max_z_score ?? null) : Math.max(s?.max_z_score ?? -Infinity, z),
    critical_count: (s?.critical_count ?? 0) + (row.anomaly_classification === ANOMALY_CLASSIFICATION.CRITICAL_ANOMALY ? 1 : 0),
    applied_through: Math.max(s?.applied_through ?? -1, row.kafka_offset),
  };
}

/** Mean temperature of a summary, or null when no reading carried one. */
export function summaryMeanTemperature(s: MinuteSummary): number | null {
  return s.temperature_count === 0 ? null : s.temperature_sum / s.temperature_count;
}
