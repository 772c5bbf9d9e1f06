import { grad } from "../../autodiff/grad.js";
import { add, mul, scale, sub, sum, tileRows } from "../../autodiff/ops.js";
import { type Tape, Tensor } from "../../autodiff/tape.js";
import { ParamError } from "../../errors.js";
import { type Mat, matFrom } from "../../linalg/mat.js";
import { type HeadPenalty, type HeadSpectrum, headPenalty, penaltyActive } from "../headPenalty.js";
import type { NetworkMethod } from "./methods.js";
import { ModelError, type NetworkModel, predict } from "./models.js";

/**
 * A labelled set: X (m × inputs) and Y (m × outputs); its loss is `weight · Σ (f(θ, X) − Y)²`,
 * weight 1/m (mean squared error, Finn et al.) or 1/(2m) (half of it, SPEC §1's L̂) by the loss
 * named in the config, unless `weight` is given — e.g. the population of the linear model
 * (x ~ N(0, I_d), no noise) is X = I_d, Y = θ*, weight ½: ½‖Bw − θ*‖² exactly.
 */
export interface LabelledSet {
  x: Mat;
  y: Mat;
  weight?: number;
}

/** A regression task: inner (support, adaptation) and outer (query, evaluation) sets. */
export interface RegressionTask {
  inner: LabelledSet;
  outer: LabelledSet;
}

export type NetworkLoss = "mse" | "half-mse";

/** Inner loop: `steps` GD steps of size α on the task's inner loss; `loss` weighs the sets. */
export interface InnerLoop {
  alpha: number;
  steps: number;
  loss: NetworkLoss;
}

/** The model as the methods need it: its registry id (for messages) and the network. */
export interface ModelRef {
  id: string;
  model: NetworkModel;
}

/** The set's loss as a 1 × 1 tensor: weight · Σ (f(θ, X) − Y)². */
export function setLoss(
  tape: Tape,
  m: ModelRef,
  params: readonly Tensor[],
  set: LabelledSet,
  loss: NetworkLoss,
): Tensor {
  const x = tape.constant(set.x.data, set.x.rows, set.x.cols);
  const y = tape.constant(set.y.data, set.y.rows, set.y.cols);
  const d = sub(predict(m.id, m.model, params, x), y);
  const w = set.weight ?? (loss === "mse" ? 1 / set.x.rows : 1 / (2 * set.x.rows));
  return scale(sum(mul(d, d)), w);
}

/** Indices of the parameters a method's inner loop adapts. */
export function adaptedIndices(method: NetworkMethod, model: NetworkModel): number[] {
  const n = model.shapes.length;
  if (method.inner === "none") return [];
  if (method.inner === "head")
    return Array.from({ length: model.headSize }, (_, i) => n - model.headSize + i);
  return Array.from({ length: n }, (_, i) => i);
}

/**
 * The inner loop from θ (tensors of the tape): φ₀ = θ, φ_{s+1} = φ_s − α ∇L_in(φ_s) on the adapted
 * parameters. Exact methods keep each step's gradient as a differentiable tensor (so the outer
 * gradient runs through it: Hessian-vector products); first-order methods detach it.
 */
export function innerLoop(
  tape: Tape,
  method: NetworkMethod,
  m: ModelRef,
  theta: readonly Tensor[],
  task: RegressionTask,
  inner: InnerLoop,
): Tensor[] {
  const phi = theta.slice();
  const adapted = adaptedIndices(method, m.model);
  if (adapted.length === 0) return phi;
  for (let s = 0; s < inner.steps; s++) {
    const L = setLoss(tape, m, phi, task.inner, inner.loss);
    const g = grad(
      L,
      adapted.map((i) => phi[i]),
    );
    adapted.forEach((i, j) => {
      const gj = method.firstOrder ? tape.detach(g[j]) : g[j];
      phi[i] = sub(phi[i], scale(gj, inner.alpha));
    });
  }
  return phi;
}

/**
 * Bouniot et al.'s head penalty (ECCV 2022; SPEC §1.3) on a network's adapted heads: the outer
 * objective becomes F(θ) = (1/n) Σ_i L_out,i(φ_i(θ)) + R(W′), R(W′) = λ1 κ(W̃)² + λ2 ‖W̃W̃ᵀ‖_F,
 * W̃ = W′/√n, where row i of W′ is task i's adapted head weights φ_i,head (the last layer's weight
 * tensor flattened, its bias excluded: the task's predictor on the learned features, as the
 * linear model's w′_i; `penalisedMetaGradient.ts` is the closed form this must equal on a linear
 * network). R couples the tasks, so a batch runs twice: pass 1 adapts every task (forward and
 * inner gradient only) to stack W′ and get P = ∂R/∂W′ (`headPenalty`); pass 2 differentiates
 * L_out,i(φ_i) + n ⟨P_i, φ_i,head⟩ per task with P_i a constant, whose mean over the tasks has
 * gradient (1/n) Σ ∇L_out,i + Σ_i P_iᵀ ∂φ_i,head/∂θ = ∇F by the chain rule. First-order methods
 * detach the inner gradient, so their ∂φ_i,head/∂θ is the identity on the head: the convention of
 * their own meta-gradient. Pass 1 costs one more inner loop per task (about a third more work
 * than without the penalty at one inner step).
 */
export interface NetworkPenaltyResult {
  /** R(W′) at the batch's adapted heads. */
  value: number;
  /** κ, σ_max, σ_min, … of W′ (not normalised; MetaMTReg's logged quantities). */
  spectrum: HeadSpectrum;
}

/** Index of the head's weight tensor (the first of the head's tensors; a bias follows it). */
export function headWeightIndex(model: NetworkModel): number {
  return model.shapes.length - model.headSize;
}

/** Pass 1: the adapted head weights of every task, one row each (n × |head|). */
export function adaptedHeads(
  tape: Tape,
  method: NetworkMethod,
  m: ModelRef,
  params: readonly Float64Array[],
  tasks: readonly RegressionTask[],
  inner: InnerLoop,
): Mat {
  const shapes = m.model.shapes;
  const h = headWeightIndex(m.model);
  const size = shapes[h][0] * shapes[h][1];
  const W = matFrom(tasks.length, size, new Float64Array(tasks.length * size));
  tasks.forEach((task, i) => {
    tape.reset();
    const theta = shapes.map(([r, c], j) => tape.variable(params[j], r, c));
    const phi = innerLoop(tape, { ...method, firstOrder: true }, m, theta, task, inner);
    W.data.set(phi[h].data, i * size);
  });
  return W;
}

/**
 * One batch's meta-gradient: for each task, the gradient with respect to θ of its outer loss at the
 * adapted parameters, L_out(φ(θ)), averaged over the tasks (added in task order, then scaled by
 * 1/n). Writes `out[i]` (one array per parameter, the shapes of `params`); returns the mean outer
 * loss. `params` are read, not written. With `penalty` (a weight > 0; the method must adapt the
 * head), the gradient is that of the penalised objective F above, the returned loss still the mean
 * outer loss, and `penaltyOut` (when given) receives R(W′) and W′'s spectrum.
 *
 * When the model has a blocked forward pass and the tasks' sets are alike (`blockedMetaGradient`),
 * the whole batch is one graph; otherwise one graph per task. Both give the same bits.
 */
export function networkMetaGradient(
  tape: Tape,
  method: NetworkMethod,
  m: ModelRef,
  params: readonly Float64Array[],
  tasks: readonly RegressionTask[],
  inner: InnerLoop,
  out: Float64Array[],
  penalty?: HeadPenalty,
  penaltyOut?: NetworkPenaltyResult,
): number {
  if (tasks.length === 0) throw new ParamError(method.id, "tasks", "must hold at least one task", 0);
  const penalised = penalty && penaltyActive(penalty) ? penalty : undefined;
  if (penalised && method.inner === "none")
    throw new ParamError(
      method.id,
      "method",
      "with lambda_cond or lambda_norm > 0 must adapt a head (avg-gd's heads are n copies of one: rank 1)",
      method.id,
    );
  return canBlock(m.model, tasks)
    ? blockedMetaGradient(tape, method, m, params, tasks, inner, out, penalised, penaltyOut)
    : perTaskMetaGradient(tape, method, m, params, tasks, inner, out, penalised, penaltyOut);
}

/** R(W′) and P = ∂R/∂W′ of the stacked head weights W′ (n rows), reported into `penaltyOut`. */
function penaltyGradient(W: Mat, penalty: HeadPenalty, penaltyOut?: NetworkPenaltyResult): Mat {
  const P = matFrom(W.rows, W.cols, new Float64Array(W.data.length));
  const r = headPenalty(W, penalty, P.data);
  if (penaltyOut) {
    penaltyOut.value = r.value;
    penaltyOut.spectrum = r.spectrum;
  }
  return P;
}

/** Whether the blocked form applies: a blocked forward pass, and every task's sets shaped alike. */
export function canBlock(model: NetworkModel, tasks: readonly RegressionTask[]): boolean {
  if (!model.forwardBlocks || tasks.length < 2) return false;
  const [t0] = tasks;
  const alike = (a: LabelledSet, b: LabelledSet) =>
    a.x.rows === b.x.rows &&
    a.x.cols === b.x.cols &&
    a.y.rows === b.y.rows &&
    a.y.cols === b.y.cols &&
    a.weight === b.weight;
  return tasks.every((t) => alike(t.inner, t0.inner) && alike(t.outer, t0.outer));
}

/**
 * The tasks' `which` sets stacked vertically as constants of the tape: read in place when the
 * tasks' arrays already are consecutive blocks of one buffer (as a caller that draws a batch at
 * once makes them), else copied into pooled buffers.
 */
function stackSets(tape: Tape, tasks: readonly RegressionTask[], which: "inner" | "outer") {
  const s0 = tasks[0][which];
  const n = tasks.length;
  return {
    x: tape.constant(
      stacked(tape, tasks, (t) => t[which].x.data),
      n * s0.x.rows,
      s0.x.cols,
    ),
    y: tape.constant(
      stacked(tape, tasks, (t) => t[which].y.data),
      n * s0.y.rows,
      s0.y.cols,
    ),
    rows: s0.x.rows,
    weight: s0.weight,
  };
}

/** The arrays `of(task)` (all of one length) one after the other: a view when they already are. */
function stacked(
  tape: Tape,
  tasks: readonly RegressionTask[],
  of: (t: RegressionTask) => Float64Array,
): Float64Array {
  const a0 = of(tasks[0]);
  const len = a0.length;
  let consecutive = true;
  for (let b = 1; b < tasks.length && consecutive; b++) {
    const a = of(tasks[b]);
    consecutive = a.buffer === a0.buffer && a.byteOffset === a0.byteOffset + 8 * len * b;
  }
  if (consecutive) return new Float64Array(a0.buffer, a0.byteOffset, len * tasks.length);
  const out = tape.alloc(len * tasks.length);
  for (let b = 0; b < tasks.length; b++) out.set(of(tasks[b]), b * len);
  return out;
}

type StackedSet = ReturnType<typeof stackSets>;

/**
 * The sum over the n blocks of each task's loss `weight · Σ (f(θ_b, X_b) − Y_b)²` (weight from the
 * task's own row count): its gradient with respect to block b of the stacked parameters is task
 * b's gradient, entry for entry. Also returns the residual, from which each task's loss is read.
 */
function stackedLoss(
  m: ModelRef,
  params: readonly Tensor[],
  set: StackedSet,
  blocks: number,
  loss: NetworkLoss,
): { L: Tensor; d: Tensor; w: number } {
  const forward = m.model.forwardBlocks as NonNullable<NetworkModel["forwardBlocks"]>;
  const f = forward(params, set.x, blocks);
  if (!(f instanceof Tensor) || f.tape !== set.x.tape || f.rows !== set.x.rows || f.cols !== m.model.outputs)
    throw new ModelError(
      `model ${m.id}: forwardBlocks must return a ${set.x.rows}×${m.model.outputs} tensor of the tape it was given.`,
    );
  const d = sub(f, set.y);
  const w = set.weight ?? (loss === "mse" ? 1 / set.rows : 1 / (2 * set.rows));
  return { L: scale(sum(mul(d, d)), w), d, w };
}

/**
 * `perTaskMetaGradient` as one graph for the whole batch. Every parameter is tiled, one copy per
 * task (tileRows), and the tasks' sets stacked; the model's blocked forward pass keeps the tasks
 * apart, so the summed loss's gradient with respect to copy b is task b's gradient, computed with
 * the same operations on the same numbers as in task b's own graph, and tileRows' backward adds
 * the copies' gradients in task order from zero — the per-task loop's accumulation. Same bits,
 * one graph instead of n: the products of a task (100 × 20 by 20 × 3 in nonlinear-representation)
 * are so small that building and sweeping a graph per task cost more than the arithmetic.
 */
export function blockedMetaGradient(
  tape: Tape,
  method: NetworkMethod,
  m: ModelRef,
  params: readonly Float64Array[],
  tasks: readonly RegressionTask[],
  inner: InnerLoop,
  out: Float64Array[],
  penalty?: HeadPenalty,
  penaltyOut?: NetworkPenaltyResult,
): number {
  const n = tasks.length;
  const shapes = m.model.shapes;
  tape.reset();
  const theta = shapes.map(([r, c], i) => tape.variable(params[i], r, c));
  const tiled = theta.map((t) => tileRows(t, n));
  const phi = tiled.slice();
  const adapted = adaptedIndices(method, m.model);
  if (adapted.length > 0) {
    const inSet = stackSets(tape, tasks, "inner");
    for (let s = 0; s < inner.steps; s++) {
      const { L } = stackedLoss(m, phi, inSet, n, inner.loss);
      const g = grad(
        L,
        adapted.map((i) => phi[i]),
      );
      adapted.forEach((i, j) => {
        const gj = method.firstOrder ? tape.detach(g[j]) : g[j];
        phi[i] = sub(phi[i], scale(gj, inner.alpha));
      });
    }
  }
  const outSet = stackSets(tape, tasks, "outer");
  const { L, d, w } = stackedLoss(m, phi, outSet, n, inner.loss);
  // Each task's loss as its own graph computes it (squares summed in order, then weighted), added
  // in task order.
  const per = d.size / n;
  const r = d.data;
  let loss = 0;
  for (let b = 0; b < n; b++) {
    let s = 0;
    for (let i = b * per; i < (b + 1) * per; i++) s += r[i] * r[i];
    loss += w * s;
  }
  let objective = L;
  if (penalty) {
    // One graph holds every task's adapted head (block b of the tiled head is task b's), so the
    // penalty needs no second pass: W′ is read off the forward values, and n ⟨P, φ_head⟩ with P
    // constant carries ∂R/∂W′ back through each task's inner step.
    const h = headWeightIndex(m.model);
    const head = phi[h];
    const P = penaltyGradient(matFrom(n, head.size / n, Float64Array.from(head.data)), penalty, penaltyOut);
    objective = add(L, scale(sum(mul(head, tape.constant(P.data, head.rows, head.cols))), n));
  }
  const g = grad(objective, theta);
  const inv = 1 / n;
  for (let i = 0; i < g.length; i++) {
    const gi = g[i].data;
    const o = out[i];
    for (let j = 0; j < o.length; j++) o[j] = gi[j] * inv;
  }
  tape.reset();
  return loss * inv;
}

/**
 * One batch's meta-gradient: for each task, the gradient with respect to θ of its outer loss at the
 * adapted parameters, L_out(φ(θ)), averaged over the tasks (added in task order, then scaled by
 * 1/n). Writes `out[i]` (one array per parameter, the shapes of `params`); returns the mean outer
 * loss. The tape is reset before each task; `params` are read, not written. One graph per task:
 * `networkMetaGradient` uses it where the blocked form does not apply.
 */
export function perTaskMetaGradient(
  tape: Tape,
  method: NetworkMethod,
  m: ModelRef,
  params: readonly Float64Array[],
  tasks: readonly RegressionTask[],
  inner: InnerLoop,
  out: Float64Array[],
  penalty?: HeadPenalty,
  penaltyOut?: NetworkPenaltyResult,
): number {
  if (tasks.length === 0) throw new ParamError(method.id, "tasks", "must hold at least one task", 0);
  const shapes = m.model.shapes;
  const n = tasks.length;
  const P = penalty
    ? penaltyGradient(adaptedHeads(tape, method, m, params, tasks, inner), penalty, penaltyOut)
    : null;
  const h = headWeightIndex(m.model);
  for (const o of out) o.fill(0);
  let loss = 0;
  for (let t = 0; t < n; t++) {
    const task = tasks[t];
    tape.reset();
    const theta = shapes.map(([r, c], i) => tape.variable(params[i], r, c));
    const phi = innerLoop(tape, method, m, theta, task, inner);
    const L = setLoss(tape, m, phi, task.outer, inner.loss);
    loss += L.data[0];
    let objective = L;
    if (P) {
      const [r, c] = shapes[h];
      const Pi = tape.constant(P.data.subarray(t * r * c, (t + 1) * r * c), r, c);
      objective = add(L, scale(sum(mul(phi[h], Pi)), n));
    }
    const g = grad(objective, theta);
    for (let i = 0; i < g.length; i++) {
      const gi = g[i].data;
      const o = out[i];
      for (let j = 0; j < o.length; j++) o[j] += gi[j];
    }
  }
  const inv = 1 / tasks.length;
  for (const o of out) for (let j = 0; j < o.length; j++) o[j] *= inv;
  tape.reset();
  return loss * inv;
}

/**
 * Test-time adaptation (Finn et al.'s evaluation): from θ, `steps` plain GD steps of size α on the
 * inner set over the parameters `which` names ("all": fine-tune everything, "head": the last layer),
 * and the outer loss after each: `losses[s]` is the loss after s steps (losses[0] before any).
 */
export function adaptAndEvaluate(
  tape: Tape,
  m: ModelRef,
  params: readonly Float64Array[],
  task: RegressionTask,
  which: "all" | "head",
  inner: InnerLoop,
): number[] {
  const shapes = m.model.shapes;
  const cur = params.map((p) => Float64Array.from(p));
  const n = shapes.length;
  const adapted =
    which === "all"
      ? shapes.map((_, i) => i)
      : Array.from({ length: m.model.headSize }, (_, i) => n - m.model.headSize + i);
  const losses: number[] = [];
  for (let s = 0; ; s++) {
    tape.reset();
    const theta = shapes.map(([r, c], i) => tape.constant(cur[i], r, c));
    losses.push(setLoss(tape, m, theta, task.outer, inner.loss).data[0]);
    if (s === inner.steps) break;
    const vars = shapes.map(([r, c], i) => tape.variable(cur[i], r, c));
    const g = grad(
      setLoss(tape, m, vars, task.inner, inner.loss),
      adapted.map((i) => vars[i]),
    );
    adapted.forEach((i, j) => {
      const gi = g[j].data;
      const p = cur[i];
      for (let e = 0; e < p.length; e++) p[e] -= inner.alpha * gi[e];
    });
  }
  tape.reset();
  return losses;
}
