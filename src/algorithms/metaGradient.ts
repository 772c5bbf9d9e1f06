import { dot } from "../linalg/vector.js";
import { covApply, residual, type TaskData } from "../models/linearRepresentation.js";
import { addOuter, btv, bv, type MetaParams, type MetaWorkspace } from "./workspace.js";

/**
 * Closed-form meta-gradients of Collins et al. (ICML 2022) for the linear representation model
 * (SPEC §1.2). Each function adds one task's contribution to `ws.GB`, `ws.Gw` (and `ws.uSum`);
 * `finishMetaGradient` averages over the batch. `ws.theta0` must hold `B w`.
 *
 * Per task, with `r = g_in(Bw)` and `Σ_in` the inner sample covariance (I in population):
 * every product is O(m·d·k'), no d × d matrix is formed.
 */
export type TaskMetaGradient = (p: MetaParams, task: TaskData, alpha: number, ws: MetaWorkspace) => void;

/** Adapted head `w' = w − α Bᵀr` with `r = g_in(Bw)`; leaves r in ws.r and w' in ws.wp. */
function adaptHead(p: MetaParams, task: TaskData, alpha: number, ws: MetaWorkspace): void {
  residual(task.inner, task.theta, ws.theta0, ws.r);
  btv(p.B, ws.r, ws.btr);
  for (let c = 0; c < ws.kp; c++) ws.wp[c] = p.w[c] - alpha * ws.btr[c];
}

/**
 * ANIL (adapt the head only), exact: `w' = w − αBᵀr`, `r' = g_out(Bw')`,
 * `G_B = r'w'ᵀ − α r (Bᵀr')ᵀ − α Σ_in B (Bᵀr') wᵀ`, `G_w = (I − α BᵀΣ_in B) Bᵀr'`.
 */
export const anilTaskGradient: TaskMetaGradient = (p, task, alpha, ws) => {
  adaptHead(p, task, alpha, ws);
  bv(p.B, ws.wp, ws.thetaP);
  residual(task.outer, task.theta, ws.thetaP, ws.rp);
  const b = ws.h;
  btv(p.B, ws.rp, b); // Bᵀr'
  addOuter(ws.GB, ws.rp, ws.wp, 1);
  addOuter(ws.GB, ws.r, b, -alpha);
  bv(p.B, b, ws.v);
  covApply(task.inner, ws.v, ws.u); // Σ_in B Bᵀr'
  for (let i = 0; i < ws.d; i++) ws.uSum[i] += ws.u[i];
  btv(p.B, ws.u, ws.btr); // Bᵀ Σ_in B Bᵀr' (btr is free again)
  for (let c = 0; c < ws.kp; c++) ws.Gw[c] += b[c] - alpha * ws.btr[c];
};

/** FO-ANIL: same `w'`, `r'`; `G_B = r'w'ᵀ`, `G_w = Bᵀr'`. */
export const foAnilTaskGradient: TaskMetaGradient = (p, task, alpha, ws) => {
  adaptHead(p, task, alpha, ws);
  bv(p.B, ws.wp, ws.thetaP);
  residual(task.outer, task.theta, ws.thetaP, ws.rp);
  addOuter(ws.GB, ws.rp, ws.wp, 1);
  btv(p.B, ws.rp, ws.h);
  for (let c = 0; c < ws.kp; c++) ws.Gw[c] += ws.h[c];
};

/**
 * MAML outer point: `B' = B − α r wᵀ`, `w' = w − αBᵀr`, so
 * `θ' = B'w' = Bw' − α r (w·w')`; `r' = g_out(θ')`, `h = B'ᵀr' = Bᵀr' − α w (r·r')`.
 */
function mamlOuter(p: MetaParams, task: TaskData, alpha: number, ws: MetaWorkspace): number {
  adaptHead(p, task, alpha, ws);
  bv(p.B, ws.wp, ws.thetaP);
  const wwp = dot(p.w, ws.wp);
  for (let i = 0; i < ws.d; i++) ws.thetaP[i] -= alpha * wwp * ws.r[i];
  residual(task.outer, task.theta, ws.thetaP, ws.rp);
  btv(p.B, ws.rp, ws.h);
  const rrp = dot(ws.r, ws.rp);
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
  addOuter(ws.GB, ws.rp, ws.wp, 1);
  addOuter(ws.GB, ws.r, ws.h, -alpha);
  bv(p.B, ws.h, ws.v);
  for (let i = 0; i < ws.d; i++) ws.v[i] += wwp * ws.rp[i];
  covApply(task.inner, ws.v, ws.u);
  for (let i = 0; i < ws.d; i++) ws.uSum[i] += ws.u[i];
  btv(p.B, ws.u, ws.btr);
  const rrp = dot(ws.r, ws.rp);
  for (let c = 0; c < ws.kp; c++) ws.Gw[c] += ws.h[c] - alpha * rrp * ws.wp[c] - alpha * ws.btr[c];
};

/** FO-MAML: same `B'`, `w'`, `r'`; `G_B = r'w'ᵀ`, `G_w = B'ᵀr'`. */
export const foMamlTaskGradient: TaskMetaGradient = (p, task, alpha, ws) => {
  mamlOuter(p, task, alpha, ws);
  addOuter(ws.GB, ws.rp, ws.wp, 1);
  for (let c = 0; c < ws.kp; c++) ws.Gw[c] += ws.h[c];
};

/**
 * Average-loss GD (no adaptation; the non-meta baseline): `G_B = g(Bw) wᵀ`, `G_w = Bᵀ g(Bw)`
 * on the outer data.
 */
export const avgGdTaskGradient: TaskMetaGradient = (p, task, _alpha, ws) => {
  residual(task.outer, task.theta, ws.theta0, ws.r);
  addOuter(ws.GB, ws.r, p.w, 1);
  btv(p.B, ws.r, ws.h);
  for (let c = 0; c < ws.kp; c++) ws.Gw[c] += ws.h[c];
};

/** Zero the accumulators and set θ₀ = Bw before a batch. */
export function startMetaGradient(p: MetaParams, ws: MetaWorkspace): void {
  ws.GB.fill(0);
  ws.Gw.fill(0);
  ws.uSum.fill(0);
  bv(p.B, p.w, ws.theta0);
}

/** Finish a batch of n tasks: `G_B ← (G_B − α (Σ u) wᵀ)/n`, `G_w ← G_w/n`. */
export function finishMetaGradient(p: MetaParams, ws: MetaWorkspace, n: number, alpha: number): void {
  addOuter(ws.GB, ws.uSum, p.w, -alpha);
  const inv = 1 / n;
  for (let i = 0; i < ws.GB.length; i++) ws.GB[i] *= inv;
  for (let c = 0; c < ws.kp; c++) ws.Gw[c] *= inv;
}
