import { Tape } from "../../autodiff/tape.js";
import { AbortedError, ParamError } from "../../errors.js";
import type { HeadPenalty } from "../headPenalty.js";
import { type InnerLoop, type ModelRef, networkMetaGradient, type RegressionTask } from "./metaGradient.js";
import type { NetworkMethod } from "./methods.js";

/** Where a network's training blew up (SPEC §1.2: a result, not a crash). */
export interface NetworkDivergence {
  /** The outer iteration whose update produced the bad value (1-based). */
  iteration: number;
  /** Which quantity, e.g. "θ[2]" (the third parameter tensor) or "loss". */
  quantity: string;
  value: number;
}

/** The outer optimiser: plain GD of step β, or Adam (Kingma & Ba 2015) of step β, as Finn et al. */
export type OuterOptimizer = { kind: "sgd" } | { kind: "adam"; beta1: number; beta2: number; eps: number };

/** Adam's published defaults (β₁ = 0.9, β₂ = 0.999, ε = 1e−8). */
export const ADAM: OuterOptimizer = { kind: "adam", beta1: 0.9, beta2: 0.999, eps: 1e-8 };

export interface NetworkTrainConfig {
  method: NetworkMethod;
  model: ModelRef;
  inner: InnerLoop;
  /** Outer step size β. */
  beta: number;
  iterations: number;
  optimizer: OuterOptimizer;
  /** Bouniot et al.'s penalty on the batch's adapted heads (`networkMetaGradient`); none when absent. */
  penalty?: HeadPenalty;
}

/** Blow-up threshold on any parameter entry (SPEC §1.2). */
export const DIVERGENCE_LIMIT = 1e8;

export interface NetworkTrainResult {
  params: Float64Array[];
  status: "ok" | "diverged";
  diverged?: NetworkDivergence;
  /** Outer iterations completed. */
  iterations: number;
}

/**
 * Adam's state for a list of parameter arrays: moments m, v and the running powers β₁ᵗ, β₂ᵗ kept by
 * multiplication (no `**`, whose last bit differs between engines).
 */
export class Adam {
  private readonly m: Float64Array[];
  private readonly v: Float64Array[];
  private b1t = 1;
  private b2t = 1;
  constructor(
    shapes: readonly Float64Array[],
    private readonly o: { beta1: number; beta2: number; eps: number },
  ) {
    this.m = shapes.map((p) => new Float64Array(p.length));
    this.v = shapes.map((p) => new Float64Array(p.length));
  }

  /** θ ← θ − β m̂/(√v̂ + ε) with m̂ = m/(1 − β₁ᵗ), v̂ = v/(1 − β₂ᵗ). */
  step(params: Float64Array[], grads: readonly Float64Array[], beta: number): void {
    const { beta1, beta2, eps } = this.o;
    this.b1t *= beta1;
    this.b2t *= beta2;
    const c1 = 1 / (1 - this.b1t);
    const c2 = 1 / (1 - this.b2t);
    for (let i = 0; i < params.length; i++) {
      const p = params[i];
      const g = grads[i];
      const m = this.m[i];
      const v = this.v[i];
      for (let j = 0; j < p.length; j++) {
        m[j] = beta1 * m[j] + (1 - beta1) * g[j];
        v[j] = beta2 * v[j] + (1 - beta2) * g[j] * g[j];
        p[j] -= (beta * (m[j] * c1)) / (Math.sqrt(v[j] * c2) + eps);
      }
    }
  }
}

/** The first non-finite or too large entry of the parameters, if any. */
export function blowUp(params: readonly Float64Array[]): { quantity: string; value: number } | null {
  for (let i = 0; i < params.length; i++) {
    const p = params[i];
    for (let j = 0; j < p.length; j++) {
      const v = p[j];
      if (!Number.isFinite(v) || Math.abs(v) > DIVERGENCE_LIMIT) return { quantity: `θ[${i}]`, value: v };
    }
  }
  return null;
}

/**
 * One network's meta-training, an outer iteration at a time: `step(tasks)` runs the next one on the
 * caller's tasks. Several trainers can advance in lockstep on the same tasks, drawn once per
 * iteration (nonlinear-representation trains three methods on identical task streams: drawing them
 * once instead of per method saves two thirds of its sampling). `trainNetwork` is the loop over it.
 */
export class NetworkTrainer {
  private readonly tape = new Tape();
  private readonly grads: Float64Array[];
  private readonly adam: Adam | null;
  /** Outer iterations completed. */
  iterations = 0;
  /** Set when an update blew up; the trainer then takes no more steps. */
  result: NetworkTrainResult | null = null;

  constructor(
    private readonly cfg: NetworkTrainConfig,
    readonly params: Float64Array[],
  ) {
    const ctx = cfg.method.id;
    for (const [name, v] of [
      ["alpha", cfg.inner.alpha],
      ["beta", cfg.beta],
    ] as const)
      if (!Number.isFinite(v) || v < 0) throw new ParamError(ctx, name, "must be a finite number ≥ 0", v);
    for (const [name, v] of [
      ["innerSteps", cfg.inner.steps],
      ["iterations", cfg.iterations],
    ] as const)
      if (!Number.isInteger(v) || v < 0) throw new ParamError(ctx, name, "must be an integer ≥ 0", v);
    this.grads = params.map((p) => new Float64Array(p.length));
    this.adam = cfg.optimizer.kind === "adam" ? new Adam(params, cfg.optimizer) : null;
  }

  /**
   * Outer iteration t = iterations + 1 on `tasks`: the meta-gradient, one optimiser step. Returns the
   * mean outer loss, or null when the update diverged (then `result` says where).
   */
  step(tasks: readonly RegressionTask[]): number | null {
    const { cfg, params, grads } = this;
    const t = this.iterations + 1;
    const loss = networkMetaGradient(
      this.tape,
      cfg.method,
      cfg.model,
      params,
      tasks,
      cfg.inner,
      grads,
      cfg.penalty,
    );
    if (!Number.isFinite(loss) || Math.abs(loss) > DIVERGENCE_LIMIT) {
      this.result = {
        params,
        status: "diverged",
        diverged: { iteration: t, quantity: "loss", value: loss },
        iterations: t - 1,
      };
      return null;
    }
    if (this.adam) this.adam.step(params, grads, cfg.beta);
    else
      for (let i = 0; i < params.length; i++) {
        const p = params[i];
        const g = grads[i];
        for (let j = 0; j < p.length; j++) p[j] -= cfg.beta * g[j];
      }
    this.iterations = t;
    const bad = blowUp(params);
    if (bad) {
      this.result = { params, status: "diverged", diverged: { iteration: t, ...bad }, iterations: t };
      return null;
    }
    return loss;
  }
}

/**
 * Meta-train a network: per outer iteration t = 1…T, the tasks `tasks(t)` (the caller draws them
 * from its own keyed streams), the method's meta-gradient averaged over them, one optimiser step.
 * `onIteration(t, params, loss)` sees the parameters after update t (and t = 0 before any, with a
 * null loss). A non-finite or |entry| > 1e8 parameter or loss stops the run with status
 * "diverged" and the iteration, not an exception. `params` is updated in place.
 */
export function trainNetwork(
  cfg: NetworkTrainConfig,
  params: Float64Array[],
  tasks: (iteration: number) => readonly RegressionTask[],
  onIteration?: (iteration: number, params: readonly Float64Array[], loss: number | null) => void,
  signal?: AbortSignal,
): NetworkTrainResult {
  const trainer = new NetworkTrainer(cfg, params);
  onIteration?.(0, params, null);
  for (let t = 1; t <= cfg.iterations; t++) {
    if (signal?.aborted) throw new AbortedError(`${cfg.method.id}: aborted at iteration ${t}`);
    const loss = trainer.step(tasks(t));
    if (loss === null) return trainer.result as NetworkTrainResult;
    onIteration?.(t, params, loss);
  }
  return { params, status: "ok", iterations: cfg.iterations };
}
