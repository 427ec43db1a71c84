import { Point } from '@influxdata/influxdb-client';
import type { AlertChange, EnrichedReading } from '../../judgment/index.js';

/** Measurement names the sink writes; INFLUX_SINK_MEASUREMENT and INFLUX_SINK_ALERT_MEASUREMENT override them. */
export const INFLUX_MEASUREMENTS = { readings: 'tideline_readings', alerts: 'tideline_alerts' } as const;

/** Numeric columns of a judged reading written as float fields (null ones are left out, as line protocol requires). */
const SCORE_FIELDS = [
  'temperature',
  'pressure',
  'vibration',
  'avg_temp_historical',
  'stddev_temp_historical',
  'temperature_z_score',
  'temp_deviation',
  'seasonal_z_score',
  'temp_ma_5min',
  'vibration_stddev_10min',
  'temp_rate_of_change',
  'z_score',
  'mahalanobis_distance',
  'anomaly_score',
  'predictive_failure_risk',
] as const satisfies readonly (keyof EnrichedReading)[];

const MS = { precision: 'ms' as const, convertTime: (t: unknown) => String(t) };

/**
 * One judged reading as line protocol (millisecond precision): the sensor as a tag (so Grafana
 * groups by it cheaply), classification, status and stream position as fields (high-cardinality
 * or changing values stay out of the series key), scores as float fields.
 */
export function judgedReadingLine(row: EnrichedReading, measurement: string = INFLUX_MEASUREMENTS.readings): string {
  const p = new Point(measurement)
    .tag('sensor_id', row.sensor_id)
    .stringField('anomaly_classification', row.anomaly_classification)
    .stringField('status', row.status)
    .booleanField('late', row.late)
    .intField('kafka_offset', row.kafka_offset)
    .timestamp(row.ts);
  for (const f of SCORE_FIELDS) {
    const v = row[f];
    if (typeof v === 'number' && Number.isFinite(v)) p.floatField(f, v);
  }
  return p.toLineProtocol(MS) as string;
}

/** An alert opening or closing as line protocol: sensor and kind as tags, the alert's id and scores as fields. */
export function alertLine(change: AlertChange, measurement: string = INFLUX_MEASUREMENTS.alerts): string {
  if (change.type === 'closed') {
    const kind = change.alertId.split(':')[0];
    return new Point(measurement)
      .tag('sensor_id', change.sensorId)
      .tag('kind', kind)
      .stringField('status', 'CLOSED')
      .stringField('alert_id', change.alertId)
      .timestamp(change.closedAt)
      .toLineProtocol(MS) as string;
  }
  const a = change.alert;
  const p = new Point(measurement)
    .tag('sensor_id', a.sensor_id)
    .tag('kind', a.kind)
    .stringField('status', 'OPEN')
    .stringField('alert_id', a.alert_id)
    .stringField('anomaly_classification', a.anomaly_classification)
    .floatField('predictive_failure_risk', a.predictive_failure_risk)
    .timestamp(a.opened_at);
  for (const [k, v] of [
    ['temperature', a.reading.temperature],
    ['temperature_z_score', a.temperature_z_score],
    ['anomaly_score', a.anomaly_score],
    ['mahalanobis_distance', a.mahalanobis_distance],
    ['expected_low', a.expected_range?.low ?? null],
    ['expected_high', a.expected_range?.high ?? null],
  ] as const) {
    if (typeof v === 'number' && Number.isFinite(v)) p.floatField(k, v);
  }
  return p.toLineProtocol(MS) as string;
}
