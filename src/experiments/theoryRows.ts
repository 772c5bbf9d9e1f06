import { finiteMedian } from "../metrics/median.js";
import { fitLinearRate } from "../metrics/trace.js";
import { predictedRateOf } from "../theory/collinsRate.js";
import { oracleLevel } from "../theory/duBound.js";
import { KONG_LAW_SLOPES, type KongLaw } from "../theory/kong.js";
import { CAPTURED_Y } from "./kong/quantities.js";
import type { Curve, LabelValue, RunResult, TheoryRow } from "./types.js";

/**
 * Measured vs theory (DESIGN.md `compare`): for every experiment with a theory value, the rows
 * its summaries and the report print — each a median over seeds beside the value that
 * `src/theory/` predicts, with a note saying how the measured number was obtained. The report
 * reads them through `theoryRowsOf`; nothing in `report/` knows a formula.
 *
 * Experiments without a theory value to compare with have no entry: `collins-finite-samples`
 * (SPEC §1.2 derives only the scaling of the floors, not their constant), `kong-subspace`,
 * `kong-clustering`, `kong-classification`, `kong-prediction`, `kong-sine`, `kong-projection`
 * (no closed form at the experiments' sizes) and the Li et al. experiments (the theory orders
 * feature learning by the race ratios, it does not predict an error).
 */

export type TheoryRowsFn = (params: Record<string, unknown>, seeds: readonly RunResult[]) => TheoryRow[];

/** The curves of all seeds whose labels include `labels` (and whose y is `yName`, if given). */
function curvesWith(
  seeds: readonly RunResult[],
  labels: Record<string, LabelValue>,
  yName?: string,
): Curve[] {
  return seeds.flatMap((r) =>
    r.curves.filter(
      (c) =>
        (yName === undefined || c.yName === yName) &&
        Object.entries(labels).every(([k, v]) => c.labels[k] === v),
    ),
  );
}

/** Median over seeds of a metric of the curves with these labels, and how many seeds had one. */
function metricMedian(
  seeds: readonly RunResult[],
  labels: Record<string, LabelValue>,
  metric: string,
  yName?: string,
): { median: number | null; count: number } {
  const values = curvesWith(seeds, labels, yName).map((c) => c.metrics[metric] ?? null);
  return {
    median: finiteMedian(values),
    count: values.filter((v) => v !== null && Number.isFinite(v)).length,
  };
}

const distinct = (curves: Curve[], label: string): LabelValue[] => [
  ...new Set(curves.map((c) => c.labels[label])),
];
const num = (params: Record<string, unknown>, name: string): number => params[name] as number;

/** The methods whose local rate SPEC §1.2 derives: ANIL and MAML and their first-order versions. */
const META_METHODS = ["anil", "fo-anil", "maml", "fo-maml"];
/** Rate-fit window of dist: the asymptotic regime, above the float64 floor (as `collins-diversity`). */
const RATE_WINDOW = { lo: 1e-12, hi: 1e-2 } as const;

/**
 * Collins et al.: the contraction per iteration 1 − dist_{t+1}/dist_t of each meta-method near
 * convergence against αβµ² (SPEC §1.2 [derived]; the rate is 1 − αβµ²), per condition whose µ
 * the label or the params give and where `predictedRateOf` derives a rate. The measured rate is
 * the curve's `rate` metric where the experiment fits one, else the same fit over the window.
 */
function collinsContraction(conditionLabel: string | null): TheoryRowsFn {
  return (params, seeds) => {
    const rows: TheoryRow[] = [];
    const dist = seeds.flatMap((r) => r.curves.filter((c) => c.yName === "dist"));
    const conditions = conditionLabel === null ? [null] : distinct(dist, conditionLabel);
    for (const cond of conditions) {
      const at = conditionLabel === null ? {} : { [conditionLabel]: cond };
      // The theory starts from w₀ = 0 (collins-head-init varies it).
      if (conditionLabel === "w0" && cond !== 0) continue;
      const rate = predictedRateOf({ ...params, ...at });
      if (rate === null) continue;
      for (const method of META_METHODS) {
        const curves = curvesWith(seeds, { ...at, method }, "dist");
        if (curves.length === 0) continue;
        const rates = curves.map((c) => c.metrics.rate ?? fitLinearRate(c.y, RATE_WINDOW.lo, RATE_WINDOW.hi));
        const measured = finiteMedian(rates);
        const where =
          conditionLabel === null
            ? ""
            : ` at ${conditionLabel === "mu" ? "µ" : conditionLabel}=${String(cond)}`;
        rows.push({
          quantity: `${method} contraction 1 − rate${where}`,
          measured: measured === null ? null : 1 - measured,
          theory: 1 - rate,
          note: `1 − median over ${rates.filter((r) => r !== null).length} seeds of exp(slope) of log dist in (${RATE_WINDOW.lo}, ${RATE_WINDOW.hi}); theory αβµ² (rate 1 − αβµ²)`,
        });
      }
    }
    return rows;
  };
}

/**
 * The oracle's excess risk (B̂ = B*, head by least squares on n2 rows) against σ²k/(n2 − k − 1)
 * [derived], at the last point of each sweep (`sweep` label; n2 is the swept value in the n2 sweep).
 */
function oracleRows(params: Record<string, unknown>, seeds: readonly RunResult[]): TheoryRow[] {
  const curves = curvesWith(seeds, { method: "oracle" }, "excess risk");
  const sweeps = distinct(curves, "sweep");
  return sweeps.flatMap((sweep) => {
    const mine = curves.filter((c) => c.labels.sweep === sweep);
    const n2 = sweep === "n2" ? Math.max(...mine.flatMap((c) => c.x)) : num(params, "n2");
    const theory = oracleLevel(num(params, "sigma"), num(params, "k"), n2);
    if (theory === null) return [];
    const { median, count } = metricMedian(
      seeds,
      sweep === undefined ? { method: "oracle" } : { method: "oracle", sweep },
      "final",
      "excess risk",
    );
    return [
      {
        quantity: `oracle excess risk at n2=${n2}${sweep === undefined ? "" : ` (sweep ${String(sweep)})`}`,
        measured: median,
        theory,
        note: `median over ${count} seeds of the oracle's excess risk at the sweep's last point; theory σ²k/(n2−k−1) (inverse Wishart mean)`,
      },
    ];
  });
}

/**
 * Log-log slopes of a quantity against a swept variable (curve metric `slope`) per method,
 * against the theory's exponent.
 */
function slopeRows(
  seeds: readonly RunResult[],
  yName: string,
  groupBy: string,
  theory: (value: LabelValue) => number | null,
  what: (value: LabelValue) => string,
  methods?: (m: string) => boolean,
): TheoryRow[] {
  const curves = seeds.flatMap((r) =>
    r.curves.filter((c) => c.yName === yName && typeof c.labels.method === "string"),
  );
  const rows: TheoryRow[] = [];
  for (const value of distinct(curves, groupBy)) {
    const t = theory(value);
    if (t === null) continue;
    for (const method of distinct(curves, "method") as string[]) {
      if (methods && !methods(method)) continue;
      const { median, count } = metricMedian(seeds, { method, [groupBy]: value }, "slope", yName);
      if (count === 0) continue;
      rows.push({
        quantity: `${method} log-log slope of ${yName} vs ${what(value)}`,
        measured: median,
        theory: t,
        note: `median over ${count} seeds of the least-squares slope of log ${yName} vs log ${what(value)}`,
      });
    }
  }
  return rows;
}

/** Measured vs theory per experiment id (until each experiment carries its own `compare`). */
export const theoryRows: Readonly<Record<string, TheoryRowsFn>> = {
  "collins-convergence": collinsContraction(null),
  "collins-diversity": collinsContraction("mu"),
  "collins-head-init": collinsContraction("w0"),
  /**
   * Du et al.: the representation term dk/(n1T) of the excess over the oracle has slope −1 in T
   * and in n1 for the learned estimators; the oracle sits at σ²k/(n2−k−1).
   */
  "du-excess-risk": (params, seeds) => [
    ...slopeRows(
      seeds,
      "excess over oracle",
      "sweep",
      (s) => (s === "T" || s === "n1" ? -1 : null),
      (s) => String(s),
      (m) => m !== "oracle" && m !== "ols",
    ),
    ...oracleRows(params, seeds),
  ],
  /** The oracle's level does not depend on the source heads' diversity. */
  "du-diversity": oracleRows,
  /** Tripuraneni et al.: sin θ of MoM falls like √(dk/(n1T)), slope −1/2 in T, per n1. */
  "tripuraneni-mom": (_params, seeds) =>
    slopeRows(
      seeds,
      "sin θ",
      "n1",
      () => -0.5,
      (n1) => `T (n1=${String(n1)})`,
      (m) => m === "mom",
    ),
  /** Kong et al.: the thresholds' log-log slopes against the laws' exponents (theory/kong.ts). */
  "kong-scaling": (_params, seeds) =>
    slopeRows(
      seeds,
      "threshold",
      "law",
      (law) => KONG_LAW_SLOPES[law as KongLaw] ?? null,
      (law) => (String(law).endsWith("-d") ? "d" : "k"),
    ),
  /**
   * Kong et al. (robust PCA): the variance each method's k directions capture at the largest
   * corruption fraction, against the population optimum 1 + excess (the top direction of Σ).
   */
  "kong-robust-pca": (params, seeds) => {
    const curves = seeds.flatMap((r) => r.curves.filter((c) => c.yName === CAPTURED_Y));
    return (distinct(curves, "method") as string[]).map((method) => {
      const { median, count } = metricMedian(seeds, { method }, "final", CAPTURED_Y);
      return {
        quantity: `${method}: ${CAPTURED_Y} at the largest α`,
        measured: median,
        theory: 1 + num(params, "excess"),
        note: `median over ${count} seeds; theory: the population optimum 1 + excess (top-k eigenvalues of Σ)`,
      };
    });
  },
};
