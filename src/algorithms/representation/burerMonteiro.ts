import { eighSym } from "../../linalg/eigh.js";
import { gemm, type Operand, type StridedMat, syrkWeighted } from "../../linalg/gemm.js";
import { type Mat, matFrom, zeros } from "../../linalg/mat.js";
import { orthonormalize } from "../../linalg/qr.js";
import { svdThin } from "../../linalg/svd.js";
import { axpyAt, dotAt } from "../../linalg/vector.js";
import { f64, i32, kernels, pin, reserve, unpin } from "../../linalg/wasm/kernels.js";
import { conditionNumber } from "../../metrics/conditioning.js";
import type { MultiTaskData } from "../../models/multiTaskData.js";
import { checkHeadPenalty, penaltyActive } from "../headPenalty.js";
import { penalisedFactoredObjective } from "./headPenaltyErm.js";
import { smallSpdSolve, taskHeads } from "./heads.js";
import { initialBasis, randomBasis } from "./init.js";
import { lbfgs } from "./lbfgs.js";
import type { EstimatorContext, EstimatorOptions, RepresentationFit } from "./types.js";

/**
 * How `burerMonteiroObjective` reads a task's rows: "pass" goes over X_t on every evaluation,
 * "stats" over the task's sufficient statistics (X_tᵀX_t, X_tᵀy_t, y_tᵀy_t), "auto" picks the cheaper
 * per task (`usesStatistics`).
 */
export type BurerMonteiroRows = "auto" | "pass" | "stats";

/**
 * Whether task t's part of the objective is cheaper from its sufficient statistics than from a pass
 * over its n_t rows. Per evaluation, with θ_t = B v_t already formed (d·k either way):
 *   - pass over X_t: r = X_t θ_t − y_t and g_t = X_tᵀ r, 2·n_t·d multiply-adds, reading n_t·d doubles;
 *   - statistics: g_t = A_t θ_t − b_t (A_t = X_tᵀX_t, b_t = X_tᵀy_t) and
 *     ‖r‖² = θ_tᵀA_tθ_t − 2 b_tᵀθ_t + y_tᵀy_t, d² multiply-adds reading the packed upper triangle
 *     of A_t (d(d+1)/2 doubles).
 * Keeping A_t B (d × k) instead would cost d²·k to refresh each time B moves, and a factorised
 * A_t = R_tᵀR_t is d² as well, so d² is the cheapest exact form. Statistics win when d² < 2·n_t·d,
 * i.e. n_t > d/2: at Tripuraneni et al.'s n1 = 300, d = 100, six times fewer multiply-adds and
 * 2·n1/(d+1) ≈ 6× less memory read per evaluation; at n1 = 5 or 25 the pass stays. Forming A_t once
 * (n_t·d²/2 multiply-adds in the SIMD kernel) costs about as much as a few evaluations, which
 * L-BFGS repays many times over (it takes 50–800).
 */
export function usesStatistics(rows: number, d: number, mode: BurerMonteiroRows = "auto"): boolean {
  return mode === "stats" || (mode === "auto" && 2 * rows > d);
}

/**
 * Per-task sufficient statistics of the least-squares loss: for every task b_t = X_tᵀy_t (row t of
 * `b`) and c_t = y_tᵀy_t, and for the tasks `usesStatistics` selects the upper triangle of
 * A_t = X_tᵀX_t packed row by row (row a holds A[a, a..d−1]). `slot[t]` is task t's index among
 * them (−1: the task is read by a pass over its rows, which still uses b_t and c_t for its loss),
 * `tasks[s]` the task of slot s. The kernel `packedStatsPairs` reads slots two at a time, one per
 * f64x2 lane, so `A`, `bPairs` and `cPairs` hold them interleaved: entry e of slot s at
 * 2·(⌊s/2⌋·len + e) + (s mod 2), len = d(d+1)/2, d and 1 (a missing last slot is zeros).
 */
export interface TaskStatistics {
  /** Columns d of the rows. */
  d: number;
  /** Row offsets of the tasks (length T + 1). */
  start: Int32Array;
  slot: Int32Array;
  tasks: Int32Array;
  A: Float64Array;
  b: Float64Array;
  c: Float64Array;
  bPairs: Float64Array;
  cPairs: Float64Array;
}

/**
 * Empty statistics for tasks with rows `start` (T + 1 offsets) in d columns, slots chosen by
 * `mode`: fill each task once with `addTaskStatistics`.
 */
export function emptyTaskStatistics(d: number, start: Int32Array, mode: BurerMonteiroRows): TaskStatistics {
  const T = start.length - 1;
  const slot = new Int32Array(T).fill(-1);
  let used = 0;
  for (let t = 0; t < T; t++) if (usesStatistics(start[t + 1] - start[t], d, mode)) slot[t] = used++;
  const tasks = new Int32Array(used);
  for (let t = 0; t < T; t++) if (slot[t] >= 0) tasks[slot[t]] = t;
  const pairs = (used + 1) >> 1;
  const packed = (d * (d + 1)) / 2;
  return {
    d,
    start,
    slot,
    tasks,
    A: new Float64Array(2 * pairs * packed),
    b: new Float64Array(T * d),
    c: new Float64Array(T),
    bPairs: new Float64Array(2 * pairs * d),
    cPairs: new Float64Array(2 * pairs),
  };
}

/**
 * Task t's statistics from its n_t rows: `xs[xo + i·d + a]` is entry a of its row i (in JS or in
 * the kernel memory, `f64()`), `Xt` the same rows as an operand of `syrkWeighted`, labels
 * `y[yo + i]`; `G` is d × d scratch. The same arithmetic in the same order wherever the rows are,
 * so statistics of streamed rows are bit for bit those of held rows (`taskStatistics`).
 */
export function addTaskStatistics(
  stats: TaskStatistics,
  t: number,
  xs: Float64Array,
  xo: number,
  Xt: Operand,
  y: Float64Array,
  yo: number,
  G: Mat,
): void {
  const { d, start, slot, A, b, c, bPairs, cPairs } = stats;
  const n = start[t + 1] - start[t];
  for (let i = 0; i < n; i++) {
    const yi = y[yo + i];
    axpyAt(yi, xs, xo + i * d, b, t * d, d);
    c[t] += yi * yi;
  }
  const s = slot[t];
  if (s < 0) return;
  const lane = s & 1;
  const p = s >> 1;
  for (let a = 0; a < d; a++) bPairs[2 * (p * d + a) + lane] = b[t * d + a];
  cPairs[2 * p + lane] = c[t];
  if (n === 0) return;
  const packed = (d * (d + 1)) / 2;
  syrkWeighted(1, Xt, null, 0, G);
  let o = 2 * p * packed + lane;
  for (let a = 0; a < d; a++)
    for (let j = a; j < d; j++) {
      A[o] = G.data[a * d + j];
      o += 2;
    }
}

/** The statistics of held data (every task's b_t, c_t; A_t for the tasks `mode` selects). */
export function taskStatistics(data: MultiTaskData, mode: BurerMonteiroRows): TaskStatistics {
  const { d, tasks: T, start, X, y } = data;
  const stats = emptyTaskStatistics(d, start, mode);
  const G = zeros(d, d);
  for (let t = 0; t < T; t++) {
    const n = start[t + 1] - start[t];
    const Xt: StridedMat = { rows: n, cols: d, data: X, offset: start[t] * d, stride: d };
    addTaskStatistics(stats, t, X, start[t] * d, Xt, y, start[t], G);
  }
  return stats;
}

/**
 * The statistics of the first T tasks (a nested sample: the tasks' rows and order unchanged): views
 * of the arrays (slots are numbered in task order, so the first T tasks hold the first slots),
 * copied only when the prefix ends in the first lane of a pair (the second lane then zeros, as for
 * an odd count).
 */
export function prefixTaskStatistics(stats: TaskStatistics, T: number): TaskStatistics {
  const { d, start, slot } = stats;
  let used = 0;
  for (let t = 0; t < T; t++) if (slot[t] >= 0) used++;
  const pairs = (used + 1) >> 1;
  const packed = (d * (d + 1)) / 2;
  const view = {
    d,
    start: start.subarray(0, T + 1),
    slot: slot.subarray(0, T),
    tasks: stats.tasks.subarray(0, used),
    A: stats.A.subarray(0, 2 * pairs * packed),
    b: stats.b.subarray(0, T * d),
    c: stats.c.subarray(0, T),
    bPairs: stats.bPairs.subarray(0, 2 * pairs * d),
    cPairs: stats.cPairs.subarray(0, 2 * pairs),
  };
  if (used % 2 === 0) return view;
  const odd = { ...view, A: view.A.slice(), bPairs: view.bPairs.slice(), cPairs: view.cPairs.slice() };
  const p = pairs - 1;
  for (let e = 0; e < packed; e++) odd.A[2 * (p * packed + e) + 1] = 0;
  for (let a = 0; a < d; a++) odd.bPairs[2 * (p * d + a) + 1] = 0;
  odd.cPairs[2 * p + 1] = 0;
  return odd;
}

/** Tasks whose X_tᵀX_t `statisticsHeads` unpacks into one (tasks·d) × d product at a time (2.6 MB at d = 100). */
const HEADS_BLOCK = 32;

/**
 * Least-squares heads on B (d × k) from the statistics alone: ŵ_t = (BᵀA_tB)⁻¹ Bᵀb_t, the normal
 * equations of argmin ‖y_t − X_tBw‖² (`taskHeads` forms the same k × k system from X_tB; the two
 * agree to rounding, ~1e-15 relative at d = 100, n_t = 300). Every task must have A_t (a slot).
 * Rank-deficient systems (a pivot ≤ 1e-12 of the largest) get the minimum-norm solution
 * (BᵀA_tB)⁺Bᵀb_t, as `solveHead`'s SVD fallback. For several bases at once (`statisticsHeadsOf`)
 * A_t is unpacked once: blocks of HEADS_BLOCK tasks' A_t times [B₁ … B_m] in one `gemm`
 * (d²·Σk per task), then Bᵀ(A_tB) and Bᵀb_t (d·k² + d·k) in JS.
 */
export function statisticsHeads(stats: TaskStatistics, B: Mat): Mat {
  return statisticsHeadsOf(stats, [B])[0];
}

/** `statisticsHeads` for several bases (each d × k_i), one unpacking of every A_t. */
export function statisticsHeadsOf(stats: TaskStatistics, Bs: readonly Mat[]): Mat[] {
  const { d, slot, A, b } = stats;
  const T = slot.length;
  const packed = (d * (d + 1)) / 2;
  const K = Bs.reduce((s, B) => s + B.cols, 0);
  // [B₁ … B_m] (d × K).
  const Bcat = zeros(d, K);
  let col = 0;
  for (const B of Bs) {
    for (let a = 0; a < d; a++)
      for (let c = 0; c < B.cols; c++) Bcat.data[a * K + col + c] = B.data[a * B.cols + c];
    col += B.cols;
  }
  const Ws = Bs.map((B) => zeros(T, B.cols));
  const full = zeros(HEADS_BLOCK * d, d);
  const prod = zeros(HEADS_BLOCK * d, K);
  const kMax = Bs.reduce((m, B) => Math.max(m, B.cols), 0);
  const G = new Float64Array(kMax * kMax);
  const Gcopy = new Float64Array(kMax * kMax);
  const h = new Float64Array(kMax);
  for (let t0 = 0; t0 < T; t0 += HEADS_BLOCK) {
    const m = Math.min(HEADS_BLOCK, T - t0);
    for (let v = 0; v < m; v++) {
      const s = slot[t0 + v];
      if (s < 0) {
        throw new RangeError(`statisticsHeads: task ${t0 + v} has no X_tᵀX_t (it is read from its rows)`);
      }
      let o = 2 * (s >> 1) * packed + (s & 1);
      const base = v * d * d;
      for (let a = 0; a < d; a++)
        for (let j = a; j < d; j++) {
          const x = A[o];
          o += 2;
          full.data[base + a * d + j] = x;
          full.data[base + j * d + a] = x;
        }
    }
    const rows = m * d;
    const F = m === HEADS_BLOCK ? full : matFrom(rows, d, full.data.subarray(0, rows * d));
    const P = m === HEADS_BLOCK ? prod : matFrom(rows, K, prod.data.subarray(0, rows * K));
    gemm(false, false, 1, F, Bcat, 0, P);
    for (let v = 0; v < m; v++) {
      const t = t0 + v;
      let c0 = 0;
      Bs.forEach((B, i) => {
        const k = B.cols;
        const W = Ws[i];
        G.fill(0, 0, k * k);
        h.fill(0, 0, k);
        for (let a = 0; a < d; a++) {
          const ba = b[t * d + a];
          const pr = (v * d + a) * K + c0;
          for (let p = 0; p < k; p++) {
            const bp = B.data[a * k + p];
            h[p] += bp * ba;
            for (let q = 0; q < k; q++) G[p * k + q] += bp * P.data[pr + q];
          }
        }
        // Exactly symmetric (BᵀA_tB's two triangles differ by rounding).
        for (let p = 0; p < k; p++)
          for (let q = 0; q < p; q++) {
            const mid = 0.5 * (G[p * k + q] + G[q * k + p]);
            G[p * k + q] = mid;
            G[q * k + p] = mid;
          }
        Gcopy.set(G.subarray(0, k * k));
        if (!smallSpdSolve(G, h, k, W.data, t * k)) pseudoInverseSolve(Gcopy, h, k, W.data, t * k);
        c0 += k;
      });
    }
  }
  return Ws;
}

/**
 * w = G⁺h for a symmetric positive semi-definite k × k G (row-major, the first k·k entries),
 * over its eigenpairs above 1e-12 of the largest (`smallSpdSolve`'s pivot floor): the
 * minimum-norm solution of the normal equations. Writes w[wo .. wo + k).
 */
function pseudoInverseSolve(G: Float64Array, h: Float64Array, k: number, w: Float64Array, wo: number): void {
  const { values, vectors } = eighSym(matFrom(k, k, G.slice(0, k * k)));
  const floor = 1e-12 * Math.max(values[0], 0);
  w.fill(0, wo, wo + k);
  for (let i = 0; i < k; i++) {
    if (!(values[i] > floor)) continue;
    let qh = 0;
    for (let c = 0; c < k; c++) qh += vectors.data[c * k + i] * h[c];
    for (let c = 0; c < k; c++) w[wo + c] += (vectors.data[c * k + i] * qh) / values[i];
  }
}

/** Row entries (doubles) of the block of consecutive pass-read tasks copied into the kernel memory at once. */
const PASS_BLOCK = 1 << 18;

/**
 * For the tasks read from their statistics: g_t = A_t θ_t − b_t (row t of `G`, θ_t row t of
 * `Theta`) and ‖r_t‖² = θ_tᵀA_tθ_t − 2 b_tᵀθ_t + c_t (`loss[s]`, s the task's slot), by the SIMD
 * kernel `packedStatsPairs`, two tasks per step of its loop, one per f64x2 lane, each lane in the
 * order of the JS loop it replaced (g_t from the packed upper triangle, each stored entry used for
 * A[a, j] and A[j, a]), so the same bits: at d = 20, T = 400 an evaluation's statistics part takes
 * about a fifth of that loop's time (bouniot-regularisation's fits, issue 22). Rows of G that are
 * not statistics-read tasks' are left to the pass. `resident`: the statistics are pinned in the
 * kernel memory until `release()` (a fit's L-BFGS run); otherwise they are copied in, in blocks
 * of pairs, on every call, like the pass's rows.
 */
function statisticsPart(
  stats: TaskStatistics,
  d: number,
  packed: number,
  resident: boolean,
): { run(Theta: Float64Array, G: Float64Array, loss: Float64Array): void; release(): void } {
  const used = stats.tasks.length;
  const pairs = (used + 1) >> 1;
  if (used === 0) return { run() {}, release() {} };
  const aTotal = 2 * pairs * packed;
  const vTotal = 2 * pairs * d;
  // Pinned: A, b and c of every pair, then the slots' task indices (int32), at byte `home`; −1 when
  // copied per call.
  let home = -1;
  if (resident) {
    home = pin(8 * (aTotal + vTotal + 2 * pairs) + 4 * used);
    const mem = f64();
    const h = home / 8;
    mem.set(stats.A, h);
    mem.set(stats.bPairs, h + aTotal);
    mem.set(stats.cPairs, h + aTotal + vTotal);
    i32().set(stats.tasks, (home + 8 * (aTotal + vTotal + 2 * pairs)) / 4);
  }
  const perPair = resident ? pairs : Math.max(1, Math.floor(PASS_BLOCK / (2 * packed)));
  const K = kernels().exports;
  return {
    release() {
      if (home >= 0) unpin(home);
      home = -1;
    },
    run(Theta, G, loss) {
      const rows = Theta.length;
      const block = resident ? 0 : 2 * perPair * (packed + d + 1);
      // Arena (float64 index): Θ, G rows, loss per slot, scratch (4d), [task indices (int32), block].
      const at = reserve(8 * (2 * rows + used + 4 * d + block) + 4 * used + 8) / 8;
      const gAt = at + rows;
      const lAt = gAt + rows;
      const sAt = lAt + used;
      const blockAt = sAt + 4 * d;
      const tasksByte = home >= 0 ? home + 8 * (aTotal + vTotal + 2 * pairs) : 8 * (blockAt + block);
      const mem = f64();
      mem.set(Theta, at);
      if (home < 0) i32().set(stats.tasks, tasksByte / 4);
      for (let p0 = 0; p0 < pairs; p0 += perPair) {
        const np = Math.min(perPair, pairs - p0);
        let aAt = home / 8;
        let bAt = aAt + aTotal;
        let cAt = bAt + vTotal;
        if (home < 0) {
          aAt = blockAt;
          bAt = aAt + 2 * np * packed;
          cAt = bAt + 2 * np * d;
          mem.set(stats.A.subarray(2 * p0 * packed, 2 * (p0 + np) * packed), aAt);
          mem.set(stats.bPairs.subarray(2 * p0 * d, 2 * (p0 + np) * d), bAt);
          mem.set(stats.cPairs.subarray(2 * p0, 2 * (p0 + np)), cAt);
        } else {
          aAt += 2 * p0 * packed;
          bAt += 2 * p0 * d;
          cAt += 2 * p0;
        }
        K.packedStatsPairs(
          8 * aAt,
          8 * bAt,
          8 * cAt,
          p0,
          np,
          d,
          tasksByte,
          used,
          8 * at,
          8 * gAt,
          8 * lAt,
          8 * sAt,
        );
      }
      G.set(mem.subarray(gAt, gAt + rows));
      loss.set(mem.subarray(lAt, lAt + used));
    },
  };
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
 * evaluation O(Σ_t min(n_t·d, d²) + T·d·k + d·k²): each task by one fused pass over its rows, or,
 * where that is dearer (n_t > d/2, `usesStatistics`; `rows` forces one way), from its sufficient
 * statistics, formed once here. Both give the same value and gradient up to rounding.
 */
export function burerMonteiroObjective(
  data: MultiTaskData,
  k: number,
  balance = 1,
  rows: BurerMonteiroRows = "auto",
): (x: Float64Array, grad: Float64Array) => number {
  return factoredObjective(taskStatistics(data, rows), data, k, balance, false).f;
}

/**
 * `burerMonteiroObjective` on the statistics `stats` and, for the tasks read by a pass (no slot),
 * the rows `data` (null when every task has a slot: no rows needed); with `resident`, the
 * sufficient statistics stay pinned in the kernel memory (not copied in on every evaluation)
 * until `release()`.
 */
function factoredObjective(
  stats: TaskStatistics,
  data: Pick<MultiTaskData, "X" | "y"> | null,
  k: number,
  balance: number,
  resident: boolean,
): { f: (x: Float64Array, grad: Float64Array) => number; release(): void } {
  const { d, start } = stats;
  const T = start.length - 1;
  const N = start[T];
  if (data === null && stats.tasks.length < T) {
    throw new RangeError("Burer–Monteiro: tasks read by a pass over their rows need the rows");
  }
  const X = data?.X ?? new Float64Array(0);
  const y = data?.y ?? new Float64Array(0);
  const nB = d * k;
  const D = new Float64Array(k * k);
  const packed = (d * (d + 1)) / 2;
  const K = kernels().exports;
  // Θ = V Bᵀ (row t = θ_t) and G (row t = g_t = X_tᵀr_t), so that forming every θ_t and the data
  // part of the gradient, ∇_B = GᵀV/N and ∇_V = GB/N, are three T×d×k products in the SIMD kernel
  // instead of 3·d·k scalar multiply-adds per task in JS.
  const Theta = zeros(T, d);
  const G = zeros(T, d);
  const gB = zeros(d, k);
  const gV = zeros(T, k);
  const statLoss = new Float64Array(stats.tasks.length);
  const statsPart = statisticsPart(stats, d, packed, resident);
  const f = (x: Float64Array, grad: Float64Array): number => {
    grad.fill(0);
    let loss = 0;
    const Bm = matFrom(d, k, x.subarray(0, nB));
    const Vm = matFrom(T, k, x.subarray(nB, nB + T * k));
    gemm(false, true, 1, Vm, Bm, 0, Theta);
    statsPart.run(Theta.data, G.data, statLoss);
    // The block of pass-read tasks [blockStart, blockEnd) in the kernel memory (float64 index base).
    let blockStart = 0;
    let blockEnd = 0;
    let blockRows = 0;
    let base = 0;
    let mem = f64();
    for (let t = 0; t < T; t++) {
      const s = stats.slot[t];
      const n = start[t + 1] - start[t];
      if (s < 0) {
        const theta = Theta.data.subarray(t * d, (t + 1) * d);
        const gt = G.data.subarray(t * d, (t + 1) * d);
        // The pass: g_t = X_tᵀ(X_tθ − y_t) by the SIMD kernel `rowsResidual` (f64x2 dot and axpy per
        // row), on a block of consecutive tasks' rows copied into its memory (the copy is one more
        // read of the rows; with the GEMMs below a fit at n1 = 25, T = 6400 costs 2.3 s, not 4.2); then
        // ‖r_t‖² = θᵀg_t − θᵀb_t + c_t (as r_tᵀy_t = θᵀb_t − c_t).
        if (n === 0) {
          gt.fill(0);
          continue;
        }
        if (t >= blockEnd) {
          let u = t + 1;
          while (u < T && stats.slot[u] < 0 && (start[u + 1] - start[t]) * d <= PASS_BLOCK) u++;
          blockRows = start[u] - start[t];
          base = reserve(8 * (2 * d + blockRows + blockRows * d)) / 8;
          mem = f64();
          mem.set(y.subarray(start[t], start[u]), base + 2 * d);
          mem.set(X.subarray(start[t] * d, start[u] * d), base + 2 * d + blockRows);
          blockStart = t;
          blockEnd = u;
        }
        mem.set(theta, base);
        const first = start[t] - start[blockStart];
        const yAt = base + 2 * d + first;
        const xAt = base + 2 * d + blockRows + first * d;
        K.rowsResidual(8 * xAt, n, d, 8 * base, 8 * yAt, 8 * (base + d));
        let q = 0;
        let lin = 0;
        const bo = t * d;
        for (let a = 0; a < d; a++) {
          const g = n * mem[base + d + a];
          gt[a] = g;
          q += theta[a] * g;
          lin += theta[a] * stats.b[bo + a];
        }
        loss += q - lin + stats.c[t];
      } else {
        // g_t and ‖r_t‖² came from the statistics (`statsPart`, before this loop).
        loss += statLoss[s];
      }
    }
    gemm(true, false, 1 / N, G, Vm, 0, gB);
    gemm(false, false, 1 / N, G, Bm, 0, gV);
    grad.set(gB.data, 0);
    grad.set(gV.data, nB);
    // D = BᵀB − VᵀV (k × k): each entry from 0, + b_ai·b_aj over a, then − v_ti·v_tj over t, in
    // order, in a register (entry by entry rather than row by row of B and V: the same operations per
    // entry, the same bits); D_ji = D_ij exactly (the same products), so the upper triangle is mirrored.
    for (let i = 0; i < k; i++)
      for (let j = i; j < k; j++) {
        let acc = 0;
        for (let a = 0; a < d; a++) acc += x[a * k + i] * x[a * k + j];
        for (let o = nB; o < nB + T * k; o += k) acc -= x[o + i] * x[o + j];
        D[i * k + j] = acc;
        D[j * k + i] = acc;
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
  return { f, release: statsPart.release };
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
  return factoredFit(burerMonteiroFactors(data, k, options, ctx), method);
}

/** The fit of `burerMonteiroEstimate` from the minimiser's factors. */
function factoredFit(factors: ReturnType<typeof burerMonteiroFactors>, method: string): RepresentationFit {
  const { B, V, res, penalised } = factors;
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
 * `burerMonteiroEstimate` from the tasks' sufficient statistics alone (every task with a slot:
 * X_tᵀX_t, X_tᵀy_t, y_tᵀy_t; e.g. streamed by `addTaskStatistics`), so the rows need never be held:
 * the objective is the same function with the same bits (it reads such tasks from their statistics
 * either way). The start: `ctx.initBasis` (orthonormalised) or the random basis of `init:
 * "random"` (the same draw as `initialBasis`), with its heads `startHeads` when the caller formed
 * them from the rows (`taskHeads`' bits), otherwise from the statistics (`statisticsHeads`: equal
 * to rounding). `init: "mom"` needs `ctx.initBasis` (there are no rows to estimate it from here).
 */
export function burerMonteiroFromStatistics(
  stats: TaskStatistics,
  k: number,
  options: EstimatorOptions,
  ctx: EstimatorContext,
  method = "bm",
  startHeads?: Mat,
): RepresentationFit {
  const rowsRead = stats.slot.indexOf(-1);
  if (rowsRead >= 0) {
    throw new RangeError(
      `burerMonteiroFromStatistics: every task needs X_tᵀX_t; task ${rowsRead} is read from its rows (n_t ≤ d/2)`,
    );
  }
  let B0: Mat;
  if (ctx.initBasis !== undefined) B0 = orthonormalize(ctx.initBasis);
  else if ((options.init ?? "random") === "random") B0 = randomBasis(ctx.key, stats.d, k);
  else throw new RangeError('burerMonteiroFromStatistics: init "mom" needs ctx.initBasis (the MoM estimate)');
  const V0 = startHeads ?? statisticsHeads(stats, B0);
  return factoredFit(factorsFrom(stats, null, B0, V0, k, options, ctx), method);
}

/** Whether every task has at most k rows (then the least-squares heads interpolate them). */
function startIsStationary(start: Int32Array, k: number): boolean {
  for (let t = 0; t + 1 < start.length; t++) if (start[t + 1] - start[t] > k) return false;
  return true;
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
  return factorsFrom(taskStatistics(data, "auto"), data, B0, taskHeads(data, B0), k, options, ctx);
}

/** `burerMonteiroFactors` from its start (B0 and its least-squares heads V0) on statistics and rows. */
function factorsFrom(
  stats: TaskStatistics,
  data: Pick<MultiTaskData, "X" | "y"> | null,
  B0: Mat,
  V0: Mat,
  k: number,
  options: EstimatorOptions,
  ctx: EstimatorContext,
): ReturnType<typeof burerMonteiroFactors> {
  const d = stats.d;
  const T = stats.start.length - 1;
  const x0 = balancedStart(B0, V0);
  const penalty = checkHeadPenalty("bm", options);
  const penalised = penaltyActive(penalty);
  // The statistics pinned in the kernel memory for this run (released below).
  const objective = factoredObjective(stats, data, k, options.balance ?? 1 / T, true);
  const plain = objective.f;
  // Bouniot et al.'s penalty on the head factor V (headPenaltyErm.ts); none by default.
  const f = penalised ? penalisedFactoredObjective(plain, d, k, T, penalty) : plain;
  const nB = d * k;
  const hook = ctx.onIteration;
  let res: ReturnType<typeof lbfgs>;
  try {
    if (!penalised && startIsStationary(stats.start, k)) {
      // Every task has n_t ≤ k rows, so its least-squares head on B₀ fits them exactly (X_tB₀ has
      // full row rank n_t with probability 1): every residual, hence the loss gradient, is 0, and
      // so is the balance term's at the balanced start. The start is a stationary point, from which
      // L-BFGS only failed its line search on rounding noise and returned the start (41
      // evaluations, 0.9 s at n1 = 5, T = 6400 in tripuraneni-mom); one evaluation records f and ∇f.
      const g = new Float64Array(x0.length);
      const f0 = f(x0, g);
      res = {
        x: x0,
        f: f0,
        gradNorm: Math.sqrt(dotAt(g, 0, g, 0, g.length)),
        iterations: 0,
        evaluations: 1,
        converged: true,
        reason: "gtol",
      };
    } else
      res = lbfgs(f, x0, {
        maxIter: options.iters ?? 500,
        // Stopping rule (issue 22, measured at d=100, k=5, n1=25, T=6400): tol 1e-6 takes 42
        // evaluations, 1e-4 30 and 1e-3 22, and sin θ moves by 4e-6 and 4e-5 relative; the claims read
        // sin θ to two digits, so a looser tol would be enough, but it saves only ~25 % of a fit now
        // that evaluations are cheap, so the default stays.
        gtol: options.tol ?? 1e-6,
        signal: ctx.signal,
        ...(hook
          ? { onIteration: (x: Float64Array, t: number) => hook(matFrom(d, k, x.subarray(0, nB)), t) }
          : {}),
      });
  } finally {
    objective.release();
  }
  return {
    B: matFrom(d, k, res.x.slice(0, nB)),
    V: matFrom(T, k, res.x.slice(nB, nB + T * k)),
    res,
    penalised,
  };
}
