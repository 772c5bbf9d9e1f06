import { DataError, groupByTask, type MultiTaskTable } from "../../data/multiTaskTable.js";
import { MetarepError, ParamError } from "../../errors.js";
import { type Mat, matFrom } from "../../linalg/mat.js";
import { headDiagnostics } from "../../metrics/conditioning.js";
import { key } from "../../rng/key.js";
import { getEstimator, listEstimators } from "./estimators.js";
import { exponentOf, type ScaledHead, scale, scaledHead } from "./scaledHead.js";
import { ESTIMATOR_IDS, type EstimatorOptions } from "./types.js";

/**
 * Few-shot learning on users' own data (SPEC §1.3 on a file): `fitModelFile` learns B̂ and the
 * per-task heads from a multi-task table (the source stage), `adaptModelFile` fits the head of each
 * new task from its labelled rows on the frozen B̂ and predicts its unlabelled rows (the target
 * stage). The model is plain JSON (`FewShotModelFile`), written by `metarep fit` and read by
 * `metarep adapt`. The model is linear without intercept: centre the columns, or add a constant
 * feature column, if the data have non-zero means.
 */

export const MODEL_FORMAT = "metarep-fewshot-model";

/** Estimators usable on users' data: those that learn a representation without the ground truth. */
export const FIT_METHODS = ESTIMATOR_IDS.filter((id) => id !== "oracle" && id !== "ols");

/** The estimators `fit` accepts now: every registered one that learns B̂ without the truth. */
export function fitMethodIds(): string[] {
  return listEstimators()
    .filter((e) => e.learns && !e.needsTruth)
    .map((e) => e.id);
}

export interface FewShotModelFile {
  format: typeof MODEL_FORMAT;
  version: 1;
  /** The estimator that learnt it (a built-in or a plug-in's id). */
  method: string;
  d: number;
  k: number;
  features: string[];
  taskColumn: string;
  targetColumn: string;
  /**
   * "ignore" when the features were chosen (`fit --features`): `adapt` then reads only these
   * columns of its data file, as `fit` did. Absent: the data file must have exactly them.
   */
  otherColumns?: "ignore";
  /** B̂, d rows of k entries (orthonormal columns). */
  B: number[][];
  /** Per source task: id, rows and least-squares head on B̂. */
  heads: { task: string; rows: number; w: number[] }[];
  diagnostics: {
    tasks: number;
    rows: number;
    iterations: number;
    converged: boolean | null;
    status: "ok" | "diverged";
    /** Mean squared training residual of y ≈ x·B̂ŵ_t; null beyond float64's range (labels past ~1e154). */
    trainingMse: number | null;
    /** Condition number σ₁/σ_k of the learned heads Ŵ (null when infinite). */
    headCondition: number | null;
    /** σ_k(Ŵ)²·k/T, Du et al.'s task-diversity ratio for the learned heads. */
    headDiversity: number;
    meanHeadNorm: number;
    minHeadNorm: number;
    maxHeadNorm: number;
    info: Record<string, number | null>;
  };
  options: EstimatorOptions & { seed: number };
}

export interface FitModelOptions {
  k: number;
  /** Default "altmin". */
  method?: string;
  estimator?: EstimatorOptions;
  /** Key seed for estimators with randomness (ANIL order, random starts). Default 0. */
  seed?: number;
  taskColumn?: string;
  targetColumn?: string;
}

/**
 * The estimator blew up on this data (non-finite iterates or a decomposition of non-finite
 * values): a result of the data, reported with exit code 1, and no model is written.
 */
export class FitDivergedError extends MetarepError {
  override name = "FitDivergedError";
  readonly exitCode = 1;
}

function allFinite(a: ArrayLike<number>): boolean {
  for (let i = 0; i < a.length; i++) if (!Number.isFinite(a[i])) return false;
  return true;
}

/** 0 for a largest |value| within 2^±64 of 1 (left as it is); else its binary exponent. */
function farExponent(m: number): number {
  if (m === 0 || (m >= 2 ** -64 && m <= 2 ** 64)) return 0;
  return exponentOf(m);
}

function maxAbs(a: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]));
  return m;
}

/** Line numbers of a task's rows, for messages: "lines 4, 9, 12" (at most 5 shown). */
function linesOf(table: MultiTaskTable, t: number, labelled: boolean): string {
  const ls: number[] = [];
  for (let i = 0; i < table.rows; i++) {
    if (table.task[i] === t && (!labelled || !Number.isNaN(table.y[i]))) ls.push(table.line[i]);
  }
  if (ls.length === 0) return "none";
  const shown = ls.slice(0, 5).join(", ");
  return `line${ls.length > 1 ? "s" : ""} ${shown}${ls.length > 5 ? ", …" : ""}`;
}

/**
 * Learn a representation from a table (every row labelled): checks 1 ≤ k < d and at least k rows
 * per task (one-line errors naming the task and its lines), runs the estimator, and returns the
 * model with the heads Ŵ (least squares on B̂) and the diagnostics of Bouniot & Redko.
 *
 * Example: `fitModelFile(parseMultiTaskTable(text), { k: 3, method: "altmin" })`.
 */
export function fitModelFile(table: MultiTaskTable, options: FitModelOptions): FewShotModelFile {
  const method = options.method ?? "altmin";
  if (!fitMethodIds().includes(method)) {
    throw new ParamError("fit", "method", `must be one of ${fitMethodIds().join(", ")}`, options.method);
  }
  const d = table.features.length;
  const { k } = options;
  if (!Number.isInteger(k) || k < 1 || k >= d) {
    throw new ParamError(
      "fit",
      "k",
      `must be an integer with 1 ≤ k < d = ${d} (the number of feature columns)`,
      k,
    );
  }
  const { data } = groupByTask(table);
  for (let t = 0; t < data.tasks; t++) {
    const n = data.start[t + 1] - data.start[t];
    if (n < k) {
      throw new DataError(
        `task ${JSON.stringify(table.taskIds[t])} has ${n} row${n === 1 ? "" : "s"} (${linesOf(table, t, false)}); fitting needs at least k = ${k} per task`,
      );
    }
  }
  const seed = options.seed ?? 0;
  // A plug-in's estimator gets its own options' defaults (its schema); built-ins read the flags.
  const est = (ESTIMATOR_IDS as readonly string[]).includes(method)
    ? (options.estimator ?? {})
    : (getEstimator(method).options.parse({}) as EstimatorOptions);
  const diverged = (why: string): never => {
    const scale = Math.max(maxAbs(data.X), maxAbs(data.y));
    throw new FitDivergedError(
      `fit ${method} diverged: ${why}; no model written (the data's largest |value| is ${scale.toExponential(2)}: rescale the columns, or try another --method).`,
    );
  };
  // Data far from 1 (beyond 2^±64) is scaled by powers of two — exact, and B̂'s span is the same
  // for X·2^a and y·2^b — so the estimator's products neither overflow nor underflow (data at
  // 1e-300 would otherwise "fit" a meaningless B̂). Ordinary data is left as it is, bit for bit.
  const eX = farExponent(maxAbs(data.X));
  const eY = farExponent(maxAbs(data.y));
  const fitData =
    eX === 0 && eY === 0
      ? data
      : {
          ...data,
          X: data.X.map((v) => scale(v, -eX)),
          y: data.y.map((v) => scale(v, -eY)),
        };
  let fit: ReturnType<ReturnType<typeof getEstimator>["fit"]>;
  try {
    fit = getEstimator(method).fit(fitData, k, est, { key: key(seed) });
  } catch (e) {
    // Bad options are the caller's; anything else thrown from the numerics is a blow-up.
    if (e instanceof MetarepError) throw e;
    return diverged(e instanceof Error ? e.message : String(e));
  }
  if (fit.status === "diverged") {
    const dv = fit.diverged;
    diverged(dv ? `${dv.quantity} became ${dv.value} at iteration ${dv.iteration}` : "status diverged");
  }
  if (!allFinite(fit.B.data)) diverged("B̂ has non-finite entries");
  // Heads on the data's own scale, scaled and orthogonal (scaledHead.ts): the right head or a
  // one-line refusal naming the scale.
  const W = matFrom(data.tasks, k, new Float64Array(data.tasks * k));
  const solved: ScaledHead[] = [];
  for (let t = 0; t < data.tasks; t++) {
    const n = data.start[t + 1] - data.start[t];
    const h = scaledHead(
      data.X.subarray(data.start[t] * d, data.start[t + 1] * d),
      data.y.subarray(data.start[t], data.start[t + 1]),
      n,
      fit.B,
      0,
      `fit: task ${JSON.stringify(table.taskIds[t])}`,
    );
    W.data.set(h.w, t * k);
    solved.push(h);
  }
  const diag = headDiagnostics(W);
  // The training MSE in units of 2^eY (no overflow of the squares), then in the labels' units.
  let sse = 0;
  for (let t = 0; t < data.tasks; t++) {
    for (let i = data.start[t]; i < data.start[t + 1]; i++) {
      const r = scale(data.y[i], -eY) - scale(solved[t].predict(data.X, i * d), -eY);
      sse += r * r;
    }
  }
  const scaledMse = scale(scale(sse / table.rows, eY), eY);
  const mse = Number.isFinite(scaledMse) ? scaledMse : null;
  const rowsOf = (M: Mat) =>
    Array.from({ length: M.rows }, (_, i) => Array.from(M.data.subarray(i * M.cols, (i + 1) * M.cols)));
  const Wrows = rowsOf(W);
  return {
    format: MODEL_FORMAT,
    version: 1,
    method,
    d,
    k,
    features: [...table.features],
    taskColumn: options.taskColumn ?? "task",
    targetColumn: options.targetColumn ?? "y",
    B: rowsOf(fit.B),
    heads: table.taskIds.map((task, t) => ({ task, rows: data.start[t + 1] - data.start[t], w: Wrows[t] })),
    diagnostics: {
      tasks: data.tasks,
      rows: table.rows,
      iterations: fit.iterations,
      converged: fit.converged,
      status: fit.status,
      trainingMse: mse,
      headCondition: Number.isFinite(diag.condition) ? diag.condition : null,
      headDiversity: diag.diversity,
      meanHeadNorm: diag.meanNorm,
      minHeadNorm: diag.minNorm,
      maxHeadNorm: diag.maxNorm,
      info: fit.info,
    },
    options: { ...est, seed },
  };
}

/**
 * Validate parsed JSON as a model file (format, version, shapes, finite numbers): a one-line
 * `DataError` naming the field otherwise. Returns the model and B̂ as a matrix.
 */
export function readModelFile(json: unknown, source = "model"): { model: FewShotModelFile; B: Mat } {
  const bad = (what: string): never => {
    throw new DataError(`${source}: not a metarep few-shot model: ${what}`);
  };
  if (json === null || typeof json !== "object") bad("expected a JSON object");
  const m = json as Partial<FewShotModelFile>;
  if (m.format !== MODEL_FORMAT) bad(`"format" must be "${MODEL_FORMAT}"; got ${JSON.stringify(m.format)}`);
  if (m.version !== 1) bad(`"version" must be 1; got ${JSON.stringify(m.version)}`);
  if (m.diagnostics?.status === "diverged") {
    throw new DataError(
      `${source}: "diagnostics.status" is "diverged": the fit that wrote this model blew up, so its B̂ is not usable; fit again (rescaled data, or another --method)`,
    );
  }
  const { d, k } = m;
  if (!Number.isInteger(d) || !Number.isInteger(k) || k! < 1 || k! >= d!)
    bad(`"d", "k" must be integers with 1 ≤ k < d; got d=${d}, k=${k}`);
  if (
    !Array.isArray(m.features) ||
    m.features.length !== d ||
    m.features.some((f) => typeof f !== "string")
  ) {
    bad(`"features" must be ${d} column names`);
  }
  if (typeof m.taskColumn !== "string" || typeof m.targetColumn !== "string")
    bad(`"taskColumn" and "targetColumn" must be strings`);
  if (m.otherColumns !== undefined && m.otherColumns !== "ignore")
    bad(`"otherColumns" must be "ignore" or absent; got ${JSON.stringify(m.otherColumns)}`);
  if (!Array.isArray(m.B) || m.B.length !== d) bad(`"B" must have d = ${d} rows`);
  const B = matFrom(d!, k!, new Float64Array(d! * k!));
  m.B!.forEach((row, a) => {
    if (!Array.isArray(row) || row.length !== k) bad(`"B" row ${a} must have k = ${k} entries`);
    row.forEach((v, c) => {
      if (typeof v !== "number" || !Number.isFinite(v))
        bad(`"B"[${a}][${c}] must be a finite number; got ${JSON.stringify(v)}`);
      B.data[a * k! + c] = v;
    });
  });
  return { model: m as FewShotModelFile, B };
}

export interface Prediction {
  task: string;
  /** 1-based line of the row in the data file. */
  line: number;
  prediction: number;
}

export interface AdaptResult {
  /** Per task in the file: its id, labelled rows used and fitted head. */
  heads: {
    task: string;
    labelled: number;
    w: number[];
    /**
     * The cancellation the head's solve went through (≈ 10^digits lost; 1 for none), or null
     * when its rows determine fewer than k directions (the minimum-norm head).
     */
    condition: number | null;
  }[];
  /** One per row without a target, in file order. */
  predictions: Prediction[];
}

/**
 * The target stage on a file of new tasks: for each task, `ŵ = argmin_w ‖y − X B̂ w‖² + ridge‖w‖²`
 * on its labelled rows, then `ŷ = x·B̂ŵ` for its rows without a target. Each task needs at least
 * k labelled rows (one with ridge > 0). The table must be parsed with the model's features.
 */
export function adaptModelFile(
  model: FewShotModelFile,
  B: Mat,
  table: MultiTaskTable,
  ridge = 0,
): AdaptResult {
  if (!(ridge >= 0) || !Number.isFinite(ridge))
    throw new ParamError("adapt", "ridge", "must be a finite number ≥ 0", ridge);
  const { d, k } = model;
  if (table.features.length !== d || table.features.some((f, i) => f !== model.features[i])) {
    throw new DataError(`the data's features must be the model's: ${model.features.join(", ")}`);
  }
  const { data } = groupByTask(table, (i) => !Number.isNaN(table.y[i]));
  const need = ridge > 0 ? 1 : k;
  const heads: AdaptResult["heads"] = [];
  const solved: ScaledHead[] = [];
  for (let t = 0; t < data.tasks; t++) {
    const n = data.start[t + 1] - data.start[t];
    if (n < need) {
      throw new DataError(
        `task ${JSON.stringify(table.taskIds[t])} has ${n} labelled row${n === 1 ? "" : "s"} (${linesOf(table, t, true)}); adapting a head needs at least ${need === k ? `k = ${k}` : "1"}${ridge > 0 ? "" : " (or --ridge > 0)"}`,
      );
    }
    const X = data.X.subarray(data.start[t] * d, data.start[t + 1] * d);
    const y = data.y.subarray(data.start[t], data.start[t + 1]);
    // Scaled and orthogonal (scaledHead.ts): data near the ends of float64's range gives the
    // right head or a one-line refusal naming the scale, never a silently wrong number.
    const h = scaledHead(X, y, n, B, ridge, `adapt: task ${JSON.stringify(table.taskIds[t])}`);
    solved.push(h);
    heads.push({
      task: table.taskIds[t],
      labelled: n,
      w: Array.from(h.w),
      condition: Number.isFinite(h.condition) ? h.condition : null,
    });
  }
  const predictions: Prediction[] = [];
  for (let i = 0; i < table.rows; i++) {
    if (!Number.isNaN(table.y[i])) continue;
    const p = solved[table.task[i]].predict(table.X, i * d);
    predictions.push({ task: table.taskIds[table.task[i]], line: table.line[i], prediction: p });
  }
  return { heads, predictions };
}
