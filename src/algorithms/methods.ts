import type { Mat } from "../linalg/mat.js";
import type { TaskSampleSet } from "../models/sampleSets.js";
import { Registry } from "../registry.js";
import {
  anilTaskGradient,
  avgGdTaskGradient,
  foAnilTaskGradient,
  foMamlTaskGradient,
  mamlTaskGradient,
  type TaskMetaGradient,
} from "./metaGradient.js";
import {
  anilPopulationGradient,
  avgGdPopulationGradient,
  foAnilPopulationGradient,
  foMamlPopulationGradient,
  mamlPopulationGradient,
  type PopulationTaskGradient,
} from "./populationMetaGradient.js";
import type { MetaParams } from "./workspace.js";

/** The built-in methods (plug-ins add more through `registerMethod`). */
export const METHOD_IDS = ["anil", "fo-anil", "maml", "fo-maml", "avg-gd"] as const;
export type MethodId = (typeof METHOD_IDS)[number];

/** A gradient-based meta-learning method of Collins et al. (ICML 2022), SPEC §1.2. */
export interface MetaMethod {
  id: string;
  name: string;
  /** What the inner step adapts. */
  adapts: "head" | "head and representation" | "nothing";
  firstOrder: boolean;
  description: string;
  taskGradient: TaskMetaGradient;
  /**
   * The same per-task meta-gradient at the population loss (m_in = m_out = ∞), in the span
   * coordinates of `populationMetaGradient.ts` (cheaper; equal to rounding). Optional: without it
   * the trainer uses `taskGradient` there too.
   */
  populationGradient?: PopulationTaskGradient;
  /** Colour of the method in every figure. */
  color: string;
  /** Drawn dashed (the first-order variants, so they read apart from their exact counterparts). */
  dashed: boolean;
  /** Position in figures, tables and menus (ascending). */
  order: number;
  /** The paper whose method it is, by family id (as `Experiment.family`). */
  family: string;
}

/**
 * The method registry (DESIGN.md "Registries"): the CLI help, the Collins experiments' schemas and
 * the figures read it. Streams are keyed by a method's id (`metaTrain.ts`), never its position.
 */
export const methods = new Registry<MetaMethod>("method");

for (const m of [
  {
    id: "anil",
    name: "ANIL",
    adapts: "head",
    firstOrder: false,
    description: "Almost No Inner Loop: one inner GD step on the head, exact meta-gradient",
    taskGradient: anilTaskGradient,
    populationGradient: anilPopulationGradient,
    color: "#1f77b4",
    dashed: false,
    order: 1,
    family: "collins",
  },
  {
    id: "fo-anil",
    name: "FO-ANIL",
    adapts: "head",
    firstOrder: true,
    description: "ANIL with the first-order meta-gradient (outer gradient at the adapted head)",
    taskGradient: foAnilTaskGradient,
    populationGradient: foAnilPopulationGradient,
    color: "#17becf",
    dashed: true,
    order: 2,
    family: "collins",
  },
  {
    id: "maml",
    name: "MAML",
    adapts: "head and representation",
    firstOrder: false,
    description: "one inner GD step on head and representation, exact meta-gradient",
    taskGradient: mamlTaskGradient,
    populationGradient: mamlPopulationGradient,
    color: "#d62728",
    dashed: false,
    order: 3,
    family: "collins",
  },
  {
    id: "fo-maml",
    name: "FO-MAML",
    adapts: "head and representation",
    firstOrder: true,
    description: "MAML with the first-order meta-gradient",
    taskGradient: foMamlTaskGradient,
    populationGradient: foMamlPopulationGradient,
    color: "#ff7f0e",
    dashed: true,
    order: 4,
    family: "collins",
  },
  {
    id: "avg-gd",
    name: "Avg-GD",
    adapts: "nothing",
    firstOrder: true,
    description: "GD on the average loss over tasks, no adaptation (the non-meta baseline)",
    taskGradient: avgGdTaskGradient,
    populationGradient: avgGdPopulationGradient,
    color: "#555555",
    dashed: false,
    order: 5,
    family: "collins",
  },
] satisfies (MetaMethod & { id: MethodId })[])
  methods.register(m);

/** Add a method (a plug-in's, or a library user's); its id must be new. */
export function registerMethod(m: MetaMethod, source?: string): MetaMethod {
  return methods.register(m, source);
}

/** All methods, built-in and registered, in their order. */
export function listMethods(): readonly MetaMethod[] {
  return methods.list();
}

/** The method with this id; unknown ids list the known ones. */
export function getMethod(id: string): MetaMethod {
  return methods.get(id);
}

/** One task as a plug-in method sees it (the linear model, SPEC §1.2). */
export interface MethodTask {
  /** θ* = B* w*_t, the task's true regression vector (length d). */
  theta: Float64Array;
  /**
   * The inner (adaptation) and outer (evaluation) data sets: `residual(θ*, θ, out)` writes the
   * gradient of the set's squared loss at θ, g(θ) = Σ̂(θ − θ*) − Xᵀσz/m; `covApply(v, out)` writes
   * Σ̂v. Population sets have Σ̂ = I and no noise.
   */
  inner: TaskSampleSet;
  outer: TaskSampleSet;
}

/**
 * The per-task meta-gradient of a Collins-style method, as a plug-in writes it: add task t's
 * gradient of its meta-objective at (B, w) into `grad.GB` (d × k', row-major) and `grad.Gw` (k'),
 * with inner step α. The trainer averages over the batch and takes the outer step β.
 */
export type PluginTaskGradient = (
  params: { B: Mat; w: Float64Array },
  task: MethodTask,
  alpha: number,
  grad: { GB: Mat; Gw: Float64Array },
) => void;

/**
 * A method's `taskGradient` from a plug-in's: the plug-in adds into a zeroed d × k' buffer, which
 * is added (transposed) into the trainer's accumulator. One buffer per workspace size.
 */
export function pluginTaskGradient(f: PluginTaskGradient): TaskMetaGradient {
  let GB: Mat | null = null;
  let Gw: Float64Array | null = null;
  return (p: MetaParams, task, alpha, ws) => {
    const { d, kp } = ws;
    if (!GB || GB.rows !== d || GB.cols !== kp) GB = { rows: d, cols: kp, data: new Float64Array(d * kp) };
    if (!Gw || Gw.length !== kp) Gw = new Float64Array(kp);
    GB.data.fill(0);
    Gw.fill(0);
    f({ B: p.B, w: p.w }, { theta: task.theta, inner: task.inner, outer: task.outer }, alpha, { GB, Gw });
    const g = GB.data;
    for (let i = 0; i < d; i++) for (let c = 0; c < kp; c++) ws.GBt[c * d + i] += g[i * kp + c];
    for (let c = 0; c < kp; c++) ws.Gw[c] += Gw[c];
  };
}
