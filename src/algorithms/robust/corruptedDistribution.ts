import { ParamError } from "../../errors.js";
import { type Mat, zeros } from "../../linalg/mat.js";
import type { Key } from "../../rng/key.js";
import { stream } from "../../rng/stream.js";

/**
 * The corrupted test distribution of the robust subspace experiment (Kong, Somani, Kakade, Oh,
 * NeurIPS 2020; SPEC §2) [paper code]. Clean points have covariance Σ = diag(1 + excess, 1, …, 1)
 * with a hidden coupled coordinate: x₀ = √(1+excess)·g, x₁ = ±g (random sign), the rest N(0, 1).
 * So x₁ is uncorrelated with x₀ and has unit variance, but |x₁| is tied to |x₀|. With probability
 * α a point is corrupted: x₀ ← 0 and x₁ ← sign(x₁)·2/α^{1/4}, which puts 4√α of extra variance on
 * e₁ — more than the excess on e₀ once α ≳ excess²/16 — so naive PCA picks e₁ (captured variance
 * ≈ 1.0) while PCA of the clean points captures ≈ 1 + excess (≈ 1.09 at n = 10⁴, d = 10).
 * Corrupted points look ordinary in every single coordinate's scale except along e₁.
 */
export interface CorruptedPcaData {
  n: number;
  d: number;
  /** n×d clean points. */
  clean: Mat;
  /** n×d observed points (corrupted where `corrupted[i] = 1`). */
  data: Mat;
  corrupted: Uint8Array;
  /** Diagonal of the clean covariance Σ. */
  sigma: Float64Array;
}

/**
 * n points in R^d (d ≥ 2) from the distribution above. Draw order: n·d normals, n uniforms (signs
 * of x₁), n uniforms (corruption).
 */
export function sampleCorruptedPcaData(
  n: number,
  d: number,
  alpha: number,
  key: Key,
  excess = 0.1,
): CorruptedPcaData {
  const ctx = "corruptedPcaData";
  if (!Number.isInteger(n) || n < 2) throw new ParamError(ctx, "n", "must be an integer ≥ 2", n);
  if (!Number.isInteger(d) || d < 2) throw new ParamError(ctx, "d", "must be an integer ≥ 2", d);
  if (!(alpha >= 0 && alpha < 1)) throw new ParamError(ctx, "alpha", "must be in [0, 1)", alpha);
  if (!(excess > 0) || !Number.isFinite(excess)) throw new ParamError(ctx, "excess", "must be > 0", excess);
  const st = stream(key);
  const clean = zeros(n, d);
  const c = clean.data;
  st.fillNormal(c);
  const signs = new Float64Array(n);
  st.fillUniform(signs);
  const u = new Float64Array(n);
  st.fillUniform(u);
  const root = Math.sqrt(1 + excess);
  for (let i = 0; i < n; i++) {
    const g = c[i * d];
    c[i * d] = root * g;
    c[i * d + 1] = (signs[i] < 0.5 ? -1 : 1) * g;
  }
  const data = zeros(n, d);
  data.data.set(c);
  const corrupted = new Uint8Array(n);
  const spike = alpha > 0 ? 2 / Math.sqrt(Math.sqrt(alpha)) : 0;
  for (let i = 0; i < n; i++) {
    if (u[i] < alpha) {
      corrupted[i] = 1;
      data.data[i * d] = 0;
      data.data[i * d + 1] = Math.sign(data.data[i * d + 1]) * spike;
    }
  }
  const sigma = new Float64Array(d).fill(1);
  sigma[0] = 1 + excess;
  return { n, d, clean, data, corrupted, sigma };
}

/** Captured variance Tr(UᵀΣU) for U d×k and a diagonal Σ (the robust-PCA metric). */
export function capturedVariance(U: Mat, sigma: Float64Array): number {
  const { rows: d, cols: k } = U;
  if (sigma.length !== d)
    throw new ParamError("capturedVariance", "sigma", `must have d = ${d} entries`, sigma.length);
  let s = 0;
  for (let i = 0; i < d; i++) for (let c = 0; c < k; c++) s += sigma[i] * U.data[i * k + c] ** 2;
  return s;
}

/** Number of corrupted points in a kept set (the "remaining corrupted points" metric). */
export function countKeptCorrupted(kept: Uint8Array, corrupted: Uint8Array): number {
  let s = 0;
  for (let i = 0; i < kept.length; i++) if (kept[i] && corrupted[i]) s++;
  return s;
}

/** Number of clean points removed from a kept set. */
export function countRemovedClean(kept: Uint8Array, corrupted: Uint8Array): number {
  let s = 0;
  for (let i = 0; i < kept.length; i++) if (!kept[i] && !corrupted[i]) s++;
  return s;
}
