import { z } from "zod";
import { modalMatching } from "../../algorithms/mlr/matching.js";
import { stageOneSubspace, stageTwo } from "../../algorithms/mlr/pipeline.js";
import type { ProjectedParts } from "../../algorithms/mlr/projectedDistances.js";
import {
  orientAxes,
  principalPlane,
  type ScatterAxes,
  separatingPlane,
} from "../../algorithms/mlr/scatterAxes.js";
import { subspaceResidualError } from "../../algorithms/mlr/subspace.js";
import { type Mat, matFrom } from "../../linalg/mat.js";
import { foldInString } from "../../rng/key.js";
import { kongPipelineCost } from "../cost.js";
import type { Curve, Experiment } from "../types.js";
import { kongProjectionClaims } from "./claims.js";
import { kongFigures } from "./figures.js";
import { buildKongMixture, checkKongMixture, checkKongStages, mixtureFields, stageFields } from "./params.js";
import { COMPONENT_POINTS, PROJECTION_X, PROJECTION_Y, TASK_POINTS } from "./quantities.js";

const { n1, t1, n2, t2, L, order, linkage, threshold_scale, sampler } = stageFields;

const schema = z
  .strictObject({
    ...mixtureFields,
    n1,
    t1,
    n2,
    t2,
    L,
    order,
    linkage,
    threshold_scale,
    sampler,
    axes: z
      .enum(["separating", "principal"])
      .default("separating")
      .describe(
        "scatter plane in col(Û): separating (the clusters' means most evenly spread) or principal (top-2 principal directions of the estimates)",
      ),
  })
  .superRefine(checkKongMixture)
  .superRefine(checkKongStages)
  .superRefine((p, ctx) => {
    if (p.k < 2) {
      ctx.addIssue({
        code: "custom",
        path: ["k"],
        message: "must be ≥ 2 (the scatter needs a projected space of dimension ≥ 2)",
        input: p.k,
      });
    }
  });

/** Curve label `quantity` of the heavy tasks' points and of the components' points. */

/**
 * The mean over parts of each task's projected part estimates: row i of the n×k result is
 * `(1/parts) Σ_q Ûᵀβ̂ᵢ⁽q⁾ = Ûᵀβ̂ᵢ` on the task's first parts·t₂ examples — the quantity whose
 * pairwise distances the clustering estimates (H_ij ≈ ‖Ûᵀ(βᵢ − βⱼ)‖²) and whose cluster means
 * are the initial estimates.
 */
export function meanProjectedEstimates(proj: ProjectedParts): Mat {
  const { n, parts, k, data } = proj;
  const out = new Float64Array(n * k);
  for (let i = 0; i < n; i++)
    for (let q = 0; q < parts; q++) {
      const o = (i * parts + q) * k;
      for (let a = 0; a < k; a++) out[i * k + a] += data[o + a] / parts;
    }
  return matFrom(n, k, out);
}

/** Coordinates of the rows of A (n×k) on the axes: uncentred, so the origin is β = 0. */
function coordinates(A: Mat, axes: ScatterAxes["axes"]): { x: Float64Array; y: Float64Array } {
  const { rows: n, cols: k } = A;
  const x = new Float64Array(n);
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++)
    for (let a = 0; a < k; a++) {
      x[i] += A.data[i * k + a] * axes[0][a];
      y[i] += A.data[i * k + a] * axes[1][a];
    }
  return { x, y };
}

/**
 * Cluster numbers for display: the cluster matched to component ℓ (its mode, `cmap[ℓ]`) is
 * numbered ℓ, so that a task is correctly clustered exactly when its number equals its component;
 * clusters matched to no component (or a second component sharing a mode) get the unused numbers
 * in cluster order.
 */
export function clusterNumbers(cmap: Int32Array, c: number): Int32Array {
  const name = new Int32Array(c).fill(-1);
  const used = new Set<number>();
  cmap.forEach((g, l) => {
    if (g >= 0 && g < c && name[g] < 0) {
      name[g] = l;
      used.add(l);
    }
  });
  let next = 0;
  for (let g = 0; g < c; g++) {
    if (name[g] >= 0) continue;
    while (used.has(next)) next++;
    name[g] = next;
    used.add(next);
  }
  return name;
}

/**
 * Kong, Somani, Song, Kakade, Oh, "Meta-learning for Mixed Linear Regression" (ICML 2020; SPEC §2),
 * stages 1–2 as a picture. Û (d×k) from n1 light tasks of t1 examples (the two-half moment
 * estimator); n2 heavy tasks of (2L + 2)·t2 examples; each heavy task's projected estimate
 * `Ûᵀβ̂ ∈ R^k` (mean of its 2L part estimates, what the clustering compares); clustering by the
 * median-of-L distances (average linkage into k, or single linkage at threshold_scale·Δ²) and
 * modal matching of clusters to components, as in `runMlrPipeline`.
 *
 * Result (plain data). The view is a plane of col(Û) chosen from the estimates and the
 * algorithm's clusters only (no ground truth; `scatterAxes.ts`): by default the plane in which
 * the clusters' means are most evenly spread (`axes: "separating"`; the top-2 principal plane,
 * `"principal"`, can put two components of a symmetric mixture on top of each other), with axis 1
 * its direction of most variance and signs by third moment; coordinates are uncentred (the
 * origin is β = 0) and both axes have the same units. One curve per (true
 * component c, assigned cluster a) with labels `{quantity: "heavy task", component: c,
 * assigned: a}` whose x[i], y[i] are the tasks' coordinates (clusters numbered by
 * `clusterNumbers`, so a = c means correctly clustered), and one single-point curve per
 * component, `{quantity: "component", component: c}`, at Ûᵀv_c (v_c = E β̂ = w_c for the linear
 * mixture), the centre its tasks scatter around. Scalars: clustering accuracy, clusters found,
 * separation Δ, subspace error max_ℓ ‖(I − ÛÛᵀ)w_ℓ‖/ρ, the fraction of the estimates' variance
 * the plane shows, and the root-mean-square distance in R^k of the estimates to Ûᵀv_c.
 *
 * @example runExperiment(kongProjection, { t2: 32 }, [0]) // 128 points, accuracy ≈ 1
 */
export const kongProjection: Experiment<typeof schema> = {
  id: "kong-projection",
  title: "Heavy tasks in the estimated subspace: projected estimates by component and cluster",
  family: "kong",
  lookFor:
    "The heavy tasks' projected estimates form k separated clouds around the components' projections (◆), each cloud one shape (assigned cluster) and one colour (true component); lowering t2 makes the clouds merge and the assignments mix.",
  paper: "Kong, Somani, Song, Kakade, Oh. Meta-learning for Mixed Linear Regression. ICML 2020",
  description: "scatter of the heavy tasks' Ûᵀβ̂ in a plane of col(Û), by component and cluster",
  figures: kongFigures["kong-projection"],
  claims: kongProjectionClaims,
  tables: [
    {
      kind: "confusion",
      quantity: TASK_POINTS,
      rows: { label: "component", name: "component" },
      columns: { label: "assigned", name: "cluster" },
      title:
        "heavy tasks by true component (rows) and assigned cluster (columns; cluster ℓ is the one matched to component ℓ)",
    },
  ],
  params: schema,
  sizes: {
    smoke: { n1: 4096 },
    paper: {},
  },
  seeds: { smoke: 2, paper: 4 },
  cost: (p) => kongPipelineCost(p),
  runCondition(p, _c, key, ctx) {
    const setting = buildKongMixture(p, key);
    const { truth } = setting;
    const { U } = stageOneSubspace(setting, p, foldInString(key, "light"));
    ctx.progress(1, 2);
    const threshold = p.threshold_scale * setting.delta ** 2;
    const stage = stageTwo(setting, { ...p, threshold }, U, foldInString(key, "heavy"));
    const { clusters, c } = stage;
    const ids = stage.heavy.ids;
    const matching = modalMatching(ids, clusters, p.k, c);
    const numbers = clusterNumbers(matching.cmap, c);

    const A = meanProjectedEstimates(stage.proj);
    const plane = p.axes === "principal" ? principalPlane(A) : separatingPlane(A, clusters, c);
    const { axes, planeVariance } = orientAxes(A, plane);
    const tasks = coordinates(A, axes);
    // Ûᵀv_ℓ (k×k): where the estimates of component ℓ scatter around.
    const { d } = truth;
    const centres = new Float64Array(p.k * p.k);
    for (let l = 0; l < p.k; l++)
      for (let i = 0; i < d; i++) {
        const v = truth.V.data[l * d + i];
        for (let a = 0; a < p.k; a++) centres[l * p.k + a] += U.data[i * p.k + a] * v;
      }
    const centre = coordinates(matFrom(p.k, p.k, centres), axes);
    let sq = 0;
    for (let i = 0; i < A.rows; i++)
      for (let a = 0; a < p.k; a++) sq += (A.data[i * p.k + a] - centres[ids[i] * p.k + a]) ** 2;

    const curves: Curve[] = [];
    const point = (labels: Curve["labels"], x: number[], y: number[]): Curve => ({
      labels,
      xName: PROJECTION_X,
      yName: PROJECTION_Y,
      x,
      y,
      metrics: { points: x.length },
      status: "ok",
    });
    const names = [...new Set(numbers)].sort((a, b) => a - b);
    for (let l = 0; l < p.k; l++) {
      for (const assigned of names) {
        const x: number[] = [];
        const y: number[] = [];
        for (let i = 0; i < ids.length; i++) {
          if (ids[i] !== l || numbers[clusters[i]] !== assigned) continue;
          x.push(tasks.x[i]);
          y.push(tasks.y[i]);
        }
        if (x.length > 0) curves.push(point({ quantity: TASK_POINTS, component: l, assigned }, x, y));
      }
    }
    for (let l = 0; l < p.k; l++)
      curves.push(point({ quantity: COMPONENT_POINTS, component: l }, [centre.x[l]], [centre.y[l]]));
    ctx.progress(2, 2);
    return {
      status: "ok",
      curves,
      scalars: {
        clustering_acc: matching.accuracy,
        clusters_found: matching.clustersFound,
        delta: setting.delta,
        subspace_err: subspaceResidualError(U, truth.V, truth.rho),
        plane_variance: planeVariance,
        estimate_rms: Math.sqrt(sq / A.rows),
      },
    };
  },
};
