import { AbortedError } from "../../errors.js";
import { cholesky, choleskySolve } from "../../linalg/cholesky.js";
import { NotPositiveDefiniteError } from "../../linalg/errors.js";
import { gemm } from "../../linalg/gemm.js";
import { lstsq } from "../../linalg/lstsq.js";
import { type Mat, matFrom, zeros } from "../../linalg/mat.js";
import { orthonormalize } from "../../linalg/qr.js";
import { subspaceDistance } from "../../metrics/subspace.js";
import type { MultiTaskData } from "../../models/multiTaskData.js";
import { headScratch, smallSpdSolve, taskHeads } from "./heads.js";
import { initialBasis } from "./init.js";
import type { EstimatorContext, EstimatorOptions, RepresentationFit } from "./types.js";

/** Largest packed per-task Gram store kept across rounds (doubles): 2^23 = 64 MiB. */
const GRAM_BUDGET = 2 ** 23;

/** Index of (a, b), a ≤ b, in the packed upper triangle of a symmetric n × n matrix. */
function packedIndex(n: number, a: number, b: number): number {
  return a * n - (a * (a - 1)) / 2 + (b - a);
}

/** Packed upper triangles of S_t = X_tᵀX_t for tasks t0 .. t1 − 1 into rows of `out` (width d(d+1)/2). */
function packedGrams(data: MultiTaskData, t0: number, t1: number, out: Float64Array): void {
  const { d, start, X } = data;
  const P = (d * (d + 1)) / 2;
  out.fill(0, 0, (t1 - t0) * P);
  for (let t = t0; t < t1; t++) {
    const o = (t - t0) * P;
    for (let i = start[t]; i < start[t + 1]; i++) {
      const r = i * d;
      let p = o;
      for (let a = 0; a < d; a++) {
        const xa = X[r + a];
        for (let b = a; b < d; b++) out[p++] += xa * X[r + b];
      }
    }
  }
}

/**
 * The B-step of AltMin: with the heads W (T × k) fixed, the exact least-squares problem
 * `min_B Σ_t ‖y_t − X_t B w_t‖²` in vec(B) (row-major index a·k + i) has normal equations
 * `G vec(B) = vec(Σ_t X_tᵀy_t w_tᵀ)` with `G[(a,i),(b,j)] = Σ_t S_t[a,b] w_t[i] w_t[j]`,
 * S_t = X_tᵀX_t — a dk × dk system. G is assembled as one product of the packed Grams
 * (T × d(d+1)/2) with the packed head outer products (T × k(k+1)/2), then solved by Cholesky
 * (minimum-norm least squares if G is singular, e.g. a head direction no task uses).
 */
export class BStep {
  private readonly d: number;
  private readonly P: number;
  /** Packed Grams of all tasks, or null when they exceed the budget (then recomputed per chunk). */
  private readonly grams: Float64Array | null;
  private readonly chunk: number;
  private readonly C: Mat;

  /** `budget`: most doubles of packed Grams kept across rounds (default 2^23); tests lower it. */
  constructor(
    private readonly data: MultiTaskData,
    budget = GRAM_BUDGET,
  ) {
    const { d, tasks, start, X, y } = data;
    this.d = d;
    this.P = (d * (d + 1)) / 2;
    const all = tasks * this.P;
    this.chunk = Math.max(1, Math.min(tasks, Math.floor(budget / this.P)));
    this.grams = all <= budget ? new Float64Array(all) : null;
    if (this.grams) packedGrams(data, 0, tasks, this.grams);
    // C = rows c_t = X_tᵀ y_t (T × d).
    this.C = zeros(tasks, d);
    for (let t = 0; t < tasks; t++) {
      for (let i = start[t]; i < start[t + 1]; i++) {
        const yi = y[i];
        for (let a = 0; a < d; a++) this.C.data[t * d + a] += X[i * d + a] * yi;
      }
    }
  }

  /**
   * Whether heads from the stored Grams (`heads`) are cheaper than projecting the rows: per task
   * d(d+1)/2 · k(k+1)/2 multiply-adds against about n_t·d·k — e.g. n1 = 25 ≥ d = 20.
   */
  gramHeadsPay(k: number): boolean {
    const { d, P, data } = this;
    return this.grams !== null && P * ((k * (k + 1)) / 2) < (data.start[data.tasks] / data.tasks) * d * k;
  }

  /**
   * Per-task least-squares heads from the Grams: `(BᵀS_tB) w_t = Bᵀc_t`, with all T of the k × k
   * matrices BᵀS_tB from one product of the packed Grams with the packed products of B's columns
   * (`pk[(i,j), (a,b)] = B[a,i]B[b,j] + B[b,i]B[a,j]`, a < b; `B[a,i]B[a,j]` on the diagonal).
   * Same heads as `taskHeads` (rank-deficient tasks fall back to it). Needs stored Grams.
   */
  heads(B: Mat): Mat {
    const { P, data } = this;
    const T = data.tasks;
    const k = B.cols;
    const Q = (k * (k + 1)) / 2;
    const pk = this.columnProducts(B);
    const H = gemm(false, true, 1, pk, matFrom(T, P, this.grams!), 0, zeros(Q, T)); // Q × T
    const rhs = gemm(false, false, 1, this.C, B, 0, zeros(T, k)); // rows Bᵀc_t
    const W = zeros(T, k);
    const s = headScratch(0, k);
    let fallback = false;
    for (let t = 0; t < T && !fallback; t++) {
      let qq = 0;
      for (let i = 0; i < k; i++)
        for (let j = i; j < k; j++, qq++) {
          const v = H.data[qq * T + t];
          s.G[i * k + j] = v;
          s.G[j * k + i] = v;
        }
      for (let i = 0; i < k; i++) s.h[i] = rhs.data[t * k + i];
      fallback = !smallSpdSolve(s.G, s.h, k, W.data, t * k);
    }
    return fallback ? taskHeads(data, B) : W;
  }

  /** The least-squares B (d × k, not orthonormalised) for heads W. */
  solve(W: Mat): Mat {
    const { P, data } = this;
    const T = data.tasks;
    const k = W.cols;
    const Q = (k * (k + 1)) / 2;
    const pairs = zeros(T, Q);
    for (let t = 0; t < T; t++) {
      let q = 0;
      for (let i = 0; i < k; i++)
        for (let j = i; j < k; j++) pairs.data[t * Q + q++] = W.data[t * k + i] * W.data[t * k + j];
    }
    // Gqp (Q × P) = Σ_t pairs_t ⊗ packedGram_t: axpys along contiguous rows of length P.
    const Gqp = zeros(Q, P);
    if (this.grams) {
      gemm(true, false, 1, pairs, matFrom(T, P, this.grams), 0, Gqp);
    } else {
      const buf = new Float64Array(this.chunk * P);
      for (let t0 = 0; t0 < T; t0 += this.chunk) {
        const t1 = Math.min(T, t0 + this.chunk);
        packedGrams(data, t0, t1, buf);
        const S = matFrom(t1 - t0, P, buf.subarray(0, (t1 - t0) * P));
        const Pc = matFrom(t1 - t0, Q, pairs.data.subarray(t0 * Q, t1 * Q));
        gemm(true, false, 1, Pc, S, 1, Gqp);
      }
    }
    return this.finish(W, Gqp);
  }

  /** Packed products of B's columns, Q × P: row (i,j), column (a,b) is B[a,i]B[b,j] + B[b,i]B[a,j] (a < b). */
  private columnProducts(B: Mat): Mat {
    const { d, P } = this;
    const k = B.cols;
    const Q = (k * (k + 1)) / 2;
    const b = B.data;
    const pk = zeros(Q, P);
    let q = 0;
    for (let i = 0; i < k; i++)
      for (let j = i; j < k; j++, q++) {
        let p = 0;
        for (let a = 0; a < d; a++)
          for (let c = a; c < d; c++, p++) {
            pk.data[q * P + p] =
              a === c
                ? b[a * k + i] * b[a * k + j]
                : b[a * k + i] * b[c * k + j] + b[c * k + i] * b[a * k + j];
          }
      }
    return pk;
  }

  /** Solve the dk × dk normal equations assembled from Gqp = Σ_t pairs(w_t) ⊗ S_t and heads W. */
  private finish(W: Mat, Gqp: Mat): Mat {
    const { d, P } = this;
    const k = W.cols;
    const n = d * k;
    const G = zeros(n, n);
    for (let a = 0; a < d; a++)
      for (let b = 0; b < d; b++) {
        const p = a <= b ? packedIndex(d, a, b) : packedIndex(d, b, a);
        for (let i = 0; i < k; i++)
          for (let j = 0; j < k; j++) {
            const q = i <= j ? packedIndex(k, i, j) : packedIndex(k, j, i);
            G.data[(a * k + i) * n + b * k + j] = Gqp.data[q * P + p];
          }
      }
    const rhs = gemm(true, false, 1, this.C, W, 0, zeros(d, k));
    const b = rhs.data;
    let x: Float64Array;
    try {
      x = choleskySolve(cholesky(G), b);
    } catch (e) {
      if (!(e instanceof NotPositiveDefiniteError)) throw e;
      x = lstsq(G, b).x;
    }
    return matFrom(d, k, x);
  }
}

/**
 * AltMin, exact alternating least squares (SPEC §1.3; Thekumparampil et al. 2021, Jain et al.):
 * from `B_0` = MoM (default; `init: "random"` for a random orthonormal basis), repeat `iters`
 * rounds (default 50, as the NumPy reference) of
 * 1. heads `w_t = argmin_w ‖y_t − X_t B w‖²` (per-task least squares: `taskHeads` on the rows, or
 *    from the stored Grams, `BStep.heads`, when n_t·d·k exceeds d(d+1)/2·k(k+1)/2);
 * 2. `B = argmin_B Σ_t ‖y_t − X_t B w_t‖²` (the dk × dk system of `BStep`);
 * 3. `B ← orth(B)` (thin QR).
 * With `tol > 0` it stops once dist(B_t, B_{t−1}) ≤ tol. Cost per round O(N·d·k + T·d²k² + (dk)³);
 * the per-task Grams S_t (T·d(d+1)/2 doubles) are computed once when they fit in 64 MiB, otherwise
 * recomputed in chunks each round (O(N·d²)).
 */
export function altMinEstimate(
  data: MultiTaskData,
  k: number,
  options: EstimatorOptions,
  ctx: EstimatorContext,
): RepresentationFit {
  const iters = options.iters ?? 50;
  const tol = options.tol ?? 0;
  // The start only needs to be near the fixed point: MoM eigenvectors to eigTol 1e-3 suffice.
  let B = initialBasis(data, k, { eigTol: 1e-3, ...options }, ctx);
  const step = new BStep(data);
  const gramHeads = step.gramHeadsPay(k);
  let t = 0;
  let change: number | null = null;
  let converged: boolean | null = tol > 0 ? false : null;
  while (t < iters) {
    if (ctx.signal?.aborted) throw new AbortedError(`altmin: stopped at round ${t + 1}`);
    const next = orthonormalize(step.solve(gramHeads ? step.heads(B) : taskHeads(data, B)));
    t++;
    if (tol > 0) {
      change = subspaceDistance(next, B);
      B = next;
      if (change <= tol) {
        converged = true;
        break;
      }
    } else B = next;
  }
  return { method: "altmin", B, iterations: t, converged, status: "ok", info: { lastChange: change } };
}
