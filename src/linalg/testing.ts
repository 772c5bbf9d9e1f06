/*
 * Deterministic helpers for the linalg tests only (no Math.random: a seeded mulberry32 stream).
 * Library code must not import this file.
 */
import { type Mat, zeros } from "./mat.js";

/** Seeded uniform and standard-normal draws (mulberry32 + Box–Muller). */
export class TestRng {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** Uniform in [0, 1). */
  uniform(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  normal(): number {
    const u = 1 - this.uniform();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * this.uniform());
  }
}

/** rows×cols matrix of standard normals. */
export function randn(rows: number, cols: number, rng: TestRng): Mat {
  const out = zeros(rows, cols);
  for (let i = 0; i < out.data.length; i++) out.data[i] = rng.normal();
  return out;
}

export function randVec(n: number, rng: TestRng): Float64Array {
  return randn(n, 1, rng).data;
}

/**
 * m×n with orthonormal columns (m ≥ n): modified Gram–Schmidt, twice, on a Gaussian matrix.
 * Deliberately independent of qr.ts so tests built on it can catch QR bugs.
 */
export function randomOrthonormal(m: number, n: number, rng: TestRng): Mat {
  const a = randn(m, n, rng);
  const d = a.data;
  for (let j = 0; j < n; j++) {
    for (let pass = 0; pass < 2; pass++) {
      for (let c = 0; c < j; c++) {
        let s = 0;
        for (let i = 0; i < m; i++) s += d[i * n + c] * d[i * n + j];
        for (let i = 0; i < m; i++) d[i * n + j] -= s * d[i * n + c];
      }
    }
    let s = 0;
    for (let i = 0; i < m; i++) s += d[i * n + j] ** 2;
    const nrm = Math.sqrt(s);
    for (let i = 0; i < m; i++) d[i * n + j] /= nrm;
  }
  return a;
}

/** Naive triple loop for C = α op(A) op(B) + β C0 (fresh output), the reference for gemm. */
export function naiveGemm(
  transA: boolean,
  transB: boolean,
  alpha: number,
  A: Mat,
  B: Mat,
  beta: number,
  C0: Mat,
): Mat {
  const m = transA ? A.cols : A.rows;
  const k = transA ? A.rows : A.cols;
  const n = transB ? B.rows : B.cols;
  const out = zeros(m, n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let p = 0; p < k; p++) {
        const a = transA ? A.data[p * A.cols + i] : A.data[i * A.cols + p];
        const b = transB ? B.data[j * B.cols + p] : B.data[p * B.cols + j];
        s += a * b;
      }
      out.data[i * n + j] = alpha * s + (beta === 0 ? 0 : beta * C0.data[i * n + j]);
    }
  }
  return out;
}

/** Naive A·B. */
export function mul(A: Mat, B: Mat): Mat {
  return naiveGemm(false, false, 1, A, B, 0, zeros(A.rows, B.cols));
}

/** Naive Aᵀ. */
export function tr(A: Mat): Mat {
  const out = zeros(A.cols, A.rows);
  for (let i = 0; i < A.rows; i++)
    for (let j = 0; j < A.cols; j++) out.data[j * A.rows + i] = A.data[i * A.cols + j];
  return out;
}

/** A · diag(s) (scales column j by s[j]). */
export function scaleColumns(A: Mat, s: ArrayLike<number>): Mat {
  const out = zeros(A.rows, A.cols);
  for (let i = 0; i < A.rows; i++)
    for (let j = 0; j < A.cols; j++) out.data[i * A.cols + j] = A.data[i * A.cols + j] * s[j];
  return out;
}

/** Q diag(values) Qᵀ for Q n×n orthogonal: a symmetric matrix with a known spectrum. */
export function withSpectrum(Q: Mat, values: ArrayLike<number>): Mat {
  return mul(scaleColumns(Q, values), tr(Q));
}

/** The n×n Hilbert matrix H[i, j] = 1/(i + j + 1) (condition ≈ e^{3.5n}). */
export function hilbert(rows: number, cols = rows): Mat {
  const out = zeros(rows, cols);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) out.data[i * cols + j] = 1 / (i + j + 1);
  return out;
}

/** max |a − b| over entries; shapes must agree. */
export function maxAbsDiff(a: Mat | Float64Array, b: Mat | Float64Array): number {
  const x = a instanceof Float64Array ? a : a.data;
  const y = b instanceof Float64Array ? b : b.data;
  if (x.length !== y.length) throw new Error(`maxAbsDiff: lengths differ (${x.length} vs ${y.length})`);
  let d = 0;
  for (let i = 0; i < x.length; i++) d = Math.max(d, Math.abs(x[i] - y[i]));
  return Number.isNaN(d) ? Number.POSITIVE_INFINITY : d;
}

export function maxAbs(a: Mat | Float64Array): number {
  const x = a instanceof Float64Array ? a : a.data;
  let d = 0;
  for (let i = 0; i < x.length; i++) d = Math.max(d, Math.abs(x[i]));
  return d;
}

/** max |QᵀQ − I|: loss of orthonormality of Q's columns. */
export function orthonormalityError(Q: Mat): number {
  const G = mul(tr(Q), Q);
  let d = 0;
  for (let i = 0; i < G.rows; i++) {
    for (let j = 0; j < G.cols; j++) d = Math.max(d, Math.abs(G.data[i * G.cols + j] - (i === j ? 1 : 0)));
  }
  return Number.isNaN(d) ? Number.POSITIVE_INFINITY : d;
}

export const EPS = 2 ** -52;
