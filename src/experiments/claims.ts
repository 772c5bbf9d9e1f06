import { bootstrapMedianInterval } from "../metrics/bootstrap.js";
import { fitLogLogLine } from "../metrics/loglogSlope.js";
import { finiteMedian } from "../metrics/median.js";
import { pairsToSettle, signTestP } from "../metrics/signTest.js";
import { foldInString, key } from "../rng/key.js";
import { powerOfTen } from "./notation.js";
import type { Curve, LabelValue, RunResult, SizeName } from "./types.js";

/**
 * Claims and verdicts (DESIGN.md `Claim`; STYLE.md §16): what of a paper an experiment tests,
 * declared as data beside its figures, and the verdict its seeds give. One engine serves the CLI
 * (`run`, `reproduce`, `claims`, `--check`), the report, the page and plug-ins.
 *
 * A claim measures one number per seed (a `Measure`) and tests it with one of five tests:
 * - `value`: the median over seeds within a tolerance of a theory value;
 * - `slope`: a fitted log-log slope (median over seeds) within an interval;
 * - `paired order`: A below B on the same seeds, by a one-sided sign test;
 * - `event`: every seed reaches (or never reaches) a threshold, diverges or not;
 * - `band`: the median within a band of a number the paper prints.
 * Uncertainty is a percentile bootstrap over seeds with a key fixed by the claim's id, so the
 * same records always give the same verdicts.
 */

export type VerdictWord = "reproduced" | "not reproduced" | "inconclusive" | "not run";
export const VERDICT_WORDS: readonly VerdictWord[] = [
  "reproduced",
  "not reproduced",
  "inconclusive",
  "not run",
];

/** Where a claim stands in its paper. `verified`: the number in `where` was read in the paper's text. */
export interface ClaimSource {
  paper: string;
  /** Figure, table, theorem, equation or section as the paper numbers them (or a section title). */
  where: string;
  verified: boolean;
}

/** One number per seed: a curve's metric, a scalar, a fitted slope, … (null: not in this seed). */
export interface Measure {
  /** What is measured, in words: which curves, which metric, under which conditions. */
  describe: string;
  of(seed: RunResult, params: Record<string, unknown>): number | null;
}

export type ClaimTest =
  | {
      kind: "value";
      measure: Measure;
      /** The theory's value for these parameters (null: the theory says nothing here → not run). */
      expected: number | ((params: Record<string, unknown>) => number | null);
      /** Relative (|m − e| ≤ rel·|e|) or absolute tolerance. */
      tolerance: { rel: number } | { abs: number };
    }
  | { kind: "slope"; measure: Measure; interval: readonly [number, number] }
  | {
      kind: "paired order";
      /** Should be the smaller on each seed. */
      below: Measure;
      above: Measure;
      /** One-sided level of the sign test (default 0.05). */
      alpha?: number;
    }
  | {
      kind: "event";
      /** 1 where the event happened in a seed, 0 where it did not (null: not measured). */
      measure: Measure;
      /** Whether every seed should see the event (true) or none (false). */
      happens: boolean;
    }
  | {
      kind: "band";
      measure: Measure;
      band: readonly [number, number];
      /** The number as the paper prints it, e.g. "≈ 1.09 (Table 1)". */
      printed: string;
    };

export type ClaimTestKind = ClaimTest["kind"];

export interface Claim {
  /** Unique within its experiment, kebab-case: `<experiment>/<id>` names it everywhere. */
  id: string;
  /** One sentence in the paper's terms. */
  statement: string;
  source: ClaimSource;
  test: ClaimTest;
  /** The size at which its verdict counts (default "paper"); at another size it is indicative. */
  size?: SizeName;
  /**
   * A known disagreement: the bench knowingly does not reproduce this claim, for the reason given
   * (one sentence). The report lists it first, under its own heading; `--check` fails only if its
   * verdict becomes "reproduced" (the disagreement is gone, so the declaration is out of date).
   */
  knownDisagreement?: string;
}

/** A claim's verdict on one run (what a record's `verdicts` holds). */
export interface Verdict {
  claim: string;
  verdict: VerdictWord;
  /** Median over seeds (value, slope, band), median difference A − B (paired order), share of seeds (event). */
  measured: number | null;
  /** 95 % bootstrap interval of `measured` over seeds; null where none applies. */
  interval: [number, number] | null;
  /** The expected value or relation, in words and numbers. */
  expected: string;
  /** Seeds that measured something. */
  seeds: number;
  /** Why the verdict, when it needs a word: seeds that would settle it, a missing condition, … */
  note?: string;
  /** The run's size is not the claim's: the verdict is only indicative. */
  indicative?: boolean;
  knownDisagreement?: boolean;
}

/** Resamples keyed by the claim's id: the same values always give the same interval. */
const CLAIM_ROOT_KEY = key(0x5eed);

// ---------------------------------------------------------------- measures (the closed set)

/** Curves whose labels include these (and, when given, whose y is `yName`). */
export interface CurveSelector {
  yName?: string;
  labels?: Record<string, LabelValue>;
}

function matches(c: Curve, sel: CurveSelector): boolean {
  if (sel.yName !== undefined && c.yName !== sel.yName) return false;
  for (const [k, v] of Object.entries(sel.labels ?? {})) if (c.labels[k] !== v) return false;
  return true;
}

function selectorText(sel: CurveSelector): string {
  const labels = Object.entries(sel.labels ?? {})
    .map(([k, v]) => `${k} = ${v === null ? "∞" : String(v)}`)
    .join(", ");
  return [sel.yName ?? "", labels ? `(${labels})` : ""].filter(Boolean).join(" ");
}

/** The one curve of a seed that the selector picks (null when none; the first when several). */
export function curveOf(seed: RunResult, sel: CurveSelector): Curve | null {
  return seed.curves.find((c) => matches(c, sel)) ?? null;
}

/** A threshold as a reader writes it: 10⁻⁶ for a power of ten, else 3 significant digits. */
export function thresholdText(v: number): string {
  const [mantissa, exponent] = v.toExponential().split("e");
  const e = Number(exponent);
  if (mantissa === "1" && Math.abs(e) >= 3) return powerOfTen(e);
  return String(Number(v.toPrecision(3)));
}

const finiteOrNull = (v: number | null | undefined): number | null =>
  typeof v === "number" && Number.isFinite(v) ? v : null;

/** A named metric of the selected curve, e.g. its `final` value or fitted `rate`. */
export function metricOf(sel: CurveSelector, metric: string, describe?: string): Measure {
  return {
    describe: describe ?? `${metric} of ${selectorText(sel)}`,
    of: (seed) => finiteOrNull(curveOf(seed, sel)?.metrics[metric]),
  };
}

/** An experiment-level scalar of the seed's result. */
export function scalarOf(name: string, describe?: string): Measure {
  return { describe: describe ?? name, of: (seed) => finiteOrNull(seed.scalars[name]) };
}

/**
 * The least-squares slope of log y against log x of the selected curve, over the points in the
 * regime where a bound applies: x ≥ `minX` (e.g. n1 ≳ d) and y ≤ `maxY` (e.g. sin θ below its
 * saturation at 1). Null with fewer than two such points.
 */
export function loglogSlopeOf(
  sel: CurveSelector,
  options: { describe?: string; minX?: (params: Record<string, unknown>) => number; maxY?: number } = {},
): Measure {
  return {
    describe: options.describe ?? `log-log slope of ${selectorText(sel)} against x`,
    of: (seed, params) => {
      const c = curveOf(seed, sel);
      if (!c) return null;
      const lo = options.minX ? options.minX(params) : -Infinity;
      const hi = options.maxY ?? Infinity;
      const x: number[] = [];
      const y: number[] = [];
      for (let i = 0; i < c.x.length; i++) {
        if (c.x[i] >= lo && c.y[i] <= hi) {
          x.push(c.x[i]);
          y.push(c.y[i]);
        }
      }
      return finiteOrNull(fitLogLogLine(x, y)?.slope);
    },
  };
}

/** The curve's y at a given x (null when the curve has no point there). */
export function valueAt(sel: CurveSelector, x: number, describe?: string): Measure {
  return {
    describe: describe ?? `${selectorText(sel)} at x = ${x}`,
    of: (seed) => {
      const c = curveOf(seed, sel);
      if (!c) return null;
      const i = c.x.indexOf(x);
      return i < 0 ? null : finiteOrNull(c.y[i]);
    },
  };
}

/** 1 when the selected curve diverged, 0 when it ran to the end (null: no such curve). */
export function divergedOf(sel: CurveSelector): Measure {
  return {
    describe: `${selectorText(sel)} diverges`,
    of: (seed) => {
      const c = curveOf(seed, sel);
      return c ? (c.status === "diverged" ? 1 : 0) : null;
    },
  };
}

/** 1 when the selected curve ever goes below `threshold`, else 0. */
export function reachesBelow(sel: CurveSelector, threshold: number): Measure {
  return {
    describe: `${selectorText(sel)} goes below ${thresholdText(threshold)}`,
    of: (seed) => {
      const c = curveOf(seed, sel);
      return c ? (c.y.some((y) => Number.isFinite(y) && y < threshold) ? 1 : 0) : null;
    },
  };
}

/** A measure transformed per seed (e.g. 1 − rate), with its own description. */
export function mapMeasure(m: Measure, describe: string, f: (v: number) => number | null): Measure {
  return {
    describe,
    of: (seed, params) => {
      const v = m.of(seed, params);
      return v === null ? null : finiteOrNull(f(v));
    },
  };
}

/** A measure computed by the declaring experiment from a seed (the escape hatch; say what it is). */
export function customMeasure(describe: string, of: Measure["of"]): Measure {
  return { describe, of: (seed, params) => finiteOrNull(of(seed, params)) };
}

// ---------------------------------------------------------------- verdicts

const fmt = (v: number): string => {
  if (v === 0) return "0";
  const a = Math.abs(v);
  return a >= 1e-3 && a < 1e5 ? String(Number(v.toPrecision(3))) : v.toExponential(2);
};

/** The acceptance region of a value, slope or band test (null for the others, or when the theory gives no value). */
export function acceptanceRegion(
  test: ClaimTest,
  params: Record<string, unknown>,
): { lo: number; hi: number; text: string } | null {
  switch (test.kind) {
    case "value": {
      const e = typeof test.expected === "function" ? test.expected(params) : test.expected;
      if (e === null || !Number.isFinite(e)) return null;
      const tol = "rel" in test.tolerance ? test.tolerance.rel * Math.abs(e) : test.tolerance.abs;
      const text =
        "rel" in test.tolerance
          ? `${fmt(e)} ± ${fmt(test.tolerance.rel * 100)} %`
          : `${fmt(e)} ± ${fmt(tol)}`;
      return { lo: e - tol, hi: e + tol, text };
    }
    case "slope":
      return {
        lo: test.interval[0],
        hi: test.interval[1],
        text: `slope in [${fmt(test.interval[0])}, ${fmt(test.interval[1])}]`,
      };
    case "band":
      return {
        lo: test.band[0],
        hi: test.band[1],
        text: `in [${fmt(test.band[0])}, ${fmt(test.band[1])}] (paper: ${test.printed})`,
      };
    default:
      return null;
  }
}

/** The expected value or relation of a claim's test, in words (for listings before any run). */
export function expectedText(test: ClaimTest, params: Record<string, unknown> = {}): string {
  switch (test.kind) {
    case "value":
    case "slope":
    case "band": {
      const r = acceptanceRegion(test, params);
      if (r) return r.text;
      return test.kind === "value" ? "the theory's value for the run's parameters" : "";
    }
    case "paired order":
      return `${test.below.describe} < ${test.above.describe} on paired seeds (one-sided sign test, ${fmt((test.alpha ?? 0.05) * 100)} %)`;
    case "event":
      return test.happens ? `every seed: ${test.measure.describe}` : `no seed: ${test.measure.describe}`;
  }
}

/** The measure(s) a test reads, in words. */
export function measureText(test: ClaimTest): string {
  return test.kind === "paired order"
    ? `${test.below.describe} vs ${test.above.describe}`
    : test.measure.describe;
}

/**
 * The verdict of one claim on one run's seeds. `size` is the run's size (null for custom
 * parameters): a verdict at another size than the claim's is marked indicative.
 */
export function judge(
  experiment: string,
  claim: Claim,
  params: Record<string, unknown>,
  seeds: readonly RunResult[],
  size: SizeName | null,
): Verdict {
  const base = {
    claim: claim.id,
    expected: expectedText(claim.test, params),
    ...(size !== (claim.size ?? "paper") ? { indicative: true } : {}),
    ...(claim.knownDisagreement ? { knownDisagreement: true } : {}),
  };
  const k = foldInString(CLAIM_ROOT_KEY, `${experiment}/${claim.id}`);
  const test = claim.test;
  if (test.kind === "paired order") {
    const diffs: number[] = [];
    for (const s of seeds) {
      const a = test.below.of(s, params);
      const b = test.above.of(s, params);
      if (a !== null && b !== null) diffs.push(a - b);
    }
    if (diffs.length === 0)
      return {
        ...base,
        verdict: "not run",
        measured: null,
        interval: null,
        seeds: 0,
        note: "no seed measured both sides",
      };
    const wins = diffs.filter((d) => d < 0).length;
    const losses = diffs.filter((d) => d > 0).length;
    const alpha = test.alpha ?? 0.05;
    const pBelow = signTestP(wins, losses);
    const pAbove = signTestP(losses, wins);
    const measured = finiteMedian(diffs);
    const interval = bootstrapMedianInterval(diffs, k);
    const tally = `below on ${wins} of ${diffs.length} seeds${diffs.length - wins - losses ? ` (${diffs.length - wins - losses} ties)` : ""}`;
    if (pBelow < alpha)
      return {
        ...base,
        verdict: "reproduced",
        measured,
        interval,
        seeds: diffs.length,
        note: `${tally}; sign test p = ${fmt(pBelow)}`,
      };
    if (pAbove < alpha)
      return {
        ...base,
        verdict: "not reproduced",
        measured,
        interval,
        seeds: diffs.length,
        note: `${tally}; the opposite order has p = ${fmt(pAbove)}`,
      };
    const settle = pairsToSettle(Math.max(wins, losses), Math.min(wins, losses), alpha);
    return {
      ...base,
      verdict: "inconclusive",
      measured,
      interval,
      seeds: diffs.length,
      note: `${tally}; p = ${fmt(Math.min(pBelow, pAbove))}${settle === null ? "; no number of seeds would settle a split this even" : `; about ${settle} seeds at this split would settle it`}`,
    };
  }
  const values = seeds.map((s) => test.measure.of(s, params)).filter((v): v is number => v !== null);
  if (values.length === 0)
    return {
      ...base,
      verdict: "not run",
      measured: null,
      interval: null,
      seeds: 0,
      note: `not in this run: ${test.measure.describe}`,
    };
  if (test.kind === "event") {
    const want = test.happens ? 1 : 0;
    const agree = values.filter((v) => (v !== 0 ? 1 : 0) === want).length;
    const share = values.filter((v) => v !== 0).length / values.length;
    const verdict: VerdictWord =
      agree === values.length ? "reproduced" : agree * 2 <= values.length ? "not reproduced" : "inconclusive";
    return {
      ...base,
      verdict,
      measured: share,
      interval: null,
      seeds: values.length,
      note: `the event happened in ${values.filter((v) => v !== 0).length} of ${values.length} seeds`,
    };
  }
  const region = acceptanceRegion(test, params);
  const measured = finiteMedian(values);
  const interval = bootstrapMedianInterval(values, k);
  if (region === null || measured === null || interval === null)
    return {
      ...base,
      verdict: "not run",
      measured,
      interval,
      seeds: values.length,
      note: "the theory gives no value for these parameters",
    };
  if (values.length < 2)
    return {
      ...base,
      verdict: "inconclusive",
      measured,
      interval,
      seeds: 1,
      note: "one seed has no spread: at least 3 seeds would settle it",
    };
  const [lo, hi] = interval;
  let verdict: VerdictWord;
  if (lo >= region.lo && hi <= region.hi) verdict = "reproduced";
  else if (hi < region.lo || lo > region.hi) verdict = "not reproduced";
  else verdict = "inconclusive";
  if (verdict !== "inconclusive") return { ...base, verdict, measured, interval, seeds: values.length };
  // The interval's half-width shrinks like 1/√n: seeds for it to fit on the median's side of the edge.
  const half = (hi - lo) / 2;
  const edge =
    measured < region.lo || measured > region.hi
      ? Math.min(Math.abs(measured - region.lo), Math.abs(measured - region.hi))
      : Math.min(measured - region.lo, region.hi - measured);
  const settle = edge > 0 && half > 0 ? Math.ceil(values.length * (half / edge) ** 2) : null;
  return {
    ...base,
    verdict,
    measured,
    interval,
    seeds: values.length,
    note:
      settle === null || settle > 100_000
        ? "the median sits on the tolerance's edge: no number of seeds would settle it"
        : `the interval straddles the tolerance; about ${settle} seeds would settle it`,
  };
}

/** Every claim of an experiment judged on one run's seeds, in declared order. */
export function judgeAll(
  experiment: { id: string; claims?: readonly Claim[] },
  params: Record<string, unknown>,
  seeds: readonly RunResult[],
  size: SizeName | null,
): Verdict[] {
  return (experiment.claims ?? []).map((c) => judge(experiment.id, c, params, seeds, size));
}

/**
 * Whether a set of verdicts passes `reproduce --check`: no claim "not reproduced" at the size
 * where it counts, and no known disagreement turned "reproduced". Returns the failing verdicts.
 */
export function checkFailures<T extends Verdict>(verdicts: readonly T[]): T[] {
  return verdicts.filter((v) => {
    if (v.indicative) return false;
    if (v.knownDisagreement) return v.verdict === "reproduced";
    return v.verdict === "not reproduced";
  });
}

const TEST_KINDS: readonly ClaimTestKind[] = ["value", "slope", "paired order", "event", "band"];

function checkMeasure(where: string, m: unknown): void {
  const x = m as Partial<Measure> | null;
  if (typeof x?.describe !== "string" || typeof x.of !== "function")
    throw new TypeError(
      `${where} must be a measure { describe: string, of(seed, params) }; got ${m === null ? "null" : typeof m}`,
    );
}

/**
 * Checks a declaration once, when its experiment registers (built-in or a plug-in's): ids unique
 * and kebab-case, a statement and a source, a known test kind with its measures and bounds.
 */
export function checkClaims(experiment: string, claims: readonly Claim[]): void {
  if (!Array.isArray(claims))
    throw new TypeError(`${experiment}: "claims" must be an array; got ${typeof claims}`);
  const seen = new Set<string>();
  for (const c of claims) {
    if (typeof c?.id !== "string") throw new TypeError(`${experiment}: every claim needs a string "id"`);
    if (!/^[a-z0-9]+(-[a-z0-9]+)*$/.test(c.id))
      throw new TypeError(`${experiment}: claim id must be kebab-case (a-z, 0-9, -); got "${c.id}"`);
    if (seen.has(c.id)) throw new TypeError(`${experiment}: claim id "${c.id}" is declared twice`);
    seen.add(c.id);
    if (!c.statement.trim()) throw new TypeError(`${experiment}/${c.id}: "statement" must not be empty`);
    if (!c.source?.paper?.trim() || !c.source.where?.trim())
      throw new TypeError(`${experiment}/${c.id}: "source" must name the paper and where in it`);
    const kind = (c.test as { kind?: unknown } | undefined)?.kind;
    if (!TEST_KINDS.includes(kind as ClaimTestKind))
      throw new TypeError(
        `${experiment}/${c.id}: "test.kind" must be one of ${TEST_KINDS.map((k) => `"${k}"`).join(", ")}; got ${JSON.stringify(kind)}`,
      );
    if (c.test.kind === "paired order") {
      checkMeasure(`${experiment}/${c.id}: "test.below"`, c.test.below);
      checkMeasure(`${experiment}/${c.id}: "test.above"`, c.test.above);
    } else checkMeasure(`${experiment}/${c.id}: "test.measure"`, c.test.measure);
    if (c.test.kind === "slope" && !(c.test.interval[0] < c.test.interval[1]))
      throw new TypeError(
        `${experiment}/${c.id}: a slope interval must have lo < hi; got [${c.test.interval.join(", ")}]`,
      );
    if (c.test.kind === "band" && !(c.test.band[0] < c.test.band[1]))
      throw new TypeError(`${experiment}/${c.id}: a band must have lo < hi; got [${c.test.band.join(", ")}]`);
  }
}

/** A claim as `metarep claims --json` lists it. */
export interface ClaimListing {
  experiment: string;
  id: string;
  statement: string;
  source: ClaimSource;
  measure: string;
  test: { kind: ClaimTestKind; expected: string };
  size: SizeName;
  knownDisagreement?: string;
}

export function claimListing(
  experiment: string,
  c: Claim,
  params: Record<string, unknown> = {},
): ClaimListing {
  return {
    experiment,
    id: c.id,
    statement: c.statement,
    source: c.source,
    measure: measureText(c.test),
    test: { kind: c.test.kind, expected: expectedText(c.test, params) },
    size: c.size ?? "paper",
    ...(c.knownDisagreement ? { knownDisagreement: c.knownDisagreement } : {}),
  };
}
