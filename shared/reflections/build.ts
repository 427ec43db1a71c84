import type { Reading } from '../readings/index.js';
import {
  addValue,
  addVector,
  EMPTY_MOMENTS,
  emptyCoMoments,
  newQuantileSketch,
  quantileOf,
  type CoMoments,
  type Moments,
} from '../stats/index.js';
import {
  hourOfDay,
  hourOfWeek,
  HOURS_PER_WEEK,
  isNightHour,
  REFLECTION_WINDOWS,
  type HourProfile,
  type SensorProfile,
  type SensorReflection,
} from './model.js';

const DAY_MS = 86_400_000;

/**
 * Computes one sensor's reflection straight from its raw readings, as of `asOf` (exclusive):
 * the reference definition that an incremental refresh must reproduce, and the way tests and
 * the evaluator seed history. Readings outside the windows are ignored.
 */
export function reflectionFromReadings(
  sensorId: string,
  version: string,
  readings: Iterable<Reading>,
  asOf: number,
  windows: { hourOfDayDays: number; hourOfWeekDays: number; profileDays: number } = REFLECTION_WINDOWS,
): SensorReflection {
  const hourStart = asOf - windows.hourOfDayDays * DAY_MS;
  const weekStart = asOf - windows.hourOfWeekDays * DAY_MS;
  const profileStart = asOf - windows.profileDays * DAY_MS;
  const hours: { t: Moments; p: Moments; v: Moments; maxP: number | null }[] = Array.from({ length: 24 }, () => ({
    t: EMPTY_MOMENTS,
    p: EMPTY_MOMENTS,
    v: EMPTY_MOMENTS,
    maxP: null,
  }));
  const week: Moments[] = new Array(HOURS_PER_WEEK).fill(EMPTY_MOMENTS);
  let t = EMPTY_MOMENTS, p = EMPTY_MOMENTS, v = EMPTY_MOMENTS, day = EMPTY_MOMENTS, night = EMPTY_MOMENTS;
  let vector: CoMoments = emptyCoMoments(3);
  const pressures = newQuantileSketch();
  let failures = 0;
  let lastFailure: number | null = null;
  let any = false;
  for (const r of readings) {
    if (r.sensor_id !== sensorId || r.ts >= asOf || r.ts < Math.min(hourStart, weekStart, profileStart)) continue;
    if (r.ts >= hourStart) {
      const h = hours[hourOfDay(r.ts)];
      if (r.temperature !== null) h.t = addValue(h.t, r.temperature);
      if (r.pressure !== null) {
        h.p = addValue(h.p, r.pressure);
        h.maxP = h.maxP === null ? r.pressure : Math.max(h.maxP, r.pressure);
      }
      if (r.vibration !== null) h.v = addValue(h.v, r.vibration);
    }
    if (r.ts >= weekStart && r.temperature !== null) {
      const w = hourOfWeek(r.ts);
      week[w] = addValue(week[w], r.temperature);
    }
    if (r.ts >= profileStart) {
      any = true;
      if (r.temperature !== null) {
        t = addValue(t, r.temperature);
        if (isNightHour(hourOfDay(r.ts))) night = addValue(night, r.temperature);
        else day = addValue(day, r.temperature);
      }
      if (r.pressure !== null) {
        p = addValue(p, r.pressure);
        pressures.accept(r.pressure);
      }
      if (r.vibration !== null) v = addValue(v, r.vibration);
      if (r.temperature !== null && r.pressure !== null && r.vibration !== null) {
        vector = addVector(vector, [r.temperature, r.pressure, r.vibration]);
      }
      if (r.status === 'FAILED') {
        failures++;
        lastFailure = lastFailure === null ? r.ts : Math.max(lastFailure, r.ts);
      }
    }
  }
  const hourOfDayProfiles: (HourProfile | null)[] = hours.map((h) =>
    h.t.n + h.p.n + h.v.n === 0 ? null : { temperature: h.t, pressure: h.p, vibration: h.v, maxPressure: h.maxP },
  );
  const profile: SensorProfile | null = any
    ? {
        temperature: t,
        pressure: p,
        vibration: v,
        pressureP95: quantileOf(pressures, 0.95),
        dayTemperature: day,
        nightTemperature: night,
        vector,
        failureCount: failures,
        lastFailureTs: lastFailure,
      }
    : null;
  return {
    sensorId,
    version,
    hourOfDay: hourOfDayProfiles,
    hourOfWeek: week.map((m) => (m.n === 0 ? null : m)),
    profile,
  };
}
