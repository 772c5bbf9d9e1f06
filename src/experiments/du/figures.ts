import { duBound, duRepresentationTerm, olsLevel, oracleLevel } from "../../theory/duBound.js";
import {
  ESTIMATOR_COLOUR,
  type FigureSpec,
  paramNumber,
  type SeriesFigureSpec,
  type TheoryPoint,
} from "../figureSpec.js";
import type { Labels } from "../types.js";
import { factorOf } from "./covarianceFactor.js";

/**
 * Figures of the few-shot experiments (Du et al., ICLR 2021; Tripuraneni et al., ICML 2021):
 * log-log plots of the median over seeds per estimator of B̂ with a band, the theory overlaid as
 * C·(terms) with C fitted to the data (the legend and subtitle say so), reference levels, and the
 * fitted log-log slopes in the subtitle.
 */

const ER_TITLE = "excess risk ‖B̂ŵ − B*w*‖²";
/** The method a theory constant is fitted to: AltMin, else BM, else the first learned method. */
const FIT_TO = ["altmin", "bm", "altmin-gd", "mom", "fo-anil", "anil"] as const;

/** One panel per swept variable of `du-excess-risk` (curve label `sweep`), each with its own x. */
const SWEEP_PANELS = {
  by: "label",
  label: "sweep",
  title: "vs {value}",
  titles: { T: "vs T", n1: "vs n₁", n2: "vs n₂" },
  xTitles: { T: "source tasks T", n1: "rows per source task n₁", n2: "rows per target task n₂" },
} as const;

/** The setting at one point of a sweep: the params, with the panel's swept variable set to x. */
function setting({ params, panel, x }: TheoryPoint): {
  d: number;
  k: number;
  T: number;
  n1: number;
  n2: number;
} {
  const base = {
    d: paramNumber(params, "d"),
    k: paramNumber(params, "k"),
    T: paramNumber(params, "T"),
    n1: paramNumber(params, "n1"),
    n2: paramNumber(params, "n2"),
  };
  const swept = (panel as Labels).sweep;
  return typeof swept === "string" ? { ...base, [swept]: x } : base;
}

const oracle = (at: TheoryPoint) => {
  const s = setting(at);
  return oracleLevel(paramNumber(at.params, "sigma"), s.k, s.n2);
};

/**
 * `du-excess-risk`: excess risk vs T, n1 and n2, with C·(dk/(n1T) + k/n2) (C fitted to AltMin's
 * medians), the derived oracle level σ²k/(n2−k−1) and the OLS level σ²d/(n2−d−1).
 */
export const excessRiskFigure: SeriesFigureSpec = {
  name: "excess-risk",
  select: { yName: "excess risk" },
  stat: { kind: "band", points: true },
  x: { log: true },
  y: { title: ER_TITLE, log: true, floor: "drop" },
  panel: SWEEP_PANELS,
  colour: ESTIMATOR_COLOUR,
  overlays: [
    {
      kind: "fitted",
      label: "C·(dk/(n₁T) + k/n₂), C fitted to {method}",
      constant: "bound dk/(n₁T) + k/n₂",
      f: (at) => duBound(setting(at)),
      fitTo: FIT_TO,
    },
    { kind: "line", label: "oracle level σ²k/(n₂−k−1)", f: oracle },
    {
      kind: "line",
      label: "OLS level σ²d/(n₂−d−1)",
      f: (at) => {
        const s = setting(at);
        return olsLevel(paramNumber(at.params, "sigma"), s.d, s.n2);
      },
    },
  ],
  slopes: true,
  subtitle: { params: ["d", "k", "T", "n1", "n2", "sigma"] },
};

/**
 * `du-excess-risk`: ER − ER(oracle), paired on the same target tasks, vs T, n1 and n2, with
 * C·dk/(n1T) (C fitted to AltMin) — the representation term of Du et al.'s rate.
 */
export const excessOverOracleFigure: SeriesFigureSpec = {
  name: "excess-over-oracle",
  title: "The representation term: the excess over the oracle falls like dk/(n₁T)",
  select: { yName: "excess over oracle", exceptMethods: ["ols"] },
  stat: { kind: "band", points: true },
  x: { log: true },
  y: { title: "ER − ER(oracle)", log: true, floor: "drop" },
  panel: SWEEP_PANELS,
  colour: ESTIMATOR_COLOUR,
  overlays: [
    {
      kind: "fitted",
      label: "C·dk/(n₁T), C fitted to {method}",
      constant: "representation term dk/(n₁T)",
      f: (at) => {
        const s = setting(at);
        return duRepresentationTerm(s.d, s.k, s.n1, s.T);
      },
      fitTo: FIT_TO,
    },
  ],
  slopes: true,
  subtitle: {
    params: ["d", "k", "T", "n1", "n2", "sigma"],
    note: "ER − ER(oracle) on the same target tasks",
  },
};

/** `du-diversity`: excess risk vs the condition number κ of the source heads W*, per estimator. */
export const diversityFigure: SeriesFigureSpec = {
  name: "diversity",
  select: { yName: "excess risk" },
  stat: { kind: "band", points: true },
  x: { title: "condition number κ(W*) of the source heads", log: true },
  y: { title: ER_TITLE, log: true, floor: "drop" },
  colour: ESTIMATOR_COLOUR,
  overlays: [{ kind: "line", label: "oracle level σ²k/(n₂−k−1)", f: oracle }],
  slopes: true,
  subtitle: { params: ["d", "k", "T", "n1", "n2"] },
};

/**
 * `tripuraneni-mom`: sin θ = dist(B̂, B*) (unsquared) vs T, one panel per n1, with a slope −1/2
 * guide C/√T fitted to MoM's medians (a guide with a fitted constant, not a bound).
 */
export const sinThetaFigure: SeriesFigureSpec = {
  name: "sin-theta",
  select: { yName: "sin θ" },
  stat: { kind: "band", points: true },
  x: { title: "source tasks T", log: true },
  y: { title: "sin θ(B̂, B*) (unsquared)", log: true, floor: "drop", max: 1 },
  panel: { by: "label", label: "n1", title: "n₁ = {value}" },
  colour: ESTIMATOR_COLOUR,
  overlays: [
    {
      kind: "fitted",
      label: "C/√T (slope −1/2), C fitted to {method}",
      f: ({ x }) => 1 / Math.sqrt(x),
      fitTo: ["mom"],
    },
  ],
  slopes: true,
  subtitle: { params: ["d", "k"] },
};

/** The figures of each few-shot experiment, by experiment id. */

/** The lean of `du-covariance` whose c is x (c is the figure's x; each lean has its own c). */
function covarianceFactorAt({ params, x }: TheoryPoint): ReturnType<typeof factorOf> | null {
  const p = {
    d: paramNumber(params, "d"),
    k: paramNumber(params, "k"),
    n1: paramNumber(params, "n1"),
    T: paramNumber(params, "T"),
    src_ratio: paramNumber(params, "src_ratio"),
  };
  const leans = (params.leans as number[] | undefined) ?? [];
  for (const lean of leans) {
    const f = factorOf(p, lean);
    if (Math.abs(f.c - x) <= 1e-12 * Math.max(1, x)) return f;
  }
  return null;
}

/**
 * `du-covariance`: ER − ER(oracle) against Du et al.'s covariance-dominance factor c, with the
 * c-corrected term C·dk/(c·n1T) and the average-factor term C·dk/(c̄·n1T), c̄ = d/tr(Σ_src⁻¹Σ_tgt),
 * each with C fitted to AltMin: which of 1/c (the bound's worst case) and 1/c̄ the measurement
 * follows is what the figure shows.
 */
export const covarianceFigure: SeriesFigureSpec = {
  name: "excess-vs-c",
  select: { yName: "excess over oracle", exceptMethods: ["ols"] },
  stat: { kind: "band", points: true },
  x: { title: "covariance dominance c (largest c with c·Σₜ ⪯ Σₛ)", log: true },
  y: { title: "ER − ER(oracle)", log: true, floor: "drop" },
  colour: ESTIMATOR_COLOUR,
  overlays: [
    {
      kind: "fitted",
      label: "C·dk/(c·n₁T) (Du et al., c-corrected), C fitted to {method}",
      constant: "c-corrected term",
      f: (at) => covarianceFactorAt(at)?.term ?? null,
      fitTo: FIT_TO,
    },
    {
      kind: "fitted",
      label: "C·dk/(c̄·n₁T), c̄ = d/tr(Σₛ⁻¹Σₜ), C fitted to {method}",
      constant: "average-factor term",
      f: (at) => covarianceFactorAt(at)?.averageTerm ?? null,
      fitTo: FIT_TO,
    },
  ],
  slopes: true,
  subtitle: {
    params: ["d", "k", "T", "n1", "n2", "sigma", "src_ratio"],
    note: "ER − ER(oracle) on the same target tasks; the same source tasks at every c; Σₛ, Σₜ: source and target input covariances",
  },
};

export const duFigures: Record<string, readonly FigureSpec[]> = {
  "du-excess-risk": [excessRiskFigure, excessOverOracleFigure],
  "du-diversity": [diversityFigure],
  "tripuraneni-mom": [sinThetaFigure],
  "du-covariance": [covarianceFigure],
};
