import { ParamError } from "../../errors.js";
import { type TopKEighResult, topKEigh } from "../../linalg/eigh.js";
import { gemm } from "../../linalg/gemm.js";
import { type Mat, zeros } from "../../linalg/mat.js";
import type { MixtureTaskBatch } from "../../models/mixedLinearRegression.js";

/**
 * Stage 1 of Kong et al. (ICML 2020; SPEC §2): the span of the components from light tasks.
 *
 * Each task's examples are split into two halves (the first ⌊t/2⌋ and the remaining ⌈t/2⌉);
 * on each half `β̂ = (1/t_h) Σ y x`, an unbiased estimate of the task's w (E xxᵀ = I). The two
 * halves are independent given the task, so
 * `M̂ = (1/2n) Σ_i (β̂ᵢ⁽¹⁾β̂ᵢ⁽²⁾ᵀ + β̂ᵢ⁽²⁾β̂ᵢ⁽¹⁾ᵀ)` is unbiased for `Σ_ℓ p_ℓ w_ℓ w_ℓᵀ` (no noise
 * term), and `Û` = its top-k eigenvectors.
 *
 * Eigenvalue order [reconstructed; the choice of the reference `mlr_ref.py`]: by |λ| ("magnitude",
 * the default). The population M is PSD, but M̂ is not: with few examples per task its noise
 * eigenvalues come in ± pairs of similar size, so ordering by |λ| is the symmetric choice, and it
 * is what the official code and the reference do. "algebraic" (largest λ first) is available and
 * ignores large negative noise eigenvalues; the two agree whenever the signal eigenvalues dominate.
 */
export interface MomentSubspaceOptions {
  /** Eigenvalue order: "magnitude" (|λ|, default) or "algebraic". */
  order?: "magnitude" | "algebraic";
  /** Examples of each task used: [from, to) (default all t). */
  from?: number;
  to?: number;
  /**
   * "matrix" forms M̂ (d×d, one n×d×d product) then iterates on it; "operator" never forms it and
   * applies M̂X = (B₁ᵀ(B₂X) + B₂ᵀ(B₁X))/2n (4·n·d·b flops per iteration, b = k + oversample).
   * "auto" (default) forms M̂ when d ≤ 96·b: forming costs n·d², iterating products costs about
   * 4·n·d·b per iteration over ~24 iterations, so forming is cheaper below that size.
   */
  mode?: "auto" | "matrix" | "operator";
  /** Relative Ritz residual at which subspace iteration stops (default 1e-9). */
  tol?: number;
}

export interface MomentSubspaceResult {
  /** d×k, orthonormal columns: the estimated span of the components. */
  U: Mat;
  /** The k eigenvalues of M̂ that were kept, in the chosen order. */
  values: Float64Array;
  /** Whether the eigen-solver met its tolerance. */
  converged: boolean;
}

/**
 * The half-sample moment estimates of every task: B₁ and B₂ (n×d), row i = β̂ᵢ⁽¹⁾, β̂ᵢ⁽²⁾ computed
 * on examples [from, mid) and [mid, to), mid = from + ⌊(to − from)/2⌋.
 */
export function halfMoments(batch: MixtureTaskBatch, from = 0, to = batch.t): { B1: Mat; B2: Mat } {
  const len = to - from;
  if (!Number.isInteger(from) || !Number.isInteger(to) || from < 0 || to > batch.t) {
    throw new ParamError("halfMoments", "range", `must be integers with 0 ≤ from < to ≤ t = ${batch.t}`, [
      from,
      to,
    ]);
  }
  if (len < 2) {
    throw new ParamError("halfMoments", "t", "must be ≥ 2 examples per light task (two halves)", len);
  }
  const mid = from + Math.floor(len / 2);
  return { B1: partMoments(batch, from, mid), B2: partMoments(batch, mid, to) };
}

/** n×d: row i = (1/(to − from)) Σ_{j∈[from,to)} y_ij x_ij, the moment estimate of task i on those examples. */
export function partMoments(batch: MixtureTaskBatch, from: number, to: number): Mat {
  const { n, t, d, X, y } = batch;
  const out = zeros(n, d);
  const o = out.data;
  const inv = 1 / (to - from);
  for (let i = 0; i < n; i++) {
    const oi = i * d;
    let j = from;
    // Four examples at a time: one load/store of the output row per four multiply-adds.
    for (; j + 3 < to; j += 4) {
      const r = i * t + j;
      const c0 = y[r] * inv;
      const c1 = y[r + 1] * inv;
      const c2 = y[r + 2] * inv;
      const c3 = y[r + 3] * inv;
      const x0 = r * d;
      const x1 = x0 + d;
      const x2 = x1 + d;
      const x3 = x2 + d;
      for (let q = 0; q < d; q++)
        o[oi + q] += c0 * X[x0 + q] + c1 * X[x1 + q] + c2 * X[x2 + q] + c3 * X[x3 + q];
    }
    for (; j < to; j++) {
      const r = i * t + j;
      const c = y[r] * inv;
      const xo = r * d;
      for (let q = 0; q < d; q++) o[oi + q] += c * X[xo + q];
    }
  }
  return out;
}

/**
 * Top-k eigenspace of M̂ from the two-half moments of light tasks (see the module comment).
 * Throws `ParamError` when k ≥ d or a task has fewer than 2 examples.
 */
export function momentSubspace(
  batch: MixtureTaskBatch,
  k: number,
  options: MomentSubspaceOptions = {},
): MomentSubspaceResult {
  checkK(k, batch.d);
  const { B1, B2 } = halfMoments(batch, options.from ?? 0, options.to ?? batch.t);
  return momentSubspaceFromHalves(B1, B2, k, options);
}

function checkK(k: number, d: number): void {
  if (!Number.isInteger(k) || k < 1) throw new ParamError("momentSubspace", "k", "must be an integer ≥ 1", k);
  if (k >= d) throw new ParamError("momentSubspace", "k", `must be < d (= ${d})`, k);
}

/**
 * The same from given half-sample moments B₁, B₂ (n×d each; e.g. from `halfMoments`, or drawn
 * directly by `sampleMixtureHalfMoments`): top-k eigenvectors of M̂ = (B₁ᵀB₂ + B₂ᵀB₁)/2n.
 */
export function momentSubspaceFromHalves(
  B1: Mat,
  B2: Mat,
  k: number,
  options: Omit<MomentSubspaceOptions, "from" | "to"> = {},
): MomentSubspaceResult {
  const { rows: n, cols: d } = B1;
  checkK(k, d);
  if (B2.rows !== n || B2.cols !== d) {
    throw new ParamError("momentSubspace", "B2", `must be ${n}×${d} like B1`, `${B2.rows}×${B2.cols}`);
  }
  const order = options.order ?? "magnitude";
  const b = Math.min(d, k + Math.max(5, Math.ceil(k / 2)));
  const mode = options.mode ?? "auto";
  const useMatrix = mode === "matrix" || (mode === "auto" && d <= 96 * b);
  const tol = options.tol ?? 1e-9;
  const scale = 1 / (2 * n);
  let res: TopKEighResult;
  if (useMatrix) {
    const C = gemm(true, false, scale, B1, B2, 0, zeros(d, d));
    const M = zeros(d, d);
    for (let i = 0; i < d; i++)
      for (let j = 0; j < d; j++) M.data[i * d + j] = C.data[i * d + j] + C.data[j * d + i];
    res = topKEigh(M, d, k, { by: order, tol, maxIter: 2000 });
  } else {
    let T1 = zeros(n, 0);
    let T2 = zeros(n, 0);
    res = topKEigh(
      (X, out) => {
        if (T1.cols !== X.cols) {
          T1 = zeros(n, X.cols);
          T2 = zeros(n, X.cols);
        }
        gemm(false, false, 1, B1, X, 0, T1);
        gemm(false, false, 1, B2, X, 0, T2);
        gemm(true, false, scale, B1, T2, 0, out);
        gemm(true, false, scale, B2, T1, 1, out);
      },
      d,
      k,
      { by: order, tol, maxIter: 2000 },
    );
  }
  return { U: res.vectors, values: res.values, converged: res.converged };
}

/**
 * Subspace error of Kong et al.: `max_ℓ ‖(I − ÛÛᵀ) v_ℓ‖ / ρ` over the rows v_ℓ of V (k×d), Û d×k'
 * with orthonormal columns. 0 when every component lies in col(Û); at most max‖v‖/ρ ≤ 1.
 */
export function subspaceResidualError(U: Mat, V: Mat, rho: number): number {
  const { rows: d, cols: kk } = U;
  if (V.cols !== d) {
    throw new ParamError("subspaceResidualError", "V", `must have d = ${d} columns`, `${V.rows}×${V.cols}`);
  }
  let worst = 0;
  const proj = new Float64Array(kk);
  for (let l = 0; l < V.rows; l++) {
    const vo = l * d;
    proj.fill(0);
    for (let i = 0; i < d; i++) {
      const v = V.data[vo + i];
      for (let c = 0; c < kk; c++) proj[c] += U.data[i * kk + c] * v;
    }
    let r2 = 0;
    for (let i = 0; i < d; i++) {
      let u = 0;
      for (let c = 0; c < kk; c++) u += U.data[i * kk + c] * proj[c];
      r2 += (V.data[vo + i] - u) ** 2;
    }
    worst = Math.max(worst, Math.sqrt(r2));
  }
  return worst / rho;
}
