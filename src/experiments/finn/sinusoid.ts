import { z } from "zod";
import { adaptAndEvaluate, type RegressionTask } from "../../algorithms/network/metaGradient.js";
import { getNetworkMethod, networkMethods } from "../../algorithms/network/methods.js";
import { buildModel } from "../../algorithms/network/models.js";
import { ADAM, trainNetwork } from "../../algorithms/network/train.js";
import { Tape } from "../../autodiff/tape.js";
import {
  checkSinusoidFamily,
  drawSinusoid,
  drawSinusoidSet,
  FINN_SINUSOID,
  type SinusoidFamily,
} from "../../models/sinusoid.js";
import { foldIn, foldInString, type Key } from "../../rng/key.js";
import { stream } from "../../rng/stream.js";
import { listOf, posInt, positive, registeredId } from "../params.js";
import type { Curve, Experiment, RunContext, RunResult } from "../types.js";
import { finnSinusoidClaims } from "./claims.js";
import { checkModelOptions, copyParams, modelFields, storedDivergence } from "./common.js";
import { finnFigures } from "./figures.js";

const schema = z
  .strictObject({
    shots: listOf(posInt()).default([5, 10]).describe("K, points per task (inner and outer sets alike)"),
    ...modelFields({ widths: [40, 40], activation: "relu", init_std: 0.01 }),
    methods: listOf(registeredId(networkMethods))
      .default(["maml", "fo-maml", "anil", "avg-gd"])
      .describe("network methods (avg-gd: the network pretrained on all tasks, then fine-tuned)"),
    alpha: positive().default(0.01).describe("inner step size α (also at test time)"),
    beta: positive().default(0.001).describe("outer step size β"),
    optimizer: z.enum(["adam", "sgd"]).default("adam").describe("outer optimiser (Finn et al.: Adam)"),
    meta_batch: posInt().default(25).describe("tasks per outer iteration"),
    inner_steps: posInt().default(1).describe("inner GD steps during meta-training"),
    iters: posInt().default(70000).describe("outer iterations (Finn et al.: 70 000)"),
    record_every: posInt().default(500).describe("record the meta-training loss every this many iterations"),
    test_steps: posInt().default(10).describe("gradient steps at test time"),
    eval_tasks: posInt().default(100).describe("test tasks (each: K support points, query points)"),
    query_points: posInt().default(100).describe("query points per test task where the MSE is measured"),
    amp_min: positive().default(FINN_SINUSOID.ampMin).describe("smallest amplitude A"),
    amp_max: positive().default(FINN_SINUSOID.ampMax).describe("largest amplitude A"),
    phase_min: z.number().default(FINN_SINUSOID.phaseMin).describe("smallest phase φ"),
    phase_max: z.number().default(FINN_SINUSOID.phaseMax).describe("largest phase φ (π)"),
    x_min: z.number().default(FINN_SINUSOID.xMin).describe("inputs x ~ U[x_min, x_max]"),
    x_max: z.number().default(FINN_SINUSOID.xMax).describe("inputs x ~ U[x_min, x_max]"),
  })
  .superRefine(checkModelOptions)
  .superRefine((p, ctx) => {
    for (const [lo, hi] of [
      ["amp_min", "amp_max"],
      ["phase_min", "phase_max"],
      ["x_min", "x_max"],
    ] as const)
      if (p[hi] < p[lo])
        ctx.addIssue({ code: "custom", path: [hi], message: `must be ≥ ${lo} (= ${p[lo]})`, input: p[hi] });
  });

export type FinnSinusoidParams = z.output<typeof schema>;

function familyOf(p: FinnSinusoidParams): SinusoidFamily {
  const f = {
    ampMin: p.amp_min,
    ampMax: p.amp_max,
    phaseMin: p.phase_min,
    phaseMax: p.phase_max,
    xMin: p.x_min,
    xMax: p.x_max,
  };
  checkSinusoidFamily(f);
  return f;
}

/**
 * The meta-training tasks of iteration t: one stream per iteration (keyed by t, so every method
 * sees the same tasks), each task a sine, K inner points and K outer points (Finn et al.: D and D′).
 */
export function sinusoidTrainTasks(
  key: Key,
  f: SinusoidFamily,
  n: number,
  shots: number,
  t: number,
): RegressionTask[] {
  const s = stream(foldIn(foldInString(key, "train"), t));
  const tasks: RegressionTask[] = [];
  for (let i = 0; i < n; i++) {
    const sine = drawSinusoid(s, f);
    tasks.push({ inner: drawSinusoidSet(s, f, sine, shots), outer: drawSinusoidSet(s, f, sine, shots) });
  }
  return tasks;
}

/** The test tasks: K support points to adapt on, `query` points to measure the MSE on. */
function testTasks(key: Key, f: SinusoidFamily, n: number, shots: number, query: number): RegressionTask[] {
  const s = stream(foldInString(key, "test"));
  const tasks: RegressionTask[] = [];
  for (let i = 0; i < n; i++) {
    const sine = drawSinusoid(s, f);
    tasks.push({ inner: drawSinusoidSet(s, f, sine, shots), outer: drawSinusoidSet(s, f, sine, query) });
  }
  return tasks;
}

/**
 * One K: meta-train each method from the same θ₀ on the same tasks, then adapt it to each test
 * task with `test_steps` GD steps of size α on its K points (ANIL and FO-ANIL adapt the head, the
 * others every parameter) and measure the MSE on the query points after each step.
 */
export function runFinnSinusoid(p: FinnSinusoidParams, shots: number, key: Key, ctx: RunContext): RunResult {
  const f = familyOf(p);
  const model = { id: p.model, model: buildModel(p.model, p.model_options, { inputs: 1, outputs: 1 }) };
  const init = model.model.init(foldInString(key, "init"));
  const tests = testTasks(key, f, p.eval_tasks, shots, p.query_points);
  const inner = { alpha: p.alpha, steps: p.inner_steps, loss: "mse" as const };
  const tape = new Tape();
  const curves: Curve[] = [];
  const total = p.methods.length * p.iters;
  p.methods.forEach((id, mi) => {
    const method = getNetworkMethod(id);
    const xs: number[] = [];
    const ys: number[] = [];
    const res = trainNetwork(
      {
        method,
        model,
        inner,
        beta: p.beta,
        iterations: p.iters,
        optimizer: p.optimizer === "adam" ? ADAM : { kind: "sgd" },
      },
      copyParams(init),
      (t) => sinusoidTrainTasks(key, f, p.meta_batch, shots, t),
      (t, _params, loss) => {
        if (loss !== null && (t % p.record_every === 0 || t === 1 || t === p.iters)) {
          xs.push(t);
          ys.push(loss);
        }
        if (t % 100 === 0) ctx.progress(mi * p.iters + t, total);
      },
      ctx.signal,
    );
    // `quantity` keeps the two curves of a method apart (records group curves by their labels).
    const train: Curve = {
      labels: { method: id, quantity: "meta-loss" },
      xName: "iteration",
      yName: "meta-loss",
      x: xs,
      y: ys,
      metrics: { final: ys.length ? ys[ys.length - 1] : null },
      status: res.status,
    };
    if (res.diverged) train.diverged = storedDivergence(res.diverged);
    curves.push(train);
    if (res.status === "diverged") return; // nothing to adapt: the training curve says where it blew up
    const which = method.inner === "head" ? "head" : "all";
    const sum = new Array<number>(p.test_steps + 1).fill(0);
    for (const task of tests) {
      const losses = adaptAndEvaluate(tape, model, res.params, task, which, {
        ...inner,
        steps: p.test_steps,
      });
      for (let s = 0; s <= p.test_steps; s++) sum[s] += losses[s];
    }
    const mse = sum.map((v) => v / tests.length);
    curves.push({
      labels: { method: id, quantity: "mse" },
      xName: "gradient steps",
      yName: "mse",
      x: mse.map((_, s) => s),
      y: mse,
      metrics: { "step 0": mse[0], "step 1": mse[Math.min(1, p.test_steps)], final: mse[p.test_steps] },
      status: "ok",
    });
  });
  ctx.progress(total, total);
  return {
    status: curves.some((c) => c.status === "diverged") ? "diverged" : "ok",
    curves,
    scalars: {},
  };
}

/**
 * Finn, Abbeel, Levine (ICML 2017), §5.1 and Figure 2: sinusoid regression. A task is
 * y = A sin(x + φ), A ∈ [0.1, 5], φ ∈ [0, π], x ∈ [−5, 5]; a 40-40 ReLU network meets K ∈ {5, 10}
 * points; one inner step of α = 0.01 (MSE loss), meta-batch 25, Adam with β = 0.001. The figure: the
 * MSE on a new sine after 0…10 gradient steps from the meta-learned initialisation (MAML,
 * FO-MAML, ANIL) and from a network pretrained on all tasks (Avg-GD), fine-tuned with the same α.
 * The paper reports that MAML keeps improving with more steps and that the pretrained network
 * barely moves (it learned the mean function, ≈ 0).
 */
export const finnSinusoid: Experiment<typeof schema> = {
  id: "finn-sinusoid",
  title: "MAML's initialisation adapts to a new sine in a few steps; a pretrained network does not",
  family: "finn",
  paper: "Finn, Abbeel, Levine. Model-Agnostic Meta-Learning for Fast Adaptation of Deep Networks. ICML 2017",
  description: "sinusoid regression: post-adaptation MSE vs test-time gradient steps, K ∈ {5, 10}",
  figures: finnFigures["finn-sinusoid"],
  params: schema,
  sizes: {
    smoke: {
      shots: [5, 10],
      model_options: { widths: [20, 20], activation: "relu", init_std: 0.01 },
      meta_batch: 5,
      iters: 60,
      record_every: 20,
      beta: 0.01,
      eval_tasks: 8,
      query_points: 50,
      test_steps: 5,
    },
    paper: {},
  },
  seeds: { smoke: 2, paper: 3 },
  optIn:
    "its paper size (Finn et al.'s 70,000 meta-iterations per method, K and seed) takes about 8 CPU-hours; run it by name",
  conditions: (p) => p.shots.map((shots) => ({ shots })),
  cost: (p, c) => p.iters * p.meta_batch * (c.shots as number) * p.methods.length,
  runCondition: (p, c, key, ctx) => runFinnSinusoid(p, c.shots as number, key, ctx),
  claims: finnSinusoidClaims,
};
