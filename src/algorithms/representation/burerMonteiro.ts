import { gemm } from "../../linalg/gemm.js";
import { type Mat, matFrom, zeros } from "../../linalg/mat.js";
import { orthonormalize } from "../../linalg/qr.js";
import { svdThin } from "../../linalg/svd.js";
import { dotAt } from "../../linalg/vector.js";
import { f64, i32, kernels, pin, reserve, unpin } from "../../linalg/wasm/kernels.js";
import { conditionNumber } from "../../metrics/conditioning.js";
import { type MultiTaskData, totalRows } from "../../models/multiTaskData.js";
import { checkHeadPenalty, penaltyActive } from "../headPenalty.js";
import { penalisedFactoredObjective } from "./headPenaltyErm.js";
import { taskHeads } from "./heads.js";
import { initialBasis } from "./init.js";
import { lbfgs } from "./lbfgs.js";
import type { EstimatorContext, EstimatorOptions, RepresentationFit } from "./types.js";

/** Byte addresses of a data set's X (N × d) and y (N) copied into the kernel module's memory. */
export interface PinnedRows {
  x: number;
  y: number;
  /** The tasks' first rows, int32 (T + 1). */
  start: number;
}

/** Most doubles of rows (X and y) copied into the kernel memory for BM: 2^23 = 64 MiB. */
const PIN_BUDGET = 2 ** 23;

/**
 * Pin a copy of the data's rows in the kernel memory (X then y), or null when they exceed
 * `PIN_BUDGET` (the module's memory never shrinks). The caller unpins `x`.
 */
export function pinRows(data: MultiTaskData): PinnedRows | null {
  const N = totalRows(data);
  const { d } = data;
  if (N * (d + 1) > PIN_BUDGET) return null;
  const x = pin(8 * N * (d + 1) + 4 * (data.tasks + 1));
  const y = x + 8 * N * d;
  const start = y + 8 * N;
  const mem = f64();
  mem.set(data.X.subarray(0, N * d), x / 8);
  mem.set(data.y.subarray(0, N), y / 8);
  i32().set(data.start.subarray(0, data.tasks + 1), start / 4);
  return { x, y, start };
}

/**
 * The Burer–Monteiro factored objective of Tripuraneni et al. (2021), SPEC §1.3, for B (d × k) and
 * the task heads V (T × k, row t = v_t), packed as x = [vec(B) row-major, vec(V) row-major]:
 *
 *   f(B, V) = (1/2N) Σ_t ‖y_t − X_t B v_t‖² + (λ/8) ‖BᵀB − VᵀV‖²_F,   N = Σ_t n_t (= n1·T),
 *
 * with gradients (D = BᵀB − VᵀV, r_t = X_t B v_t − y_t, g_t = X_tᵀ r_t):
 *   ∇_B = (1/N) Σ_t g_t v_tᵀ + (λ/2) B D,   ∇_{v_t} = (1/N) Bᵀ g_t − (λ/2) D v_t.
 * The balance term (λ = `balance`, default 1 — SPEC's 1/8) removes the GL(k) ambiguity B → BR,
 * V → VR⁻ᵀ and is 0 at every balanced factorisation, so it does not move the fit. Cost per
 * evaluation O(N·d + T·k² + d·k²): one fused pass over each task's rows. With `pinned` (the rows
 * copied into the kernel memory by `pinRows`) that pass and the per-task products run in WebAssembly
 * (`bmLossGrad`, rows by SIMD: the same summation order, the same bits), 3–5× faster; they are most
 * of BM's time.
 */
export function burerMonteiroObjective(
  data: MultiTaskData,
  k: number,
  balance = 1,
  pinned: PinnedRows | null = null,
): (x: Float64Array, grad: Float64Array) => number {
  const { d, tasks: T, start, X, y } = data;
  const N = totalRows(data);
  const nB = d * k;
  const theta = new Float64Array(d);
  const gt = new Float64Array(d);
  const D = new Float64Array(k * k);
  return (x: Float64Array, grad: Float64Array): number => {
    let loss = 0;
    if (pinned) {
      // The whole data part in the kernel (bmLossGrad: the loop below, the same bits).
      const n = nB + T * k;
      const at = reserve(8 * (2 * n + 2 * d));
      const mem = f64();
      mem.set(x.subarray(0, n), at / 8);
      loss = kernels().exports.bmLossGrad(
        pinned.x,
        pinned.y,
        pinned.start,
        T,
        d,
        k,
        at,
        N,
        at + 8 * n,
        at + 16 * n,
      );
      grad.set(mem.subarray(at / 8 + n, at / 8 + 2 * n));
    } else {
      grad.fill(0);
      for (let t = 0; t < T; t++) {
        const vo = nB + t * k;
        for (let a = 0; a < d; a++) {
          let acc = 0;
          for (let c = 0; c < k; c++) acc += x[a * k + c] * x[vo + c];
          theta[a] = acc;
        }
        gt.fill(0);
        for (let i = start[t]; i < start[t + 1]; i++) {
          const o = i * d;
          const r = dotAt(X, o, theta, 0, d) - y[i];
          loss += r * r;
          for (let a = 0; a < d; a++) gt[a] += r * X[o + a];
        }
        for (let a = 0; a < d; a++) {
          const ga = gt[a] / N;
          for (let c = 0; c < k; c++) {
            grad[a * k + c] += ga * x[vo + c];
            grad[vo + c] += ga * x[a * k + c];
          }
        }
      }
    }
    // D = BᵀB − VᵀV (k × k).
    D.fill(0);
    for (let a = 0; a < d; a++)
      for (let i = 0; i < k; i++) {
        const bi = x[a * k + i];
        for (let j = 0; j < k; j++) D[i * k + j] += bi * x[a * k + j];
      }
    for (let t = 0; t < T; t++) {
      const vo = nB + t * k;
      for (let i = 0; i < k; i++) {
        const vi = x[vo + i];
        for (let j = 0; j < k; j++) D[i * k + j] -= vi * x[vo + j];
      }
    }
    let dd = 0;
    for (let i = 0; i < k * k; i++) dd += D[i] * D[i];
    const h = balance / 2;
    for (let a = 0; a < d; a++)
      for (let j = 0; j < k; j++) {
        let acc = 0;
        for (let i = 0; i < k; i++) acc += x[a * k + i] * D[i * k + j];
        grad[a * k + j] += h * acc;
      }
    for (let t = 0; t < T; t++) {
      const vo = nB + t * k;
      for (let j = 0; j < k; j++) {
        let acc = 0;
        for (let i = 0; i < k; i++) acc += D[j * k + i] * x[vo + i];
        grad[vo + j] -= h * acc;
      }
    }
    return loss / (2 * N) + (balance / 8) * dd;
  };
}

/**
 * A balanced starting point for B = B₀ (orthonormal d × k) and heads V₀ (T × k): with the thin SVD
 * V₀ = U S Rᵀ, the product B₀V₀ᵀ is kept and split evenly, B = B₀ R S^{1/2}, V = U S^{1/2}, so
 * BᵀB = VᵀV = S and the balance term starts at 0.
 */
export function balancedStart(B0: Mat, V0: Mat): Float64Array {
  const d = B0.rows;
  const k = B0.cols;
  const T = V0.rows;
  const { U, s, V: R } = svdThin(V0);
  const root = Float64Array.from(s, (v) => Math.sqrt(v));
  const BR = gemm(false, false, 1, B0, R, 0, zeros(d, k));
  const x = new Float64Array(d * k + T * k);
  for (let a = 0; a < d; a++) for (let c = 0; c < k; c++) x[a * k + c] = BR.data[a * k + c] * root[c];
  for (let t = 0; t < T; t++) for (let c = 0; c < k; c++) x[d * k + t * k + c] = U.data[t * k + c] * root[c];
  return x;
}

/**
 * Burer–Monteiro factored ERM (Tripuraneni et al. 2021; SPEC §1.3): minimise
 * `burerMonteiroObjective` over (B, V) by L-BFGS (`iters` iterations, default 500; stop when
 * ‖∇f‖ ≤ tol·‖∇f₀‖, tol default 1e-6), from a balanced start (`balancedStart`) on B₀ and its
 * least-squares heads V₀, and return `B̂` = the top-k left singular vectors of B (an orthonormal
 * basis of col(B)).
 *
 * Start [paper; SPEC §1.3]: as Tripuraneni et al., B₀ is a random orthonormal basis (`init:
 * "random"`, the default; drawn from the key folded with "init"), V₀ the least-squares heads on it.
 * With n1 ≤ k each task's head fits its rows exactly for any B, the loss is flat and BM stays at its
 * start (sin θ ≈ 1). `init: "mom"` starts from the MoM estimate instead: a different method,
 * registered as the estimator "bm-mom" ("BM (MoM start)").
 *
 * Balance weight [reconstructed]: SPEC writes the loss averaged over all n1·T rows with weight 1/8
 * on ‖BᵀB − VᵀV‖²_F. At a balanced factorisation of the fit, BᵀB has eigenvalues of order √T
 * while the loss's curvature is of order 1/√T, so that weight makes the problem ill-conditioned by
 * a factor ~T (L-BFGS: 782 iterations at d=100, k=5, T=1600 vs 43). The default `balance` λ = 1/T
 * is the same objective up to the factor T when the loss is averaged within tasks and summed over
 * tasks. The term is 0 at every balanced factorisation, so the global minimiser's col(B) — the
 * rank-k least-squares fit — is the same for any λ > 0; `balance: 1` gives SPEC's literal weight.
 *
 * `lambdaCond`, `lambdaNorm` > 0 add Bouniot et al.'s R(V) = λ1 κ(Ṽ)² + λ2 ‖ṼṼᵀ‖_F, Ṽ = V/√T, on
 * the head factor V (the learned heads; ECCV 2022; SPEC §1.3) to f (`penalisedFactoredObjective`).
 */
export function burerMonteiroEstimate(
  data: MultiTaskData,
  k: number,
  options: EstimatorOptions,
  ctx: EstimatorContext,
  method = "bm",
): RepresentationFit {
  const { B, V, res, penalised } = burerMonteiroFactors(data, k, options, ctx);
  return {
    method,
    B: orthonormalize(B),
    iterations: res.iterations,
    converged: res.converged,
    status: "ok",
    info: {
      objective: res.f,
      gradNorm: res.gradNorm,
      evaluations: res.evaluations,
      // Only with a penalty, so the unpenalised record keeps its bytes.
      ...(penalised ? { headCondition: conditionNumber(V) } : {}),
    },
  };
}

/**
 * The minimiser's factors of `burerMonteiroEstimate`: B (d × k, not orthonormalised), the heads
 * V (T × k), the L-BFGS result, and whether a head penalty was on.
 */
export function burerMonteiroFactors(
  data: MultiTaskData,
  k: number,
  options: EstimatorOptions,
  ctx: EstimatorContext,
): { B: Mat; V: Mat; res: ReturnType<typeof lbfgs>; penalised: boolean } {
  const B0 = initialBasis(data, k, { ...options, init: options.init ?? "random" }, ctx);
  const x0 = balancedStart(B0, taskHeads(data, B0));
  const penalty = checkHeadPenalty("bm", options);
  const penalised = penaltyActive(penalty);
  const pinned = pinRows(data);
  try {
    const plain = burerMonteiroObjective(data, k, options.balance ?? 1 / data.tasks, pinned);
    // Bouniot et al.'s penalty on the head factor V (headPenaltyErm.ts); none by default.
    const f = penalised ? penalisedFactoredObjective(plain, data.d, k, data.tasks, penalty) : plain;
    const nB = data.d * k;
    const hook = ctx.onIteration;
    const res = lbfgs(f, x0, {
      maxIter: options.iters ?? 500,
      gtol: options.tol ?? 1e-6,
      signal: ctx.signal,
      ...(hook
        ? { onIteration: (x: Float64Array, t: number) => hook(matFrom(data.d, k, x.subarray(0, nB)), t) }
        : {}),
    });
    return factorsOf(data, k, res, penalised);
  } finally {
    if (pinned) unpin(pinned.x);
  }
}

function factorsOf(
  data: MultiTaskData,
  k: number,
  res: ReturnType<typeof lbfgs>,
  penalised: boolean,
): { B: Mat; V: Mat; res: ReturnType<typeof lbfgs>; penalised: boolean } {
  const nB = data.d * k;
  return {
    B: matFrom(data.d, k, res.x.slice(0, nB)),
    V: matFrom(data.tasks, k, res.x.slice(nB, nB + data.tasks * k)),
    res,
    penalised,
  };
}
