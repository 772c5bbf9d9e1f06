import { describe, expect, test } from "vitest";
import { canonicalJson } from "../keys.js";
import { getExperiment } from "../registry.js";
import { resolveParams } from "../resolve.js";
import { runSeed } from "../runner.js";
import type { RunResult } from "../types.js";

const ctx = { progress: () => {}, warn: () => {} };

function run(id: string, overrides: Record<string, unknown>, size: "smoke" | null = "smoke"): RunResult {
  const e = getExperiment(id);
  return runSeed(e, resolveParams(e, size, overrides), 0, 0, ctx);
}

const curve = (r: RunResult, labels: Record<string, unknown>, yName: string) => {
  const c = r.curves.find(
    (c) => c.yName === yName && Object.entries(labels).every(([k, v]) => c.labels[k] === v),
  );
  if (!c) throw new Error(`no ${yName} curve ${JSON.stringify(labels)}`);
  return c;
};

describe("finn-sinusoid", () => {
  const tiny = {
    shots: [5],
    iters: 12,
    meta_batch: 3,
    eval_tasks: 3,
    query_points: 10,
    test_steps: 3,
    record_every: 4,
    model_options: { widths: [8, 8], activation: "relu", init_std: 0.01 },
  };

  test("the same seed gives the same bytes, and every method has a training and a post-adaptation curve", () => {
    const a = run("finn-sinusoid", tiny);
    const b = run("finn-sinusoid", tiny);
    expect(canonicalJson(a)).toBe(canonicalJson(b));
    for (const method of ["maml", "fo-maml", "anil", "avg-gd"]) {
      const mse = curve(a, { method, quantity: "mse" }, "mse");
      expect(mse.x).toEqual([0, 1, 2, 3]);
      expect(mse.y.every((v) => Number.isFinite(v) && v > 0)).toBe(true);
      expect(curve(a, { method, quantity: "meta-loss" }, "meta-loss").x).toEqual([1, 4, 8, 12]);
    }
  });

  test("every method starts from the same θ₀ on the same tasks: MAML and FO-MAML have the same first meta-loss", () => {
    const r = run("finn-sinusoid", { ...tiny, iters: 1, record_every: 1 });
    // The first meta-loss is the loss after the inner step from θ₀: the same for MAML and FO-MAML.
    expect(curve(r, { method: "maml" }, "meta-loss").y[0]).toBe(
      curve(r, { method: "fo-maml" }, "meta-loss").y[0],
    );
  });

  test("a width of 0 is a one-line error naming the option", () => {
    expect(() => run("finn-sinusoid", { model_options: { widths: [40, 0] } })).toThrow(
      /"model_options\.widths\[1\]" must be ≥ 1; got 0/,
    );
    expect(() => run("finn-sinusoid", { model: "resnet" })).toThrow(
      /"model" must be a registered model \(mlp/,
    );
  });

  test("a divergent step size is status diverged with the iteration, not a throw", () => {
    const r = run("finn-sinusoid", { ...tiny, methods: ["maml"], alpha: 30, optimizer: "sgd", beta: 5 });
    expect(r.status).toBe("diverged");
    const c = curve(r, { method: "maml" }, "meta-loss");
    expect(c.status).toBe("diverged");
    expect(c.diverged!.iteration).toBeGreaterThanOrEqual(1);
    expect(c.diverged!.iteration).toBeLessThanOrEqual(tiny.iters);
  });
});

describe("nonlinear-representation", () => {
  test("at smoke size ANIL learns the ReLU network's subspace and Avg-GD does not; lower µ is slower", () => {
    const r = run("nonlinear-representation", {});
    const anil = curve(r, { method: "anil", mu: 1 }, "dist");
    const avg = curve(r, { method: "avg-gd", mu: 1 }, "dist");
    expect(anil.y[0]).toBeGreaterThan(0.9);
    expect(anil.metrics.final!).toBeLessThan(0.2);
    expect(avg.metrics.final!).toBeGreaterThan(0.9);
    expect(curve(r, { method: "anil", mu: 0.5 }, "dist").metrics.final!).toBeGreaterThan(anil.metrics.final!);
  });

  test("µ runs min(iters, ⌈iters_at_1/µ²⌉) iterations, a prefix of the run at the full horizon", () => {
    const o = { iters: 40, mus: [1, 0.5], n: 4, m_in: 20, m_out: 20 };
    const short = run("nonlinear-representation", { ...o, iters_at_1: 8 });
    const full = run("nonlinear-representation", { ...o, iters_at_1: null });
    for (const method of ["anil", "fo-anil", "avg-gd"]) {
      const s1 = curve(short, { method, mu: 1 }, "dist");
      const s05 = curve(short, { method, mu: 0.5 }, "dist");
      expect(s1.y.length).toBe(8 + 1);
      expect(s05.y.length).toBe(32 + 1);
      expect(s1.y).toEqual(curve(full, { method, mu: 1 }, "dist").y.slice(0, 9));
      expect(s05.y).toEqual(curve(full, { method, mu: 0.5 }, "dist").y.slice(0, 33));
      expect(curve(full, { method, mu: 1 }, "dist").y.length).toBe(41);
    }
  });

  test("the rate is fitted on the contraction phase, not on the finite-sample floor below it", () => {
    const r = run("nonlinear-representation", { mus: [1] });
    const anil = curve(r, { method: "anil", mu: 1 }, "dist");
    const end = anil.metrics["firstBelow1e-1"]!;
    expect(end).toBeGreaterThan(0);
    // An independent least-squares fit of log dist on t over the points in (0.1, 0.5) before `end`.
    const pts = anil.y.map((y, t) => [t, y] as const).filter(([t, y]) => t < end && y > 0.1 && y < 0.5);
    const mt = pts.reduce((a, [t]) => a + t, 0) / pts.length;
    const my = pts.reduce((a, [, y]) => a + Math.log(y), 0) / pts.length;
    const slope =
      pts.reduce((a, [t, y]) => a + (t - mt) * (Math.log(y) - my), 0) /
      pts.reduce((a, [t]) => a + (t - mt) ** 2, 0);
    expect(anil.metrics.rate!).toBeCloseTo(Math.exp(slope), 12);
    // A contraction, far from the ≈ 1 a window reaching down onto the floor gave.
    expect(anil.metrics.rate!).toBeLessThan(0.99);
    expect(anil.metrics.final!).toBeLessThan(0.1);
  });

  test("the same seed gives the same bytes", () => {
    const o = { iters: 20, mus: [1] };
    expect(canonicalJson(run("nonlinear-representation", o))).toBe(
      canonicalJson(run("nonlinear-representation", o)),
    );
  });

  test("a divergent step size is status diverged, and bad dimensions are one line", () => {
    const r = run("nonlinear-representation", {
      iters: 50,
      mus: [1],
      alpha: 50,
      beta: 50,
      methods: ["anil"],
    });
    expect(r.status).toBe("diverged");
    expect(r.curves[0].diverged!.iteration).toBeGreaterThanOrEqual(1);
    expect(() => run("nonlinear-representation", { k: 30 })).toThrow(/"k" must be ≤ d \(= 10\); got 30/);
  });
});
