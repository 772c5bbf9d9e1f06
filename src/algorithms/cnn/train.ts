import { AbortedError, ParamError } from "../../errors.js";
import { gemmStrided, type Operand, pinned, release, strided } from "../../linalg/gemm.js";
import type { Mat } from "../../linalg/mat.js";
import type { PatchDataset } from "../../models/patchData.js";
import { type Activation, checkActivation } from "./activation.js";
import { activateLossSlopes, type DualStep, lossAndGradient } from "./gradient.js";
import { allocCnnWorkspace, type CnnWorkspace, xRows } from "./network.js";
import {
  type DualStructure,
  disposeDual,
  dualPreactivations,
  dualStructure,
  dualWeights,
  layoutOf,
  noiseRows,
  structuredForward,
} from "./structured.js";

/**
 * Training sets of at most this many doubles (32 MiB) are pinned in the kernel module's memory for
 * the run: each step's two products then read X in place instead of copying it in twice (about
 * 15% of a step at d=400, 100 rows); larger ones are copied block by block as before.
 */
export const PIN_MAX_DOUBLES = 1 << 22;

/** Settings of full-batch gradient descent on the CNN (SPEC §3). */
export interface CnnTrainConfig {
  activation: Activation;
  /** Step size η > 0. */
  eta: number;
  /** Weight decay λ ≥ 0 (0: none). */
  lambda: number;
  /** Number of gradient steps. */
  iters: number;
  /** Call `onRecord` at t = 0, every `recordEvery` steps and at the end. Default: every step. */
  recordEvery?: number;
  /** An entry of W beyond this in absolute value (or non-finite) is a divergence. Default 1e8. */
  divergenceThreshold?: number;
  /**
   * How the steps are computed (`cnnPath`): `primal` updates W, `dual` the coefficients C of
   * W_t = a_t W_0 + Cᵀ X. The same iterates up to rounding; `auto` (the default) takes the one
   * with fewer multiply-adds for this run.
   */
  path?: "auto" | CnnPath;
}

/**
 * The two ways to run full-batch gradient descent on the CNN; both give W_t up to rounding.
 *
 * - `primal`: each step forms Z = X Wᵀ and ∇L = (∂L/∂Z)ᵀ X + λW, then W ← W − η∇L: two products
 *   of R·d·2m multiply-adds (R = N·P rows of X).
 * - `dual`: every gradient of L lies in the row space of X (∇L − λW = Dᵀ X, D = ∂L/∂Z), so
 *   W_t = a_t W_0 + C_tᵀ X with a_t = (1 − ηλ)^t and an R × 2m matrix C_t, updated as
 *   C ← (1 − ηλ) C − η D. The preactivations follow without touching X:
 *   Z_t = X W_tᵀ = a_t Z_0 + G C_t, with the Gram matrix G = X Xᵀ (R × R) and Z_0 = X W_0ᵀ formed
 *   once. A step costs one product of R²·2m multiply-adds instead of two of R·d·2m: fewer when
 *   R < 2d, i.e. when there are fewer patches than twice their dimension (a single task's few
 *   examples). W is formed (a product of R·d·2m) only when the recorder or the caller needs it,
 *   and λ‖W‖² comes from a_t²‖W_0‖² + a_t⟨C, Z_0⟩ + ⟨C, Z_t⟩. The divergence check bounds
 *   |W_{t+1}| entrywise by |a_{t+1}|·max|W_0| + max|X|·Σ_r |C_{t+1}[r, j]| and forms W_{t+1} to
 *   check it exactly only when that bound passes the threshold.
 */
export type CnnPath = "primal" | "dual";

/**
 * Multiply-adds of a run on each path (products only; the elementwise work is the same): R rows of
 * X (examples × patches), patch dimension d, F = 2m filters, `iters` steps, W formed `records`
 * times by the recorder.
 *   primal: iters·2·R·d·F + R·d·F (the forward pass at the last step);
 *   dual:   R²·d + R·d·F (G and Z_0) + iters·R²·F + (records + 1)·R·d·F (W formed; +1: at the end).
 * Dense counts, also on data with known zeros (where both paths skip them, structured.ts): so the
 * path, and with it a run's bits, do not depend on whether the data carry their layout.
 */
export function cnnPathCosts(
  R: number,
  d: number,
  F: number,
  iters: number,
  records: number,
): Record<CnnPath, number> {
  return {
    primal: iters * 2 * R * d * F + R * d * F,
    dual: R * R * d + R * d * F + iters * R * R * F + (records + 1) * R * d * F,
  };
}

/** The path `auto` takes for a run of `config` on `data` with W of `filters` rows (see `cnnPathCosts`). */
export function cnnPath(
  config: CnnTrainConfig,
  data: PatchDataset,
  filters: number,
  recording: boolean,
): CnnPath {
  if (config.path !== undefined && config.path !== "auto") return config.path;
  const R = data.count * data.P;
  if (R === 0) return "primal";
  const every = config.recordEvery ?? 1;
  const records = recording ? Math.floor(config.iters / every) + 1 + (config.iters % every === 0 ? 0 : 1) : 0;
  const cost = cnnPathCosts(R, data.d, filters, config.iters, records);
  return cost.dual < cost.primal ? "dual" : "primal";
}

/** What the recorder sees at step t: W_t, and its preactivations and outputs on the training data. */
export interface CnnState {
  /** Steps taken (0 = the initialisation). */
  t: number;
  W: Mat;
  /** Training objective L(W_t). */
  loss: number;
  /** The workspace after the forward pass at W_t: `ws.Z`, `ws.out` on the training data. */
  ws: CnnWorkspace;
}

export interface CnnDivergence {
  /** The step whose update (or whose loss) was not finite or too large (1-based). */
  iteration: number;
  quantity: "W" | "loss";
  value: number;
}

export interface CnnTrainResult {
  /** The last finite weights. */
  W: Mat;
  /** Steps completed. */
  steps: number;
  status: "ok" | "diverged";
  diverged?: CnnDivergence;
}

export interface CnnTrainHooks {
  signal?: AbortSignal;
  onRecord?(state: CnnState): void;
  /** Called after each step t (1-based). */
  onStep?(t: number, iters: number): void;
}

/** Check the settings; bad values throw a one-line ParamError. */
export function checkTrainConfig(c: CnnTrainConfig): void {
  checkActivation(c.activation);
  if (!(c.eta > 0 && Number.isFinite(c.eta))) throw new ParamError("cnn", "eta", "must be > 0", c.eta);
  if (!(c.lambda >= 0 && Number.isFinite(c.lambda)))
    throw new ParamError("cnn", "lambda", "must be ≥ 0", c.lambda);
  if (!Number.isInteger(c.iters) || c.iters < 0)
    throw new ParamError("cnn", "iters", "must be an integer ≥ 0", c.iters);
  const every = c.recordEvery ?? 1;
  if (!Number.isInteger(every) || every < 1)
    throw new ParamError("cnn", "recordEvery", "must be an integer ≥ 1", every);
  if (c.path !== undefined && !["auto", "primal", "dual"].includes(c.path))
    throw new ParamError("cnn", "path", "must be auto, primal or dual", c.path);
}

/**
 * Full-batch gradient descent W ← W − η ∇L(W) (SPEC §3) from `W0` (not modified) on `data` with
 * example weights `weights` (see `exampleWeights`). A non-finite loss or weight, or a weight
 * beyond the threshold, stops training and is reported with its step as a result, not an error;
 * `W` is then the last finite iterate.
 */
export function trainCnn(
  config: CnnTrainConfig,
  data: PatchDataset,
  weights: Float64Array,
  W0: Mat,
  hooks: CnnTrainHooks = {},
): CnnTrainResult {
  checkTrainConfig(config);
  if (weights.length !== data.count) {
    throw new RangeError(`trainCnn: ${weights.length} weights for ${data.count} examples`);
  }
  const ws = allocCnnWorkspace(data.count, data.P, { m: W0.rows / 2, d: W0.cols });
  const X = data.X;
  const kind = cnnPath(config, data, W0.rows, hooks.onRecord !== undefined);
  // On data with known zeros both paths read only X's compact noise rows (structured.ts).
  const layout = layoutOf(data);
  const Xn = layout ? noiseRows(data, layout) : null;
  if (Xn) {
    if (Xn.length > 0 && Xn.length <= PIN_MAX_DOUBLES) {
      const mat = pinned({ rows: 1, cols: Xn.length, data: Xn });
      ws.pinnedNoise = { source: Xn, mat };
    }
  } else if (X.data.length > 0 && X.data.length <= PIN_MAX_DOUBLES) {
    ws.pinnedX = { source: X.data, mat: pinned(X) };
  }
  let path: Path | null = null;
  try {
    const inputs = { config, data, weights, W0, ws };
    path = kind === "dual" ? dualPath(inputs) : primalPath(inputs);
    return descend(config, ws, path, hooks);
  } finally {
    path?.dispose();
    if (ws.pinnedX) release(ws.pinnedX.mat);
    if (ws.pinnedNoise) release(ws.pinnedNoise.mat);
    ws.pinnedX = null;
    ws.pinnedNoise = null;
  }
}

/**
 * One way of computing the iterates W_t (see `CnnPath`), driven by `descend`. At every t, `loss`
 * evaluates L(W_t) and leaves the forward pass in the workspace; `propose` computes W_{t+1} and
 * returns an entry of it beyond the divergence threshold (or NaN), or null; `accept` moves to it.
 */
interface Path {
  loss(withGradient: boolean): number;
  /** W_t (formed on demand by a path that does not hold it). */
  weights(): Mat;
  propose(): { value: number } | null;
  accept(): void;
  dispose(): void;
}

/** What a path starts from: the run's settings, data, example weights, W_0 and workspace. */
interface PathInputs {
  config: CnnTrainConfig;
  data: PatchDataset;
  weights: Float64Array;
  W0: Mat;
  ws: CnnWorkspace;
}

/** The gradient-descent loop, the same for every path: records, divergence, abort, progress. */
function descend(config: CnnTrainConfig, ws: CnnWorkspace, path: Path, hooks: CnnTrainHooks): CnnTrainResult {
  const { iters } = config;
  const every = config.recordEvery ?? 1;
  for (let t = 0; ; t++) {
    if (hooks.signal?.aborted) throw new AbortedError("cnn training aborted");
    const record = hooks.onRecord !== undefined && (t % every === 0 || t === iters);
    const loss = path.loss(t < iters);
    if (!Number.isFinite(loss)) {
      const diverged = { iteration: t, quantity: "loss" as const, value: loss };
      return { W: path.weights(), steps: t, status: "diverged", diverged };
    }
    if (record) hooks.onRecord?.({ t, W: path.weights(), loss, ws });
    if (t === iters) return { W: path.weights(), steps: t, status: "ok" };
    const bad = path.propose();
    if (bad !== null) {
      const diverged = { iteration: t + 1, quantity: "W" as const, value: bad.value };
      return { W: path.weights(), steps: t, status: "diverged", diverged };
    }
    path.accept();
    hooks.onStep?.(t + 1, iters);
  }
}

/** The last index whose entry is beyond `threshold` in absolute value or not a number; −1 if none. */
function lastBeyond(v: Float64Array, threshold: number): number {
  let bad = -1;
  for (let k = 0; k < v.length; k++) if (!(Math.abs(v[k]) <= threshold)) bad = k; // also true for NaN
  return bad;
}

function maxAbs(v: Float64Array): number {
  let m = 0;
  for (let k = 0; k < v.length; k++) m = Math.max(m, Math.abs(v[k]));
  return m;
}

/** The primal path: W ← W − η ∇L(W), with ∇L from `lossAndGradient`. */
function primalPath({ config, data, weights, W0, ws }: PathInputs): Path {
  const { activation: act, eta, lambda } = config;
  const threshold = config.divergenceThreshold ?? 1e8;
  const W: Mat = { rows: W0.rows, cols: W0.cols, data: W0.data.slice() };
  const next = new Float64Array(W.data.length);
  const g = ws.grad.data;
  return {
    loss: (withGradient) => lossAndGradient(W, act, lambda, data, weights, ws, withGradient),
    weights: () => W,
    propose() {
      const w = W.data;
      for (let k = 0; k < w.length; k++) next[k] = w[k] - eta * g[k];
      const bad = lastBeyond(next, threshold);
      return bad >= 0 ? { value: next[bad] } : null;
    },
    accept: () => W.data.set(next),
    dispose() {},
  };
}

/** The dual path (see `CnnPath`): the same iterates as the primal path up to rounding. */
function dualPath({ config, data, weights, W0, ws }: PathInputs): Path {
  const { activation: act, eta, lambda } = config;
  const threshold = config.divergenceThreshold ?? 1e8;
  const { count } = ws;
  const R = count * ws.P;
  const F = W0.rows;
  const X = xRows(data, ws, 0, R);
  const rowsOfF = (data: Float64Array) => strided({ rows: R, cols: F, data });
  // Data with known zeros: the products skip them (structured.ts, same bits); C is always finite
  // there (an accepted C_{t+1} passed the bound, or its W_{t+1}, non-finite with it, was checked).
  const sd = dualStructure(data, ws, PIN_MAX_DOUBLES);
  // Once: Z_0 = X W_0ᵀ (the primal path's first forward product, same bits) and G = X Xᵀ.
  const Z0 = new Float64Array(R * F);
  const layout = layoutOf(data);
  if (layout !== null && structuredForward(W0, data, layout, ws, 0, count)) Z0.set(ws.Z.data);
  else gemmStrided(false, true, 1, X, strided(W0), 0, rowsOfF(Z0));
  let G: Operand | null = null;
  if (sd === null) {
    const gram = { rows: R, cols: R, data: new Float64Array(R * R) };
    gemmStrided(false, true, 1, X, X, 0, strided(gram));
    G = gram.data.length <= PIN_MAX_DOUBLES ? pinned(gram) : strided(gram);
  }
  let t = 0;
  let a = 1;
  let aNext = 1;
  let C = new Float64Array(R * F);
  let next = new Float64Array(R * F);
  const colSum = new Float64Array(F);
  const decay = 1 - eta * lambda;
  const step: DualStep = { C, next, decay, eta, colSum };
  const w0Max = maxAbs(W0.data);
  const xMax = maxAbs(data.X.data);
  let w0Sq = 0;
  for (let k = 0; k < W0.data.length; k++) w0Sq += W0.data[k] * W0.data[k];
  // W_t, formed from (a_t, C_t) when asked for; at t = 0 it is W_0 itself.
  const W: Mat = { rows: F, cols: W0.cols, data: W0.data.slice() };
  let formed = true;
  const Wnext: Mat = { rows: F, cols: W0.cols, data: new Float64Array(W.data.length) };
  /** into ← a W_0 + Cᵀ X (`dense`: by the dense product, whatever the data). */
  const form = (into: Mat, a: number, C: Float64Array, dense = false): void => {
    if (sd !== null && !dense) {
      dualWeights(sd, data, ws, W0.data, a, C, into.data);
      return;
    }
    into.data.set(W0.data);
    gemmStrided(true, false, 1, rowsOfF(C), X, a, strided(into));
  };
  const Z = ws.Z.data;
  return {
    loss(withGradient) {
      Z.set(Z0);
      if (t > 0) {
        if (G === null) dualPreactivations(sd as DualStructure, a, C, Z);
        else gemmStrided(false, false, 1, G, rowsOfF(C), a, strided(ws.Z));
      }
      // C_{t+1} is computed in the same pass (`DualStep`), from D_t's rows while in cache.
      aNext = decay * a;
      colSum.fill(0);
      step.C = C;
      step.next = next;
      let loss = activateLossSlopes(act, data, weights, ws, 0, count, withGradient, 0, step);
      if (lambda !== 0) {
        // ‖W_t‖² = a²‖W_0‖² + 2a⟨C, Z_0⟩ + ⟨C, G C⟩ = a²‖W_0‖² + a⟨C, Z_0⟩ + ⟨C, Z_t⟩.
        let cz0 = 0;
        let cz = 0;
        for (let k = 0; k < C.length; k++) {
          cz0 += C[k] * Z0[k];
          cz += C[k] * Z[k];
        }
        loss += 0.5 * lambda * (a * a * w0Sq + a * cz0 + cz);
      }
      return loss;
    },
    weights() {
      if (!formed) form(W, a, C);
      formed = true;
      return W;
    },
    propose() {
      // C_{t+1} = (1 − ηλ) C_t − η D_t and each column's sum of |C_{t+1}| over r in order were
      // computed with D_t (`loss`); here a bound on every |W_{t+1}| entry.
      let colMax = 0;
      for (let j = 0; j < F; j++) colMax = Math.max(colMax, colSum[j]);
      const bound = Math.abs(aNext) * w0Max + xMax * colMax;
      if (bound <= threshold) return null;
      // The bound does not rule a divergence out: form W_{t+1} and check it as the primal path does
      // (densely: a non-finite C_{t+1} then shows in W_{t+1} as it always has).
      form(Wnext, aNext, next, true);
      const bad = lastBeyond(Wnext.data, threshold);
      return bad >= 0 ? { value: Wnext.data[bad] } : null;
    },
    accept() {
      [C, next] = [next, C];
      a = aNext;
      t++;
      formed = false;
    },
    dispose() {
      if (G !== null && "at" in G) release(G);
      if (sd !== null) disposeDual(sd);
    },
  };
}
