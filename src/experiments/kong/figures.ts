import type { ColourSpec, FigureSpec, SeriesFigureSpec } from "../figureSpec.js";
import {
  CAPTURED_Y,
  CLASSIFICATION_Y,
  CLUSTERING_Y,
  CORRUPTED_Y,
  MSE_Y,
  SUBSPACE_Y,
  THRESHOLD_Y,
  X_PER_TASK,
  X_TASKS,
} from "./quantities.js";

/**
 * Figures of the Kong et al. (ICML 2020) experiments (SPEC §2): per method the median over seeds
 * of one quantity against the swept variable, with a 10–90 % band, one panel per condition (the
 * other labels); the projection scatter is its own figure kind (`report/kongProjectionFigure.ts`).
 */

const PARAMS = ["d", "k", "components", "n", "n1", "n2", "n3"] as const;

/**
 * One colour and name per Kong et al. method in every figure (their methods are labels of the
 * experiments, not registry entries): the baselines grey, least squares green wherever it is.
 */
export const KONG_COLOUR: ColourSpec = {
  title: "method",
  fixed: [
    { id: "moments (|λ| order)", color: "#1f77b4" },
    { id: "moments (λ order)", color: "#9467bd" },
    { id: "average linkage", color: "#1f77b4" },
    { id: "single linkage", color: "#d62728", prefix: true },
    { id: "likelihood", color: "#9467bd" },
    { id: "least squares", color: "#2ca02c" },
    { id: "posterior mean", color: "#1f77b4" },
    { id: "MAP", color: "#d62728" },
    { id: "per-task least squares", color: "#2ca02c" },
    { id: "oracle", color: "#555555" },
    { id: "double filtering", color: "#1f77b4" },
    { id: "HRPCA", color: "#ff7f0e" },
    { id: "naive PCA", color: "#8c564b" },
    { id: "oracle (clean PCA)", color: "#555555" },
    { id: "light tasks n_L vs d", name: "light tasks needed vs d", color: "#1f77b4" },
    { id: "light tasks n_L vs k", name: "light tasks needed vs k", color: "#d62728" },
    { id: "heavy-task size t_H vs k", name: "examples per heavy task needed vs k", color: "#2ca02c" },
  ],
};

/** A Kong figure of the curves with this y quantity (label `quantity` is not a panel). */
function kong(name: string, yName: string, extra: Partial<SeriesFigureSpec> = {}): SeriesFigureSpec {
  return {
    name,
    select: { yName },
    stat: { kind: "band", points: true },
    y: { log: false },
    panel: { by: "condition", except: ["quantity"] },
    independent: extra.y?.domain ? ["x"] : ["x", "y"],
    colour: KONG_COLOUR,
    subtitle: { params: PARAMS },
    width: 280,
    height: 200,
    columns: 3,
    ...extra,
  };
}

const ACCURACY = { log: false, domain: [0, 1] } as const;
const SUBSPACE = {
  title: "subspace error ‖(I − ÛÛᵀ)w‖/ρ, worst component",
  log: true,
  floor: "drop",
} as const;
const MSE = { title: "test MSE on new tasks", log: true, floor: "drop" } as const;

export const subspaceVsExamplesFigure = kong("subspace-vs-examples", SUBSPACE_Y, {
  title: "Subspace error vs examples per light task, at a fixed total of examples",
  select: { yName: SUBSPACE_Y, xName: X_PER_TASK },
  x: { title: "examples per light task t (n·t fixed)", log: true },
  y: SUBSPACE,
});
export const subspaceVsTasksFigure = kong("subspace-vs-tasks", SUBSPACE_Y, {
  title: "Subspace error vs the number of light tasks",
  select: { yName: SUBSPACE_Y, xName: X_TASKS },
  x: { title: "light tasks n", log: true },
  y: SUBSPACE,
});
export const clusteringFigure = kong("clustering", CLUSTERING_Y, {
  x: { log: true },
  y: { ...ACCURACY, title: "clustering accuracy (fraction of heavy tasks)" },
  subtitle: {
    params: PARAMS,
    note: "accuracy 0: the clusters found cannot be matched one-to-one to the components (e.g. fewer clusters than components)",
  },
});
export const classificationFigure = kong("classification", CLASSIFICATION_Y, {
  x: { log: true },
  y: { ...ACCURACY, title: "classification accuracy (fraction of light tasks)" },
});
export const testMseFigure = kong("test-mse", MSE_Y, { y: MSE });
export const sineTestMseFigure = kong("sine-test-mse", MSE_Y, { y: MSE });
export const capturedVarianceFigure = kong("captured-variance", CAPTURED_Y, {
  title: "Captured variance of the estimated subspace vs the corruption fraction α",
  y: { title: "captured variance Tr(ÛᵀΣÛ)", log: false },
});
export const remainingCorruptedFigure = kong("remaining-corrupted", CORRUPTED_Y, {
  title: "Corrupted points left after filtering vs the corruption fraction α",
  y: { title: "corrupted points left (count)", log: false },
});
/**
 * `kong-scaling`: the measured thresholds vs d or k on log-log axes, with each law's exponent
 * (n_L ∝ d, n_L ∝ k², t_H ∝ √k; `theory/kong.ts`) drawn as a power law through the medians.
 */
export const thresholdsFigure = kong("thresholds", THRESHOLD_Y, {
  x: { log: true },
  y: { title: "smallest size that succeeds (median threshold)", log: true, floor: "drop" },
  panel: {
    by: "label",
    label: "law",
    title: "{value}",
    titles: {
      "light-d": "light tasks needed vs d",
      "light-k": "light tasks needed vs k",
      "heavy-k": "examples per heavy task vs k",
    },
    xTitles: { "light-d": "dimension d", "light-k": "rank k", "heavy-k": "rank k" },
  },
  overlays: [{ kind: "slope", metric: "theorySlope", fitted: "slope" }],
});

/** The figures of each Kong et al. experiment, by experiment id. */
export const kongFigures: Record<string, readonly FigureSpec[]> = {
  "kong-subspace": [subspaceVsExamplesFigure, subspaceVsTasksFigure],
  "kong-clustering": [clusteringFigure],
  "kong-projection": [{ kind: "custom", name: "projection", builder: "kong-projection" }],
  "kong-classification": [classificationFigure],
  "kong-prediction": [testMseFigure],
  "kong-sine": [sineTestMseFigure],
  "kong-robust-pca": [capturedVarianceFigure, remainingCorruptedFigure],
  "kong-scaling": [thresholdsFigure],
};
