import { ParamError, UnknownNameError } from "../../errors.js";
import type { MultiTaskData } from "../../models/multiTaskData.js";
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

function estimator(
  id: RepresentationEstimator["id"],
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
    needsTruth: flags.needsTruth ?? false,
    learns: flags.learns ?? true,
    fit(data, k, options, ctx) {
      checkInputs(id, data, k);
      return estimate(data, k, options, ctx);
    },
  };
}

// The CLI help, the experiments' schemas and the docs come from this list (STYLE.md §9).
const ESTIMATORS: readonly RepresentationEstimator[] = [
  estimator(
    "mom",
    { name: "MoM", color: "#ff7f0e", family: "tripuraneni" },
    "method of moments: top-k eigenvectors of (1/N) Σ y² x xᵀ (Tripuraneni et al. 2021)",
    (d, k, o) => momEstimate(d, k, o),
  ),
  estimator(
    "altmin",
    { name: "AltMin", color: "#1f77b4", family: "du" },
    "alternating exact least squares for heads and B, from MoM (Du et al.'s ERM; Thekumparampil et al.)",
    altMinEstimate,
  ),
  estimator(
    "altmin-gd",
    { name: "AltMinGD", color: "#17becf", family: "thekumparampil" },
    "least-squares heads, one gradient step on B, QR; from MoM (Thekumparampil et al. 2021)",
    altMinGdEstimate,
  ),
  estimator(
    "bm",
    { name: "Burer–Monteiro", color: "#2ca02c", family: "tripuraneni" },
    "factored ERM with the balance term (1/8)‖BᵀB − VᵀV‖², by L-BFGS from MoM (Tripuraneni et al.)",
    burerMonteiroEstimate,
  ),
  estimator(
    "anil",
    { name: "ANIL", color: "#d62728", family: "collins" },
    "ANIL with exact meta-gradients for epochs over the source tasks (Collins et al. 2022)",
    (d, k, o, c) => anilEstimate(d, k, o, c, false),
  ),
  estimator(
    "fo-anil",
    { name: "FO-ANIL", color: "#e377c2", family: "collins" },
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
    { name: "OLS in R^d (no representation)", color: "#7f7f7f", family: "baseline" },
    "no representation: the target head is least squares in R^d",
    (d) => olsEstimate(d),
    { learns: false },
  ),
];

/** All estimators of B̂, in the canonical order. */
export function listEstimators(): readonly RepresentationEstimator[] {
  return ESTIMATORS;
}

/** The estimator with this id; unknown ids list the known ones. */
export function getEstimator(id: string): RepresentationEstimator {
  const e = ESTIMATORS.find((x) => x.id === id);
  if (!e) throw new UnknownNameError("estimator", id, ESTIMATOR_IDS);
  return e;
}
