import { type ModelRef, type RegressionTask, setLoss } from "../../algorithms/network/metaGradient.js";
import { getNetworkMethod } from "../../algorithms/network/methods.js";
import { buildModel } from "../../algorithms/network/models.js";
import { ADAM, trainNetwork } from "../../algorithms/network/train.js";
import { grad } from "../../autodiff/grad.js";
import { Tape } from "../../autodiff/tape.js";
import { sinusoidTrainTasks } from "../../experiments/finn/sinusoid.js";
import {
  drawSinusoid,
  drawSinusoidSet,
  FINN_SINUSOID,
  type Sinusoid,
  sinusoidAt,
} from "../../models/sinusoid.js";
import { foldIn, foldInString, key } from "../../rng/key.js";
import { stream } from "../../rng/stream.js";

/**
 * The sinusoid demonstration of the page (Finn et al. ICML 2017, Figure 2): meta-train MAML and a
 * network pretrained on all tasks (Avg-GD) on the same sines, then draw a new sine, show K of its
 * points, and adapt both networks to them step by step. Pure functions over the library (the
 * page's worker calls them), so the demo computes the same bytes in Node and in the browser.
 */
export interface DemoSettings {
  widths: number[];
  shots: number;
  metaBatch: number;
  iters: number;
  alpha: number;
  beta: number;
  seed: number;
}

/** Small enough to meta-train in seconds in a browser; Finn et al.'s shape otherwise. */
export const DEMO_DEFAULTS: DemoSettings = {
  widths: [40, 40],
  shots: 10,
  metaBatch: 10,
  iters: 1500,
  alpha: 0.01,
  beta: 0.01,
  seed: 0,
};

export interface TrainedDemo {
  settings: DemoSettings;
  model: ModelRef;
  /** Meta-learned (MAML) and pretrained (Avg-GD) parameters. */
  maml: Float64Array[];
  pretrained: Float64Array[];
}

/** Meta-train both networks from the same start; `progress(done, total)` after each iteration. */
export function trainDemo(s: DemoSettings, progress?: (done: number, total: number) => void): TrainedDemo {
  const model = {
    id: "mlp",
    model: buildModel(
      "mlp",
      { widths: s.widths, activation: "relu", init_std: 0.01 },
      { inputs: 1, outputs: 1 },
    ),
  };
  const k = key(s.seed);
  const init = model.model.init(foldInString(k, "init"));
  const trained: Float64Array[][] = [];
  (["maml", "avg-gd"] as const).forEach((id, i) => {
    const params = init.map((p) => Float64Array.from(p));
    trainNetwork(
      {
        method: getNetworkMethod(id),
        model,
        inner: { alpha: s.alpha, steps: 1, loss: "mse" },
        beta: s.beta,
        iterations: s.iters,
        optimizer: ADAM,
      },
      params,
      (t) => sinusoidTrainTasks(k, FINN_SINUSOID, s.metaBatch, s.shots, t),
      (t) => {
        if (t % 25 === 0) progress?.(i * s.iters + t, 2 * s.iters);
      },
    );
    trained.push(params);
  });
  return { settings: s, model, maml: trained[0], pretrained: trained[1] };
}

/** The grid of x the curves are drawn on (101 points over [−5, 5]). */
export function demoGrid(): Float64Array {
  const x = new Float64Array(101);
  for (let i = 0; i < x.length; i++)
    x[i] = FINN_SINUSOID.xMin + (i * (FINN_SINUSOID.xMax - FINN_SINUSOID.xMin)) / 100;
  return x;
}

/** A new sine (the `n`-th of the demo's test stream) and its K support points. */
export function demoTask(
  s: DemoSettings,
  n: number,
): { sine: Sinusoid; support: { x: number[]; y: number[] } } {
  const st = stream(foldIn(foldInString(key(s.seed), "demo-test"), n));
  const sine = drawSinusoid(st, FINN_SINUSOID);
  const set = drawSinusoidSet(st, FINN_SINUSOID, sine, s.shots);
  return { sine, support: { x: [...set.x.data], y: [...set.y.data] } };
}

/** One network's predictions on the grid after 0…steps GD steps on the support points. */
export interface AdaptedCurves {
  /** predictions[s][i]: the prediction at grid[i] after s steps. */
  predictions: number[][];
  /** MSE against the true sine on the grid after each step. */
  mse: number[];
}

/** Adapt a network to the support points (every parameter, step α) and record its predictions. */
export function adaptDemo(
  trained: TrainedDemo,
  which: "maml" | "pretrained",
  n: number,
  steps: number,
): AdaptedCurves {
  const { sine, support } = demoTask(trained.settings, n);
  const grid = demoGrid();
  const truth = sinusoidAt(sine, grid);
  const K = support.x.length;
  const task: RegressionTask = {
    inner: {
      x: { rows: K, cols: 1, data: Float64Array.from(support.x) },
      y: { rows: K, cols: 1, data: Float64Array.from(support.y) },
    },
    outer: { x: { rows: grid.length, cols: 1, data: grid }, y: { rows: grid.length, cols: 1, data: truth } },
  };
  const predictions: number[][] = [];
  const tape = new Tape();
  let params: Float64Array[] = (which === "maml" ? trained.maml : trained.pretrained).map((p) =>
    Float64Array.from(p),
  );
  const inner = { alpha: trained.settings.alpha, steps: 1, loss: "mse" as const };
  const mse: number[] = [];
  for (let s = 0; s <= steps; s++) {
    tape.reset();
    const x = tape.constant(grid, grid.length, 1);
    const theta = trained.model.model.shapes.map(([r, c], i) => tape.constant(params[i], r, c));
    const f = trained.model.model.forward(theta, x);
    predictions.push([...f.data]);
    let err = 0;
    for (let i = 0; i < grid.length; i++) err += (f.data[i] - truth[i]) * (f.data[i] - truth[i]);
    mse.push(err / grid.length);
    if (s === steps) break;
    params = stepOnce(trained.model, params, task, inner);
  }
  return { predictions, mse };
}

/** One plain GD step of every parameter on the support set (MSE), as at test time. */
function stepOnce(
  m: ModelRef,
  params: Float64Array[],
  task: RegressionTask,
  inner: { alpha: number; steps: number; loss: "mse" },
): Float64Array[] {
  const tape = new Tape();
  const vars = m.model.shapes.map(([r, c], i) => tape.variable(params[i], r, c));
  const g = grad(setLoss(tape, m, vars, task.inner, inner.loss), vars);
  return params.map((p, i) => {
    const q = Float64Array.from(p);
    const gi = g[i].data;
    for (let j = 0; j < q.length; j++) q[j] -= inner.alpha * gi[j];
    return q;
  });
}
