import { z } from "zod";
import { addRow, bmatmul, matmul, relu, sin, tanh } from "../../autodiff/ops.js";
import { Tensor } from "../../autodiff/tape.js";
import { MetarepError, ParamError } from "../../errors.js";
import { Registry } from "../../registry.js";
import type { Key } from "../../rng/key.js";
import { stream } from "../../rng/stream.js";

/**
 * A differentiable network f(θ, X) as the network methods (MAML, ANIL, … in methods.ts) see it:
 * its parameter tensors' shapes, which trailing ones form the head (the last layer, which ANIL
 * adapts), an initialisation from a key, and a forward pass written with the autodiff operations.
 */
export interface NetworkModel {
  /** Parameter shapes [rows, cols], in order (e.g. W₁, b₁, W₂, b₂, …). */
  readonly shapes: readonly (readonly [number, number])[];
  /** How many trailing parameter tensors form the head (the last layer). */
  readonly headSize: number;
  /** Input and output widths: X is m × inputs, f(θ, X) is m × outputs. */
  readonly inputs: number;
  readonly outputs: number;
  /** Initial parameters, one Float64Array per shape (row-major), from a key. */
  init(key: Key): Float64Array[];
  /** Predictions for the rows of X, as a tensor of X's tape (the parameters are tensors of it too). */
  forward(params: readonly Tensor[], x: Tensor): Tensor;
  /**
   * Optional: `blocks` tasks' forward passes at once, each with its own parameters. Parameter i is
   * `blocks` copies of its shape stacked vertically (block b is task b's), X stacks the tasks' rows
   * (blocks of equal rows), and block b of the output must equal forward(θ_b, X_b) bit for bit.
   * The meta-gradient then builds one graph per meta-batch instead of one per task.
   */
  forwardBlocks?(params: readonly Tensor[], x: Tensor, blocks: number): Tensor;
}

/** A model that breaks its contract (not differentiable, wrong shape): one line naming it. */
export class ModelError extends MetarepError {
  override name = "ModelError";
}

/** A model kind in the registry: options (zod, defaults from `{}`) and a builder. */
export interface ModelKind {
  id: string;
  name: string;
  description: string;
  order?: number;
  family: string;
  options: z.ZodType<Record<string, unknown>>;
  /** Build the network for X with `inputs` columns and f with `outputs` columns. */
  build(options: Record<string, unknown>, dims: { inputs: number; outputs: number }): NetworkModel;
}

/** The model registry (DESIGN.md "Registries"): built-ins and plug-ins' models (`models`). */
export const networkModels = new Registry<ModelKind>("model");

export const ACTIVATIONS = ["relu", "tanh", "sin", "identity"] as const;
export type NetworkActivation = (typeof ACTIVATIONS)[number];

const mlpOptions = z.strictObject({
  widths: z
    .array(z.number().int().min(1))
    .default([40, 40])
    .describe("hidden widths, input side first (default [40, 40], Finn et al.'s sinusoid network)"),
  activation: z.enum(ACTIVATIONS).default("relu").describe("hidden activation (default relu)"),
  bias: z.boolean().default(true).describe("a bias row per layer (default true)"),
  init_std: z
    .number()
    .gt(0)
    .nullable()
    .default(null)
    .describe("weights ~ N(0, init_std²) (Finn et al.'s code: 0.01); null: N(0, g²/fan_in), He for relu"),
});
export type MlpOptions = z.output<typeof mlpOptions>;

const ACT: Record<NetworkActivation, ((t: Tensor) => Tensor) | null> = { relu, tanh, sin, identity: null };

/**
 * A multilayer perceptron: h₀ = X, h_l = σ(h_{l−1} W_l + 1 b_lᵀ) for the hidden layers, f = h_{L−1}
 * W_L + 1 b_Lᵀ (no activation on the output). Parameters W_l (fan_in × fan_out) then b_l (1 ×
 * fan_out) per layer; the head is the last layer (W_L, b_L). Initialisation: W_l ~ N(0, g²/fan_in)
 * with g² = 2 for relu (He et al. 2015) and 1 otherwise, or N(0, init_std²) when given (Finn et
 * al.'s sinusoid code draws a normal truncated at 2σ with σ = 0.01; this one is not truncated);
 * biases 0. With activation "identity" and no
 * bias, one hidden width k gives the linear "network" X B w of the linear representation model
 * (SPEC §1.2), B = W₁ (d × k) and w = W₂ (k × 1).
 */
export function mlp(options: MlpOptions, dims: { inputs: number; outputs: number }): NetworkModel {
  const widths = [dims.inputs, ...options.widths, dims.outputs];
  const shapes: [number, number][] = [];
  for (let l = 0; l + 1 < widths.length; l++) {
    shapes.push([widths[l], widths[l + 1]]);
    if (options.bias) shapes.push([1, widths[l + 1]]);
  }
  const per = options.bias ? 2 : 1;
  const layers = widths.length - 1;
  const act = ACT[options.activation];
  const gain2 = options.activation === "relu" ? 2 : 1;
  // Blocked forward pass: each layer's product block by block (bmatmul: the same kernel call per
  // block as matmul, so the same bits). Only without biases: a per-task bias row needs a blocked
  // addRow, which no model here needs yet.
  const forwardBlocks = options.bias
    ? undefined
    : (params: readonly Tensor[], x: Tensor, blocks: number): Tensor => {
        let h = x;
        for (let l = 0; l < layers; l++) {
          h = bmatmul(h, params[l], blocks);
          if (act && l + 1 < layers) h = act(h);
        }
        return h;
      };
  return {
    forwardBlocks,
    shapes,
    headSize: per,
    inputs: dims.inputs,
    outputs: dims.outputs,
    init(k: Key) {
      const s = stream(k);
      return shapes.map(([r, c], i) => {
        const a = new Float64Array(r * c);
        if (i % per === 0) s.fillNormal(a, 0, a.length, options.init_std ?? Math.sqrt(gain2 / r));
        return a;
      });
    },
    forward(params, x) {
      let h = x;
      for (let l = 0; l < layers; l++) {
        h = matmul(h, params[l * per]);
        if (options.bias) h = addRow(h, params[l * per + 1]);
        if (act && l + 1 < layers) h = act(h);
      }
      return h;
    },
  };
}

networkModels.register({
  id: "mlp",
  name: "MLP",
  description: "multilayer perceptron of given hidden widths and activation (relu, tanh, sin, identity)",
  order: 1,
  family: "finn",
  options: mlpOptions,
  build: (o, dims) => mlp(o as MlpOptions, dims),
});

/**
 * Build a registered model: options validated by the kind's schema (the first problem as one line
 * naming the model, the option, the constraint and the value), dimensions checked.
 */
export function buildModel(
  id: string,
  options: Record<string, unknown> | undefined,
  dims: { inputs: number; outputs: number },
): NetworkModel {
  const kind = networkModels.get(id);
  const res = kind.options.safeParse(options ?? {}, { reportInput: true });
  if (!res.success) {
    const i = res.error.issues[0];
    const path = i.path.map((p) => (typeof p === "number" ? `[${p}]` : `.${String(p)}`)).join("");
    throw new ParamError(
      `model ${id}`,
      `options${path}`,
      constraintOf(i),
      "input" in i ? i.input : undefined,
    );
  }
  for (const [name, v] of Object.entries(dims)) {
    if (!Number.isInteger(v) || v < 1) throw new ParamError(`model ${id}`, name, "must be an integer ≥ 1", v);
  }
  const model = kind.build(res.data, dims);
  checkShapes(id, model);
  return model;
}

function checkShapes(id: string, model: NetworkModel): void {
  if (!Array.isArray(model.shapes) || model.shapes.length === 0)
    throw new ModelError(
      `model ${id}: "shapes" must be a non-empty list of [rows, cols]; got ${JSON.stringify(model.shapes)}.`,
    );
  model.shapes.forEach((s, i) => {
    if (!Array.isArray(s) || s.length !== 2 || !s.every((v) => Number.isInteger(v) && v >= 1))
      throw new ModelError(
        `model ${id}: "shapes[${i}]" must be [rows, cols] of integers ≥ 1; got ${JSON.stringify(s)}.`,
      );
  });
  if (!Number.isInteger(model.headSize) || model.headSize < 1 || model.headSize > model.shapes.length)
    throw new ModelError(
      `model ${id}: "headSize" must be an integer in [1, ${model.shapes.length}] (the trailing parameters of the last layer); got ${model.headSize}.`,
    );
}

/**
 * f(θ, X), checked: a model must return a tensor of X's tape, of shape m × outputs, that depends on
 * its parameters through the tape (a model that computes outside the tape — plain numbers, another
 * tape, a detached copy — cannot be differentiated, and saying so beats a silent zero gradient).
 */
export function predict(id: string, model: NetworkModel, params: readonly Tensor[], x: Tensor): Tensor {
  const out = model.forward(params, x);
  if (!(out instanceof Tensor) || out.tape !== x.tape) {
    const got = out instanceof Tensor ? "a tensor of another tape" : describe(out);
    throw new ModelError(
      `model ${id}: forward must return a tensor of the tape it was given (built with the autodiff operations); got ${got}.`,
    );
  }
  if (out.rows !== x.rows || out.cols !== model.outputs)
    throw new ModelError(
      `model ${id}: forward must return ${x.rows}×${model.outputs} (rows of X × outputs); got ${out.rows}×${out.cols}.`,
    );
  if (params.some((p) => p.needsGrad) && !out.needsGrad)
    throw new ModelError(
      `model ${id}: forward's output does not depend on its parameters through the tape (is it computed from copied numbers?), so it cannot be differentiated.`,
    );
  return out;
}

function describe(v: unknown): string {
  if (v === null) return "null";
  if (v instanceof Float64Array) return `a Float64Array of ${v.length}`;
  if (Array.isArray(v)) return `an array of ${v.length}`;
  return typeof v;
}

/** A zod issue's constraint in words ("must be ≥ 1"). */
function constraintOf(i: z.core.$ZodIssue): string {
  switch (i.code) {
    case "invalid_type":
      return `must be ${i.expected === "int" ? "an integer" : `a ${i.expected}`}`;
    case "too_small":
      return i.origin === "array"
        ? `must have at least ${i.minimum} entries`
        : `must be ${i.inclusive ? "≥" : ">"} ${i.minimum}`;
    case "too_big":
      return i.origin === "array"
        ? `must have at most ${i.maximum} entries`
        : `must be ${i.inclusive ? "≤" : "<"} ${i.maximum}`;
    case "invalid_value":
      return `must be one of ${i.values.map((v) => JSON.stringify(v)).join(", ")}`;
    case "unrecognized_keys":
      return `has unknown option(s) ${i.keys.map((k) => `"${k}"`).join(", ")}`;
    default:
      return i.message;
  }
}
