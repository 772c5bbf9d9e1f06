import { z } from "zod";
import { stageOneSubspace } from "../../algorithms/mlr/pipeline.js";
import { subspaceResidualError } from "../../algorithms/mlr/subspace.js";
import { foldIn, foldInString } from "../../rng/key.js";
import { kongPipelineCost } from "../cost.js";
import { seedScalars } from "../join.js";
import { listOf, posInt } from "../params.js";
import type { Experiment } from "../types.js";
import { kongSubspaceClaims } from "./claims.js";
import { kongFigures } from "./figures.js";
import {
  buildKongMixture,
  checkKongMixture,
  joinKongPoints,
  kongCurve,
  mixtureFields,
  stageFields,
} from "./params.js";
import { SUBSPACE_Y, X_PER_TASK, X_TASKS } from "./quantities.js";

const schema = z
  .strictObject({
    ...mixtureFields,
    total: posInt().default(65536).describe("examples n·t at a fixed total (first sweep)"),
    ts: listOf(z.number().int().min(2))
      .default([2, 4, 8, 16, 32])
      .describe("examples per light task at the fixed total (each ≥ 2)"),
    t: z.number().int().min(2).default(4).describe("examples per light task in the task-count sweep"),
    ns: listOf(posInt())
      .default([256, 512, 1024, 2048, 4096, 8192, 16384])
      .describe("numbers of light tasks in the second sweep"),
    sampler: stageFields.sampler,
    orders: listOf(z.enum(["magnitude", "algebraic"]))
      .default(["magnitude"])
      .describe("eigenvalue orders of M̂ to compare"),
  })
  .superRefine(checkKongMixture)
  .superRefine((p, ctx) => {
    p.ts.forEach((t, i) => {
      if (Math.floor(p.total / t) < 1) {
        ctx.addIssue({
          code: "custom",
          path: ["ts", i],
          message: `must be ≤ total (= ${p.total})`,
          input: t,
        });
      }
    });
  });

/**
 * Kong et al. (ICML 2020), stage 1: the subspace error `max_ℓ ‖(I − ÛÛᵀ)w_ℓ‖/ρ` of the two-half
 * moment estimator, (a) against examples per task t at a fixed total n·t (more examples per task
 * beat more tasks: the error falls as t grows), (b) against the number of tasks n at fixed t.
 */
export const kongSubspace: Experiment<typeof schema> = {
  id: "kong-subspace",
  title: "Subspace from light tasks: error vs examples per task (fixed total) and vs tasks",
  family: "kong",
  lookFor:
    "At a fixed total number of examples n·t, the subspace error of the light-task moment estimator depends little on how the examples are split into tasks (it needs only two per task), and it falls with the number of tasks.",
  paper: "Kong, Somani, Song, Kakade, Oh. Meta-learning for Mixed Linear Regression. ICML 2020",
  description: "subspace error vs t at fixed n·t, and vs n",
  figures: kongFigures["kong-subspace"],
  claims: kongSubspaceClaims,
  params: schema,
  sizes: {
    smoke: { total: 16384, ts: [2, 4, 8, 16], ns: [256, 1024, 4096] },
    paper: {},
  },
  seeds: { smoke: 3, paper: 10 },
  commonRandomNumbers: true,
  conditions: (p) =>
    p.orders.flatMap((order) => [
      ...p.ts.map((x) => ({ order, sweep: `n·t = ${p.total}`, x })),
      ...p.ns.map((x) => ({ order, sweep: `t = ${p.t}`, x })),
    ]),
  // Sweep "n·t = total": t = x examples per task, total/x tasks; sweep "t = …": x tasks of t.
  cost: (p, c) => {
    const fixedTotal = String(c.sweep).startsWith("n·t");
    const t = fixedTotal ? (c.x as number) : p.t;
    return kongPipelineCost({ ...p, n1: fixedTotal ? p.total / t : (c.x as number), t1: t });
  },
  runCondition(p, c, key, ctx) {
    const order = c.order as "magnitude" | "algebraic";
    const x = c.x as number;
    const fixedTotal = c.sweep === `n·t = ${p.total}`;
    const setting = buildKongMixture(p, key);
    const method = `moments (${order === "magnitude" ? "|λ|" : "λ"} order)`;
    // Same tasks for both orders: the keys depend on the sweep point only.
    const [n, t, k] = fixedTotal
      ? [Math.floor(p.total / x), x, foldIn(foldInString(key, "fixed-total"), x)]
      : [x, p.t, foldIn(foldInString(key, "tasks"), x)];
    const { U } = stageOneSubspace(setting, { k: p.k, n1: n, t1: t, order, sampler: p.sampler }, k);
    const y = subspaceResidualError(U, setting.truth.V, setting.truth.rho);
    ctx.progress(1, 1);
    const curves = [kongCurve({ method }, fixedTotal ? X_PER_TASK : X_TASKS, SUBSPACE_Y, [x], [y])];
    return { status: "ok", curves, scalars: { rho: setting.truth.rho, delta: setting.delta } };
  },
  // ρ and Δ belong to the seed's mixture, the same under every condition.
  combine: (_p, parts) => ({ ...joinKongPoints(parts, "x"), scalars: seedScalars(parts, ["rho", "delta"]) }),
};
