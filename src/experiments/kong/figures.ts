import type { FigureSpec, SeriesFigureSpec } from "../figureSpec.js";
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

/** A Kong figure of the curves with this y quantity (label `quantity` is not a panel). */
function kong(name: string, yName: string, extra: Partial<SeriesFigureSpec> = {}): SeriesFigureSpec {
  return {
    name,
    select: { yName },
    stat: { kind: "band", points: true },
    y: { log: false },
    panel: { by: "condition", except: ["quantity"] },
    independent: extra.y?.domain ? ["x"] : ["x", "y"],
    colour: { title: "method" },
    subtitle: { params: PARAMS },
    width: 280,
    height: 200,
    columns: 3,
    ...extra,
  };
}

const ACCURACY = { log: false, domain: [0, 1] } as const;
const LOG = { log: true, floor: "drop" } as const;

export const subspaceVsExamplesFigure = kong("subspace-vs-examples", SUBSPACE_Y, {
  select: { yName: SUBSPACE_Y, xName: X_PER_TASK },
  x: { log: true },
  y: LOG,
});
export const subspaceVsTasksFigure = kong("subspace-vs-tasks", SUBSPACE_Y, {
  select: { yName: SUBSPACE_Y, xName: X_TASKS },
  x: { log: true },
  y: LOG,
});
export const clusteringFigure = kong("clustering", CLUSTERING_Y, { x: { log: true }, y: ACCURACY });
export const classificationFigure = kong("classification", CLASSIFICATION_Y, {
  x: { log: true },
  y: ACCURACY,
});
export const testMseFigure = kong("test-mse", MSE_Y, { y: LOG });
export const sineTestMseFigure = kong("sine-test-mse", MSE_Y, { y: LOG });
export const capturedVarianceFigure = kong("captured-variance", CAPTURED_Y);
export const remainingCorruptedFigure = kong("remaining-corrupted", CORRUPTED_Y);
/**
 * `kong-scaling`: the measured thresholds vs d or k on log-log axes, with each law's exponent
 * (n_L ∝ d, n_L ∝ k², t_H ∝ √k; `theory/kong.ts`) drawn as a power law through the medians.
 */
export const thresholdsFigure = kong("thresholds", THRESHOLD_Y, {
  x: { log: true },
  y: LOG,
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
