import type { CoMoments, Moments } from '../stats/index.js';

/** Per sensor and hour of day, over the trailing window (30 days by default). */
export interface HourProfile {
  readonly temperature: Moments;
  readonly pressure: Moments;
  readonly vibration: Moments;
  readonly maxPressure: number | null;
}

/** Per sensor over the long window (90 days by default). */
export interface SensorProfile {
  readonly temperature: Moments;
  readonly pressure: Moments;
  readonly vibration: Moments;
  readonly pressureP95: number | null;
  /** Day is hours 6..18 UTC; night is hour ≥ 19 or < 6 (the use case's BETWEEN 19 AND 5 is always false). */
  readonly dayTemperature: Moments;
  readonly nightTemperature: Moments;
  /** Mean vector and co-moments of complete (temperature, pressure, vibration) vectors. */
  readonly vector: CoMoments;
  readonly failureCount: number;
  readonly lastFailureTs: number | null;
  /**
   * Only for sensors that report extra channels: per measurement (the metrics and every channel),
   * the mean vector and co-moments of (event time ms, value), i.e. its level, spread and trend
   * over the window's hours in which the sensor reported channels. Absent for sensors that
   * report the three metrics only.
   */
  readonly channels?: Readonly<Record<string, CoMoments>>;
  /**
   * Only for sensors that report extra channels: per measurement, the mean vector and co-moments
   * of (previous value, value) over its consecutive values in event-time order. They give its
   * level and spread, its lag-1 autocorrelation (how persistent it is) and the spread of its
   * steps: what the channel score judges by. Mergeable like every other moment.
   */
  readonly channelSteps?: Readonly<Record<string, CoMoments>>;
}

/**
 * Everything Tideline knows about one sensor's normal behaviour, as of one reflection version.
 * Stored as one item per sensor and version, so an executor fetches a sensor's whole context
 * in one read and every reading of a batch is judged against the same version.
 */
export interface SensorReflection {
  readonly sensorId: string;
  readonly version: string;
  /** 24 entries, UTC hour of day; null where there is no history. */
  readonly hourOfDay: readonly (HourProfile | null)[];
  /** 168 entries, hour of week (Monday 00:00 UTC = 0), temperature only. */
  readonly hourOfWeek: readonly (Moments | null)[];
  readonly profile: SensorProfile | null;
}

/** The version in force: one pointer flipped by each successful refresh. */
export interface ReflectionPointer {
  readonly version: string;
  /** When the refresh that wrote it finished (epoch ms): its age is the staleness metric. */
  readonly refreshedAt: number;
  /** Event time up to which the lake was read (exclusive). */
  readonly windowEnd: number;
  /**
   * A digest of the hour partials the version was merged from (shared/refresh): a refresh that
   * finds the same ones keeps the version. Absent on versions written before it was recorded.
   */
  readonly builtFrom?: string;
}

/** Window lengths of the reflections (days). */
export const REFLECTION_WINDOWS = {
  hourOfDayDays: 30,
  hourOfWeekDays: 56,
  profileDays: 90,
} as const;

export const HOURS_PER_WEEK = 168;

const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;

/** UTC hour of day, by arithmetic (no Date object: this runs once per reading). */
export function hourOfDay(ts: number): number {
  return Math.floor((((ts % DAY_MS) + DAY_MS) % DAY_MS) / HOUR_MS);
}

/** Hour of week with Monday 00:00 UTC as 0 (1970-01-01 was a Thursday, day 3 from Monday). */
export function hourOfWeek(ts: number): number {
  const day = Math.floor(ts / DAY_MS);
  return ((((day + 3) % 7) + 7) % 7) * 24 + hourOfDay(ts);
}

/** Night is hour ≥ 19 or < 6 (UTC). */
export function isNightHour(hour: number): boolean {
  return hour >= 19 || hour < 6;
}
