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
import { emptyHourPartial, mergeBinsInto, mergeMetricsInto, sketchFromBins, emptyPressureBins, type HourPartial } from './partials.js';

const DAY_MS = 86_400_000;

/** Window lengths in days, as REFLECTION_WINDOWS. */
export interface ReflectionWindows {
  readonly hourOfDayDays: number;
  readonly hourOfWeekDays: number;
  readonly profileDays: number;
}

/**
 * One sensor's reflection from its hour partials, as of `windowEnd` (exclusive, on an hour
 * boundary): the hour-of-day profiles merge the hours of the last 30 days by hour of day, the
 * hour-of-week profiles the last 8 weeks by hour of week, the sensor profile the last 90 days.
 * Partials outside every window are ignored. Equal, up to rounding of the Chan merges, to
 * reflectionFromReadings over the same readings; the p95 comes from exactly the same sketch bins.
 */
export function reflectionFromPartials(
  sensorId: string,
  version: string,
  partials: Iterable<HourPartial>,
  windowEnd: number,
  windows: ReflectionWindows = REFLECTION_WINDOWS,
): SensorReflection {
  const dayStart = windowEnd - windows.hourOfDayDays * DAY_MS;
  const weekStart = windowEnd - windows.hourOfWeekDays * DAY_MS;
  const profileStart = windowEnd - windows.profileDays * DAY_MS;
  const hours: HourPartial[] = Array.from({ length: 24 }, (_, h) => emptyHourPartial(sensorId, h));
  const week: Moments[] = new Array(HOURS_PER_WEEK).fill(EMPTY_MOMENTS);
  const total = emptyHourPartial(sensorId, profileStart);
  let day = EMPTY_MOMENTS;
  let night = EMPTY_MOMENTS;
  let vector = emptyCoMoments(3);
  const bins = emptyPressureBins();
  const inProfile: HourPartial[] = [];
  let channelReadings = 0;
  for (const p of partials) {
    if (p.sensorId !== sensorId || p.hourStart >= windowEnd) continue;
    const hod = hourOfDay(p.hourStart);
    // An hour-of-day profile keeps moments and the max only: no sketch bins or co-moments to merge.
    if (p.hourStart >= dayStart) mergeMetricsInto(hours[hod], p);
    if (p.hourStart >= weekStart) {
      const w = hourOfWeek(p.hourStart);
      week[w] = mergeMoments(week[w], p.temperature);
    }
    if (p.hourStart >= profileStart) {
      total.readings += p.readings;
      total.temperature = mergeMoments(total.temperature, p.temperature);
      total.pressure = mergeMoments(total.pressure, p.pressure);
      total.vibration = mergeMoments(total.vibration, p.vibration);
      if (isNightHour(hod)) night = mergeMoments(night, p.temperature);
      else day = mergeMoments(day, p.temperature);
      vector = mergeCoMoments(vector, p.vector);
      total.failures += p.failures;
      if (p.lastFailureTs !== null) total.lastFailureTs = Math.max(total.lastFailureTs ?? p.lastFailureTs, p.lastFailureTs);
      mergeBinsInto(bins, p.pressureBins);
      inProfile.push(p);
      channelReadings += p.channelReadings;
    }
  }
  const hourOfDayProfiles: (HourProfile | null)[] = hours.map((h) =>
    h.temperature.n + h.pressure.n + h.vibration.n === 0
      ? null
      : { temperature: h.temperature, pressure: h.pressure, vibration: h.vibration, maxPressure: h.maxPressure },
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
          ...(channelReadings > 0 ? channelProfile(inProfile) : {}),
        }
      : null;
  return { sensorId, version, hourOfDay: hourOfDayProfiles, hourOfWeek: week.map((m) => (m.n === 0 ? null : m)), profile };
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
