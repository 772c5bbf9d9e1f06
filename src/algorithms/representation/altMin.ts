import { AbortedError } from "../../errors.js";
import { cholesky, choleskySolve } from "../../linalg/cholesky.js";
import { NotPositiveDefiniteError } from "../../linalg/errors.js";
import { gemm, gemmStrided, type PinnedMat, pinned, release, strided } from "../../linalg/gemm.js";
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

/**
 * Packed upper triangles of S_t = X_tᵀX_t for tasks t0 .. t1 − 1 into rows of `out` (width d(d+1)/2).
 * Each entry is summed in a register from 0 over the task's rows in order, the sum the row-by-row
 * `out[p] += x_a x_b` gave (same bits), with 2 × 2 blocks of entries sharing their loads: a
 * quarter of AltMin's time at d = 20, T = 400, n1 = 25 went to that loop (issue 22).
 */
export function packedGrams(data: MultiTaskData, t0: number, t1: number, out: Float64Array): void {
  const { d, start, X } = data;
  const P = (d * (d + 1)) / 2;
  for (let t = t0; t < t1; t++) {
    const o = (t - t0) * P;
    const i0 = start[t] * d;
    const i1 = start[t + 1] * d;
    let a = 0;
    for (; a + 1 < d; a += 2) {
      // Rows a and a + 1 of the triangle: a's entries start at p0, a + 1's at p1 (its b = a + 1).
      const p0 = o + packedIndex(d, a, a);
      const p1 = o + packedIndex(d, a + 1, a + 1);
      let d00 = 0;
      let d01 = 0;
      let d11 = 0;
      for (let r = i0; r < i1; r += d) {
        const x0 = X[r + a];
        const x1 = X[r + a + 1];
        d00 += x0 * x0;
        d01 += x0 * x1;
        d11 += x1 * x1;
      }
      out[p0] = d00;
      out[p0 + 1] = d01;
      out[p1] = d11;
      let b = a + 2;
      for (; b + 1 < d; b += 2) {
        let g00 = 0;
        let g01 = 0;
        let g10 = 0;
        let g11 = 0;
        for (let r = i0; r < i1; r += d) {
          const x0 = X[r + a];
          const x1 = X[r + a + 1];
          const z0 = X[r + b];
          const z1 = X[r + b + 1];
          g00 += x0 * z0;
          g01 += x0 * z1;
          g10 += x1 * z0;
          g11 += x1 * z1;
        }
        out[p0 + b - a] = g00;
        out[p0 + b + 1 - a] = g01;
        out[p1 + b - a - 1] = g10;
        out[p1 + b - a] = g11;
      }
      if (b < d) {
        let g0 = 0;
        let g1 = 0;
        for (let r = i0; r < i1; r += d) {
          const z = X[r + b];
          g0 += X[r + a] * z;
          g1 += X[r + a + 1] * z;
        }
        out[p0 + b - a] = g0;
        out[p1 + b - a - 1] = g1;
      }
    }
    if (a < d) {
      // The last row of an odd d: its one entry (a, a).
      let g = 0;
      for (let r = i0; r < i1; r += d) g += X[r + a] * X[r + a];
      out[o + packedIndex(d, a, a)] = g;
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
  /** The stored Grams pinned in the kernel memory (`pin`), read there by the products. */
  private pinnedGrams: PinnedMat | null = null;
  /** `G`'s entry (a·k + i, b·k + j) is Gqp[qOf[i·k + j]·P + pOf[a·d + b]] (`finish`). */
  private readonly pOf: Int32Array;

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
    this.pOf = new Int32Array(d * d);
    for (let a = 0; a < d; a++)
      for (let b = 0; b < d; b++) this.pOf[a * d + b] = a <= b ? packedIndex(d, a, b) : packedIndex(d, b, a);
    // C = rows c_t = X_tᵀ y_t (T × d), each entry summed in a register from 0 in row order.
    this.C = zeros(tasks, d);
    const c = this.C.data;
    for (let t = 0; t < tasks; t++) {
      for (let a = 0; a < d; a++) {
        let s = 0;
        for (let i = start[t]; i < start[t + 1]; i++) s += X[i * d + a] * y[i];
        c[t * d + a] = s;
      }
    }
  }

  /**
   * Pin the stored Grams in the kernel memory until `release()` (a fit's rounds): the products read
   * them in place instead of copying T·d(d+1)/2 doubles in twice a round (same bits). Release in a
   * `finally`, last pinned first.
   */
  pin(): void {
    if (this.grams && !this.pinnedGrams)
      this.pinnedGrams = pinned(matFrom(this.data.tasks, this.P, this.grams));
  }

  release(): void {
    if (this.pinnedGrams) release(this.pinnedGrams);
    this.pinnedGrams = null;
  }

  /** Product with the stored Grams (T × P) as B, pinned when they are. */
  private withGrams(transA: boolean, transB: boolean, A: Mat, C: Mat): Mat {
    const G = this.pinnedGrams ?? strided(matFrom(this.data.tasks, this.P, this.grams!));
    gemmStrided(transA, transB, 1, strided(A), G, 0, strided(C));
    return C;
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
    const { data } = this;
    const T = data.tasks;
    const k = B.cols;
    const Q = (k * (k + 1)) / 2;
    const pk = this.columnProducts(B);
    const H = this.withGrams(false, true, pk, zeros(Q, T)); // Q × T
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
      this.withGrams(true, false, pairs, Gqp);
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
    const { d, P, pOf } = this;
    const k = W.cols;
    const n = d * k;
    const G = zeros(n, n);
    const qP = new Int32Array(k * k);
    for (let i = 0; i < k; i++)
      for (let j = 0; j < k; j++) qP[i * k + j] = (i <= j ? packedIndex(k, i, j) : packedIndex(k, j, i)) * P;
    const g = G.data;
    const src = Gqp.data;
    for (let a = 0; a < d; a++)
      for (let b = 0; b < d; b++) {
        const p = pOf[a * d + b];
        for (let i = 0; i < k; i++) {
          const row = (a * k + i) * n + b * k;
          for (let j = 0; j < k; j++) g[row + j] = src[qP[i * k + j] + p];
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
  step.pin();
  try {
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
  } finally {
    step.release();
  }
  return { method: "altmin", B, iterations: t, converged, status: "ok", info: { lastChange: change } };
}
