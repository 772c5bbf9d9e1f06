import { beforeAll, describe, expect, test } from "vitest";
import { ParamValidationError } from "../params.js";
import { resolveParams } from "../resolve.js";
import { runSeeds, type TestRun } from "../testing.js";
import type { Curve } from "../types.js";
import { liMultitaskCnn, sweepConditions } from "./multitaskCnn.js";

const ctx = { progress: () => {}, warn: () => {} };

function run(overrides: Record<string, unknown>, seedIndices: number[], seed = 0): TestRun {
  const params = resolveParams(liMultitaskCnn, null, overrides) as Record<string, unknown>;
  return runSeeds({
    experiment: liMultitaskCnn,
    params,
    size: null,
    seed,
    seedIndices,
    command: "test",
    ctx,
  });
}

function find(r: TestRun["result"]["seeds"][0], labels: Record<string, unknown>): Curve {
  const c = r.curves.find((cv) => Object.entries(labels).every(([k, v]) => cv.labels[k] === v));
  if (!c) throw new Error(`no curve with labels ${JSON.stringify(labels)}`);
  return c;
}

/*
 * The documented setting (liFields): K = 20 tasks, n = 30 examples each, d = 100, P = 2,
 * SNR = 0.3 (n·p·SNR³ ≈ 0.49 < 1 < K·n·p·SNR³ ≈ 9.7), ‖v_t‖ = σ_p√d, p = 0.6, q = 3, m = 20,
 * σ₀ = 0.02, η = 1, 100 steps; 200 test examples per task. Errors and alignments are recorded only
 * at the start and the end (record_every = 100) to keep the test fast.
 */
describe("li-multitask-cnn in the documented regime (K ∈ {1, 2, 20}, 3 seeds)", () => {
  let rec: TestRun;
  beforeAll(() => {
    rec = run({ Ks: [1, 2, 20], ns: [], snrs: [], record_every: 100 }, [0, 1, 2]);
  });
  const base = { K: 20, n: 30, snr: 0.3 };

  test("both single- and multi-task training reach zero training error on every task", () => {
    expect(rec.status).toBe("ok");
    for (const r of rec.result.seeds)
      for (const method of ["single", "multi"]) {
        const c = find(r, { method, set: "train", ...base });
        expect(c.metrics.max_task).toBe(0);
        expect(c.y[0]).toBeGreaterThan(0.2); // they start from chance, not from a fit
      }
  });

  test("multi-task test error ≤ 5% on every task; single-task test error ≥ 20% on every task", () => {
    for (const r of rec.result.seeds) {
      expect(find(r, { method: "multi", set: "test", ...base }).metrics.max_task!).toBeLessThanOrEqual(0.05);
      expect(find(r, { method: "single", set: "test", ...base }).metrics.min_task!).toBeGreaterThanOrEqual(
        0.2,
      );
    }
  });

  test("the gap (single − multi mean test error) is 0 at K = 1, still near 0 at K = 2, and wide at K = 20", () => {
    for (const r of rec.result.seeds) {
      const gap = (K: number) =>
        find(r, { method: "single", set: "test", K, n: 30, snr: 0.3 }).metrics.final! -
        find(r, { method: "multi", set: "test", K, n: 30, snr: 0.3 }).metrics.final!;
      // With one task, multi-task training is single-task training: identical runs.
      expect(gap(1)).toBe(0);
      // Two tasks are too few to learn u (K·n·p·SNR³ ≈ 1): no gain beyond test-set noise.
      expect(Math.abs(gap(2))).toBeLessThan(0.08);
      expect(gap(20)).toBeGreaterThan(0.2);
      expect(gap(20)).toBeGreaterThan(gap(2) + 0.15);
    }
  });

  test("the record carries the race ratios N·p·SNR^q of each condition", () => {
    const s = rec.result.seeds[0].scalars;
    expect(s["raceSingle[K=20,n=30,snr=0.3]"]).toBeCloseTo(30 * 0.6 * 0.027, 12);
    expect(s["raceMulti[K=20,n=30,snr=0.3]"]).toBeCloseTo(20 * 30 * 0.6 * 0.027, 12);
  });
});

describe("li-multitask-cnn parameters", () => {
  test("sweeps vary one coordinate at a time around the base point, without duplicates", () => {
    expect(sweepConditions({ K: 20, n: 30, snr: 0.3, Ks: [1, 20], ns: [10], snrs: [0.3, 0.5] })).toEqual([
      { K: 20, n: 30, snr: 0.3 },
      { K: 1, n: 30, snr: 0.3 },
      { K: 20, n: 10, snr: 0.3 },
      { K: 20, n: 30, snr: 0.5 },
    ]);
  });

  test("both sizes resolve", () => {
    expect(() => resolveParams(liMultitaskCnn, "smoke")).not.toThrow();
    expect(() => resolveParams(liMultitaskCnn, "paper")).not.toThrow();
  });

  test.each([
    [{ q: 0.5 }, /"q" must be ≥ 1; got 0.5/],
    [{ m: 0 }, /"m" must be ≥ 1; got 0/],
    [{ p: 1.5 }, /"p" must be ≤ 1; got 1.5/],
    [{ p: -0.2 }, /"p" must be ≥ 0; got -0.2/],
    [{ K: 0 }, /"K" must be ≥ 1; got 0/],
    [{ eta: 0 }, /"eta" must be > 0; got 0/],
    [{ eta: -1 }, /"eta" must be > 0; got -1/],
    [{ Ks: [0, 5] }, /"Ks\[0\]" must be ≥ 1; got 0/],
    [{ d: 20 }, /"d" must be ≥ K \+ 2 \(= 22\) for the largest K used; got 20/],
    [{ activation: "polynomial", q: 2 }, /"q" must be an odd integer for the polynomial activation; got 2/],
    [{ activation: "sigmoid" }, /"activation" must be one of "relu-power", "polynomial", "smoothed-relu"/],
    [{ bogus: 1 }, /unknown parameter "bogus"/],
  ])("bad input %j is a one-line error naming parameter, constraint and value", (bad, msg) => {
    const f = () => resolveParams(liMultitaskCnn, null, bad);
    expect(f).toThrow(ParamValidationError);
    expect(f).toThrow(msg);
    try {
      f();
    } catch (e) {
      expect((e as Error).message).not.toContain("\n");
    }
  });
});

describe("determinism", () => {
  const small = { K: 3, n: 6, n_test: 10, d: 12, m: 3, iters: 5, record_every: 5, Ks: [1], ns: [], snrs: [] };
  const strip = (r: TestRun) => JSON.stringify({ ...r, startedAt: "", seconds: 0 });

  test("the same seed gives identical record bytes apart from timestamps; another seed differs", () => {
    expect(strip(run(small, [0, 1], 4))).toBe(strip(run(small, [0, 1], 4)));
    expect(strip(run(small, [0, 1], 4))).not.toBe(strip(run(small, [0, 1], 5)));
  });

  test("a blow-up (η far too large) is recorded as diverged with its step; curves keep only finite values", () => {
    const r = run({ ...small, eta: 1e7, sigma0: 1, iters: 20, record_every: 1 }, [0]);
    expect(r.status).toBe("diverged");
    const c = r.result.seeds[0].curves.find(
      (cv) => cv.labels.method === "multi" && cv.labels.set === "test",
    )!;
    expect(c.status).toBe("diverged");
    expect(c.diverged!.iteration).toBeGreaterThan(0);
    expect(c.diverged!.iteration).toBeLessThanOrEqual(20);
    expect(c.y.every(Number.isFinite)).toBe(true);
    expect(c.metrics.final).toBeNull();
  });

  test("a seed's results do not depend on which other seeds are in the record", () => {
    const both = run(small, [0, 1]);
    const one = run(small, [1]);
    expect(JSON.stringify(both.result.seeds[1])).toBe(JSON.stringify(one.result.seeds[0]));
  });
});
