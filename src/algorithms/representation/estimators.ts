import { z } from "zod";
import { ParamError } from "../../errors.js";
import type { MultiTaskData } from "../../models/multiTaskData.js";
import { Registry } from "../../registry.js";
import { altMinEstimate } from "./altMin.js";
import { altMinGdEstimate } from "./altMinGd.js";
import { anilEstimate } from "./anil.js";
import { olsEstimate, oracleEstimate } from "./baselines.js";
import { burerMonteiroEstimate } from "./burerMonteiro.js";
import { momEstimate } from "./mom.js";
import {
  ESTIMATOR_IDS,
  type EstimatorContext,
  type EstimatorOptions,
  type RepresentationEstimator,
  type RepresentationFit,
} from "./types.js";

/** `k` must be an integer in [1, d); the data must have at least one task and one row. */
function checkInputs(id: string, data: MultiTaskData, k: number): void {
  if (data.tasks < 1) throw new ParamError(id, "tasks", "must be ≥ 1", data.tasks);
  if (!Number.isInteger(k) || k < 1 || k >= data.d) {
    throw new ParamError(id, "k", `must be an integer with 1 ≤ k < d = ${data.d}`, k);
  }
}

/** Display metadata of an estimator: its name, colour and paper (the order is its list position). */
interface Display {
  name: string;
  color: string;
  family: string;
}

const count = () => z.number().int().min(1);
const nonNeg = () => z.number().min(0);
const pos = () => z.number().gt(0);
const init = z.enum(["mom", "random"]).optional().describe('initialisation: "mom" (default) or "random"');
const penalty = {
  lambdaCond: nonNeg().optional().describe("Bouniot et al.'s weight λ1 of κ(Ŵ)² (default 0)"),
  lambdaNorm: nonNeg()
    .optional()
    .describe("Bouniot et al.'s weight λ2 of ‖W̃W̃ᵀ‖_F, W̃ = Ŵ/√(rows) (default 0)"),
};

const bmOptions = {
  iters: count().optional().describe("L-BFGS iterations (default 500)"),
  tol: pos().optional().describe("stop when ‖∇f‖ ≤ tol·‖∇f₀‖ (default 1e-6)"),
  balance: nonNeg().optional().describe("weight λ of (λ/8)‖BᵀB − VᵀV‖²_F (default 1/T)"),
  ...penalty,
};

/**
 * Each built-in's own options (DESIGN.md "Registries"): the fields it reads, all optional (the
 * estimator's documented default applies), so `estimator_options.<id>` overrides validate per
 * estimator. Experiments fill them from their parameters (`experiments/fewShot.ts`).
 */
const OPTIONS = {
  mom: z.strictObject({
    eigTol: pos().optional().describe("relative Ritz-residual tolerance (default 1e-6)"),
  }),
  altmin: z.strictObject({
    iters: count().optional().describe("rounds (default 50)"),
    tol: nonNeg().optional().describe("stop when dist(B_t, B_{t−1}) ≤ tol (default 0: every round)"),
    init,
  }),
  "altmin-gd": z.strictObject({
    iters: count().optional().describe("rounds (default 50)"),
    tol: nonNeg().optional().describe("stop when dist(B_t, B_{t−1}) ≤ tol (default 0: every round)"),
    eta: pos().optional().describe("step size η (default 0.5)"),
    init,
    ...penalty,
  }),
  bm: z.strictObject({
    ...bmOptions,
    init: z
      .enum(["mom", "random"])
      .optional()
      .describe('initialisation: "random" (default, as Tripuraneni et al.) or "mom" (the estimator bm-mom)'),
  }),
  "bm-mom": z.strictObject(bmOptions),
  anil: anilOptions(),
  "fo-anil": anilOptions(),
  oracle: z.strictObject({}),
  ols: z.strictObject({}),
} satisfies Record<(typeof ESTIMATOR_IDS)[number], z.ZodType>;

function anilOptions() {
  return z.strictObject({
    alpha: pos().optional().describe("inner step α (default 0.5)"),
    beta: pos().optional().describe("outer step β (default 0.5)"),
    epochs: count().optional().describe("passes over the source tasks (default 100)"),
    batch: count().optional().describe("tasks per outer step (default T)"),
    split: z.enum(["halves", "shared"]).optional().describe("inner/outer rows (default halves)"),
    ...penalty,
  });
}

function estimator(
  id: (typeof ESTIMATOR_IDS)[number],
  display: Display,
  description: string,
  estimate: (data: MultiTaskData, k: number, o: EstimatorOptions, ctx: EstimatorContext) => RepresentationFit,
  flags: { needsTruth?: boolean; learns?: boolean } = {},
): RepresentationEstimator {
  return {
    id,
    ...display,
    order: ESTIMATOR_IDS.indexOf(id) + 1,
    description,
    options: OPTIONS[id],
    needsTruth: flags.needsTruth ?? false,
    learns: flags.learns ?? true,
    fit(data, k, options, ctx) {
      checkInputs(id, data, k);
      return estimate(data, k, options, ctx);
    },
  };
}

/**
 * The estimator registry (DESIGN.md "Registries"): the CLI help, the experiments' schemas, the
 * figures and the docs read it. Built-ins register here exactly as a plug-in does.
 */
export const estimators = new Registry<RepresentationEstimator>("estimator");

for (const e of [
  estimator(
    "mom",
    { name: "MoM", color: "#bcbd22", family: "tripuraneni" },
    "method of moments: top-k eigenvectors of (1/N) Σ y² x xᵀ (Tripuraneni et al. 2021)",
    (d, k, o) => momEstimate(d, k, o),
  ),
  estimator(
    "altmin",
    { name: "AltMin", color: "#9467bd", family: "du" },
    "alternating exact least squares for heads and B, from MoM (Du et al.'s ERM; Thekumparampil et al.)",
    altMinEstimate,
  ),
  estimator(
    "altmin-gd",
    { name: "AltMinGD", color: "#e377c2", family: "thekumparampil" },
    "least-squares heads, one gradient step on B, QR; from MoM (Thekumparampil et al. 2021)",
    altMinGdEstimate,
  ),
  estimator(
    "bm",
    { name: "Burer–Monteiro", color: "#2ca02c", family: "tripuraneni" },
    "factored ERM with the balance term (1/8)‖BᵀB − VᵀV‖², by L-BFGS from a random orthonormal B and its least-squares heads (Tripuraneni et al.)",
    burerMonteiroEstimate,
  ),
  estimator(
    "bm-mom",
    { name: "BM (MoM start)", color: "#98df8a", family: "tripuraneni" },
    "Burer–Monteiro started from the MoM estimate instead of at random (not Tripuraneni et al.'s start)",
    (d, k, o, c) => burerMonteiroEstimate(d, k, { ...o, init: "mom" }, c, "bm-mom"),
  ),
  estimator(
    "anil",
    { name: "ANIL", color: "#1f77b4", family: "collins" },
    "ANIL with exact meta-gradients for epochs over the source tasks (Collins et al. 2022)",
    (d, k, o, c) => anilEstimate(d, k, o, c, false),
  ),
  estimator(
    "fo-anil",
    { name: "FO-ANIL", color: "#17becf", family: "collins" },
    "first-order ANIL for epochs over the source tasks (Collins et al. 2022)",
    (d, k, o, c) => anilEstimate(d, k, o, c, true),
  ),
  estimator(
    "oracle",
    { name: "oracle (B̂ = B*)", color: "#000000", family: "baseline" },
    "B̂ = B*, the ground truth (generated data only)",
    (d, k, _o, c) => oracleEstimate(d, k, c),
    { needsTruth: true },
  ),
  estimator(
    "ols",
    { name: "OLS in ℝᵈ (no representation)", color: "#7f7f7f", family: "baseline" },
    "no representation: the target head is least squares in ℝᵈ",
    (d) => olsEstimate(d),
    { learns: false },
  ),
])
  estimators.register(e);

/** Add an estimator (a plug-in's, or a library user's); its id must be new. */
export function registerEstimator(e: RepresentationEstimator, source?: string): RepresentationEstimator {
  return estimators.register(e, source);
}

/** All estimators of B̂, built-in and registered, in their order. */
export function listEstimators(): readonly RepresentationEstimator[] {
  return estimators.list();
}

/**
 * The estimator with this id; unknown ids list the known ones (and the closest). Its
 * `fit(data, k, options, ctx)` returns `B` with orthonormal columns (d × k; the built-ins
 * orthonormalise, plug-ins' bases are orthonormalised when they return), the iterations, status
 * and `info`. Example: `getEstimator("mom").fit(data, k, {}, { key })` — MoM's B̂ is the top-k
 * eigenvectors of (1/N) Σ y² x xᵀ, orthonormal.
 */
export function getEstimator(id: string): RepresentationEstimator {
  return estimators.get(id);
}
