import { eighSym, topKEigh } from "../../linalg/eigh.js";
import { GEMM_KC, gemm, type Operand, type PinnedMat, syrkWeighted } from "../../linalg/gemm.js";
import { type Mat, matFrom, zeros } from "../../linalg/mat.js";
import {
  type FewShotModel,
  STREAM_CHUNK_ROWS,
  type StreamOptions,
  streamSourceTasksPinned,
} from "../../models/fewShotTasks.js";
import { type MultiTaskData, totalRows } from "../../models/multiTaskData.js";
import type { Key } from "../../rng/key.js";
import type { EstimatorOptions, RepresentationFit } from "./types.js";

/** Rows per chunk of the operator: a 256 × d slab of X stays in cache between its two products. */
const CHUNK = 256;
/** Applications of a k-column block before MoM widens it (see `momEstimate`). */
const FAST_ITERATIONS = 30;

/**
 * The method-of-moments matrix of Tripuraneni et al. (2021), `M̂ = (1/N) Σ_i y_i² x_i x_iᵀ` over all
 * N = Σ_t n_t source rows, minus `shift·I`, as a block operator `V ↦ (M̂ − shift·I) V` that never
 * forms the d × d matrix: per chunk of rows, `U = X_c V`, `U ← diag(y²/N) U`, `out += X_cᵀ U`
 * (two products through `gemm`), so one application costs 2·N·d·b for a d × b block.
 */
export function momOperator(data: MultiTaskData, shift = 0): (V: Mat, out: Mat) => void {
  const { d, X, y } = data;
  const N = totalRows(data);
  const w = new Float64Array(N);
  for (let i = 0; i < N; i++) w[i] = (y[i] * y[i]) / N;
  let U = zeros(CHUNK, 1);
  return (V: Mat, out: Mat): void => {
    const b = V.cols;
    if (U.cols !== b) U = zeros(CHUNK, b);
    out.data.fill(0);
    for (let r0 = 0; r0 < N; r0 += CHUNK) {
      const rows = Math.min(CHUNK, N - r0);
      const Xc = matFrom(rows, d, X.subarray(r0 * d, (r0 + rows) * d));
      const Uc = rows === CHUNK ? U : matFrom(rows, b, U.data.subarray(0, rows * b));
      gemm(false, false, 1, Xc, V, 0, Uc);
      const u = Uc.data;
      for (let i = 0; i < rows; i++) {
        const s = w[r0 + i];
        for (let j = 0; j < b; j++) u[i * b + j] *= s;
      }
      gemm(true, false, 1, Xc, Uc, 1, out);
    }
    if (shift !== 0) for (let i = 0; i < out.data.length; i++) out.data[i] -= shift * V.data[i];
  };
}

/**
 * Cost rule (DESIGN, "Performance rules"): form M̂ or iterate on products with X?
 * - forming: one weighted symmetric rank-N update, N·d²/2 multiply-adds (`syrkWeighted`), then a
 *   dense d × d eigenproblem, about 9·d³ (Householder tridiagonalisation and implicit QL);
 * - iterating: each application of the k-column block costs 2·N·d·k, and even with the shift the
 *   fewest applications seen are ~13 (d=100, k=5, N=160000; few rows need ~90).
 * So form when N·d²/2 + 9·d³ ≤ 13 · 2·N·d·k, i.e. for many rows unless d > 52·k; iterate when rows
 * are few next to d (the d³ term dominates) or k is tiny next to d. d=100, k=5, N=160000:
 * 0.8 + 0.009 GFLOP formed vs ≥ 2.1 iterated.
 */
export function momFormsMatrix(N: number, d: number, k: number): boolean {
  return (N * d * d) / 2 + 9 * d * d * d <= 13 * 2 * N * d * k;
}

/**
 * Streaming accumulator of the method-of-moments matrix `M̂ = (1/N) Σ_i y_i² x_i x_iᵀ` for N rows
 * announced up front: `add` takes rows chunk by chunk (one weighted rank-`rows` update each, weights
 * y²/N), so the rows need never be held together; memory is the d × d matrix. Also accumulates
 * `s = (1/N) Σ y²`, the isotropic level that `momEstimate` reports as `shift`.
 */
/** Rows per kernel call when M̂ is formed from rows held in JS (3.3 MB of X at d = 100). */
export const MOM_BLOCK_ROWS = 32 * GEMM_KC;

export class MomAccumulator {
  readonly d: number;
  readonly N: number;
  /** M̂ so far (d × d, exactly symmetric). */
  readonly M: Mat;
  private sumY2 = 0;
  private seen = 0;
  private w = new Float64Array(0);

  constructor(d: number, N: number) {
    this.d = d;
    this.N = N;
    this.M = zeros(d, d);
  }

  /** Add `rows` rows: X row-major `rows × d` from element `offset`, labels y from `yOffset`. */
  add(X: Float64Array, y: Float64Array, rows: number, offset = 0, yOffset = 0): void {
    this.addRows({ rows, cols: this.d, data: X, offset, stride: this.d }, y, rows, yOffset);
  }

  /** `add` with X pinned in the kernel module's memory (read there in place). */
  addPinned(X: PinnedMat, y: Float64Array, rows: number): void {
    this.addRows({ rows, cols: this.d, at: X.at, stride: X.stride }, y, rows, 0);
  }

  private addRows(X: Operand, y: Float64Array, rows: number, yOffset: number): void {
    if (rows === 0) return;
    if (this.w.length < rows) this.w = new Float64Array(rows);
    const w = this.w.subarray(0, rows);
    for (let i = 0; i < rows; i++) {
      const v = y[yOffset + i];
      this.sumY2 += v * v;
      w[i] = (v * v) / this.N;
    }
    if ("at" in X) syrkWeighted(1, X, w, 1, this.M);
    else {
      // Rows held in JS go through the kernel module MOM_BLOCK_ROWS at a time: one call would copy
      // all of X into the module's memory, which never shrinks (384 MB of X at n1·T = 480,000,
      // d = 100, resident in that thread for the rest of a reproduction). Blocks of a multiple of
      // GEMM_KC rows give the same bits: the kernel adds one partial sum per GEMM_KC rows to M̂.
      for (let r0 = 0; r0 < rows; r0 += MOM_BLOCK_ROWS) {
        const r = Math.min(MOM_BLOCK_ROWS, rows - r0);
        syrkWeighted(
          1,
          { ...X, rows: r, offset: X.offset + r0 * X.stride },
          w.subarray(r0, r0 + r),
          1,
          this.M,
        );
      }
    }
    this.seen += rows;
  }

  /**
   * M̂ of the first N rows, when they are all that was added and this.N / N is a power of two:
   * the weights y²/this.N are then exactly y²/N scaled by a power of two (as every product and sum
   * of the kernel), so M̂ of the prefix is the accumulated matrix times this.N / N, with the bits of
   * an accumulator announced with N rows (one pass serves nested sample sizes).
   */
  prefix(N: number): MomAccumulator {
    const r = this.N / N;
    if (this.seen !== N || !Number.isInteger(r) || r < 1 || (r & (r - 1)) !== 0) {
      throw new RangeError(
        `MomAccumulator.prefix: needs all of N = ${N} rows added (${this.seen} were) and ${this.N}/N a power of two`,
      );
    }
    const out = new MomAccumulator(this.d, N);
    for (let i = 0; i < this.M.data.length; i++) out.M.data[i] = this.M.data[i] * r;
    out.sumY2 = this.sumY2;
    out.seen = N;
    return out;
  }

  /** `s = (1/N) Σ y²` over the rows added so far. */
  shift(): number {
    return this.sumY2 / this.N;
  }

  /** B̂ = the top-k eigenvectors of M̂ (dense eigenproblem); all N rows must have been added. */
  estimate(k: number): RepresentationFit {
    if (this.seen !== this.N) {
      throw new RangeError(`MomAccumulator: ${this.seen} rows were added; N = ${this.N} were announced`);
    }
    const { d, M } = this;
    const shift = this.shift();
    const { values, vectors } = eighSym(M);
    const B = zeros(d, k);
    for (let a = 0; a < d; a++) for (let c = 0; c < k; c++) B.data[a * k + c] = vectors.data[a * d + c];
    // Residual as topKEigh reports it: max ‖(M̂ − sI)v − (θ − s)v‖ over the k pairs, relative to
    // max |θ − s| (a backward-stable dense solver gives ~ε·‖M̂‖).
    const MB = gemm(false, false, 1, M, B, 0, zeros(d, k));
    let res = 0;
    let scale = 0;
    for (let c = 0; c < k; c++) {
      let r2 = 0;
      for (let a = 0; a < d; a++) {
        const r = MB.data[a * k + c] - values[c] * B.data[a * k + c];
        r2 += r * r;
      }
      res = Math.max(res, Math.sqrt(r2));
      scale = Math.max(scale, Math.abs(values[c] - shift));
    }
    const info: Record<string, number | null> = { shift, residual: scale > 0 ? res / scale : res };
    for (let i = 0; i < k; i++) info[`eigenvalue${i + 1}`] = values[i];
    return { method: "mom", B, iterations: 0, converged: true, status: "ok", info };
  }
}

/** M̂ of held data, accumulated in chunks of `STREAM_CHUNK_ROWS` rows (never copying all of X). */
export function momMatrix(data: MultiTaskData): MomAccumulator {
  const N = totalRows(data);
  const acc = new MomAccumulator(data.d, N);
  for (let r0 = 0; r0 < N; r0 += STREAM_CHUNK_ROWS) {
    const rows = Math.min(STREAM_CHUNK_ROWS, N - r0);
    acc.add(data.X, data.y, rows, r0 * data.d, r0);
  }
  return acc;
}

/**
 * Method of moments (Tripuraneni et al. 2021; SPEC §1.3): `B̂` = the top-k eigenvectors of
 * `M̂ = (1/N) Σ y² x xᵀ`, whose expectation for Gaussian x is
 * `2B*(1/T Σ w*w*ᵀ)B*ᵀ + (1/T Σ‖w*‖² + σ²) I`.
 *
 * Two algorithms, chosen by `momFormsMatrix` (the cost rule beside it): form M̂ with one weighted
 * rank-N update streamed over row chunks (`MomAccumulator`) and solve the d × d eigenproblem
 * exactly; or, when rows are few next to d, top-k only by `topKEigh` (block subspace iteration
 * with Rayleigh–Ritz) on the block operator of `momOperator`, which never forms M̂. On that path
 * the isotropic part is shifted out first: with `s = mean(y²)`, the empirical estimate of
 * `1/T Σ‖w*‖² + σ²`, the operator `M̂ − sI` has the same eigenvectors and order, but its bulk sits
 * around 0 instead of s, so each iteration contracts the error by about |bulk edge − s| / (λ_k − s)
 * instead of (bulk edge)/λ_k (≈ 0.3 vs 0.8 at d=100, k=5, N=160000) — the difference between 13
 * and 70 operator applications.
 *
 * Options: `eigTol` (iterative path: Ritz residual relative to max|θ| of M̂ − sI, default 1e-6: the
 * eigenvectors are then accurate to about eigTol·(λ₁ − s)/gap, ~1e-5 — far below the estimator's
 * statistical error; the formed path is exact to rounding). `info.eigenvalue1…k` are the top-k
 * eigenvalues of M̂.
 */
export function momEstimate(
  data: MultiTaskData,
  k: number,
  options: EstimatorOptions = {},
): RepresentationFit {
  const N = totalRows(data);
  if (momFormsMatrix(N, data.d, k)) return momMatrix(data).estimate(k);
  let shift = 0;
  for (let i = 0; i < N; i++) shift += data.y[i] * data.y[i];
  shift /= N;
  const op = momOperator(data, shift);
  const tol = options.eigTol ?? 1e-6;
  // A block of k converges fast when the top-k eigenvalues stand out; when they do not (few rows,
  // so λ_k ≈ λ_{k+1}), restart from where it got with a wider block, whose rate λ_{2k+1}/λ_k does
  // not hinge on that one gap (d=100, k=5, N=10000: 888 applications of a 5-column block, or
  // 30 + ~60 with the restart).
  let res = topKEigh(op, data.d, k, { tol, oversample: 0, maxIter: FAST_ITERATIONS });
  let iterations = res.iterations;
  if (!res.converged) {
    res = topKEigh(op, data.d, k, { tol, oversample: Math.max(5, k), maxIter: 2000, init: res.vectors });
    iterations += res.iterations;
  }
  const info: Record<string, number | null> = { shift, residual: res.residual };
  for (let i = 0; i < k; i++) info[`eigenvalue${i + 1}`] = res.values[i] + shift;
  return {
    method: "mom",
    B: res.vectors,
    iterations,
    converged: res.converged,
    status: "ok",
    info,
  };
}

/**
 * The method of moments on source tasks that are drawn, not held: the rows of
 * `sampleSourceTasks(model, T, n1, key)` (same draws) stream through a `MomAccumulator`, so memory
 * is O(d² + chunk·d) for any T·n1 (1.92 M rows at d=100: 80 KB for M̂, 3.3 MB per chunk, instead of
 * 1.5 GB for X). Always forms M̂ (streaming is what forming allows); returns the fit with B* and W*.
 */
export function momStreamed(
  model: FewShotModel,
  T: number,
  n1: number,
  key: Key,
  options: StreamOptions = {},
): { fit: RepresentationFit; Bstar: Mat; W: Mat } {
  const acc = new MomAccumulator(model.d, T * n1);
  const { Bstar, W } = streamSourceTasksPinned(
    model,
    T,
    n1,
    key,
    (X, y, rows) => acc.addPinned(X, y, rows),
    options,
  );
  return { fit: acc.estimate(model.k), Bstar, W };
}

/**
 * `momStreamed` at several nested numbers of tasks Ts (ascending; the last over T = max, each
 * max/T a power of two and each T < max a whole number of chunks): one pass over the rows of the
 * largest, M̂ of each prefix read off on the way (`MomAccumulator.prefix`), with the bits of a
 * pass at that T alone with the same chunks (the draws of T tasks are those of the first T of
 * more, `fewShotKeys`). Returns one fit per T, with B* and the largest T's heads W*.
 */
export function momStreamedPrefixes(
  model: FewShotModel,
  Ts: readonly number[],
  n1: number,
  key: Key,
  options: StreamOptions = {},
): { fits: RepresentationFit[]; Bstar: Mat; W: Mat } {
  const Tmax = Ts[Ts.length - 1];
  const acc = new MomAccumulator(model.d, Tmax * n1);
  const fits: RepresentationFit[] = [];
  const { Bstar, W } = streamSourceTasksPinned(
    model,
    Tmax,
    n1,
    key,
    (X, y, rows, firstTask) => {
      acc.addPinned(X, y, rows);
      const end = firstTask + rows / n1;
      while (fits.length < Ts.length - 1 && Ts[fits.length] <= end) {
        if (Ts[fits.length] !== end) {
          throw new RangeError(
            `momStreamedPrefixes: T = ${Ts[fits.length]} is inside a chunk (tasks up to ${end})`,
          );
        }
        fits.push(acc.prefix(end * n1).estimate(model.k));
      }
    },
    options,
  );
  fits.push(acc.estimate(model.k));
  return { fits, Bstar, W };
}
