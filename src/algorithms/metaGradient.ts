import { dotAt } from "../linalg/vector.js";
import type { TaskData } from "../models/linearRepresentation.js";
import {
  addOuterT,
  addOuterT2,
  btv,
  bv,
  type MetaParams,
  type MetaWorkspace,
  refreshBt,
} from "./workspace.js";

/**
 * Closed-form meta-gradients of Collins et al. (ICML 2022) for the linear representation model
 * (SPEC §1.2). Each function adds one task's contribution to `ws.GB`, `ws.Gw` (and `ws.uSum`);
 * `startMetaGradient` must run first (it sets θ₀ = Bw and the copy Bᵀ);
 * `finishMetaGradient` averages over the batch.
 *
 * Per task, with `r = g_in(Bw)` and `Σ_in` the inner sample covariance (I in population):
 * every product is O(m·d·k'), no d × d matrix is formed.
 */
export type TaskMetaGradient = (p: MetaParams, task: TaskData, alpha: number, ws: MetaWorkspace) => void;

/** Adapted head `w' = w − α Bᵀr` with `r = g_in(Bw)`; leaves r in ws.r and w' in ws.wp. */
function adaptHead(p: MetaParams, task: TaskData, alpha: number, ws: MetaWorkspace): void {
  task.inner.residual(task.theta, ws.theta0, ws.r);
  btv(ws, ws.r, ws.btr);
  for (let c = 0; c < ws.kp; c++) ws.wp[c] = p.w[c] - alpha * ws.btr[c];
}

/**
 * ANIL (adapt the head only), exact: `w' = w − αBᵀr`, `r' = g_out(Bw')`,
 * `G_B = r'w'ᵀ − α r (Bᵀr')ᵀ − α Σ_in B (Bᵀr') wᵀ`, `G_w = (I − α BᵀΣ_in B) Bᵀr'`.
 */
export const anilTaskGradient: TaskMetaGradient = (p, task, alpha, ws) => {
  adaptHead(p, task, alpha, ws);
  bv(ws, ws.wp, ws.thetaP);
  task.outer.residual(task.theta, ws.thetaP, ws.rp);
  const b = ws.h;
  btv(ws, ws.rp, b); // Bᵀr'
  addOuterT2(ws.GBt, ws.rp, ws.wp, 1, ws.r, b, -alpha);
  bv(ws, b, ws.v);
  task.inner.covApply(ws.v, ws.u); // Σ_in B Bᵀr'
  for (let i = 0; i < ws.d; i++) ws.uSum[i] += ws.u[i];
  btv(ws, ws.u, ws.btr); // Bᵀ Σ_in B Bᵀr' (btr is free again)
  for (let c = 0; c < ws.kp; c++) ws.Gw[c] += b[c] - alpha * ws.btr[c];
};

/** FO-ANIL: same `w'`, `r'`; `G_B = r'w'ᵀ`, `G_w = Bᵀr'`. */
export const foAnilTaskGradient: TaskMetaGradient = (p, task, alpha, ws) => {
  adaptHead(p, task, alpha, ws);
  bv(ws, ws.wp, ws.thetaP);
  task.outer.residual(task.theta, ws.thetaP, ws.rp);
  addOuterT(ws.GBt, ws.rp, ws.wp, 1);
  btv(ws, ws.rp, ws.h);
  for (let c = 0; c < ws.kp; c++) ws.Gw[c] += ws.h[c];
};

/**
 * MAML outer point: `B' = B − α r wᵀ`, `w' = w − αBᵀr`, so
 * `θ' = B'w' = Bw' − α r (w·w')`; `r' = g_out(θ')`, `h = B'ᵀr' = Bᵀr' − α w (r·r')`.
 */
function mamlOuter(p: MetaParams, task: TaskData, alpha: number, ws: MetaWorkspace): number {
  adaptHead(p, task, alpha, ws);
  bv(ws, ws.wp, ws.thetaP);
  const wwp = dotAt(p.w, 0, ws.wp, 0, ws.kp);
  for (let i = 0; i < ws.d; i++) ws.thetaP[i] -= alpha * wwp * ws.r[i];
  task.outer.residual(task.theta, ws.thetaP, ws.rp);
  btv(ws, ws.rp, ws.h);
  const rrp = dotAt(ws.r, 0, ws.rp, 0, ws.d);
  for (let c = 0; c < ws.kp; c++) ws.h[c] -= alpha * rrp * p.w[c];
  return wwp;
}

/**
 * MAML (adapt both), exact: with `G = r'w'ᵀ`,
 * `G_B = G − α Σ_in G w wᵀ − α r hᵀ − α Σ_in B h wᵀ`,
 * `G_w = h − α Gᵀr − α BᵀΣ_in G w − α BᵀΣ_in B h`.
 * Both Σ_in terms share one product: `u = Σ_in (r'(w'·w) + B h)`.
 */
export const mamlTaskGradient: TaskMetaGradient = (p, task, alpha, ws) => {
  const wwp = mamlOuter(p, task, alpha, ws);
  addOuterT2(ws.GBt, ws.rp, ws.wp, 1, ws.r, ws.h, -alpha);
  bv(ws, ws.h, ws.v);
  for (let i = 0; i < ws.d; i++) ws.v[i] += wwp * ws.rp[i];
  task.inner.covApply(ws.v, ws.u);
  for (let i = 0; i < ws.d; i++) ws.uSum[i] += ws.u[i];
  btv(ws, ws.u, ws.btr);
  const rrp = dotAt(ws.r, 0, ws.rp, 0, ws.d);
  for (let c = 0; c < ws.kp; c++) ws.Gw[c] += ws.h[c] - alpha * rrp * ws.wp[c] - alpha * ws.btr[c];
};

/** FO-MAML: same `B'`, `w'`, `r'`; `G_B = r'w'ᵀ`, `G_w = B'ᵀr'`. */
export const foMamlTaskGradient: TaskMetaGradient = (p, task, alpha, ws) => {
  mamlOuter(p, task, alpha, ws);
  addOuterT(ws.GBt, ws.rp, ws.wp, 1);
  for (let c = 0; c < ws.kp; c++) ws.Gw[c] += ws.h[c];
};

/**
 * Average-loss GD (no adaptation; the non-meta baseline): `G_B = g(Bw) wᵀ`, `G_w = Bᵀ g(Bw)`
 * on the outer data.
 */
export const avgGdTaskGradient: TaskMetaGradient = (p, task, _alpha, ws) => {
  task.outer.residual(task.theta, ws.theta0, ws.r);
  addOuterT(ws.GBt, ws.r, p.w, 1);
  btv(ws, ws.r, ws.h);
  for (let c = 0; c < ws.kp; c++) ws.Gw[c] += ws.h[c];
};

/** Zero the accumulators and set θ₀ = Bw before a batch. */
export function startMetaGradient(p: MetaParams, ws: MetaWorkspace): void {
  refreshBt(p.B, ws);
  ws.GBt.fill(0);
  ws.Gw.fill(0);
  ws.uSum.fill(0);
  bv(ws, p.w, ws.theta0);
}

/** Finish a batch of n tasks: `G_B ← (G_B − α (Σ u) wᵀ)/n`, `G_w ← G_w/n`. */
export function finishMetaGradient(p: MetaParams, ws: MetaWorkspace, n: number, alpha: number): void {
  addOuterT(ws.GBt, ws.uSum, p.w, -alpha);
  const inv = 1 / n;
  const { d, kp, GB, GBt } = ws;
  for (let i = 0; i < d; i++) for (let c = 0; c < kp; c++) GB[i * kp + c] = GBt[c * d + i] * inv;
  for (let c = 0; c < ws.kp; c++) ws.Gw[c] *= inv;
}
