import { describe, expect, it } from 'vitest';
import { applyReflectionDelta, changedBuckets, reflectionDelta, reflectionFromReadings } from '../../../shared/reflections/index.js';
import { generateReadings, T0 } from '../../helpers/factories.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

describe('reflection deltas', () => {
  const history = generateReadings({ sensors: 2, start: T0 - 60 * DAY, end: T0 + HOUR, stepMs: 20 * 60_000, seed: 5, missingRate: 0.1 });
  const base = reflectionFromReadings('sensor-0', 'v1', history, T0);
  const next = reflectionFromReadings('sensor-0', 'v2', history, T0 + HOUR);

  it('carry the profile and only the buckets one new hour changed: one of hour of day, one of hour of week', () => {
    const delta = reflectionDelta(base, next);
    expect(Object.keys(delta.hourOfDay)).toEqual([String(new Date(T0).getUTCHours())]);
    expect(Object.keys(delta.hourOfWeek)).toHaveLength(1);
    expect(changedBuckets(delta)).toBe(2);
    expect(delta.profile).toEqual(next.profile);
    expect(JSON.stringify(delta).length).toBeLessThan(JSON.stringify(next).length / 4);
  });

  it('rebuild exactly the next reflection from its base', () => {
    expect(applyReflectionDelta(base, reflectionDelta(base, next))).toEqual(next);
    const later = reflectionFromReadings('sensor-0', 'v3', history, T0 - 5 * DAY);
    expect(applyReflectionDelta(base, reflectionDelta(base, later))).toEqual(later);
  });

  it('carry a bucket that emptied as null', () => {
    const emptied = { ...next, hourOfWeek: next.hourOfWeek.map((w, i) => (i === 3 ? null : w)) };
    const delta = reflectionDelta(base, emptied);
    expect(delta.hourOfWeek[3]).toBeNull();
    expect(applyReflectionDelta(base, delta)).toEqual(emptied);
  });

  it('refuse two sensors', () => {
    expect(() => reflectionDelta(base, reflectionFromReadings('sensor-1', 'v2', history, T0))).toThrow('a reflection delta needs one sensor, got sensor-0 and sensor-1');
  });
});
