import { z } from "zod";
import { duBound, olsLevel, oracleLevel } from "../../theory/duBound.js";
import { fewShotCost } from "../cost.js";
import { checkFamily, familyFields } from "../familyParams.js";
import {
  checkFewShot,
  fewShotFields,
  fewShotStatus,
  joinSettings,
  runStages,
  sweepCurves,
} from "../fewShot.js";
import { listOf, nonNegative, posInt } from "../params.js";
import type { ConditionPart, Curve, Experiment, RunResult } from "../types.js";
import { duExcessRiskClaims } from "./claims.js";
import { duFigures } from "./figures.js";

const SWEEPS = ["T", "n1", "n2"] as const;

const schema = z
  .strictObject({
    ...fewShotFields,
    ...familyFields,
    // AltMin converges linearly, at d = 20, k = 3, n1 ≥ 25 by about 3 decades a round (dist to its
    // 50th round: 1e-8 after 10 rounds, 1e-15 after 20): stopping once a round moves B by
    // ≤ 1e-12 changes no number of the record beyond ~1e-12 relative (du.test.ts) and saves about
    // 30 of the 50 rounds there; slow settings (n1 = 5, T = 25) still run all 50.
    tol: nonNegative().default(1e-12).describe("AltMin / AltMinGD early stop on dist(B_t, B_{t−1}) (0: off)"),
    sweeps: listOf(z.enum(SWEEPS)).default(["T", "n1", "n2"]).describe("which settings to vary"),
    Ts: listOf(posInt()).default([25, 50, 100, 200, 400, 800]).describe("source tasks T (sweep T)"),
    n1s: listOf(posInt()).default([5, 10, 25, 50, 100]).describe("rows per source task (sweep n1)"),
    n2s: listOf(posInt()).default([5, 10, 20, 30, 60, 120]).describe("rows per target task (sweep n2)"),
  })
  .superRefine(checkFewShot)
  .superRefine(checkFamily);

export type DuExcessRiskParams = z.output<typeof schema>;

/**
 * Du et al. (ICLR 2021), two-stage few-shot learning: excess risk of the target head on the learned
 * representation, against T, n1 and n2 (the other two held at `T`, `n1`, `n2`), for every estimator
 * of B̂ and the oracle and no-representation baselines, on the same target tasks. The paper's rate is
 * `Õ(dk/(n1T) + k/n2)`: the excess over the oracle falls like 1/(n1T) (slope −1 in T and in n1), the
 * oracle level is σ²k/(n2 − k − 1), plain OLS σ²d/(n2 − d − 1). Curves: see `sweepCurves`;
 * scalars: `theory[sweep=…,x=…]` (dk/(n1T) + k/n2), `oracleLevel[…]`, `olsLevel[…]`.
 *
 * With a task family (`family`, `family_options`; `models/taskFamilies.ts`) source and target
 * inputs both come from it and the excess risk is ‖Σ^{1/2}(B̂ŵ − B*w*)‖² with its population Σ (a
 * family without Σ is refused). The reference levels stay valid for Gaussian x ~ N(0, Σ): the
 * oracle's and OLS's Σ-norm excess risks do not depend on Σ, and with Σ_src = Σ_tgt Du et al.'s
 * covariance-dominance factor is c = 1.
 *
 * Cells: one per seed, fitting every source stage (T, n1) of `stagesOf` once and evaluating all of
 * them on the same targets, drawn once, with the oracle and plain OLS (which no stage changes)
 * evaluated once (`runStages`).
 */
export const duExcessRisk: Experiment<typeof schema> = {
  id: "du-excess-risk",
  title: "Few-shot excess risk falls like dk/(n₁T) + k/n₂ with a learned representation",
  family: "du",
  lookFor:
    "The excess risk of every learned representation falls with T and n1 along the fitted C·(dk/(n1T) + k/n2) until the k/n2 term, set by the target sample size n2, dominates; the oracle (B*) has only the k/n2 part and least squares without a representation (OLS) stays far above. Where dk/(n1T) dominates, the fitted log-log slopes are close to −1.",
  paper: "Du, Hu, Kakade, Lee, Lei. Few-Shot Learning via Learning the Representation, Provably. ICLR 2021",
  description: "excess risk vs T, n1 and n2 per estimator of B̂ (MoM, AltMin, BM, ANIL), oracle and OLS",
  figures: duFigures["du-excess-risk"],
  claims: duExcessRiskClaims,
  params: schema,
  sizes: {
    smoke: {
      Ts: [50, 100, 200],
      n1s: [10, 25],
      n2s: [10, 30],
      targets: 200,
      anil_epochs: 30,
      methods: ["mom", "altmin", "fo-anil", "oracle", "ols"],
    },
    paper: { targets: 1000 },
  },
  seeds: { smoke: 2, paper: 10 },
  commonRandomNumbers: true,
  // One cell per seed: every source stage's fits (`fewShotCost` without targets), then the target
  // stage once, each stage's learned representations at its largest n2 and the oracle and plain
  // OLS once at the largest of all (`runStages`).
  cost: (p) => {
    const stages = stagesOf(p);
    const perRep = (n2: number) => fewShotCost({ ...p, methods: [] }, { T: 0, n1: 0, n2 });
    const learned = p.methods.filter((m) => m !== "oracle" && m !== "ols").length;
    const largest = stages.map((s) => Math.max(...s.n2s));
    let cost = (p.methods.includes("ols") ? 2 : 1) * perRep(Math.max(...largest));
    stages.forEach((s, i) => {
      cost += fewShotCost(p, { T: s.T, n1: s.n1, n2: 0 }, 0) + learned * perRep(largest[i]);
    });
    return cost;
  },
  runCondition(p, _c, key, ctx) {
    const stages = stagesOf(p);
    const outcomes = runStages(p, stages, key, ctx);
    const curves: Curve[] = [];
    const scalars: RunResult["scalars"] = {};
    stages.forEach((stage, s) => {
      const { T, n1 } = stage;
      for (const q of pointsOf(p).filter((q) => q.T === T && q.n1 === n1)) {
        const setting = { T, n1, n2: q.n2 };
        const outcome = outcomes[s][stage.n2s.indexOf(q.n2)];
        // Labelled as the point's own condition {sweep, x} was (`combine` joins them along x).
        for (const curve of sweepCurves([{ x: q.x, outcome }], q.sweep, { sweep: q.sweep }))
          curves.push({ ...curve, labels: { ...curve.labels, sweep: q.sweep, x: q.x } });
        const at = `[${pointText(q)}]`;
        scalars[`theory${at}`] = duBound({ d: p.d, k: p.k, ...setting });
        scalars[`oracleLevel${at}`] = oracleLevel(p.sigma, p.k, q.n2);
        scalars[`olsLevel${at}`] = olsLevel(p.sigma, p.d, q.n2);
      }
    });
    ctx.progress(1, 1);
    return { status: fewShotStatus(curves), curves, scalars };
  },
  combine: (p, parts) => joinSettings(pointParts(p, parts), "x"),
};

type Sweep = (typeof SWEEPS)[number];

/** A point of the figure: sweep `sweep` at x, and its setting (the other two at T, n1, n2). */
interface Point {
  sweep: Sweep;
  x: number;
  T: number;
  n1: number;
  n2: number;
}

/** The figure's points in display order (sweeps, then x), each once. */
function pointsOf(p: DuExcessRiskParams): Point[] {
  const grid: Record<Sweep, number[]> = { T: p.Ts, n1: p.n1s, n2: p.n2s };
  const seen = new Set<string>();
  return p.sweeps.flatMap((sweep) =>
    grid[sweep].flatMap((x) => {
      const q = { sweep, x, T: p.T, n1: p.n1, n2: p.n2, [sweep]: x };
      if (seen.has(pointText(q))) return [];
      seen.add(pointText(q));
      return [q];
    }),
  );
}

function pointText(q: Point): string {
  return `sweep=${q.sweep},x=${q.x}`;
}

/**
 * The source stages (T, n1) in order of first use, each with the target sizes n2 its points read.
 * Every point of the n2 sweep, the T sweep's point at T and the n1 sweep's at n1 fit the same
 * source tasks (common random numbers: the same key) with the same methods, so they share one
 * stage that is fitted once and evaluated at every n2 on nested targets (`runStages`): at the paper
 * size 10 source stages instead of 17 fits, and, point by point, what a cell per point computed.
 */
function stagesOf(p: DuExcessRiskParams): { T: number; n1: number; n2s: number[] }[] {
  const stages = new Map<string, { T: number; n1: number; n2s: number[] }>();
  for (const q of pointsOf(p)) {
    const id = `${q.T},${q.n1}`;
    let s = stages.get(id);
    if (!s) {
      s = { T: q.T, n1: q.n1, n2s: [] };
      stages.set(id, s);
    }
    if (!s.n2s.includes(q.n2)) s.n2s.push(q.n2);
  }
  return [...stages.values()];
}

/**
 * A seed's cell back as one part per point {sweep, x}, in display order: exactly the parts a cell
 * per point gave (curves labelled {sweep, x}, scalars named `…[sweep=…,x=…]`), so the joined curves
 * are the same.
 */
function pointParts(p: DuExcessRiskParams, parts: readonly ConditionPart[]): ConditionPart[] {
  const byPoint = new Map<string, { curves: Curve[]; scalars: RunResult["scalars"] }>();
  const entry = (text: string) => {
    let e = byPoint.get(text);
    if (!e) {
      e = { curves: [], scalars: {} };
      byPoint.set(text, e);
    }
    return e;
  };
  for (const part of parts) {
    for (const curve of part.result.curves)
      entry(`sweep=${curve.labels.sweep},x=${curve.labels.x}`).curves.push(curve);
    for (const [name, v] of Object.entries(part.result.scalars))
      entry(name.slice(name.lastIndexOf("[") + 1, -1)).scalars[name] = v;
  }
  return pointsOf(p).flatMap((q) => {
    const e = byPoint.get(pointText(q));
    if (!e) return [];
    const result: RunResult = { status: fewShotStatus(e.curves), curves: e.curves, scalars: e.scalars };
    return [{ condition: { sweep: q.sweep, x: q.x }, result }];
  });
}
