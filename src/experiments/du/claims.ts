import { oracleLevel } from "../../theory/duBound.js";
import {
  type Claim,
  type ClaimSource,
  type CurveSelector,
  customMeasure,
  loglogSlopeOf,
  type Measure,
  metricOf,
  valueAt,
} from "../claims.js";
import type { RunResult } from "../types.js";

/**
 * What of Du, Hu, Kakade, Lee, Lei (ICLR 2021) and of Tripuraneni, Jin, Jordan (ICML 2021) the
 * few-shot experiments test. The bound Õ(dk/(n1T) + k/n2), its assumptions (task diversity,
 * n1 ≳ d) and the O(d/n2) rate without representation learning are as SPEC §1.3 states them;
 * the papers' theorem numbers were not read here, so sources name the result, unverified.
 */
const DU = "Du et al., Few-Shot Learning via Learning the Representation, Provably, ICLR 2021";
const DU_BOUND: ClaimSource = {
  paper: DU,
  where: "main result for low-dimensional linear representations: excess risk Õ(dk/(n1T) + k/n2)",
  verified: false,
};
const DU_DIVERSITY: ClaimSource = {
  paper: DU,
  where: "task-diversity assumption (σₖ(W*)² ≳ T/k)",
  verified: false,
};
const DU_SHIFT: ClaimSource = {
  paper: DU,
  where: "covariance-dominance assumption (c·Σ(target) ⪯ Σ(source))",
  verified: false,
};
const ORACLE_LEVEL: ClaimSource = {
  paper: DU,
  where:
    "the k/n2 term: least squares in the true k-dimensional representation (level σ²k/(n2−k−1) derived in SPEC §1.3)",
  verified: false,
};
const TRIPURANENI = "Tripuraneni et al., Provable Meta-Learning of Linear Representations, ICML 2021";
const MOM_RATE: ClaimSource = {
  paper: TRIPURANENI,
  where: "method-of-moments guarantee: sin θ(B̂, B*) ≲ √(dk/(n1T)) up to logs and head-dependent factors",
  verified: false,
};
const TRIP_SIMS: ClaimSource = {
  paper: TRIPURANENI,
  where: "simulations section (number unverified)",
  verified: false,
};

const NOT_LEARNED = new Set(["oracle", "ols"]);
const SLOPE_ONE = [-1.25, -0.75] as const;

/** The least steep log-log slope of the excess over the oracle against T among the learned estimators. */
function learnedSlopeAgainstT(): Measure {
  return customMeasure(
    "the least steep log-log slope of the excess over the oracle against T among the learned estimators run (all but oracle and OLS)",
    (seed: RunResult, params) => {
      const slopes = seed.curves
        .filter(
          (c) =>
            c.yName === "excess over oracle" &&
            c.labels.sweep === "T" &&
            typeof c.labels.method === "string" &&
            !NOT_LEARNED.has(c.labels.method),
        )
        .map((c) => loglogSlopeOf({ yName: c.yName, labels: c.labels }).of(seed, params));
      if (slopes.length === 0 || slopes.some((s) => s === null)) return null;
      return Math.max(...(slopes as number[]));
    },
  );
}

const excessOver = (method: string, sweep: string): CurveSelector => ({
  yName: "excess over oracle",
  labels: { method, sweep },
});

export const duExcessRiskClaims: readonly Claim[] = [
  {
    id: "learned-slope-t",
    statement:
      "Every learned representation's excess risk over the oracle falls like dk/(n1T): log-log slope −1 in the number of source tasks T.",
    source: DU_BOUND,
    test: { kind: "slope", measure: learnedSlopeAgainstT(), interval: SLOPE_ONE },
  },
  {
    id: "altmin-slope-n1",
    statement:
      "Where n1 ≳ d, AltMin's excess over the oracle falls like dk/(n1T): log-log slope −1 in the rows per source task n1.",
    source: DU_BOUND,
    test: {
      kind: "slope",
      measure: loglogSlopeOf(excessOver("altmin", "n1"), {
        describe: "log-log slope of AltMin's excess over the oracle against n1, over the points with n1 ≥ d",
        minX: (p) => p.d as number,
      }),
      interval: SLOPE_ONE,
    },
  },
  {
    id: "representation-beats-ols",
    statement:
      "A learned representation beats learning in ℝᵈ: AltMin's excess risk at the largest T is below plain least squares' (O(d/n2)).",
    source: DU_BOUND,
    test: {
      kind: "paired order",
      below: metricOf(
        { yName: "excess risk", labels: { method: "altmin", sweep: "T" } },
        "final",
        "AltMin's excess risk at the largest T",
      ),
      above: metricOf(
        { yName: "excess risk", labels: { method: "ols", sweep: "T" } },
        "final",
        "plain least squares' excess risk",
      ),
    },
  },
  {
    id: "oracle-level",
    statement: "With B̂ = B*, the excess risk is the k/n2 term: σ²k/(n2 − k − 1) at the base n2.",
    source: ORACLE_LEVEL,
    test: {
      kind: "value",
      measure: metricOf(
        { yName: "excess risk", labels: { method: "oracle", sweep: "T" } },
        "final",
        "the oracle's excess risk (sweep T, base n2)",
      ),
      expected: (p) => oracleLevel(p.sigma as number, p.k as number, p.n2 as number),
      tolerance: { rel: 0.1 },
    },
  },
];

export const duDiversityClaims: readonly Claim[] = [
  {
    id: "diversity-helps-mom",
    statement:
      "Task diversity matters: with ill-conditioned source heads (κ(W*) = 16) MoM's excess over the oracle is above its value with well-conditioned ones (κ = 1).",
    source: DU_DIVERSITY,
    test: {
      kind: "paired order",
      below: valueAt(
        { yName: "excess over oracle", labels: { method: "mom" } },
        1,
        "MoM's excess over the oracle at κ(W*) = 1",
      ),
      above: valueAt(
        { yName: "excess over oracle", labels: { method: "mom" } },
        16,
        "MoM's excess over the oracle at κ(W*) = 16",
      ),
    },
  },
  {
    id: "oracle-level",
    statement: "The oracle's excess risk does not depend on the source heads: σ²k/(n2 − k − 1).",
    source: ORACLE_LEVEL,
    test: {
      kind: "value",
      measure: valueAt(
        { yName: "excess risk", labels: { method: "oracle" } },
        16,
        "the oracle's excess risk at κ(W*) = 16",
      ),
      expected: (p) => oracleLevel(p.sigma as number, p.k as number, p.n2 as number),
      tolerance: { rel: 0.1 },
    },
  },
];

/** AltMin's excess over the oracle at the largest or smallest dominance factor c of the run. */
function altminExcessAtC(which: "largest" | "smallest", describe: string): Measure {
  return customMeasure(describe, (seed) => {
    const c = seed.curves.find((x) => x.yName === "excess over oracle" && x.labels.method === "altmin");
    if (!c || c.x.length === 0) return null;
    const at = which === "largest" ? Math.max(...c.x) : Math.min(...c.x);
    return c.y[c.x.indexOf(at)];
  });
}

export const duCovarianceClaims: readonly Claim[] = [
  {
    id: "shift-costs",
    statement:
      "Covariate shift between source and target costs accuracy: AltMin's excess over the oracle is larger at the smallest dominance factor c than at c = 1.",
    source: DU_SHIFT,
    test: {
      kind: "paired order",
      below: altminExcessAtC("largest", "AltMin's excess over the oracle at c = 1 (no shift)"),
      above: altminExcessAtC("smallest", "AltMin's excess over the oracle at the smallest c"),
    },
  },
  {
    id: "at-most-one-over-c",
    statement:
      "The bound's representation term dk/(c·n1T) is an upper bound: the excess over the oracle grows no faster than 1/c as c falls (log-log slope against c between −1.25 and 0).",
    source: DU_SHIFT,
    test: {
      kind: "slope",
      measure: loglogSlopeOf(
        { yName: "excess over oracle", labels: { method: "altmin" } },
        {
          describe: "log-log slope of AltMin's excess over the oracle against c",
        },
      ),
      interval: [-1.25, 0],
    },
  },
];

const sinTheta = (method: string, n1: number): CurveSelector => ({ yName: "sin θ", labels: { method, n1 } });

export const tripuraneniClaims: readonly Claim[] = [
  ...[25, 300].map((n1) => ({
    id: `mom-slope-n1-${n1}`,
    statement: `At n1 = ${n1}, MoM's sin θ falls like √(dk/(n1T)): log-log slope −1/2 in T where the bound is informative (sin θ < 1/2).`,
    source: MOM_RATE,
    test: {
      kind: "slope" as const,
      measure: loglogSlopeOf(sinTheta("mom", n1), {
        describe: `log-log slope of MoM's sin θ against T at n1 = ${n1}, over the points with sin θ ≤ 0.5`,
        maxY: 0.5,
      }),
      interval: [-0.625, -0.375] as const,
    },
  })),
  {
    id: "mom-slope-n1-5",
    statement:
      "At n1 = 5 (= k), MoM's sin θ still falls like 1/√T once it leaves its saturation (sin θ < 1/2).",
    source: MOM_RATE,
    test: {
      kind: "slope",
      measure: loglogSlopeOf(sinTheta("mom", 5), {
        describe: "log-log slope of MoM's sin θ against T at n1 = 5, over the points with sin θ ≤ 0.5",
        maxY: 0.5,
      }),
      interval: [-0.625, -0.375],
    },
  },
  {
    id: "bm-beats-mom",
    statement:
      "With several rows per task (n1 = 25 > k), the factored ERM (Burer–Monteiro) estimates the subspace better than MoM at the largest T.",
    source: TRIP_SIMS,
    test: {
      kind: "paired order",
      below: metricOf(sinTheta("bm", 25), "final", "Burer–Monteiro's sin θ at n1 = 25, largest T"),
      above: metricOf(sinTheta("mom", 25), "final", "MoM's sin θ at n1 = 25, largest T"),
    },
  },
];
