import { ParamError } from "../errors.js";
import { dotAt } from "../linalg/vector.js";
import {
  allocInnerSet,
  allocTask,
  type LinearRepModel,
  type TaskData,
} from "../models/linearRepresentation.js";
import { type HeadPenalty, type HeadSpectrum, headPenalty, headSpectrum } from "./headPenalty.js";
import type { MethodId } from "./methods.js";
import { addOuterT, btv, bv, type MetaParams, type MetaWorkspace } from "./workspace.js";

/**
 * Meta-gradients of Collins et al.'s outer objective plus Bouniot et al.'s head penalty (ECCV 2022;
 * SPEC §1.2–1.3) in the linear representation model:
 *
 *   F(B, w) = (1/n) Σ_i L_out,i(B'_i, w'_i) + R(W'),   R(W') = λ1 κ(W̃)² + λ2 ‖W̃W̃ᵀ‖_F,
 *
 * where W' (n × k', row i = w'_i) stacks the adapted heads of the outer batch and W̃ = W'/√n
 * (SPEC §1.3: normalised by the batch size, so λ means the same at every n; `headPenalty` returns
 * ∂R/∂W' with the chain through W̃ included, so nothing below depends on the normalisation). `mini_maml.py` adds
 * the penalty to the outer loss once per task of the batch and divides the sum by the batch size;
 * with one W' per batch that is R(W') added once to the mean outer loss, as here. (The public code
 * penalises the classifier's meta-parameters, N-way × features, the same matrix for every task;
 * a scalar regression head is one vector, so the matrix of task predictors of Du et al.'s
 * Assumption 2.3 is the stack of adapted heads W', as SPEC §1.3 prescribes.)
 *
 * Exact methods (ANIL, MAML) differentiate through the inner step. Both adapt the head by
 * `w'_i = w − α Bᵀr_i`, `r_i = Σ_in,i B w − ĉ_i`, so with P_i = ∂R/∂w'_i (row i of ∂R/∂W'):
 *   ∂R/∂B = −α Σ_i (r_i P_iᵀ + Σ_in,i B P_i wᵀ),   ∂R/∂w = Σ_i (I − α BᵀΣ_in,i B) P_i.
 * These are the terms of SPEC §1.2 that carry ∂L/∂w'_i (ANIL's `Bᵀr'`, MAML's `h`), so each task's
 * chain term is computed with `∂L/∂w'_i + n·P_i` in their place: the same number of Σ_in products
 * as without the penalty. R couples the tasks, so a batch runs in two phases: `penalisedTaskPhase`
 * for each task (adapt, outer residual, direct terms; stores r_i, ∂L/∂w'_i, w'_i), then
 * `finishPenalisedBatch` (R and ∂R/∂W' from all of W', then the chain terms, which need each
 * task's inner data still in place).
 *
 * First-order methods (FO-ANIL, FO-MAML) use the convention of their own gradient, which treats
 * the inner step as the identity map (∂w'/∂w = I, ∂w'/∂B = 0): the penalty adds Σ_i P_i to G_w
 * and nothing to G_B. Avg-GD adapts nothing (its W' would be n copies of w, rank 1): no penalty.
 */

/** Per-batch storage for the two phases (n tasks, d, k'), allocated once. */
export interface PenaltyWorkspace {
  n: number;
  d: number;
  kp: number;
  /** Row views (length d) of the inner residuals r_i. */
  r: Float64Array[];
  /** Row views (length d) of the outer residuals r'_i (MAML). */
  rp: Float64Array[];
  /** n × k': ∂L_out,i/∂w'_i (ANIL: Bᵀr'_i; MAML: h_i = B'ᵀr'_i). */
  H: Float64Array;
  /** n × k': the adapted heads W'. */
  Wp: Float64Array;
  /** n × k': ∂R/∂W'. */
  P: Float64Array;
  /** MAML: w·w'_i and r_i·r'_i. */
  wwp: Float64Array;
  rrp: Float64Array;
  /** k' scratch. */
  hs: Float64Array;
}

export function allocPenaltyWorkspace(n: number, d: number, kp: number): PenaltyWorkspace {
  const R = new Float64Array(n * d);
  const Rp = new Float64Array(n * d);
  return {
    n,
    d,
    kp,
    r: Array.from({ length: n }, (_, i) => R.subarray(i * d, (i + 1) * d)),
    rp: Array.from({ length: n }, (_, i) => Rp.subarray(i * d, (i + 1) * d)),
    H: new Float64Array(n * kp),
    Wp: new Float64Array(n * kp),
    P: new Float64Array(n * kp),
    wwp: new Float64Array(n),
    rrp: new Float64Array(n),
    hs: new Float64Array(kp),
  };
}

/**
 * Task buffers for a batch of n tasks kept until `finishPenalisedBatch`: phase 2 needs only each
 * task's inner data, so the n tasks own their inner sets and share one outer set and one
 * (w*, θ*) pair (with `shared`'s, if given) — half the memory, and the working set stays in cache.
 * `pinned`: direct-sampler sets in the kernel memory (as `allocTask`; released with the block
 * pinned before them).
 */
export function allocBatchTasks(
  model: LinearRepModel,
  n: number,
  shared?: TaskData,
  pinned = false,
): TaskData[] {
  const base = allocTask(model, shared, pinned);
  return Array.from({ length: n }, (_, i) =>
    i === 0 ? base : { ...base, inner: allocInnerSet(model, pinned) },
  );
}

/** The methods the penalty applies to. */
export const PENALISED_METHODS: readonly MethodId[] = ["anil", "fo-anil", "maml", "fo-maml"];

/** Throws unless every method adapts a head (the penalty needs per-task heads). */
export function checkPenalisedMethods(context: string, methods: readonly string[]): void {
  for (const m of methods) {
    if (!(PENALISED_METHODS as readonly string[]).includes(m)) {
      throw new ParamError(
        context,
        "methods",
        `with lambda_cond or lambda_norm > 0 must be a built-in method that adapts a head (${PENALISED_METHODS.join(", ")}); avg-gd has no per-task heads`,
        m,
      );
    }
  }
}

/** w'_i = w − αBᵀr_i with r_i = g_in(Bw) into pws.r[i] and ws.wp. */
function adaptHead(p: MetaParams, task: TaskData, alpha: number, ws: MetaWorkspace, r: Float64Array): void {
  task.inner.residual(task.theta, ws.theta0, r);
  btv(ws, r, ws.btr);
  for (let c = 0; c < ws.kp; c++) ws.wp[c] = p.w[c] - alpha * ws.btr[c];
}

/**
 * Phase 1 for task i of the batch (after `startMetaGradient`): the adapted head, the outer
 * residual and the terms of the gradient that do not involve ∂w'/∂(B, w); stores what phase 2
 * needs. The task's data must stay unchanged until `finishPenalisedBatch`.
 */
export function penalisedTaskPhase(
  method: string,
  p: MetaParams,
  task: TaskData,
  alpha: number,
  ws: MetaWorkspace,
  pws: PenaltyWorkspace,
  i: number,
): void {
  const { kp, d } = ws;
  const r = pws.r[i];
  const rp = pws.rp[i];
  adaptHead(p, task, alpha, ws, r);
  bv(ws, ws.wp, ws.thetaP);
  let wwp = 0;
  const maml = method === "maml" || method === "fo-maml";
  if (maml) {
    // θ' = B'w' = Bw' − α r (w·w').
    wwp = dotAt(p.w, 0, ws.wp, 0, kp);
    for (let a = 0; a < d; a++) ws.thetaP[a] -= alpha * wwp * r[a];
  } else if (method !== "anil" && method !== "fo-anil") {
    throw new ParamError("meta-gradient", "method", `must be one of ${PENALISED_METHODS.join(", ")}`, method);
  }
  task.outer.residual(task.theta, ws.thetaP, rp);
  btv(ws, rp, ws.h);
  if (maml) {
    // h = B'ᵀr' = Bᵀr' − α w (r·r').
    const rrp = dotAt(r, 0, rp, 0, d);
    for (let c = 0; c < kp; c++) ws.h[c] -= alpha * rrp * p.w[c];
    pws.wwp[i] = wwp;
    pws.rrp[i] = rrp;
  }
  addOuterT(ws.GBt, rp, ws.wp, 1);
  if (method === "fo-anil" || method === "fo-maml") for (let c = 0; c < kp; c++) ws.Gw[c] += ws.h[c];
  pws.H.set(ws.h, i * kp);
  pws.Wp.set(ws.wp, i * kp);
}

/**
 * Phase 2 (before `finishMetaGradient(p, ws, n, alpha)`): R(W') and ∂R/∂W' over the n stored heads,
 * then each task's chain terms with ∂L/∂w'_i + n·P_i (the n cancels the batch mean taken by
 * `finishMetaGradient`: the penalty enters F once, not averaged). Returns R(W') and W''s spectrum.
 */
export function finishPenalisedBatch(
  method: string,
  _p: MetaParams,
  tasks: readonly TaskData[],
  alpha: number,
  ws: MetaWorkspace,
  pws: PenaltyWorkspace,
  penalty: HeadPenalty,
): { value: number; spectrum: HeadSpectrum } {
  const n = tasks.length;
  const { kp, d } = ws;
  const W = { rows: n, cols: kp, data: n === pws.n ? pws.Wp : pws.Wp.subarray(0, n * kp) };
  const P = n === pws.n ? pws.P : pws.P.subarray(0, n * kp);
  const res = headPenalty(W, penalty, P);
  if (method === "fo-anil" || method === "fo-maml") {
    // First order: ∂w'/∂w = I, ∂w'/∂B = 0.
    for (let i = 0; i < n; i++) for (let c = 0; c < kp; c++) ws.Gw[c] += n * P[i * kp + c];
    return res;
  }
  const maml = method === "maml";
  const hs = pws.hs;
  for (let i = 0; i < n; i++) {
    const o = i * kp;
    for (let c = 0; c < kp; c++) hs[c] = pws.H[o + c] + n * P[o + c];
    const r = pws.r[i];
    addOuterT(ws.GBt, r, hs, -alpha);
    bv(ws, hs, ws.v);
    if (maml) {
      const wwp = pws.wwp[i];
      const rp = pws.rp[i];
      for (let a = 0; a < d; a++) ws.v[a] += wwp * rp[a];
    }
    tasks[i].inner.covApply(ws.v, ws.u);
    for (let a = 0; a < d; a++) ws.uSum[a] += ws.u[a];
    btv(ws, ws.u, ws.btr);
    if (maml) {
      const rrp = pws.rrp[i];
      for (let c = 0; c < kp; c++) ws.Gw[c] += hs[c] - alpha * rrp * pws.Wp[o + c] - alpha * ws.btr[c];
    } else for (let c = 0; c < kp; c++) ws.Gw[c] += hs[c] - alpha * ws.btr[c];
  }
  return res;
}

/** The spectrum of the first `n` stored heads (diagnostics without a penalty). */
export function storedHeadSpectrum(pws: PenaltyWorkspace, n: number): HeadSpectrum {
  return headSpectrum({ rows: n, cols: pws.kp, data: pws.Wp.subarray(0, n * pws.kp) });
}
