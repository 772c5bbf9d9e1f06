import { z } from "zod";
import { absolute, averageLinkage, singleLinkage } from "../../algorithms/mlr/clustering.js";
import { modalMatching } from "../../algorithms/mlr/matching.js";
import { stageOneSubspace } from "../../algorithms/mlr/pipeline.js";
import {
  medianProjectedDistances,
  projectParts,
  projectRevealedParts,
} from "../../algorithms/mlr/projectedDistances.js";
import { transpose } from "../../linalg/mat.js";
import { foldIn, foldInString } from "../../rng/key.js";
import { kongPipelineCost } from "../cost.js";
import { seedScalars } from "../join.js";
import { listOf, posInt } from "../params.js";
import type { Curve, Experiment } from "../types.js";
import { kongClusteringClaims } from "./claims.js";
import { kongFigures } from "./figures.js";
import {
  buildKongMixture,
  checkKongMixture,
  checkKongStages,
  joinKongPoints,
  kongCurve,
  mixtureFields,
  stageFields,
} from "./params.js";
import { CLUSTERING_Y, X_PART } from "./quantities.js";

const { n1, t1, n2, order, threshold_scale, sampler } = stageFields;

const schema = z
  .strictObject({
    ...mixtureFields,
    n1,
    t1,
    n2,
    order,
    threshold_scale,
    sampler,
    t2s: listOf(posInt())
      .default([4, 8, 16, 32, 64, 128, 256])
      .describe("examples per part of a heavy task (a heavy task has 2L parts)"),
    Ls: listOf(posInt()).default([1, 3]).describe("split-sample repeats L (median of L distance estimates)"),
    linkages: listOf(z.enum(["average", "single"]))
      .default(["average", "single"])
      .describe("clustering rules: average linkage into k, single linkage at threshold_scale·Δ²"),
  })
  .superRefine(checkKongMixture)
  .superRefine(checkKongStages);

/**
 * Kong et al. (ICML 2020), stage 2: accuracy of clustering heavy tasks from the median-of-L
 * projected distances H, against examples per part t₂ and L, for average linkage into k clusters
 * (official code) and single linkage at a threshold of order Δ²/2 (paper). Û comes from n1 light
 * tasks of t1 examples, once per seed; each (L, t₂) draws its own heavy tasks, shared by the
 * clustering rules. Accuracy as in the official code (modal matching; 0 if clusters merge).
 */
export const kongClustering: Experiment<typeof schema> = {
  id: "kong-clustering",
  title: "Clustering heavy tasks in the estimated subspace: accuracy vs heavy-task size and L",
  family: "kong",
  lookFor:
    "The heavy tasks' clustering accuracy jumps to 1 once t₂, the examples per heavy task, passes a threshold; more parts L make the distance estimates more reliable. An accuracy of 0 means the clusters could not be matched one-to-one to the components.",
  paper: "Kong, Somani, Song, Kakade, Oh. Meta-learning for Mixed Linear Regression. ICML 2020",
  description: "clustering accuracy vs t₂ for L and linkage",
  figures: kongFigures["kong-clustering"],
  claims: kongClusteringClaims,
  params: schema,
  sizes: {
    smoke: { n1: 4096, t2s: [4, 16, 64], Ls: [1] },
    paper: {},
  },
  seeds: { smoke: 3, paper: 10 },
  commonRandomNumbers: true,
  // One cell per L: Û (stage 1, key "light") is the same for every t₂ and L of a seed, so each cell
  // computes it once and sweeps t₂ (it was once per (L, t₂): 14 times per seed, ~65 % of the cost).
  // The heavy tasks' keys still depend on (L, t₂) only, so the numbers are unchanged.
  conditions: (p) => p.Ls.map((L) => ({ L })),
  cost: (p, c) => kongPipelineCost({ ...p, L: c.L as number, t2: p.t2s.reduce((a, b) => a + b, 0) }),
  runCondition(p, c, key, ctx) {
    const L = c.L as number;
    const setting = buildKongMixture(p, key);
    const { U } = stageOneSubspace(setting, p, foldInString(key, "light"));
    const threshold = p.threshold_scale * setting.delta * setting.delta;
    const Ut = transpose(U);
    const methods = p.linkages.map((linkage) =>
      linkage === "average" ? "average linkage" : `single linkage (H < ${p.threshold_scale}Δ²)`,
    );
    const accuracy = p.linkages.map(() => [] as number[]);
    const clusters = p.linkages.map(() => [] as number[]);
    p.t2s.forEach((t2, i) => {
      const hk = foldIn(foldIn(foldInString(key, "heavy"), L), t2);
      let heavy: { ids: Int32Array };
      let proj: ReturnType<typeof projectParts>;
      if (p.sampler === "projected" && setting.sampleProjectedTasks) {
        // Revealed along col(Û) and the components: all the distances read (exact in distribution).
        const pb = setting.sampleProjectedTasks(p.n2, 2 * L * t2, Ut, hk);
        heavy = pb;
        proj = projectRevealedParts(pb, U, 2 * L, t2);
      } else {
        const b = setting.sample(p.n2, 2 * L * t2, hk);
        heavy = b;
        proj = projectParts(b, U, 2 * L, t2);
      }
      const H = medianProjectedDistances(proj, L);
      p.linkages.forEach((linkage, j) => {
        let labels: Int32Array;
        let found = p.k;
        if (linkage === "average") labels = averageLinkage(absolute(H), p.n2, p.k);
        else {
          const s = singleLinkage(H, p.n2, threshold);
          labels = s.labels;
          found = s.clusters;
        }
        accuracy[j].push(modalMatching(heavy.ids, labels, p.k, found).accuracy);
        clusters[j].push(found);
      });
      ctx.progress(i + 1, p.t2s.length);
    });
    const curves: Curve[] = methods.flatMap((method, j) => [
      kongCurve({ method, L }, X_PART, CLUSTERING_Y, [...p.t2s], accuracy[j]),
      kongCurve({ method, L }, X_PART, "clusters found", [...p.t2s], clusters[j]),
    ]);
    return { status: "ok", curves, scalars: { delta: setting.delta, threshold } };
  },
  combine: (_p, parts) => ({
    ...joinKongPoints(parts, "t2"),
    scalars: seedScalars(parts, ["delta", "threshold"]),
  }),
};
