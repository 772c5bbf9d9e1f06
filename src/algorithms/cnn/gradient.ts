import { gemmStrided, strided } from "../../linalg/gemm.js";
import type { Mat } from "../../linalg/mat.js";
import type { PatchDataset } from "../../models/patchData.js";
import type { Activation } from "./activation.js";
import { logisticLoss, logisticLossDerivative } from "./loss.js";
import {
  activateRows,
  blockExamples,
  type CnnWorkspace,
  checkFits,
  preactivateRange,
  rowsOf,
  xRows,
} from "./network.js";
import { layoutOf, structuredBackward } from "./structured.js";

/**
 * The training objective and its analytic gradient (SPEC §3, [derived]; checked against central
 * finite differences in gradient.test.ts):
 *
 *   L(W) = Σ_i c_i ℓ(y_i f(W, x_i)) + (λ/2) ‖W‖_F²,
 *   ∂L/∂Z[i·P + p, (j, r)] = c_i ℓ'(y_i f_i) y_i · j · σ'(Z[i·P + p, (j, r)]) / m,
 *   ∇_W L = (∂L/∂Z)ᵀ X + λ W      ((2m × N·P) · (N·P × d), accumulated block by block),
 *
 * where j = ±1 is the class of filter row (j, r) and `c_i` the weight of example i (1/n for a
 * task's mean loss; see `exampleWeights`). Fills `ws.grad` (unless `withGradient` is false) and
 * returns L. The preactivations of W stay in `ws.Z` (the diagnostics read them).
 */
export function lossAndGradient(
  W: Mat,
  act: Activation,
  lambda: number,
  data: PatchDataset,
  weights: Float64Array,
  ws: CnnWorkspace,
  withGradient = true,
): number {
  checkFits(W, data, ws);
  const { P, count } = ws;
  let loss = 0;
  // Block by block, so a block of X is still in cache for its backward product.
  const B = blockExamples(P, ws.d);
  for (let i0 = 0; i0 < count; i0 += B) {
    const i1 = Math.min(count, i0 + B);
    preactivateRange(W, data, ws, i0, i1);
    loss = activateLossSlopes(act, data, weights, ws, i0, i1, withGradient, loss);
    const layout = withGradient ? layoutOf(data) : null;
    if (
      withGradient &&
      !(layout !== null && structuredBackward(data, layout, ws, i0, i1, i0 === 0 ? 0 : 1))
    ) {
      gemmStrided(
        true,
        false,
        1,
        strided(rowsOf(ws.S, i0 * P, i1 * P)),
        xRows(data, ws, i0 * P, i1 * P),
        i0 === 0 ? 0 : 1,
        strided(ws.grad),
      );
    }
  }
  const w = W.data;
  if (lambda !== 0) {
    let sq = 0;
    for (let k = 0; k < w.length; k++) sq += w[k] * w[k];
    loss += 0.5 * lambda * sq;
  }
  if (!withGradient) return loss;
  if (count === 0) ws.grad.data.fill(0);
  if (lambda !== 0) {
    const gr = ws.grad.data;
    for (let k = 0; k < w.length; k++) gr[k] += lambda * w[k];
  }
  return loss;
}

/**
 * `acc` plus the data term Σ_i c_i ℓ(y_i f_i) over examples [i0, i1) (added in order, so blocks
 * sum as one loop would) from their outputs `ws.out`, and (if
 * `withGradient`) σ'(Z) in `ws.S` turned into ∂L/∂Z in place on their rows:
 * ∂L/∂Z[i·P + p, (j, r)] = c_i ℓ'(y_i f_i) y_i · j · σ'(Z[i·P + p, (j, r)]) / m.
 */
export function lossAndSlopes(
  data: PatchDataset,
  weights: Float64Array,
  ws: CnnWorkspace,
  i0: number,
  i1: number,
  withGradient: boolean,
  acc = 0,
): number {
  const { m, P } = ws;
  const cols = 2 * m;
  const out = ws.out;
  const D = ws.S.data;
  const inv = 1 / m;
  let loss = acc;
  for (let i = i0; i < i1; i++) {
    const margin = data.y[i] * out[i];
    loss += weights[i] * logisticLoss(margin);
    if (!withGradient) continue;
    const g = weights[i] * logisticLossDerivative(margin) * data.y[i] * inv;
    const start = i * P * cols;
    for (let p = 0; p < P; p++) {
      const row = start + p * cols;
      for (let r = 0; r < m; r++) {
        D[row + r] *= g;
        D[row + m + r] *= -g;
      }
    }
  }
  return loss;
}

/**
 * `activateRows` then `lossAndSlopes` on examples [i0, i1) (returns `acc` plus their loss), the
 * same bits; for relu³ (the default activation) in one pass over each example's rows instead of
 * three over the block's, without the σ(Z) buffer (`ws.A` is left as it was): per entry the same
 * operations as `activateInto`'s branchless loop and the same order of the output's sum, then
 * σ'(Z) scaled by the example's c_i ℓ'(y_i f_i) y_i j / m as `lossAndSlopes` scales it. An example
 * with a NaN output (a NaN or ±∞ preactivation) is redone by the general code, which then gives
 * the same values as the two passes would. With `step`, also the dual path's update of C from
 * those rows (see `DualStep`).
 */
export function activateLossSlopes(
  act: Activation,
  data: PatchDataset,
  weights: Float64Array,
  ws: CnnWorkspace,
  i0: number,
  i1: number,
  withGradient: boolean,
  acc = 0,
  step: DualStep | null = null,
): number {
  if (!(act.kind === "relu-power" && act.q === 3)) {
    activateRows(act, ws, i0, i1);
    const loss = lossAndSlopes(data, weights, ws, i0, i1, withGradient, acc);
    if (withGradient && step !== null)
      dualStepRows(step, ws.S.data, i0 * ws.P * 2 * ws.m, i1 * ws.P * 2 * ws.m);
    return loss;
  }
  const { m, P } = ws;
  const cols = 2 * m;
  const Z = ws.Z.data;
  const S = ws.S.data;
  const out = ws.out;
  const inv = 1 / m;
  let loss = acc;
  for (let i = i0; i < i1; i++) {
    const start = i * P * cols;
    let f = 0;
    for (let p = 0; p < P; p++) {
      const row = start + p * cols;
      for (let r = 0; r < m; r++) {
        const x = Z[row + r];
        const y = Z[row + m + r];
        const px = 0.5 * (x + Math.abs(x));
        const py = 0.5 * (y + Math.abs(y));
        const x2 = px * px;
        const y2 = py * py;
        f += x2 * px - y2 * py;
        S[row + r] = 3 * x2;
        S[row + m + r] = 3 * y2;
      }
    }
    // A NaN or −∞ preactivation: activateRows' values for this example (its fallback to the branch).
    if (Number.isNaN(f)) activateRows(act, ws, i, i + 1);
    else out[i] = f * inv;
    loss = lossAndSlopes(data, weights, ws, i, i + 1, withGradient, loss);
    if (withGradient && step !== null) dualStepRows(step, S, start, start + P * cols);
  }
  return loss;
}

/**
 * The dual path's update (train.ts) C_{t+1} = decay·C_t − η·D_t, done by `activateLossSlopes` on
 * each example's rows of D = ∂L/∂Z while they are in cache, instead of by a pass of its own:
 * `next` ← decay·`C` − η·D and `colSum[j]` += |next[r, j]| over the rows r in order (the caller
 * zeroes `colSum` first).
 */
export interface DualStep {
  C: Float64Array;
  next: Float64Array;
  decay: number;
  eta: number;
  colSum: Float64Array;
}

function dualStepRows(st: DualStep, D: Float64Array, from: number, to: number): void {
  const { C, next, decay, eta, colSum } = st;
  const F = colSum.length;
  for (let o = from; o < to; o += F) {
    for (let j = 0; j < F; j++) {
      const v = decay * C[o + j] - eta * D[o + j];
      next[o + j] = v;
      colSum[j] += Math.abs(v);
    }
  }
}

/**
 * Weights c_i of the examples in the objective:
 * - `task-mean`: c_i = 1 / n_{t(i)} — each task's mean loss, summed over tasks. On one task's
 *   data this is the single-task mean loss; on the union it weights every example exactly as in
 *   its own single-task run (the union's mean loss with step K·η when tasks have equal n);
 * - `mean`: c_i = 1 / N — the mean over the union (the same trajectory as `task-mean`, K times
 *   slower in iterations, when tasks have equal n).
 */
export function exampleWeights(data: PatchDataset, mode: "task-mean" | "mean"): Float64Array {
  const c = new Float64Array(data.count);
  if (mode === "mean") return c.fill(1 / data.count);
  const perTask = new Float64Array(data.tasks);
  for (let i = 0; i < data.count; i++) perTask[data.task[i]]++;
  for (let i = 0; i < data.count; i++) c[i] = 1 / perTask[data.task[i]];
  return c;
}
