import { ParamError } from "../errors.js";
import { gemm, type PinnedMat } from "../linalg/gemm.js";
import { exp, log } from "../linalg/libm.js";
import { type Mat, zeros } from "../linalg/mat.js";
import { orthonormalize } from "../linalg/qr.js";
import { f64, pin, unpin } from "../linalg/wasm/kernels.js";
import { foldIn, type Key, split } from "../rng/key.js";
import { type Stream, stream } from "../rng/stream.js";
import { checkSpectrum } from "./covariance.js";
import { sampleGroundTruth } from "./linearRepresentation.js";
import { equalOffsets, type MultiTaskData } from "./multiTaskData.js";
import type { Covariates } from "./taskFamilies.js";

/**
 * Source and target tasks of the two-stage few-shot setting of Du et al. (ICLR 2021), SPEC §1.3,
 * in the multi-task linear representation model: `B* ∈ R^{d×k}` orthonormal, task t with head
 * `w*_t`, rows `x ~ N(0, I_d)` (or N(0, Σ_src), N(0, Σ_tgt) with `covSrc`, `covTgt`), labels `y = ⟨B*w*_t, x⟩ + σz`. T source tasks × n1 rows are
 * materialised (X, y) for the estimators; target tasks (n2 rows each) are drawn one at a time.
 */
export interface FewShotModel {
  d: number;
  k: number;
  /** Label noise σ. */
  sigma: number;
  heads: HeadDesign;
  /**
   * Source input covariance Σ_src, diagonal, as its d variances (`covariance.ts`); absent = I_d.
   * Source rows are x = diag(√v) z, z ~ N(0, I_d) (the same normals as without it, scaled).
   */
  covSrc?: readonly number[] | Float64Array;
  /**
   * Target input covariance Σ_tgt, diagonal, as its d variances; absent = I_d. The target excess
   * risk is then ‖Σ_tgt^{1/2}(B̂ŵ − B*w*)‖² (`targetExcessRisks`). Du et al.'s factor c (the
   * largest c with c·Σ_tgt ⪯ Σ_src) is `diagonalCovarianceDominance(covSrc, covTgt)` (theory/).
   */
  covTgt?: readonly number[] | Float64Array;
  /**
   * The inputs' law from a task family (`taskFamilies.ts`, made by `familyCovariates`), for source
   * and target tasks alike; absent = x ~ N(0, I_d). Not together with `covSrc`/`covTgt`. Each row
   * is then x from `covariates.draw` (one row per call) followed by its z, from the same stream: with
   * the isotropic family the bytes of no family. The target excess risk needs `covariates.covariance`.
   */
  covariates?: Covariates;
  /** Id of the family of `covariates`, for messages. */
  family?: string;
}

/**
 * How the true heads are drawn (the "task diversity" assumption of Du et al.: σ_k(W*)² ≳ T/k):
 * - `gaussian`: `w ~ N(0, scale² I_k)` (Du et al.; the NumPy reference's `identity`);
 * - `scaled`: `w ~ N(0, scale² I_k / k)` (Tripuraneni et al.; the reference's `scaled`), so
 *   `E‖w‖² = scale²`;
 * - `condition`: the T × k source head matrix has condition number exactly `kappa`:
 *   `W* = √T · U diag(s) Vᵀ` with U (T × k) and V (k × k) uniformly random orthonormal and
 *   `s_i ∝ kappa^{−(i−1)/(k−1)}` scaled so `‖W*‖²_F / T = k·scale²` (the gaussian design's
 *   `E‖w‖²`); κ = 1 gives perfectly diverse tasks, large κ tasks that barely use one direction.
 *   Target heads are then isotropic `N(0, scale² I_k)`: a new task may point anywhere.
 */
export type HeadDesign =
  | { kind: "gaussian"; scale: number }
  | { kind: "scaled"; scale: number }
  | { kind: "condition"; scale: number; kappa: number };

export const HEAD_KINDS = ["gaussian", "scaled", "condition"] as const;

/** Materialised source tasks: the truth, the true heads (T × k) and the data. */
export interface SourceTasks {
  Bstar: Mat;
  /** True heads W*, T × k, row t is w*_t. */
  W: Mat;
  data: MultiTaskData;
}

/** One target task: its true head and n2 rows. */
export interface TargetTask {
  wStar: Float64Array;
  /** n2 × d, row-major. */
  X: Float64Array;
  y: Float64Array;
  n: number;
}

/**
 * The key layout of a few-shot run: ground truth, source heads, source data, targets. Source task
 * t draws from `foldIn(source, t)` and target j from `foldIn(targets, j)`, row by row (x then z), so
 * the data of T tasks × n1 rows is a prefix of the data of T' ≥ T tasks × n1' ≥ n1 rows (nested
 * sweeps), and every method sees the same targets (paired comparisons).
 */
export function fewShotKeys(key: Key): { truth: Key; heads: Key; source: Key; targets: Key } {
  const [truth, heads, source, targets] = split(key, 4);
  return { truth, heads, source, targets };
}

function checkModel(m: FewShotModel): void {
  const ctx = "few-shot model";
  if (!Number.isInteger(m.d) || m.d < 1) throw new ParamError(ctx, "d", "must be an integer ≥ 1", m.d);
  if (!Number.isInteger(m.k) || m.k < 1 || m.k > m.d) {
    throw new ParamError(ctx, "k", `must be an integer in [1, d = ${m.d}]`, m.k);
  }
  if (!(m.sigma >= 0) || !Number.isFinite(m.sigma)) {
    throw new ParamError(ctx, "sigma", "must be a finite number ≥ 0", m.sigma);
  }
  const h = m.heads;
  if (!(h.scale > 0) || !Number.isFinite(h.scale)) {
    throw new ParamError(ctx, "head_scale", "must be a finite number > 0", h.scale);
  }
  if (m.covSrc !== undefined) checkSpectrum(ctx, "cov_src", m.covSrc, m.d);
  if (m.covTgt !== undefined) checkSpectrum(ctx, "cov_tgt", m.covTgt, m.d);
  if (m.covariates !== undefined) {
    if (m.covSrc !== undefined || m.covTgt !== undefined) {
      throw new ParamError(
        ctx,
        "family",
        "cannot be combined with cov_src / cov_tgt",
        m.family ?? "(covariates)",
      );
    }
    if (m.covariates.d !== m.d) {
      throw new ParamError(ctx, "family", `covariates must have dimension d = ${m.d}`, m.covariates.d);
    }
  }
  if (h.kind === "condition") {
    if (!(h.kappa >= 1) || !Number.isFinite(h.kappa)) {
      throw new ParamError(ctx, "kappa", "must be a finite number ≥ 1", h.kappa);
    }
    if (m.k === 1 && h.kappa !== 1) {
      throw new ParamError(ctx, "kappa", "must be 1 when k = 1 (one head direction)", h.kappa);
    }
  }
}

/** The singular values of the `condition` design: geometric from s_1 to s_1/κ, Σ s_i² = k·scale². */
export function conditionSingularValues(k: number, kappa: number, scale: number): Float64Array {
  const s = new Float64Array(k);
  let ss = 0;
  for (let i = 0; i < k; i++) {
    s[i] = k === 1 ? 1 : exp((-i / (k - 1)) * log(kappa));
    ss += s[i] * s[i];
  }
  const c = scale * Math.sqrt(k / ss);
  for (let i = 0; i < k; i++) s[i] *= c;
  return s;
}

/** True source heads W* (T × k) under `heads`, from the key's stream (row t = task t). */
export function sampleSourceHeads(key: Key, T: number, k: number, heads: HeadDesign): Mat {
  const s = stream(key);
  const W = zeros(T, k);
  if (heads.kind !== "condition") {
    s.fillNormal(W.data, 0, T * k, heads.kind === "gaussian" ? heads.scale : heads.scale / Math.sqrt(k));
    return W;
  }
  if (T < k) throw new ParamError("few-shot model", "T", `must be ≥ k = ${k} for the condition design`, T);
  const G = zeros(T, k);
  s.fillNormal(G.data);
  const U = orthonormalize(G);
  const H = zeros(k, k);
  s.fillNormal(H.data);
  const V = orthonormalize(H);
  const sv = conditionSingularValues(k, heads.kappa, heads.scale);
  const rootT = Math.sqrt(T);
  for (let t = 0; t < T; t++) for (let c = 0; c < k; c++) U.data[t * k + c] *= rootT * sv[c];
  // W* = (√T U diag(s)) Vᵀ.
  return gemm(false, true, 1, U, V, 0, W);
}

/**
 * Rows of one task from stream `s`: for each row, d normals (x) then one (z); y = ⟨θ, x⟩ + σz.
 * Writes n rows at row offset `row` of X (width d) and y. With `sd` (standard deviations of a
 * diagonal covariance) x_a = sd_a·z_a: the same normals, scaled. With a task family's `covariates`,
 * each row's x comes from the family (one row per call), then its z.
 */
function drawRows(
  s: Stream,
  theta: Float64Array,
  sigma: number,
  n: number,
  X: Float64Array,
  y: Float64Array,
  row: number,
  scratch: Float64Array,
  sd: Float64Array | null = null,
  covariates?: Covariates,
): void {
  const d = theta.length;
  if (covariates) {
    // Row by row, x then z, as the isotropic layout below: the same stream positions.
    for (let i = 0; i < n; i++) {
      const dst = (row + i) * d;
      covariates.draw(s, 1, X, dst);
      s.fillNormal(scratch, 0, 1);
      let acc = 0;
      for (let a = 0; a < d; a++) acc += X[dst + a] * theta[a];
      y[row + i] = acc + sigma * scratch[0];
    }
    return;
  }
  const w = d + 1;
  s.fillNormal(scratch, 0, n * w);
  if (sd) {
    for (let i = 0; i < n; i++) {
      const src = i * w;
      const dst = (row + i) * d;
      let acc = 0;
      for (let a = 0; a < d; a++) {
        const x = sd[a] * scratch[src + a];
        X[dst + a] = x;
        acc += x * theta[a];
      }
      y[row + i] = acc + sigma * scratch[src + d];
    }
    return;
  }
  for (let i = 0; i < n; i++) {
    const src = i * w;
    const dst = (row + i) * d;
    let acc = 0;
    for (let a = 0; a < d; a++) {
      const x = scratch[src + a];
      X[dst + a] = x;
      acc += x * theta[a];
    }
    y[row + i] = acc + sigma * scratch[src + d];
  }
}

/**
 * A block of `capacity` rows (X, y) and θ pinned in the kernel module's memory, where `drawRows`
 * of linalg/wasm/kernels.as draws rows exactly as `drawRows` above does without covariance (the
 * same normals, the same y bits), with no pass in JS over the normals.
 */
function pinnedRows(capacity: number, d: number) {
  const xAt = pin(8 * (capacity * d + capacity + d));
  const yAt = xAt + 8 * capacity * d;
  const thetaAt = yAt + 8 * capacity;
  return {
    xAt,
    yAt,
    /** Draw n rows at row `row` of the block from stream `s`. */
    draw(s: Stream, theta: Float64Array, sigma: number, n: number, row = 0): void {
      f64().set(theta, thetaAt / 8);
      s.inKernel((g) => g.drawRows(xAt + 8 * row * d, yAt + 8 * row, n, d, thetaAt, sigma));
    },
    /** Copy the first n rows out to X from element `xOffset` and y from `yOffset`. */
    copyOut(n: number, X: Float64Array | null, xOffset: number, y: Float64Array, yOffset: number): void {
      const mem = f64();
      if (X) X.set(mem.subarray(xAt / 8, xAt / 8 + n * d), xOffset);
      y.set(mem.subarray(yAt / 8, yAt / 8 + n), yOffset);
    },
    release(): void {
      unpin(xAt);
    },
  };
}

/** θ = B* w (length d). */
function regression(Bstar: Mat, w: Float64Array, wOffset: number, out: Float64Array): void {
  const { rows: d, cols: k, data } = Bstar;
  for (let a = 0; a < d; a++) {
    let acc = 0;
    for (let c = 0; c < k; c++) acc += data[a * k + c] * w[wOffset + c];
    out[a] = acc;
  }
}

/**
 * T source tasks × n1 rows of the model, materialised, with B* and the true heads W*: the input of
 * the source stage. Cost: T·n1·(d+1) normals and T·n1·d multiply-adds for the labels.
 *
 * Example: `const src = sampleSourceTasks(model, 400, 25, key(0))` gives src.data.X of 10000 × d.
 */
export function sampleSourceTasks(model: FewShotModel, T: number, n1: number, key: Key): SourceTasks {
  checkModel(model);
  for (const [name, v] of [
    ["T", T],
    ["n1", n1],
  ] as const) {
    if (!Number.isInteger(v) || v < 1)
      throw new ParamError("few-shot model", name, "must be an integer ≥ 1", v);
  }
  const { d, k, sigma } = model;
  const keys = fewShotKeys(key);
  const Bstar = sampleGroundTruth(keys.truth, d, k);
  const W = sampleSourceHeads(keys.heads, T, k, model.heads);
  const X = new Float64Array(T * n1 * d);
  const y = new Float64Array(T * n1);
  const theta = new Float64Array(d);
  const scratch = new Float64Array(n1 * (d + 1));
  const sd = standardDeviations(model.covSrc);
  if (sd === null && model.covariates === undefined) {
    // The same rows drawn by the kernel module (one task at a time in a pinned block), copied out.
    const rows = pinnedRows(n1, d);
    try {
      for (let t = 0; t < T; t++) {
        regression(Bstar, W.data, t * k, theta);
        rows.draw(stream(foldIn(keys.source, t)), theta, sigma, n1);
        rows.copyOut(n1, X, t * n1 * d, y, t * n1);
      }
    } finally {
      rows.release();
    }
    return { Bstar, W, data: { d, tasks: T, start: equalOffsets(T, n1), X, y } };
  }
  for (let t = 0; t < T; t++) {
    regression(Bstar, W.data, t * k, theta);
    drawRows(stream(foldIn(keys.source, t)), theta, sigma, n1, X, y, t * n1, scratch, sd, model.covariates);
  }
  return { Bstar, W, data: { d, tasks: T, start: equalOffsets(T, n1), X, y } };
}

/** Rows per chunk of `streamSourceTasks` unless asked otherwise: 4096 × d=100 doubles is 3.3 MB. */
export const STREAM_CHUNK_ROWS = 4096;

/** Options of `streamSourceTasks`. */
export interface StreamOptions {
  /** Rows per chunk, rounded down to whole tasks (at least one task per chunk). */
  chunkRows?: number;
  /**
   * Called with the length (in doubles) of every buffer the sampler allocates: tests assert on it
   * that no N × d array is made (the largest is one chunk).
   */
  onAllocate?: (length: number) => void;
}

/**
 * The rows of `sampleSourceTasks(model, T, n1, key)` — the same draws, bit for bit — handed out in
 * chunks of whole tasks instead of materialised: `visit(X, y, rows, firstTask)` gets a row-major
 * `rows × d` block at the start of X (the buffer is reused by the next chunk). Memory is one chunk,
 * O(chunkRows·d), whatever T·n1 is: a consumer that keeps only sufficient statistics (the method of
 * moments keeps M̂, d × d) never holds X. Returns B* and the true heads W* (T × k).
 */
export function streamSourceTasks(
  model: FewShotModel,
  T: number,
  n1: number,
  key: Key,
  visit: (X: Float64Array, y: Float64Array, rows: number, firstTask: number) => void,
  options: StreamOptions = {},
): { Bstar: Mat; W: Mat } {
  let X: Float64Array | null = null;
  return streamSourceTasksPinned(
    model,
    T,
    n1,
    key,
    (Xk, y, rows, firstTask) => {
      if (X === null) {
        X = new Float64Array(Xk.rows * model.d);
        options.onAllocate?.(X.length);
      }
      X.set(f64().subarray(Xk.at / 8, Xk.at / 8 + rows * model.d));
      visit(X, y, rows, firstTask);
    },
    options,
  );
}

/**
 * `streamSourceTasks` with each chunk's X left pinned in the kernel module's memory (`Xk`: the
 * chunk's `rows × d` block, row-major, valid during the call), for consumers whose products read it
 * there in place (the method of moments' weighted rank-k update): no copy of X at all.
 */
export function streamSourceTasksPinned(
  model: FewShotModel,
  T: number,
  n1: number,
  key: Key,
  visit: (Xk: PinnedMat, y: Float64Array, rows: number, firstTask: number) => void,
  options: StreamOptions = {},
): { Bstar: Mat; W: Mat } {
  checkModel(model);
  for (const [name, v] of [
    ["T", T],
    ["n1", n1],
  ] as const) {
    if (!Number.isInteger(v) || v < 1)
      throw new ParamError("few-shot model", name, "must be an integer ≥ 1", v);
  }
  const chunkRows = options.chunkRows ?? STREAM_CHUNK_ROWS;
  if (!Number.isInteger(chunkRows) || chunkRows < 1) {
    throw new ParamError("few-shot stream", "chunkRows", "must be an integer ≥ 1", chunkRows);
  }
  if (model.covariates !== undefined || model.covSrc !== undefined) {
    // The streamed rows are drawn by the kernel module as x ~ N(0, I_d): say so rather than
    // stream other data than `sampleSourceTasks` would give.
    throw new ParamError(
      "few-shot stream",
      model.covariates !== undefined ? "family" : "cov_src",
      "is not supported by the streamed sampler (isotropic x only); use sampleSourceTasks",
      model.family ?? "cov_src",
    );
  }
  const { d, k, sigma } = model;
  const keys = fewShotKeys(key);
  const Bstar = sampleGroundTruth(keys.truth, d, k);
  const W = sampleSourceHeads(keys.heads, T, k, model.heads);
  const tasksPerChunk = Math.max(1, Math.min(T, Math.floor(chunkRows / n1)));
  const alloc = (length: number): Float64Array => {
    options.onAllocate?.(length);
    return new Float64Array(length);
  };
  const y = alloc(tasksPerChunk * n1);
  const theta = alloc(d);
  options.onAllocate?.(tasksPerChunk * n1 * d); // the pinned chunk
  const rows = pinnedRows(tasksPerChunk * n1, d);
  try {
    for (let t0 = 0; t0 < T; t0 += tasksPerChunk) {
      const tasks = Math.min(tasksPerChunk, T - t0);
      for (let t = 0; t < tasks; t++) {
        regression(Bstar, W.data, (t0 + t) * k, theta);
        rows.draw(stream(foldIn(keys.source, t0 + t)), theta, sigma, n1, t * n1);
      }
      rows.copyOut(tasks * n1, null, 0, y, 0);
      visit({ rows: tasks * n1, cols: d, at: rows.xAt, stride: d }, y, tasks * n1, t0);
    }
  } finally {
    rows.release();
  }
  return { Bstar, W };
}

/** A reusable target-task buffer for n rows. */
export function allocTargetTask(model: FewShotModel, n: number): TargetTask {
  return {
    wStar: new Float64Array(model.k),
    X: new Float64Array(n * model.d),
    y: new Float64Array(n),
    n,
  };
}

/**
 * Target task j (n rows, n = out.n) of a run: its head from the target head distribution (the
 * source one, isotropic N(0, scale² I_k) for the `condition` design), then its rows, from
 * `foldIn(fewShotKeys(key).targets, j)`. Writes into `out` (allocate with `allocTargetTask`).
 */
export function sampleTargetTask(
  model: FewShotModel,
  Bstar: Mat,
  targetsKey: Key,
  j: number,
  out: TargetTask,
  scratch: Float64Array = new Float64Array(out.n * (model.d + 1)),
): TargetTask {
  const { k, sigma } = model;
  const s = stream(foldIn(targetsKey, j));
  const h = model.heads;
  s.fillNormal(out.wStar, 0, k, h.kind === "scaled" ? h.scale / Math.sqrt(k) : h.scale);
  const theta = new Float64Array(model.d);
  regression(Bstar, out.wStar, 0, theta);
  drawRows(
    s,
    theta,
    sigma,
    out.n,
    out.X,
    out.y,
    0,
    scratch,
    standardDeviations(model.covTgt),
    model.covariates,
  );
  return out;
}

/** √v of a diagonal covariance's variances, or null for the identity. */
function standardDeviations(v: readonly number[] | Float64Array | undefined): Float64Array | null {
  if (v === undefined) return null;
  const sd = new Float64Array(v.length);
  for (let a = 0; a < v.length; a++) sd[a] = Math.sqrt(v[a]);
  return sd;
}
