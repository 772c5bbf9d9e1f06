import { DimensionError, shapeOf } from "./errors.js";
import type { Mat } from "./mat.js";

/*
 * The former JS backend of `gemm`, kept only as a test oracle and a bench baseline: products go
 * through the WebAssembly kernels (gemm.ts, wasm/kernels.as), one backend with one set of bits.
 *
 * Kernels stream contiguous rows: for C ← C + α op(A) op(B) with B not transposed, every inner loop
 * is an axpy over a row of B into a row of C, four rows of B at a time so each load/store of C is
 * amortised over four multiply-adds; with B transposed, inner loops are dot products of rows.
 * Loops over k and j are blocked so a panel of B stays in cache when the operands are large.
 */

/** Panel sizes for blocking: a KC × NC panel of B (256 KiB) stays in L2. */
const KC = 128;
const NC = 256;

function overlaps(a: Float64Array, b: Float64Array): boolean {
  if (a.buffer !== b.buffer) return false;
  return a.byteOffset < b.byteOffset + b.byteLength && b.byteOffset < a.byteOffset + a.byteLength;
}

/**
 * C[i, j] += α Σ_p op(A)[i, p] B[p, j]; B k×n. op(A)[i, p] is `a[i·aRowStep + p·aStride]` (A m×k:
 * steps k, 1; A k×m transposed: steps 1, m). Micro-kernel: two rows of C × four rows of B, so each
 * load of B feeds two multiply-adds and each load/store of C four.
 */
function kernelXN(
  m: number,
  n: number,
  k: number,
  alpha: number,
  a: Float64Array,
  aRowStep: number,
  aStride: number,
  b: Float64Array,
  c: Float64Array,
): void {
  for (let j0 = 0; j0 < n; j0 += NC) {
    const j1 = Math.min(n, j0 + NC);
    for (let p0 = 0; p0 < k; p0 += KC) {
      const p1 = Math.min(k, p0 + KC);
      let i = 0;
      for (; i + 1 < m; i += 2) {
        const c0 = i * n;
        const c1 = c0 + n;
        const x = i * aRowStep;
        const y = x + aRowStep;
        let p = p0;
        for (; p + 3 < p1; p += 4) {
          const q = p * aStride;
          const x0 = alpha * a[x + q];
          const x1 = alpha * a[x + q + aStride];
          const x2 = alpha * a[x + q + 2 * aStride];
          const x3 = alpha * a[x + q + 3 * aStride];
          const y0 = alpha * a[y + q];
          const y1 = alpha * a[y + q + aStride];
          const y2 = alpha * a[y + q + 2 * aStride];
          const y3 = alpha * a[y + q + 3 * aStride];
          const b0 = p * n;
          const b1 = b0 + n;
          const b2 = b1 + n;
          const b3 = b2 + n;
          for (let j = j0; j < j1; j++) {
            const u0 = b[b0 + j];
            const u1 = b[b1 + j];
            const u2 = b[b2 + j];
            const u3 = b[b3 + j];
            c[c0 + j] += x0 * u0 + x1 * u1 + x2 * u2 + x3 * u3;
            c[c1 + j] += y0 * u0 + y1 * u1 + y2 * u2 + y3 * u3;
          }
        }
        for (; p < p1; p++) {
          const x0 = alpha * a[x + p * aStride];
          const y0 = alpha * a[y + p * aStride];
          const b0 = p * n;
          for (let j = j0; j < j1; j++) {
            const u0 = b[b0 + j];
            c[c0 + j] += x0 * u0;
            c[c1 + j] += y0 * u0;
          }
        }
      }
      if (i < m) {
        // Odd last row: one row of C × four rows of B.
        const c0 = i * n;
        const x = i * aRowStep;
        let p = p0;
        for (; p + 3 < p1; p += 4) {
          const q = p * aStride;
          const x0 = alpha * a[x + q];
          const x1 = alpha * a[x + q + aStride];
          const x2 = alpha * a[x + q + 2 * aStride];
          const x3 = alpha * a[x + q + 3 * aStride];
          const b0 = p * n;
          const b1 = b0 + n;
          const b2 = b1 + n;
          const b3 = b2 + n;
          for (let j = j0; j < j1; j++) {
            c[c0 + j] += x0 * b[b0 + j] + x1 * b[b1 + j] + x2 * b[b2 + j] + x3 * b[b3 + j];
          }
        }
        for (; p < p1; p++) {
          const x0 = alpha * a[x + p * aStride];
          const b0 = p * n;
          for (let j = j0; j < j1; j++) c[c0 + j] += x0 * b[b0 + j];
        }
      }
    }
  }
}

/**
 * C[i, j] += α Σ_p op(A)[i, p] B[j, p]; B n×k, op(A) addressed as in `kernelXN`. Each entry is a
 * dot product with a contiguous row of B. Micro-kernel: two rows of op(A) × four rows of B (eight
 * accumulators, six loads per eight multiply-adds).
 */
function kernelXT(
  m: number,
  n: number,
  k: number,
  alpha: number,
  a: Float64Array,
  aRowStep: number,
  aStride: number,
  b: Float64Array,
  c: Float64Array,
): void {
  for (let p0 = 0; p0 < k; p0 += KC) {
    const p1 = Math.min(k, p0 + KC);
    for (let i = 0; i < m; i += 2) {
      const two = i + 1 < m;
      const c0 = i * n;
      const c1 = c0 + n;
      const x = i * aRowStep;
      // For an odd last row, the second row re-reads the first (its sums are discarded).
      const y = two ? x + aRowStep : x;
      let j = 0;
      for (; j + 3 < n; j += 4) {
        const b0 = j * k;
        const b1 = b0 + k;
        const b2 = b1 + k;
        const b3 = b2 + k;
        let s0 = 0;
        let s1 = 0;
        let s2 = 0;
        let s3 = 0;
        let t0 = 0;
        let t1 = 0;
        let t2 = 0;
        let t3 = 0;
        for (let p = p0; p < p1; p++) {
          const q = p * aStride;
          const av = a[x + q];
          const aw = a[y + q];
          const u0 = b[b0 + p];
          const u1 = b[b1 + p];
          const u2 = b[b2 + p];
          const u3 = b[b3 + p];
          s0 += av * u0;
          s1 += av * u1;
          s2 += av * u2;
          s3 += av * u3;
          t0 += aw * u0;
          t1 += aw * u1;
          t2 += aw * u2;
          t3 += aw * u3;
        }
        c[c0 + j] += alpha * s0;
        c[c0 + j + 1] += alpha * s1;
        c[c0 + j + 2] += alpha * s2;
        c[c0 + j + 3] += alpha * s3;
        if (two) {
          c[c1 + j] += alpha * t0;
          c[c1 + j + 1] += alpha * t1;
          c[c1 + j + 2] += alpha * t2;
          c[c1 + j + 3] += alpha * t3;
        }
      }
      for (; j < n; j++) {
        const b0 = j * k;
        let s0 = 0;
        let t0 = 0;
        for (let p = p0; p < p1; p++) {
          const q = p * aStride;
          const u0 = b[b0 + p];
          s0 += a[x + q] * u0;
          t0 += a[y + q] * u0;
        }
        c[c0 + j] += alpha * s0;
        if (two) c[c1 + j] += alpha * t0;
      }
    }
  }
}

/**
 * General matrix product, in place: C ← α op(A) op(B) + β C, where op(X) is X or Xᵀ.
 * Shapes: op(A) m×k, op(B) k×n, C m×n. Allocates nothing and returns C. As in BLAS, β = 0 means C is
 * not read (NaN in C does not propagate). C must not share memory with A or B.
 *
 * Example: `gemmJs(true, false, 1, X, Y, 0, G)` sets G = XᵀY.
 */
export function gemmJs(
  transA: boolean,
  transB: boolean,
  alpha: number,
  A: Mat,
  B: Mat,
  beta: number,
  C: Mat,
): Mat {
  const m = transA ? A.cols : A.rows;
  const k = transA ? A.rows : A.cols;
  const kB = transB ? B.cols : B.rows;
  const n = transB ? B.rows : B.cols;
  const opA = `op(A) = ${transA ? "Aᵀ" : "A"} is ${m}×${k} (A ${shapeOf(A)})`;
  const opB = `op(B) = ${transB ? "Bᵀ" : "B"} is ${kB}×${n} (B ${shapeOf(B)})`;
  if (k !== kB) {
    throw new DimensionError(`gemmJs: inner dimensions differ: ${opA} but ${opB}`);
  }
  if (C.rows !== m || C.cols !== n) {
    throw new DimensionError(`gemmJs: C must be ${m}×${n} for ${opA} and ${opB}; got C ${shapeOf(C)}`);
  }
  const c = C.data;
  if (overlaps(c, A.data) || overlaps(c, B.data)) {
    throw new RangeError("gemmJs: C must not share memory with A or B (the product is written in place)");
  }
  if (beta === 0) c.fill(0);
  else if (beta !== 1) for (let i = 0; i < c.length; i++) c[i] *= beta;
  if (alpha === 0 || m === 0 || n === 0 || k === 0) return C;

  // op(A)[i, p] = a[i·rowStep + p·stride].
  const rowStep = transA ? 1 : k;
  const stride = transA ? m : 1;
  if (transB) kernelXT(m, n, k, alpha, A.data, rowStep, stride, B.data, c);
  else kernelXN(m, n, k, alpha, A.data, rowStep, stride, B.data, c);
  return C;
}
