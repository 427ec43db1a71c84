import type { LakeCell, LakeColumnValues } from '../lake/index.js';
import type { ReadingBatch } from '../readings/index.js';
import type { AnomalyClassification } from './classification.js';
import type { EnrichedColumn, EnrichedReading } from './enriched.js';

/** The columns of EnrichedReading that are a number or null: NaN stands for null in them. */
export const NULLABLE_DOUBLE_COLUMNS = [
  'avg_temp_historical',
  'stddev_temp_historical',
  'max_pressure_historical',
  'temperature_z_score',
  'temp_deviation',
  'seasonal_temp_mean',
  'seasonal_z_score',
  'temp_ma_5min',
  'vibration_stddev_10min',
  'temp_rate_of_change',
  'historical_temp_mean',
  'historical_temp_stddev',
  'historical_vibration_stddev',
  'historical_pressure_p95',
  'day_temp_avg',
  'night_temp_avg',
  'last_failure_ts',
  'z_score',
  'temp_z_score',
  'temp_seasonal_deviation',
  'days_since_failure',
  'mahalanobis_distance',
  'anomaly_score',
] as const satisfies readonly (keyof EnrichedReading)[];
export type NullableDoubleColumn = (typeof NULLABLE_DOUBLE_COLUMNS)[number];

/**
 * The nullable number columns of a judged batch, in one buffer. Named fields, not a map from
 * column name: judging writes some twenty of them per reading, and an object built from entries
 * this wide is kept as a dictionary, a hash lookup per write.
 */
export class NullableDoubleColumns {
  readonly avg_temp_historical: Float64Array;
  readonly stddev_temp_historical: Float64Array;
  readonly max_pressure_historical: Float64Array;
  readonly temperature_z_score: Float64Array;
  readonly temp_deviation: Float64Array;
  readonly seasonal_temp_mean: Float64Array;
  readonly seasonal_z_score: Float64Array;
  readonly temp_ma_5min: Float64Array;
  readonly vibration_stddev_10min: Float64Array;
  readonly temp_rate_of_change: Float64Array;
  readonly historical_temp_mean: Float64Array;
  readonly historical_temp_stddev: Float64Array;
  readonly historical_vibration_stddev: Float64Array;
  readonly historical_pressure_p95: Float64Array;
  readonly day_temp_avg: Float64Array;
  readonly night_temp_avg: Float64Array;
  readonly last_failure_ts: Float64Array;
  readonly z_score: Float64Array;
  readonly temp_z_score: Float64Array;
  readonly temp_seasonal_deviation: Float64Array;
  readonly days_since_failure: Float64Array;
  readonly mahalanobis_distance: Float64Array;
  readonly anomaly_score: Float64Array;

  constructor(n: number) {
    const bytes = n * 8;
    const buffer = new ArrayBuffer(bytes * NULLABLE_DOUBLE_COLUMNS.length);
    this.avg_temp_historical = new Float64Array(buffer, 0 * bytes, n);
    this.stddev_temp_historical = new Float64Array(buffer, 1 * bytes, n);
    this.max_pressure_historical = new Float64Array(buffer, 2 * bytes, n);
    this.temperature_z_score = new Float64Array(buffer, 3 * bytes, n);
    this.temp_deviation = new Float64Array(buffer, 4 * bytes, n);
    this.seasonal_temp_mean = new Float64Array(buffer, 5 * bytes, n);
    this.seasonal_z_score = new Float64Array(buffer, 6 * bytes, n);
    this.temp_ma_5min = new Float64Array(buffer, 7 * bytes, n);
    this.vibration_stddev_10min = new Float64Array(buffer, 8 * bytes, n);
    this.temp_rate_of_change = new Float64Array(buffer, 9 * bytes, n);
    this.historical_temp_mean = new Float64Array(buffer, 10 * bytes, n);
    this.historical_temp_stddev = new Float64Array(buffer, 11 * bytes, n);
    this.historical_vibration_stddev = new Float64Array(buffer, 12 * bytes, n);
    this.historical_pressure_p95 = new Float64Array(buffer, 13 * bytes, n);
    this.day_temp_avg = new Float64Array(buffer, 14 * bytes, n);
    this.night_temp_avg = new Float64Array(buffer, 15 * bytes, n);
    this.last_failure_ts = new Float64Array(buffer, 16 * bytes, n);
    this.z_score = new Float64Array(buffer, 17 * bytes, n);
    this.temp_z_score = new Float64Array(buffer, 18 * bytes, n);
    this.temp_seasonal_deviation = new Float64Array(buffer, 19 * bytes, n);
    this.days_since_failure = new Float64Array(buffer, 20 * bytes, n);
    this.mahalanobis_distance = new Float64Array(buffer, 21 * bytes, n);
    this.anomaly_score = new Float64Array(buffer, 22 * bytes, n);
  }
}

/** What only readings of sensors with extra channels carry. */
export interface ChannelColumns {
  readonly channels: string | null;
  readonly channel_score: number | null;
  readonly channel_score_channel: string | null;
}

const orNull = (x: number): number | null => (x !== x ? null : x);

/**
 * A judged batch held as columns: the readings it was judged from plus one column per enriched
 * field, NaN standing for null in number columns. Judgment writes these without allocating per
 * reading; `row(i)` gives the EnrichedReading object where one is wanted (an alert's context, a
 * sink, a test), field for field what judging one reading returns.
 */
export class JudgedReadings {
  readonly length: number;
  readonly late: Uint8Array;
  readonly reflection_version: (string | null)[];
  readonly hour_of_day: Uint8Array;
  readonly reading_count: Float64Array;
  readonly anomaly_classification: AnomalyClassification[];
  readonly historical_failure_count: Float64Array;
  readonly predictive_failure_risk: Float64Array;
  readonly alert_open: Uint8Array;
  readonly alert_opened: Uint8Array;
  readonly doubles: NullableDoubleColumns;
  /** Channel fields by reading index, for the readings that carry them (null: none do). */
  channelColumns: Map<number, ChannelColumns> | null = null;

  constructor(readonly readings: ReadingBatch) {
    const n = (this.length = readings.length);
    this.late = new Uint8Array(n);
    this.reflection_version = new Array(n);
    this.hour_of_day = new Uint8Array(n);
    this.reading_count = new Float64Array(n);
    this.anomaly_classification = new Array(n);
    this.historical_failure_count = new Float64Array(n);
    this.predictive_failure_risk = new Float64Array(n);
    this.alert_open = new Uint8Array(n);
    this.alert_opened = new Uint8Array(n);
    this.doubles = new NullableDoubleColumns(n);
  }

  /** Reading `i` with every enriched column, as an object. */
  row(i: number): EnrichedReading {
    const r = this.readings;
    const record = r.records[i];
    const d = this.doubles;
    const row: EnrichedReading = {
      sensor_id: r.sensorId(i),
      ts: r.ts[i],
      temperature: orNull(r.temperature[i]),
      pressure: orNull(r.pressure[i]),
      vibration: orNull(r.vibration[i]),
      status: r.status[i],
      kafka_topic: record.topic,
      kafka_partition: record.partition,
      kafka_offset: record.offset,
      late: this.late[i] === 1,
      reflection_version: this.reflection_version[i],
      hour_of_day: this.hour_of_day[i],
      avg_temp_historical: orNull(d.avg_temp_historical[i]),
      stddev_temp_historical: orNull(d.stddev_temp_historical[i]),
      max_pressure_historical: orNull(d.max_pressure_historical[i]),
      reading_count: this.reading_count[i],
      temperature_z_score: orNull(d.temperature_z_score[i]),
      anomaly_classification: this.anomaly_classification[i],
      temp_deviation: orNull(d.temp_deviation[i]),
      seasonal_temp_mean: orNull(d.seasonal_temp_mean[i]),
      seasonal_z_score: orNull(d.seasonal_z_score[i]),
      temp_ma_5min: orNull(d.temp_ma_5min[i]),
      vibration_stddev_10min: orNull(d.vibration_stddev_10min[i]),
      temp_rate_of_change: orNull(d.temp_rate_of_change[i]),
      historical_temp_mean: orNull(d.historical_temp_mean[i]),
      historical_temp_stddev: orNull(d.historical_temp_stddev[i]),
      historical_vibration_stddev: orNull(d.historical_vibration_stddev[i]),
      historical_pressure_p95: orNull(d.historical_pressure_p95[i]),
      day_temp_avg: orNull(d.day_temp_avg[i]),
      night_temp_avg: orNull(d.night_temp_avg[i]),
      historical_failure_count: this.historical_failure_count[i],
      last_failure_ts: orNull(d.last_failure_ts[i]),
      z_score: orNull(d.z_score[i]),
      temp_z_score: orNull(d.temp_z_score[i]),
      temp_seasonal_deviation: orNull(d.temp_seasonal_deviation[i]),
      days_since_failure: orNull(d.days_since_failure[i]),
      mahalanobis_distance: orNull(d.mahalanobis_distance[i]),
      anomaly_score: orNull(d.anomaly_score[i]),
      predictive_failure_risk: this.predictive_failure_risk[i],
      alert_open: this.alert_open[i] === 1,
      alert_opened: this.alert_opened[i] === 1,
    };
    const channels = this.channelColumns?.get(i);
    if (channels) Object.assign(row, channels);
    return row;
  }

  /** Every reading as an object, in stream order. */
  rows(): EnrichedReading[] {
    const out = new Array<EnrichedReading>(this.length);
    for (let i = 0; i < this.length; i++) out[i] = this.row(i);
    return out;
  }

  /**
   * Column `name` of the readings at stream indexes `at`, as the lake writer takes it: number
   * columns stay doubles (NaN for null), so writing a batch builds no row objects either.
   */
  lakeColumn(name: EnrichedColumn, at: Int32Array): LakeColumnValues {
    const r = this.readings;
    const n = at.length;
    const gather = (source: Float64Array | Uint8Array): Float64Array => {
      const out = new Float64Array(n);
      for (let k = 0; k < n; k++) out[k] = source[at[k]];
      return out;
    };
    const cells = (cell: (i: number) => LakeCell): LakeCell[] => {
      const out = new Array<LakeCell>(n);
      for (let k = 0; k < n; k++) out[k] = cell(at[k]);
      return out;
    };
    switch (name) {
      case 'sensor_id': return cells((i) => r.sensorId(i));
      case 'ts': return gather(r.ts);
      case 'temperature': return { nanIsNull: gather(r.temperature) };
      case 'pressure': return { nanIsNull: gather(r.pressure) };
      case 'vibration': return { nanIsNull: gather(r.vibration) };
      case 'status': return cells((i) => r.status[i]);
      case 'kafka_topic': return cells((i) => r.records[i].topic);
      case 'kafka_partition': return cells((i) => r.records[i].partition);
      case 'kafka_offset': return cells((i) => r.records[i].offset);
      case 'late': return cells((i) => this.late[i] === 1);
      case 'reflection_version': return cells((i) => this.reflection_version[i]);
      case 'hour_of_day': return gather(this.hour_of_day);
      case 'reading_count': return gather(this.reading_count);
      case 'anomaly_classification': return cells((i) => this.anomaly_classification[i]);
      case 'historical_failure_count': return gather(this.historical_failure_count);
      case 'predictive_failure_risk': return gather(this.predictive_failure_risk);
      case 'alert_open': return cells((i) => this.alert_open[i] === 1);
      case 'alert_opened': return cells((i) => this.alert_opened[i] === 1);
      case 'channels':
      case 'channel_score':
      case 'channel_score_channel':
        return cells((i) => this.channelColumns?.get(i)?.[name] ?? null);
      default:
        return { nanIsNull: gather(this.doubles[name]) };
    }
  }
}
