import { z } from "zod";
import { getEstimator } from "../algorithms/representation/estimators.js";
import { taskHeads } from "../algorithms/representation/heads.js";
import { headDiagnostics } from "../metrics/conditioning.js";
import { fitLogLogLine } from "../metrics/loglogSlope.js";
import { subspaceDistance } from "../metrics/subspace.js";
import { sampleSourceTasks } from "../models/fewShotTasks.js";
import { checkFewShot, fewShotFields, fewShotModel, fewShotStatus, fitMethods } from "./fewShot.js";
import { listOf, posInt } from "./params.js";
import type { Curve, Experiment } from "./types.js";

const { T: _T, n1: _n1, n2: _n2, targets: _t, ridge: _r, ...fields } = fewShotFields;

const schema = z
  .strictObject({
    ...fields,
    d: fields.d.default(100),
    k: fields.k.default(5),
    heads: fields.heads.default("scaled"),
    methods: fields.methods.default(["mom", "bm"]),
    Ts: listOf(posInt()).default([100, 200, 400, 800, 1600, 3200, 6400]).describe("source tasks T"),
    n1s: listOf(posInt()).default([5, 25, 300]).describe("rows per source task n1"),
    max_rows: posInt()
      .default(500_000)
      .describe("skip settings with n1·T above this (X is materialised: n1·T·d doubles)"),
  })
  .superRefine(checkFewShot);

/**
 * Tripuraneni, Jin, Jordan (ICML 2021), "Provable meta-learning of linear representations": the
 * subspace error sin θ = dist(B̂, B*) (unsquared) of the method-of-moments estimator and of
 * Burer–Monteiro factored ERM as the number of source tasks T grows, for several n1, in the setting
 * d=100, k=5, heads N(0, I_k/k) (defaults ours where the paper's are not restated). MoM's error
 * falls roughly like 1/√(n1T); BM (the rank-k least-squares fit) is below it. Settings with
 * n1·T > `max_rows` are skipped with a warning and a `skipped[n1=…,T=…]` scalar (memory).
 * Curves: {method, n1, quantity: "sin θ"} over T (metric `slope`), learned-head `cond(Ŵ)`, and the
 * true heads' `cond(W*)` per n1.
 */
export const tripuraneniMom: Experiment<typeof schema> = {
  id: "tripuraneni-mom",
  title: "Subspace error of the method of moments and Burer–Monteiro vs the number of tasks",
  paper: "Tripuraneni, Jin, Jordan. Provable Meta-Learning of Linear Representations. ICML 2021",
  description: "sin θ(B̂, B*) of MoM and Burer–Monteiro vs T, for n1 ∈ {5, 25, 300}, d=100, k=5",
  figures: ["fewshot-sintheta"],
  params: schema,
  sizes: { smoke: { d: 30, k: 3, Ts: [100, 400, 1600], n1s: [5, 25] }, paper: {} },
  seeds: { smoke: 1, paper: 3 },
  run(p, key, ctx) {
    const model = fewShotModel({ ...p, T: 1, n1: 1, n2: 1, targets: 1, ridge: 0 });
    const curves: Curve[] = [];
    const scalars: Record<string, number | null> = {};
    const total = p.n1s.length * p.Ts.length;
    let done = 0;
    for (const n1 of p.n1s) {
      const Ts: number[] = [];
      const dist = p.methods.map(() => [] as number[]);
      const cond = p.methods.map(() => [] as number[]);
      const condTruth: number[] = [];
      for (const T of p.Ts) {
        ctx.progress(done++, total);
        if (n1 * T > p.max_rows) {
          ctx.warn(
            `tripuraneni-mom: skipped n1=${n1}, T=${T} (n1·T = ${n1 * T} rows > max_rows = ${p.max_rows})`,
          );
          scalars[`skipped[n1=${n1},T=${T}]`] = 1;
          continue;
        }
        const src = sampleSourceTasks(model, T, n1, key);
        Ts.push(T);
        condTruth.push(headDiagnostics(src.W).condition);
        const fits = fitMethods({ ...p, T, n1, n2: 1, targets: 1, ridge: 0 }, src.data, src.Bstar, key, ctx);
        p.methods.forEach((m, i) => {
          const fit = fits[i];
          dist[i].push(getEstimator(m).learns ? subspaceDistance(fit.B, src.Bstar) : 1);
          const c = getEstimator(m).learns
            ? headDiagnostics(taskHeads(src.data, fit.B)).condition
            : Number.NaN;
          cond[i].push(Number.isFinite(c) ? c : Number.MAX_VALUE);
        });
      }
      ctx.progress(done, total);
      const curve = (
        labels: Curve["labels"],
        yName: string,
        y: number[],
        metrics: Curve["metrics"] = {},
      ): Curve => ({
        labels: { ...labels, n1, quantity: yName },
        xName: "T",
        yName,
        x: Ts,
        y,
        metrics: { final: y.length ? y[y.length - 1] : null, ...metrics },
        status: "ok",
      });
      p.methods.forEach((method, i) => {
        curves.push(
          curve({ method }, "sin θ", dist[i], { slope: fitLogLogLine(Ts, dist[i])?.slope ?? null }),
        );
        curves.push(curve({ method }, "cond(Ŵ)", cond[i]));
      });
      curves.push(
        curve(
          {},
          "cond(W*)",
          condTruth.map((c) => (Number.isFinite(c) ? c : Number.MAX_VALUE)),
        ),
      );
    }
    return { status: fewShotStatus(curves), curves, scalars };
  },
};
