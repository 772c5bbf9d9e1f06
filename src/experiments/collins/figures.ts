import { predictedRate, predictedRateOf } from "../../theory/collinsRate.js";
import { type FigureSpec, paramNumber, type SeriesFigureSpec } from "../figureSpec.js";

/**
 * Figures of the Collins et al. (ICML 2022) experiments: dist(B_t, B*) per iteration (median and
 * band per method, one panel per condition, divergences marked) with the derived population rate
 * 1 − αβµ² as a line, and the fitted rate against µ.
 */

/** Axis title for the principal-angle distance (SPEC §1.1): always say it is not squared. */
export const DIST_AXIS_TITLE = "dist = sin θₘₐₓ (unsquared)";
export const THEORY_TRACE_LABEL = "theory rate 1 − αβµ² per iteration";
export const THEORY_RATE_LABEL = "theory 1 − αβµ²";
/** Where the rate line meets the measured curve: well inside the asymptotic regime. */
export const THEORY_ANCHOR = 1e-3;

const PARAMS = ["d", "k", "n", "alpha", "beta"] as const;
const COLOUR = { title: "method", registry: "methods", names: true } as const;

/**
 * dist vs iteration on a log axis, with the rate line `1 − αβµ²` (SPEC §1.2 [derived], population
 * loss) through the first method's median where it first reaches 1e-3; µ from the panel's label or
 * the params. The line is left out where `predictedRateOf` derives no rate: finite samples (m_in or
 * m_out finite), other head laws, heads with a non-zero mean.
 */
export const traceFigure: SeriesFigureSpec = {
  name: "dist",
  select: { yName: "dist" },
  x: { title: "iteration" },
  y: { title: DIST_AXIS_TITLE, log: true, floor: "clamp", max: 1 },
  panel: { by: "condition" },
  colour: COLOUR,
  divergence: true,
  overlays: [
    {
      kind: "geometric",
      label: THEORY_TRACE_LABEL,
      rate: (params, panel) => predictedRateOf({ ...params, ...panel }),
      anchor: THEORY_ANCHOR,
    },
  ],
  subtitle: { params: PARAMS },
};

/**
 * The fitted linear rate distₜ₊₁/distₜ against µ (each seed faint, the median solid, methods
 * shifted sideways), with 1 − αβµ² drawn over a fine µ grid. Curves with other condition labels
 * besides µ get one panel per such condition.
 */
export const rateFigure: SeriesFigureSpec = {
  name: "rate",
  select: { yName: "dist" },
  stat: { kind: "metric", metric: "rate", what: "fitted rate", x: "mu", shift: true },
  x: { title: "µ (task diversity)" },
  y: { title: "fitted rate distₜ₊₁ / distₜ per iteration" },
  panel: { by: "condition", except: ["mu"] },
  colour: COLOUR,
  overlays: [
    {
      kind: "line",
      label: THEORY_RATE_LABEL,
      grid: "fine",
      f: ({ params, x }) => predictedRate(paramNumber(params, "alpha"), paramNumber(params, "beta"), x),
    },
  ],
  subtitle: { params: PARAMS },
  width: 320,
  height: 220,
};

/** The figures of each Collins et al. experiment, by experiment id. */
export const collinsFigures: Record<string, readonly FigureSpec[]> = {
  "collins-convergence": [
    {
      ...traceFigure,
      mirrors:
        "Collins et al. (ICML 2022), Figure 1: dist per iteration of the four meta-methods and average-loss GD",
    },
  ],
  "collins-diversity": [
    rateFigure,
    {
      ...traceFigure,
      title: "dist per iteration at each µ: less diverse tasks (smaller µ) contract more slowly",
    },
  ],
  "collins-finite-samples": [traceFigure],
  "collins-head-init": [traceFigure],
};
