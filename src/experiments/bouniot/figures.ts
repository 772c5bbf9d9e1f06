import { ESTIMATOR_COLOUR, type FigureSpec, type SeriesFigureSpec } from "../figureSpec.js";

/**
 * Figures of `bouniot-regularisation` (Bouniot et al., ECCV 2022): the validation excess over the
 * λ grid with each seed's chosen λ marked; then, at that λ, the head penalty off and on (dashed):
 * ANIL's dist and κ(W′) per iteration and its final dist per seed (Collins et al.'s model), the
 * few-shot excess over the oracle and κ of the learned heads per seed (Du et al.'s two-stage setting).
 */
const PENALTY_DASH = {
  label: "penalty",
  title: "head penalty at the validated λ",
  domain: ["off", "on"],
} as const;
const BOUNIOT_PARAMS = ["d", "k"] as const;
const ON = "λ validated per seed";

/** Both parts: validation excess at every grid point (λ1, λ2), each seed's chosen λ marked. */
export const validationFigure: SeriesFigureSpec = {
  name: "validation-lambda",
  title: "Choosing λ on validation tasks: validation excess over the (λ1, λ2) grid",
  select: { yName: "validation excess over the oracle" },
  stat: { kind: "metric", metric: "λ=(*)", what: "grid point (λ1, λ2)" },
  x: { title: "(λ1, λ2)" },
  y: { title: "validation excess over the oracle", log: true, floor: "drop" },
  panel: { by: "condition", except: ["quantity"] },
  colour: {
    title: "validation",
    fixed: [
      { id: "all λ", color: "#4c78a8" },
      { id: "chosen λ", color: "#e45756" },
    ],
  },
  subtitle: {
    params: [...BOUNIOT_PARAMS, "validation", "n2"],
    note: "Choosing λ on fresh validation tasks: λ1 weighs κ(W̃)², λ2 ‖W̃W̃ᵀ‖_F, (0, 0) is no penalty; red: each seed's choice",
  },
  columns: 3,
};

/** Collins part: dist per iteration for each µ, without and with the penalty at the chosen λ. */
export const penaltyTraceFigure: SeriesFigureSpec = {
  name: "anil-dist",
  title: "ANIL's distance to B* per iteration, with and without the head penalty",
  select: { yName: "dist", xName: "iteration" },
  x: { title: "iteration" },
  y: { title: "dist = sin θₘₐₓ (unsquared)", log: true, floor: "clamp", max: 1 },
  panel: { by: "condition", except: ["penalty", "quantity", "part"] },
  colour: { title: "method", registry: "methods", names: true },
  dash: PENALTY_DASH,
  divergence: true,
  subtitle: {
    params: [...BOUNIOT_PARAMS, "n", "alpha", "beta"],
    note: `ANIL's dist per iteration in Collins et al.'s model; ${ON}`,
  },
};

/** Collins part: κ(W′) of the batch's adapted heads per iteration (MetaMTReg's diagnostic). */
export const penaltyDiagnosticsFigure: SeriesFigureSpec = {
  name: "anil-head-condition",
  title: "The penalty's target: κ(W′) of ANIL's adapted heads per iteration",
  select: { yName: "κ(W′)" },
  x: { title: "iteration" },
  y: { title: "κ(W′) of the adapted heads of the batch", log: true, floor: "clamp" },
  panel: { by: "condition", except: ["penalty", "quantity", "part"] },
  colour: { title: "method", registry: "methods", names: true },
  dash: PENALTY_DASH,
  subtitle: { params: [...BOUNIOT_PARAMS, "n"], note: `κ(W′) per iteration; ${ON}` },
};

/** "No effect": the paired figures' reference, penalised / plain = 1. */
const NO_EFFECT = { kind: "line", label: "no effect (ratio 1)", f: () => 1 } as const;
const PAIRED_NOTE = "below 1 it helped";

/** Collins part: ANIL's final dist, penalised / plain per seed, vs µ. */
export const pairedDistFigure: SeriesFigureSpec = {
  name: "anil-paired-dist",
  title: "ANIL's final distance to B*, with the penalty over without, per seed",
  select: { yName: "penalised / plain", xName: "µ" },
  stat: { kind: "metric", metric: "dist", what: "final dist, penalised / plain", x: "mu", line: true },
  x: { title: "head diversity µ (the head covariance's smallest eigenvalue is µ²)", log: true },
  // Linear: the ratios sit near 1, where a log axis's decades flatten them.
  y: { title: "final dist(B, B*): with / without" },
  colour: { title: "method", registry: "methods" },
  overlays: [NO_EFFECT],
  subtitle: {
    params: [...BOUNIOT_PARAMS, "n", "meta_iters"],
    note: `Paired seeds, Collins et al.'s model: ANIL's final dist with / without the penalty (${PAIRED_NOTE}); ${ON}`,
  },
};

/** Collins part: ANIL's few-shot excess on test tasks, penalised / plain per seed, vs µ. */
export const pairedCollinsExcessFigure: SeriesFigureSpec = {
  name: "anil-paired-excess",
  title: "ANIL's few-shot excess on new tasks, with the penalty over without, per seed",
  select: { yName: "penalised / plain", xName: "µ" },
  stat: { kind: "metric", metric: "excess", what: "test excess, penalised / plain", x: "mu", line: true },
  x: { title: "head diversity µ (the head covariance's smallest eigenvalue is µ²)", log: true },
  y: { title: "few-shot excess over the oracle: with / without" },
  colour: { title: "method", registry: "methods" },
  overlays: [NO_EFFECT],
  subtitle: {
    params: [...BOUNIOT_PARAMS, "n", "n2", "targets"],
    note: `Paired seeds, Collins et al.'s model: ANIL's few-shot excess on test tasks with / without the penalty (${PAIRED_NOTE}); ${ON}`,
  },
};

/** Du part: few-shot excess over the oracle, penalised / plain per seed, vs κ(W*). */
export const pairedExcessFigure: SeriesFigureSpec = {
  name: "erm-paired-excess",
  title: "Burer–Monteiro's few-shot excess over the oracle, with the penalty over without, per seed",
  select: { yName: "penalised / plain", xName: "κ(W*)" },
  stat: { kind: "metric", metric: "excess", what: "test excess, penalised / plain", x: "kappa", line: true },
  x: { title: "condition number κ(W*) of the source heads", log: true },
  // Linear: the ratios sit near 1, where a log axis's decades flatten them.
  y: { title: "excess over the oracle: with / without" },
  colour: ESTIMATOR_COLOUR,
  overlays: [NO_EFFECT],
  subtitle: {
    params: [...BOUNIOT_PARAMS, "T", "n1", "n2", "targets"],
    note: `Paired seeds, two-stage setting: test excess with / without the penalty (${PAIRED_NOTE}); ${ON}`,
  },
};

/** Du part: κ of the learned heads (Burer–Monteiro's V), penalised / plain per seed, vs κ(W*). */
export const pairedHeadsFigure: SeriesFigureSpec = {
  name: "erm-head-condition",
  title: "κ of Burer–Monteiro's learned heads, with the penalty over without, per seed",
  select: { yName: "penalised / plain", xName: "κ(W*)" },
  stat: {
    kind: "metric",
    metric: "kappa",
    what: "κ of the learned heads, penalised / plain",
    x: "kappa",
    line: true,
  },
  x: { title: "condition number κ(W*) of the source heads", log: true },
  // Linear: the ratios sit near 1, where a log axis's decades flatten them.
  y: { title: "κ of the learned heads: with / without" },
  colour: ESTIMATOR_COLOUR,
  overlays: [NO_EFFECT],
  subtitle: {
    params: [...BOUNIOT_PARAMS, "T", "n1"],
    note: `What the penalty acts on, paired seeds: κ of the learned heads with / without it; ${ON}`,
  },
};

export const bouniotFigures: readonly FigureSpec[] = [
  validationFigure,
  penaltyTraceFigure,
  penaltyDiagnosticsFigure,
  pairedDistFigure,
  pairedCollinsExcessFigure,
  pairedExcessFigure,
  pairedHeadsFigure,
];

const NETWORK_PARAMS = ["d", "k", "n", "m_in"] as const;
const NETWORK_ON = "two-layer ReLU network, penalty on the adapted heads, λ validated per seed";

/** `bouniot-network`: the figures of the linear part, read for the network (method: `method`). */
export const bouniotNetworkFigures: readonly FigureSpec[] = [
  {
    ...validationFigure,
    title: "Choosing λ on validation tasks: few-shot MSE after adaptation over the (λ1, λ2) grid",
    select: { yName: "validation MSE after adaptation" },
    y: { title: "validation MSE after adaptation", log: true, floor: "drop" },
    subtitle: {
      params: [...NETWORK_PARAMS, "validation"],
      note: "Choosing λ on fresh validation tasks: λ1 weighs κ(W̃)², λ2 ‖W̃W̃ᵀ‖_F, (0, 0) is no penalty; red: each seed's choice",
    },
  },
  {
    ...penaltyTraceFigure,
    title: "The network's distance to B* per iteration, with and without the head penalty",
    y: { title: "dist(col W₁, col B*) = sin θₘₐₓ", log: true, floor: "clamp", max: 1 },
    subtitle: { params: [...NETWORK_PARAMS, "alpha", "beta"], note: NETWORK_ON },
  },
  {
    ...pairedCollinsExcessFigure,
    name: "network-paired-mse",
    title: "Few-shot MSE on new tasks after adaptation, with the penalty over without, per seed",
    stat: { kind: "metric", metric: "mse", what: "test MSE, penalised / plain", x: "mu", line: true },
    y: { title: "test MSE: with / without" },
    subtitle: {
      params: [...NETWORK_PARAMS, "targets"],
      note: `Paired seeds: few-shot MSE on test tasks with / without the penalty (${PAIRED_NOTE}); ${NETWORK_ON}`,
    },
  },
  {
    ...pairedCollinsExcessFigure,
    name: "network-paired-condition",
    title: "κ of new tasks' adapted heads, with the penalty over without, per seed",
    stat: {
      kind: "metric",
      metric: "kappa",
      what: "κ(W′) of test tasks, penalised / plain",
      x: "mu",
      line: true,
    },
    y: { title: "κ(W′): with / without" },
    subtitle: {
      params: [...NETWORK_PARAMS, "targets"],
      note: `What the penalty acts on, paired seeds: κ of the test tasks' adapted heads with / without it; ${NETWORK_ON}`,
    },
  },
];
