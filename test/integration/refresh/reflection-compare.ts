import { expect } from 'vitest';
import type { HourProfile, SensorReflection } from '../../../shared/reflections/index.js';
import { QUANTILE_RELATIVE_ACCURACY, type CoMoments, type Moments } from '../../../shared/stats/index.js';

/** Relative tolerance of every mean, M2 and co-moment against the full recomputation. */
export const RELATIVE = 1e-9;

function close(got: number, want: number, scale: number, what: string): void {
  const tol = RELATIVE * Math.max(Math.abs(want), Math.abs(got), scale, Number.MIN_VALUE);
  if (!(Math.abs(got - want) <= tol)) expect.fail(`${what}: got ${got}, want ${want} (|Δ| ${Math.abs(got - want)} > ${tol})`);
}

function moments(got: Moments | null, want: Moments | null, what: string): void {
  if (want === null || got === null) {
    expect(got, what).toEqual(want);
    return;
  }
  expect(got.n, `${what}.n`).toBe(want.n);
  close(got.mean, want.mean, 0, `${what}.mean`);
  close(got.m2, want.m2, 0, `${what}.m2`);
}

function coMoments(got: CoMoments, want: CoMoments, what: string): void {
  expect(got.n, `${what}.n`).toBe(want.n);
  got.mean.forEach((m, i) => close(m, want.mean[i], 0, `${what}.mean[${i}]`));
  const d = want.mean.length;
  // An off-diagonal co-moment of nearly independent metrics sits near 0; it is compared on the
  // scale of its row and column (√(c_ii c_jj)), the size its rounding error is relative to.
  got.c.forEach((c, k) => {
    const i = Math.floor(k / d), j = k % d;
    close(c, want.c[k], Math.sqrt(Math.abs(want.c[i * d + i] * want.c[j * d + j])), `${what}.c[${i},${j}]`);
  });
}

function hourProfile(got: HourProfile | null, want: HourProfile | null, what: string): void {
  if (want === null || got === null) {
    expect(got === null, `${what} is null`).toBe(want === null);
    return;
  }
  moments(got.temperature, want.temperature, `${what}.temperature`);
  moments(got.pressure, want.pressure, `${what}.pressure`);
  moments(got.vibration, want.vibration, `${what}.vibration`);
  expect(got.maxPressure, `${what}.maxPressure`).toBe(want.maxPressure);
}

/**
 * Asserts a refreshed reflection equals the full recomputation: counts exactly, means, M2s and
 * co-moments to 1e-9 relative, p95 within the sketch's relative accuracy (1 %) of the reference.
 */
export function expectReflectionsClose(got: SensorReflection | undefined, want: SensorReflection): void {
  expect(got, `reflection of ${want.sensorId}`).toBeDefined();
  const g = got as SensorReflection;
  const who = want.sensorId;
  want.hourOfDay.forEach((h, i) => hourProfile(g.hourOfDay[i], h, `${who}.hourOfDay[${i}]`));
  want.hourOfWeek.forEach((m, i) => moments(g.hourOfWeek[i], m, `${who}.hourOfWeek[${i}]`));
  if (want.profile === null || g.profile === null) {
    expect(g.profile === null, `${who}.profile is null`).toBe(want.profile === null);
    return;
  }
  const gp = g.profile, wp = want.profile;
  moments(gp.temperature, wp.temperature, `${who}.profile.temperature`);
  moments(gp.pressure, wp.pressure, `${who}.profile.pressure`);
  moments(gp.vibration, wp.vibration, `${who}.profile.vibration`);
  moments(gp.dayTemperature, wp.dayTemperature, `${who}.profile.dayTemperature`);
  moments(gp.nightTemperature, wp.nightTemperature, `${who}.profile.nightTemperature`);
  coMoments(gp.vector, wp.vector, `${who}.profile.vector`);
  expect(gp.failureCount, `${who}.profile.failureCount`).toBe(wp.failureCount);
  expect(gp.lastFailureTs, `${who}.profile.lastFailureTs`).toBe(wp.lastFailureTs);
  if (wp.pressureP95 === null) expect(gp.pressureP95).toBeNull();
  else expect(Math.abs((gp.pressureP95 as number) - wp.pressureP95), `${who}.profile.pressureP95`).toBeLessThanOrEqual(2 * QUANTILE_RELATIVE_ACCURACY * Math.abs(wp.pressureP95));
  for (const part of ['channels', 'channelSteps'] as const) {
    const g = gp[part] ?? {}, w = wp[part] ?? {};
    expect(Object.keys(g).sort(), `${who}.profile.${part}`).toEqual(Object.keys(w).sort());
    for (const name in w) coMoments(g[name], w[name], `${who}.profile.${part}.${name}`);
  }
}
