import { ParamError } from "../../errors.js";
import { exp, log } from "../../linalg/libm.js";
import { type Mat, zeros } from "../../linalg/mat.js";
import { dotAt } from "../../linalg/vector.js";
import type { MixtureTaskBatch } from "../../models/mixedLinearRegression.js";
import type { ProjectedTaskBatch } from "../../models/mixtureProjected.js";
import { likelihoodScores, projectedTaskResiduals, taskResiduals } from "./classification.js";
import type { MixtureEstimate } from "./initialEstimates.js";

/**
 * Stage 4 of Kong et al. (ICML 2020; SPEC §2): prediction on a new task from τ examples.
 * Posterior over the estimated components
 * `π_g ∝ p̂_g exp(−‖y − Xŵ_g‖²/(2ŝ²_g)) ŝ_g^{−τ}` (n×c, rows sum to 1; a component with p̂_g = 0
 * gets π_g = 0). The posterior-mean predictor is `Σ_g π_g ŵ_g`, the MAP predictor `ŵ_{argmax π}`.
 */
export function posteriorProbabilities(
  batch: MixtureTaskBatch,
  estimate: MixtureEstimate,
  from = 0,
  to = batch.t,
): Float64Array {
  checkTau(to - from);
  return posteriorFromResiduals(taskResiduals(batch, estimate.W, from, to), estimate, to - from);
}

/** `posteriorProbabilities` for tasks revealed along (at least) the estimates' directions. */
export function projectedPosteriorProbabilities(
  pb: ProjectedTaskBatch,
  estimate: MixtureEstimate,
  from = 0,
  to = pb.t,
): Float64Array {
  checkTau(to - from);
  return posteriorFromResiduals(projectedTaskResiduals(pb, estimate.W, from, to), estimate, to - from);
}

function checkTau(tau: number): void {
  if (!(Number.isInteger(tau) && tau >= 1)) {
    throw new ParamError(
      "posteriorProbabilities",
      "tau",
      "must be an integer ≥ 1 (examples of the new task)",
      tau,
    );
  }
}

/** The posterior (n×c) from residual sums of squares R (n×c) of τ examples per task. */
export function posteriorFromResiduals(
  R: Float64Array,
  estimate: MixtureEstimate,
  tau: number,
): Float64Array {
  const c = estimate.W.rows;
  const n = R.length / c;
  const S = likelihoodScores(R, estimate.s2, tau);
  const logp = Array.from(estimate.p, (v) => (v > 0 ? log(v) : Number.NEGATIVE_INFINITY));
  for (let i = 0; i < n; i++) {
    let mx = Number.NEGATIVE_INFINITY;
    for (let g = 0; g < c; g++) {
      S[i * c + g] += logp[g];
      mx = Math.max(mx, S[i * c + g]);
    }
    let z = 0;
    for (let g = 0; g < c; g++) {
      const e = exp(S[i * c + g] - mx);
      S[i * c + g] = e;
      z += e;
    }
    for (let g = 0; g < c; g++) S[i * c + g] /= z;
  }
  return S;
}

export type Predictor = "pm" | "map";

/** Per-task weights (n×d) from a posterior (n×c): posterior mean ("pm") or MAP ("map"). */
export function predictorWeights(
  posterior: Float64Array,
  estimate: MixtureEstimate,
  predictor: Predictor,
): Mat {
  const { W } = estimate;
  const c = W.rows;
  const d = W.cols;
  const n = posterior.length / c;
  const out = zeros(n, d);
  for (let i = 0; i < n; i++) {
    if (predictor === "map") {
      let best = 0;
      for (let g = 1; g < c; g++) if (posterior[i * c + g] > posterior[i * c + best]) best = g;
      out.data.set(W.data.subarray(best * d, (best + 1) * d), i * d);
    } else {
      for (let g = 0; g < c; g++) {
        const pi = posterior[i * c + g];
        if (pi === 0) continue;
        for (let q = 0; q < d; q++) out.data[i * d + q] += pi * W.data[g * d + q];
      }
    }
  }
  return out;
}

/** MAP component of each task (row-wise argmax of the posterior). */
export function mapComponents(posterior: Float64Array, c: number): Int32Array {
  const n = posterior.length / c;
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let g = 1; g < c; g++) if (posterior[i * c + g] > posterior[i * c + best]) best = g;
    out[i] = best;
  }
  return out;
}

/**
 * Test mean squared error `mean_{i, j∈[from,to)} (y_ij − w_iᵀx_ij)²` of per-task weights (n×d) on
 * examples [from, to) of each task — the fresh test examples of the new tasks.
 */
export function taskMse(batch: MixtureTaskBatch, weights: Mat, from = 0, to = batch.t): number {
  return taskMses(batch, [weights], from, to)[0];
}

/**
 * `taskMse` of several predictors' weights in one pass over the examples: each row is read once
 * for all of them (stage 4's X is tens of MB, so separate passes were bound by memory traffic),
 * and each predictor's sum runs in the order of its own `taskMse`, so the same bits.
 */
export function taskMses(batch: MixtureTaskBatch, weights: Mat[], from = 0, to = batch.t): number[] {
  const { n, t, d, X, y } = batch;
  for (const w of weights) {
    if (w.rows !== n || w.cols !== d) {
      throw new ParamError("taskMse", "weights", `must be ${n}×${d}`, `${w.rows}×${w.cols}`);
    }
  }
  const m = weights.length;
  const data = weights.map((w) => w.data);
  const s = new Float64Array(m);
  for (let i = 0; i < n; i++)
    for (let j = from; j < to; j++) {
      const r = i * t + j;
      const yr = y[r];
      for (let q = 0; q < m; q++) {
        const e = yr - dotAt(X, r * d, data[q], i * d, d);
        s[q] += e * e;
      }
    }
  return Array.from(s, (v) => v / (n * (to - from)));
}

/** `taskMse` for tasks revealed along V, with weights (n×d) whose rows lie in col(V): wᵀx = (Vᵀw)·p. */
export function projectedTaskMse(pb: ProjectedTaskBatch, weights: Mat, from = 0, to = pb.t): number {
  const { n, t, d, q, V, P, y } = pb;
  if (weights.rows !== n || weights.cols !== d) {
    throw new ParamError("taskMse", "weights", `must be ${n}×${d}`, `${weights.rows}×${weights.cols}`);
  }
  const wv = new Float64Array(q);
  let s = 0;
  for (let i = 0; i < n; i++) {
    for (let a = 0; a < q; a++) {
      let acc = 0;
      for (let c = 0; c < d; c++) acc += weights.data[i * d + c] * V.data[c * q + a];
      wv[a] = acc;
    }
    for (let j = from; j < to; j++) {
      const r = i * t + j;
      const e = y[r] - dotAt(P, r * q, wv, 0, q);
      s += e * e;
    }
  }
  return s / (n * (to - from));
}
