import {
  hourOfDay,
  hourOfWeek,
  HOURS_PER_WEEK,
  isNightHour,
  REFLECTION_WINDOWS,
  type HourProfile,
  type SensorProfile,
  type SensorReflection,
} from '../reflections/index.js';
import { addVector, EMPTY_MOMENTS, emptyCoMoments, mergeCoMoments, mergeMoments, quantileOf, type CoMoments, type Moments } from '../stats/index.js';
import { emptyHourPartial, mergeTotalsInto, sketchFromBins, type HourPartial } from './partials.js';

const DAY_MS = 86_400_000;

/** Window lengths in days, as REFLECTION_WINDOWS. */
export interface ReflectionWindows {
  readonly hourOfDayDays: number;
  readonly hourOfWeekDays: number;
  readonly profileDays: number;
}

/**
 * What the 90-day sensor profile keeps of a span of hours (one hour, one day, the window): the
 * hour partial's totals (counts, moments, co-moments, failures, sketch bins) plus the temperature
 * moments of its day and night hours. Spans merge by Chan's formula, so a whole day merges at once.
 */
export interface ProfilePartial {
  readonly total: HourPartial;
  day: Moments;
  night: Moments;
}

export function emptyProfilePartial(sensorId: string, start: number): ProfilePartial {
  return { total: emptyHourPartial(sensorId, start), day: EMPTY_MOMENTS, night: EMPTY_MOMENTS };
}

/** Adds one hour to a profile partial. */
export function addHourToProfile(into: ProfilePartial, p: HourPartial): void {
  mergeTotalsInto(into.total, p);
  if (isNightHour(hourOfDay(p.hourStart))) into.night = mergeMoments(into.night, p.temperature);
  else into.day = mergeMoments(into.day, p.temperature);
}

function mergeProfileInto(into: ProfilePartial, from: ProfilePartial): void {
  mergeTotalsInto(into.total, from.total);
  into.day = mergeMoments(into.day, from.day);
  into.night = mergeMoments(into.night, from.night);
}

/** A sensor's profile partials of whole UTC days, by day start: merged once, used by every refresh that remembers the day. */
export type DayProfiles = ReadonlyMap<number, ProfilePartial>;

/**
 * One sensor's reflection from its hour partials, as of `windowEnd` (exclusive, on an hour
 * boundary): the hour-of-day profiles merge the hours of the last 30 days by hour of day, the
 * hour-of-week profiles the last 8 weeks by hour of week, the sensor profile the last 90 days.
 * Partials outside every window are ignored. Equal, up to rounding of the Chan merges, to
 * reflectionFromReadings over the same readings; the p95 comes from exactly the same sketch bins.
 * `dayProfiles`, when given, stand for the hours of the days they cover that lie wholly in the
 * profile window (they must be merged from exactly those hours), sparing 24 merges a day.
 */
export function reflectionFromPartials(
  sensorId: string,
  version: string,
  partials: Iterable<HourPartial>,
  windowEnd: number,
  windows: ReflectionWindows = REFLECTION_WINDOWS,
  dayProfiles?: DayProfiles,
): SensorReflection {
  const dayStart = windowEnd - windows.hourOfDayDays * DAY_MS;
  const weekStart = windowEnd - windows.hourOfWeekDays * DAY_MS;
  const profileStart = windowEnd - windows.profileDays * DAY_MS;
  const wholeDay = (d: number) => d >= profileStart && d + DAY_MS <= windowEnd;
  // Hour-of-day and hour-of-week moments accumulate in place, (n, mean, M2) per bucket and metric,
  // by the same Chan merge as mergeMoments: a refresh merges 30 × 24 + 56 × 24 hours per sensor,
  // and an object per merge was most of its merge time.
  const hours = new Float64Array(24 * 9);
  const maxPressure: (number | null)[] = new Array(24).fill(null);
  const week = new Float64Array(HOURS_PER_WEEK * 3);
  const profileAcc = emptyProfilePartial(sensorId, profileStart);
  const withMeasurements: HourPartial[] = [];
  let channelReadings = 0;
  for (const p of partials) {
    if (p.sensorId !== sensorId || p.hourStart >= windowEnd) continue;
    // An hour-of-day profile keeps moments and the max only: no sketch bins or co-moments to merge.
    if (p.hourStart >= dayStart) {
      const h = hourOfDay(p.hourStart);
      mergeInto(hours, h * 9, p.temperature);
      mergeInto(hours, h * 9 + 3, p.pressure);
      mergeInto(hours, h * 9 + 6, p.vibration);
      const max = maxPressure[h];
      if (p.maxPressure !== null) maxPressure[h] = max === null ? p.maxPressure : Math.max(max, p.maxPressure);
    }
    if (p.hourStart >= weekStart) mergeInto(week, hourOfWeek(p.hourStart) * 3, p.temperature);
    if (p.hourStart >= profileStart) {
      const d = p.hourStart - (p.hourStart % DAY_MS);
      if (!(dayProfiles?.has(d) && wholeDay(d))) addHourToProfile(profileAcc, p);
      // Only hours with measurements shape the channel profile.
      if (p.measurements.size > 0) withMeasurements.push(p);
      channelReadings += p.channelReadings;
    }
  }
  if (dayProfiles) for (const [d, day] of dayProfiles) if (wholeDay(d)) mergeProfileInto(profileAcc, day);
  const { total, day, night } = profileAcc;
  const { vector, pressureBins: bins } = total;
  const hourOfDayProfiles: (HourProfile | null)[] = Array.from({ length: 24 }, (_, h) =>
    hours[h * 9] + hours[h * 9 + 3] + hours[h * 9 + 6] === 0
      ? null
      : { temperature: momentsAt(hours, h * 9), pressure: momentsAt(hours, h * 9 + 3), vibration: momentsAt(hours, h * 9 + 6), maxPressure: maxPressure[h] },
  );
  // A sensor known only from device_status FAILED events still gets its failure history.
  const profile: SensorProfile | null =
    total.readings > 0 || total.failures > 0
      ? {
          temperature: total.temperature,
          pressure: total.pressure,
          vibration: total.vibration,
          pressureP95: quantileOf(sketchFromBins(bins), 0.95),
          dayTemperature: day,
          nightTemperature: night,
          vector,
          failureCount: total.failures,
          lastFailureTs: total.lastFailureTs,
          ...(channelReadings > 0 ? channelProfile(withMeasurements) : {}),
        }
      : null;
  const hourOfWeekProfiles = Array.from({ length: HOURS_PER_WEEK }, (_, w) => (week[w * 3] === 0 ? null : momentsAt(week, w * 3)));
  return { sensorId, version, hourOfDay: hourOfDayProfiles, hourOfWeek: hourOfWeekProfiles, profile };
}

/** mergeMoments into the (n, mean, M2) at `at` of `acc`: the same arithmetic, without an object per merge. */
function mergeInto(acc: Float64Array, at: number, b: Moments): void {
  if (b.n === 0) return;
  const an = acc[at];
  if (an === 0) {
    acc[at] = b.n;
    acc[at + 1] = b.mean;
    acc[at + 2] = b.m2;
    return;
  }
  const n = an + b.n;
  const delta = b.mean - acc[at + 1];
  acc[at] = n;
  acc[at + 1] = acc[at + 1] + (delta * b.n) / n;
  acc[at + 2] = acc[at + 2] + b.m2 + (delta * delta * an * b.n) / n;
}

function momentsAt(acc: Float64Array, at: number): Moments {
  return acc[at] === 0 ? EMPTY_MOMENTS : { n: acc[at], mean: acc[at + 1], m2: acc[at + 2] };
}

/**
 * The channel profile of a sensor that reported channels: per measurement, the (time, value)
 * co-moments merged over the window, and the step co-moments merged in time order, with the step
 * from each hour's last value to the next hour's first value added between them.
 */
function channelProfile(hours: HourPartial[]): { channels: Record<string, CoMoments>; channelSteps: Record<string, CoMoments> } {
  hours.sort((a, b) => a.hourStart - b.hourStart);
  const trends = new Map<string, CoMoments>();
  const steps = new Map<string, CoMoments>();
  const last = new Map<string, number>();
  for (const h of hours) {
    for (const [name, m] of h.measurements) {
      trends.set(name, mergeCoMoments(trends.get(name) ?? emptyCoMoments(2), m.trend));
      let s = mergeCoMoments(steps.get(name) ?? emptyCoMoments(2), m.steps);
      const previous = last.get(name);
      if (previous !== undefined) s = addVector(s, [previous, m.first]);
      steps.set(name, s);
      last.set(name, m.last);
    }
  }
  // A measurement seen once has no step, as in the reference.
  const stepped = [...steps].filter(([, s]) => s.n > 0);
  return { channels: Object.fromEntries(trends), channelSteps: Object.fromEntries(stepped) };
}
