import type { z } from "zod";
import type { MethodTask } from "../algorithms/methods.js";
import type { EstimatorDivergence } from "../algorithms/representation/types.js";
import type { Experiment } from "../experiments/types.js";
import type { Mat } from "../linalg/mat.js";
import type { MultiTaskData } from "../models/multiTaskData.js";
import type { Key } from "../rng/key.js";

/*
 * The plug-in contracts (README "Plug-ins"): what a plug-in module returns, typed here and shipped
 * in the package's .d.ts. A plug-in is an ES module whose default export is a function receiving
 * the library (`PluginApi`: everything `metarep` exports, plus `z` from zod) and returning a
 * `PluginDefinition`, or the definition itself. Entries are checked when loaded (one line naming
 * the file and the problem) and their outputs when they run (a bad output fails its cell, with the
 * plug-in named).
 */

/** What a plug-in module receives: the library's exports and zod's `z` (the same instance). */
export type PluginApi = typeof import("../index.js") & { z: typeof z };

/** Display metadata every entry may carry (defaults: its id, a grey, after the built-ins). */
export interface EntryDisplay {
  id: string;
  /** Display name in figures, tables and menus (default: the id). */
  name?: string;
  description?: string;
  /** CSS colour in every figure (default: a colour derived from the id). */
  color?: string;
  /** Position among the entries (ascending; default: after the built-ins, in load order). */
  order?: number;
  /** The paper or line of work (as `Experiment.family`; default "plugin"). */
  family?: string;
}

/** The context an estimator receives: its own key (derived from its id), and an abort signal. */
export interface EstimatorPluginContext {
  key: Key;
  signal?: AbortSignal;
}

/** What a plug-in estimator returns. */
export interface EstimatorPluginFit {
  /** d × k basis of the learned representation (any basis: metarep orthonormalises it). */
  B: Mat;
  /** Learned source heads (T × k), if it has them (informational). */
  heads?: Mat;
  /** Iterations run (0 for closed forms; default 0). */
  iterations?: number;
  /** "diverged" with `diverged` is a result, not a crash (default "ok"). */
  status?: "ok" | "diverged";
  diverged?: EstimatorDivergence;
  converged?: boolean | null;
  /** Named numbers (final objective, …); null for undefined. */
  info?: Record<string, number | null>;
}

/**
 * An estimator of B̂ from T source tasks (SPEC §1.3): `fit(data, k, options, ctx)`. It sees
 * exactly the source data the built-in estimators see, never the ground truth. `options` is its
 * `options` schema's parse of the experiment's `estimator_options.<id>` (defaults when absent).
 */
export interface EstimatorPlugin extends EntryDisplay {
  options?: z.ZodType<Record<string, unknown>>;
  fit(
    data: MultiTaskData,
    k: number,
    options: Record<string, unknown>,
    ctx: EstimatorPluginContext,
  ): EstimatorPluginFit;
}

/**
 * A Collins-style meta-learning method in the linear model (SPEC §1.2): its per-task meta-gradient
 * (`taskGradient` adds task t's gradient of its meta-objective at (B, w) into `grad`; the trainer
 * averages over the batch and steps with β), so it runs in the `collins-*` experiments beside ANIL
 * and MAML on the same tasks.
 */
export interface MethodPlugin extends EntryDisplay {
  /** What its inner step adapts (informational; default "head"). */
  adapts?: "head" | "head and representation" | "nothing";
  firstOrder?: boolean;
  /** Drawn dashed (default: `firstOrder`). */
  dashed?: boolean;
  taskGradient(
    params: { B: Mat; w: Float64Array },
    task: MethodTask,
    alpha: number,
    grad: { GB: Mat; Gw: Float64Array },
  ): void;
}

/**
 * A differentiable network for the network methods (MAML, FO-MAML, ANIL, FO-ANIL, Avg-GD on
 * `finn-sinusoid`, `nonlinear-representation`, …), registered beside the built-in `mlp`: `build`
 * returns its parameter shapes, how many trailing ones form the head (the last layer, which ANIL
 * adapts), an initialisation from a key, and `forward(params, x)` written with the library's
 * autodiff operations (`api.ad.matmul`, `api.ad.tanh`, …) on the tensors it is given. A forward
 * that returns anything but a tensor of that tape, or one that does not depend on the parameters,
 * fails the run with one line naming the model.
 */
export interface ModelPlugin extends EntryDisplay {
  options?: z.ZodType<Record<string, unknown>>;
  build(
    options: Record<string, unknown>,
    dims: { inputs: number; outputs: number },
  ): import("../algorithms/network/models.js").NetworkModel;
}

/** A figure kind of its own: a Vega-Lite spec from a record (`{ kind: "custom", builder: id }`). */
export interface FigureKindPlugin {
  id: string;
  build(record: import("../record/types.js").RunRecord, options: { title?: string }): object;
}

/** A loader of a real data set kind, for experiments that declare `dataset: {kind}`. */
export interface DatasetLoaderPlugin {
  id: string;
  description?: string;
  load(path: string): Promise<{ data: unknown; digest: string }>;
}

/**
 * What a plug-in registers. Every list is optional; at least one entry is required. Task families
 * follow `TaskFamily` (models/taskFamilies.ts); experiments follow `Experiment` (the declared-grid
 * shape, with figures as grammar specs).
 */
export interface PluginDefinition {
  /** The plug-in's id in records and job routing (default: the file's base name). */
  id?: string;
  estimators?: EstimatorPlugin[];
  methods?: MethodPlugin[];
  models?: ModelPlugin[];
  // biome-ignore lint/suspicious/noExplicitAny: each family has its own options type
  taskFamilies?: import("../models/taskFamilies.js").TaskFamily<any>[];
  experiments?: Experiment[];
  figureKinds?: FigureKindPlugin[];
  datasetLoaders?: DatasetLoaderPlugin[];
}

/** A plug-in module's default export. */
export type PluginModule =
  | PluginDefinition
  | ((api: PluginApi) => PluginDefinition | Promise<PluginDefinition>);
