import { AbortedError, ParamError } from "../../errors.js";
import { orthonormalize } from "../../linalg/qr.js";
import { f64, i32, kernels, pin, reserve, unpin } from "../../linalg/wasm/kernels.js";
import type { TaskData } from "../../models/linearRepresentation.js";
import { type MultiTaskData, minTaskRows } from "../../models/multiTaskData.js";
import { DenseSet, PinnedRowsView } from "../../models/sampleSets.js";
import { foldIn, foldInString } from "../../rng/key.js";
import { stream } from "../../rng/stream.js";
import { checkHeadPenalty, penaltyActive } from "../headPenalty.js";
import {
  anilTaskGradient,
  finishMetaGradient,
  foAnilTaskGradient,
  startMetaGradient,
} from "../metaGradient.js";
import { initialParams } from "../metaTrain.js";
import { allocPenaltyWorkspace, finishPenalisedBatch, penalisedTaskPhase } from "../penalisedMetaGradient.js";
import { allocWorkspace, type MetaParams, type MetaWorkspace } from "../workspace.js";
import type { EstimatorContext, EstimatorOptions, RepresentationFit } from "./types.js";

/** An entry of B or w beyond this (or non-finite) is a divergence, as in `metaTrain`. */
const THRESHOLD = 1e8;

/** A dense set holding given rows: X copied, labels y stored as the "noise" (see `asMetaTasks`). */
function denseRows(data: MultiTaskData, row0: number, n: number): DenseSet {
  const set = new DenseSet(n, data.d);
  set.X.set(data.X.subarray(row0 * data.d, (row0 + n) * data.d));
  set.noise.set(data.y.subarray(row0, row0 + n));
  return set;
}

/**
 * The source tasks as the meta-gradient code sees them (`TaskData` with `DenseSet`s). `DenseSet`
 * stores labels as `noise = σz` and computes residuals `Xᵀ(X(θ − θ*) − noise)/m`; for data with
 * given labels y and no θ*, X holds the rows, `noise` holds y and θ* = 0, so the residual is
 * exactly `Xᵀ(Xθ − y)/m`, the gradient of the task's empirical loss.
 * `split: "halves"`: inner = first ⌈n/2⌉ rows, outer = the rest; `"shared"`: all rows for both.
 */
export function asMetaTasks(data: MultiTaskData, k: number, split: "halves" | "shared"): TaskData[] {
  const zeroTheta = new Float64Array(data.d);
  const zeroHead = new Float64Array(k);
  const out: TaskData[] = [];
  for (let t = 0; t < data.tasks; t++) {
    const row0 = data.start[t];
    const n = data.start[t + 1] - row0;
    const nIn = split === "halves" ? Math.ceil(n / 2) : n;
    out.push({
      wStar: zeroHead,
      theta: zeroTheta,
      inner: denseRows(data, row0, nIn),
      outer: split === "halves" ? denseRows(data, row0 + nIn, n - nIn) : denseRows(data, row0, n),
    });
  }
  return out;
}

/** Most doubles of source rows (X and y) copied into the kernel memory for ANIL: 2^23 = 64 MiB. */
const PIN_BUDGET = 2 ** 23;

/**
 * `asMetaTasks` with every task's rows in one block of the kernel module's memory (X then y, pinned
 * here; the caller unpins `at`): each set is a `PinnedRowsView`, the same bits as the `DenseSet`s at
 * about a third to a half of the cost of the residual products, which are most of ANIL's time.
 * Null when the rows exceed `PIN_BUDGET` (the module's memory never shrinks): then `asMetaTasks`.
 */
export function pinnedMetaTasks(
  data: MultiTaskData,
  k: number,
  split: "halves" | "shared",
): PinnedMetaTasks | null {
  const { d, tasks: T, start } = data;
  const N = start[T];
  if (N * (d + 1) > PIN_BUDGET) return null;
  const at = pin(8 * N * (d + 1));
  const yAt = at + 8 * N * d;
  const mem = f64();
  mem.set(data.X.subarray(0, N * d), at / 8);
  mem.set(data.y.subarray(0, N), yAt / 8);
  const view = (row0: number, n: number) => new PinnedRowsView(n, d, at + 8 * row0 * d, yAt + 8 * row0);
  const zeroTheta = new Float64Array(d);
  const zeroHead = new Float64Array(k);
  const tasks: TaskData[] = [];
  const rows = new Int32Array(4 * T);
  for (let t = 0; t < T; t++) {
    const row0 = start[t];
    const n = start[t + 1] - row0;
    const nIn = split === "halves" ? Math.ceil(n / 2) : n;
    rows.set(split === "halves" ? [row0, nIn, row0 + nIn, n - nIn] : [row0, n, row0, n], 4 * t);
    tasks.push({
      wStar: zeroHead,
      theta: zeroTheta,
      inner: view(row0, nIn),
      outer: split === "halves" ? view(row0 + nIn, n - nIn) : view(row0, n),
    });
  }
  return { tasks, at, yAt, rows };
}

/** Source tasks with their rows pinned (`pinnedMetaTasks`). */
interface PinnedMetaTasks {
  tasks: TaskData[];
  /** Byte addresses of X and y in the kernel memory (unpin `at`). */
  at: number;
  yAt: number;
  /** Per task: first inner row, inner rows, first outer row, outer rows. */
  rows: Int32Array;
}

/**
 * FO-ANIL's task gradients of one batch (tasks order[b0 .. b1)) in one kernel call
 * (`foAnilTasks`: `foAnilTaskGradient` per task in the JS order, the same bits), after
 * `startMetaGradient`: copies Bᵀ, w, θ₀ and the accumulators in, the accumulators out. It removes
 * the per-task JS overhead, most of FO-ANIL's time at n1 = 25.
 */
function foAnilBatchPinned(
  pinned: PinnedMetaTasks,
  order: Int32Array,
  b0: number,
  b1: number,
  p: MetaParams,
  alpha: number,
  ws: MetaWorkspace,
): void {
  const { d, kp } = ws;
  const n = b1 - b0;
  const intBytes = Math.ceil((16 * n) / 8) * 8;
  const at = reserve(intBytes + 8 * (2 * kp * d + 2 * kp + 4 * d + kp));
  const ints = i32();
  for (let i = 0; i < n; i++)
    ints.set(pinned.rows.subarray(4 * order[b0 + i], 4 * order[b0 + i] + 4), at / 4 + 4 * i);
  const mem = f64();
  const Bt = at + intBytes;
  const GBt = Bt + 8 * kp * d;
  const w = GBt + 8 * kp * d;
  const Gw = w + 8 * kp;
  const theta0 = Gw + 8 * kp;
  const scratch = theta0 + 8 * d;
  mem.set(ws.Bt, Bt / 8);
  mem.set(ws.GBt, GBt / 8);
  mem.set(p.w, w / 8);
  mem.set(ws.Gw, Gw / 8);
  mem.set(ws.theta0, theta0 / 8);
  kernels().exports.foAnilTasks(pinned.at, pinned.yAt, at, n, d, kp, Bt, w, theta0, alpha, GBt, Gw, scratch);
  ws.GBt.set(mem.subarray(GBt / 8, GBt / 8 + kp * d));
  ws.Gw.set(mem.subarray(Gw / 8, Gw / 8 + kp));
}

/** Fisher–Yates permutation of 0..n−1 from a stream. */
function permutation(n: number, s: ReturnType<typeof stream>): Int32Array {
  const p = new Int32Array(n);
  for (let i = 0; i < n; i++) p[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(s.uniform() * (i + 1));
    const tmp = p[i];
    p[i] = p[j];
    p[j] = tmp;
  }
  return p;
}

/** `(B, w) −= β (G_B, G_w)` if every entry stays finite and within the threshold; else the culprit. */
function step(
  p: MetaParams,
  GB: Float64Array,
  Gw: Float64Array,
  beta: number,
): { q: string; v: number } | null {
  const B = p.B.data;
  for (let i = 0; i < B.length; i++) {
    const v = B[i] - beta * GB[i];
    if (!(Math.abs(v) <= THRESHOLD)) return { q: "B", v };
  }
  for (let c = 0; c < p.w.length; c++) {
    const v = p.w[c] - beta * Gw[c];
    if (!(Math.abs(v) <= THRESHOLD)) return { q: "w", v };
  }
  for (let i = 0; i < B.length; i++) B[i] -= beta * GB[i];
  for (let c = 0; c < p.w.length; c++) p.w[c] -= beta * Gw[c];
  return null;
}

/**
 * ANIL or FO-ANIL (Collins et al. 2022; SPEC §1.2) run on the finite source task set for `epochs`
 * passes (default 100): each pass visits the T tasks in a random order (from the key), `batch`
 * tasks per outer step (default T: one full-batch step per pass, which settles at the fixed point
 * of the empirical meta-objective instead of fluctuating around it with mini-batch noise; d=20,
 * k=3, n1=25, T=400: FO-ANIL dist 0.12 vs 0.30 with batches of 20), with the exact (or first-order) meta-gradients of
 * `metaGradient.ts` on each task's inner/outer rows (`split`). Initialisation from the theory:
 * B₀ = Q/√α, w₀ = 0 (`initialParams`); α, β default 0.5. B̂ = orth(B). The bridge between
 * meta-learning and Du et al.'s two-stage bounds drawn by Bouniot & Redko. A blow-up stops the run
 * with `status: "diverged"` (iteration, quantity, value) and the last finite B.
 */
export function anilEstimate(
  data: MultiTaskData,
  k: number,
  options: EstimatorOptions,
  ctx: EstimatorContext,
  firstOrder: boolean,
): RepresentationFit {
  const method = firstOrder ? "fo-anil" : "anil";
  const split = options.split ?? "halves";
  if (split === "halves" && minTaskRows(data) < 2) {
    throw new ParamError(method, "split", 'needs at least 2 rows per task when "halves"', split);
  }
  checkHeadPenalty(method, options);
  const pinned = pinnedMetaTasks(data, k, split);
  try {
    return anilLoop(
      data,
      k,
      pinned ? pinned.tasks : asMetaTasks(data, k, split),
      options,
      ctx,
      firstOrder,
      pinned,
    );
  } finally {
    if (pinned) unpin(pinned.at);
  }
}

/** The loop of `anilEstimate` on given tasks (with `pinned`, their pinned rows, FO-ANIL batches run in the kernel). */
export function anilLoop(
  data: MultiTaskData,
  k: number,
  tasks: TaskData[],
  options: EstimatorOptions,
  ctx: EstimatorContext,
  firstOrder: boolean,
  pinned: PinnedMetaTasks | null,
): RepresentationFit {
  const method = firstOrder ? "fo-anil" : "anil";
  const alpha = options.alpha ?? 0.5;
  const beta = options.beta ?? 0.5;
  const epochs = options.epochs ?? 100;
  const T = data.tasks;
  const batch = Math.min(options.batch ?? T, T);
  const penalty = checkHeadPenalty(method, options);
  const penalised = penaltyActive(penalty);
  const taskGradient = firstOrder ? foAnilTaskGradient : anilTaskGradient;
  const p = initialParams(foldInString(ctx.key, "init"), data.d, k, alpha, 0);
  const ws = allocWorkspace(data.d, k);
  const orderKey = foldInString(ctx.key, "order");
  const pws = penalised ? allocPenaltyWorkspace(batch, data.d, k) : null;
  const batchTasks: TaskData[] = [];
  let iteration = 0;
  for (let e = 0; e < epochs; e++) {
    const order = permutation(T, stream(foldIn(orderKey, e)));
    for (let b0 = 0; b0 < T; b0 += batch) {
      if (ctx.signal?.aborted) throw new AbortedError(`${method}: stopped at iteration ${iteration + 1}`);
      const b1 = Math.min(T, b0 + batch);
      startMetaGradient(p, ws);
      if (pws) {
        // Bouniot et al.'s penalty on the adapted heads of this batch (penalisedMetaGradient.ts).
        batchTasks.length = 0;
        for (let i = b0; i < b1; i++) {
          batchTasks.push(tasks[order[i]]);
          penalisedTaskPhase(method, p, tasks[order[i]], alpha, ws, pws, i - b0);
        }
        finishPenalisedBatch(method, p, batchTasks, alpha, ws, pws, penalty);
      } else if (firstOrder && pinned) foAnilBatchPinned(pinned, order, b0, b1, p, alpha, ws);
      else for (let i = b0; i < b1; i++) taskGradient(p, tasks[order[i]], alpha, ws);
      finishMetaGradient(p, ws, b1 - b0, alpha);
      iteration++;
      const bad = step(p, ws.GB, ws.Gw, beta);
      if (bad) {
        return {
          method,
          B: orthonormalize(p.B),
          iterations: iteration,
          converged: null,
          status: "diverged",
          diverged: { iteration, quantity: bad.q, value: bad.v },
          info: {},
        };
      }
      ctx.onIteration?.(p.B, iteration);
    }
  }
  let wNorm = 0;
  for (const v of p.w) wNorm += v * v;
  return {
    method,
    B: orthonormalize(p.B),
    iterations: iteration,
    converged: null,
    status: "ok",
    info: { metaHeadNorm: Math.sqrt(wNorm) },
  };
}
