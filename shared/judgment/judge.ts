import { ReadingBatch, type Reading, type RecordOrigin } from '../readings/index.js';
import { HOURS_PER_WEEK, isNightHour, type SensorReflection } from '../reflections/index.js';
import {
  meanOf,
  pseudoInverseOf,
  sampleCovariance,
  sampleStddev,
  subMatrix,
} from '../stats/index.js';
import { alertStateAfter, anyAlertOpen, stepAlerts, type AlertChange } from './alerts.js';
import { classify, type JudgmentConfig } from './classification.js';
import type { EnrichedReading } from './enriched.js';
import { channelScore } from './channel-score.js';
import { JudgedReadings } from './judged-readings.js';
import { pushToWindow, type SensorWindow } from './window.js';

const MINUTE_MS = 60_000;
const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;
/** Row counts of the use case's windows (ROWS BETWEEN 10 / 20 PRECEDING AND CURRENT ROW, LAG 5). */
const MA_ROWS = 11;
const VIBRATION_ROWS = 21;
const RATE_LAG = 5;

// Layout of SensorContext.stats: what judging reads from a reflection for every reading, in one
// array of doubles, NaN standing for null. A batch visits each of its sensors in turn, so reading
// a handful of cache lines per reading rather than chasing some twenty objects of the reflection
// (hour profiles, moments, week moments, profile, vector) is what keeps judgment off main memory.
/** Per hour of day: n, mean and sample stddev of temperature, max pressure. */
const HOUR = 0;
const HOUR_STRIDE = 4;
/** Per hour of week: n (-Infinity without a profile), mean, sample stddev of temperature. */
const WEEK = HOUR + 24 * HOUR_STRIDE;
const WEEK_STRIDE = 3;
/** The 90-day profile. */
const PROFILE = WEEK + HOURS_PER_WEEK * WEEK_STRIDE;
const P_PRESENT = PROFILE;
const P_TEMP_N = PROFILE + 1;
const P_TEMP_MEAN = PROFILE + 2;
const P_TEMP_SD = PROFILE + 3;
const P_VIB_N = PROFILE + 4;
const P_VIB_SD = PROFILE + 5;
const P_DAY = PROFILE + 6;
const P_NIGHT = PROFILE + 7;
const P_P95 = PROFILE + 8;
const P_FAILURES = PROFILE + 9;
const P_LAST_FAILURE = PROFILE + 10;
const P_VECTOR_MEAN = PROFILE + 11;
const STATS_LENGTH = P_VECTOR_MEAN + 3;

const orNaN = (x: number | null | undefined): number => (x === null || x === undefined ? NaN : x);

/**
 * A sensor's reflection with what is derived from it once per version rather than once per
 * reading: means and standard deviations of its profiles (by the same functions, so rows are
 * unchanged to the last bit), and the pseudo-inverse covariance for each subset of metrics a
 * reading may carry.
 */
export class SensorContext {
  /** Indexed by metric mask 0..7; undefined until first asked for. */
  private readonly inverses: (Float64Array | null | undefined)[] = new Array(8).fill(undefined);
  /** See the layout above. */
  readonly stats: Float64Array;
  readonly version: string | null;
  /** The profile carries channel profiles (the sensor reports extra channels). */
  readonly hasChannelProfile: boolean;

  constructor(
    readonly reflection: SensorReflection | null,
    private readonly minHistory: number,
  ) {
    this.version = reflection?.version ?? null;
    this.hasChannelProfile = Boolean(reflection?.profile?.channels);
    this.stats = statsOf(reflection);
  }

  /**
   * Pseudo-inverse covariance of the metrics in `mask` (bit 0 temperature, 1 pressure, 2
   * vibration), laid out as a 3×3 row-major matrix with zeros in the rows and columns of the
   * metrics outside the mask: with those deviations zero, the quadratic form over all three adds
   * only exact zeros to the one over the subset, so judging needs no per-reading subset.
   */
  inverseFor(mask: number): Float64Array | null {
    let hit = this.inverses[mask];
    if (hit === undefined) {
      hit = null;
      const vector = this.reflection?.profile?.vector;
      const cov = vector && vector.n >= this.minHistory ? sampleCovariance(vector) : null;
      if (cov) {
        const idx = [0, 1, 2].filter((i) => mask & (1 << i));
        const inverse = pseudoInverseOf(subMatrix(cov, 3, idx), idx.length);
        hit = new Float64Array(9);
        for (let r = 0; r < idx.length; r++) for (let c = 0; c < idx.length; c++) hit[idx[r] * 3 + idx[c]] = inverse[r * idx.length + c];
      }
      this.inverses[mask] = hit;
    }
    return hit;
  }
}

function statsOf(reflection: SensorReflection | null): Float64Array {
  const stats = new Float64Array(STATS_LENGTH).fill(NaN);
  for (let h = 0; h < 24; h++) {
    const profile = reflection?.hourOfDay[h] ?? null;
    const t = profile?.temperature ?? null;
    const at = HOUR + h * HOUR_STRIDE;
    stats[at] = t?.n ?? 0;
    stats[at + 1] = orNaN(t ? meanOf(t) : null);
    stats[at + 2] = orNaN(t ? sampleStddev(t) : null);
    stats[at + 3] = orNaN(profile?.maxPressure);
  }
  for (let w = 0; w < HOURS_PER_WEEK; w++) {
    const m = reflection?.hourOfWeek[w] ?? null;
    const at = WEEK + w * WEEK_STRIDE;
    stats[at] = m ? m.n : -Infinity;
    stats[at + 1] = orNaN(m?.mean);
    stats[at + 2] = orNaN(m ? sampleStddev(m) : null);
  }
  const p = reflection?.profile ?? null;
  stats[P_PRESENT] = p ? 1 : 0;
  if (p) {
    stats[P_TEMP_N] = p.temperature.n;
    stats[P_TEMP_MEAN] = p.temperature.mean;
    stats[P_TEMP_SD] = orNaN(sampleStddev(p.temperature));
    stats[P_VIB_N] = p.vibration.n;
    stats[P_VIB_SD] = orNaN(sampleStddev(p.vibration));
    stats[P_DAY] = orNaN(meanOf(p.dayTemperature));
    stats[P_NIGHT] = orNaN(meanOf(p.nightTemperature));
    stats[P_P95] = orNaN(p.pressureP95);
    stats[P_FAILURES] = p.failureCount ?? 0;
    stats[P_LAST_FAILURE] = orNaN(p.lastFailureTs);
    for (let i = 0; i < 3; i++) stats[P_VECTOR_MEAN + i] = p.vector.mean[i];
  }
  return stats;
}

/** x / d, or NaN (null) when either is missing or the divisor is zero (SQL's NULLIF guard). */
function ratio(x: number, d: number): number {
  return d === 0 ? NaN : x / d;
}

/** Where one reading in a batch came from, for judging a single reading outside a batch. */
function batchOfOne(reading: Reading, origin: RecordOrigin): ReadingBatch {
  const batch = new ReadingBatch(1);
  batch.push(reading, { topic: origin.topic, partition: origin.partition, offset: origin.offset, timestamp: origin.timestamp, key: null, value: null });
  return batch;
}

/**
 * Judges one reading against its sensor's history and recent window, and advances the window
 * (unless the reading is late). Pure apart from the window it is given; the same inputs always
 * give the same row, which is what makes replays and cold starts agree. The row's alert decision
 * is what stepping the alerts would decide; the window's alert state is left as it was.
 */
export function judgeReading(
  reading: Reading,
  origin: RecordOrigin,
  context: SensorContext,
  window: SensorWindow,
  config: JudgmentConfig,
): EnrichedReading {
  const judged = new JudgedReadings(batchOfOne(reading, origin));
  enrichInto(judged, 0, context, window, config);
  const row = judged.row(0);
  // The alert decision is part of the row, so the lake says which readings alerted.
  const alert = alertStateAfter(row, window, config);
  row.alert_open = alert.open;
  row.alert_opened = alert.opened;
  return row;
}

/** judgeReading followed by updateAlerts, stepping each alert's hysteresis once; changes are appended to `changes`. */
export function judgeReadingAndAlert(
  reading: Reading,
  origin: RecordOrigin,
  context: SensorContext,
  window: SensorWindow,
  config: JudgmentConfig,
  changes: AlertChange[],
): EnrichedReading {
  return judgeBatch(batchOfOne(reading, origin), [context], [window], config, changes).row(0);
}

/**
 * Judges a batch of readings in stream order, each against its sensor's context and window
 * (`contexts[k]` and `windows[k]` for the batch's sensor k; windows are advanced in place), and
 * steps alert hysteresis, appending alert changes to `changes`. No I/O: the executor's hot path.
 * Every reading gets exactly the columns judgeReading gives it.
 */
export function judgeBatch(
  readings: ReadingBatch,
  contexts: readonly SensorContext[],
  windows: readonly SensorWindow[],
  config: JudgmentConfig,
  changes: AlertChange[],
): JudgedReadings {
  const judged = new JudgedReadings(readings);
  // The reading whose alert opens, as a row: built only then (closure made once per batch).
  let current = 0;
  const rowOf = () => judged.row(current);
  const subject = { sensor_id: '', ts: 0, channel_score: null as number | null, anomaly_classification: judged.anomaly_classification[0], predictive_failure_risk: 0 };
  for (let i = 0; i < readings.length; i++) {
    const k = readings.sensorIndex[i];
    const window = windows[k];
    enrichInto(judged, i, contexts[k], window, config);
    current = i;
    subject.sensor_id = readings.sensors[k];
    subject.ts = readings.ts[i];
    subject.channel_score = judged.channelColumns?.get(i)?.channel_score ?? null;
    subject.anomaly_classification = judged.anomaly_classification[i];
    subject.predictive_failure_risk = judged.predictive_failure_risk[i];
    if (stepAlerts(subject, window, config, changes, rowOf)) judged.alert_opened[i] = 1;
    if (anyAlertOpen(window)) judged.alert_open[i] = 1;
  }
  return judged;
}

/** Every column of reading `i` but the alert decision, advancing the window. NaN is null throughout. */
function enrichInto(judged: JudgedReadings, i: number, context: SensorContext, window: SensorWindow, config: JudgmentConfig): void {
  const readings = judged.readings;
  const d = judged.doubles;
  const ts = readings.ts[i];
  const temperature = readings.temperature[i];
  const pressure = readings.pressure[i];
  const vibration = readings.vibration[i];
  const stats = context.stats;
  // hourOfDay and hourOfWeek from one division (1970-01-01 began hour 72 of its week, Monday
  // 00:00 being 0); written out because this function is past the compiler's inlining budget,
  // and a call would box ts. test/unit/judgment/judge.test.ts checks it against both.
  const hourIndex = Math.floor(ts / HOUR_MS);
  const hour = ((hourIndex % 24) + 24) % 24;
  const late = window.lastTs !== null && ts < window.lastTs;
  const minHistory = config.minHistory;

  // Same hour of day over the previous 30 days.
  const h = HOUR + hour * HOUR_STRIDE;
  const hourN = stats[h];
  const avgHist = stats[h + 1];
  const sdHist = stats[h + 2];
  const judgeable = temperature === temperature && hourN >= minHistory && sdHist > 0;
  const tempDeviation = temperature - avgHist;
  const absZ = judgeable ? Math.abs(tempDeviation) / sdHist : NaN;

  // Same hour of week over earlier weeks.
  const w = WEEK + ((((hourIndex + 72) % HOURS_PER_WEEK) + HOURS_PER_WEEK) % HOURS_PER_WEEK) * WEEK_STRIDE;
  const seasonal = stats[w] >= minHistory;
  const seasonalMean = seasonal ? stats[w + 1] : NaN;
  const seasonalZ = seasonal ? ratio(temperature - stats[w + 1], stats[w + 2]) : NaN;

  // Windows over the previous rows plus this one; a late reading has no place in a window
  // that has already moved past it, so its windowed features are null.
  let ma = NaN;
  let vibSd = NaN;
  let rate = NaN;
  if (!late) {
    const n = window.ts.length;
    const hasTemperature = temperature === temperature;
    let sum = hasTemperature ? temperature : 0;
    let count = hasTemperature ? 1 : 0;
    for (let j = Math.max(0, n - (MA_ROWS - 1)); j < n; j++) {
      const t = window.temperature[j];
      if (t !== null) { sum += t; count++; }
    }
    ma = count === 0 ? NaN : sum / count;

    // Sample stddev of the window's vibrations and this reading's, in two passes (mean, then
    // squared deviations): at most 21 values, so as accurate as Welford, with one division
    // instead of one per value, which was the longest chain of judging a reading.
    const vFrom = Math.max(0, n - (VIBRATION_ROWS - 1));
    let vn = 0, vSum = 0;
    for (let j = vFrom; j < n; j++) {
      const v = window.vibration[j];
      if (v !== null) { vn++; vSum += v; }
    }
    if (vibration === vibration) { vn++; vSum += vibration; }
    const vMean = vSum / vn;
    let vM2 = 0;
    for (let j = vFrom; j < n; j++) {
      const v = window.vibration[j];
      if (v !== null) vM2 += (v - vMean) * (v - vMean);
    }
    if (vibration === vibration) vM2 += (vibration - vMean) * (vibration - vMean);
    vibSd = vn < 2 ? NaN : Math.sqrt(Math.max(0, vM2 / (vn - 1)));

    if (n >= RATE_LAG) {
      const prevT = window.temperature[n - RATE_LAG];
      const elapsedMin = (ts - window.ts[n - RATE_LAG]) / MINUTE_MS;
      if (prevT !== null && elapsedMin > 0) rate = (temperature - prevT) / elapsedMin;
    }
    pushToWindow(window, ts, hasTemperature ? temperature : null, vibration === vibration ? vibration : null);
  }

  // Sensor profile over 90 days.
  const hasProfile = stats[P_PRESENT] === 1;
  const profTemp = hasProfile && stats[P_TEMP_N] >= minHistory;
  const histMean = profTemp ? stats[P_TEMP_MEAN] : NaN;
  const histSd = profTemp ? stats[P_TEMP_SD] : NaN;
  const histVibSd = hasProfile && stats[P_VIB_N] >= minHistory ? stats[P_VIB_SD] : NaN;
  const dayAvg = stats[P_DAY];
  const nightAvg = stats[P_NIGHT];
  const failureCount = hasProfile ? stats[P_FAILURES] : 0;
  const lastFailure = stats[P_LAST_FAILURE];

  const zScore = ratio(temperature - histMean, histSd);
  const tempZ = ratio(ma - histMean, histSd);
  // Compared with the same part of the day (the use case compares every reading with the day mean).
  const periodAvg = isNightHour(hour) ? nightAvg : dayAvg;
  const seasonalDeviation = ratio(temperature - periodAvg, periodAvg);

  // Mahalanobis distance over the metrics this reading carries.
  const mask = (temperature === temperature ? 1 : 0) | (pressure === pressure ? 2 : 0) | (vibration === vibration ? 4 : 0);
  let mahalanobis = NaN;
  if (mask !== 0 && hasProfile) {
    const a = context.inverseFor(mask);
    if (a !== null) {
      // quadraticFormRoot over (temperature, pressure, vibration), written out; a missing
      // metric's deviation is 0 and its row and column of `a` are zero.
      const x0 = mask & 1 ? temperature - stats[P_VECTOR_MEAN] : 0;
      const x1 = mask & 2 ? pressure - stats[P_VECTOR_MEAN + 1] : 0;
      const x2 = mask & 4 ? vibration - stats[P_VECTOR_MEAN + 2] : 0;
      const q = x0 * (a[0] * x0 + a[1] * x1 + a[2] * x2) + x1 * (a[3] * x0 + a[4] * x1 + a[5] * x2) + x2 * (a[6] * x0 + a[7] * x1 + a[8] * x2);
      mahalanobis = Math.sqrt(Math.max(0, q));
    }
  }

  judged.late[i] = late ? 1 : 0;
  judged.reflection_version[i] = context.version;
  judged.hour_of_day[i] = hour;
  judged.reading_count[i] = hourN;
  judged.anomaly_classification[i] = classify(absZ, config);
  judged.historical_failure_count[i] = failureCount;
  judged.predictive_failure_risk[i] = failureRisk(failureCount, rate, vibSd, histVibSd, ma, histMean, histSd);
  d.avg_temp_historical[i] = avgHist;
  d.stddev_temp_historical[i] = sdHist;
  d.max_pressure_historical[i] = stats[h + 3];
  d.temperature_z_score[i] = absZ;
  d.temp_deviation[i] = tempDeviation;
  d.seasonal_temp_mean[i] = seasonalMean;
  d.seasonal_z_score[i] = seasonalZ;
  d.temp_ma_5min[i] = ma;
  d.vibration_stddev_10min[i] = vibSd;
  d.temp_rate_of_change[i] = rate;
  d.historical_temp_mean[i] = histMean;
  d.historical_temp_stddev[i] = histSd;
  d.historical_vibration_stddev[i] = histVibSd;
  d.historical_pressure_p95[i] = stats[P_P95];
  d.day_temp_avg[i] = dayAvg;
  d.night_temp_avg[i] = nightAvg;
  d.last_failure_ts[i] = lastFailure;
  d.z_score[i] = zScore;
  d.temp_z_score[i] = tempZ;
  d.temp_seasonal_deviation[i] = seasonalDeviation;
  d.days_since_failure[i] = (ts - lastFailure) / DAY_MS;
  d.mahalanobis_distance[i] = mahalanobis;
  d.anomaly_score[i] = anomalyScore(zScore, seasonalZ, rate, mahalanobis);

  const channels = readings.channels?.[i];
  if (channels || window.channels || context.hasChannelProfile) {
    const reading = readings.reading(i);
    const best = late ? null : channelScore(reading, context.reflection?.profile?.channelSteps, window, minHistory);
    (judged.channelColumns ??= new Map()).set(i, {
      channels: channels ? JSON.stringify(channels) : null,
      channel_score: best?.score ?? null,
      channel_score_channel: best?.name ?? null,
    });
  }
}

const nullToNaN = (x: number | null): number => (x === null ? NaN : x);
const nanToNull = (x: number): number | null => (x !== x ? null : x);

/**
 * The use case's composite score: weighted normalised indicators through a sigmoid, in [0, 1].
 * A missing indicator contributes 0; with no historical indicator at all there is no score.
 */
export function compositeAnomalyScore(
  z: number | null,
  seasonalZ: number | null,
  rate: number | null,
  mahalanobis: number | null,
): number | null {
  return nanToNull(anomalyScore(nullToNaN(z), nullToNaN(seasonalZ), nullToNaN(rate), nullToNaN(mahalanobis)));
}

/** compositeAnomalyScore with NaN for a missing indicator and for no score. */
function anomalyScore(z: number, seasonalZ: number, rate: number, mahalanobis: number): number {
  if (z !== z && seasonalZ !== seasonalZ && mahalanobis !== mahalanobis) return NaN;
  const weighted =
    0.3 * (z === z ? Math.abs(z) / 5 : 0) +
    0.25 * (seasonalZ === seasonalZ ? Math.abs(seasonalZ) / 3 : 0) +
    0.25 * (rate === rate ? Math.abs(rate) / 10 : 0) +
    0.2 * (mahalanobis === mahalanobis ? mahalanobis / 10 : 0);
  return 1 / (1 + Math.exp(-5 * (weighted - 0.5)));
}

/**
 * The use case's risk ladder, comparing vibration spread with vibration history (like with
 * like; the use case compared it with temperature spread). Comparisons with a missing input
 * are false, as in SQL.
 */
export function predictiveFailureRisk(
  failureCount: number,
  rate: number | null,
  vibrationSd: number | null,
  historicalVibrationSd: number | null,
  ma: number | null,
  histMean: number | null,
  histSd: number | null,
): number {
  return failureRisk(failureCount, nullToNaN(rate), nullToNaN(vibrationSd), nullToNaN(historicalVibrationSd), nullToNaN(ma), nullToNaN(histMean), nullToNaN(histSd));
}

/** predictiveFailureRisk with NaN for missing: every comparison with NaN is false, as SQL's with NULL. */
function failureRisk(failureCount: number, rate: number, vibrationSd: number, historicalVibrationSd: number, ma: number, histMean: number, histSd: number): number {
  if (failureCount > 5 && rate > 10) return 0.9;
  if (vibrationSd > historicalVibrationSd * 2) return 0.7;
  if (Math.abs(ma - histMean) > 2 * histSd) return 0.6;
  return 0.1;
}
