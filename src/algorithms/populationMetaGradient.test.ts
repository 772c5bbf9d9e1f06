import { describe, expect, test } from "vitest";
import { matFrom } from "../linalg/mat.js";
import { allocTask, type LinearRepModel, sampleGroundTruth, sampleTask } from "../models/index.js";
import { foldIn, key } from "../rng/key.js";
import { stream } from "../rng/stream.js";
import { finishMetaGradient, startMetaGradient } from "./metaGradient.js";
import { type MetaTrainConfig, metaTrain } from "./metaTrain.js";
import { getMethod, METHOD_IDS } from "./methods.js";
import {
  allocPopulationWorkspace,
  finishPopulationGradient,
  startPopulationGradient,
} from "./populationMetaGradient.js";
import { relativeError } from "./testing.js";
import { allocWorkspace } from "./workspace.js";

/*
 * The span-coordinate population formulas against the d-dimensional ones of `metaGradient.ts`
 * (themselves checked against finite differences in metaGradient.test.ts): the same batch
 * gradient to rounding, and the same training runs.
 */

function population(d: number, k: number, mu: number, headMean: number): LinearRepModel {
  return {
    d,
    k,
    heads: "collins",
    mu,
    headScale: 1,
    headMean,
    sigma: 0,
    mIn: null,
    mOut: null,
    sampler: "projected",
  };
}

describe.each([
  ["k' = k", 3, 0, 1],
  ["wider learner k' = 5, non-zero head mean", 5, 0.4, 2],
])("population batch gradients in span coordinates, %s", (_name, kp, headMean, seed) => {
  const d = 20;
  const k = 3;
  const n = 7;
  const alpha = 0.4;
  const model = population(d, k, 0.6, headMean);
  const Bstar = sampleGroundTruth(key(seed), d, k);
  const sd = new Float64Array([1, 1, 0.6]);
  const task = allocTask(model);
  // A generic (B, w): neither orthonormal nor near B*, so every term is exercised.
  const raw = new Float64Array(d * kp + kp);
  stream(foldIn(key(seed), 7)).fillNormal(raw);
  const params = { B: matFrom(d, kp, raw.slice(0, d * kp)), w: raw.slice(d * kp) };

  test.each([...METHOD_IDS])("%s: G_B and G_w equal the d-dimensional formulas to 1e-13", (id) => {
    const m = getMethod(id);
    const ws = allocWorkspace(d, kp);
    const ref = allocWorkspace(d, kp);
    const pw = allocPopulationWorkspace(d, k, kp);
    startMetaGradient(params, ref);
    startPopulationGradient(params, Bstar, pw, ws);
    const s = stream(foldIn(key(seed), 8));
    for (let i = 0; i < n; i++) {
      sampleTask(s, model, Bstar, sd, task);
      m.taskGradient(params, task, alpha, ref);
      let tau = 0;
      for (const v of task.theta) tau += v * v;
      m.populationGradient!(params, { wStar: task.wStar, tau }, alpha, pw, ws.Gw);
    }
    finishMetaGradient(params, ref, n, alpha);
    finishPopulationGradient(params, Bstar, pw, ws, n);
    expect(relativeError(ws.GB, ref.GB)).toBeLessThan(1e-13);
    expect(relativeError(ws.Gw, ref.Gw)).toBeLessThan(1e-13);
  });
});

describe("metaTrain at the population loss: span coordinates vs the d-dimensional formulas", () => {
  const base = (w0Scale: number, mu: number): MetaTrainConfig => ({
    model: population(20, 3, mu, 0),
    methods: [...METHOD_IDS],
    kPrime: 3,
    n: 20,
    alpha: 0.5,
    beta: 0.5,
    iters: 150,
    w0Scale,
  });

  test.each([
    [0, 1],
    [1, 0.5],
    [3, 1],
  ])("‖w₀‖ = %s, µ = %s: every dist equal to 1e-9 relative while dist > 1e-6, same divergences", (w0, mu) => {
    const a = metaTrain({ ...base(w0, mu), populationFormulas: true }, key(11));
    const b = metaTrain({ ...base(w0, mu), populationFormulas: false }, key(11));
    for (let j = 0; j < a.traces.length; j++) {
      const ta = a.traces[j];
      const tb = b.traces[j];
      expect(ta.status).toBe(tb.status);
      expect(ta.diverged?.iteration).toBe(tb.diverged?.iteration);
      expect(ta.dist.length).toBe(tb.dist.length);
      let compared = 0;
      for (let t = 0; t < tb.dist.length; t++) {
        if (!(tb.dist[t] > 1e-6)) break;
        expect(Math.abs(ta.dist[t] - tb.dist[t])).toBeLessThan(1e-9 * tb.dist[t]);
        compared++;
      }
      expect(compared).toBeGreaterThanOrEqual(Math.min(10, tb.dist.length));
    }
    // Both reach the float64 floor where the reference does.
    for (let j = 0; j < a.traces.length; j++) {
      const last = b.traces[j].dist.at(-1)!;
      if (last < 1e-13) expect(a.traces[j].dist.at(-1)!).toBeLessThan(1e-13);
    }
  });
});
