import { ParamError } from "../../errors.js";
import type { Mat } from "../../linalg/mat.js";
import type { MultiTaskData } from "../../models/multiTaskData.js";
import { type HeadPenalty, headPenalty } from "../headPenalty.js";
import { headScratch, projectRows, smallSpdSolve, transposeBasis } from "./heads.js";

/**
 * Bouniot et al.'s head penalty R(Ŵ) = λ1 κ(W̃)² + λ2 ‖W̃W̃ᵀ‖_F with W̃ = Ŵ/√T (ECCV 2022;
 * `headPenalty.ts`, normalised by the number of tasks as SPEC §1.3 states) on the learned heads Ŵ
 * (T × k) of the ERM estimators of Du et al.'s source stage.
 */

/**
 * Burer–Monteiro with the penalty on its head factor V (T × k, packed after vec(B) in x):
 * `f(B, V) + R(V)`, with ∇_V += ∂R/∂V. Returns the wrapped objective for L-BFGS.
 * Note: at a balanced factorisation of Θ = BVᵀ, κ(V) = κ(Θ)^{1/2}, and V can be re-conditioned
 * by B → BR, V → VR⁻ᵀ at the cost of the balance term only; so λ1 first re-balances the factors
 * and then moves col(B). (At d=20, k=3, T=100, n1=25, κ(W*)=16, λ1 = 10⁻³…10⁻¹ lowered κ(V) from
 * 3.2 to 2.4…1.3 and raised dist(B̂, B*) from ≈0.5 to 0.56…0.99 on 3 seeds: measure, don't assume.)
 * Non-smooth minimiser (measured, issue 22; bouniot-regularisation paper, T = 400, k = 3): from
 * λ1 ≈ 1e-2 the κ term lifts σ_k(V) until it meets σ_{k−1}(V), where κ(V) has a kink (two equal
 * singular values; ∂κ/∂V uses u_k, v_k only). The gradient never falls below ~1e-2 relative there,
 * so L-BFGS crawls along the kink at ~1.7 evaluations per iteration: 120–330 iterations (ftol) at
 * κ(W*) = 1, the 500 cap at κ(W*) = 16. The iterate at the cap is not the minimiser (seed 0,
 * λ = (0.01, 0): dist(B̂, B*) 0.605 at 500 iterations, 0.954 at ftol after 1622) and depends on
 * rounding (a 1e-15 relative change of the start moves that dist by 1e-2). A better-scaled start,
 * a preconditioner or warm starts along λ would not cure it; a method for the non-smooth term would
 * (and would change those arms' numbers).
 */
export function penalisedFactoredObjective(
  f: (x: Float64Array, grad: Float64Array) => number,
  d: number,
  k: number,
  T: number,
  penalty: HeadPenalty,
): (x: Float64Array, grad: Float64Array) => number {
  const nB = d * k;
  const gV = new Float64Array(T * k);
  return (x, grad) => {
    const value = f(x, grad);
    const V: Mat = { rows: T, cols: k, data: x.subarray(nB, nB + T * k) };
    if (!Number.isFinite(value) || !allFinite(V.data)) return Number.NaN;
    const r = headPenalty(V, penalty, gV);
    for (let i = 0; i < T * k; i++) grad[nB + i] += gV[i];
    return value + r.value;
  };
}

function allFinite(a: Float64Array): boolean {
  // x·0 is 0 for finite x and NaN for ±∞ and NaN: one sum, no branch per entry.
  let z = 0;
  for (let i = 0; i < a.length; i++) z += a[i] * 0;
  return z === 0;
}

/**
 * AltMinGD with the penalty: the B step descends F(B) = L(B, Ŵ(B)) + R(Ŵ(B)), where
 * L = (1/2N) Σ_t ‖y_t − X_tBw_t‖² and Ŵ(B) are the least-squares heads (row t:
 * ŵ_t = (A_tᵀA_t)⁻¹A_tᵀy_t, A_t = X_tB). L's gradient through Ŵ vanishes (ŵ_t minimises it), so
 * `averageLossGradient` at Ŵ is already ∇_B L; the penalty's part is, by implicit differentiation
 * with P = ∂R/∂Ŵ, q_t = (A_tᵀA_t)⁻¹P_t and e_t = y_t − A_tŵ_t [derived; FD-checked]:
 *
 *   ∂R(Ŵ(B))/∂B = Σ_t X_tᵀ (e_t q_tᵀ − A_t q_t ŵ_tᵀ).
 *
 * Adds it into `grad` (d × k, holding ∇_B L) and returns R(Ŵ). Cost O(N·d·k + T·k³). Every task
 * needs k linearly independent rows (A_tᵀA_t invertible), else a ParamError.
 */
export function addHeadPenaltyGradient(
  data: MultiTaskData,
  B: Mat,
  W: Mat,
  penalty: HeadPenalty,
  grad: Mat,
  context = "altmin-gd",
): number {
  const { d, tasks: T, start, X, y } = data;
  const k = B.cols;
  const P = new Float64Array(T * k);
  const { value } = headPenalty(W, penalty, P);
  const Bt = transposeBasis(B);
  let maxRows = 0;
  for (let t = 0; t < T; t++) maxRows = Math.max(maxRows, start[t + 1] - start[t]);
  const s = headScratch(maxRows, k);
  const q = new Float64Array(k);
  const coef = new Float64Array(k);
  const g = grad.data;
  for (let t = 0; t < T; t++) {
    const n = start[t + 1] - start[t];
    projectRows(X, start[t], n, d, Bt, k, s.A);
    const { A, G, h } = s;
    G.fill(0);
    for (let i = 0; i < n; i++)
      for (let a = 0; a < k; a++) for (let b = 0; b < k; b++) G[a * k + b] += A[i * k + a] * A[i * k + b];
    for (let a = 0; a < k; a++) h[a] = P[t * k + a];
    if (!smallSpdSolve(G, h, k, q, 0)) {
      throw new ParamError(
        context,
        "lambda_cond/lambda_norm",
        `need every task's rows to span k = ${k} directions after projection (task ${t} does not)`,
        n,
      );
    }
    for (let i = 0; i < n; i++) {
      let e = y[start[t] + i];
      let aq = 0;
      for (let a = 0; a < k; a++) {
        e -= A[i * k + a] * W.data[t * k + a];
        aq += A[i * k + a] * q[a];
      }
      for (let a = 0; a < k; a++) coef[a] = e * q[a] - aq * W.data[t * k + a];
      const o = (start[t] + i) * d;
      for (let j = 0; j < d; j++) {
        const x = X[o + j];
        for (let a = 0; a < k; a++) g[j * k + a] += x * coef[a];
      }
    }
  }
  return value;
}
