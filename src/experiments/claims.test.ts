import { describe, expect, test } from "vitest";
import { bootstrapMedianInterval } from "../metrics/bootstrap.js";
import { pairsToSettle, signTestP } from "../metrics/signTest.js";
import { key } from "../rng/key.js";
import {
  type Claim,
  checkClaims,
  checkFailures,
  divergedOf,
  judge,
  loglogSlopeOf,
  metricOf,
  reachesBelow,
  type Verdict,
  valueAt,
} from "./claims.js";
import type { Curve, RunResult } from "./types.js";

/** A seed with one curve per method: y given, `final` = its last value. */
function seed(curves: Record<string, { x?: number[]; y: number[]; diverged?: boolean }>): RunResult {
  const cs: Curve[] = Object.entries(curves).map(([method, c]) => ({
    labels: { method },
    xName: "x",
    yName: "q",
    x: c.x ?? c.y.map((_, i) => i + 1),
    y: c.y,
    metrics: { final: c.y[c.y.length - 1] },
    status: c.diverged ? "diverged" : "ok",
  }));
  return { status: "ok", curves: cs, scalars: {} };
}
const seeds = (finals: number[], method = "a") => finals.map((f) => seed({ [method]: { y: [f] } }));
const src = { paper: "Test et al.", where: "Figure 0", verified: false };
const final = (method: string) => metricOf({ yName: "q", labels: { method } }, "final");
const claim = (test: Claim["test"], extra: Partial<Claim> = {}): Claim => ({
  id: "c",
  statement: "s",
  source: src,
  test,
  ...extra,
});
const run = (
  c: Claim,
  s: RunResult[],
  params: Record<string, unknown> = {},
  size: "paper" | "smoke" = "paper",
) => judge("exp", c, params, s, size);

describe("value test: the median over seeds within a tolerance of the theory", () => {
  const value = claim({ kind: "value", measure: final("a"), expected: 1, tolerance: { rel: 0.05 } });
  test("reproduced when the bootstrap interval sits inside the tolerance", () => {
    const v = run(value, seeds([0.99, 1.0, 1.01, 1.005, 0.995, 1.002]));
    expect(v.verdict).toBe("reproduced");
    expect(v.measured).toBeCloseTo(1.001, 3);
    expect(v.interval![0]).toBeGreaterThanOrEqual(0.95);
    expect(v.expected).toBe("1 ± 5 %");
  });
  test("not reproduced when the interval lies outside", () => {
    expect(run(value, seeds([1.5, 1.52, 1.49, 1.51, 1.5])).verdict).toBe("not reproduced");
  });
  test("inconclusive when the interval straddles an edge, with the seeds that would settle it", () => {
    const v = run(value, seeds([0.9, 1.0, 1.02, 1.1, 0.97]));
    expect(v.verdict).toBe("inconclusive");
    expect(v.note).toMatch(/about \d+ seeds would settle it/);
  });
  test("one seed has no spread: inconclusive, never reproduced", () => {
    expect(run(value, seeds([1])).verdict).toBe("inconclusive");
  });
  test("not run when no seed has the measured curve, or the theory gives no value", () => {
    expect(run(value, seeds([1, 1, 1], "b")).verdict).toBe("not run");
    const noTheory = claim({
      kind: "value",
      measure: final("a"),
      expected: () => null,
      tolerance: { abs: 1 },
    });
    expect(run(noTheory, seeds([1, 1, 1])).verdict).toBe("not run");
  });
  test("the expected value may depend on the parameters, and an absolute tolerance works", () => {
    const c = claim({
      kind: "value",
      measure: final("a"),
      expected: (p) => p.target as number,
      tolerance: { abs: 0.1 },
    });
    expect(run(c, seeds([2.01, 1.99, 2.0, 2.02]), { target: 2 }).verdict).toBe("reproduced");
    expect(run(c, seeds([2.01, 1.99, 2.0, 2.02]), { target: 3 }).verdict).toBe("not reproduced");
  });
});

describe("slope test: a fitted log-log slope within an interval", () => {
  const line = (p: number, c: number) => ({ x: [1, 2, 4, 8], y: [1, 2, 4, 8].map((x) => c * x ** p) });
  const slope = claim({
    kind: "slope",
    measure: loglogSlopeOf({ yName: "q", labels: { method: "a" } }),
    interval: [-1.25, -0.75],
  });
  test("reproduced for power laws of exponent −1 (any constant), not for −2", () => {
    expect(
      run(
        slope,
        [0.9, 1, 1.1, 1.2, 0.8].map((c) => seed({ a: line(-1, c) })),
      ).verdict,
    ).toBe("reproduced");
    expect(
      run(
        slope,
        [0.9, 1, 1.1, 1.2, 0.8].map((c) => seed({ a: line(-2, c) })),
      ).verdict,
    ).toBe("not reproduced");
  });
  test("the regime filters keep only x ≥ minX and y ≤ maxY", () => {
    // Flat (saturated) at small x, then slope −1: the filtered slope is −1, the raw one is not.
    const s = seed({ a: { x: [1, 2, 4, 8, 16], y: [1, 1, 1, 0.5, 0.25] } });
    const raw = loglogSlopeOf({ yName: "q", labels: { method: "a" } }).of(s, {})!;
    const tail = loglogSlopeOf({ yName: "q", labels: { method: "a" } }, { maxY: 0.5 }).of(s, {})!;
    const fromX = loglogSlopeOf({ yName: "q", labels: { method: "a" } }, { minX: (p) => p.d as number }).of(
      s,
      { d: 4 },
    )!;
    expect(raw).toBeGreaterThan(-1);
    expect(tail).toBeCloseTo(-1, 12);
    expect(fromX).toBeCloseTo(-1, 12);
  });
});

describe("paired order: A below B on the same seeds, one-sided sign test at 5 %", () => {
  const paired = claim({ kind: "paired order", below: final("a"), above: final("b") });
  const pairs = (ab: [number, number][]) => ab.map(([a, b]) => seed({ a: { y: [a] }, b: { y: [b] } }));
  test("reproduced when A < B on 6 of 6 seeds (p = 1/64)", () => {
    const v = run(
      paired,
      pairs([
        [1, 2],
        [1, 3],
        [0.5, 0.6],
        [2, 2.1],
        [1, 1.5],
        [0.1, 1],
      ]),
    );
    expect(v.verdict).toBe("reproduced");
    expect(v.note).toContain("below on 6 of 6 seeds");
    expect(v.measured).toBeLessThan(0);
  });
  test("not reproduced when B < A on every seed", () => {
    expect(
      run(
        paired,
        pairs([
          [2, 1],
          [3, 1],
          [4, 1],
          [5, 1],
          [6, 1],
        ]),
      ).verdict,
    ).toBe("not reproduced");
  });
  test("inconclusive on 3 of 3 seeds (p = 1/8): about 5 seeds would settle it", () => {
    const v = run(
      paired,
      pairs([
        [1, 2],
        [1, 2],
        [1, 2],
      ]),
    );
    expect(v.verdict).toBe("inconclusive");
    expect(v.note).toContain("about 5 seeds");
  });
  test("an even split says no number of seeds would settle it; ties carry no sign", () => {
    const v = run(
      paired,
      pairs([
        [1, 2],
        [2, 1],
        [1, 1],
        [1, 2],
        [2, 1],
      ]),
    );
    expect(v.verdict).toBe("inconclusive");
    expect(v.note).toContain("1 ties");
    expect(v.note).toContain("no number of seeds");
  });
  test("not run when a side is missing", () => {
    expect(run(paired, seeds([1, 2, 3])).verdict).toBe("not run");
  });
});

describe("event: every seed reaches (or never reaches) a threshold, diverges or not", () => {
  test("reaches below: reproduced on every seed, not reproduced on none, inconclusive when mixed", () => {
    const c = claim({
      kind: "event",
      measure: reachesBelow({ yName: "q", labels: { method: "a" } }, 1e-3),
      happens: true,
    });
    const ys = (last: number[]) => last.map((l) => seed({ a: { y: [1, 0.1, l] } }));
    expect(run(c, ys([1e-4, 1e-5, 1e-6])).verdict).toBe("reproduced");
    expect(run(c, ys([0.01, 0.02, 0.05])).verdict).toBe("not reproduced");
    expect(run(c, ys([1e-4, 1e-5, 0.02])).verdict).toBe("inconclusive");
  });
  test("never: an average-loss-like curve that stays high is reproduced", () => {
    const c = claim({
      kind: "event",
      measure: reachesBelow({ yName: "q", labels: { method: "a" } }, 1e-3),
      happens: false,
    });
    expect(
      run(
        c,
        [0.9, 0.95, 0.99].map((l) => seed({ a: { y: [1, l] } })),
      ).verdict,
    ).toBe("reproduced");
  });
  test("diverges", () => {
    const c = claim({
      kind: "event",
      measure: divergedOf({ yName: "q", labels: { method: "a" } }),
      happens: true,
    });
    const v = run(c, [
      seed({ a: { y: [1, 10], diverged: true } }),
      seed({ a: { y: [1, 10], diverged: true } }),
    ]);
    expect(v.verdict).toBe("reproduced");
    expect(v.measured).toBe(1);
  });
});

describe("band: within a band of a number the paper prints", () => {
  const band = claim({
    kind: "band",
    measure: valueAt({ yName: "q", labels: { method: "a" } }, 2),
    band: [1.05, 1.12],
    printed: "≈ 1.09",
  });
  test("reproduced inside, not reproduced outside, not run without the point", () => {
    const at = (v: number[]) => v.map((y) => seed({ a: { x: [1, 2], y: [0, y] } }));
    expect(run(band, at([1.08, 1.09, 1.085, 1.09])).verdict).toBe("reproduced");
    expect(run(band, at([1.0, 1.01, 1.0, 0.99])).verdict).toBe("not reproduced");
    expect(run(band, [seed({ a: { x: [1], y: [1.09] } })]).verdict).toBe("not run");
    expect(run(band, at([1.08, 1.09])).expected).toContain("paper: ≈ 1.09");
  });
});

describe("verdicts are deterministic and know their size", () => {
  const value = claim({ kind: "value", measure: final("a"), expected: 1, tolerance: { rel: 0.05 } });
  const s = seeds([0.9, 1.0, 1.02, 1.1, 0.97, 1.04, 0.99]);
  test("the bootstrap gives the same interval and verdict twice, bit for bit", () => {
    expect(run(value, s)).toEqual(run(value, s));
    expect(bootstrapMedianInterval([1, 2, 3, 4, 5], key(3))).toEqual(
      bootstrapMedianInterval([1, 2, 3, 4, 5], key(3)),
    );
  });
  test("the interval contains the median and lies within the values' range", () => {
    const [lo, hi] = bootstrapMedianInterval([1, 2, 3, 4, 5, 6, 7], key(1))!;
    expect(lo).toBeLessThanOrEqual(4);
    expect(hi).toBeGreaterThanOrEqual(4);
    expect(lo).toBeGreaterThanOrEqual(1);
    expect(hi).toBeLessThanOrEqual(7);
  });
  test("a run at another size than the claim's is indicative", () => {
    expect(run(value, s, {}, "smoke").indicative).toBe(true);
    expect(run(value, s, {}, "paper").indicative).toBeUndefined();
    expect(run({ ...value, size: "smoke" }, s, {}, "smoke").indicative).toBeUndefined();
  });
});

describe("reproduce --check's rule", () => {
  const v = (verdict: Verdict["verdict"], extra: Partial<Verdict> = {}): Verdict => ({
    claim: "c",
    verdict,
    measured: null,
    interval: null,
    expected: "",
    seeds: 5,
    ...extra,
  });
  test("fails on not reproduced where it counts; inconclusive and indicative do not fail", () => {
    expect(checkFailures([v("reproduced"), v("inconclusive"), v("not run")])).toEqual([]);
    expect(checkFailures([v("not reproduced")])).toHaveLength(1);
    expect(checkFailures([v("not reproduced", { indicative: true })])).toEqual([]);
  });
  test("a known disagreement fails only when it turns reproduced", () => {
    expect(checkFailures([v("not reproduced", { knownDisagreement: true })])).toEqual([]);
    expect(checkFailures([v("inconclusive", { knownDisagreement: true })])).toEqual([]);
    expect(checkFailures([v("reproduced", { knownDisagreement: true })])).toHaveLength(1);
  });
});

describe("declarations are checked when they register", () => {
  const ok = claim({ kind: "value", measure: final("a"), expected: 1, tolerance: { rel: 0.1 } });
  test("ids kebab-case and unique, a source, a known test kind, measures and ordered bounds", () => {
    expect(() => checkClaims("e", [ok])).not.toThrow();
    expect(() => checkClaims("e", [{ ...ok, id: "Bad Id" }])).toThrow(/kebab-case/);
    expect(() => checkClaims("e", [ok, ok])).toThrow(/declared twice/);
    expect(() => checkClaims("e", [{ ...ok, source: { paper: "", where: "", verified: false } }])).toThrow(
      /source/,
    );
    expect(() => checkClaims("e", [{ ...ok, test: { kind: "vibes" } as never }])).toThrow(/test.kind/);
    expect(() => checkClaims("e", [{ ...ok, test: { kind: "value", measure: 3 } as never }])).toThrow(
      /measure/,
    );
    expect(() =>
      checkClaims("e", [{ ...ok, test: { kind: "slope", measure: final("a"), interval: [1, -1] } }]),
    ).toThrow(/lo < hi/);
  });
});

describe("the statistics behind the verdicts", () => {
  test("sign test: exact binomial tails", () => {
    expect(signTestP(5, 0)).toBeCloseTo(1 / 32, 15);
    expect(signTestP(0, 0)).toBe(1);
    expect(signTestP(3, 3)).toBeCloseTo(42 / 64, 14);
    expect(signTestP(9, 1)).toBeCloseTo(11 / 1024, 14);
  });
  test("pairs to settle: 5 at a clean sweep, none at an even split", () => {
    expect(pairsToSettle(3, 0)).toBe(5);
    expect(pairsToSettle(2, 2)).toBeNull();
    expect(pairsToSettle(4, 1)).toBeGreaterThan(5);
  });
});
