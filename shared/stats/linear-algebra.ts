import { Matrix, pseudoInverse } from 'ml-matrix';

/**
 * Moore–Penrose pseudo-inverse of a small square matrix (row-major), via ml-matrix's SVD.
 * Used for the Mahalanobis distance: the pseudo-inverse stands in when the covariance is
 * singular (a constant metric, or two metrics that move together exactly).
 */
export function pseudoInverseOf(values: readonly number[], d: number): number[] {
  const rows: number[][] = [];
  for (let i = 0; i < d; i++) rows.push(values.slice(i * d, i * d + d) as number[]);
  return pseudoInverse(new Matrix(rows)).to1DArray();
}

/** Picks the sub-matrix of the given row/column indexes from a row-major d×d matrix. */
export function subMatrix(values: readonly number[], d: number, idx: readonly number[]): number[] {
  const out: number[] = [];
  for (const i of idx) for (const j of idx) out.push(values[i * d + j]);
  return out;
}

/** √(xᵀ A x) for a row-major k×k matrix A; clamped at 0 against rounding. */
export function quadraticFormRoot(a: ArrayLike<number>, x: ArrayLike<number>): number {
  const k = x.length;
  let s = 0;
  for (let i = 0; i < k; i++) {
    let row = 0;
    for (let j = 0; j < k; j++) row += a[i * k + j] * x[j];
    s += x[i] * row;
  }
  return Math.sqrt(Math.max(0, s));
}
