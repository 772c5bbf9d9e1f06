import { beforeAll, describe, expect, test } from "vitest";
import { resolveParams } from "../resolve.js";
import { runSeed } from "../runner.js";
import { runSeeds, type TestRun } from "../testing.js";
import { tripuraneniMom } from "./tripuraneniMom.js";

const ctx = { progress: () => {}, warn: () => {} };

describe("tripuraneni-mom (d=100, k=5, n1=25, heads N(0, I/k), σ=1)", () => {
  const Ts = [100, 400, 1600];
  let rec: TestRun;
  beforeAll(() => {
    const params = resolveParams(tripuraneniMom, null, { Ts, n1s: [25] }) as Record<string, unknown>;
    rec = runSeeds({
      experiment: tripuraneniMom,
      params,
      size: null,
      seed: 0,
      seedIndices: [0],
      command: "test",
      ctx,
    });
  });
  const sinTheta = (method: string) =>
    rec.result.seeds[0].curves.find((c) => c.labels.method === method && c.labels.quantity === "sin θ")!;

  test("MoM's sin θ falls as T grows", () => {
    const mom = sinTheta("mom");
    expect(mom.x).toEqual(Ts);
    for (let i = 1; i < Ts.length; i++) expect(mom.y[i]).toBeLessThan(mom.y[i - 1]);
    expect(mom.y[0]).toBeLessThanOrEqual(1);
  });

  test("Burer–Monteiro is below MoM at every T", () => {
    const mom = sinTheta("mom");
    const bm = sinTheta("bm");
    for (let i = 0; i < Ts.length; i++) expect(bm.y[i]).toBeLessThan(mom.y[i]);
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
});
