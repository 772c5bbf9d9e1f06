import type { Mat } from "../linalg/mat.js";
import type { MetaParams, MetaWorkspace } from "./workspace.js";

/**
 * The population meta-gradients of Collins et al. (ICML 2022; SPEC §1.2, Σ_in = Σ_out = I, no noise)
 * in the coordinates of span(col B, θ*): the same per-task formulas as `metaGradient.ts`, so the
 * same expectation, at O(k'²) work per task instead of O(d·k').
 *
 * In the population every vector a task's meta-gradient forms (r = Bw − θ*, r', θ', Σ_in u, …) lies
 * in span(col B, θ*_t), so it is written `B x + ξ θ*` with x ∈ R^{k'} and a scalar ξ; products need
 * only P = BᵀB, Bᵀθ* = K w* (K = BᵀB*, once per batch) and τ = ‖θ*‖². The batch's G_B is
 * `B M + B* N` with M (k' × k') and N (k × k') summed over the tasks, formed once per batch
 * (`finishPopulationGradient`).
 *
 * Why: at d = 20, k = k' = 3 the d-dimensional per-task products were about two thirds of a
 * population run. The numbers equal the d-dimensional path's to rounding (tests: per batch to
 * ~1e-13 relative, whole runs' dist to ~1e-9 relative while dist > 1e-6), not bit for bit, so
 * `metaTrain` uses them only when asked (`populationFormulas`: collins-convergence and
 * collins-diversity). Not collins-head-init: MAML from ‖w₀‖ = 1 stalls at dist ≈ 1 and escapes at
 * an iteration set by rounding; the other rounding moved 5 of 10 paper-size seeds' escape (2 past
 * the 400 iterations), the claim's verdict unchanged.
 */
export interface PopulationWorkspace {
  d: number;
  k: number;
  kp: number;
  /** P = BᵀB (k' × k'). */
  P: Float64Array;
  /** K = BᵀB* (k' × k). */
  K: Float64Array;
  /** P w. */
  Pw: Float64Array;
  /** Σ_t of the coefficients on B of the task gradients G_B (k' × k', row a, column c). */
  M: Float64Array;
  /** Σ_t of the coefficients on B* (k × k'). */
  N: Float64Array;
  /** Bᵀθ* of the current task. */
  q: Float64Array;
  wp: Float64Array;
  rB: Float64Array;
  b: Float64Array;
  h: Float64Array;
  y: Float64Array;
  t: Float64Array;
  /** MAML's scalars of the current task: c = w·w', ξ, s = r·r' (`mamlOuter`). */
  sc: Float64Array;
}

export function allocPopulationWorkspace(d: number, k: number, kp: number): PopulationWorkspace {
  const vk = () => new Float64Array(kp);
  return {
    d,
    k,
    kp,
    P: new Float64Array(kp * kp),
    K: new Float64Array(kp * k),
    Pw: vk(),
    M: new Float64Array(kp * kp),
    N: new Float64Array(k * kp),
    q: vk(),
    wp: vk(),
    rB: vk(),
    b: vk(),
    h: vk(),
    y: vk(),
    t: vk(),
    sc: new Float64Array(3),
  };
}

/** One population task as these formulas see it: the true head w* and τ = ‖θ*‖² = ‖B*w*‖². */
export interface PopulationTask {
  wStar: Float64Array;
  tau: number;
}

/**
 * A method's population meta-gradient for one task in span coordinates: add its G_B's
 * coefficients into `pw.M`, `pw.N` and its G_w into `Gw`.
 */
export type PopulationTaskGradient = (
  p: MetaParams,
  task: PopulationTask,
  alpha: number,
  pw: PopulationWorkspace,
  Gw: Float64Array,
) => void;

/** Before a batch: P = BᵀB, K = BᵀB*, Pw; zero M, N and `ws.Gw`. */
export function startPopulationGradient(
  p: MetaParams,
  Bstar: Mat,
  pw: PopulationWorkspace,
  ws: MetaWorkspace,
): void {
  const { d, k, kp, P, K, Pw } = pw;
  const B = p.B.data;
  const Bs = Bstar.data;
  P.fill(0);
  K.fill(0);
  for (let i = 0; i < d; i++) {
    const bo = i * kp;
    for (let a = 0; a < kp; a++) {
      const bia = B[bo + a];
      for (let c = 0; c < kp; c++) P[a * kp + c] += bia * B[bo + c];
      for (let j = 0; j < k; j++) K[a * k + j] += bia * Bs[i * k + j];
    }
  }
  matVec(P, p.w, Pw, kp);
  pw.M.fill(0);
  pw.N.fill(0);
  ws.Gw.fill(0);
}

/** After n tasks: `ws.GB = (B M + B* N)/n`, `ws.Gw /= n` (what `finishMetaGradient` leaves). */
export function finishPopulationGradient(
  p: MetaParams,
  Bstar: Mat,
  pw: PopulationWorkspace,
  ws: MetaWorkspace,
  n: number,
): void {
  const { d, k, kp, M, N } = pw;
  const B = p.B.data;
  const Bs = Bstar.data;
  const GB = ws.GB;
  const inv = 1 / n;
  for (let i = 0; i < d; i++)
    for (let c = 0; c < kp; c++) {
      let acc = 0;
      for (let a = 0; a < kp; a++) acc += B[i * kp + a] * M[a * kp + c];
      for (let j = 0; j < k; j++) acc += Bs[i * k + j] * N[j * kp + c];
      GB[i * kp + c] = acc * inv;
    }
  for (let c = 0; c < kp; c++) ws.Gw[c] *= inv;
}

/** out = A x for A n × n (row-major). */
function matVec(A: Float64Array, x: Float64Array, out: Float64Array, n: number): void {
  for (let a = 0; a < n; a++) {
    let acc = 0;
    for (let c = 0; c < n; c++) acc += A[a * n + c] * x[c];
    out[a] = acc;
  }
}

/** pw.q = Bᵀθ* = K w*. */
function taskCoords(task: PopulationTask, pw: PopulationWorkspace): void {
  const { k, kp, K, q } = pw;
  const ws = task.wStar;
  for (let a = 0; a < kp; a++) {
    let acc = 0;
    for (let j = 0; j < k; j++) acc += K[a * k + j] * ws[j];
    q[a] = acc;
  }
}

/** Adapted head w' = w − α Bᵀr = w − α (Pw − q), r = Bw − θ*. */
function adaptHead(p: MetaParams, alpha: number, pw: PopulationWorkspace): void {
  const { kp, Pw, q, wp } = pw;
  for (let c = 0; c < kp; c++) wp[c] = p.w[c] - alpha * (Pw[c] - q[c]);
}

/** M += x yᵀ · s (k' × k'). */
function addM(pw: PopulationWorkspace, x: Float64Array, y: Float64Array, s: number): void {
  const { kp, M } = pw;
  for (let a = 0; a < kp; a++) {
    const xa = s * x[a];
    for (let c = 0; c < kp; c++) M[a * kp + c] += xa * y[c];
  }
}

/** N += w* yᵀ (k × k'). */
function addN(pw: PopulationWorkspace, wStar: Float64Array, y: Float64Array): void {
  const { k, kp, N } = pw;
  for (let j = 0; j < k; j++) {
    const wj = wStar[j];
    for (let c = 0; c < kp; c++) N[j * kp + c] += wj * y[c];
  }
}

/**
 * ANIL: r' = Bw' − θ*, b = Bᵀr' = Pw' − q; `G_B = r'w'ᵀ − α r bᵀ − α B b wᵀ`
 * = B (w'w'ᵀ − α w bᵀ − α b wᵀ) + B* w* (α b − w')ᵀ; `G_w = b − α P b`.
 */
export const anilPopulationGradient: PopulationTaskGradient = (p, task, alpha, pw, Gw) => {
  taskCoords(task, pw);
  adaptHead(p, alpha, pw);
  const { kp, P, q, wp, b, y, t } = pw;
  matVec(P, wp, b, kp);
  for (let c = 0; c < kp; c++) b[c] -= q[c];
  addM(pw, wp, wp, 1);
  addM(pw, p.w, b, -alpha);
  addM(pw, b, p.w, -alpha);
  for (let c = 0; c < kp; c++) y[c] = alpha * b[c] - wp[c];
  addN(pw, task.wStar, y);
  matVec(P, b, t, kp);
  for (let c = 0; c < kp; c++) Gw[c] += b[c] - alpha * t[c];
};

/** FO-ANIL: `G_B = r'w'ᵀ = B w'w'ᵀ − B* w* w'ᵀ`, `G_w = b = Pw' − q`. */
export const foAnilPopulationGradient: PopulationTaskGradient = (p, task, alpha, pw, Gw) => {
  taskCoords(task, pw);
  adaptHead(p, alpha, pw);
  const { kp, P, q, wp, b, y } = pw;
  matVec(P, wp, b, kp);
  addM(pw, wp, wp, 1);
  for (let c = 0; c < kp; c++) y[c] = -wp[c];
  addN(pw, task.wStar, y);
  for (let c = 0; c < kp; c++) Gw[c] += b[c] - q[c];
};

/**
 * MAML's outer point in coordinates: c = w·w', r' = θ' − θ* = B rB + ξ θ* with rB = w' − α c w,
 * ξ = α c − 1; b = Bᵀr' = P rB + ξ q; s = r·r' (r = Bw − θ*); h = b − α s w. Leaves c, ξ, s
 * in `pw.sc`.
 */
function mamlOuter(p: MetaParams, task: PopulationTask, alpha: number, pw: PopulationWorkspace): void {
  taskCoords(task, pw);
  adaptHead(p, alpha, pw);
  const { kp, P, Pw, q, wp, rB, b, h } = pw;
  const w = p.w;
  let c = 0;
  for (let a = 0; a < kp; a++) c += w[a] * wp[a];
  for (let a = 0; a < kp; a++) rB[a] = wp[a] - alpha * c * w[a];
  const xi = alpha * c - 1;
  matVec(P, rB, b, kp);
  for (let a = 0; a < kp; a++) b[a] += xi * q[a];
  // r·r' = (Bw − θ*)·(B rB + ξθ*) = (Pw)·rB − q·rB + ξ (q·w − τ).
  let qw = 0;
  let s = 0;
  for (let a = 0; a < kp; a++) {
    s += (Pw[a] - q[a]) * rB[a];
    qw += q[a] * w[a];
  }
  s += xi * (qw - task.tau);
  for (let a = 0; a < kp; a++) h[a] = b[a] - alpha * s * w[a];
  pw.sc[0] = c;
  pw.sc[1] = xi;
  pw.sc[2] = s;
}

/**
 * MAML: with u = Bh + c r', `G_B = r'w'ᵀ − α r hᵀ − α u wᵀ`
 * = B (rB w'ᵀ − α w hᵀ − α h wᵀ − α c rB wᵀ) + B* w* (ξ w' + α h − α c ξ w)ᵀ;
 * `G_w = h − α s w' − α Bᵀu`, Bᵀu = P h + c b.
 */
export const mamlPopulationGradient: PopulationTaskGradient = (p, task, alpha, pw, Gw) => {
  mamlOuter(p, task, alpha, pw);
  const c = pw.sc[0];
  const xi = pw.sc[1];
  const s = pw.sc[2];
  const { kp, P, wp, rB, b, h, y, t } = pw;
  const w = p.w;
  addM(pw, rB, wp, 1);
  addM(pw, w, h, -alpha);
  addM(pw, h, w, -alpha);
  addM(pw, rB, w, -alpha * c);
  for (let a = 0; a < kp; a++) y[a] = xi * wp[a] + alpha * h[a] - alpha * c * xi * w[a];
  addN(pw, task.wStar, y);
  matVec(P, h, t, kp);
  for (let a = 0; a < kp; a++) Gw[a] += h[a] - alpha * s * wp[a] - alpha * (t[a] + c * b[a]);
};

/** FO-MAML: `G_B = r'w'ᵀ = B rB w'ᵀ + B* w* (ξ w')ᵀ`, `G_w = h`. */
export const foMamlPopulationGradient: PopulationTaskGradient = (p, task, alpha, pw, Gw) => {
  mamlOuter(p, task, alpha, pw);
  const xi = pw.sc[1];
  const { kp, wp, rB, h, y } = pw;
  addM(pw, rB, wp, 1);
  for (let a = 0; a < kp; a++) y[a] = xi * wp[a];
  addN(pw, task.wStar, y);
  for (let a = 0; a < kp; a++) Gw[a] += h[a];
};

/** Average-loss GD: r = Bw − θ*; `G_B = r wᵀ = B w wᵀ − B* w* wᵀ`, `G_w = Bᵀr = Pw − q`. */
export const avgGdPopulationGradient: PopulationTaskGradient = (p, task, _alpha, pw, Gw) => {
  taskCoords(task, pw);
  const { kp, Pw, q, y } = pw;
  addM(pw, p.w, p.w, 1);
  for (let a = 0; a < kp; a++) y[a] = -p.w[a];
  addN(pw, task.wStar, y);
  for (let a = 0; a < kp; a++) Gw[a] += Pw[a] - q[a];
};
