import { z } from "zod";
import { stageOneSubspace } from "../algorithms/mlr/pipeline.js";
import { subspaceResidualError } from "../algorithms/mlr/subspace.js";
import { foldIn, foldInString } from "../rng/key.js";
import { buildKongMixture, checkKongMixture, kongCurve, mixtureFields, stageFields } from "./kongParams.js";
import { listOf, posInt } from "./params.js";
import type { Curve, Experiment } from "./types.js";

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

export const SUBSPACE_Y = "subspace error";
export const X_PER_TASK = "examples per task";
export const X_TASKS = "tasks";

/**
 * Kong et al. (ICML 2020), stage 1: the subspace error `max_ℓ ‖(I − ÛÛᵀ)w_ℓ‖/ρ` of the two-half
 * moment estimator, (a) against examples per task t at a fixed total n·t (more examples per task
 * beat more tasks: the error falls as t grows), (b) against the number of tasks n at fixed t.
 */
export const kongSubspace: Experiment<typeof schema> = {
  id: "kong-subspace",
  title: "Subspace from light tasks: error vs examples per task (fixed total) and vs tasks",
  paper: "Kong, Somani, Song, Kakade, Oh. Meta-learning for Mixed Linear Regression. ICML 2020",
  description: "subspace error vs t at fixed n·t, and vs n",
  figures: ["kong-subspace-t", "kong-subspace-n"],
  params: schema,
  sizes: {
    smoke: { total: 16384, ts: [2, 4, 8, 16], ns: [256, 1024, 4096] },
    paper: {},
  },
  seeds: { smoke: 3, paper: 10 },
  run(p, key, ctx) {
    const setting = buildKongMixture(p, key);
    const curves: Curve[] = [];
    const total = p.orders.length * (p.ts.length + p.ns.length);
    let done = 0;
    for (const order of p.orders) {
      const method = `moments (${order === "magnitude" ? "|λ|" : "λ"} order)`;
      const err = (n: number, t: number, k: ReturnType<typeof foldIn>) => {
        const { U } = stageOneSubspace(setting, { k: p.k, n1: n, t1: t, order, sampler: p.sampler }, k);
        ctx.progress(++done, total);
        return subspaceResidualError(U, setting.truth.V, setting.truth.rho);
      };
      // Same tasks for both orders: the keys depend on the sweep point only.
      const yT = p.ts.map((t) =>
        err(Math.floor(p.total / t), t, foldIn(foldInString(key, "fixed-total"), t)),
      );
      curves.push(kongCurve({ method, sweep: `n·t = ${p.total}` }, X_PER_TASK, SUBSPACE_Y, [...p.ts], yT));
      const yN = p.ns.map((n) => err(n, p.t, foldIn(foldInString(key, "tasks"), n)));
      curves.push(kongCurve({ method, sweep: `t = ${p.t}` }, X_TASKS, SUBSPACE_Y, [...p.ns], yN));
    }
    return { status: "ok", curves, scalars: { rho: setting.truth.rho, delta: setting.delta } };
  },
};
