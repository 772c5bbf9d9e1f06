import { describe, expect, test } from "vitest";
import { getExperiment, listExperiments } from "./registry.js";
import { resolveParams } from "./resolve.js";
import {
  cellWorkingMemory,
  ESTIMATED_EXPERIMENTS,
  estimateMemory,
  type MemoryEstimate,
  PROCESS_BYTES,
} from "./resources.js";
import { conditionsOf } from "./runner.js";

// The estimators' order and scaling in the parameters (their fit to measured peaks is the bench
// suite `memory`, never asserted here).

const est = (id: string, sets: Record<string, unknown> = {}, size: "smoke" | "paper" = "smoke") =>
  estimateMemory(
    id,
    resolveParams(getExperiment(id), size, sets) as Record<string, unknown>,
  ) as MemoryEstimate;
const perSeed = (e: MemoryEstimate) => e.working + e.result + e.figures;

describe("memory estimates", () => {
  test("every experiment that needs no data set has one", () => {
    const ids = listExperiments()
      .filter((e) => !e.dataset)
      .map((e) => e.id);
    expect(ids.filter((id) => !ESTIMATED_EXPERIMENTS.includes(id))).toEqual([]);
    for (const id of ids)
      for (const size of ["smoke", "paper"] as const) {
        const e = est(id, {}, size);
        for (const v of [e.working, e.result, e.figures]) expect(Number.isFinite(v) && v >= 0).toBe(true);
      }
  });

  test("tripuraneni-mom: MoM alone streams (no growth with n1·T); a method that holds X grows linearly in it", () => {
    const mom = (T: number) =>
      est("tripuraneni-mom", { methods: ["mom"], n1s: [300], Ts: [T], d: 100, k: 5 });
    // Issue 23's case: 1.92 M rows, MoM alone (measured: 149 MB for the whole process).
    expect(PROCESS_BYTES + perSeed(mom(6400))).toBeLessThan(300 * 2 ** 20);
    expect(mom(6400).working).toBeLessThan(mom(100).working * 1.1);
    const bm = (T: number) =>
      est("tripuraneni-mom", { methods: ["bm"], n1s: [25], Ts: [T], d: 100, k: 5 }).working;
    const ratio = bm(6400) / bm(3200);
    expect(ratio).toBeGreaterThan(1.8);
    expect(ratio).toBeLessThan(2.05);
    // Above max_rows BM is skipped, so X is not held there.
    expect(
      est("tripuraneni-mom", { methods: ["bm"], n1s: [300], Ts: [6400], max_rows: 1000 }).working,
    ).toBeLessThan(bm(100));
  });

  test("one cell's working memory: tripuraneni-mom's at its own n1 and T; the largest cell's is the grid's estimate", () => {
    const exp = getExperiment("tripuraneni-mom");
    const params = resolveParams(exp, "paper", {}) as Record<string, unknown>;
    const conditions = conditionsOf(exp, params);
    const cells = conditions.map((c) => cellWorkingMemory("tripuraneni-mom", params, c));
    expect(Math.max(...cells)).toBe(estimateMemory("tripuraneni-mom", params)!.working);
    const at = (n1: number, T: number) => cellWorkingMemory("tripuraneni-mom", params, { n1, T });
    expect(at(5, 100)).toBeLessThan(at(300, 1600) / 10);
    // Above max_rows only MoM runs (streamed), far below the largest held setting.
    expect(at(300, 6400)).toBeLessThan(at(300, 1600) / 10);
    // At n1 = 300 > d/2 every method reads statistics: the cell streams its rows and holds the
    // tasks' X_tᵀX_t (about 2·T·d²/2 doubles), not X (n1·T·d): no cell holds X there, and the
    // largest cell is a held one at n1 = 25.
    expect(at(300, 1600)).toBeLessThan((8 * 300 * 1600 * 100) / 2);
    expect(at(300, 1600)).toBeGreaterThan(8 * 1600 * 100 * 101);
    expect(Math.max(...cells)).toBe(at(25, 6400));
    // With a method that reads rows (AltMin) the n1 = 300 cells hold X again.
    const held = { ...params, methods: ["mom", "altmin"] };
    expect(cellWorkingMemory("tripuraneni-mom", held, { n1: 300, T: 1600 })).toBeGreaterThan(
      8 * 300 * 1600 * 100,
    );
    // An experiment whose model reads no condition gives its grid's estimate for every cell.
    const du = getExperiment("du-excess-risk");
    const dp = resolveParams(du, "paper", {}) as Record<string, unknown>;
    for (const c of conditionsOf(du, dp))
      expect(cellWorkingMemory("du-excess-risk", dp, c)).toBe(estimateMemory("du-excess-risk", dp)!.working);
  });

  test("data terms: linear in rows × d (robust PCA, few-shot source), quadratic where d × d matrices dominate", () => {
    const rpca = (n: number, d: number) => est("kong-robust-pca", { n, d }).working;
    expect(rpca(80000, 500) / rpca(40000, 500)).toBeCloseTo(2, 1);
    expect(rpca(40000, 1000) / rpca(40000, 500)).toBeGreaterThan(1.9);
    const du = (T: number) => est("du-excess-risk", { sweeps: ["T"], Ts: [T], n1: 25, d: 400 }).working;
    expect(du(4000) / du(2000)).toBeGreaterThan(1.7);
    const streamedD = (d: number) =>
      est("tripuraneni-mom", { methods: ["mom"], Ts: [100], n1s: [5], d, k: 3 }).working;
    expect(streamedD(8000) / streamedD(4000)).toBeGreaterThan(3.5);
  });

  test("figures and results grow with the points drawn (iterations), not the working memory", () => {
    const a = est("collins-diversity", { iters: 1000 });
    const b = est("collins-diversity", { iters: 4000 });
    expect(b.figures / a.figures).toBeCloseTo(4, 1);
    expect(b.result / a.result).toBeCloseTo(4, 1);
    expect(b.working).toBe(a.working);
  });

  test("the direct sampler holds one task's designs at a time (collins), the whole X (kong-subspace)", () => {
    const collins = (n: number) =>
      est("collins-convergence", { sampler: "direct", m_in: 2000, m_out: 2000, d: 200, n }).working;
    expect(collins(100) / collins(50)).toBeLessThan(1.2);
    const kong = (total: number) =>
      est("kong-subspace", { sampler: "direct", total, ts: [4], ns: [total / 4], d: 500 }).working;
    expect(kong(131072) / kong(65536)).toBeGreaterThan(1.9);
  });
});
