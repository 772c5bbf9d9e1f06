import { ESTIMATOR_COLOUR, type FigureSpec, type SeriesFigureSpec } from "../figureSpec.js";

/**
 * Figures of `bouniot-regularisation` (Bouniot et al., ECCV 2022): the head penalty off and on
 * (dashed), in Collins et al.'s model (ANIL's dist and κ(W′) per iteration) and in Du et al.'s
 * two-stage setting (excess over the oracle and κ of the learned heads against κ(W*)).
 */
const PENALTY_DASH = {
  label: "penalty",
  title: "head penalty λ₁κ(W)² + λ₂‖WWᵀ‖ (Frobenius)",
  domain: ["off", "on"],
} as const;
const BOUNIOT_PARAMS = ["lambda_cond", "lambda_norm", "d", "k"] as const;

/** `bouniot-regularisation`, Collins part: dist per iteration for each µ, without/with the penalty. */
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
  subtitle: { params: [...BOUNIOT_PARAMS, "n", "alpha", "beta"], note: "ANIL in Collins et al.'s model" },
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
  subtitle: { params: [...BOUNIOT_PARAMS, "n"] },
};

/** Du part: few-shot excess over the oracle vs κ(W*), ANIL and Burer–Monteiro without/with. */
export const penaltyExcessFigure: SeriesFigureSpec = {
  name: "erm-excess",
  title: "Few-shot excess over the oracle vs task diversity κ(W*), with and without the penalty",
  select: { yName: "excess over oracle", xName: "κ(W*)" },
  stat: { kind: "band", points: true },
  x: { title: "condition number κ(W*) of the source heads", log: true },
  y: { title: "ER − ER(oracle)", log: true, floor: "drop" },
  colour: ESTIMATOR_COLOUR,
  dash: PENALTY_DASH,
  subtitle: {
    params: [...BOUNIOT_PARAMS, "T", "n1", "n2"],
    note: "same source data and targets with and without",
  },
};

/** Du part: κ of Burer–Monteiro's learned heads V (what the penalty acts on) vs κ(W*). */
export const penaltyHeadsFigure: SeriesFigureSpec = {
  name: "erm-head-condition",
  title: "κ(V) of Burer–Monteiro's learned heads vs κ(W*), with and without the penalty",
  select: { yName: "κ(V) of the learned heads" },
  stat: { kind: "band", points: true },
  x: { title: "condition number κ(W*) of the source heads", log: true },
  y: { title: "κ(V) of Burer–Monteiro's heads", log: true, floor: "drop" },
  colour: ESTIMATOR_COLOUR,
  dash: PENALTY_DASH,
  subtitle: { params: [...BOUNIOT_PARAMS, "T", "n1"] },
};

export const bouniotFigures: readonly FigureSpec[] = [
  penaltyTraceFigure,
  penaltyDiagnosticsFigure,
  penaltyExcessFigure,
  penaltyHeadsFigure,
];
