import { DimensionError } from "./errors.js";

function checkSameLength(operation: string, x: Float64Array, y: Float64Array): void {
  if (x.length !== y.length) {
    throw new DimensionError(`${operation}: x and y must have equal length; got ${x.length} and ${y.length}`);
  }
}

/** xᵀy. Example: `dot(new Float64Array([1, 2]), new Float64Array([3, 4]))` → 11. */
export function dot(x: Float64Array, y: Float64Array): number {
  checkSameLength("dot", x, y);
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i] * y[i];
  return s;
}

/** y ← αx + y, in place; returns y. Example: `axpy(2, x, y)`. */
export function axpy(alpha: number, x: Float64Array, y: Float64Array): Float64Array {
  checkSameLength("axpy", x, y);
  for (let i = 0; i < x.length; i++) y[i] += alpha * x[i];
  return y;
}

/** x ← αx, in place; returns x. */
export function scal(alpha: number, x: Float64Array): Float64Array {
  for (let i = 0; i < x.length; i++) x[i] *= alpha;
  return x;
}

/**
 * Euclidean norm of `x[start..end)` (contiguous), safe from overflow and underflow: the plain sum of
 * squares is used when it is in range, else a scaled pass (as LAPACK's dnrm2).
 */
export function norm2Range(x: Float64Array, start: number, end: number): number {
  let s = 0;
  for (let i = start; i < end; i++) s += x[i] * x[i];
  // 1e-280 < s < ∞: no square underflowed to a value that matters and none overflowed.
  if (s > 1e-280 && s < Number.POSITIVE_INFINITY) return Math.sqrt(s);
  let scale = 0;
  let ssq = 1;
  for (let i = start; i < end; i++) {
    const v = x[i];
    if (v !== 0) {
      const av = Math.abs(v);
      if (scale < av) {
        ssq = 1 + ssq * (scale / av) * (scale / av);
        scale = av;
      } else ssq += (av / scale) * (av / scale);
    }
  }
  // NaN entries fall through both comparisons above; surface them rather than returning 0.
  return Number.isNaN(s) ? Number.NaN : scale * Math.sqrt(ssq);
}

/** ‖x‖₂ without overflow or underflow. Example: `norm2(new Float64Array([3, 4]))` → 5. */
export function norm2(x: Float64Array): number {
  return norm2Range(x, 0, x.length);
}

/**
 * `Σ_{i<n} x[xo+i]·y[yo+i]` with four accumulators: the hot-loop dot product. Four independent
 * sums break the floating-point add latency chain (≈4× faster than one running sum in V8);
 * the summation order is fixed, so results are deterministic.
 */
export function dotAt(x: Float64Array, xo: number, y: Float64Array, yo: number, n: number): number {
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let i = 0;
  for (; i + 3 < n; i += 4) {
    s0 += x[xo + i] * y[yo + i];
    s1 += x[xo + i + 1] * y[yo + i + 1];
    s2 += x[xo + i + 2] * y[yo + i + 2];
    s3 += x[xo + i + 3] * y[yo + i + 3];
  }
  for (; i < n; i++) s0 += x[xo + i] * y[yo + i];
  return s0 + s1 + (s2 + s3);
}

/** `y[yo+i] += α·x[xo+i]` for i < n: the hot-loop axpy on sub-ranges, without subarray views. */
export function axpyAt(
  alpha: number,
  x: Float64Array,
  xo: number,
  y: Float64Array,
  yo: number,
  n: number,
): void {
  for (let i = 0; i < n; i++) y[yo + i] += alpha * x[xo + i];
}
