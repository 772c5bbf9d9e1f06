import { DataError, forEachTask, holdTaskRows, type TaskRows, type TaskTable } from "../../data/taskTable.js";
import { MetarepError, ParamError } from "../../errors.js";
import { type Mat, matFrom, zeros } from "../../linalg/mat.js";
import { headDiagnostics } from "../../metrics/conditioning.js";
import { STREAM_CHUNK_ROWS } from "../../models/fewShotTasks.js";
import type { MultiTaskData } from "../../models/multiTaskData.js";
import { key } from "../../rng/key.js";
import { getEstimator, listEstimators } from "./estimators.js";
import { MomAccumulator, momFormsMatrix } from "./mom.js";
import { exponentOf, type ScaledHead, scale, scaledHead } from "./scaledHead.js";
import { ESTIMATOR_IDS, type EstimatorOptions, type RepresentationFit } from "./types.js";

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
    /**
     * Mean squared training residual of y ≈ x·B̂ŵ_t, or null when float64 cannot hold it (labels
     * beyond about 1e154, or residuals below about 1e-154): never an overflowed or flushed number.
     */
    trainingMse: number | null;
    /**
     * The worst of the per-task head solves' conditioning (`scaledHead`: ≈ 10^digits lost, 1 for
     * none; null when a task's rows determine fewer than k directions).
     */
    headSolveCondition: number | null;
    /** Condition number σ₁/σ_k of the learned heads Ŵ (null when infinite). */
    headCondition: number | null;
    /**
     * σ_k(Ŵ)²·k/T, Du et al.'s task-diversity ratio for the learned heads; this and the head norms
     * are null when float64 cannot hold them (heads near the ends of its range).
     */
    headDiversity: number | null;
    meanHeadNorm: number | null;
    minHeadNorm: number | null;
    maxHeadNorm: number | null;
    info: Record<string, number | null>;
  };
  /** The estimator's options as given (its schema's defaults apply to the rest), and the seed. */
  options: EstimatorOptions & { seed: number };
  /** The metarep version that wrote the model (absent in models written before 0.1.0's provenance). */
  metarepVersion?: string;
  /** The plug-ins whose entries made it (the estimator's): id, file and sha256 of its bytes. */
  plugins?: { id: string; file: string; sha256: string }[];
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

function maxAbs(a: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]));
  return m;
}

/**
 * 0 for a largest |value| within 2^±64 of 1 (data left as it is, bit for bit), else its binary
 * exponent: data far from 1 is handed to the estimator scaled by 2^−e (exact), so its products
 * neither overflow (1e160² in AᵀA) nor underflow (1e-300 fits a meaningless B̂ otherwise).
 */
function farExponent(m: number): number {
  if (m === 0 || (m >= 2 ** -64 && m <= 2 ** 64)) return 0;
  return exponentOf(m);
}

/** `a` scaled by 2^−e into `out`: exact (a power of two), but for values 2^1000 below the largest, which vanish. */
function scaledInto(
  a: Float64Array,
  e: number,
  out: Float64Array = new Float64Array(a.length),
): Float64Array {
  const f1 = 2 ** -Math.trunc(e / 2);
  const f2 = 2 ** -(e - Math.trunc(e / 2));
  for (let i = 0; i < a.length; i++) out[i] = a[i] * f1 * f2;
  return out;
}

/**
 * Squared training residuals, summed in units of 2^e (e: the labels' exponent) so the squares
 * neither overflow nor underflow; `mse()` scales back, or null when float64 cannot hold it.
 */
class ResidualSum {
  private sse = 0;
  private rows = 0;
  constructor(private readonly e: number) {}
  add(head: ScaledHead, n: number): void {
    this.sse += head.squaredResiduals(this.e);
    this.rows += n;
  }
  mse(): number | null {
    const m = this.sse / this.rows;
    if (m === 0) return 0;
    const out = scale(scale(m, this.e), this.e);
    // Overflowed, or flushed to a subnormal/zero (bits lost): not a number to report.
    return Number.isFinite(out) && out >= 2 ** -1022 ? out : null;
  }
}

/** The binary exponent of the largest |label| (0 for none): the units residuals are summed in. */
function labelExponent(largest: number): number {
  return largest > 0 && Number.isFinite(largest) ? exponentOf(largest) : 0;
}

/** Row numbers for messages: "rows 4, 9, 12" (the first 5 of a task's rows, then "…"). */
function rowsText(rows: number[]): string {
  if (rows.length === 0) return "none";
  const shown = rows.slice(0, 5).join(", ");
  return `row${rows.length > 1 ? "s" : ""} ${shown}${rows.length > 5 ? ", …" : ""}`;
}

/** The method, k and estimator options of a fit, checked against d. */
interface FitPlan {
  method: string;
  d: number;
  k: number;
  seed: number;
  est: EstimatorOptions;
}

function planFit(d: number, options: FitModelOptions): FitPlan {
  const method = options.method ?? "altmin";
  if (!fitMethodIds().includes(method)) {
    throw new ParamError("fit", "method", `must be one of ${fitMethodIds().join(", ")}`, options.method);
  }
  const { k } = options;
  if (!Number.isInteger(k) || k < 1 || k >= d) {
    throw new ParamError(
      "fit",
      "k",
      `must be an integer with 1 ≤ k < d = ${d} (the number of feature columns)`,
      k,
    );
  }
  // Every estimator's options go through its own schema (a plug-in's gets its defaults there);
  // what was given is recorded, so a fit without options writes no options.
  const given = options.estimator ?? {};
  const parsed = getEstimator(method).options.safeParse(given);
  if (!parsed.success) {
    const i = parsed.error.issues[0];
    throw new ParamError(`fit ${method}`, `options.${i.path.join(".")}`, i.message, given);
  }
  const est = (ESTIMATOR_IDS as readonly string[]).includes(method)
    ? given
    : (parsed.data as EstimatorOptions);
  return { method, d, k, seed: options.seed ?? 0, est };
}

function tooFewRows(id: string, n: number, rows: number[], k: number): DataError {
  return new DataError(
    `task ${JSON.stringify(id)} has ${n} row${n === 1 ? "" : "s"} (${rowsText(rows)}); fitting needs at least k = ${k} per task`,
  );
}

function divergedError(method: string, why: string, scale: number): FitDivergedError {
  return new FitDivergedError(
    `fit ${method} diverged: ${why}; no model written (the data's largest |value| is ${scale.toExponential(2)}: rescale the columns, or try another --method).`,
  );
}

/** The model from B̂, the heads Ŵ and the training SSE: checks they are finite, adds diagnostics. */
function assembleModel(
  plan: FitPlan,
  fit: RepresentationFit,
  W: Mat,
  heads: { mse: number | null; condition: number | null },
  table: { features: readonly string[]; taskIds: readonly string[]; counts: ArrayLike<number>; rows: number },
  largestValue: () => number,
  options: FitModelOptions,
): FewShotModelFile {
  const { method } = plan;
  const diverged = (why: string): never => {
    throw divergedError(method, why, largestValue());
  };
  if (fit.status === "diverged") {
    const dv = fit.diverged;
    diverged(dv ? `${dv.quantity} became ${dv.value} at iteration ${dv.iteration}` : "status diverged");
  }
  if (!allFinite(fit.B.data)) diverged("B̂ has non-finite entries");
  if (!allFinite(W.data)) diverged("the task heads have non-finite entries");
  // Diagnostics of Ŵ·2^−e (the SVD and the norms' squares stay in range), scaled back exactly.
  const eW = labelExponent(maxAbs(W.data));
  const diag = headDiagnostics(eW === 0 ? W : matFrom(W.rows, W.cols, scaledInto(W.data, eW)));
  const back = (v: number, e: number): number | null => {
    const out = scale(v, e);
    return Number.isFinite(out) && (out === 0 || out >= 2 ** -1022) ? out : null;
  };
  const rowsOf = (M: Mat) =>
    Array.from({ length: M.rows }, (_, i) => Array.from(M.data.subarray(i * M.cols, (i + 1) * M.cols)));
  const Wrows = rowsOf(W);
  return {
    format: MODEL_FORMAT,
    version: 1,
    method,
    d: plan.d,
    k: plan.k,
    features: [...table.features],
    taskColumn: options.taskColumn ?? "task",
    targetColumn: options.targetColumn ?? "y",
    B: rowsOf(fit.B),
    heads: table.taskIds.map((task, t) => ({ task, rows: table.counts[t], w: Wrows[t] })),
    diagnostics: {
      tasks: table.taskIds.length,
      rows: table.rows,
      iterations: fit.iterations,
      converged: fit.converged,
      status: fit.status,
      trainingMse: heads.mse,
      headSolveCondition: heads.condition,
      headCondition: Number.isFinite(diag.condition) ? diag.condition : null,
      headDiversity: back(diag.diversity, 2 * eW),
      meanHeadNorm: back(diag.meanNorm, eW),
      minHeadNorm: back(diag.minNorm, eW),
      maxHeadNorm: back(diag.maxNorm, eW),
      info: fit.info,
    },
    options: { ...plan.est, seed: plan.seed },
  };
}

/**
 * Learn a representation from a held table (every row labelled): checks 1 ≤ k < d and at least k
 * rows per task (one-line errors naming the task and its rows), runs the estimator, and returns the
 * model with the heads Ŵ (least squares on B̂) and the diagnostics of Bouniot & Redko.
 *
 * Example: `fitModelFile(await holdTaskRows(rows), { k: 3, method: "altmin" })`.
 */
export function fitModelFile(table: TaskTable, options: FitModelOptions): FewShotModelFile {
  const plan = planFit(table.features.length, options);
  const { data } = table;
  const counts = new Int32Array(data.tasks);
  for (let t = 0; t < data.tasks; t++) {
    counts[t] = data.start[t + 1] - data.start[t];
    if (counts[t] < plan.k) {
      const rows = Array.from(
        table.row.subarray(data.start[t], Math.min(data.start[t + 1], data.start[t] + 6)),
      );
      throw tooFewRows(table.taskIds[t], counts[t], rows, plan.k);
    }
  }
  const largestX = maxAbs(data.X);
  const largestY = maxAbs(data.y);
  const largestValue = () => Math.max(largestX, largestY);
  // B̂'s span is the same for X·2^−eX and y·2^−eY: the estimator sees data near 1.
  const eX = farExponent(largestX);
  const eY = farExponent(largestY);
  const seen: MultiTaskData =
    eX === 0 && eY === 0 ? data : { ...data, X: scaledInto(data.X, eX), y: scaledInto(data.y, eY) };
  let fit: RepresentationFit;
  try {
    fit = getEstimator(plan.method).fit(seen, plan.k, plan.est, { key: key(plan.seed) });
  } catch (e) {
    // Bad options are the caller's; anything else thrown from the numerics is a blow-up.
    if (e instanceof MetarepError) throw e;
    throw divergedError(plan.method, e instanceof Error ? e.message : String(e), largestValue());
  }
  const heads = new SourceHeads(data.tasks, fit, largestY);
  // Heads only on a usable B̂: assembleModel reports a diverged fit before reading them.
  if (heads.usable) {
    const d = plan.d;
    for (let t = 0; t < data.tasks; t++) {
      const [a, b] = [data.start[t], data.start[t + 1]];
      heads.solve(t, data.X.subarray(a * d, b * d), data.y.subarray(a, b), b - a, table.taskIds[t]);
    }
  }
  const N = data.start[data.tasks];
  return assembleModel(
    plan,
    fit,
    heads.W,
    heads.summary(),
    { features: table.features, taskIds: table.taskIds, counts, rows: N },
    largestValue,
    options,
  );
}

/**
 * The source tasks' heads on B̂, each by `scaledHead` on the task's own (unscaled) rows: the
 * right head or a one-line refusal naming the scale, a conditioning and residual check on every
 * solve; the training MSE summed in the labels' units.
 */
class SourceHeads {
  readonly W: Mat;
  readonly usable: boolean;
  private worst = 1;
  private readonly residuals: ResidualSum;
  constructor(
    tasks: number,
    private readonly fit: RepresentationFit,
    largestY: number,
  ) {
    this.W = zeros(tasks, fit.B.cols);
    this.usable = fit.status !== "diverged" && allFinite(fit.B.data);
    this.residuals = new ResidualSum(labelExponent(largestY));
  }
  solve(t: number, X: Float64Array, y: Float64Array, n: number, id: string): void {
    const h = scaledHead(X, y, n, this.fit.B, 0, `fit: task ${JSON.stringify(id)}`);
    this.W.data.set(h.w, t * this.fit.B.cols);
    this.worst = Math.max(this.worst, h.condition);
    this.residuals.add(h, n);
  }
  summary(): { mse: number | null; condition: number | null } {
    if (!this.usable) return { mse: null, condition: null };
    return { mse: this.residuals.mse(), condition: Number.isFinite(this.worst) ? this.worst : null };
  }
}

/**
 * One streamed pass of MoM: the rows (X·2^−eX, y·2^−eY) added to M̂ in blocks of
 * `STREAM_CHUNK_ROWS` (the blocks `momMatrix` uses on held data), and the largest |values| seen.
 */
async function momPass(
  rows: TaskRows,
  d: number,
  eX: number,
  eY: number,
): Promise<{ acc: MomAccumulator; largestX: number; largestY: number }> {
  const acc = new MomAccumulator(d, rows.rows);
  const Xb = new Float64Array(STREAM_CHUNK_ROWS * d);
  const yb = new Float64Array(STREAM_CHUNK_ROWS);
  let nb = 0;
  let largestX = 0;
  let largestY = 0;
  const add = (n: number) => {
    largestX = Math.max(largestX, maxAbs(Xb.subarray(0, n * d)));
    largestY = Math.max(largestY, maxAbs(yb.subarray(0, n)));
    if (eX !== 0) scaledInto(Xb.subarray(0, n * d), eX, Xb);
    if (eY !== 0) scaledInto(yb.subarray(0, n), eY, yb);
    acc.add(Xb, yb, n);
  };
  for await (const c of rows.chunks()) {
    for (let i = 0; i < c.rows; ) {
      const take = Math.min(c.rows - i, STREAM_CHUNK_ROWS - nb);
      Xb.set(c.X.subarray(i * d, (i + take) * d), nb * d);
      yb.set(c.y.subarray(i, i + take), nb);
      nb += take;
      i += take;
      if (nb === STREAM_CHUNK_ROWS) {
        add(nb);
        nb = 0;
      }
    }
  }
  if (nb > 0) add(nb);
  return { acc, largestX, largestY };
}

/**
 * `fitModelFile` on streamed rows. The method of moments, when it forms M̂ (`momFormsMatrix`: many
 * rows next to d), streams: one pass adds the rows to M̂ = (1/N) Σ y² x xᵀ in blocks of
 * `STREAM_CHUNK_ROWS` (the blocks `momMatrix` uses on held data, so the model is the same to the
 * bit), a second pass fits each task's head holding only that task's rows; memory is d² plus the
 * largest task. Data beyond 2^±64 costs one more pass (M̂ again, on the rows scaled by powers of
 * two, as `fitModelFile` scales them). Every other estimator iterates over all of X: the rows are held in one N × d
 * `Float64Array` (`holdTaskRows`) and `fitModelFile` runs on it.
 */
export async function fitModelRows(rows: TaskRows, options: FitModelOptions): Promise<FewShotModelFile> {
  const plan = planFit(rows.features.length, options);
  for (let t = 0; t < rows.taskIds.length; t++) {
    if (rows.counts[t] < plan.k)
      throw tooFewRows(rows.taskIds[t], rows.counts[t], await rows.rowsOf(t, false, 6), plan.k);
  }
  if (plan.method !== "mom" || !momFormsMatrix(rows.rows, plan.d, plan.k))
    return fitModelFile(await holdTaskRows(rows), options);
  const { d, k } = plan;
  // As fitModelFile: data far from 1 is added to M̂ scaled by powers of two (same span, exactly).
  // The scale is known only after a pass, so that pass is redone, scaled, when it was far.
  let pass = await momPass(rows, d, 0, 0);
  const eX = farExponent(pass.largestX);
  const eY = farExponent(pass.largestY);
  if (eX !== 0 || eY !== 0) pass = await momPass(rows, d, eX, eY);
  const { acc, largestY } = pass;
  const largest = Math.max(pass.largestX, largestY);
  let fit: RepresentationFit;
  try {
    fit = acc.estimate(k);
  } catch (e) {
    if (e instanceof MetarepError) throw e;
    throw divergedError(plan.method, e instanceof Error ? e.message : String(e), largest);
  }
  const heads = new SourceHeads(rows.taskIds.length, fit, largestY);
  if (heads.usable)
    await forEachTask(rows, (b) => heads.solve(b.task, b.X, b.y, b.rows, rows.taskIds[b.task]));
  return assembleModel(plan, fit, heads.W, heads.summary(), rows, () => largest, options);
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
  /** 1-based data row of the file (the header is not a row). */
  row: number;
  prediction: number;
}

export interface AdaptResult {
  /**
   * Per task in the file: its id, labelled rows used, fitted head, and the conditioning of its
   * solve (`scaledHead`: ≈ 10^digits lost, 1 for none; null when its labelled rows determine
   * fewer than k directions and the head is the minimum-norm one).
   */
  heads: { task: string; labelled: number; w: number[]; condition: number | null }[];
  /** One per row without a target, in file order. */
  predictions: Prediction[];
}

/**
 * The target stage on a file of new tasks: for each task, `ŵ = argmin_w ‖y − X B̂ w‖² + ridge‖w‖²`
 * on its labelled rows, then `ŷ = x·B̂ŵ` for its rows without a target. Each task needs at least
 * k labelled rows (one with ridge > 0). The rows must carry the model's features. Tasks are
 * visited one at a time (memory is the largest task).
 */
export async function adaptModelFile(
  model: FewShotModelFile,
  B: Mat,
  rows: TaskRows,
  ridge = 0,
): Promise<AdaptResult> {
  if (!(ridge >= 0) || !Number.isFinite(ridge))
    throw new ParamError("adapt", "ridge", "must be a finite number ≥ 0", ridge);
  const { d, k } = model;
  if (rows.features.length !== d || rows.features.some((f, i) => f !== model.features[i])) {
    throw new DataError(`the data's features must be the model's: ${model.features.join(", ")}`);
  }
  const need = ridge > 0 ? 1 : k;
  for (let t = 0; t < rows.taskIds.length; t++) {
    const n = rows.labelled[t];
    if (n < need) {
      const at = rowsText(await rows.rowsOf(t, true, 6));
      throw new DataError(
        `task ${JSON.stringify(rows.taskIds[t])} has ${n} labelled row${n === 1 ? "" : "s"} (${at}); adapting a head needs at least ${need === k ? `k = ${k}` : "1"}${ridge > 0 ? "" : " (or --ridge > 0)"}`,
      );
    }
  }
  const heads: AdaptResult["heads"] = [];
  const predictions: Prediction[] = [];
  await forEachTask(rows, (b) => {
    const n = rows.labelled[b.task];
    const X = new Float64Array(n * d);
    const y = new Float64Array(n);
    for (let i = 0, j = 0; i < b.rows; i++) {
      if (Number.isNaN(b.y[i])) continue;
      X.set(b.X.subarray(i * d, (i + 1) * d), j * d);
      y[j++] = b.y[i];
    }
    const task = rows.taskIds[b.task];
    // Scaled and orthogonal (scaledHead.ts): data near the ends of float64's range gives the
    // right head or a one-line refusal naming the scale, never a silently wrong number.
    const h = scaledHead(X, y, n, B, ridge, `adapt: task ${JSON.stringify(task)}`);
    heads.push({
      task,
      labelled: n,
      w: Array.from(h.w),
      condition: Number.isFinite(h.condition) ? h.condition : null,
    });
    // Predictions in the solve's scaled units: finite whenever ŷ is.
    for (let i = 0; i < b.rows; i++)
      if (Number.isNaN(b.y[i])) predictions.push({ task, row: b.row[i], prediction: h.predict(b.X, i * d) });
  });
  predictions.sort((a, b) => a.row - b.row);
  return { heads, predictions };
}
