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
  /** The start of the first and of the last hour merged in (Infinity and −Infinity: none yet). */
  first: number;
  last: number;
}

export function emptyProfilePartial(sensorId: string, start: number): ProfilePartial {
  return { total: emptyHourPartial(sensorId, start), day: EMPTY_MOMENTS, night: EMPTY_MOMENTS, first: Infinity, last: -Infinity };
}

/** Adds one hour to a profile partial. */
export function addHourToProfile(into: ProfilePartial, p: HourPartial): void {
  mergeTotalsInto(into.total, p);
  if (isNightHour(hourOfDay(p.hourStart))) into.night = mergeMoments(into.night, p.temperature);
  else into.day = mergeMoments(into.day, p.temperature);
  into.first = Math.min(into.first, p.hourStart);
  into.last = Math.max(into.last, p.hourStart);
}

export function mergeProfileInto(into: ProfilePartial, from: ProfilePartial): void {
  mergeTotalsInto(into.total, from.total);
  into.day = mergeMoments(into.day, from.day);
  into.night = mergeMoments(into.night, from.night);
  into.first = Math.min(into.first, from.first);
  into.last = Math.max(into.last, from.last);
}

/**
 * A sensor's profile partials by UTC day start, each of some of the day's hours: merged once,
 * used by every refresh that remembers the day. One stands for exactly the day's hours of the
 * sensor from its `first` on (a whole day, or the day the window starts in from the window's
 * first hour), and is used when those all lie in the profile window.
 */
export type DayProfiles = ReadonlyMap<number, ProfilePartial>;

/**
 * One sensor's hour partials by the start of their UTC day: 24 slots by hour of day, empty where
 * the sensor has no partial. A refresh that merges from its last merge (MergeCarry) looks up the
 * few hours whose buckets changed instead of walking every hour of 90 days.
 */
export type SensorHours = ReadonlyMap<number, readonly (HourPartial | undefined)[]>;

/**
 * `sensorId`'s partials of `partials` by day and hour of day.
 * @throws Error when two partials are of the same hour (a sensor has one partial per hour).
 */
export function sensorHoursOf(sensorId: string, partials: Iterable<HourPartial>): Map<number, (HourPartial | undefined)[]> {
  const days = new Map<number, (HourPartial | undefined)[]>();
  for (const p of partials) {
    if (p.sensorId !== sensorId) continue;
    const d = p.hourStart - (p.hourStart % DAY_MS);
    let slots = days.get(d);
    if (!slots) days.set(d, (slots = new Array<HourPartial | undefined>(24).fill(undefined)));
    const h = hourOfDay(p.hourStart);
    if (slots[h] !== undefined) throw new Error(`two partials of sensor ${sensorId} for the hour starting ${new Date(p.hourStart).toISOString()}`);
    slots[h] = p;
  }
  return days;
}

/**
 * One sensor's reflection from its hour partials, as of `windowEnd` (exclusive, on an hour
 * boundary): the hour-of-day profiles merge the hours of the last 30 days by hour of day, the
 * hour-of-week profiles the last 8 weeks by hour of week, the sensor profile the last 90 days.
 * Partials outside every window are ignored. Equal, up to rounding of the Chan merges, to
 * reflectionFromReadings over the same readings; the p95 comes from exactly the same sketch bins.
 * `partials` are the sensor's (others are ignored), one per hour, as a list or already by day.
 * `dayProfiles`, when given, stand for the hours of the days they cover that lie wholly in the
 * profile window (they must be merged from exactly those hours), sparing 24 merges a day.
 * `carry`, when given, lets this merge start from the last one of the same sensor (MergeCarry).
 */
export function reflectionFromPartials(
  sensorId: string,
  version: string,
  partials: Iterable<HourPartial> | SensorHours,
  windowEnd: number,
  windows: ReflectionWindows = REFLECTION_WINDOWS,
  dayProfiles?: DayProfiles,
  carry?: MergeCarry,
): SensorReflection {
  const days = partials instanceof Map ? (partials as SensorHours) : sensorHoursOf(sensorId, partials as Iterable<HourPartial>);
  const dayStart = windowEnd - windows.hourOfDayDays * DAY_MS;
  const weekStart = windowEnd - windows.hourOfWeekDays * DAY_MS;
  const profileStart = windowEnd - windows.profileDays * DAY_MS;
  const earliest = Math.min(dayStart, weekStart, profileStart);
  const wholeDay = (d: number) => d >= profileStart && d + DAY_MS <= windowEnd;
  // Hour-of-day and hour-of-week moments accumulate in place, (n, mean, M2) per bucket and metric,
  // by the same Chan merge as mergeMoments: a refresh merges 30 × 24 + 56 × 24 hours per sensor,
  // and an object per merge was most of its merge time. Only the buckets `stale` marks are merged
  // here; the others are the last merge's (all are stale without one).
  const { hours, maxPressure, week, staleDay, staleWeek } = startingBuckets(carry, windowEnd, windows);
  const profileAcc = emptyProfilePartial(sensorId, profileStart);
  const withMeasurements: HourPartial[] = [];
  let channelReadings = 0;
  for (const [d, slots] of days) {
    if (d >= windowEnd || d + DAY_MS <= earliest) continue;
    // A day with a day profile of its hours in the window needs only its hours of stale buckets,
    // unless it has channel readings: the channel profile merges every hour with measurements, in
    // time order. Whole days merge below, once for all; the others (the day in progress, the day
    // the window starts in) here.
    const given = dayProfiles?.get(d);
    const dayProfile = given !== undefined && given.first >= profileStart && given.last < windowEnd ? given : undefined;
    const everyHour = dayProfile === undefined || dayProfile.total.channelReadings > 0;
    if (dayProfile !== undefined) {
      channelReadings += dayProfile.total.channelReadings;
      if (!wholeDay(d)) mergeProfileInto(profileAcc, dayProfile);
    }
    const weekAt = hourOfWeek(d);
    for (let h = 0; h < 24; h++) {
      if (!everyHour && staleDay[h] === 0 && staleWeek[weekAt + h] === 0) continue;
      const p = slots[h];
      if (p === undefined || p.sensorId !== sensorId || p.hourStart >= windowEnd) continue;
      // An hour-of-day profile keeps moments and the max only: no sketch bins or co-moments to merge.
      if (p.hourStart >= dayStart && staleDay[h] === 1) {
        mergeInto(hours, h * 9, p.temperature);
        mergeInto(hours, h * 9 + 3, p.pressure);
        mergeInto(hours, h * 9 + 6, p.vibration);
        const max = maxPressure[h];
        if (p.maxPressure !== null) maxPressure[h] = max === null ? p.maxPressure : Math.max(max, p.maxPressure);
      }
      if (p.hourStart >= weekStart && staleWeek[weekAt + h] === 1) mergeInto(week, (weekAt + h) * 3, p.temperature);
      if (p.hourStart >= profileStart) {
        if (dayProfile === undefined) {
          addHourToProfile(profileAcc, p);
          channelReadings += p.channelReadings;
        }
        // Only hours with measurements shape the channel profile.
        if (p.measurements.size > 0) withMeasurements.push(p);
      }
    }
  }
  // The whole days merge into one partial, kept while they are the very same day partials (a day
  // rewritten or re-read is a new object): the window's whole days change once a day.
  const wholeDayRefs: ProfilePartial[] = [];
  if (dayProfiles) for (const [d, day] of dayProfiles) if (wholeDay(d)) wholeDayRefs.push(day);
  const previous = carry?.memo;
  let wholeDays: ProfilePartial;
  if (previous && sameRefs(previous.wholeDayRefs, wholeDayRefs)) wholeDays = previous.wholeDays;
  else {
    wholeDays = emptyProfilePartial(sensorId, profileStart);
    for (const day of wholeDayRefs) mergeProfileInto(wholeDays, day);
  }
  mergeProfileInto(profileAcc, wholeDays);
  carry?.keep({ windowEnd, windows, hours, maxPressure, week, wholeDayRefs, wholeDays });
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

/** What one sensor's last merge built: its buckets, and the whole days of its profile merged. */
export interface MergeMemo {
  readonly windowEnd: number;
  readonly windows: ReflectionWindows;
  /** Per hour of day, (n, mean, M2) of temperature, pressure, vibration. */
  readonly hours: Float64Array;
  readonly maxPressure: readonly (number | null)[];
  /** Per hour of week, (n, mean, M2) of temperature. */
  readonly week: Float64Array;
  readonly wholeDayRefs: readonly ProfilePartial[];
  readonly wholeDays: ProfilePartial;
}

/**
 * Lets a refresh merge one sensor starting from its last merge: an hour-of-day or hour-of-week
 * bucket is merged again only when an hour of it changed (`changedHours`: every hour whose
 * partials may differ from those the memo saw — recomputed, re-read, dropped) or entered or left
 * its window since; every other bucket keeps the memo's value, merged from the very same hours.
 * After one new hour that is one bucket of each, instead of 30 × 24 + 56 × 24 hours.
 */
export interface MergeCarry {
  readonly memo: MergeMemo | undefined;
  readonly changedHours: ReadonlySet<number>;
  /** Receives what this merge built, for the next. */
  readonly keep: (memo: MergeMemo) => void;
}

const HOUR_MS = 3_600_000;
/** A memo older than this is not worth sliding: every bucket is merged again. */
const MAX_SLIDE_MS = 7 * DAY_MS;

function startingBuckets(carry: MergeCarry | undefined, windowEnd: number, windows: ReflectionWindows) {
  const memo = carry?.memo;
  const usable =
    memo !== undefined &&
    memo.windows.hourOfDayDays === windows.hourOfDayDays &&
    memo.windows.hourOfWeekDays === windows.hourOfWeekDays &&
    memo.windows.profileDays === windows.profileDays &&
    windowEnd >= memo.windowEnd &&
    windowEnd - memo.windowEnd <= MAX_SLIDE_MS;
  const staleDay = new Uint8Array(24).fill(usable ? 0 : 1);
  const staleWeek = new Uint8Array(HOURS_PER_WEEK).fill(usable ? 0 : 1);
  if (!usable) return { hours: new Float64Array(24 * 9), maxPressure: new Array<number | null>(24).fill(null), week: new Float64Array(HOURS_PER_WEEK * 3), staleDay, staleWeek };
  const touch = (h: number) => {
    staleDay[hourOfDay(h)] = 1;
    staleWeek[hourOfWeek(h)] = 1;
  };
  for (const h of carry!.changedHours) touch(h);
  // Hours that entered the windows at their end, and left them at their start.
  for (let h = memo.windowEnd; h < windowEnd; h += HOUR_MS) touch(h);
  for (let h = memo.windowEnd - windows.hourOfDayDays * DAY_MS; h < windowEnd - windows.hourOfDayDays * DAY_MS; h += HOUR_MS) staleDay[hourOfDay(h)] = 1;
  for (let h = memo.windowEnd - windows.hourOfWeekDays * DAY_MS; h < windowEnd - windows.hourOfWeekDays * DAY_MS; h += HOUR_MS) staleWeek[hourOfWeek(h)] = 1;
  const hours = Float64Array.from(memo.hours);
  const maxPressure = [...memo.maxPressure];
  const week = Float64Array.from(memo.week);
  for (let h = 0; h < 24; h++) {
    if (staleDay[h] === 0) continue;
    hours.fill(0, h * 9, h * 9 + 9);
    maxPressure[h] = null;
  }
  for (let w = 0; w < HOURS_PER_WEEK; w++) if (staleWeek[w] === 1) week.fill(0, w * 3, w * 3 + 3);
  return { hours, maxPressure, week, staleDay, staleWeek };
}

function sameRefs<T>(a: readonly T[], b: readonly T[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
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
