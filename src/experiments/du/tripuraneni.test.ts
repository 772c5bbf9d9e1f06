import { beforeAll, describe, expect, test } from "vitest";
import { taskHeads } from "../../algorithms/representation/heads.js";
import { headDiagnostics } from "../../metrics/conditioning.js";
import { subspaceDistance } from "../../metrics/subspace.js";
import { sampleSourceTasks } from "../../models/fewShotTasks.js";
import { fewShotModel, fitMethods } from "../fewShot.js";
import { resolveParams } from "../resolve.js";
import { conditionKey, runSeed } from "../runner.js";
import { runSeeds, type TestRun } from "../testing.js";
import { alignedChunkRows, streamsStatistics, tripuraneniMom } from "./tripuraneniMom.js";

const ctx = { progress: () => {}, warn: () => {} };

describe("tripuraneni-mom (d=100, k=5, n1=25, heads N(0, I/k), σ=1)", () => {
  const Ts = [100, 400, 1600];
  /** One seed of tripuraneni-mom at its defaults with these overrides. */
  const runAt = (overrides: Record<string, unknown>): TestRun =>
    runSeeds({
      experiment: tripuraneniMom,
      params: resolveParams(tripuraneniMom, null, overrides) as Record<string, unknown>,
      size: null,
      seed: 0,
      seedIndices: [0],
      command: "test",
      ctx,
    });
  let rec: TestRun;
  beforeAll(() => {
    rec = runAt({ Ts, n1s: [25] });
  });
  const sinTheta = (method: string) =>
    rec.result.seeds[0].curves.find((c) => c.labels.method === method && c.labels.quantity === "sin θ")!;

  test("MoM's sin θ falls as T grows", () => {
    const mom = sinTheta("mom");
    expect(mom.x).toEqual(Ts);
    for (let i = 1; i < Ts.length; i++) expect(mom.y[i]).toBeLessThan(mom.y[i - 1]);
    expect(mom.y[0]).toBeLessThanOrEqual(1);
  });

  test("Burer–Monteiro from a random start is far below MoM once T is past the noise (T ≥ 400); at T = 100 both are near 1", () => {
    const mom = sinTheta("mom");
    const bm = sinTheta("bm");
    // At T = 100 (2 500 rows for 1 000 parameters, σ = 1) neither finds the subspace: a random
    // 5-dimensional subspace of R¹⁰⁰ has sin θ ≈ 1.
    expect(mom.y[0]).toBeGreaterThan(0.95);
    expect(bm.y[0]).toBeGreaterThan(0.95);
    for (let i = 1; i < Ts.length; i++) expect(bm.y[i]).toBeLessThan(0.5 * mom.y[i]);
  });

  test("the stopping rule bm_tol = 1e-4 gives BM's sin θ of bm_tol = 1e-6 to 1e-4 relative (the claims read two digits)", () => {
    const run = (bm_tol: number) =>
      runAt({ Ts: [1600], n1s: [25], bm_tol }).result.seeds[0].curves.find(
        (c) => c.labels.method === "bm" && c.labels.quantity === "sin θ",
      )!.y[0];
    expect(tripuraneniMom.params.parse({}).bm_tol).toBe(1e-4);
    const loose = run(1e-4);
    const tight = run(1e-6);
    expect(Math.abs(loose - tight)).toBeLessThan(1e-4 * tight);
  });

  test("Burer–Monteiro starts at random by default, whatever else runs; bm-mom is the MoM-started variant", () => {
    const p = { d: 20, k: 2, Ts: [50], n1s: [2] };
    const run = (methods: string[]) =>
      runSeed(tripuraneniMom, resolveParams(tripuraneniMom, null, { ...p, methods }), 0, 0, ctx);
    const sin = (r: ReturnType<typeof run>, m: string) =>
      r.curves.find((c) => c.labels.method === m && c.labels.quantity === "sin θ")!.y[0];
    const withMom = run(["mom", "bm", "bm-mom"]);
    // MoM running beside it does not change BM's start (its key is its own): the same number alone.
    expect(sin(withMom, "bm")).toBe(sin(run(["bm"]), "bm"));
    // n1 = k: every head fits its rows for any B, the loss is flat and BM stays at its start, so
    // the MoM-started variant stays at MoM's estimate and the random start near a random subspace.
    expect(sin(withMom, "bm-mom")).toBeCloseTo(sin(withMom, "mom"), 6);
    expect(sin(withMom, "bm")).toBeGreaterThan(0.9);
  });

  test("above max_rows the methods that hold X are skipped with a warning and a scalar, not silently; MoM streams on", () => {
    const warnings: string[] = [];
    const p = resolveParams(tripuraneniMom, null, { d: 10, k: 2, Ts: [10, 40], n1s: [5], max_rows: 100 });
    const res = runSeed(tripuraneniMom, p, 0, 0, { progress: () => {}, warn: (m) => warnings.push(m) });
    expect(res.scalars["skipped[n1=5,T=40]"]).toBe(1);
    expect(warnings[0]).toMatch(
      /skipped bm at n1=5, T=40 \(n1·T = 200 rows > max_rows = 100: they hold X; MoM streams\)/,
    );
    const sin = (m: string) =>
      res.curves.find((c) => c.labels.method === m && c.labels.quantity === "sin θ")!;
    expect(sin("bm").x).toEqual([10]);
    expect(sin("mom").x).toEqual([10, 40]);
  });

  test("MoM alone streams its rows: no setting is skipped, and sin θ equals the held-X run's to 1e-12", () => {
    const quiet = { progress: () => {}, warn: () => {} };
    const base = { d: 10, k: 2, Ts: [10, 40], n1s: [5] };
    const streamed = runSeed(
      tripuraneniMom,
      resolveParams(tripuraneniMom, null, { ...base, methods: ["mom"], max_rows: 100 }),
      0,
      0,
      quiet,
    );
    const held = runSeed(tripuraneniMom, resolveParams(tripuraneniMom, null, base), 0, 0, quiet);
    const sin = (r: typeof held) =>
      r.curves.find((c) => c.labels.method === "mom" && c.labels.quantity === "sin θ")!;
    expect(Object.keys(streamed.scalars)).toEqual([]);
    expect(sin(streamed).x).toEqual([10, 40]);
    expect(sin(held).x).toEqual([10, 40]);
    for (let i = 0; i < 2; i++) expect(Math.abs(sin(streamed).y[i] - sin(held).y[i])).toBeLessThan(1e-12);
  });

  test("settings read from statistics (2·n1 > d) stream the rows once: sin θ has the held run's bits, cond(Ŵ) its value to 1e-12", () => {
    // d = 30, n1 = 25 > d/2 (as at smoke size); n1 = 10 ≤ d/2 stays held (BM's pass reads the rows).
    const overrides = { d: 30, k: 3, Ts: [100, 400], n1s: [10, 25], methods: ["mom", "bm", "bm-mom"] };
    const p = resolveParams(tripuraneniMom, null, overrides) as Parameters<typeof streamsStatistics>[0];
    expect(streamsStatistics(p, 25, 400)).toBe(true);
    expect(streamsStatistics(p, 10, 400)).toBe(false);
    expect(streamsStatistics({ ...p, methods: ["mom", "altmin"] }, 25, 400)).toBe(false);
    expect(streamsStatistics({ ...p, methods: ["bm-mom"] }, 25, 400)).toBe(false); // no MoM fit to start from
    expect(streamsStatistics({ ...p, max_rows: 1000 }, 25, 400)).toBe(false); // above max_rows: BM skipped
    expect(alignedChunkRows(300) % 128).toBe(0);
    expect(alignedChunkRows(300) % 300).toBe(0);
    const res = runSeed(tripuraneniMom, p, 0, 0, ctx);
    const model = fewShotModel({ ...p, T: 1, n1: 1, n2: 1, targets: 1, ridge: 0 });
    // commonRandomNumbers: every condition of seed 0 draws from the same cell key.
    const cellKey = conditionKey(tripuraneniMom, { n1: 25, T: 400 }, 0, 0);
    for (const T of [100, 400]) {
      const src = sampleSourceTasks(model, T, 25, cellKey);
      const fits = fitMethods(
        { ...p, T, n1: 25, n2: 1, targets: 1, ridge: 0 },
        src.data,
        src.Bstar,
        cellKey,
        ctx,
      );
      const at = (method: string, quantity: string) => {
        const c = res.curves.find(
          (c) => c.labels.method === method && c.labels.n1 === 25 && c.labels.quantity === quantity,
        )!;
        return c.y[c.x.indexOf(T)];
      };
      fits.forEach((fit) => {
        const sin = subspaceDistance(fit.B, src.Bstar);
        const cond = headDiagnostics(taskHeads(src.data, fit.B)).condition;
        // bm-mom's start heads come from the statistics (its start, MoM, is known only after the
        // pass): its fit moves by rounding; the others keep their bits.
        if (fit.method === "bm-mom")
          expect(Math.abs(at(fit.method, "sin θ") - sin)).toBeLessThan(1e-10 * sin);
        else expect(at(fit.method, "sin θ")).toBe(sin);
        expect(Math.abs(at(fit.method, "cond(Ŵ)") - cond)).toBeLessThan(1e-12 * cond);
      });
    }
  });

  test("streamed MoM-only settings whose draws nest share one cell (one pass), with the records of a cell per T", () => {
    // n1 = 5: chunks of 768 tasks (3,840 rows, on the 128-row grid); 768 and 1536 nest (ratio 2).
    const base = { d: 10, k: 2, n1s: [5], methods: ["mom", "bm"], max_rows: 400 };
    const params = (Ts: number[]) => resolveParams(tripuraneniMom, null, { ...base, Ts });
    const grid = params([100, 768, 1536]);
    expect(tripuraneniMom.conditions!(grid as never)).toEqual([
      { n1: 5, T: 100 },
      { n1: 5, T: 1536, prefixes: "768" },
    ]);
    // The condition design's W* is not nested in T: no shared cell.
    expect(tripuraneniMom.conditions!({ ...grid, heads: "condition" } as never)).toHaveLength(3);
    const warnings: string[] = [];
    const quiet = { progress: () => {}, warn: (m: string) => warnings.push(m) };
    const joined = runSeed(tripuraneniMom, grid, 0, 0, quiet);
    expect(warnings).toHaveLength(3);
    const apart = [100, 768, 1536].map((T) => runSeed(tripuraneniMom, params([T]), 0, 0, quiet));
    const byLabels = (r: typeof joined) =>
      new Map(r.curves.map((c) => [JSON.stringify(c.labels) + c.yName, c] as const));
    const all = byLabels(joined);
    for (const [i, r] of apart.entries()) {
      for (const [id, c] of byLabels(r)) {
        const j = all.get(id)!;
        expect(j.labels).toEqual(c.labels);
        expect(Object.keys(j.labels)).toEqual(Object.keys(c.labels));
        expect(j.y[j.x.indexOf(c.x[0])]).toBe(c.y[0]);
      }
      expect(joined.scalars[`skipped[n1=5,T=${[100, 768, 1536][i]}]`]).toBe(1);
    }
    expect(Object.keys(joined.scalars)).toEqual([
      "skipped[n1=5,T=100]",
      "skipped[n1=5,T=768]",
      "skipped[n1=5,T=1536]",
    ]);
    expect(all.get(`${JSON.stringify({ method: "mom", n1: 5, quantity: "sin θ" })}sin θ`)!.x).toEqual([
      100, 768, 1536,
    ]);
  });
});
