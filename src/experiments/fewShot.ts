import { z } from "zod";
import { estimators, getEstimator } from "../algorithms/representation/estimators.js";
import { taskHeads } from "../algorithms/representation/heads.js";
import { groupedTargetExcessRisks } from "../algorithms/representation/targetStage.js";
import type { EstimatorOptions, RepresentationFit } from "../algorithms/representation/types.js";
import type { Mat } from "../linalg/mat.js";
import { type HeadDiagnostics, headDiagnostics } from "../metrics/conditioning.js";
import { meanAndStandardError } from "../metrics/excessRisk.js";
import { fitLogLogLine } from "../metrics/loglogSlope.js";
import { subspaceDistance } from "../metrics/subspace.js";
import {
  type FewShotModel,
  fewShotKeys,
  HEAD_KINDS,
  type HeadDesign,
  type SourceTasks,
  sampleSourceTasks,
} from "../models/fewShotTasks.js";
import type { MultiTaskData } from "../models/multiTaskData.js";
import { foldInString, type Key } from "../rng/key.js";
import { type FamilyParams, familyModel } from "./familyParams.js";
import { joinAlong } from "./join.js";
import { entryOptions, listOf, nonNegative, posInt, positive, registeredId } from "./params.js";
import type { ConditionPart, Curve, Divergence, Labels, RunContext, RunResult } from "./types.js";

/**
 * Parameters shared by the few-shot experiments (Du et al. 2021, Tripuraneni et al. 2021;
 * SPEC §1.3). Defaults are the NumPy reference's (`fewshot_ref.py`): d=20, k=3, T=400, n1=25,
 * n2=30, σ=1, heads N(0, I_k), 50 AltMin rounds.
 */
export const fewShotFields = {
  d: posInt().default(20).describe("ambient dimension d"),
  k: posInt().default(3).describe("representation dimension k (< d)"),
  T: posInt().default(400).describe("source tasks T"),
  n1: posInt().default(25).describe("rows per source task n1"),
  n2: posInt().default(30).describe("rows per target task n2"),
  sigma: nonNegative().default(1).describe("label noise σ"),
  heads: z
    .enum(HEAD_KINDS)
    .default("gaussian")
    .describe("head distribution: gaussian N(0, s²I), scaled N(0, s²I/k), condition (κ(W*) = kappa)"),
  head_scale: positive().default(1).describe("head scale s"),
  kappa: z.number().min(1).default(1).describe("condition number of W* (heads = condition)"),
  targets: posInt().default(500).describe("target tasks per seed (shared by all methods)"),
  ridge: nonNegative().default(0).describe("ridge λ of the target head (0: least squares)"),
  methods: listOf(registeredId(estimators))
    .default(["mom", "altmin", "bm", "fo-anil", "oracle", "ols"])
    .describe("estimators of B̂ (built-in or a plug-in's)"),
  estimator_options: entryOptions(estimators).describe(
    "per-estimator options by id, under each estimator's own schema (e.g. a plug-in's)",
  ),
  iters: posInt().default(50).describe("AltMin / AltMinGD rounds"),
  tol: nonNegative().default(0).describe("AltMin / AltMinGD early stop on dist(B_t, B_{t−1}) (0: off)"),
  eta: positive().default(0.5).describe("AltMinGD step size"),
  bm_iters: posInt().default(500).describe("Burer–Monteiro L-BFGS iterations"),
  bm_tol: positive().default(1e-6).describe("Burer–Monteiro relative gradient tolerance"),
  anil_alpha: positive().default(0.5).describe("ANIL inner step α"),
  anil_beta: positive().default(0.5).describe("ANIL outer step β"),
  anil_epochs: posInt().default(100).describe("ANIL passes over the source tasks"),
  anil_batch: posInt().nullable().default(null).describe("ANIL tasks per outer step (null: all T)"),
  split: z.enum(["halves", "shared"]).default("halves").describe("ANIL inner/outer rows"),
};

/** Cross-field constraints: k < d; the condition design needs κ = 1 when k = 1. */
export function checkFewShot(
  p: { d: number; k: number; heads: string; kappa: number },
  ctx: z.RefinementCtx,
): void {
  if (p.k >= p.d)
    ctx.addIssue({ code: "custom", path: ["k"], message: `must be < d (= ${p.d})`, input: p.k });
  if (p.heads === "condition" && p.k === 1 && p.kappa !== 1) {
    ctx.addIssue({ code: "custom", path: ["kappa"], message: "must be 1 when k = 1", input: p.kappa });
  }
}

export type FewShotParams = z.output<z.ZodObject<typeof fewShotFields>>;

export function headDesign(p: Pick<FewShotParams, "heads" | "head_scale" | "kappa">): HeadDesign {
  if (p.heads === "condition") return { kind: "condition", scale: p.head_scale, kappa: p.kappa };
  return { kind: p.heads, scale: p.head_scale };
}

/** The model of resolved parameters; with `family` (experiments that accept one) its covariates. */
export function fewShotModel(p: FewShotParams & FamilyParams): FewShotModel {
  const model: FewShotModel = { d: p.d, k: p.k, sigma: p.sigma, heads: headDesign(p) };
  const fam = familyModel(p, p.d, "few-shot model");
  return fam ? { ...model, ...fam } : model;
}

/**
 * The options of one estimator, under its own schema (DESIGN.md "Registries"): a built-in's from
 * the experiment's parameters (only the fields its schema declares), then the method's
 * `estimator_options` entry on top; a plug-in's are its schema's defaults plus that entry.
 */
export function estimatorOptions(p: FewShotParams, method: string): EstimatorOptions {
  const given = p.estimator_options?.[method] ?? {};
  return getEstimator(method).options.parse({ ...builtInOptions(p, method), ...given }) as EstimatorOptions;
}

/** The experiment parameters each built-in estimator reads (none for a plug-in's). */
function builtInOptions(p: FewShotParams, method: string): Record<string, unknown> {
  const rounds = { iters: p.iters, tol: p.tol };
  switch (method) {
    case "altmin":
      return rounds;
    case "altmin-gd":
      return { ...rounds, eta: p.eta };
    case "bm":
    case "bm-mom":
      return { iters: p.bm_iters, tol: p.bm_tol };
    case "anil":
    case "fo-anil":
      return {
        alpha: p.anil_alpha,
        beta: p.anil_beta,
        epochs: p.anil_epochs,
        ...(p.anil_batch === null ? {} : { batch: p.anil_batch }),
        split: p.split,
      };
    default:
      return {};
  }
}

/** The built-in estimators that start from the MoM estimate under these options. */
export function startsFromMom(method: string, options: EstimatorOptions): boolean {
  if (method === "bm-mom") return true;
  if (method === "bm") return options.init === "mom";
  return (method === "altmin" || method === "altmin-gd") && (options.init ?? "mom") === "mom";
}

/**
 * Fit every method of `p.methods` on the same source data. The MoM estimate, when MoM is among the
 * methods, is computed once and handed to the estimators that start from it as `ctx.initBasis` (the
 * same start they would compute themselves); an estimator set to start at random (`init: "random"`,
 * Burer–Monteiro's default) starts at random whatever else runs.
 */
export function fitMethods(
  p: FewShotParams,
  data: MultiTaskData,
  Bstar: Mat,
  key: Key,
  ctx: RunContext,
): RepresentationFit[] {
  const fits: RepresentationFit[] = [];
  let mom: RepresentationFit | undefined;
  const ordered = [...p.methods].sort((a, b) => (a === "mom" ? -1 : b === "mom" ? 1 : 0));
  const byMethod = new Map<string, RepresentationFit>();
  for (const m of ordered) {
    const estimator = getEstimator(m);
    const options = estimatorOptions(p, m);
    const fit = estimator.fit(data, p.k, options, {
      key: foldInString(key, `estimator:${m}`),
      ...(mom && startsFromMom(m, options) ? { initBasis: mom.B } : {}),
      // Only an estimator that declares it needs the truth sees it (the oracle).
      ...(estimator.needsTruth ? { Bstar } : {}),
      signal: ctx.signal,
    });
    if (m === "mom") mom = fit;
    byMethod.set(m, fit);
  }
  for (const m of p.methods) fits.push(byMethod.get(m)!);
  return fits;
}

/** One method's outcome at one setting. */
export interface MethodOutcome {
  method: string;
  fit: RepresentationFit;
  /** dist(B̂, B*), null for "ols". */
  dist: number | null;
  /** Per-target excess risk (same targets for every method). */
  er: Float64Array;
  /** Diagnostics of the learned heads Ŵ (least squares on B̂), null for "ols". */
  heads: HeadDiagnostics | null;
}

export interface SettingOutcome {
  /** Diagnostics of the true source heads W*. */
  truth: HeadDiagnostics;
  /** Per-target excess risk of the oracle, the baseline of paired differences. */
  oracle: Float64Array;
  methods: MethodOutcome[];
}

/**
 * Du et al.'s two-stage pipeline at one setting (T, n1, n2): draw the source tasks (key layout of
 * `fewShotKeys`, nested in T and n1), fit every method, then evaluate all of them and the oracle on
 * the same `targets` target tasks. The method keys are the run key folded with the method id.
 * With `p.family` (a task family) source and target inputs come from it and the excess risk uses its
 * population Σ (`targetExcessRisks`).
 */
export function runSetting(
  p: FewShotParams & FamilyParams,
  setting: { T: number; n1: number; n2: number },
  key: Key,
  ctx: RunContext,
  model: FewShotModel = fewShotModel(p),
): SettingOutcome {
  return runSettings(p, setting, [setting.n2], key, ctx, model)[0];
}

/**
 * `runSetting` at one source stage (T, n1) and several target sizes n2: `out[i]` is
 * `runSetting(p, {T, n1, n2: n2s[i]}, key, ctx, model)`, bit for bit, with the source tasks drawn
 * and every method fitted once (they do not depend on n2) and the targets drawn once at the
 * largest n2 (`nestedTargetExcessRisks`: target rows are nested in n2).
 */
export function runSettings(
  p: FewShotParams & FamilyParams,
  stage: { T: number; n1: number },
  n2s: readonly number[],
  key: Key,
  ctx: RunContext,
  model: FewShotModel = fewShotModel(p),
): SettingOutcome[] {
  return targetOutcomes(p, fitSourceStage(p, stage, key, ctx, model), n2s, key, model);
}

/** The source stage of a setting: its tasks, every method's fit and the diagnostics of both. */
export interface SourceStage {
  src: SourceTasks;
  fits: RepresentationFit[];
  truth: HeadDiagnostics;
  learned: { dist: number | null; heads: HeadDiagnostics | null }[];
}

/** Draw the source tasks of (T, n1) and fit every method (the first half of `runSetting`). */
export function fitSourceStage(
  p: FewShotParams & FamilyParams,
  stage: { T: number; n1: number },
  key: Key,
  ctx: RunContext,
  model: FewShotModel = fewShotModel(p),
): SourceStage {
  const src = sampleSourceTasks(model, stage.T, stage.n1, key);
  const fits = fitMethods(p, src.data, src.Bstar, key, ctx);
  const learned = fits.map((fit) => {
    const learns = getEstimator(fit.method).learns;
    return {
      dist: learns ? subspaceDistance(fit.B, src.Bstar) : null,
      heads: learns ? headDiagnostics(taskHeads(src.data, fit.B)) : null,
    };
  });
  return { src, fits, truth: headDiagnostics(src.W), learned };
}

/**
 * `runSettings` at several source stages of one key (common random numbers: the same B*, source
 * draws nested in T and n1, the same targets): `out[s]` is
 * `runSettings(p, stages[s], stages[s].n2s, key, ctx, model)`, bit for bit, with the targets drawn
 * once and the oracle and plain OLS, which no source stage changes, evaluated once
 * (`groupedTargetExcessRisks`). Each stage keeps only its fits (not its rows) once fitted.
 */
export function runStages(
  p: FewShotParams & FamilyParams,
  stages: readonly { T: number; n1: number; n2s: readonly number[] }[],
  key: Key,
  ctx: RunContext,
  model: FewShotModel = fewShotModel(p),
): SettingOutcome[][] {
  const fitted = stages.map((s, i) => {
    const { src, ...rest } = fitSourceStage(p, s, key, ctx, model);
    ctx.progress(i + 1, stages.length + 1);
    return { Bstar: src.Bstar, ...rest };
  });
  return stageTargetOutcomes(
    p,
    fitted.map((stage, i) => ({ stage, n2s: stages[i].n2s })),
    key,
    model,
  );
}

/**
 * The target stage of `runSetting` on a fitted source stage, at each n2 of `n2s`, with the
 * targets' inputs from `model` (which may differ from the source's in its target covariance
 * `covTgt` only: the same source stage evaluated under several target distributions).
 */
export function targetOutcomes(
  p: FewShotParams,
  stage: SourceStage,
  n2s: readonly number[],
  key: Key,
  model: FewShotModel,
): SettingOutcome[] {
  const { src, ...rest } = stage;
  return stageTargetOutcomes(p, [{ stage: { Bstar: src.Bstar, ...rest }, n2s }], key, model)[0];
}

/** `targetOutcomes` of several fitted stages of one key, on the same targets. */
function stageTargetOutcomes(
  p: FewShotParams,
  stages: readonly { stage: Omit<SourceStage, "src"> & { Bstar: Mat }; n2s: readonly number[] }[],
  key: Key,
  model: FewShotModel,
): SettingOutcome[][] {
  if (stages.length === 0) return [];
  const Bstar = stages[0].stage.Bstar;
  const ers = groupedTargetExcessRisks(
    model,
    Bstar,
    stages.map(({ stage, n2s }) => {
      if (stage.Bstar.data.some((v, i) => v !== Bstar.data[i]))
        throw new Error("stageTargetOutcomes: the stages have different B* (not one key)");
      return { reps: [Bstar, ...stage.fits.map((f) => f.B)], n2s };
    }),
    fewShotKeys(key).targets,
    p.targets,
    p.ridge,
  );
  return stages.map(({ stage: { fits, truth, learned } }, s) =>
    ers[s].map((er) => ({
      truth,
      oracle: er[0],
      methods: fits.map((fit, i) => ({ method: fit.method, fit, ...learned[i], er: er[i + 1] })),
    })),
  );
}

/** Mean over targets of `er − oracle`, and its standard error over targets. */
export function pairedExcess(er: Float64Array, oracle: Float64Array): { mean: number; se: number | null } {
  const diff = new Float64Array(er.length);
  for (let j = 0; j < er.length; j++) diff[j] = er[j] - oracle[j];
  return meanAndStandardError(diff);
}

function mean(a: Float64Array): number {
  let s = 0;
  for (const v of a) s += v;
  return s / a.length;
}

function finite(v: number): number | null {
  return Number.isFinite(v) ? v : null;
}

/** One point of a sweep: its x and the setting's outcome. */
export interface SweepPoint {
  x: number;
  outcome: SettingOutcome;
}

/** A y value JSON can carry: +∞ (κ of rank-deficient heads) is stored as Number.MAX_VALUE. */
function jsonSafe(v: number): number {
  return Number.isFinite(v) ? v : Number.MAX_VALUE;
}

/**
 * Curves of a sweep (x = the varied setting), with `extra` labels (e.g. {sweep: "T"}) and the
 * quantity as label `quantity`: per method `excess risk` (mean over targets; metric `slope` =
 * fitted log-log slope), `excess over oracle` (paired mean of ER − ER_oracle over the same targets;
 * metric `slope`) with `se of excess over oracle` (its standard error over targets, 0 if < 2),
 * `dist` and `cond(Ŵ)` (learned heads); without a method label, the true heads' `cond(W*)`,
 * `diversity σ_k(W*)²k/T` and `mean ‖w*‖`. Non-finite condition numbers are stored as 1.8e308.
 */
export function sweepCurves(points: SweepPoint[], xName: string, extra: Labels): Curve[] {
  const xs = points.map((pt) => pt.x);
  const curves: Curve[] = [];
  const add = (
    labels: Labels,
    yName: string,
    y: number[],
    metrics: Record<string, number | null> = {},
    status?: { diverged?: Divergence },
  ) => {
    const c: Curve = {
      labels: { ...labels, ...extra, quantity: yName },
      xName,
      yName,
      x: xs,
      y,
      metrics: { final: y.length ? finite(y[y.length - 1]) : null, ...metrics },
      status: status?.diverged ? "diverged" : "ok",
    };
    if (status?.diverged) c.diverged = status.diverged;
    curves.push(c);
  };
  const methods = points[0]?.outcome.methods.map((m) => m.method) ?? [];
  methods.forEach((method, mi) => {
    const outs = points.map((pt) => pt.outcome.methods[mi]);
    const firstDiverged = outs.find((o) => o.fit.status === "diverged")?.fit.diverged;
    const status = firstDiverged
      ? {
          diverged: {
            iteration: firstDiverged.iteration,
            quantity: firstDiverged.quantity,
            value: Number.isFinite(firstDiverged.value) ? firstDiverged.value : String(firstDiverged.value),
          },
        }
      : undefined;
    const er = outs.map((o) => mean(o.er));
    add({ method }, "excess risk", er, { slope: fitLogLogLine(xs, er)?.slope ?? null }, status);
    if (method !== "oracle") {
      const paired = points.map((pt, i) => pairedExcess(outs[i].er, pt.outcome.oracle));
      const y = paired.map((q) => q.mean);
      add({ method }, "excess over oracle", y, { slope: fitLogLogLine(xs, y)?.slope ?? null }, status);
      add(
        { method },
        "se of excess over oracle",
        paired.map((q) => q.se ?? 0),
      );
    }
    if (outs[0].dist !== null) {
      const dist = outs.map((o) => o.dist as number);
      add({ method }, "dist", dist, { slope: fitLogLogLine(xs, dist)?.slope ?? null }, status);
      add(
        { method },
        "cond(Ŵ)",
        outs.map((o) => jsonSafe(o.heads!.condition)),
      );
      add(
        { method },
        "mean ‖ŵ‖",
        outs.map((o) => o.heads!.meanNorm),
      );
    }
  });
  add(
    {},
    "cond(W*)",
    points.map((pt) => jsonSafe(pt.outcome.truth.condition)),
  );
  add(
    {},
    "diversity σ_k(W*)²k/T",
    points.map((pt) => pt.outcome.truth.diversity),
  );
  add(
    {},
    "mean ‖w*‖",
    points.map((pt) => pt.outcome.truth.meanNorm),
  );
  return curves;
}

/**
 * Join a seed's settings (one condition each, one point per curve) into curves over `axis`, with
 * `final` and, where the point carried one, the fitted log-log `slope` recomputed over all points.
 */
export function joinSettings(parts: readonly ConditionPart[], axis: string): RunResult {
  return joinAlong(parts, axis, (x, y, m) => ({
    final: y.length ? finite(y[y.length - 1]) : null,
    ...("slope" in m ? { slope: fitLogLogLine(x, y)?.slope ?? null } : {}),
  }));
}

export function fewShotStatus(curves: Curve[]): "ok" | "diverged" {
  return curves.some((c) => c.status === "diverged") ? "diverged" : "ok";
}
