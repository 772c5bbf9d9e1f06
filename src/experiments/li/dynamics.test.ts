import { beforeAll, describe, expect, test } from "vitest";
import { resolveParams } from "../resolve.js";
import { runSeeds, type TestRun } from "../testing.js";
import type { Curve } from "../types.js";
import { liDynamics } from "./dynamics.js";

const ctx = { progress: () => {}, warn: () => {} };

/* The documented setting (liFields; see liMultitaskCnn.test.ts), alignments every 25 steps. */
describe("li-dynamics: feature learning under multi-task training, noise memorisation under single-task", () => {
  let rec: TestRun;
  beforeAll(() => {
    const params = resolveParams(liDynamics, null, { record_every: 25 }) as Record<string, unknown>;
    rec = runSeeds({
      experiment: liDynamics,
      params,
      size: null,
      seed: 0,
      seedIndices: [0, 1],
      command: "test",
      ctx,
    });
  });
  const curve = (r: TestRun["result"]["seeds"][0], method: string, feature: string): Curve => {
    const c = r.curves.find((cv) => cv.labels.method === method && cv.labels.feature === feature);
    if (!c) throw new Error(`no ${method} ${feature} curve`);
    return c;
  };

  test("curves are recorded at steps 0, 25, …, 100 for u, v and noise under both kinds of training", () => {
    expect(rec.status).toBe("ok");
    for (const r of rec.result.seeds)
      for (const method of ["single", "multi"])
        for (const feature of ["u", "v", "noise"]) {
          const c = curve(r, method, feature);
          expect(c.x).toEqual([0, 25, 50, 75, 100]);
          expect(c.yName).toBe("alignment");
          expect(c.metrics.initial).toBe(c.y[0]);
          expect(c.metrics.final).toBe(c.y[4]);
        }
  });

  test("both start from the same initialisation: equal alignments at step 0", () => {
    for (const r of rec.result.seeds) {
      // (The single-task value is a mean of K equal numbers: equal up to rounding.)
      expect(curve(r, "single", "u").y[0]).toBeCloseTo(curve(r, "multi", "u").y[0], 14);
      // Noise alignment is a mean over each one's own training examples: the union vs one task.
      expect(curve(r, "single", "noise").y[0]).toBeCloseTo(curve(r, "multi", "noise").y[0], 1);
    }
  });

  test("multi-task training: the shared-feature alignment grows more than 20-fold and ends above the noise alignment", () => {
    for (const r of rec.result.seeds) {
      const u = curve(r, "multi", "u");
      expect(u.metrics.final!).toBeGreaterThan(20 * u.metrics.initial!);
      expect(u.metrics.final!).toBeGreaterThan(5 * curve(r, "multi", "noise").metrics.final!);
    }
  });

  test("single-task training: the noise alignment grows more than 10-fold and dominates the shared-feature alignment", () => {
    for (const r of rec.result.seeds) {
      const noise = curve(r, "single", "noise");
      const u = curve(r, "single", "u");
      expect(noise.metrics.final!).toBeGreaterThan(10 * noise.metrics.initial!);
      expect(noise.metrics.final!).toBeGreaterThan(10 * u.metrics.final!);
      // …and u stays near its initial alignment: less than 3-fold.
      expect(u.metrics.final!).toBeLessThan(3 * u.metrics.initial!);
      // The multi-task network aligns with u far more than the single-task ones.
      expect(curve(r, "multi", "u").metrics.final!).toBeGreaterThan(20 * u.metrics.final!);
    }
  });

  test("the strong task features are learned by both kinds of training", () => {
    for (const r of rec.result.seeds)
      for (const method of ["single", "multi"]) {
        const v = curve(r, method, "v");
        expect(v.metrics.final!).toBeGreaterThan(10 * v.metrics.initial!);
      }
  });
});
