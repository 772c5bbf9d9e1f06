import { fitLinearRate } from "../../metrics/trace.js";
import { predictedRateOf } from "../../theory/collinsRate.js";
import {
  type Claim,
  type ClaimSource,
  customMeasure,
  divergedOf,
  type Measure,
  metricOf,
  reachesBelow,
  thresholdText,
} from "../claims.js";
import type { LabelValue } from "../types.js";

/**
 * What of Collins, Mokhtari, Oh, Shakkottai (ICML 2022) the four `collins-*` experiments test.
 * Figure 1's finding was read in the paper's text (verified); the local rate 1 − αβµ² is derived
 * in SPEC §1.2 from the paper's updates, and the paper's theorem numbers were not read here.
 */
const PAPER = "Collins et al., MAML and ANIL Provably Learn Representations, ICML 2022";
const FIGURE_1: ClaimSource = { paper: PAPER, where: "Figure 1", verified: true };
const RATE_SOURCE: ClaimSource = {
  paper: PAPER,
  where:
    "main results: linear convergence of ANIL and MAML in the population case (rate constant derived in SPEC §1.2)",
  verified: false,
};
const FINITE_SOURCE: ClaimSource = {
  paper: PAPER,
  where: "finite-sample analysis of FO-ANIL and ANIL (section title unverified)",
  verified: false,
};
const INIT_SOURCE: ClaimSource = {
  paper: PAPER,
  where: "discussion of the initialisation w₀ = 0 required by the analysis (unverified)",
  verified: false,
};

export const META_METHODS = ["anil", "fo-anil", "maml", "fo-maml"] as const;
/** Rate-fit window of dist: the asymptotic regime, above the float64 floor (as `collins-diversity`). */
const RATE_WINDOW = { lo: 1e-12, hi: 1e-2 } as const;

/** 1 − (fitted rate of dist) near convergence for one method (and condition), per seed. */
function contraction(method: string, at: Record<string, LabelValue> = {}): Measure {
  const where = Object.entries(at)
    .map(([k, v]) => ` at ${k === "mu" ? "µ" : k === "w0" ? "‖w₀‖" : k} = ${String(v)}`)
    .join("");
  return customMeasure(
    `${method}'s contraction 1 − dist(t+1)/dist(t), fitted where ${thresholdText(RATE_WINDOW.lo)} < dist < ${thresholdText(RATE_WINDOW.hi)}${where}`,
    (seed) => {
      const c = seed.curves.find(
        (x) =>
          x.yName === "dist" &&
          x.labels.method === method &&
          Object.entries(at).every(([k, v]) => x.labels[k] === v),
      );
      if (!c) return null;
      const rate = c.metrics.rate ?? fitLinearRate(c.y, RATE_WINDOW.lo, RATE_WINDOW.hi);
      return rate === null ? null : 1 - rate;
    },
  );
}

/** The theory's contraction αβµ² at these parameters (µ from the condition when given). */
const theoryContraction =
  (at: Record<string, unknown> = {}) =>
  (params: Record<string, unknown>): number | null => {
    const rate = predictedRateOf({ ...params, ...at });
    return rate === null ? null : 1 - rate;
  };

/** 1 when every meta-method that ran goes below `threshold` (in these conditions), else 0. */
function allMetaMethodsBelow(threshold: number, at: Record<string, LabelValue> = {}): Measure {
  return customMeasure(`dist of every meta-method run goes below ${thresholdText(threshold)}`, (seed) => {
    const curves = seed.curves.filter(
      (c) =>
        c.yName === "dist" &&
        (META_METHODS as readonly string[]).includes(String(c.labels.method)) &&
        Object.entries(at).every(([k, v]) => c.labels[k] === v),
    );
    if (curves.length === 0) return null;
    return curves.every((c) => c.y.some((y) => y < threshold)) ? 1 : 0;
  });
}

const RATE_TOLERANCE = { rel: 0.05 } as const;

export const collinsConvergenceClaims: readonly Claim[] = [
  {
    id: "meta-methods-recover",
    statement: "ANIL, FO-ANIL, MAML and FO-MAML recover the ground-truth representation exponentially fast.",
    source: FIGURE_1,
    test: { kind: "event", measure: allMetaMethodsBelow(1e-6), happens: true },
  },
  {
    id: "avg-gd-fails",
    statement:
      "Average-loss minimisation, which does not adapt the head, does not recover the representation.",
    source: FIGURE_1,
    test: {
      kind: "event",
      measure: reachesBelow({ yName: "dist", labels: { method: "avg-gd" } }, 1e-3),
      happens: false,
    },
  },
  {
    id: "anil-rate",
    statement: "Near convergence ANIL contracts dist by the factor 1 − αβµ² per iteration.",
    source: RATE_SOURCE,
    test: {
      kind: "value",
      measure: contraction("anil"),
      expected: theoryContraction(),
      tolerance: RATE_TOLERANCE,
    },
  },
  {
    id: "maml-rate",
    statement: "Near convergence MAML contracts dist by the same factor 1 − αβµ² as ANIL.",
    source: RATE_SOURCE,
    test: {
      kind: "value",
      measure: contraction("maml"),
      expected: theoryContraction(),
      tolerance: RATE_TOLERANCE,
    },
  },
];

/** One rate claim per µ of the paper-size grid: µ² sets the rate, so diversity sets the speed. */
export const collinsDiversityClaims: readonly Claim[] = [1, 0.5, 0.2, 0.1].map((mu) => ({
  id: `rate-mu-${String(mu).replace(".", "-")}`,
  statement: `With head diversity µ = ${mu}, ANIL's dist contracts by 1 − αβµ² per iteration: less diverse tasks, slower learning.`,
  source: RATE_SOURCE,
  test: {
    kind: "value" as const,
    measure: contraction("anil", { mu }),
    expected: theoryContraction({ mu }),
    tolerance: RATE_TOLERANCE,
  },
}));

const M10 = { m_in: 10, m_out: 10, n: 20, sigma: 0 };
export const collinsFiniteSamplesClaims: readonly Claim[] = [
  {
    id: "fo-anil-exact-outer",
    statement:
      "With exact outer gradients (m_out = ∞), FO-ANIL recovers the representation for any inner sample size m_in.",
    source: FINITE_SOURCE,
    test: {
      kind: "event",
      measure: reachesBelow(
        { yName: "dist", labels: { method: "fo-anil", m_in: 10, m_out: null, n: 20, sigma: 0 } },
        1e-5,
      ),
      happens: true,
    },
  },
  {
    id: "exact-anil-floor",
    statement:
      "With finite inner samples, exact ANIL keeps an error floor where FO-ANIL (m_out = ∞) does not: FO-ANIL ends below ANIL.",
    source: FINITE_SOURCE,
    test: {
      kind: "paired order",
      below: metricOf(
        { yName: "dist", labels: { method: "fo-anil", m_in: 10, m_out: null, n: 20, sigma: 0 } },
        "final",
      ),
      above: metricOf(
        { yName: "dist", labels: { method: "anil", m_in: 10, m_out: null, n: 20, sigma: 0 } },
        "final",
      ),
    },
  },
  {
    id: "floor-falls-with-m",
    statement:
      "The finite-sample floor of ANIL falls as the samples per task m = m_in = m_out grow (10 → 50).",
    source: FINITE_SOURCE,
    test: {
      kind: "paired order",
      below: metricOf(
        { yName: "dist", labels: { method: "anil", m_in: 50, m_out: 50, n: 20, sigma: 0 } },
        "final",
      ),
      above: metricOf({ yName: "dist", labels: { method: "anil", ...M10 } }, "final"),
    },
  },
  {
    id: "avg-gd-fails",
    statement: "Average-loss minimisation does not recover the representation from finite samples either.",
    source: FIGURE_1,
    test: {
      kind: "event",
      measure: reachesBelow({ yName: "dist", labels: { method: "avg-gd", ...M10 } }, 0.5),
      happens: false,
    },
  },
];

export const collinsHeadInitClaims: readonly Claim[] = [
  {
    id: "zero-init-rate",
    statement: "From w₀ = 0, ANIL contracts dist by 1 − αβµ² per iteration near convergence.",
    source: RATE_SOURCE,
    test: {
      kind: "value",
      measure: contraction("anil", { w0: 0 }),
      expected: theoryContraction(),
      tolerance: RATE_TOLERANCE,
    },
  },
  {
    id: "maml-slowed-by-init",
    statement:
      "A non-zero head initialisation (‖w₀‖ = 1) slows MAML: it needs more iterations to reach dist < 10⁻³.",
    source: INIT_SOURCE,
    test: {
      kind: "paired order",
      below: metricOf(
        { yName: "dist", labels: { method: "maml", w0: 0 } },
        "firstBelow1e-3",
        "MAML's first iteration with dist < 10⁻³ at ‖w₀‖ = 0",
      ),
      above: customMeasure(
        "MAML's first iteration with dist < 10⁻³ at ‖w₀‖ = 1 (the run's length when never)",
        (seed, params) => {
          const c = seed.curves.find(
            (x) => x.yName === "dist" && x.labels.method === "maml" && x.labels.w0 === 1,
          );
          if (!c) return null;
          return c.metrics["firstBelow1e-3"] ?? (params.iters as number) + 1;
        },
      ),
    },
  },
  {
    id: "fo-maml-diverges",
    statement: "FO-MAML started from a large head (‖w₀‖ = 3) diverges.",
    source: INIT_SOURCE,
    test: {
      kind: "event",
      measure: divergedOf({ yName: "dist", labels: { method: "fo-maml", w0: 3 } }),
      happens: true,
    },
  },
  {
    id: "fo-anil-any-init",
    statement: "FO-ANIL recovers the representation even from a large head (‖w₀‖ = 3).",
    source: INIT_SOURCE,
    test: {
      kind: "event",
      measure: reachesBelow({ yName: "dist", labels: { method: "fo-anil", w0: 3 } }, 1e-6),
      happens: true,
    },
  },
];
