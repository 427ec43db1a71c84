import { METRICS, type Reading } from '../readings/index.js';
import type { CoMoments } from '../stats/index.js';
import { pushChannelsToWindow, type SensorWindow } from './window.js';

/** How many of the latest values (or steps) of each measurement the channel score averages. */
export const CHANNEL_SCORE_ROWS = 10;

/**
 * Lag-1 autocorrelation above which a measurement counts as persistent (a level that wanders,
 * like a temperature following its surroundings) and is judged by its steps, not its level.
 */
export const PERSISTENT_LAG1 = 0.5;

/**
 * Advances the channel window with this reading's measurements and scores them against the step
 * profile (co-moments of consecutive values, see SensorProfile.channelSteps). Per measurement:
 *
 * - a stationary one (lag-1 autocorrelation ρ ≤ PERSISTENT_LAG1): the z-score of the mean of its
 *   last k = CHANNEL_SCORE_ROWS values (readings lacking it skipped) against its profile mean, with
 *   the standard error of such a mean when every pair of the k values is correlated as much as
 *   neighbours are, σ·√((1−ρ)/k + ρ) (ρ taken as at least 0): the correlated part of the spread, a
 *   level that wanders, does not average out over k readings;
 * - a persistent one: the z-score of its change over the last CHANNEL_SCORE_ROWS steps, with the
 *   spread of a change over that many steps, σ_step·√k. Its level may wander as far as it likes;
 *   a sudden jump still counts.
 *
 * Returns the largest |z| and its measurement, or null when no measurement has a usable profile
 * (fewer than `minHistory` steps or zero spread) and recent values.
 */
export function channelScore(
  reading: Reading,
  steps: Readonly<Record<string, CoMoments>> | undefined,
  window: SensorWindow,
  minHistory: number,
): { name: string; score: number } | null {
  const values: Record<string, number | null> = {};
  for (const metric of METRICS) values[metric] = reading[metric];
  if (reading.channels) Object.assign(values, reading.channels);
  pushChannelsToWindow(window, values);
  if (!steps) return null;
  let best: { name: string; score: number } | null = null;
  for (const name in steps) {
    const p = steps[name];
    const recent = window.channels?.[name];
    if (p.n < minHistory || !recent) continue;
    const score = measurementScore(p, recent);
    if (score !== null && (best === null || score > best.score)) best = { name, score };
  }
  return best;
}

/** One measurement's |z| (see channelScore), or null when it cannot be judged. */
function measurementScore(p: CoMoments, recent: readonly (number | null)[]): number | null {
  const [cPrev, cCross, , cCur] = p.c;
  if (!(cPrev > 0 && cCur > 0)) return null;
  const rho = cCross / Math.sqrt(cPrev * cCur);
  const last = recent.length - 1;
  if (rho > PERSISTENT_LAG1) {
    // The newest value and the one CHANNEL_SCORE_ROWS values before it (or the oldest kept),
    // counting values as the profile's steps do: readings lacking the measurement are skipped.
    let newest: number | null = null, oldest: number | null = null, stepCount = -1;
    for (let i = last; i >= 0 && stepCount < CHANNEL_SCORE_ROWS; i--) {
      const x = recent[i];
      if (x === null) continue;
      newest ??= x;
      oldest = x;
      stepCount++;
    }
    if (newest === null || oldest === null || stepCount < 1) return null;
    const stepVar = (cPrev + cCur - 2 * cCross) / (p.n - 1);
    if (!(stepVar > 0)) return null;
    return Math.abs(newest - oldest) / Math.sqrt(stepVar * stepCount);
  }
  let sum = 0, count = 0;
  for (let i = last; i >= 0 && count < CHANNEL_SCORE_ROWS; i--) {
    const x = recent[i];
    if (x !== null) { sum += x; count++; }
  }
  if (count === 0) return null;
  const r = rho > 0 ? rho : 0;
  const meanVar = (cCur / (p.n - 1)) * ((1 - r) / count + r);
  return Math.abs(sum / count - p.mean[1]) / Math.sqrt(meanVar);
}
