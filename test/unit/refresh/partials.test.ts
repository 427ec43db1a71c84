import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import {
  addToBins,
  decodeDayPartials,
  emptyHourPartial,
  emptyPressureBins,
  encodeDayPartials,
  PartialFileError,
  reflectionFromPartials,
  SKETCH_MAPPING,
  sketchFromBins,
  type HourPartial,
  type ProfilePartial,
  type MergeMemo,
  addHourToProfile,
  emptyProfilePartial,
} from '../../../shared/refresh/index.js';
import { expectReflectionsClose } from '../../integration/refresh/reflection-compare.js';
import { reflectionFromReadings } from '../../../shared/reflections/index.js';
import { addValue, addVector, mergeCoMoments, newQuantileSketch, quantileOf } from '../../../shared/stats/index.js';
import type { Reading } from '../../../shared/readings/index.js';
import { generateReadings, prng, T0 } from '../../helpers/factories.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** Hour partials folded in TypeScript from raw readings: what the SQL computes, for checking the merge alone. */
function partialsOf(readings: readonly Reading[]): HourPartial[] {
  const out = new Map<string, HourPartial>();
  for (const r of readings) {
    const hour = Math.floor(r.ts / HOUR) * HOUR;
    const key = `${r.sensor_id}|${hour}`;
    let p = out.get(key);
    if (!p) out.set(key, (p = emptyHourPartial(r.sensor_id, hour)));
    p.readings++;
    if (r.temperature !== null) p.temperature = addValue(p.temperature, r.temperature);
    if (r.pressure !== null) {
      p.pressure = addValue(p.pressure, r.pressure);
      p.maxPressure = Math.max(p.maxPressure ?? r.pressure, r.pressure);
      const sign = r.pressure > SKETCH_MAPPING.minPossible ? 1 : r.pressure < -SKETCH_MAPPING.minPossible ? -1 : 0;
      addToBins(p.pressureBins, sign, sign === 0 ? 0 : SKETCH_MAPPING.key(Math.abs(r.pressure)), 1);
    }
    if (r.vibration !== null) p.vibration = addValue(p.vibration, r.vibration);
    if (r.temperature !== null && r.pressure !== null && r.vibration !== null) p.vector = addVector(p.vector, [r.temperature, r.pressure, r.vibration]);
    if (r.status === 'FAILED') {
      p.failures++;
      p.lastFailureTs = Math.max(p.lastFailureTs ?? r.ts, r.ts);
    }
  }
  return [...out.values()];
}

describe('hour partials', () => {
  it('merge over the 30-day, 8-week and 90-day windows into the reflection a full recomputation gives', () => {
    const readings = generateReadings({ sensors: 2, start: T0 - 95 * DAY, end: T0 + 2 * DAY, stepMs: 97 * 60_000, missingRate: 0.1 });
    const asOf = T0 + 5 * HOUR;
    const got = reflectionFromPartials('sensor-1', 'v', partialsOf(readings), asOf);
    const want = reflectionFromReadings('sensor-1', 'v', readings, asOf);
    expect(got.hourOfDay.map((h) => h?.temperature.n ?? 0)).toEqual(want.hourOfDay.map((h) => h?.temperature.n ?? 0));
    expect(got.hourOfWeek.map((h) => h?.n ?? 0)).toEqual(want.hourOfWeek.map((h) => h?.n ?? 0));
    expect(got.profile?.temperature.mean).toBeCloseTo(want.profile!.temperature.mean, 10);
    expect(got.profile?.vector.c[1]).toBeCloseTo(want.profile!.vector.c[1], 6);
    expect(got.profile?.failureCount).toBe(want.profile?.failureCount);
    expect(got.profile?.pressureP95).toBe(want.profile?.pressureP95);
    expect(got.profile?.nightTemperature.n).toBe(want.profile?.nightTemperature.n);
  });

  it('merge whole days at once into the same reflection, edge days hour by hour', () => {
    const readings = generateReadings({ sensors: 2, start: T0 - 95 * DAY, end: T0 + 2 * DAY, stepMs: 97 * 60_000, missingRate: 0.1 });
    const asOf = T0 + 5 * HOUR;
    const partials = partialsOf(readings).filter((p) => p.sensorId === 'sensor-1');
    const days = new Map<number, ProfilePartial>();
    for (const p of partials) {
      const d = p.hourStart - (p.hourStart % DAY);
      if (!days.has(d)) days.set(d, emptyProfilePartial('sensor-1', d));
      addHourToProfile(days.get(d)!, p);
    }
    const got = reflectionFromPartials('sensor-1', 'v', partials, asOf, undefined, days);
    expectReflectionsClose(got, reflectionFromReadings('sensor-1', 'v', readings, asOf));
    expectReflectionsClose(got, reflectionFromPartials('sensor-1', 'v', partials, asOf));
  });

  it('take the day in progress and the window\'s first day as one partial each when their profiles cover just the window\'s hours', () => {
    const readings = generateReadings({ sensors: 1, start: T0 - 95 * DAY, end: T0 + 2 * DAY, stepMs: 53 * 60_000, missingRate: 0.1, seed: 9 });
    const asOf = T0 + 5 * HOUR;
    const profileStart = asOf - 90 * DAY;
    const partials = partialsOf(readings).filter((p) => p.hourStart < asOf);
    const days = new Map<number, ProfilePartial>();
    for (const p of partials) {
      // The first day's partial starts at the window's first hour, as the refresh builds it.
      if (p.hourStart < profileStart) continue;
      const d = p.hourStart - (p.hourStart % DAY);
      if (!days.has(d)) days.set(d, emptyProfilePartial('sensor-0', d));
      addHourToProfile(days.get(d)!, p);
    }
    const today = days.get(asOf - (asOf % DAY))!;
    expect(today.last).toBeLessThan(asOf);
    const got = reflectionFromPartials('sensor-0', 'v', partials, asOf, undefined, days);
    expectReflectionsClose(got, reflectionFromReadings('sensor-0', 'v', readings, asOf));
    // A day profile with an hour outside the window is not taken: its hours merge one by one.
    const outside = emptyProfilePartial('sensor-0', asOf - (asOf % DAY));
    addHourToProfile(outside, { ...partials[partials.length - 1], hourStart: asOf + HOUR });
    expectReflectionsClose(reflectionFromPartials('sensor-0', 'v', partials, asOf, undefined, new Map([...days, [asOf - (asOf % DAY), outside]])), got);
  });

  it('merge again only the buckets whose hours changed or slid, into the reflection a merge from scratch gives', () => {
    const readings = generateReadings({ sensors: 1, start: T0 - 95 * DAY, end: T0 + 2 * DAY, stepMs: 41 * 60_000, missingRate: 0.1, seed: 3 });
    const daysOf = (partials: HourPartial[]) => {
      const days = new Map<number, ProfilePartial>();
      for (const p of partials) {
        const d = p.hourStart - (p.hourStart % DAY);
        if (!days.has(d)) days.set(d, emptyProfilePartial('sensor-0', d));
        addHourToProfile(days.get(d)!, p);
      }
      return days;
    };
    let memo: MergeMemo | undefined;
    const keep = (m: MergeMemo) => (memo = m);
    const before = readings.filter((r) => r.ts < T0);
    let partials = partialsOf(before);
    reflectionFromPartials('sensor-0', 'v', partials, T0, undefined, daysOf(partials), { memo, changedHours: new Set(), keep });

    // Three hours on: the new hours arrive, and a late reading lands 40 days back (an hour of day
    // and of week the new hours do not touch); the days' profiles are the same objects but the late day's.
    const late = { ...readings.find((r) => r.ts < T0 - 40 * DAY && r.temperature !== null)!, ts: T0 - 40 * DAY + 7 * HOUR + 1_000, temperature: 99 };
    const now = T0 + 3 * HOUR;
    const after = [...readings.filter((r) => r.ts < now), late];
    const oldDays = daysOf(partials);
    partials = partialsOf(after);
    const newDays = daysOf(partials);
    const lateDay = late.ts - (late.ts % DAY);
    const days = new Map([...newDays].map(([d, day]) => [d, d === lateDay || d >= T0 ? day : (oldDays.get(d) ?? day)]));
    const changedHours = new Set([T0, T0 + HOUR, T0 + 2 * HOUR, late.ts - (late.ts % HOUR)]);
    const got = reflectionFromPartials('sensor-0', 'v', partials, now, undefined, days, { memo, changedHours, keep });
    expectReflectionsClose(got, reflectionFromPartials('sensor-0', 'v', partials, now, undefined, days));
    expectReflectionsClose(got, reflectionFromReadings('sensor-0', 'v', after, now));
  });

  it('rebuild exactly the sketch a full scan builds, including zeros and negative values', () => {
    const rand = prng(3);
    const values = Array.from({ length: 5000 }, () => (rand() < 0.05 ? 0 : (rand() - 0.3) * 200));
    const direct = newQuantileSketch();
    const bins = emptyPressureBins();
    for (const v of values) {
      direct.accept(v);
      const sign = v > SKETCH_MAPPING.minPossible ? 1 : v < -SKETCH_MAPPING.minPossible ? -1 : 0;
      addToBins(bins, sign, sign === 0 ? 0 : SKETCH_MAPPING.key(Math.abs(v)), 1);
    }
    const rebuilt = sketchFromBins(bins);
    for (const q of [0.01, 0.25, 0.5, 0.9, 0.95, 0.99]) expect(quantileOf(rebuilt, q)).toBe(quantileOf(direct, q));
  });

  it('compute the bin key with the same constants SQL uses: ⌈log2|x| · multiplier⌉ + offset', () => {
    const rand = prng(9);
    for (let i = 0; i < 2000; i++) {
      const x = Math.exp((rand() - 0.5) * 40);
      expect(Math.ceil(Math.log2(x) * SKETCH_MAPPING.multiplier) + SKETCH_MAPPING.offset).toBe(SKETCH_MAPPING.key(x));
    }
  });

  it('survive a round trip through the day file, fingerprints included', () => {
    const partials = partialsOf(generateReadings({ sensors: 3, start: T0, end: T0 + DAY, stepMs: 20 * 60_000, missingRate: 0.2 }));
    const fingerprints = new Map([[T0, 'abc'], [T0 + HOUR, 'def']]);
    const back = decodeDayPartials('partials/dt=2026-01-05/partials.json.gz', encodeDayPartials({ partials, fingerprints }));
    expect(back.fingerprints).toEqual(fingerprints);
    expect(back.partials.length).toBe(partials.length);
    const a = partials[5], b = back.partials[5];
    expect(b).toEqual({ ...a, vector: a.vector.n === 0 ? b.vector : a.vector });
    expect(mergeCoMoments(a.vector, a.vector).n).toBe(2 * a.vector.n);
  });

  it('keep channel partials through the day file', () => {
    const p = emptyHourPartial('sensor-0', T0);
    p.channelReadings = 12;
    p.measurements.set('Current', { trend: { n: 12, mean: [T0 + 1800e3, 1.5], c: [1.3e13, 2.5e5, 2.5e5, 0.75] }, steps: { n: 11, mean: [1.4, 1.6], c: [0.6, 0.5, 0.5, 0.7] }, first: 1.1, last: 1.9 });
    const back = decodeDayPartials('partials/dt=2026-01-05/partials.json.gz', encodeDayPartials({ partials: [p, emptyHourPartial('sensor-1', T0)], fingerprints: new Map() }));
    expect(back.partials[0]).toEqual(p);
    expect(back.partials[1].measurements.size).toBe(0);
  });

  it('treat a day file of the format before channel partials as never computed, so its hours are recomputed', () => {
    const v1 = gzipSync(JSON.stringify({ format: 'tideline.partials.v1', rows: 0, fingerprints: [[T0, 'abc']], columns: {} }));
    expect(decodeDayPartials('partials/dt=2026-01-05/partials.json.gz', v1)).toEqual({ partials: [], fingerprints: new Map() });
  });

  it('name the file when a day file is not a partial file', () => {
    expect(() => decodeDayPartials('partials/dt=2026-01-05/partials.json.gz', new TextEncoder().encode('not gzip'))).toThrow(PartialFileError);
    expect(() => decodeDayPartials('partials/dt=2026-01-05/partials.json.gz', new TextEncoder().encode('not gzip'))).toThrow(
      /^partial aggregate file partials\/dt=2026-01-05\/partials\.json\.gz: not a readable partial file \(gzipped JSON\)/,
    );
  });
});
