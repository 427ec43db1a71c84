import { type Reading, type RecordOrigin } from '../readings/index.js';
import { HOURS_PER_WEEK, hourOfDay, hourOfWeek, isNightHour, type SensorReflection } from '../reflections/index.js';
import {
  meanOf,
  pseudoInverseOf,
  quadraticFormRoot,
  sampleCovariance,
  sampleStddev,
  subMatrix,
} from '../stats/index.js';
import { ALERT_KIND, alertStateAfter, updateAlerts, type AlertChange } from './alerts.js';
import { classify, type JudgmentConfig } from './classification.js';
import type { EnrichedReading } from './enriched.js';
import { channelScore } from './channel-score.js';
import { pushToWindow, type SensorWindow } from './window.js';

const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;
/** Row counts of the use case's windows (ROWS BETWEEN 10 / 20 PRECEDING AND CURRENT ROW, LAG 5). */
const MA_ROWS = 11;
const VIBRATION_ROWS = 21;
const RATE_LAG = 5;

/** A pseudo-inverse covariance with the metric indexes it covers and room for one reading's deviations. */
interface Inverse {
  readonly idx: number[];
  readonly inverse: number[];
  readonly diff: number[];
}

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
const orNull = (x: number): number | null => (x !== x ? null : x);

/**
 * A sensor's reflection with what is derived from it once per version rather than once per
 * reading: means and standard deviations of its profiles (by the same functions, so rows are
 * unchanged to the last bit), and the pseudo-inverse covariance for each subset of metrics a
 * reading may carry.
 */
export class SensorContext {
  /** Indexed by metric mask 0..7; undefined until first asked for. */
  private readonly inverses: (Inverse | null | undefined)[] = new Array(8).fill(undefined);
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

  /** Pseudo-inverse covariance of the metrics in `mask` (bit 0 temperature, 1 pressure, 2 vibration). */
  inverseFor(mask: number): { idx: number[]; inverse: number[] } | null {
    return this.inverseWithRoom(mask);
  }

  /** inverseFor, with a scratch array for the reading's deviations (one reading at a time). */
  inverseWithRoom(mask: number): Inverse | null {
    let hit = this.inverses[mask];
    if (hit === undefined) {
      hit = null;
      const vector = this.reflection?.profile?.vector;
      const cov = vector && vector.n >= this.minHistory ? sampleCovariance(vector) : null;
      if (cov) {
        const idx = [0, 1, 2].filter((i) => mask & (1 << i));
        hit = { idx, inverse: pseudoInverseOf(subMatrix(cov, 3, idx), idx.length), diff: new Array(idx.length).fill(0) };
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

/** x / d, or null when either is missing or the divisor is zero (SQL's NULLIF guard). */
function ratio(x: number | null, d: number | null): number | null {
  return x === null || d === null || d === 0 ? null : x / d;
}

/**
 * Judges one reading against its sensor's history and recent window, and advances the window
 * (unless the reading is late). Pure apart from the window it is given; the same inputs always
 * give the same row, which is what makes replays and cold starts agree.
 */
export function judgeReading(
  reading: Reading,
  origin: RecordOrigin,
  context: SensorContext,
  window: SensorWindow,
  config: JudgmentConfig,
): EnrichedReading {
  const row = enrichReading(reading, origin, context, window, config);
  // The alert decision is part of the row, so the lake says which readings alerted.
  const alert = alertStateAfter(row, window, config);
  row.alert_open = alert.open;
  row.alert_opened = alert.opened;
  return row;
}

/**
 * judgeReading followed by updateAlerts, stepping each alert's hysteresis once: the batch path.
 * The row's alert decision is read from the window after the step, which is where
 * alertStateAfter says the step leaves it. Alert changes are appended to `changes`.
 */
export function judgeReadingAndAlert(
  reading: Reading,
  origin: RecordOrigin,
  context: SensorContext,
  window: SensorWindow,
  config: JudgmentConfig,
  changes: AlertChange[],
): EnrichedReading {
  const row = enrichReading(reading, origin, context, window, config);
  const stepped = updateAlerts(row, window, config);
  let opened = false;
  for (let i = 0; i < stepped.length; i++) {
    if (stepped[i].type === 'opened') opened = true;
    changes.push(stepped[i]);
  }
  let open = false;
  for (let i = 0; i < ALERT_KINDS.length; i++) {
    const state = window.alerts[ALERT_KINDS[i]];
    if (state !== undefined && state.openAlertId !== null) open = true;
  }
  row.alert_open = open;
  row.alert_opened = opened;
  return row;
}

const ALERT_KINDS = Object.values(ALERT_KIND);

/** Every column but the alert decision (left false), advancing the window. */
function enrichReading(
  reading: Reading,
  origin: RecordOrigin,
  context: SensorContext,
  window: SensorWindow,
  config: JudgmentConfig,
): EnrichedReading {
  const { ts, temperature, pressure, vibration } = reading;
  const stats = context.stats;
  const hour = hourOfDay(ts);
  const late = window.lastTs !== null && ts < window.lastTs;
  const minHistory = config.minHistory;

  // Same hour of day over the previous 30 days.
  const h = HOUR + hour * HOUR_STRIDE;
  const hourN = stats[h];
  const avgHist = orNull(stats[h + 1]);
  const sdHist = orNull(stats[h + 2]);
  const judgeable = temperature !== null && hourN >= minHistory && sdHist !== null && sdHist > 0;
  const tempDeviation = temperature !== null && avgHist !== null ? temperature - avgHist : null;
  const absZ = judgeable ? Math.abs(tempDeviation as number) / (sdHist as number) : null;

  // Same hour of week over earlier weeks.
  const w = WEEK + hourOfWeek(ts) * WEEK_STRIDE;
  const seasonal = stats[w] >= minHistory;
  const seasonalMean = seasonal ? stats[w + 1] : null;
  const seasonalZ = temperature !== null && seasonal ? ratio(temperature - stats[w + 1], orNull(stats[w + 2])) : null;

  // Windows over the previous rows plus this one; a late reading has no place in a window
  // that has already moved past it, so its windowed features are null.
  let ma: number | null = null;
  let vibSd: number | null = null;
  let rate: number | null = null;
  if (!late) {
    const n = window.ts.length;
    let sum = temperature ?? 0;
    let count = temperature === null ? 0 : 1;
    for (let i = Math.max(0, n - (MA_ROWS - 1)); i < n; i++) {
      const t = window.temperature[i];
      if (t !== null) { sum += t; count++; }
    }
    ma = count === 0 ? null : sum / count;

    // Welford over the window then this reading (inline: a closure per reading cost more than the sum).
    let vn = 0, vMean = 0, vM2 = 0;
    for (let i = Math.max(0, n - (VIBRATION_ROWS - 1)); i <= n; i++) {
      const v = i < n ? window.vibration[i] : vibration;
      if (v !== null) { vn++; const d = v - vMean; vMean += d / vn; vM2 += d * (v - vMean); }
    }
    vibSd = vn < 2 ? null : Math.sqrt(Math.max(0, vM2 / (vn - 1)));

    if (n >= RATE_LAG) {
      const prevT = window.temperature[n - RATE_LAG];
      const elapsedMin = (ts - window.ts[n - RATE_LAG]) / MINUTE_MS;
      rate = temperature === null || prevT === null || elapsedMin <= 0 ? null : (temperature - prevT) / elapsedMin;
    }
    pushToWindow(window, ts, temperature, vibration);
  }

  // Sensor profile over 90 days.
  const hasProfile = stats[P_PRESENT] === 1;
  const profTemp = hasProfile && stats[P_TEMP_N] >= minHistory;
  const histMean = profTemp ? stats[P_TEMP_MEAN] : null;
  const histSd = profTemp ? orNull(stats[P_TEMP_SD]) : null;
  const histVibSd = hasProfile && stats[P_VIB_N] >= minHistory ? orNull(stats[P_VIB_SD]) : null;
  const dayAvg = orNull(stats[P_DAY]);
  const nightAvg = orNull(stats[P_NIGHT]);
  const failureCount = hasProfile ? stats[P_FAILURES] : 0;
  const lastFailure = orNull(stats[P_LAST_FAILURE]);

  const zScore = temperature !== null && histMean !== null ? ratio(temperature - histMean, histSd) : null;
  const tempZ = ma !== null && histMean !== null ? ratio(ma - histMean, histSd) : null;
  // Compared with the same part of the day (the use case compares every reading with the day mean).
  const periodAvg = isNightHour(hour) ? nightAvg : dayAvg;
  const seasonalDeviation = temperature !== null && periodAvg !== null ? ratio(temperature - periodAvg, periodAvg) : null;
  const daysSinceFailure = lastFailure === null ? null : (ts - lastFailure) / DAY_MS;

  // Mahalanobis distance over the metrics this reading carries.
  const mask = (temperature !== null ? 1 : 0) | (pressure !== null ? 2 : 0) | (vibration !== null ? 4 : 0);
  let mahalanobis: number | null = null;
  if (mask !== 0 && hasProfile) {
    const inv = context.inverseWithRoom(mask);
    if (inv) {
      const { idx, diff } = inv;
      for (let j = 0; j < idx.length; j++) {
        const i = idx[j];
        diff[j] = ((i === 0 ? temperature : i === 1 ? pressure : vibration) as number) - stats[P_VECTOR_MEAN + i];
      }
      mahalanobis = quadraticFormRoot(inv.inverse, diff);
    }
  }

  const row: EnrichedReading = {
    sensor_id: reading.sensor_id,
    ts,
    temperature,
    pressure,
    vibration,
    status: reading.status,
    kafka_topic: origin.topic,
    kafka_partition: origin.partition,
    kafka_offset: origin.offset,
    late,
    reflection_version: context.version,
    hour_of_day: hour,
    avg_temp_historical: avgHist,
    stddev_temp_historical: sdHist,
    max_pressure_historical: orNull(stats[h + 3]),
    reading_count: hourN,
    temperature_z_score: absZ,
    anomaly_classification: classify(absZ, config),
    temp_deviation: tempDeviation,
    seasonal_temp_mean: seasonalMean,
    seasonal_z_score: seasonalZ,
    temp_ma_5min: ma,
    vibration_stddev_10min: vibSd,
    temp_rate_of_change: rate,
    historical_temp_mean: histMean,
    historical_temp_stddev: histSd,
    historical_vibration_stddev: histVibSd,
    historical_pressure_p95: orNull(stats[P_P95]),
    day_temp_avg: dayAvg,
    night_temp_avg: nightAvg,
    historical_failure_count: failureCount,
    last_failure_ts: lastFailure,
    z_score: zScore,
    temp_z_score: tempZ,
    temp_seasonal_deviation: seasonalDeviation,
    days_since_failure: daysSinceFailure,
    mahalanobis_distance: mahalanobis,
    anomaly_score: compositeAnomalyScore(zScore, seasonalZ, rate, mahalanobis),
    predictive_failure_risk: predictiveFailureRisk(failureCount, rate, vibSd, histVibSd, ma, histMean, histSd),
    alert_open: false,
    alert_opened: false,
  };
  if (reading.channels || window.channels || context.hasChannelProfile) {
    const profile = context.reflection?.profile;
    row.channels = reading.channels ? JSON.stringify(reading.channels) : null;
    const best = late ? null : channelScore(reading, profile?.channelSteps, window, config.minHistory);
    row.channel_score = best?.score ?? null;
    row.channel_score_channel = best?.name ?? null;
  }
  return row;
}

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
  if (z === null && seasonalZ === null && mahalanobis === null) return null;
  const weighted =
    0.3 * (Math.abs(z ?? 0) / 5) +
    0.25 * (Math.abs(seasonalZ ?? 0) / 3) +
    0.25 * (Math.abs(rate ?? 0) / 10) +
    0.2 * ((mahalanobis ?? 0) / 10);
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
  if (failureCount > 5 && rate !== null && rate > 10) return 0.9;
  if (vibrationSd !== null && historicalVibrationSd !== null && vibrationSd > historicalVibrationSd * 2) return 0.7;
  if (ma !== null && histMean !== null && histSd !== null && Math.abs(ma - histMean) > 2 * histSd) return 0.6;
  return 0.1;
}
