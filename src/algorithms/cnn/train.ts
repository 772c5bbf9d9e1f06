import { AbortedError, ParamError } from "../../errors.js";
import { pinned, release } from "../../linalg/gemm.js";
import type { Mat } from "../../linalg/mat.js";
import type { PatchDataset } from "../../models/patchData.js";
import { type Activation, checkActivation } from "./activation.js";
import { lossAndGradient } from "./gradient.js";
import { allocCnnWorkspace, type CnnWorkspace } from "./network.js";

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
  if (X.data.length > 0 && X.data.length <= PIN_MAX_DOUBLES) {
    ws.pinnedX = { source: X.data, mat: pinned(X) };
  }
  try {
    return descend(config, data, weights, W0, ws, hooks);
  } finally {
    if (ws.pinnedX) release(ws.pinnedX.mat);
    ws.pinnedX = null;
  }
}

function descend(
  config: CnnTrainConfig,
  data: PatchDataset,
  weights: Float64Array,
  W0: Mat,
  ws: CnnWorkspace,
  hooks: CnnTrainHooks,
): CnnTrainResult {
  const { activation: act, eta, lambda, iters } = config;
  const every = config.recordEvery ?? 1;
  const threshold = config.divergenceThreshold ?? 1e8;
  const W: Mat = { rows: W0.rows, cols: W0.cols, data: W0.data.slice() };
  const next = new Float64Array(W.data.length);
  const g = ws.grad.data;
  for (let t = 0; ; t++) {
    if (hooks.signal?.aborted) throw new AbortedError("cnn training aborted");
    const record = hooks.onRecord !== undefined && (t % every === 0 || t === iters);
    const loss = lossAndGradient(W, act, lambda, data, weights, ws, t < iters);
    if (!Number.isFinite(loss)) {
      return { W, steps: t, status: "diverged", diverged: { iteration: t, quantity: "loss", value: loss } };
    }
    if (record) hooks.onRecord?.({ t, W, loss, ws });
    if (t === iters) return { W, steps: t, status: "ok" };
    const w = W.data;
    let bad = -1;
    for (let k = 0; k < w.length; k++) {
      const v = w[k] - eta * g[k];
      next[k] = v;
      if (!(Math.abs(v) <= threshold)) bad = k; // also true for NaN
    }
    if (bad >= 0) {
      return {
        W,
        steps: t,
        status: "diverged",
        diverged: { iteration: t + 1, quantity: "W", value: next[bad] },
      };
    }
    w.set(next);
    hooks.onStep?.(t + 1, iters);
  }
}
