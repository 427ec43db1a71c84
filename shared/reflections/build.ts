import { METRICS, type Reading } from '../readings/index.js';
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

const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;

/** Welford accumulator of (u, v) pairs, mutable for speed; becomes a 2-d CoMoments. */
interface PairAccumulator { n: number; mt: number; mx: number; ctt: number; ctx: number; cxx: number }

function addPair(pairs: Map<string, PairAccumulator>, name: string, t: number, x: number): void {
  let a = pairs.get(name);
  if (!a) pairs.set(name, (a = { n: 0, mt: 0, mx: 0, ctt: 0, ctx: 0, cxx: 0 }));
  a.n++;
  const dt = t - a.mt;
  const dx = x - a.mx;
  a.mt += dt / a.n;
  a.mx += dx / a.n;
  a.ctt += dt * (t - a.mt);
  a.ctx += dt * (x - a.mx);
  a.cxx += dx * (x - a.mx);
}

function pairCoMoments(a: PairAccumulator): CoMoments {
  return { n: a.n, mean: [a.mt, a.mx], c: [a.ctt, a.ctx, a.ctx, a.cxx] };
}

/**
 * Co-moments of (previous value, value) over each measurement's consecutive values in event-time
 * order (readings lacking the measurement are skipped; equal times keep their given order).
 */
function stepCoMoments(readings: Reading[]): Record<string, CoMoments> {
  const ordered = readings.slice().sort((a, b) => a.ts - b.ts);
  const steps = new Map<string, PairAccumulator>();
  const previous = new Map<string, number>();
  const step = (name: string, x: number) => {
    const p = previous.get(name);
    if (p !== undefined) addPair(steps, name, p, x);
    previous.set(name, x);
  };
  for (const r of ordered) {
    for (const metric of METRICS) if (r[metric] !== null) step(metric, r[metric] as number);
    if (r.channels) for (const name in r.channels) step(name, r.channels[name]);
  }
  return Object.fromEntries([...steps].map(([name, a]) => [name, pairCoMoments(a)]));
}

/** Per measurement, co-moments of (event time, value) and of consecutive values (see SensorProfile). */
function channelProfile(readings: Reading[]): { channels: Record<string, CoMoments>; channelSteps: Record<string, CoMoments> } {
  const trends = new Map<string, PairAccumulator>();
  for (const r of readings) {
    for (const metric of METRICS) if (r[metric] !== null) addPair(trends, metric, r.ts, r[metric] as number);
    if (r.channels) for (const name in r.channels) addPair(trends, name, r.ts, r.channels[name]);
  }
  return { channels: Object.fromEntries([...trends].map(([name, a]) => [name, pairCoMoments(a)])), channelSteps: stepCoMoments(readings) };
}

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
  // The channel profile covers the hours in which the sensor reported channels; its steps need
  // the readings in event-time order, so they are kept by reference.
  const profileReadings: Reading[] = [];
  const channelHours = new Set<number>();
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
      if (r.channels) channelHours.add(Math.floor(r.ts / HOUR_MS));
      profileReadings.push(r);
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
        ...(channelHours.size > 0 ? channelProfile(profileReadings.filter((r) => channelHours.has(Math.floor(r.ts / HOUR_MS)))) : {}),
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
