import {
  type Claim,
  type ClaimSource,
  type CurveSelector,
  curveOf,
  customMeasure,
  loglogSlopeOf,
  type Measure,
  scalarOf,
  valueAt,
} from "../claims.js";

/**
 * What of Kong, Somani, Song, Kakade, Oh (ICML 2020) and of the robust sequel (NeurIPS 2020) the
 * `kong-*` experiments test. The heavy-task law (Ω̃(√k) examples per medium task) was read in
 * the ICML paper's abstract; the light-task law (light tasks)·(examples each) = Ω̃(dk²) and the stages' behaviour are as
 * SPEC §2 states them, their theorem numbers unverified.
 */
const KONG = "Kong et al., Meta-learning for Mixed Linear Regression, ICML 2020";
const ROBUST =
  "Kong et al., Robust Meta-learning for Mixed Linear Regression with Small Batches, NeurIPS 2020";
const ABSTRACT: ClaimSource = { paper: KONG, where: "Abstract", verified: true };
const LIGHT_LAW: ClaimSource = {
  paper: KONG,
  where: "main theorem: (light tasks)·(examples each) = Ω̃(dk²)",
  verified: false,
};
const SUBSPACE: ClaimSource = {
  paper: KONG,
  where: "subspace estimation step (Algorithm 1, step 1)",
  verified: false,
};
const CLUSTERING: ClaimSource = { paper: KONG, where: "clustering step on the heavy tasks", verified: false };
const CLASSIFICATION: ClaimSource = {
  paper: KONG,
  where: "classification step on the light tasks",
  verified: false,
};
const PREDICTION: ClaimSource = {
  paper: KONG,
  where: "prediction on a new task (posterior mean, MAP)",
  verified: false,
};
const SINE: ClaimSource = { paper: KONG, where: "experiments: mixture of sine waves", verified: false };
const DOUBLE_FILTERING: ClaimSource = {
  paper: ROBUST,
  where: "robust subspace estimation (double filtering)",
  verified: false,
};

const slopeScalar = (law: string, what: string): Measure =>
  scalarOf(`slope[${law}]`, `fitted log-log slope of the ${what} (law ${law})`);

/** y of the selected curve at x, divided by the oracle's y at x (same labels but the method). */
function ratioToOracle(method: string, x: number, yName: string, oracle = "oracle"): Measure {
  return customMeasure(`${method}'s ${yName} at ${x} over the ${oracle}'s`, (seed) => {
    const a = valueAt({ yName, labels: { method } }, x).of(seed, {});
    const b = valueAt({ yName, labels: { method: oracle } }, x).of(seed, {});
    return a === null || b === null || b === 0 ? null : a / b;
  });
}

/** 1 when the selected curve's y at x is at least `level`, else 0. */
function atLeastAt(sel: CurveSelector, x: number, level: number, describe: string): Measure {
  return customMeasure(describe, (seed) => {
    const c = curveOf(seed, sel);
    if (!c) return null;
    const i = c.x.indexOf(x);
    return i < 0 ? null : c.y[i] >= level ? 1 : 0;
  });
}

export const kongSubspaceClaims: readonly Claim[] = [
  {
    id: "error-falls-with-tasks",
    statement:
      "The moment estimator's subspace error falls like 1/√(n·t) in the number of light tasks n at fixed examples per task t.",
    source: SUBSPACE,
    test: {
      kind: "slope",
      measure: customMeasure(
        "log-log slope of the subspace error against the number of tasks (t fixed)",
        (seed, params) => {
          const c = seed.curves.find(
            (x) => x.yName === "subspace error" && String(x.labels.sweep).startsWith("t ="),
          );
          return c ? loglogSlopeOf({ yName: c.yName, labels: c.labels }).of(seed, params) : null;
        },
      ),
      interval: [-0.625, -0.375],
    },
  },
];

export const kongScalingClaims: readonly Claim[] = [
  {
    id: "light-tasks-d",
    statement: "The light tasks needed grow linearly in the dimension d (∝ d at fixed k).",
    source: LIGHT_LAW,
    test: {
      kind: "slope",
      measure: slopeScalar("light-d", "light tasks needed against d"),
      interval: [0.75, 1.25],
    },
  },
  {
    id: "light-tasks-k",
    statement: "The light tasks needed grow like k² in the number of components (at fixed d).",
    source: LIGHT_LAW,
    test: {
      kind: "slope",
      measure: slopeScalar("light-k", "light tasks needed against k"),
      interval: [1.5, 2.5],
    },
  },
  {
    id: "heavy-examples-sqrt-k",
    statement:
      "Medium (heavy) tasks need Ω̃(√k) examples each: the examples needed per heavy task grow like √k.",
    source: ABSTRACT,
    test: {
      kind: "slope",
      measure: slopeScalar("heavy-k", "examples per heavy task needed against k"),
      interval: [0.375, 0.625],
    },
  },
];

export const kongClusteringClaims: readonly Claim[] = [
  {
    id: "exact-with-enough-examples",
    statement:
      "With enough examples per heavy task (2 × 64, L = 1), the distance-based clustering (average linkage) recovers the components exactly.",
    source: CLUSTERING,
    test: {
      kind: "event",
      measure: atLeastAt(
        { yName: "clustering accuracy", labels: { method: "average linkage", L: 1 } },
        64,
        0.999,
        "average linkage's clustering accuracy at t₂ = 64 (L = 1) is 1",
      ),
      happens: true,
    },
  },
];

export const kongClassificationClaims: readonly Claim[] = [
  {
    id: "light-tasks-classified",
    statement:
      "Light tasks with a few examples each (t = 16) are assigned to their component with accuracy ≥ 0.95.",
    source: CLASSIFICATION,
    test: {
      kind: "event",
      measure: atLeastAt(
        { yName: "classification accuracy", labels: { method: "likelihood" } },
        16,
        0.95,
        "the likelihood classifier's accuracy at t₃ = 16 is ≥ 0.95",
      ),
      happens: true,
    },
  },
];

export const kongPredictionClaims: readonly Claim[] = [
  {
    id: "posterior-beats-least-squares",
    statement:
      "With few examples of a new task (τ = 4 < d), the posterior-mean predictor beats per-task least squares.",
    source: PREDICTION,
    test: {
      kind: "paired order",
      below: valueAt(
        { yName: "test MSE", labels: { method: "posterior mean" } },
        4,
        "posterior mean's test MSE at τ = 4",
      ),
      above: valueAt(
        { yName: "test MSE", labels: { method: "per-task least squares" } },
        4,
        "per-task least squares' test MSE at τ = 4",
      ),
    },
  },
  {
    id: "posterior-reaches-oracle",
    statement:
      "By τ = 32 examples the posterior mean predicts as well as the oracle that knows the mixture (within 5 %).",
    source: PREDICTION,
    test: {
      kind: "value",
      measure: ratioToOracle("posterior mean", 32, "test MSE"),
      expected: 1,
      tolerance: { rel: 0.05 },
    },
  },
];

export const kongSineClaims: readonly Claim[] = [
  {
    id: "posterior-beats-least-squares",
    statement: "On the sine-wave mixture, the posterior mean beats per-task least squares at τ = 8 examples.",
    source: SINE,
    test: {
      kind: "paired order",
      below: valueAt(
        { yName: "test MSE", labels: { method: "posterior mean" } },
        8,
        "posterior mean's test MSE at τ = 8",
      ),
      above: valueAt(
        { yName: "test MSE", labels: { method: "per-task least squares" } },
        8,
        "per-task least squares' test MSE at τ = 8",
      ),
    },
  },
  {
    id: "posterior-reaches-oracle",
    statement: "By τ = 16 the posterior mean reaches the oracle's error on the sine mixture (within 10 %).",
    source: SINE,
    test: {
      kind: "value",
      measure: ratioToOracle("posterior mean", 16, "test MSE"),
      expected: 1,
      tolerance: { rel: 0.1 },
    },
  },
];

export const kongProjectionClaims: readonly Claim[] = [
  {
    id: "k-clusters",
    statement: "Heavy tasks projected on the estimated subspace Û form k clusters, one per component.",
    source: CLUSTERING,
    test: {
      kind: "event",
      measure: customMeasure(
        "the clustering of the projected heavy tasks finds k clusters",
        (seed, params) => {
          const found = seed.scalars.clusters_found;
          return typeof found === "number" ? (found === params.k ? 1 : 0) : null;
        },
      ),
      happens: true,
    },
  },
];

const CAPTURED = "captured variance Tr(ÛᵀΣÛ)";
export const kongRobustPcaClaims: readonly Claim[] = [
  {
    id: "double-filtering-near-oracle",
    statement:
      "Double filtering captures the variance of clean PCA (within 2 %) at the largest corruption fraction α, where naive PCA is led astray.",
    source: DOUBLE_FILTERING,
    test: {
      kind: "value",
      measure: customMeasure(`double filtering's ${CAPTURED} over clean PCA's at the largest α`, (seed) => {
        const a = curveOf(seed, { yName: CAPTURED, labels: { method: "double filtering" } });
        const b = curveOf(seed, { yName: CAPTURED, labels: { method: "oracle (clean PCA)" } });
        return a && b ? a.metrics.final! / b.metrics.final! : null;
      }),
      expected: 1,
      tolerance: { rel: 0.02 },
    },
  },
  {
    id: "beats-naive",
    statement: "Double filtering captures more variance than naive PCA at the largest α.",
    source: DOUBLE_FILTERING,
    test: {
      kind: "paired order",
      below: customMeasure(
        `naive PCA's ${CAPTURED} at the largest α`,
        (seed) => curveOf(seed, { yName: CAPTURED, labels: { method: "naive PCA" } })?.metrics.final ?? null,
      ),
      above: customMeasure(
        `double filtering's ${CAPTURED} at the largest α`,
        (seed) =>
          curveOf(seed, { yName: CAPTURED, labels: { method: "double filtering" } })?.metrics.final ?? null,
      ),
    },
  },
];
