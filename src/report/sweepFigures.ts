import type { TopLevelSpec } from "vega-lite";
import { acceptanceRegion } from "../experiments/claims.js";
import type { ColourSpec } from "../experiments/figureSpec.js";
import { canonicalJson } from "../experiments/keys.js";
import { getExperiment } from "../experiments/registry.js";
import type { Labels } from "../experiments/types.js";
import { extent } from "../metrics/extent.js";
import type { RecordedEntry, RunRecord } from "../record/types.js";
import { verdictsOf } from "../record/verdicts.js";
import { conditionTitle } from "./figureText.js";
import { seriesStyles } from "./seriesStyle.js";
import { metricColumn } from "./summaryTable.js";
import { FIGURE_CONFIG, OPAQUE_SYMBOLS, OVERLAY_COLOR, SERIES_DASHES, SYMBOLS } from "./theme.js";

/**
 * Figures of a sweep as a whole (what a sweep is for): each summary metric of the curves (median
 * over seeds with its 10–90 % band) against each numeric grid axis, one series per curve (method
 * and condition), one panel per value of the other grid coordinates; and, where the experiment
 * declares numeric claims, each claim's measurement against the region it accepts along each axis.
 */

export interface SweepFigure {
  name: string;
  spec: TopLevelSpec;
}

/** `name=value` pairs, readable: `alpha=0.25, n=10` (not JSON). */
export function readableLabels(l: Record<string, unknown>): string {
  const parts = Object.entries(l).map(([k, v]) => `${k}=${typeof v === "string" ? v : JSON.stringify(v)}`);
  return parts.length ? parts.join(", ") : "—";
}

/** Linear-interpolation quantile (DuckDB's quantile_cont) of sorted values. */
function quantile(sorted: readonly number[], q: number): number {
  const h = (sorted.length - 1) * q;
  const lo = Math.floor(h);
  const hi = Math.ceil(h);
  return sorted[lo] + (h - lo) * (sorted[hi] - sorted[lo]);
}

/** Compare two grid values: numbers numerically, others by their JSON text. */
export function compareGridValues(a: unknown, b: unknown): number {
  if (typeof a === "number" && typeof b === "number") return a - b;
  return canonicalJson(a) < canonicalJson(b) ? -1 : canonicalJson(a) > canonicalJson(b) ? 1 : 0;
}

/** Records (one per grid point) in numeric order of their coordinates, axes in the spec's order. */
export function sortByGrid(records: readonly RunRecord[], axes: readonly string[]): RunRecord[] {
  return [...records].sort((x, y) => {
    for (const a of axes) {
      const c = compareGridValues(x.grid?.[a], y.grid?.[a]);
      if (c !== 0) return c;
    }
    return 0;
  });
}

/** The grid axes whose values are all numbers (and take at least two values). */
export function numericAxes(records: readonly RunRecord[], axes: readonly string[]): string[] {
  return axes.filter((a) => {
    const vals = records.map((r) => r.grid?.[a]);
    return vals.every((v) => typeof v === "number") && new Set(vals).size >= 2;
  });
}

interface Row {
  x: number;
  series: string;
  /** The curve's method id (colour) and its other labels (dash). */
  method: string;
  rest: string;
  panel: string;
  median: number;
  lo: number;
  hi: number;
}

function axisSpec(
  axis: string,
  rows: Row[],
  yTitle: string,
  subtitle: string[],
  colour: ColourSpec,
  recorded: readonly RecordedEntry[],
): TopLevelSpec {
  const title = SYMBOLS[axis] ?? axis;
  const positive = rows.every((r) => r.lo > 0);
  const ys = rows.map((r) => r.median);
  const logY = positive && ys.length > 0 && extent(ys)[1] / extent(ys)[0] > 50;
  const xs = rows.map((r) => r.x);
  const logX = xs.every((x) => x > 0) && extent(xs)[1] / extent(xs)[0] > 20;
  // One colour per method, from the registry entry the experiment's figures use (as in its
  // other figures); the curve's other labels are told apart by dashes.
  const styles = seriesStyles(colour, [...new Set(rows.map((r) => r.method))], recorded);
  const labelOf = new Map(styles.map((s) => [s.id, s.label]));
  for (const r of rows) r.method = labelOf.get(r.method) ?? r.method;
  const color = {
    field: "method",
    type: "nominal" as const,
    title: colour.title,
    legend: OPAQUE_SYMBOLS,
    scale: { domain: styles.map((s) => s.label), range: styles.map((s) => s.color) },
  };
  const rests = [...new Set(rows.map((r) => r.rest))];
  const dash =
    rests.length > 1
      ? {
          strokeDash: {
            field: "rest",
            type: "nominal" as const,
            title: "condition",
            scale: { domain: rests, range: rests.map((_, i) => SERIES_DASHES[i % SERIES_DASHES.length]) },
          },
        }
      : {};
  const x = {
    field: "x",
    type: "quantitative" as const,
    title: title,
    scale: { type: logX ? "log" : "linear" },
  };
  const y = {
    type: "quantitative" as const,
    title: yTitle,
    scale: { type: logY ? "log" : "linear", zero: false },
  };
  const panels = [...new Set(rows.map((r) => r.panel))];
  const layers = {
    layer: [
      {
        mark: { type: "area", opacity: 0.18 },
        encoding: { x, y: { ...y, field: "lo" }, y2: { field: "hi" }, color, detail: { field: "series" } },
      },
      {
        mark: { type: "line", point: true },
        encoding: { x, y: { ...y, field: "median" }, color, ...dash, detail: { field: "series" } },
      },
    ],
  };
  const spec: Record<string, unknown> = {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    config: FIGURE_CONFIG,
    title: { text: `${yTitle} vs ${title}`, subtitle },
    data: { values: rows },
  };
  if (panels.length > 1) {
    spec.facet = { field: "panel", type: "nominal", title: null, sort: panels };
    spec.columns = Math.min(3, panels.length);
    spec.spec = { width: 260, height: 180, ...layers };
  } else Object.assign(spec, { width: 420, height: 260 }, layers);
  return spec as unknown as TopLevelSpec;
}

/** Each summary metric against each numeric grid axis, medians and 10–90 % bands over seeds. */
export function metricAxisFigures(
  records: readonly RunRecord[],
  axes: readonly string[],
  colour: ColourSpec = { title: "method" },
): SweepFigure[] {
  const out: SweepFigure[] = [];
  const metrics = new Map<string, string>(); // "yName|metric" → title
  for (const r of records)
    for (const s of r.result.seeds)
      for (const c of s.curves)
        for (const m of Object.keys(c.metrics))
          metrics.set(`${c.yName}|${m}`, metricColumn(m, c.yName).replace(/^median /, ""));
  for (const axis of numericAxes(records, axes)) {
    const others = axes.filter((a) => a !== axis);
    for (const [key, title] of metrics) {
      const [yName, metric] = key.split("|");
      const groups = new Map<
        string,
        { x: number; series: string; method: string; rest: string; panel: string; values: number[] }
      >();
      for (const r of records) {
        const panel = readableLabels(Object.fromEntries(others.map((a) => [a, r.grid?.[a]])));
        for (const s of r.result.seeds)
          for (const c of s.curves) {
            if (c.yName !== yName) continue;
            const v = c.metrics[metric];
            if (typeof v !== "number" || !Number.isFinite(v)) continue;
            const { method, quantity: _, ...others } = c.labels as Labels;
            const rest = conditionTitle(others);
            const series = readableLabels(c.labels as Labels);
            const x = r.grid?.[axis] as number;
            const id = JSON.stringify([x, series, panel]);
            const g = groups.get(id) ?? {
              x,
              series,
              method: String(method ?? "(none)"),
              rest,
              panel,
              values: [],
            };
            g.values.push(v);
            groups.set(id, g);
          }
      }
      const rows: Row[] = [...groups.values()].map((g) => {
        const v = [...g.values].sort((a, b) => a - b);
        return {
          x: g.x,
          series: g.series,
          method: g.method,
          rest: g.rest,
          panel: g.panel,
          median: quantile(v, 0.5),
          lo: quantile(v, 0.1),
          hi: quantile(v, 0.9),
        };
      });
      if (rows.length === 0) continue;
      const seeds = Math.max(...records.map((r) => r.seedIndices.length));
      out.push({
        name: `${metric}-${yName}-vs-${axis}`.replace(/[^A-Za-z0-9_.=-]+/g, "_"),
        spec: axisSpec(
          axis,
          rows,
          title,
          [
            `median and 10–90 % band over ${seeds === 1 ? "1 seed" : `${seeds} seeds`} per grid point${others.length ? "; one panel per value of the other grid axes" : ""}`,
          ],
          colour,
          records.flatMap((r) => (r.plugins ?? []).flatMap((p) => p.entries ?? [])),
        ),
      });
    }
  }
  return out;
}

/**
 * The experiment's numeric claims (value, slope, band tests) along each numeric grid axis: one
 * figure per axis, one panel per claim; the median over seeds with its 95 % bootstrap interval
 * (points and bars), the accepted region (grey band), one series per value of the other grid
 * coordinates. The verdicts are the same as the report's tables (src/record/verdicts.ts).
 */
export function claimAxisFigures(records: readonly RunRecord[], axes: readonly string[]): SweepFigure[] {
  const out: SweepFigure[] = [];
  const rowsOf = records.map((r) => {
    const exp = getExperiment(r.experiment);
    return { r, exp, verdicts: verdictsOf(r) };
  });
  const numericClaims = (e: (typeof rowsOf)[number]) =>
    (e.exp.claims ?? []).filter(
      (c) => c.test.kind === "value" || c.test.kind === "slope" || c.test.kind === "band",
    );
  if (rowsOf.every((x) => numericClaims(x).length === 0)) return out;
  for (const axis of numericAxes(records, axes)) {
    const others = axes.filter((a) => a !== axis);
    const values: Record<string, unknown>[] = [];
    for (const row of rowsOf) {
      const rest = readableLabels(Object.fromEntries(others.map((a) => [a, row.r.grid?.[a]]))) || "all";
      const x = row.r.grid?.[axis] as number;
      for (const c of numericClaims(row)) {
        const v = row.verdicts.find((w) => w.claim === c.id);
        const region = acceptanceRegion(c.test, row.r.params);
        if (region)
          values.push({ x, claim: c.id, series: rest, kind: "expected", lo: region.lo, hi: region.hi });
        if (v && v.measured !== null)
          values.push({
            x,
            claim: c.id,
            series: rest,
            kind: "measured",
            y: v.measured,
            lo: v.interval?.[0] ?? v.measured,
            hi: v.interval?.[1] ?? v.measured,
            verdict: v.verdict,
          });
      }
    }
    const claims = [...new Set(values.map((v) => String(v.claim)))];
    out.push({
      name: `claims-vs-${axis}`.replace(/[^A-Za-z0-9_.=-]+/g, "_"),
      spec: {
        $schema: "https://vega.github.io/schema/vega-lite/v6.json",
        config: FIGURE_CONFIG,
        title: {
          text: `The experiment's claims against ${axis}`,
          subtitle: [
            "median over seeds with its 95 % bootstrap interval; grey: the region the claim accepts",
          ],
        },
        data: { values },
        facet: { field: "claim", type: "nominal", title: null, sort: claims },
        columns: Math.min(3, claims.length),
        resolve: { scale: { y: "independent" } },
        spec: {
          width: 240,
          height: 160,
          layer: [
            {
              transform: [{ filter: "datum.kind === 'expected'" }],
              mark: { type: "area", color: OVERLAY_COLOR, opacity: 0.15 },
              encoding: {
                x: { field: "x", type: "quantitative", title: axis },
                y: {
                  field: "lo",
                  type: "quantitative",
                  title: "measured (median over seeds)",
                  scale: { zero: false },
                },
                y2: { field: "hi" },
                detail: { field: "series" },
              },
            },
            {
              transform: [{ filter: "datum.kind === 'measured'" }],
              mark: { type: "rule" },
              encoding: {
                x: { field: "x", type: "quantitative" },
                y: { field: "lo", type: "quantitative" },
                y2: { field: "hi" },
                color: { field: "series", type: "nominal", title: "other coordinates" },
              },
            },
            {
              transform: [{ filter: "datum.kind === 'measured'" }],
              mark: { type: "line", point: true },
              encoding: {
                x: { field: "x", type: "quantitative" },
                y: { field: "y", type: "quantitative" },
                color: { field: "series", type: "nominal", title: "other coordinates" },
              },
            },
          ],
        },
      } as unknown as TopLevelSpec,
    });
  }
  return out;
}
