import { METRICS, type Reading } from '../readings/index.js';
import type { CoMoments } from '../stats/index.js';
import { pushChannelsToWindow, type SensorWindow } from './window.js';

/** √12: the standard deviation of evenly spread times, times this, is the span they cover. */
const SQRT_12 = Math.sqrt(12);

/**
 * Advances the channel window with this reading's measurements and scores them: per measurement
 * of the channel profile, |mean of the last WINDOW_ROWS values − profile mean| / √(σ² + D²), where
 * D = |slope| · σ_t · √12 is how far the measurement's linear trend moved it across the profile
 * window (a level that wandered in its history may wander as far again without being anomalous).
 * Returns the largest, or null when no measurement has a usable profile (fewer than `minHistory`
 * values or zero spread).
 */
export function channelScore(
  reading: Reading,
  profiles: Readonly<Record<string, CoMoments>> | undefined,
  window: SensorWindow,
  minHistory: number,
): { name: string; score: number } | null {
  const values: Record<string, number | null> = {};
  for (const metric of METRICS) values[metric] = reading[metric];
  if (reading.channels) Object.assign(values, reading.channels);
  pushChannelsToWindow(window, values);
  if (!profiles) return null;
  let best: { name: string; score: number } | null = null;
  for (const name in profiles) {
    const p = profiles[name];
    const recent = window.channels?.[name];
    if (p.n < minHistory || !recent) continue;
    const varX = p.c[3] / (p.n - 1);
    if (!(varX > 0)) continue;
    let sum = 0, count = 0;
    for (const x of recent) if (x !== null) { sum += x; count++; }
    if (count === 0) continue;
    const varT = p.c[0] / (p.n - 1);
    const drift = varT > 0 ? (Math.abs(p.c[1] / (p.n - 1)) / varT) * Math.sqrt(varT) * SQRT_12 : 0;
    const score = Math.abs(sum / count - p.mean[1]) / Math.sqrt(varX + drift * drift);
    if (best === null || score > best.score) best = { name, score };
  }
  return best;
}
