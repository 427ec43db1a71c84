/**
 * Count, mean and M2 (sum of squared deviations) of a series: the mergeable partial aggregate
 * behind every mean and stddev in Tideline. Welford's update for one value, Chan et al.'s
 * merge for two partials, so windows can be recombined without rescanning raw readings.
 * See https://en.wikipedia.org/wiki/Algorithms_for_calculating_variance#Parallel_algorithm
 */
export interface Moments {
  readonly n: number;
  readonly mean: number;
  readonly m2: number;
}

export const EMPTY_MOMENTS: Moments = Object.freeze({ n: 0, mean: 0, m2: 0 });

/** Adds one value (Welford). */
export function addValue(m: Moments, x: number): Moments {
  const n = m.n + 1;
  const delta = x - m.mean;
  const mean = m.mean + delta / n;
  return { n, mean, m2: m.m2 + delta * (x - mean) };
}

/** Merges two partial aggregates (Chan). Exact up to rounding, order-independent. */
export function mergeMoments(a: Moments, b: Moments): Moments {
  if (a.n === 0) return b;
  if (b.n === 0) return a;
  const n = a.n + b.n;
  const delta = b.mean - a.mean;
  return { n, mean: a.mean + (delta * b.n) / n, m2: a.m2 + b.m2 + (delta * delta * a.n * b.n) / n };
}

/** Moments of a list of values, skipping nulls. */
export function momentsOf(values: Iterable<number | null>): Moments {
  let m = EMPTY_MOMENTS;
  for (const v of values) if (v !== null) m = addValue(m, v);
  return m;
}

/** Sample variance (n − 1 denominator, as SQL's STDDEV); null with fewer than two values. */
export function sampleVariance(m: Moments): number | null {
  return m.n < 2 ? null : Math.max(0, m.m2 / (m.n - 1));
}

/** Sample standard deviation; null with fewer than two values. Tideline uses the sample form throughout. */
export function sampleStddev(m: Moments): number | null {
  const v = sampleVariance(m);
  return v === null ? null : Math.sqrt(v);
}

/** Mean, or null when empty. */
export function meanOf(m: Moments): number | null {
  return m.n === 0 ? null : m.mean;
}
