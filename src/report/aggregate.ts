import type { Divergence, Labels, LabelValue } from "../experiments/types.js";
import type { RunRecord } from "../record/types.js";

/**
 * Aggregation of a run record over its seeds (DESIGN.md "Data flow", step 4): curves with equal
 * labels are one group; per x, the median and a quantile band over the seeds that still have a
 * value there. Pure: no I/O, deterministic order.
 */

/**
 * Quantile of an ascending array by linear interpolation between order statistics (Hyndman–Fan
 * type 7, the default of R and NumPy): with `h = (n − 1)·q`, the value is
 * `s[⌊h⌋] + (h − ⌊h⌋)·(s[⌊h⌋ + 1] − s[⌊h⌋])`. So q = 0 is the minimum, q = 1 the maximum and
 * q = 0.5 the usual median. NaN for an empty array.
 *
 * @example quantile([1, 2, 3, 4], 0.1) // 1.3
 */
export function quantile(sorted: ArrayLike<number>, q: number): number {
  if (!(q >= 0 && q <= 1)) throw new RangeError(`quantile: "q" must be in [0, 1]; got ${q}.`);
  const n = sorted.length;
  if (n === 0) return Number.NaN;
  const h = (n - 1) * q;
  const lo = Math.floor(h);
  const hi = Math.min(lo + 1, n - 1);
  const frac = h - lo;
  // Written so that equal neighbours give exactly their value (no 0·∞ or rounding drift).
  return frac === 0 ? sorted[lo] : sorted[lo] + frac * (sorted[hi] - sorted[lo]);
}

/** Median of unsorted values (copies and sorts; NaN for none). */
export function median(values: ArrayLike<number>): number {
  return quantile(Float64Array.from(values).sort(), 0.5);
}

/** The band drawn around the median: quantiles `lo` and `hi` over seeds. */
export interface Band {
  lo: number;
  hi: number;
}

/** Default band: the 10%–90% quantiles over seeds (type-7 interpolation, see `quantile`). */
export const DEFAULT_BAND: Band = { lo: 0.1, hi: 0.9 };

/** One x of an aggregated curve. */
export interface SeriesPoint {
  x: number;
  median: number;
  /** Quantile `band.lo` over the seeds with a value at this x. */
  lo: number;
  /** Quantile `band.hi` over the seeds with a value at this x. */
  hi: number;
  /** Number of seeds with a (finite) value at this x; drops after a seed diverges. */
  count: number;
}

/** Median over seeds of one named metric of a curve group. */
export interface MetricSummary {
  /** Median of the non-null finite values; null when there is none. */
  median: number | null;
  /** Number of non-null finite values the median is over. */
  count: number;
  /** Number of seeds whose value is null (e.g. the threshold was never reached) or non-finite. */
  nulls: number;
  /** Per-seed values, aligned with `CurveGroup.seedIndices`. */
  values: (number | null)[];
}

/** A seed whose curve diverged, with the last finite point it reached. */
export interface DivergedSeed {
  seedIndex: number;
  divergence: Divergence;
  /** Last finite point of the curve (the curve stops there); null for an empty curve. */
  lastX: number | null;
  lastY: number | null;
}

/** All curves with equal labels, across seeds. */
export interface CurveGroup {
  labels: Labels;
  /** `labels.method` as a string, or null when the curve has no method label. */
  method: string | null;
  /** The labels other than `method` (the experimental condition). */
  condition: Labels;
  /** Canonical key of `condition` (sorted-key JSON): equal conditions, equal keys. */
  conditionKey: string;
  xName: string;
  yName: string;
  /** Seed indices (from `RunRecord.seedIndices`) that have a curve in this group, in record order. */
  seedIndices: number[];
  /** Per seed (aligned with `seedIndices`), the curve's x and y. */
  seedCurves: { x: number[]; y: number[] }[];
  /** Median and band per x, ascending in x, over the seeds with a finite value at that x. */
  points: SeriesPoint[];
  metrics: Record<string, MetricSummary>;
  diverged: DivergedSeed[];
}

export interface Aggregate {
  experiment: string;
  /** Number of seeds in the record. */
  seeds: number;
  band: Band;
  /** Groups in first-seen order (seed by seed, curve by curve). */
  groups: CurveGroup[];
  /** Distinct methods in first-seen order. */
  methods: string[];
  /** Distinct conditions in first-seen order (one `{}` when no curve has condition labels). */
  conditions: { key: string; labels: Labels }[];
}

export interface AggregateOptions {
  /** Quantiles of the band; default `DEFAULT_BAND` (10%–90%). */
  band?: Band;
}

/** Label keys sorted so that `{a, b}` and `{b, a}` are the same group. */
export function labelsKey(labels: Labels): string {
  const keys = Object.keys(labels).sort();
  return JSON.stringify(keys.map((k) => [k, labels[k]]));
}

function splitLabels(labels: Labels): { method: string | null; condition: Labels } {
  const condition: Labels = {};
  let method: string | null = null;
  for (const [k, v] of Object.entries(labels)) {
    if (k === "method") method = v === null ? null : String(v);
    else condition[k] = v;
  }
  return { method, condition };
}

interface Builder {
  group: CurveGroup;
  metricValues: Map<string, (number | null)[]>;
}

/**
 * Groups the curves of `record` across seeds by equal labels and summarises each group: per x
 * the median and the band quantiles over the seeds with a finite value at that x (a diverged
 * seed stops contributing after its last finite value, so `count` drops), and per metric the
 * median over seeds with nulls excluded and counted.
 */
export function aggregateRecord(record: RunRecord, options: AggregateOptions = {}): Aggregate {
  const band = options.band ?? DEFAULT_BAND;
  for (const [name, q] of [
    ["band.lo", band.lo],
    ["band.hi", band.hi],
  ] as const) {
    if (!(q >= 0 && q <= 1)) throw new RangeError(`aggregate: "${name}" must be in [0, 1]; got ${q}.`);
  }
  if (band.lo > band.hi) {
    throw new RangeError(`aggregate: "band.lo" must be ≤ "band.hi"; got ${band.lo} > ${band.hi}.`);
  }
  const seeds = record.result.seeds;
  const builders = new Map<string, Builder>();
  const methods: string[] = [];
  const conditions = new Map<string, Labels>();

  seeds.forEach((run, s) => {
    const seedIndex = record.seedIndices[s] ?? s;
    for (const curve of run.curves) {
      const key = labelsKey(curve.labels);
      let b = builders.get(key);
      if (b === undefined) {
        const { method, condition } = splitLabels(curve.labels);
        const conditionKey = labelsKey(condition);
        if (method !== null && !methods.includes(method)) methods.push(method);
        if (!conditions.has(conditionKey)) conditions.set(conditionKey, condition);
        b = {
          group: {
            labels: { ...curve.labels },
            method,
            condition,
            conditionKey,
            xName: curve.xName,
            yName: curve.yName,
            seedIndices: [],
            seedCurves: [],
            points: [],
            metrics: {},
            diverged: [],
          },
          metricValues: new Map(),
        };
        builders.set(key, b);
      }
      const g = b.group;
      const slot = g.seedIndices.length;
      g.seedIndices.push(seedIndex);
      g.seedCurves.push({ x: curve.x, y: curve.y });
      for (const [name, value] of Object.entries(curve.metrics)) {
        let values = b.metricValues.get(name);
        if (values === undefined) {
          // Seeds seen before this metric appeared lack it: they count as null.
          values = new Array<number | null>(slot).fill(null);
          b.metricValues.set(name, values);
        }
        values.push(value);
      }
      for (const values of b.metricValues.values()) {
        while (values.length < slot + 1) values.push(null);
      }
      if (curve.status === "diverged" || curve.diverged !== undefined) {
        const last = lastFinite(curve.x, curve.y);
        g.diverged.push({
          seedIndex,
          divergence: curve.diverged ?? { iteration: Number.NaN, quantity: "?", value: "NaN" },
          lastX: last?.x ?? null,
          lastY: last?.y ?? null,
        });
      }
    }
  });

  const groups: CurveGroup[] = [];
  for (const { group, metricValues } of builders.values()) {
    group.points = pointsOf(group.seedCurves, band);
    for (const [name, values] of metricValues) {
      while (values.length < group.seedIndices.length) values.push(null);
      group.metrics[name] = summarise(values);
    }
    groups.push(group);
  }
  return {
    experiment: record.experiment,
    seeds: seeds.length,
    band,
    groups,
    methods,
    conditions: [...conditions].map(([key, labels]) => ({ key, labels })),
  };
}

function lastFinite(x: number[], y: number[]): { x: number; y: number } | null {
  for (let i = Math.min(x.length, y.length) - 1; i >= 0; i--) {
    if (Number.isFinite(y[i]) && Number.isFinite(x[i])) return { x: x[i], y: y[i] };
  }
  return null;
}

function pointsOf(curves: { x: number[]; y: number[] }[], band: Band): SeriesPoint[] {
  // Seeds may have different x grids (a diverged seed stops early): collect values per x.
  const byX = new Map<number, number[]>();
  for (const { x, y } of curves) {
    const n = Math.min(x.length, y.length);
    for (let i = 0; i < n; i++) {
      if (!Number.isFinite(x[i]) || !Number.isFinite(y[i])) continue;
      let ys = byX.get(x[i]);
      if (ys === undefined) {
        ys = [];
        byX.set(x[i], ys);
      }
      ys.push(y[i]);
    }
  }
  const xs = [...byX.keys()].sort((a, b) => a - b);
  return xs.map((x) => {
    const ys = Float64Array.from(byX.get(x)!).sort();
    return {
      x,
      median: quantile(ys, 0.5),
      lo: quantile(ys, band.lo),
      hi: quantile(ys, band.hi),
      count: ys.length,
    };
  });
}

function summarise(values: (number | null)[]): MetricSummary {
  const finite = values.filter((v): v is number => v !== null && Number.isFinite(v));
  return {
    median: finite.length === 0 ? null : median(finite),
    count: finite.length,
    nulls: values.length - finite.length,
    values,
  };
}

/** Value of a label as it appears in text, e.g. `0.5`, `∞`, `true`. */
export function formatLabelValue(v: LabelValue): string {
  // In labels, as in params, null stands for ∞ (a sample count m = ∞ is the population).
  if (v === null) return "∞";
  if (typeof v === "number") {
    if (v === Number.POSITIVE_INFINITY) return "∞";
    if (v === Number.NEGATIVE_INFINITY) return "−∞";
    return String(v);
  }
  return String(v);
}
