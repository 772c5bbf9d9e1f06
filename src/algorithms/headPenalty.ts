import { ParamError } from "../errors.js";
import type { Mat } from "../linalg/mat.js";
import { singularValues, svdExtremes, svdThin } from "../linalg/svd.js";

/**
 * The regularisers of Bouniot, Redko, Audiffren & Habrard (ECCV 2022, "Improving few-shot learning
 * through multi-task representation learning theory"; code CEA-LIST/MetaMTReg, `mini_maml.py`),
 * read from Du et al.'s assumptions by Bouniot & Redko (ICLR 2022 blog track), SPEC §1.3:
 *
 *   R(W) = λ1 · κ(W̃)² + λ2 · ‖W̃W̃ᵀ‖_F,   W̃ = W/√n,   κ(W) = σ_max(W)/σ_min(W),
 *
 * for a head matrix W (n × k, row i = the predictor of task i): the stacked adapted heads of an
 * outer batch, or the learned heads of an ERM. The rows are normalised by √n (SPEC §1.3) so that
 * W̃ᵀW̃ is the heads' empirical second moment and a weight means the same at every batch size:
 * κ(W̃) = κ(W), and ‖W̃W̃ᵀ‖_F = ‖WWᵀ‖_F/n stays O(1) as n grows (unnormalised it grows like n and,
 * at 400 tasks, swamps the loss). λ1 (`lambdaCond`) pushes towards Assumption 2.3 (diverse tasks:
 * a bounded condition number), λ2 (`lambdaNorm`) towards Assumption 2.2 (normalised predictors).
 * `mini_maml.py` computes both through the singular values s of WWᵀ: κ² = s_max/s_min and
 * ‖WWᵀ‖_F = ‖s‖₂; here σ_min is σ_r(W) with r = min(n, k) (the smallest singular value of WWᵀ is 0
 * when n > k, so the public code's literal s[-1] would be 0 for stacked regression heads; with
 * r = min(n, k) it is the same as theirs when n ≤ k).
 *
 * Gradients (SPEC §1.3 [derived], checked by central differences in headPenalty.test.ts): with
 * σ_1 > σ_2 and σ_{r−1} > σ_r simple, ∂σ_j/∂W = u_j v_jᵀ, so (κ is scale-free, the chain through
 * W̃ = W/√n leaves its gradient unchanged)
 *   ∂κ²/∂W = 2κ (u_1v_1ᵀ − κ u_r v_rᵀ)/σ_r,   ∂‖W̃W̃ᵀ‖_F/∂W = 2 WWᵀW/(n‖WWᵀ‖_F) = 2 W G/(n‖G‖_F),
 * with G = WᵀW (k × k; ‖WWᵀ‖_F = ‖WᵀW‖_F, so no n × n matrix is formed). Cost O(n·k²).
 */
export interface HeadPenalty {
  /** λ1 ≥ 0, the weight of κ(W)². */
  lambdaCond: number;
  /** λ2 ≥ 0, the weight of ‖WWᵀ‖_F. */
  lambdaNorm: number;
}

/** No penalty: λ1 = λ2 = 0. */
export const NO_PENALTY: HeadPenalty = Object.freeze({ lambdaCond: 0, lambdaNorm: 0 });

/**
 * The logged diagnostics of `mini_maml.py` for a head matrix W (n × k). They are reported on the
 * singular values of W itself (MetaMTReg logs those of WWᵀ, i.e. σ²).
 */
export interface HeadSpectrum {
  /** σ_max(W). */
  sigmaMax: number;
  /** σ_r(W), r = min(n, k). */
  sigmaMin: number;
  /** κ(W) = σ_max/σ_min (+∞ when σ_min = 0). */
  condition: number;
  /** ‖WWᵀ‖_F = (Σ σ_j⁴)^{1/2}, of W itself (the penalty's term is this over n). */
  gramNorm: number;
  /** Mean row norm, (1/n) Σ_i ‖w_i‖. */
  meanNorm: number;
}

/**
 * Validate a penalty given by a user or a config: both weights finite and ≥ 0. The message names
 * the parameter as the configs do (`lambda_cond`, `lambda_norm`).
 */
export function checkHeadPenalty(context: string, p: Partial<HeadPenalty> | undefined): HeadPenalty {
  const lambdaCond = p?.lambdaCond ?? 0;
  const lambdaNorm = p?.lambdaNorm ?? 0;
  for (const [name, v] of [
    ["lambda_cond", lambdaCond],
    ["lambda_norm", lambdaNorm],
  ] as const) {
    if (typeof v !== "number" || !Number.isFinite(v) || v < 0) {
      throw new ParamError(context, name, "must be a finite number ≥ 0", v);
    }
  }
  return { lambdaCond, lambdaNorm };
}

/** Whether a penalty changes anything (a weight > 0). */
export function penaltyActive(p: Partial<HeadPenalty> | undefined): boolean {
  return (p?.lambdaCond ?? 0) > 0 || (p?.lambdaNorm ?? 0) > 0;
}

function allFinite(a: Float64Array): boolean {
  // x·0 is 0 for finite x and NaN for ±∞ and NaN: one sum, no branch per entry.
  let z = 0;
  for (let i = 0; i < a.length; i++) z += a[i] * 0;
  return z === 0;
}

/** Mean row norm of W. */
function meanRowNorm(W: Mat): number {
  const { rows: n, cols: k, data } = W;
  let sum = 0;
  for (let i = 0; i < n; i++) {
    let ss = 0;
    for (let c = 0; c < k; c++) ss += data[i * k + c] * data[i * k + c];
    sum += Math.sqrt(ss);
  }
  return n === 0 ? Number.NaN : sum / n;
}

/** G = WᵀW (k × k) into g; returns ‖G‖_F = ‖WWᵀ‖_F. */
function gram(W: Mat, g: Float64Array): number {
  const { rows: n, cols: k, data } = W;
  g.fill(0);
  for (let i = 0; i < n; i++) {
    const o = i * k;
    for (let a = 0; a < k; a++) {
      const wa = data[o + a];
      for (let b = a; b < k; b++) g[a * k + b] += wa * data[o + b];
    }
  }
  let ss = 0;
  for (let a = 0; a < k; a++)
    for (let b = a; b < k; b++) {
      g[b * k + a] = g[a * k + b];
      ss += (a === b ? 1 : 2) * g[a * k + b] * g[a * k + b];
    }
  return Math.sqrt(ss);
}

/**
 * R(W) = λ1 κ(W̃)² + λ2 ‖W̃W̃ᵀ‖_F with W̃ = W/√n and, when `grad` is given (length n·k),
 * `grad ← ∂R/∂W` (overwritten; the chain through W̃ included). Also returns the diagnostics of W. When σ_min = 0 the condition term is +∞ and its gradient non-finite, and a W
 * with a non-finite entry gives NaN (a training loop then reports a divergence; no throw). Example:
 * `headPenalty(W, { lambdaCond: 1, lambdaNorm: 1 }, grad).value`.
 */
export function headPenalty(
  W: Mat,
  penalty: HeadPenalty,
  grad: Float64Array | null = null,
): { value: number; spectrum: HeadSpectrum } {
  const { rows: n, cols: k } = W;
  const { lambdaCond: l1, lambdaNorm: l2 } = penalty;
  if (!allFinite(W.data)) {
    // A blown-up batch: NaN everywhere, so a training loop's step reports the divergence.
    grad?.fill(Number.NaN);
    return { value: Number.NaN, spectrum: spectrumOf(W, null) };
  }
  const svd = grad && l1 > 0 ? extremeTriplets(W) : null;
  const spectrum = spectrumOf(W, svd ? svd.s : null);
  let value = 0;
  if (grad) grad.fill(0);
  if (l1 > 0) {
    const kappa = spectrum.condition;
    value += l1 * kappa * kappa;
    if (grad && svd) {
      const { u1, ur, s, V } = svd;
      const r = s.length;
      const sr = s[r - 1];
      // 2κ/σ_r · u_1v_1ᵀ − 2κ²/σ_r · u_r v_rᵀ, times λ1.
      const a = (l1 * 2 * kappa) / sr;
      const b = (l1 * 2 * kappa * kappa) / sr;
      const v1 = new Float64Array(k);
      const vr = new Float64Array(k);
      for (let c = 0; c < k; c++) {
        v1[c] = V.data[c * r];
        vr[c] = V.data[c * r + r - 1];
      }
      for (let i = 0; i < n; i++) {
        const au = a * u1[i];
        const bu = b * ur[i];
        for (let c = 0; c < k; c++) grad[i * k + c] += au * v1[c] - bu * vr[c];
      }
    }
  }
  if (l2 > 0) {
    const g = new Float64Array(k * k);
    const norm = gram(W, g);
    // ‖W̃W̃ᵀ‖_F = ‖WWᵀ‖_F / n.
    value += n === 0 ? 0 : (l2 * norm) / n;
    if (grad && norm > 0) {
      const f = (2 * l2) / (n * norm);
      const { data } = W;
      for (let i = 0; i < n; i++) {
        const o = i * k;
        for (let c = 0; c < k; c++) {
          let acc = 0;
          for (let a = 0; a < k; a++) acc += data[o + a] * g[a * k + c];
          grad[o + c] += f * acc;
        }
      }
    }
  }
  return { value, spectrum };
}

/**
 * σ (descending, r = min(n, k)), V and u_1, u_r of W (n × k): `svdThin(W)`'s, bit for bit; for
 * n ≥ k without forming U's other columns (`svdExtremes`, buffers kept per shape).
 */
function extremeTriplets(W: Mat): { s: Float64Array; V: Mat; u1: Float64Array; ur: Float64Array } {
  if (W.rows >= W.cols && W.cols >= 1) {
    const { s, V, u1, un } = svdExtremes(W);
    return { s, V, u1, ur: un };
  }
  const { U, s, V } = svdThin(W);
  const r = s.length;
  const u1 = new Float64Array(W.rows);
  const ur = new Float64Array(W.rows);
  for (let i = 0; i < W.rows; i++) {
    u1[i] = U.data[i * r];
    ur[i] = U.data[i * r + r - 1];
  }
  return { s, V, u1, ur };
}

/** The diagnostics of W (n × k) alone: σ_max, σ_min = σ_{min(n,k)}, κ, ‖WWᵀ‖_F, mean row norm. */
export function headSpectrum(W: Mat): HeadSpectrum {
  return spectrumOf(W, null);
}

function spectrumOf(W: Mat, sv: Float64Array | null): HeadSpectrum {
  if (!allFinite(W.data)) {
    const nan = Number.NaN;
    return { sigmaMax: nan, sigmaMin: nan, condition: nan, gramNorm: nan, meanNorm: nan };
  }
  const s = sv ?? (W.rows === 0 || W.cols === 0 ? new Float64Array(0) : singularValues(W));
  const sigmaMax = s.length ? s[0] : 0;
  const sigmaMin = s.length ? s[s.length - 1] : 0;
  let q = 0;
  for (const v of s) q += v * v * v * v;
  return {
    sigmaMax,
    sigmaMin,
    condition: sigmaMin === 0 ? Number.POSITIVE_INFINITY : sigmaMax / sigmaMin,
    gramNorm: Math.sqrt(q),
    meanNorm: meanRowNorm(W),
  };
}
