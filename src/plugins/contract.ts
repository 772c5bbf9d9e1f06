import type { z } from "zod";
import type { MethodTask } from "../algorithms/methods.js";
import type { EstimatorDivergence } from "../algorithms/representation/types.js";
import type { Experiment } from "../experiments/types.js";
import type { Mat } from "../linalg/mat.js";
import type { MultiTaskData } from "../models/multiTaskData.js";
import type { Key } from "../rng/key.js";

/*
 * The plug-in contracts (docs/plugins.md): what a plug-in module returns, typed here and shipped
 * in the package's .d.ts. A plug-in is an ES module whose default export is a function receiving
 * the library (`PluginApi`: everything `metarep` exports, plus `z` from zod) and returning a
 * `PluginDefinition`, or the definition itself. Entries are checked when loaded (one line naming
 * the file and the problem) and their outputs when they run (a bad output fails its cell, with the
 * plug-in named).
 */

/** What a plug-in module receives: the library's exports and zod's `z` (the same instance). */
export type PluginApi = typeof import("../index.js") & {
  /** zod's `z`: the instance metarep's schemas use, for the entries' `options` schemas. */
  z: typeof z;
};

/** Display metadata every entry may carry (defaults: its id, a grey, after the built-ins). */
export interface EntryDisplay {
  /** The entry's id: what `--set methods=…`, records and keys name (must be new in its registry). */
  id: string;
  /** Display name in figures, tables and menus (default: the id). */
  name?: string;
  /** One line on what it is (listings, `metarep list`). */
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
  /**
   * The estimator's own key: derived from the run's key and the estimator's id, so its random
   * numbers do not depend on which other estimators run: `stream(key)` draws them.
   */
  key: Key;
  /** Aborted when the run is stopped (the web page's Stop): check it in long loops. */
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
  /** Where it blew up, with `status: "diverged"`: iteration, quantity and value. */
  diverged?: EstimatorDivergence;
  /** Whether its stopping rule was met; null when it has none (default null). */
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
  /**
   * Its options' zod schema (default: none, `{}`): every field needs a default, since `{}` must
   * parse. `--set 'estimator_options={"<id>": {…}}'` and `fit --options` are checked against it.
   */
  options?: z.ZodType<Record<string, unknown>>;
  /**
   * Estimate B̂ from the source tasks. `data` is the layout every built-in sees (`MultiTaskData`:
   * T tasks' rows of one row-major X, offsets `start`); `k` the representation dimension
   * (1 ≤ k < d, checked before the call); `options` its schema's parse. Must return `B` of
   * d × k with finite entries (any basis: metarep orthonormalises it).
   */
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
  /** Whether it drops the second-order terms of the meta-gradient (informational; default false). */
  firstOrder?: boolean;
  /** Drawn dashed (default: `firstOrder`). */
  dashed?: boolean;
  /**
   * Add task t's gradient of its meta-objective at (B, w) into `grad.GB` (d × k′, row-major) and
   * `grad.Gw` (k′): add, never overwrite (the trainer sums the batch, then averages). `task.inner`
   * and `task.outer` give the set's squared-loss gradient (`residual`) and covariance products
   * (`covApply`); `alpha` is the inner step α.
   */
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
  /** Its options' zod schema (`--set model_options=…`); parsed before `build`, defaults filled. */
  options?: z.ZodType<Record<string, unknown>>;
  /**
   * The network for `inputs` features and `outputs` targets: its parameter shapes, how many
   * trailing parameters form the head that ANIL adapts, `init(key)` and `forward(params, x)`
   * written with the library's autodiff operations (`api.ad`), so every gradient — second order
   * included — flows through it. Checked at registration and when run.
   */
  build(
    options: Record<string, unknown>,
    dims: { inputs: number; outputs: number },
  ): import("../algorithms/network/models.js").NetworkModel;
}

/** A figure kind of its own: a Vega-Lite spec from a record (`{ kind: "custom", builder: id }`). */
export interface FigureKindPlugin {
  /** The kind's id, named by a figure spec's `builder`. */
  id: string;
  /** The figure's Vega-Lite spec from a record (all its seeds); `options.title` overrides the title. */
  build(record: import("../record/types.js").RunRecord, options: { title?: string }): object;
}

/** A loader of a real data set kind, for experiments that declare `dataset: {kind}`. */
export interface DatasetLoaderPlugin {
  /** The data set kind, named by an experiment's `dataset.kind`. */
  id: string;
  /** What `--data PATH` must hold (shown by `metarep list` and errors). */
  description?: string;
  /**
   * Read and check the data set at `path` (one-line errors for bad files). Returns what the
   * experiment receives as `ctx.dataset`, and a digest of every byte read (recorded, and checked
   * when a record is re-run).
   */
  load(path: string): Promise<{
    /** The loaded data, handed to the experiment's `runCondition` as `ctx.dataset`. */
    data: unknown;
    /** A digest (e.g. sha256, hex) of every byte read. */
    digest: string;
  }>;
}

/**
 * What a plug-in registers. Every list is optional; at least one entry is required. Task families
 * follow `TaskFamily` (models/taskFamilies.ts); experiments follow `Experiment` (the declared-grid
 * shape, with figures as grammar specs).
 */
export interface PluginDefinition {
  /** The plug-in's id in records and job routing (default: the file's base name). */
  id?: string;
  /** Estimators of B̂ (few-shot experiments, `fit --method`). */
  estimators?: EstimatorPlugin[];
  /** Collins-style meta-learning methods (`collins-*` experiments). */
  methods?: MethodPlugin[];
  /** Differentiable networks (the network meta-learning experiments: `--set model=…`). */
  models?: ModelPlugin[];
  /** Laws of the inputs x (`--set family=…`): `TaskFamily` in models/taskFamilies.ts. */
  // biome-ignore lint/suspicious/noExplicitAny: each family has its own options type
  taskFamilies?: import("../models/taskFamilies.js").TaskFamily<any>[];
  /** Experiments of their own (`metarep run <id>`), in the declared-grid shape. */
  experiments?: Experiment[];
  /** Figure kinds of their own (`{ kind: "custom", builder: id }` in a figure spec). */
  figureKinds?: FigureKindPlugin[];
  /** Loaders of real data sets (`--data PATH`). */
  datasetLoaders?: DatasetLoaderPlugin[];
}

/** A plug-in module's default export. */
export type PluginModule =
  | PluginDefinition
  | ((api: PluginApi) => PluginDefinition | Promise<PluginDefinition>);
