import { describe, expect, test } from "vitest";
import { Tape } from "../../autodiff/tape.js";
import { identity, type Mat, matFrom } from "../../linalg/mat.js";
import {
  allocTask,
  DenseSet,
  type LinearRepModel,
  sampleGroundTruth,
  sampleTask,
  type TaskData,
  type TaskSampleSet,
} from "../../models/index.js";
import { foldIn, key } from "../../rng/key.js";
import { stream } from "../../rng/stream.js";
import type { HeadPenalty } from "../headPenalty.js";
import { finishMetaGradient, startMetaGradient } from "../metaGradient.js";
import { getMethod, METHOD_IDS } from "../methods.js";
import {
  allocPenaltyWorkspace,
  finishPenalisedBatch,
  PENALISED_METHODS,
  penalisedTaskPhase,
} from "../penalisedMetaGradient.js";
import { relativeError } from "../testing.js";
import { allocWorkspace } from "../workspace.js";
import { type LabelledSet, networkMetaGradient, type RegressionTask } from "./metaGradient.js";
import { getNetworkMethod } from "./methods.js";
import { buildModel } from "./models.js";

/*
 * The oracle only this project can run: a linear "network" X ↦ X B w (one linear layer B, d × k',
 * then the head w, k' × 1: the MLP with one hidden width k', identity activation, no bias) is the
 * linear representation model of Collins et al., whose exact meta-gradients metarep has in closed
 * form (metaGradient.ts, SPEC §1.2). The autodiff — through the inner step, second order for the
 * exact methods — must give the same numbers to 1e-10 relative, for all five methods, in the
 * population (m = ∞: X = I_d, Y = θ*, loss ½‖Bw − θ*‖²) and with finite samples (loss (1/2m)‖XBw − y‖²).
 */

function setOf(set: TaskSampleSet, theta: Float64Array, d: number): LabelledSet {
  if (set.m === null) return { x: identity(d), y: matFrom(d, 1, Float64Array.from(theta)), weight: 0.5 };
  if (!(set instanceof DenseSet)) throw new Error("the oracle needs the direct sampler");
  return { x: matFrom(set.m, d, set.X), y: matFrom(set.m, 1, set.labels(theta)) };
}

function setup(mIn: number | null, mOut: number | null, kp: number, seed: number) {
  const model: LinearRepModel = {
    d: 7,
    k: 2,
    heads: "collins",
    mu: 0.7,
    headScale: 1,
    headMean: 0.3,
    sigma: 0.5,
    mIn,
    mOut,
    sampler: "direct",
  };
  const Bstar = sampleGroundTruth(key(seed), model.d, model.k);
  const sd = new Float64Array([1, 0.7]);
  const tasks: TaskData[] = [];
  const s = stream(key(seed + 1));
  for (let i = 0; i < 4; i++) {
    const t = allocTask(model);
    sampleTask(s, model, Bstar, sd, t);
    tasks.push(t);
  }
  const B = new Float64Array(model.d * kp);
  const w = new Float64Array(kp);
  const g = stream(foldIn(key(seed + 2), kp));
  g.fillNormal(B, 0, B.length, 0.6);
  g.fillNormal(w, 0, w.length, 0.6);
  return { d: model.d, tasks, B, w };
}

function closedForm(id: string, tasks: TaskData[], B: Mat, w: Float64Array, alpha: number): number[] {
  const ws = allocWorkspace(B.rows, B.cols);
  const p = { B, w };
  startMetaGradient(p, ws);
  for (const t of tasks) getMethod(id).taskGradient(p, t, alpha, ws);
  finishMetaGradient(p, ws, tasks.length, alpha);
  return [...ws.GB, ...ws.Gw];
}

/** Bouniot et al.'s penalised meta-gradient in closed form (penalisedMetaGradient.ts). */
function closedFormPenalised(
  id: string,
  tasks: TaskData[],
  B: Mat,
  w: Float64Array,
  alpha: number,
  penalty: HeadPenalty,
): number[] {
  const ws = allocWorkspace(B.rows, B.cols);
  const pws = allocPenaltyWorkspace(tasks.length, B.rows, B.cols);
  const p = { B, w };
  startMetaGradient(p, ws);
  tasks.forEach((t, i) => {
    penalisedTaskPhase(id, p, t, alpha, ws, pws, i);
  });
  finishPenalisedBatch(id, p, tasks, alpha, ws, pws, penalty);
  finishMetaGradient(p, ws, tasks.length, alpha);
  return [...ws.GB, ...ws.Gw];
}

function autodiff(
  id: string,
  tasks: RegressionTask[],
  d: number,
  B: Float64Array,
  w: Float64Array,
  alpha: number,
  penalty?: HeadPenalty,
): number[] {
  const model = buildModel(
    "mlp",
    { widths: [w.length], activation: "identity", bias: false },
    { inputs: d, outputs: 1 },
  );
  const out = [new Float64Array(B.length), new Float64Array(w.length)];
  networkMetaGradient(
    new Tape(),
    getNetworkMethod(id),
    { id: "mlp", model },
    [B, w],
    tasks,
    { alpha, steps: 1, loss: "half-mse" },
    out,
    penalty,
  );
  return [...out[0], ...out[1]];
}

const settings: [string, number | null, number | null, number][] = [
  ["population (m = ∞), k' = k", null, null, 2],
  ["finite samples (m_in = 5, m_out = 9), k' = k", 5, 9, 2],
  ["finite inner, population outer, wider learner k' = 3", 6, null, 3],
  ["population inner, finite outer", null, 8, 2],
];

describe.each(settings)(
  "autodiff meta-gradients equal the closed forms on a linear network, %s",
  (_n, mIn, mOut, kp) => {
    const { d, tasks, B, w } = setup(mIn, mOut, kp, 11);
    const regression: RegressionTask[] = tasks.map((t) => ({
      inner: setOf(t.inner, t.theta, d),
      outer: setOf(t.outer, t.theta, d),
    }));
    test.each([...METHOD_IDS])("%s to 1e-10 relative", (id) => {
      const alpha = 0.3;
      const exact = closedForm(id, tasks, matFrom(d, kp, B), w, alpha);
      const ad = autodiff(id, regression, d, B, w, alpha);
      expect(relativeError(ad, exact)).toBeLessThan(1e-10);
      expect(Math.max(...exact.map(Math.abs))).toBeGreaterThan(1e-3);
    });
  },
);

test("on the linear network the exact and first-order meta-gradients differ (the oracle sees the second order)", () => {
  const { d, tasks, B, w } = setup(5, 9, 2, 21);
  const regression = tasks.map((t) => ({
    inner: setOf(t.inner, t.theta, d),
    outer: setOf(t.outer, t.theta, d),
  }));
  expect(
    relativeError(autodiff("maml", regression, d, B, w, 0.3), autodiff("fo-maml", regression, d, B, w, 0.3)),
  ).toBeGreaterThan(1e-3);
  expect(
    relativeError(autodiff("anil", regression, d, B, w, 0.3), autodiff("fo-anil", regression, d, B, w, 0.3)),
  ).toBeGreaterThan(1e-3);
});

describe.each(settings)(
  "with Bouniot et al.'s head penalty, autodiff meta-gradients equal the closed forms on a linear network, %s",
  (_n, mIn, mOut, kp) => {
    const { d, tasks, B, w } = setup(mIn, mOut, kp, 31);
    const regression: RegressionTask[] = tasks.map((t) => ({
      inner: setOf(t.inner, t.theta, d),
      outer: setOf(t.outer, t.theta, d),
    }));
    test.each([...PENALISED_METHODS])("%s to 1e-10 relative", (id) => {
      const alpha = 0.3;
      const penalty = { lambdaCond: 0.05, lambdaNorm: 0.7 };
      const exact = closedFormPenalised(id, tasks, matFrom(d, kp, B), w, alpha, penalty);
      const ad = autodiff(id, regression, d, B, w, alpha, penalty);
      expect(relativeError(ad, exact)).toBeLessThan(1e-10);
      // The penalty moves the gradient: the oracle compares the penalised terms, not only the loss's.
      const plain = closedForm(id, tasks, matFrom(d, kp, B), w, alpha);
      expect(relativeError(exact, plain)).toBeGreaterThan(1e-3);
    });
  },
);
