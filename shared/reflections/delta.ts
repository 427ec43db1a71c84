import type { Moments } from '../stats/index.js';
import type { HourProfile, SensorReflection } from './model.js';

/**
 * What one sensor's reflection changed since an earlier one of the same sensor (its base): the
 * sensor profile, always (its 90-day window moves every hour), and only the hour-of-day and
 * hour-of-week buckets that differ. After one new hour that is one bucket of each: a store can
 * write this instead of the whole reflection: about a tenth of its bytes, gzipped or not.
 */
export interface ReflectionDelta {
  readonly sensorId: string;
  readonly version: string;
  readonly profile: SensorReflection['profile'];
  /** Changed hour-of-day buckets, by hour of day. */
  readonly hourOfDay: Readonly<Record<number, HourProfile | null>>;
  /** Changed hour-of-week buckets, by hour of week. */
  readonly hourOfWeek: Readonly<Record<number, Moments | null>>;
}

/** The changes from `base` to `next` (the same sensor), with `next`'s version. */
export function reflectionDelta(base: SensorReflection, next: SensorReflection): ReflectionDelta {
  if (base.sensorId !== next.sensorId) throw new Error(`a reflection delta needs one sensor, got ${base.sensorId} and ${next.sensorId}`);
  const hourOfDay: Record<number, HourProfile | null> = {};
  const hourOfWeek: Record<number, Moments | null> = {};
  next.hourOfDay.forEach((h, i) => {
    if (!sameHourProfile(base.hourOfDay[i] ?? null, h)) hourOfDay[i] = h;
  });
  next.hourOfWeek.forEach((w, i) => {
    if (!sameMoments(base.hourOfWeek[i] ?? null, w)) hourOfWeek[i] = w;
  });
  return { sensorId: next.sensorId, version: next.version, profile: next.profile, hourOfDay, hourOfWeek };
}

/** The reflection `delta` describes, given the base it was taken from. */
export function applyReflectionDelta(base: SensorReflection, delta: ReflectionDelta): SensorReflection {
  const hourOfDay = [...base.hourOfDay];
  for (const [i, h] of Object.entries(delta.hourOfDay)) hourOfDay[Number(i)] = h;
  const hourOfWeek = [...base.hourOfWeek];
  for (const [i, w] of Object.entries(delta.hourOfWeek)) hourOfWeek[Number(i)] = w;
  return { sensorId: delta.sensorId, version: delta.version, hourOfDay, hourOfWeek, profile: delta.profile };
}

/** How many buckets a delta carries: a store rewrites the whole reflection once this grows. */
export function changedBuckets(delta: ReflectionDelta): number {
  return Object.keys(delta.hourOfDay).length + Object.keys(delta.hourOfWeek).length;
}

function sameMoments(a: Moments | null, b: Moments | null): boolean {
  if (a === null || b === null) return a === b;
  return a.n === b.n && a.mean === b.mean && a.m2 === b.m2;
}

function sameHourProfile(a: HourProfile | null, b: HourProfile | null): boolean {
  if (a === null || b === null) return a === b;
  return sameMoments(a.temperature, b.temperature) && sameMoments(a.pressure, b.pressure) && sameMoments(a.vibration, b.vibration) && a.maxPressure === b.maxPressure;
}
