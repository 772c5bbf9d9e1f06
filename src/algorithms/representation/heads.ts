import type { PinnedMat } from "../../linalg/gemm.js";
import { lstsq } from "../../linalg/lstsq.js";
import { type Mat, matFrom, zeros } from "../../linalg/mat.js";
import { dotAt } from "../../linalg/vector.js";
import { f64, kernels, reserve } from "../../linalg/wasm/kernels.js";
import type { MultiTaskData } from "../../models/multiTaskData.js";

/**
 * Heads by least squares on a frozen representation (SPEC §1.3 stage 2, and the head step of
 * AltMin): `ŵ = argmin_w ‖y − X B w‖² + λ‖w‖²` for one task's rows, in k dimensions.
 * Normal equations `(AᵀA + λI) w = Aᵀy` with `A = XB` (n × k), solved by a k × k Cholesky; when a
 * pivot is below 1e-12 of the largest diagonal entry (fewer rows than k, or collinear rows) the
 * minimum-norm least-squares solution (`lstsq`, SVD) is used instead, so every case is defined.
 */

/** Bᵀ (k × d, row-major) so each entry of XB is a contiguous dot product. */
export function transposeBasis(B: Mat): Float64Array {
  const { rows: d, cols: k, data } = B;
  const Bt = new Float64Array(k * d);
  for (let a = 0; a < d; a++) for (let c = 0; c < k; c++) Bt[c * d + a] = data[a * k + c];
  return Bt;
}

/** out (n × k) = X[row0 .. row0+n) B, from Bt (k × d). */
export function projectRows(
  X: Float64Array,
  row0: number,
  n: number,
  d: number,
  Bt: Float64Array,
  k: number,
  out: Float64Array,
): void {
  for (let i = 0; i < n; i++) {
    const o = (row0 + i) * d;
    const r = i * k;
    let c = 0;
    // Two columns per pass over the row: each load of x feeds two multiply-adds.
    for (; c + 1 < k; c += 2) {
      const b0 = c * d;
      const b1 = b0 + d;
      let s0 = 0;
      let s1 = 0;
      let t0 = 0;
      let t1 = 0;
      let a = 0;
      for (; a + 1 < d; a += 2) {
        const x0 = X[o + a];
        const x1 = X[o + a + 1];
        s0 += x0 * Bt[b0 + a];
        s1 += x1 * Bt[b0 + a + 1];
        t0 += x0 * Bt[b1 + a];
        t1 += x1 * Bt[b1 + a + 1];
      }
      if (a < d) {
        s0 += X[o + a] * Bt[b0 + a];
        t0 += X[o + a] * Bt[b1 + a];
      }
      out[r + c] = s0 + s1;
      out[r + c + 1] = t0 + t1;
    }
    if (c < k) out[r + c] = dotAt(X, o, Bt, c * d, d);
  }
}

/**
 * Solve the k × k SPD system G w = h in place (G overwritten by its Cholesky factor, lower
 * triangle); false when a pivot is ≤ 1e-12·max diag (then w is untouched).
 */
export function smallSpdSolve(G: Float64Array, h: Float64Array, k: number, w: Float64Array, wo = 0): boolean {
  let big = 0;
  for (let i = 0; i < k; i++) big = Math.max(big, G[i * k + i]);
  const floor = 1e-12 * big;
  for (let i = 0; i < k; i++) {
    for (let j = 0; j <= i; j++) {
      let s = G[i * k + j];
      for (let p = 0; p < j; p++) s -= G[i * k + p] * G[j * k + p];
      if (i === j) {
        if (!(s > floor)) return false;
        G[i * k + i] = Math.sqrt(s);
      } else G[i * k + j] = s / G[j * k + j];
    }
  }
  // L z = h, then Lᵀ w = z (z kept in h).
  for (let i = 0; i < k; i++) {
    let s = h[i];
    for (let p = 0; p < i; p++) s -= G[i * k + p] * h[p];
    h[i] = s / G[i * k + i];
  }
  for (let i = k - 1; i >= 0; i--) {
    let s = h[i];
    for (let p = i + 1; p < k; p++) s -= G[p * k + i] * w[wo + p];
    w[wo + i] = s / G[i * k + i];
  }
  return true;
}

/** Scratch for `solveHead` with up to `n` rows and k columns. */
export interface HeadScratch {
  A: Float64Array;
  G: Float64Array;
  h: Float64Array;
}

export function headScratch(n: number, k: number): HeadScratch {
  return { A: new Float64Array(n * k), G: new Float64Array(k * k), h: new Float64Array(k) };
}

/**
 * Head of one task given A = XB (n × k, in scratch.A) and labels y[y0 .. y0+n): writes
 * w[wo .. wo+k). Ridge λ ≥ 0 adds λ‖w‖² to the sum of squares.
 */
export function solveHead(
  y: Float64Array,
  y0: number,
  n: number,
  k: number,
  ridge: number,
  s: HeadScratch,
  w: Float64Array,
  wo: number,
): void {
  const { A, G, h } = s;
  G.fill(0, 0, k * k);
  h.fill(0, 0, k);
  for (let i = 0; i < n; i++) {
    const yi = y[y0 + i];
    const r = i * k;
    for (let a = 0; a < k; a++) {
      const va = A[r + a];
      h[a] += va * yi;
      for (let b = 0; b <= a; b++) G[a * k + b] += va * A[r + b];
    }
  }
  for (let a = 0; a < k; a++) {
    G[a * k + a] += ridge;
    for (let b = 0; b < a; b++) G[b * k + a] = G[a * k + b];
  }
  if (smallSpdSolve(G, h, k, w, wo)) return;
  // Rank-deficient: the minimum-norm solution (ridge regularises every direction, so λ > 0
  // never gets here unless AᵀA + λI underflows).
  const res = lstsq(matFrom(n, k, A.slice(0, n * k)), y.slice(y0, y0 + n), { ridge });
  for (let a = 0; a < k; a++) w[wo + a] = res.x[a];
}

/** Row entries (doubles) of the block of whole tasks `taskHeads` copies into the kernel memory at once. */
const PROJECT_BLOCK = 1 << 18;

/**
 * P (rows × k) = X B for `rows` rows of X at byte address `xAt` of the kernel memory (row stride d),
 * by the kernel `projectRows`, with Bt and P in the kernel memory from byte `scratchAt` on (k·d +
 * rows·k doubles, reserved by the caller): the bits of `projectRows` above, in about a third of
 * its time (issue 22: the JS loop was a fifth of `tripuraneni-mom`'s CPU time). P is copied out, as
 * `solveHead`'s rare SVD fallback may reuse the arena.
 */
function projectAt(
  xAt: number,
  rows: number,
  d: number,
  Bt: Float64Array,
  k: number,
  scratchAt: number,
): Float64Array {
  const outAt = scratchAt + 8 * k * d;
  f64().set(Bt, scratchAt / 8);
  kernels().exports.projectRows(xAt, rows, d, scratchAt, k, outAt);
  return f64().slice(outAt / 8, outAt / 8 + rows * k);
}

/**
 * Heads of consecutive tasks from their projected rows P = X B (row i of P = row `row0 + i` of
 * the data): task v has rows [start[v], start[v+1]) of y, written to row v of W.
 */
function headsFromProjection(
  P: Float64Array,
  row0: number,
  y: Float64Array,
  yOffset: number,
  start: Int32Array,
  first: number,
  end: number,
  k: number,
  ridge: number,
  s: HeadScratch,
  W: Float64Array,
): void {
  for (let v = first; v < end; v++) {
    const n = start[v + 1] - start[v];
    const o = (start[v] - row0) * k;
    s.A.set(P.subarray(o, o + n * k));
    solveHead(y, yOffset + start[v] - row0, n, k, ridge, s, W, v * k);
  }
}

/**
 * `solveHead` for several leading row counts of one task at once: for each n of `ns` (ascending,
 * distinct) the head on rows [0, n) of A (n_max × k, row-major) and y[y0 ..), written to `w[i]`.
 * The normal equations are accumulated once and read at each n: every entry is the same sum, in
 * the same row order, as `solveHead`'s on n rows, so every head is bit for bit `solveHead`'s
 * (nested target rows: one pass instead of one per n). `copy` (k × k and k) keeps the
 * accumulation while each n's system is solved in place.
 */
export function solveHeadPrefixes(
  A: Float64Array,
  y: Float64Array,
  y0: number,
  ns: readonly number[],
  k: number,
  ridge: number,
  s: HeadScratch,
  w: readonly Float64Array[],
  copy: HeadScratch = headScratch(0, k),
): void {
  const { G, h } = s;
  const Gc = copy.G;
  const hc = copy.h;
  G.fill(0, 0, k * k);
  h.fill(0, 0, k);
  let i0 = 0;
  for (let q = 0; q < ns.length; q++) {
    const n = ns[q];
    accumulateNormal(A, y, y0, k, i0, n, G, h);
    i0 = n;
    Gc.set(G.subarray(0, k * k));
    hc.set(h.subarray(0, k));
    for (let a = 0; a < k; a++) {
      Gc[a * k + a] += ridge;
      for (let b = 0; b < a; b++) Gc[b * k + a] = Gc[a * k + b];
    }
    if (smallSpdSolve(Gc, hc, k, w[q], 0)) continue;
    if (n < k && minNormHead(A, y, y0, n, k, ridge, w[q])) continue;
    const res = lstsq(matFrom(n, k, A.slice(0, n * k)), y.slice(y0, y0 + n), { ridge });
    for (let a = 0; a < k; a++) w[q][a] = res.x[a];
  }
}

/**
 * The minimum-norm head for n < k rows in its dual form: `w = Aᵀz`, `(AAᵀ + λI) z = y` (n × n;
 * with λ = 0 the minimum-norm least-squares solution, A of full row rank n; with λ > 0 the ridge
 * solution, by the push-through identity). Used by `solveHeadPrefixes` where the k × k normal
 * equations are singular (plain OLS, k = d, on n2 < d target rows): an n × n Cholesky instead of
 * `lstsq`'s SVD, which took a third of du-excess-risk's target stage (issue 22); it agrees with
 * `lstsq` to ~1e-15·cond(A)² relative. False (w untouched) when a pivot of AAᵀ + λI is below
 * 1e-8 of its largest diagonal entry (A nearly rank-deficient: cond(A)² would cost accuracy); the
 * caller then uses `lstsq`.
 */
function minNormHead(
  A: Float64Array,
  y: Float64Array,
  y0: number,
  n: number,
  k: number,
  ridge: number,
  w: Float64Array,
): boolean {
  const M = new Float64Array(n * n);
  let big = 0;
  for (let i = 0; i < n; i++)
    for (let j = 0; j <= i; j++) {
      let s = 0;
      for (let a = 0; a < k; a++) s += A[i * k + a] * A[j * k + a];
      if (i === j) {
        s += ridge;
        big = Math.max(big, s);
      }
      M[i * n + j] = s;
    }
  const floor = 1e-8 * big;
  // Cholesky M = LLᵀ in the lower triangle; z by forward and back substitution.
  for (let i = 0; i < n; i++)
    for (let j = 0; j <= i; j++) {
      let s = M[i * n + j];
      for (let p = 0; p < j; p++) s -= M[i * n + p] * M[j * n + p];
      if (i === j) {
        if (!(s > floor)) return false;
        M[i * n + i] = Math.sqrt(s);
      } else M[i * n + j] = s / M[j * n + j];
    }
  const z = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = y[y0 + i];
    for (let p = 0; p < i; p++) s -= M[i * n + p] * z[p];
    z[i] = s / M[i * n + i];
  }
  for (let i = n - 1; i >= 0; i--) {
    let s = z[i];
    for (let p = i + 1; p < n; p++) s -= M[p * n + i] * z[p];
    z[i] = s / M[i * n + i];
  }
  for (let a = 0; a < k; a++) {
    let s = 0;
    for (let i = 0; i < n; i++) s += A[i * k + a] * z[i];
    w[a] = s;
  }
  return true;
}

/**
 * Add rows [i0, i1) of A (row-major, k columns) to the lower triangle of G = AᵀA and to h = Aᵀy.
 * Each entry is summed in a register over the rows in order, so it is the same sum as adding row
 * by row (`solveHead`); 2 × 2 blocks of entries share their loads (k = d for plain OLS: the
 * target stage's largest system).
 */
function accumulateNormal(
  A: Float64Array,
  y: Float64Array,
  y0: number,
  k: number,
  i0: number,
  i1: number,
  G: Float64Array,
  h: Float64Array,
): void {
  for (let a = 0; a < k; a++) {
    let s = h[a];
    for (let i = i0; i < i1; i++) s += A[i * k + a] * y[y0 + i];
    h[a] = s;
  }
  let a = 0;
  for (; a + 1 < k; a += 2) {
    const r0 = a * k;
    const r1 = r0 + k;
    // a is even and b steps by 2 from 0: the blocks below the diagonal end at b = a.
    for (let b = 0; b < a; b += 2) {
      let g00 = G[r0 + b];
      let g01 = G[r0 + b + 1];
      let g10 = G[r1 + b];
      let g11 = G[r1 + b + 1];
      for (let i = i0; i < i1; i++) {
        const r = i * k;
        const x0 = A[r + a];
        const x1 = A[r + a + 1];
        const z0 = A[r + b];
        const z1 = A[r + b + 1];
        g00 += x0 * z0;
        g01 += x0 * z1;
        g10 += x1 * z0;
        g11 += x1 * z1;
      }
      G[r0 + b] = g00;
      G[r0 + b + 1] = g01;
      G[r1 + b] = g10;
      G[r1 + b + 1] = g11;
    }
    let d00 = G[r0 + a];
    let d10 = G[r1 + a];
    let d11 = G[r1 + a + 1];
    for (let i = i0; i < i1; i++) {
      const r = i * k;
      const x0 = A[r + a];
      const x1 = A[r + a + 1];
      d00 += x0 * x0;
      d10 += x1 * x0;
      d11 += x1 * x1;
    }
    G[r0 + a] = d00;
    G[r1 + a] = d10;
    G[r1 + a + 1] = d11;
  }
  if (a < k) {
    // The last row of an odd k.
    const r0 = a * k;
    for (let b = 0; b <= a; b++) {
      let g = G[r0 + b];
      for (let i = i0; i < i1; i++) g += A[i * k + a] * A[i * k + b];
      G[r0 + b] = g;
    }
  }
}

/**
 * Per-task least-squares heads on B (d × k): row t of the T × k result is argmin_w ‖y_t − X_tBw‖²
 * (+ ridge·‖w‖²). Cost O(N·d·k): the rows' projections X_tB by the kernel `projectRows` (the bits
 * of `projectRows`), on blocks of whole tasks copied into its memory. Example:
 * `taskHeads(data, fit.B)` gives the learned heads Ŵ.
 */
export function taskHeads(data: MultiTaskData, B: Mat, ridge = 0): Mat {
  const { d, tasks, start, X, y } = data;
  const k = B.cols;
  const Bt = transposeBasis(B);
  let maxRows = 0;
  for (let t = 0; t < tasks; t++) maxRows = Math.max(maxRows, start[t + 1] - start[t]);
  const s = headScratch(maxRows, k);
  const W = zeros(tasks, k);
  for (let t = 0; t < tasks; ) {
    let u = t + 1;
    while (u < tasks && (start[u + 1] - start[t]) * d <= PROJECT_BLOCK) u++;
    const rows = start[u] - start[t];
    const xAt = reserve(8 * (rows * d + k * d + rows * k));
    f64().set(X.subarray(start[t] * d, start[u] * d), xAt / 8);
    const P = projectAt(xAt, rows, d, Bt, k, xAt + 8 * rows * d);
    headsFromProjection(P, start[t], y, start[t], start, t, u, k, ridge, s, W.data);
    t = u;
  }
  return W;
}

/**
 * `taskHeads` for tasks whose rows are pinned in the kernel memory (X: rows × d, stride d; a
 * streamed chunk): task v (v < tasks) has rows [start[v], start[v+1]) of X and y; its head is
 * written to row `firstTask + v` of W (T × k). No copy of the rows.
 */
export function pinnedTaskHeads(
  X: PinnedMat,
  y: Float64Array,
  start: Int32Array,
  B: Mat,
  W: Mat,
  firstTask: number,
  ridge = 0,
): void {
  const d = B.rows;
  const k = B.cols;
  if (X.cols !== d || X.stride !== d) {
    throw new RangeError(
      `pinnedTaskHeads: X must have d = ${d} columns and stride; got ${X.cols}, ${X.stride}`,
    );
  }
  const tasks = start.length - 1;
  let maxRows = 0;
  for (let t = 0; t < tasks; t++) maxRows = Math.max(maxRows, start[t + 1] - start[t]);
  const rows = start[tasks];
  const P = projectAt(X.at, rows, d, transposeBasis(B), k, reserve(8 * (k * d + rows * k)));
  const out = W.data.subarray(firstTask * k, (firstTask + tasks) * k);
  headsFromProjection(P, 0, y, 0, start, 0, tasks, k, ridge, headScratch(maxRows, k), out);
}

/**
 * The head of one task from n rows X (n × d, row-major) and labels y on the representation B
 * (d × k): `argmin_w ‖y − XBw‖² + ridge·‖w‖²`. Example: `fitHead(Xt, yt, 30, Bhat)`.
 */
export function fitHead(X: Float64Array, y: Float64Array, n: number, B: Mat, ridge = 0): Float64Array {
  const d = B.rows;
  const k = B.cols;
  const s = headScratch(n, k);
  projectRows(X, 0, n, d, transposeBasis(B), k, s.A);
  const w = new Float64Array(k);
  solveHead(y, 0, n, k, ridge, s, w, 0);
  return w;
}
