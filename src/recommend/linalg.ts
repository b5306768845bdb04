// Small dense linear-algebra kernels on Float64Array (row-major): SPD inverse for EASE, CG for iALS.
import { FeedError } from '../shared/errors.js';

/** Σ_{t<len} a[ao+t]·b[bo+t], unrolled by four (the hot loop of the dense kernels). */
function dotRange(a: Float64Array, ao: number, b: Float64Array, bo: number, len: number): number {
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let t = 0;
  for (; t + 3 < len; t += 4) {
    s0 += a[ao + t]! * b[bo + t]!;
    s1 += a[ao + t + 1]! * b[bo + t + 1]!;
    s2 += a[ao + t + 2]! * b[bo + t + 2]!;
    s3 += a[ao + t + 3]! * b[bo + t + 3]!;
  }
  for (; t < len; t++) s0 += a[ao + t]! * b[bo + t]!;
  return s0 + s1 + s2 + s3;
}

/** y[yo+t] += alpha·x[xo+t] for t < len, unrolled by four. */
function axpy(alpha: number, x: Float64Array, xo: number, y: Float64Array, yo: number, len: number): void {
  let t = 0;
  for (; t + 3 < len; t += 4) {
    y[yo + t]! += alpha * x[xo + t]!;
    y[yo + t + 1]! += alpha * x[xo + t + 1]!;
    y[yo + t + 2]! += alpha * x[xo + t + 2]!;
    y[yo + t + 3]! += alpha * x[xo + t + 3]!;
  }
  for (; t < len; t++) y[yo + t]! += alpha * x[xo + t]!;
}

const R = 4;

/**
 * Inverts the symmetric positive-definite n × n matrix `a` in place via its Cholesky factor
 * (A = L·Lᵀ, A⁻¹ = L⁻ᵀ·L⁻¹), about n³/2 multiply-adds. Rows are processed four at a time so that each
 * streamed row serves four accumulations: the kernels are memory-bound otherwise (n = 2,500 is 50 MB).
 * Throws when `a` is not positive definite.
 */
export function invertSpdInPlace(a: Float64Array, n: number): void {
  cholesky(a, n);
  invertLower(a, n);
  lowerTransposeTimesLower(a, n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < i; j++) a[j * n + i] = a[i * n + j]!;
  }
}

/** In place: the lower triangle of `a` becomes L with A = L·Lᵀ (upper triangle untouched). */
function cholesky(a: Float64Array, n: number): void {
  for (let i0 = 0; i0 < n; i0 += R) {
    const r = Math.min(R, n - i0);
    // Columns left of the block: every row of the block at once.
    if (r === R) {
      const r0 = i0 * n;
      const r1 = r0 + n;
      const r2 = r1 + n;
      const r3 = r2 + n;
      for (let j = 0; j < i0; j++) {
        const rj = j * n;
        let s0 = 0;
        let s1 = 0;
        let s2 = 0;
        let s3 = 0;
        for (let p = 0; p < j; p++) {
          const x = a[rj + p]!;
          s0 += a[r0 + p]! * x;
          s1 += a[r1 + p]! * x;
          s2 += a[r2 + p]! * x;
          s3 += a[r3 + p]! * x;
        }
        const d = a[rj + j]!;
        a[r0 + j] = (a[r0 + j]! - s0) / d;
        a[r1 + j] = (a[r1 + j]! - s1) / d;
        a[r2 + j] = (a[r2 + j]! - s2) / d;
        a[r3 + j] = (a[r3 + j]! - s3) / d;
      }
    } else {
      for (let t = 0; t < r; t++) {
        const ri = (i0 + t) * n;
        for (let j = 0; j < i0; j++) {
          const rj = j * n;
          a[ri + j] = (a[ri + j]! - dotRange(a, ri, a, rj, j)) / a[rj + j]!;
        }
      }
    }
    // The block's own triangle, row by row.
    for (let t = 0; t < r; t++) {
      const i = i0 + t;
      const ri = i * n;
      for (let j = i0; j <= i; j++) {
        const rj = j * n;
        const s = a[ri + j]! - dotRange(a, ri, a, rj, j);
        if (i === j) {
          if (!(s > 0)) {
            throw new FeedError('internal', `matrix is not positive definite at row ${i} (pivot ${s})`);
          }
          a[ri + i] = Math.sqrt(s);
        } else {
          a[ri + j] = s / a[rj + j]!;
        }
      }
    }
  }
}

/**
 * In place: the lower triangle of `a` (L) becomes X = L⁻¹, row by row:
 * X[i,·] = (e_i − Σ_{k<i} L[i,k]·X[k,·]) / L[i,i]. Rows above a block already hold X; a block's rows still
 * hold L while their new values collect in `buf`.
 */
function invertLower(a: Float64Array, n: number): void {
  const buf = new Float64Array(R * n);
  for (let i0 = 0; i0 < n; i0 += R) {
    const r = Math.min(R, n - i0);
    buf.fill(0);
    for (let t = 0; t < r; t++) buf[t * n + i0 + t] = 1;
    // Rows X[k] above the block: one pass serves all rows of the block.
    for (let k = 0; k < i0; k++) {
      const rk = k * n;
      const len = k + 1;
      if (r === R) {
        const c0 = a[i0 * n + k]!;
        const c1 = a[(i0 + 1) * n + k]!;
        const c2 = a[(i0 + 2) * n + k]!;
        const c3 = a[(i0 + 3) * n + k]!;
        for (let p = 0; p < len; p++) {
          const x = a[rk + p]!;
          buf[p]! -= c0 * x;
          buf[n + p]! -= c1 * x;
          buf[2 * n + p]! -= c2 * x;
          buf[3 * n + p]! -= c3 * x;
        }
      } else {
        for (let t = 0; t < r; t++) axpy(-a[(i0 + t) * n + k]!, a, rk, buf, t * n, len);
      }
    }
    // Inside the block: sequential, each finished row written back before the next needs it.
    for (let t = 0; t < r; t++) {
      const i = i0 + t;
      const ri = i * n;
      const bo = t * n;
      for (let k = i0; k < i; k++) axpy(-a[ri + k]!, a, k * n, buf, bo, k + 1);
      const inv = 1 / a[ri + i]!;
      for (let p = 0; p <= i; p++) a[ri + p] = buf[bo + p]! * inv;
    }
  }
}

/**
 * In place: the lower triangle of `a` (M, lower triangular) becomes the lower triangle of MᵀM:
 * (MᵀM)[i,j] = Σ_{k ≥ i} M[k,i]·M[k,j] for j ≤ i. A block's rows collect in `buf` while rows k ≥ i0
 * stream by, then replace the block: later blocks only read rows below it.
 */
function lowerTransposeTimesLower(a: Float64Array, n: number): void {
  const buf = new Float64Array(R * n);
  for (let i0 = 0; i0 < n; i0 += R) {
    const r = Math.min(R, n - i0);
    buf.fill(0);
    const last = i0 + r - 1;
    // Rows inside the block: only the block rows i ≤ k take part.
    for (let k = i0; k < Math.min(last, n); k++) {
      for (let t = 0; t <= k - i0; t++) axpy(a[k * n + i0 + t]!, a, k * n, buf, t * n, i0 + t + 1);
    }
    for (let k = last; k < n; k++) {
      const rk = k * n;
      if (r === R) {
        const c0 = a[rk + i0]!;
        const c1 = a[rk + i0 + 1]!;
        const c2 = a[rk + i0 + 2]!;
        const c3 = a[rk + i0 + 3]!;
        const len = i0 + 1;
        for (let p = 0; p < len; p++) {
          const x = a[rk + p]!;
          buf[p]! += c0 * x;
          buf[n + p]! += c1 * x;
          buf[2 * n + p]! += c2 * x;
          buf[3 * n + p]! += c3 * x;
        }
        // Tails: row t needs columns up to i0 + t.
        buf[n + i0 + 1]! += c1 * a[rk + i0 + 1]!;
        buf[2 * n + i0 + 1]! += c2 * a[rk + i0 + 1]!;
        buf[2 * n + i0 + 2]! += c2 * a[rk + i0 + 2]!;
        buf[3 * n + i0 + 1]! += c3 * a[rk + i0 + 1]!;
        buf[3 * n + i0 + 2]! += c3 * a[rk + i0 + 2]!;
        buf[3 * n + i0 + 3]! += c3 * a[rk + i0 + 3]!;
      } else {
        for (let t = 0; t < r; t++) axpy(a[rk + i0 + t]!, a, rk, buf, t * n, i0 + t + 1);
      }
    }
    for (let t = 0; t < r; t++) {
      const i = i0 + t;
      for (let p = 0; p <= i; p++) a[i * n + p] = buf[t * n + p]!;
    }
  }
}

/** Dot product of a[ao..ao+k) and b[bo..bo+k). */
export function dot(a: ArrayLike<number>, ao: number, b: ArrayLike<number>, bo: number, k: number): number {
  let s = 0;
  for (let f = 0; f < k; f++) s += a[ao + f]! * b[bo + f]!;
  return s;
}
