import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { beforeAll, describe, expect, test } from "vitest";
import { predictedRate } from "../../theory/collinsRate.js";
import { getExperiment } from "../registry.js";
import { curvesOf as curves, median, runExperiment, type TestRun } from "../testing.js";
import type { Curve } from "../types.js";

const SEEDS = Array.from({ length: 10 }, (_, i) => i);

/**
 * Run seed by seed, yielding to the event loop between seeds so that a long computation never
 * blocks the test worker's messages. Each seed's key depends on its index alone, so the record
 * equals one `runRecord` over all the seeds (a determinism test below checks this property).
 */
async function run(
  id: string,
  overrides: Record<string, unknown>,
  seedIndices = SEEDS,
  seed = 0,
): Promise<TestRun> {
  const experiment = getExperiment(id);
  const parts: TestRun[] = [];
  for (const s of seedIndices) {
    parts.push(runExperiment(experiment, overrides, [s], seed));
    await new Promise((r) => setImmediate(r));
  }
  return {
    ...parts[0],
    seedIndices,
    status: parts.some((p) => p.status === "diverged") ? "diverged" : "ok",
    result: { seeds: parts.flatMap((p) => p.result.seeds) },
  };
}

const META = ["anil", "fo-anil", "maml", "fo-maml"] as const;

describe("collins-convergence (population, d=20, k=3, n=20, α=β=0.5, µ=1, 10 seeds)", () => {
  let rec: TestRun;
  beforeAll(async () => {
    rec = await run("collins-convergence", { iters: 150 });
  });

  test.each(META)("%s reaches dist < 1e-6 by iteration 100 on every seed", (method) => {
    for (const c of curves(rec, { method })) {
      expect(c.status).toBe("ok");
      expect(c.metrics["firstBelow1e-6"]).not.toBeNull();
      expect(c.metrics["firstBelow1e-6"]!).toBeLessThanOrEqual(100);
      expect(c.y[100]).toBeLessThan(1e-6);
    }
  });

  test("Avg-GD stays above 0.9 on every seed and every iteration", () => {
    for (const c of curves(rec, { method: "avg-gd" })) expect(Math.min(...c.y)).toBeGreaterThan(0.9);
  });

  test("dist starts near 1 (a random subspace in d=20 is far from B*) and is a sine in [0, 1]", () => {
    for (const r of rec.result.seeds)
      for (const c of r.curves) {
        expect(c.y[0]).toBeGreaterThan(0.5);
        for (const y of c.y) expect(y >= 0 && y <= 1).toBe(true);
      }
  });
});

describe("collins-diversity: the fitted rate matches 1 − αβµ²", () => {
  test.each([1, 0.5])("µ = %s: the median over 10 seeds is within 2%% of (1 − rate)", async (mu) => {
    const rec = await run("collins-diversity", { mus: [mu], iters: mu === 1 ? 200 : 600 });
    const theory = predictedRate(0.5, 0.5, mu);
    for (const method of META) {
      const rates = curves(rec, { method, mu }).map((c) => c.metrics.rate);
      expect(rates.every((r) => r !== null)).toBe(true);
      const m = median(rates as number[]);
      expect(Math.abs(m - theory)).toBeLessThan(0.02 * (1 - theory));
    }
    expect(rec.result.seeds[0].scalars[`theoryRate[mu=${mu}]`]).toBe(theory);
  });

  test("less diverse heads learn more slowly (rate increases as µ falls)", async () => {
    const rec = await run(
      "collins-diversity",
      { mus: [1, 0.5, 0.2], iters: 800, methods: ["fo-anil"] },
      [0, 1, 2],
    );
    const med = (mu: number) =>
      median(curves(rec, { method: "fo-anil", mu }).map((c) => c.metrics.rate as number));
    expect(med(1)).toBeLessThan(med(0.5));
    expect(med(0.5)).toBeLessThan(med(0.2));
  });
});

describe("collins-diversity's stopping rule (stop_below)", () => {
  test("each curve is a prefix of the unstopped run's, ends at its first dist < stop_below, and every read metric but final is unchanged", () => {
    const over = { mus: [1, 0.5], iters: 700 };
    const [a, b] = [{}, { stop_below: 0 }].map((o) =>
      runExperiment(getExperiment("collins-diversity"), { ...over, ...o }, [0, 1]),
    );
    let stopped = 0;
    a.result.seeds.forEach((seed, s) => {
      seed.curves.forEach((c, j) => {
        const full = b.result.seeds[s].curves[j];
        expect(c.labels).toEqual(full.labels);
        expect(full.y.length).toBe(701);
        expect(c.y).toEqual(full.y.slice(0, c.y.length));
        const first = full.y.findIndex((y) => y < 1e-14);
        expect(c.y.length).toBe(first === -1 ? full.y.length : first + 1);
        if (first !== -1) stopped++;
        const { final: _f, ...read } = c.metrics;
        const { final: _g, ...readFull } = full.metrics;
        expect(read).toEqual(readFull);
        expect(c.metrics.final).toBe(c.y.at(-1));
      });
    });
    // Every curve at µ = 1 and 0.5 reaches the floor within 700 iterations.
    expect(stopped).toBe(2 * 2 * 4);
  });

  test("stop_below must lie below the rate window", () => {
    expect(() => runExperiment(getExperiment("collins-diversity"), { stop_below: 1e-12 }, [0])).toThrow(
      /stop_below.*must be < rate_lo \(= 1e-12\)/,
    );
  });
});

describe("collins-finite-samples (m_in = m_out = 10, n = 20, α = β = 0.25, σ = 0)", () => {
  let rec: TestRun;
  beforeAll(async () => {
    rec = await run(
      "collins-finite-samples",
      { ms: [10], ns: [20], sigmas: [0], iters: 800 },
      [0, 1, 2, 3, 4],
    );
  });
  const cond = { m_in: 10, m_out: 10, n: 20, sigma: 0 };

  test("the four meta-methods settle at a floor well below Avg-GD, which stays above 0.9", () => {
    // Exact MAML with m_in < d has occasional excursions (the NumPy reference shows them too:
    // tail maxima up to 0.72 over seeds 0–9), so the floor is the median over seeds of each
    // seed's median over the last 200 iterations.
    const tail = (c: Curve) => median(c.y.slice(-200));
    for (const c of curves(rec, { method: "avg-gd", ...cond })) expect(Math.min(...c.y)).toBeGreaterThan(0.9);
    for (const method of META) {
      const floors = curves(rec, { method, ...cond }).map(tail);
      expect(median(floors)).toBeLessThan(0.2);
      expect(Math.min(...floors)).toBeGreaterThan(1e-3); // a floor, not convergence to 0
    }
  });

  test("with m_out = ∞, FO-ANIL reaches < 1e-10 while exact ANIL keeps a floor above 1e-3", () => {
    const split = { m_in: 10, m_out: null, n: 20, sigma: 0 };
    for (const c of curves(rec, { method: "fo-anil", ...split }))
      expect(Math.min(...c.y)).toBeLessThan(1e-10);
    for (const c of curves(rec, { method: "anil", ...split }))
      expect(Math.min(...c.y.slice(-200))).toBeGreaterThan(1e-3);
  });
});

describe("collins-finite-samples floor_iters", () => {
  test("the floors' curves are the first floor_iters iterations of the iters runs (bit for bit); the splits are unchanged", () => {
    const base = { ms: [10], ns: [6], sigmas: [0.5], iters: 40 };
    const full = runExperiment(getExperiment("collins-finite-samples"), base, [0, 1]);
    const cut = runExperiment(getExperiment("collins-finite-samples"), { ...base, floor_iters: 25 }, [0, 1]);
    let floors = 0;
    for (const [s, seed] of cut.result.seeds.entries()) {
      for (const [i, c] of seed.curves.entries()) {
        const f = full.result.seeds[s].curves[i];
        expect(c.labels).toEqual(f.labels);
        const floor = c.labels.m_in !== null && c.labels.m_out !== null;
        if (floor) floors++;
        const n = floor ? 26 : 41;
        expect(c.y.length).toBe(Math.min(n, f.y.length));
        expect(c.y).toEqual(f.y.slice(0, n));
        expect(c.x).toEqual(f.x.slice(0, n));
      }
    }
    expect(floors).toBe(2 * 5);
  });
});

describe("samplers", () => {
  test("the projected and direct samplers give the same floors (median over 8 seeds within 20%)", async () => {
    const settings = { ms: [10], ns: [20], sigmas: [0.5], splits: false, iters: 400 };
    const seeds = [0, 1, 2, 3, 4, 5, 6, 7];
    const a = await run("collins-finite-samples", { ...settings, sampler: "projected" }, seeds);
    const b = await run("collins-finite-samples", { ...settings, sampler: "direct" }, seeds);
    const cond = { m_in: 10, m_out: 10, n: 20, sigma: 0.5 };
    for (const method of [...META, "avg-gd"]) {
      const floor = (r: TestRun) =>
        median(curves(r, { method, ...cond }).map((c) => median(c.y.slice(-200))));
      expect(Math.abs(floor(a) / floor(b) - 1)).toBeLessThan(0.2);
    }
    // …and they are different draws, not the same code path.
    expect(JSON.stringify(a.result)).not.toBe(JSON.stringify(b.result));
  });
});

describe("collins-head-init", () => {
  test("with ‖w₀‖ = 1 FO-MAML's blow-up is recorded as diverged with its iteration; ANIL still converges", async () => {
    const rec = await run("collins-head-init", { w0s: [1], iters: 300 }, [0, 1, 2, 3, 4]);
    expect(rec.status).toBe("diverged");
    for (const c of curves(rec, { method: "fo-maml", w0: 1 })) {
      expect(c.status).toBe("diverged");
      expect(c.diverged?.iteration).toBeGreaterThan(0);
      expect(c.diverged?.quantity === "w" || c.diverged?.quantity === "B").toBe(true);
      // The curve stops at the last finite value: one point per completed update.
      expect(c.y.length).toBe(c.diverged!.iteration);
      expect(c.y.every(Number.isFinite)).toBe(true);
    }
    for (const c of curves(rec, { method: "anil", w0: 1 })) {
      expect(c.status).toBe("ok");
      expect(c.metrics.final!).toBeLessThan(1e-10);
    }
  });
});

describe("determinism", () => {
  const strip = (r: TestRun) => JSON.stringify({ ...r, startedAt: "", seconds: 0 });

  test("the same seed gives identical record bytes apart from timestamps; another seed differs", () => {
    const a = runExperiment(
      getExperiment("collins-finite-samples"),
      { ms: [5], ns: [4], sigmas: [0.5], iters: 30 },
      [0, 1],
      7,
    );
    const b = runExperiment(
      getExperiment("collins-finite-samples"),
      { ms: [5], ns: [4], sigmas: [0.5], iters: 30 },
      [0, 1],
      7,
    );
    const c = runExperiment(
      getExperiment("collins-finite-samples"),
      { ms: [5], ns: [4], sigmas: [0.5], iters: 30 },
      [0, 1],
      8,
    );
    expect(strip(a)).toBe(strip(b));
    expect(strip(a)).not.toBe(strip(c));
  });

  test("a seed's results do not depend on which other seeds are in the record", () => {
    const both = runExperiment(getExperiment("collins-convergence"), { iters: 20 }, [0, 1]);
    const one = runExperiment(getExperiment("collins-convergence"), { iters: 20 }, [1]);
    expect(JSON.stringify(both.result.seeds[1])).toBe(JSON.stringify(one.result.seeds[0]));
  });
});

const reference = resolve(import.meta.dirname, "../../../shared/reference/gbml_ref.py");

describe.runIf(existsSync(reference))("agreement with the NumPy reference gbml_ref.py", () => {
  test.each(META)(
    "%s: median iterations to 1e-6 over 10 seeds within 15%% (population, defaults)",
    async (method) => {
      const rec = await run("collins-convergence", { iters: 150, methods: [method] });
      const ours = median(curves(rec, { method }).map((c) => c.metrics["firstBelow1e-6"] as number));
      const theirs = median(
        SEEDS.map((seed) => {
          const out = execFileSync(
            "python3",
            [reference, "--method", method, "--iters", "150", "--seed", String(seed), "--json"],
            { encoding: "utf8" },
          );
          const dist = (JSON.parse(out) as { dist: number[] }).dist;
          return dist.findIndex((d) => d < 1e-6);
        }),
      );
      expect(theirs).toBeGreaterThan(0);
      expect(Math.abs(ours - theirs) / theirs).toBeLessThan(0.15);
    },
  );

  test("finite-sample MAML floors agree (median final dist over 10 seeds within 25%)", async () => {
    const settings = { d: 20, k: 3, n: 20, m_in: 10, m_out: 10, sigma: 0.5, alpha: 0.25, beta: 0.25 };
    const rec = await run("collins-convergence", { ...settings, iters: 400, methods: ["maml"] });
    const tailMedian = (y: number[]) => median(y.slice(-100));
    const ours = median(curves(rec, { method: "maml" }).map((c) => tailMedian(c.y)));
    const theirs = median(
      SEEDS.map((seed) => {
        const args = Object.entries(settings).flatMap(([k, v]) => [`--${k.replace("_", "-")}`, String(v)]);
        const out = execFileSync(
          "python3",
          [reference, "--method", "maml", "--iters", "400", "--seed", String(seed), ...args, "--json"],
          {
            encoding: "utf8",
          },
        );
        return tailMedian((JSON.parse(out) as { dist: number[] }).dist);
      }),
    );
    expect(Math.abs(ours - theirs) / theirs).toBeLessThan(0.25);
  });
});
