/**
 * Mergeable mean vector and co-moment matrix of a d-dimensional series (here temperature,
 * pressure, vibration), from which the sample covariance follows. Only complete vectors are
 * added: a covariance from pairwise-incomplete rows need not be positive semi-definite.
 * `c` is the d×d co-moment matrix Σ (x−μ)(x−μ)ᵀ in row-major order.
 */
export interface CoMoments {
  readonly n: number;
  readonly mean: readonly number[];
  readonly c: readonly number[];
}

export function emptyCoMoments(d: number): CoMoments {
  return { n: 0, mean: new Array(d).fill(0), c: new Array(d * d).fill(0) };
}

/** Adds one complete vector (the multivariate Welford update). */
export function addVector(m: CoMoments, x: readonly number[]): CoMoments {
  const d = m.mean.length;
  const n = m.n + 1;
  const before = m.mean.map((mu, i) => x[i] - mu);
  const mean = m.mean.map((mu, i) => mu + before[i] / n);
  const after = mean.map((mu, i) => x[i] - mu);
  const c = m.c.slice();
  for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) c[i * d + j] += before[i] * after[j];
  return { n, mean, c };
}

/** Merges two partial co-moments (Chan's pairwise formula, per matrix entry). */
export function mergeCoMoments(a: CoMoments, b: CoMoments): CoMoments {
  if (a.n === 0) return b;
  if (b.n === 0) return a;
  const d = a.mean.length;
  const n = a.n + b.n;
  const delta = a.mean.map((mu, i) => b.mean[i] - mu);
  const mean = a.mean.map((mu, i) => mu + (delta[i] * b.n) / n);
  const f = (a.n * b.n) / n;
  const c = a.c.map((v, k) => v + b.c[k] + delta[Math.floor(k / d)] * delta[k % d] * f);
  return { n, mean, c };
}

/** Sample covariance matrix (n − 1), row-major; null with fewer than two vectors. */
export function sampleCovariance(m: CoMoments): number[] | null {
  return m.n < 2 ? null : m.c.map((v) => v / (m.n - 1));
}
