import { AbortedError } from "../../errors.js";
import { type Mat, zeros } from "../../linalg/mat.js";
import { orthonormalize } from "../../linalg/qr.js";
import { dotAt } from "../../linalg/vector.js";
import { subspaceDistance } from "../../metrics/subspace.js";
import { type MultiTaskData, totalRows } from "../../models/multiTaskData.js";
import { checkHeadPenalty, penaltyActive } from "../headPenalty.js";
import { addHeadPenaltyGradient } from "./headPenaltyErm.js";
import { taskHeads } from "./heads.js";
import { initialBasis } from "./init.js";
import type { EstimatorContext, EstimatorOptions, RepresentationFit } from "./types.js";

/**
 * ∇_B of the average loss `(1/2N) Σ_t ‖y_t − X_t B w_t‖²`: `(1/N) Σ_t X_tᵀ r_t w_tᵀ` with residuals
 * `r_t = X_t B w_t − y_t`, written into `out` (d × k). Each task costs O(n_t·d): θ_t = B w_t once,
 * then one fused pass per row (dot product, then axpy into g_t). Returns the loss.
 */
export function averageLossGradient(data: MultiTaskData, B: Mat, W: Mat, out: Mat): number {
  const { d, tasks, start, X, y } = data;
  const k = B.cols;
  const N = totalRows(data);
  const theta = new Float64Array(d);
  const g = new Float64Array(d);
  out.data.fill(0);
  let loss = 0;
  for (let t = 0; t < tasks; t++) {
    for (let a = 0; a < d; a++) {
      let acc = 0;
      for (let c = 0; c < k; c++) acc += B.data[a * k + c] * W.data[t * k + c];
      theta[a] = acc;
    }
    g.fill(0);
    for (let i = start[t]; i < start[t + 1]; i++) {
      const o = i * d;
      const r = dotAt(X, o, theta, 0, d) - y[i];
      loss += r * r;
      for (let a = 0; a < d; a++) g[a] += r * X[o + a];
    }
    for (let a = 0; a < d; a++) {
      const ga = g[a] / N;
      for (let c = 0; c < k; c++) out.data[a * k + c] += ga * W.data[t * k + c];
    }
  }
  return loss / (2 * N);
}

/**
 * AltMinGD (Thekumparampil et al. 2021; SPEC §1.3): from `B_0` = MoM, `iters` rounds (default 50)
 * of heads by per-task least squares, one gradient step `B ← B − η ∇_B (1/2N) Σ_t ‖y_t − X_tBw_t‖²`
 * (η = `eta`, default 0.5; N = Σ n_t, i.e. 1/(n1·T) as in the NumPy reference), then `B ← orth(B)`.
 * With `tol > 0` it stops once dist(B_t, B_{t−1}) ≤ tol. Cost per round O(N·d·k).
 *
 * `lambdaCond`, `lambdaNorm` > 0: the step descends L(B, Ŵ(B)) + R(Ŵ(B)) with Bouniot et al.'s
 * R = λ1 κ(Ŵ)² + λ2 ‖ŴŴᵀ‖_F on the least-squares heads (ECCV 2022; `addHeadPenaltyGradient`,
 * exact through Ŵ(B)). The QR after the step keeps col(B) and re-bases it, so the penalty acts
 * through the subspace: on an orthonormal basis κ(Ŵ) and ‖ŴŴᵀ‖_F depend on col(B) only.
 */
export function altMinGdEstimate(
  data: MultiTaskData,
  k: number,
  options: EstimatorOptions,
  ctx: EstimatorContext,
): RepresentationFit {
  const iters = options.iters ?? 50;
  const tol = options.tol ?? 0;
  const eta = options.eta ?? 0.5;
  const penalty = checkHeadPenalty("altmin-gd", options);
  const penalised = penaltyActive(penalty);
  let B = initialBasis(data, k, options, ctx);
  const grad = zeros(data.d, k);
  let t = 0;
  let change: number | null = null;
  let converged: boolean | null = tol > 0 ? false : null;
  let loss = Number.NaN;
  let penaltyValue: number | null = null;
  while (t < iters) {
    if (ctx.signal?.aborted) throw new AbortedError(`altmin-gd: stopped at round ${t + 1}`);
    const W = taskHeads(data, B);
    loss = averageLossGradient(data, B, W, grad);
    if (penalised) penaltyValue = addHeadPenaltyGradient(data, B, W, penalty, grad);
    const stepped = zeros(data.d, k);
    for (let i = 0; i < stepped.data.length; i++) stepped.data[i] = B.data[i] - eta * grad.data[i];
    t++;
    for (let i = 0; i < stepped.data.length; i++) {
      if (!Number.isFinite(stepped.data[i])) {
        return {
          method: "altmin-gd",
          B,
          iterations: t,
          converged: false,
          status: "diverged",
          diverged: { iteration: t, quantity: "B", value: stepped.data[i] },
          info: { loss, ...(penalised ? { penalty: penaltyValue } : {}) },
        };
      }
    }
    const next = orthonormalize(stepped);
    ctx.onIteration?.(next, t);
    if (tol > 0) {
      change = subspaceDistance(next, B);
      B = next;
      if (change <= tol) {
        converged = true;
        break;
      }
    } else B = next;
  }
  return {
    method: "altmin-gd",
    B,
    iterations: t,
    converged,
    status: "ok",
    info: { loss, lastChange: change, ...(penalised ? { penalty: penaltyValue } : {}) },
  };
}
