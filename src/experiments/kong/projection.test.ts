import { beforeAll, describe, expect, test } from "vitest";
import { ParamValidationError } from "../params.js";
import { resolveParams } from "../resolve.js";
import { median, runExperiment as run, type TestRun } from "../testing.js";
import type { Curve, RunResult } from "../types.js";
import { clusterNumbers, kongProjection } from "./projection.js";
import { COMPONENT_POINTS, TASK_POINTS } from "./quantities.js";

// Defaults: d = 32, k = 4, orthonormal components (Δ = √2), s = 1, n2 = 128 heavy tasks, L = 1.

const tasksOf = (r: RunResult) => r.curves.filter((c) => c.labels.quantity === TASK_POINTS);
const centreOf = (r: RunResult, l: number): [number, number] => {
  const c = r.curves.find((c) => c.labels.quantity === COMPONENT_POINTS && c.labels.component === l) as Curve;
  return [c.x[0], c.y[0]];
};
/** Per component, its tasks' 2-D points (whatever cluster they were assigned to). */
function pointsByComponent(r: RunResult, k: number): [number, number][][] {
  const out: [number, number][][] = Array.from({ length: k }, () => []);
  for (const c of tasksOf(r))
    c.x.forEach((x, i) => {
      out[c.labels.component as number].push([x, c.y[i]]);
    });
  return out;
}
const scalar = (rec: TestRun, name: string) => rec.result.seeds.map((s) => s.scalars[name] as number);

describe("kong-projection", () => {
  describe("well separated components (Δ = 3) and 2×32 examples per heavy task", () => {
    let rec: TestRun;
    beforeAll(() => {
      rec = run(kongProjection, { components: "separated", delta: 3, t2: 32 }, [0, 1, 2]);
    });

    test("accuracy is ≥ 0.95 on every seed", () => {
      for (const a of scalar(rec, "clustering_acc")) expect(a).toBeGreaterThanOrEqual(0.95);
    });

    test("each component's points are centred on its Ûᵀw (within 4 standard errors per axis) and nearest to it", () => {
      for (const r of rec.result.seeds) {
        const byComp = pointsByComponent(r, 4);
        const centres = [0, 1, 2, 3].map((l) => centreOf(r, l));
        let nearestOwn = 0;
        byComp.forEach((pts, l) => {
          expect(pts.length).toBeGreaterThan(10);
          for (const axis of [0, 1]) {
            const v = pts.map((p) => p[axis]);
            const m = v.reduce((s, x) => s + x, 0) / v.length;
            const sd = Math.sqrt(v.reduce((s, x) => s + (x - m) ** 2, 0) / (v.length - 1));
            expect(Math.abs(m - centres[l][axis])).toBeLessThan((4 * sd) / Math.sqrt(v.length));
          }
          for (const p of pts) {
            const dist = centres.map((c) => Math.hypot(p[0] - c[0], p[1] - c[1]));
            if (dist.indexOf(Math.min(...dist)) === l) nearestOwn++;
          }
        });
        // The view separates the components: in 2-D, nearly every task is nearest its own centre.
        expect(nearestOwn / 128).toBeGreaterThanOrEqual(0.95);
      }
    });
  });

  test("the estimates scatter around Ûᵀw_c as the model says: E‖Ûᵀβ̂ − Ûᵀw‖² = (k(‖w‖² + s²) + ‖Ûᵀw‖²)/(2L·t₂)", () => {
    // Mean of 2L parts = least-squares moments on 2L·t₂ = 32 examples; ‖w‖ = s = 1, k = 4.
    for (const o of [
      { t2: 16, L: 1 },
      { t2: 8, L: 2 },
    ]) {
      const rec = run(kongProjection, o, [0, 1, 2, 3]);
      const ms = median(scalar(rec, "estimate_rms").map((r) => r * r));
      expect(ms / ((4 * 2 + 1) / 32)).toBeGreaterThan(0.9);
      expect(ms / ((4 * 2 + 1) / 32)).toBeLessThan(1.1);
    }
  });

  test("every heavy task is one point, and 'assigned = component' marks exactly the correctly clustered tasks", () => {
    const rec = run(kongProjection, { t2: 32 }, [0, 1]);
    for (const r of rec.result.seeds) {
      const tasks = tasksOf(r);
      expect(tasks.reduce((s, c) => s + c.x.length, 0)).toBe(128);
      for (const c of tasks) expect(c.y.length).toBe(c.x.length);
      expect(r.curves.filter((c) => c.labels.quantity === COMPONENT_POINTS)).toHaveLength(4);
      // Modal-matching accuracy = mean over components of the fraction with assigned = component.
      const frac = [0, 1, 2, 3].map((l) => {
        const mine = tasks.filter((c) => c.labels.component === l);
        const all = mine.reduce((s, c) => s + c.x.length, 0);
        return mine.filter((c) => c.labels.assigned === l).reduce((s, c) => s + c.x.length, 0) / all;
      });
      expect(r.scalars.clusters_found).toBe(4);
      expect(frac.reduce((s, f) => s + f, 0) / 4).toBeCloseTo(r.scalars.clustering_acc as number, 12);
    }
  });

  test("with too few examples per part (t₂ = 2) accuracy collapses, with t₂ = 64 it is ≥ 0.95", () => {
    const few = run(kongProjection, { t2: 2 }, [0, 1, 2]);
    const many = run(kongProjection, { t2: 64 }, [0, 1, 2]);
    for (const a of scalar(few, "clustering_acc")) expect(a).toBeLessThan(0.5);
    for (const a of scalar(many, "clustering_acc")) expect(a).toBeGreaterThanOrEqual(0.95);
    // The cloud around each centre shrinks like 1/√t₂: (64/2)^(1/2) ≈ 5.7.
    expect(median(scalar(few, "estimate_rms")) / median(scalar(many, "estimate_rms"))).toBeGreaterThan(4.5);
  });

  test("projected and direct samplers agree statistically (6 seeds, loose)", () => {
    const o = { t2: 32, n1: 4096 };
    const pr = run(kongProjection, { ...o, sampler: "projected" }, [0, 1, 2, 3, 4, 5]);
    const di = run(kongProjection, { ...o, sampler: "direct" }, [0, 1, 2, 3, 4, 5]);
    expect(
      Math.abs(median(scalar(pr, "clustering_acc")) - median(scalar(di, "clustering_acc"))),
    ).toBeLessThan(0.05);
    const ratio = (name: string) => median(scalar(pr, name)) / median(scalar(di, name));
    expect(ratio("estimate_rms")).toBeGreaterThan(0.9);
    expect(ratio("estimate_rms")).toBeLessThan(1.1);
    expect(ratio("subspace_err")).toBeGreaterThan(0.75);
    expect(ratio("subspace_err")).toBeLessThan(1.33);
  });

  test("the separating view keeps the components apart better than the principal one (default mixture, 6 seeds)", () => {
    const minCentreGap = (rec: TestRun) =>
      median(
        rec.result.seeds.map((r) => {
          const c = [0, 1, 2, 3].map((l) => centreOf(r, l));
          let m = Number.POSITIVE_INFINITY;
          for (let a = 0; a < 4; a++)
            for (let b = a + 1; b < 4; b++) m = Math.min(m, Math.hypot(c[a][0] - c[b][0], c[a][1] - c[b][1]));
          return m;
        }),
      );
    const seeds = [0, 1, 2, 3, 4, 5];
    const sep = minCentreGap(run(kongProjection, { t2: 32 }, seeds));
    const pca = minCentreGap(run(kongProjection, { t2: 32, axes: "principal" }, seeds));
    // A square view of the simplex keeps every pair ≈ Δ/√2 = 1 apart.
    expect(sep).toBeGreaterThan(0.8);
    expect(sep).toBeGreaterThan(pca);
  });

  test("same seed, bit-identical result; another seed, another result", () => {
    const strip = (r: TestRun) => JSON.stringify(r.result);
    const a = run(kongProjection, { n1: 2048 }, [0, 1], 7);
    expect(strip(run(kongProjection, { n1: 2048 }, [0, 1], 7))).toBe(strip(a));
    expect(strip(run(kongProjection, { n1: 2048 }, [0, 1], 8))).not.toBe(strip(a));
    expect(JSON.stringify(run(kongProjection, { n1: 2048 }, [1], 7).result.seeds[0])).toBe(
      JSON.stringify(a.result.seeds[1]),
    );
  });

  test("clusters are numbered after their matched component; unmatched ones get the free numbers", () => {
    expect(Array.from(clusterNumbers(Int32Array.from([2, 0, 1]), 3))).toEqual([1, 2, 0]);
    // Components 0 and 1 merged into cluster 1: cluster 1 is "0", the others take 1 and 2.
    expect(Array.from(clusterNumbers(Int32Array.from([1, 1, 0]), 3))).toEqual([2, 0, 1]);
    // Single linkage may find more clusters than components.
    expect(Array.from(clusterNumbers(Int32Array.from([3, 0]), 5))).toEqual([1, 2, 3, 0, 4]);
  });

  test("both sizes resolve", () => {
    for (const size of ["smoke", "paper"] as const)
      expect(() => resolveParams(kongProjection, size)).not.toThrow();
  });

  test.each([
    [{ k: 1 }, /"k" must be ≥ 2 \(the scatter needs a projected space of dimension ≥ 2\); got 1/],
    [{ k: 32 }, /"k" must be < d \(= 32\); got 32/],
    [{ n2: 3 }, /"n2" must be ≥ k \(= 4\) heavy tasks; got 3/],
    [{ t2: 0 }, /"t2" must be ≥ 1; got 0/],
    [{ axes: "random" }, /"axes" must be one of "separating", "principal"; got "random"/],
    [{ linkage: "complete" }, /"linkage" must be one of "average", "single"; got "complete"/],
  ])("bad input %j is one ParamValidationError line naming the parameter", (bad, message) => {
    let err: unknown;
    try {
      resolveParams(kongProjection, null, bad);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ParamValidationError);
    expect((err as Error).message).toMatch(message);
    expect((err as Error).message).not.toContain("\n");
  });
});
