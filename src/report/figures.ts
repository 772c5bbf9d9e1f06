import type { Config, TopLevelSpec } from "vega-lite";
import type { Labels } from "../experiments/types.js";
import type { RunRecord } from "../record/types.js";
import { predictedRate, predictedRateOf } from "../theory/collinsRate.js";
import {
  type Aggregate,
  aggregateRecord,
  type Band,
  type CurveGroup,
  formatLabelValue,
  labelsKey,
} from "./aggregate.js";

/**
 * Vega-Lite figure builders for stored run records. Pure: they return plain JSON specs (inline
 * data, no URLs), rendered by `render.ts` or embedded by the web page as they are.
 */

/** Font family of every figure; `render.ts` loads this family for the PNG. */
export const FONT_FAMILY = "DejaVu Sans";
/** CSS font list of the specs: DejaVu Sans (loaded for the PNG), then look-alikes for browsers. */
export const FONT_STACK = `${FONT_FAMILY}, Verdana, sans-serif`;

/** Fixed method order and colours, so a method looks the same in every figure. */
export const METHOD_ORDER = ["anil", "fo-anil", "maml", "fo-maml", "avg-gd"] as const;
export const METHOD_COLORS: Record<string, string> = {
  anil: "#1f77b4",
  "fo-anil": "#17becf",
  maml: "#d62728",
  "fo-maml": "#ff7f0e",
  "avg-gd": "#555555",
};
/** Colours for methods outside `METHOD_ORDER`, in first-seen order. */
const EXTRA_COLORS = ["#2ca02c", "#9467bd", "#8c564b", "#e377c2", "#bcbd22", "#7f7f7f"];

/**
 * Smallest value drawn on a log axis: values ≤ 0 or below it (e.g. `dist` exactly 0 when the
 * subspace is recovered to machine precision) are drawn at this floor, and the subtitle says so.
 */
export const LOG_FLOOR = 1e-17;

/** Axis title for the principal-angle distance (SPEC §1.1): always say it is not squared. */
export const DIST_AXIS_TITLE = "dist = sin θ_max (unsquared)";

/** Short symbols for condition labels in panel titles, e.g. `sigma` → `σ`. */
const LABEL_SYMBOLS: Record<string, string> = {
  mu: "µ",
  sigma: "σ",
  alpha: "α",
  beta: "β",
  tau: "τ",
  lambda: "λ",
  theta: "θ",
};

const DIVERGED_TITLE = "diverged (× at last finite value)";
/** An × as a vega symbol path (unit square), drawn stroked. */
const CROSS = "M-1,-1L1,1M-1,1L1,-1";
const THEORY_RATE_LABEL = "theory 1 − αβµ²";
const THEORY_TRACE_LABEL = "theory rate 1 − αβµ² per iteration";
/** Sideways pixel shift between methods in the rate figure. */
const SHIFT_PX = 5;

/** Raised when a record lacks what a figure needs (e.g. `alpha` for the theory rate). */
export class FigureError extends Error {
  override name = "FigureError";
}

export interface FigureOptions {
  /** Figure title; default: the experiment id. */
  title?: string;
  /** Band quantiles over seeds; default 10%–90%. */
  band?: Band;
  /** Size of one panel in pixels. */
  width?: number;
  height?: number;
  /** Maximum number of panels per row when faceted; default 4. */
  columns?: number;
}

export interface TraceFigureOptions extends FigureOptions {
  /**
   * Draw the derived population rate (SPEC §1.2) as a dotted line of slope `1 − αβµ²` in each
   * panel, through the first method's median where it first reaches `THEORY_ANCHOR` (the rate is
   * asymptotic), or through its start if it never does; α, β from the params and µ from the
   * panel's label (or the params). Skipped where the rate is not derived (`predictedRateOf`) or
   * not in (0, 1).
   */
  theoryRate?: boolean;
}

export interface RateFigureOptions extends FigureOptions {
  /** Label holding µ on the curves; default `mu`. */
  muLabel?: string;
  /** Metric holding the fitted rate; default `rate`. */
  metric?: string;
}

/** Panel title of a condition, e.g. `m_in=10, n=20, σ=0`. */
export function conditionTitle(condition: Labels): string {
  return Object.entries(condition)
    .map(([k, v]) => `${LABEL_SYMBOLS[k] ?? k}=${formatLabelValue(v)}`)
    .join(", ");
}

/** Methods in the fixed order first, then the others in first-seen order. */
export function orderMethods(methods: readonly string[]): string[] {
  const known = METHOD_ORDER.filter((m) => methods.includes(m));
  return [...known, ...methods.filter((m) => !(METHOD_ORDER as readonly string[]).includes(m))];
}

function methodColors(methods: readonly string[]): string[] {
  let extra = 0;
  return methods.map((m) => METHOD_COLORS[m] ?? EXTRA_COLORS[extra++ % EXTRA_COLORS.length]);
}

/** Dashed lines for first-order variants, so they read apart from their exact counterparts. */
function methodDashes(methods: readonly string[]): number[][] {
  return methods.map((m) => (m.startsWith("fo-") ? [6, 3] : [1, 0]));
}

function bandText(band: Band): string {
  if (band.lo === 0 && band.hi === 1) return "min–max band";
  const pct = (q: number) => `${Math.round(q * 1000) / 10}`;
  return `${pct(band.lo)}–${pct(band.hi)}% band`;
}

/** `d=20, k=3, n=20, α=0.5, β=0.5` from the record's params, skipping those varied in panels. */
function paramsText(params: Record<string, unknown>, varied: ReadonlySet<string>): string {
  const parts: string[] = [];
  for (const key of ["d", "k", "n", "alpha", "beta"]) {
    const v = params[key];
    if (varied.has(key) || v === undefined || v === null || typeof v === "object") continue;
    parts.push(`${LABEL_SYMBOLS[key] ?? key}=${String(v)}`);
  }
  return parts.join(", ");
}

/** The Vega-Lite config of every figure: fonts, title and legend styling. */
export const FIGURE_CONFIG: Config = {
  font: FONT_STACK,
  background: "white",
  title: { anchor: "start", fontSize: 15, subtitleFontSize: 11, subtitleColor: "#444" },
  axis: { labelFontSize: 10, titleFontSize: 11, gridColor: "#e6e6e6" },
  header: { labelFontSize: 12, labelFontWeight: "bold" },
  legend: { labelFontSize: 11, titleFontSize: 11, labelLimit: 320, titleLimit: 320 },
  view: { stroke: "#bbb" },
};

/**
 * Legend symbols at full opacity: Vega-Lite otherwise copies the opacity of a faint layer (band,
 * per-seed points) into the shared legend. (`encoding` is a hidden but supported legend field.)
 */
const OPAQUE_SYMBOLS = { encoding: { symbols: { update: { opacity: { value: 1 } } } } };

interface Layout {
  /** Distinct condition titles in first-seen order (empty when nothing is varied). */
  panels: string[];
  columns: number;
}

/** Wraps layers in a facet over `panel` when there is more than one condition. */
function assemble(
  layers: unknown[],
  rows: Record<string, unknown>[],
  layout: Layout,
  title: { text: string; subtitle: string[] },
  size: { width: number; height: number },
): TopLevelSpec {
  const head = {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    title,
    data: { values: rows },
    config: FIGURE_CONFIG,
  };
  if (layout.panels.length <= 1) {
    return { ...head, ...size, layer: layers } as TopLevelSpec;
  }
  return {
    ...head,
    facet: { field: "panel", type: "nominal", sort: layout.panels, header: { title: null } },
    columns: Math.min(layout.columns, layout.panels.length),
    // Lay panels out by their plot areas, so a mark poking out of one does not shift its header.
    bounds: "flush",
    spec: { ...size, layer: layers },
  } as TopLevelSpec;
}

function clampLog(v: number): number {
  return Number.isNaN(v) ? LOG_FLOOR : Math.max(v, LOG_FLOOR);
}

/**
 * `dist` vs iteration on a log y axis: per method the median over seeds (line) and the band
 * (shaded area), one panel per condition (the non-method labels, e.g. µ or (m_in, n, σ)).
 * Divergences are drawn, not hidden: a × at each diverged seed's last finite value, with a
 * tooltip, and a legend entry per diverged method (and panel) "maml: at t=… (k/N seeds)" under
 * the title "diverged (× at last finite value)"; t is the iteration whose update blew up.
 * Values ≤ 0 or below `LOG_FLOOR` are drawn at `LOG_FLOOR`.
 */
export function traceFigure(record: RunRecord, options: TraceFigureOptions = {}): TopLevelSpec {
  const agg = aggregateRecord(record, options.band ? { band: options.band } : {});
  const methods = orderMethods(agg.methods);
  const panelOf = panelTitles(agg);
  const layout: Layout = {
    panels: agg.conditions.length > 1 ? agg.conditions.map((c) => panelOf.get(c.key)!) : [],
    columns: options.columns ?? 4,
  };
  const groups = sortGroups(agg.groups, methods);
  const rows: Record<string, unknown>[] = [];
  let clamped = false;
  const divergedEntries: string[] = [];
  const size = { width: options.width ?? 260, height: options.height ?? 190 };
  for (const g of groups) {
    const method = g.method ?? "(none)";
    const panel = panelOf.get(g.conditionKey)!;
    for (const p of g.points) {
      if (!(p.lo > LOG_FLOOR && p.median > LOG_FLOOR)) clamped = true;
      rows.push({
        kind: "series",
        panel,
        method,
        x: p.x,
        median: clampLog(p.median),
        lo: clampLog(p.lo),
        hi: clampLog(p.hi),
        seeds: `${p.count}/${g.seedIndices.length}`,
      });
    }
    if (g.diverged.length > 0) {
      // One legend entry per diverged group: the × marks stay legible however many there are.
      const ts = g.diverged.map((dv) => dv.divergence.iteration).filter((t) => Number.isFinite(t));
      const at = ts.length === 0 ? "?" : rangeText(Math.min(...ts), Math.max(...ts));
      const where = layout.panels.length > 0 ? `${method}, ${panel}` : method;
      const entry = `${where}: at t=${at} (${g.diverged.length}/${g.seedIndices.length} seeds)`;
      divergedEntries.push(entry);
      for (const dv of g.diverged) {
        if (dv.lastX === null || dv.lastY === null) continue;
        const t = dv.divergence.iteration;
        rows.push({
          kind: "diverged",
          panel,
          method,
          x: dv.lastX,
          y: clampLog(dv.lastY),
          seed: dv.seedIndex,
          entry,
          note: `diverged at t=${Number.isFinite(t) ? t : "?"}`,
          blewUp: `${dv.divergence.quantity} = ${String(dv.divergence.value)}`,
        });
      }
    }
  }

  const theory = options.theoryRate ? theoryRateRows(record, agg, panelOf) : [];
  rows.push(...theory);

  const hasDivergence = rows.some((r) => r.kind === "diverged");
  // The theory line is one more entry of the method legend: black, dotted.
  const series = theory.length > 0 ? [...methods, THEORY_TRACE_LABEL] : methods;
  const color = {
    field: "method",
    type: "nominal",
    title: "method",
    scale: { domain: series, range: [...methodColors(methods), "black"].slice(0, series.length) },
  };
  const dashes = {
    field: "method",
    type: "nominal",
    title: "method",
    scale: { domain: series, range: [...methodDashes(methods), [2, 3]].slice(0, series.length) },
  };
  const x = { field: "x", type: "quantitative", title: groups[0]?.xName ?? "iteration" };
  const yName = groups[0]?.yName ?? "dist";
  const yAxis = {
    title: yName === "dist" ? DIST_AXIS_TITLE : yName,
    format: "~e",
  };
  // Padding keeps the divergence crosses (drawn at the extremes) inside the plot.
  const yScale = { type: "log", padding: 8 };
  const layers: unknown[] = [
    {
      transform: [{ filter: "datum.kind === 'series'" }],
      mark: { type: "area", fillOpacity: 0.18 },
      encoding: {
        x,
        y: { field: "lo", type: "quantitative", scale: yScale, axis: yAxis },
        y2: { field: "hi" },
        color,
      },
    },
    {
      transform: [{ filter: "datum.kind === 'series'" }],
      mark: { type: "line", strokeWidth: 1.8, opacity: 1 },
      encoding: {
        x,
        y: { field: "median", type: "quantitative", scale: yScale, axis: yAxis },
        // Line symbols (with the FO dashes) in the legend, not the band's faint swatches.
        color: { ...color, legend: { symbolType: "stroke", symbolStrokeWidth: 2.5, ...OPAQUE_SYMBOLS } },
        strokeDash: dashes,
        tooltip: [
          { field: "method", type: "nominal" },
          { field: "x", type: "quantitative", title: "iteration" },
          { field: "median", type: "quantitative", format: ".3e" },
          { field: "lo", type: "quantitative", format: ".3e", title: "band low" },
          { field: "hi", type: "quantitative", format: ".3e", title: "band high" },
          { field: "seeds", type: "nominal" },
        ],
      },
    },
  ];
  if (theory.length > 0) {
    layers.push({
      transform: [{ filter: "datum.kind === 'theory'" }],
      mark: { type: "line", strokeWidth: 1.2 },
      encoding: {
        x,
        y: { field: "y", type: "quantitative", scale: yScale, axis: yAxis },
        color,
        strokeDash: dashes,
        tooltip: [
          { field: "x", type: "quantitative", title: "iteration" },
          { field: "y", type: "quantitative", format: ".3e", title: THEORY_TRACE_LABEL },
          { field: "rate", type: "quantitative", format: ".5f", title: "1 − αβµ²" },
        ],
      },
    });
  }
  if (hasDivergence) {
    layers.push({
      transform: [{ filter: "datum.kind === 'diverged'" }],
      mark: { type: "point", filled: false, strokeWidth: 2, size: 70, opacity: 1 },
      encoding: {
        x,
        y: { field: "y", type: "quantitative", scale: yScale, axis: yAxis },
        color,
        shape: {
          field: "entry",
          type: "nominal",
          title: DIVERGED_TITLE,
          scale: { domain: divergedEntries, range: divergedEntries.map(() => CROSS) },
        },
        tooltip: [
          { field: "method", type: "nominal" },
          { field: "seed", type: "nominal" },
          { field: "note", type: "nominal", title: "divergence" },
          { field: "blewUp", type: "nominal", title: "blew up" },
          { field: "x", type: "quantitative", title: "last finite iteration" },
          { field: "y", type: "quantitative", format: ".3e", title: "last finite value" },
        ],
      },
    });
  }

  const varied = new Set(agg.conditions.flatMap((c) => Object.keys(c.labels)));
  const subtitle = [
    [paramsText(record.params, varied), `median and ${bandText(agg.band)} over ${agg.seeds} seeds`]
      .filter((s) => s.length > 0)
      .join(" · "),
  ];
  if (clamped)
    subtitle.push(`values below ${LOG_FLOOR.toExponential()} drawn at ${LOG_FLOOR.toExponential()}`);
  return assemble(layers, rows, layout, { text: options.title ?? record.experiment, subtitle }, size);
}

/** Where the `theoryRate` line meets the measured curve: well inside the asymptotic regime. */
const THEORY_ANCHOR = 1e-3;

/** Rows of the `theoryRate` line of each panel: `y_a · r^(t − t_a)` within [LOG_FLOOR, 1]. */
function theoryRateRows(
  record: RunRecord,
  agg: Aggregate,
  panelOf: Map<string, string>,
): Record<string, unknown>[] {
  const rows: Record<string, unknown>[] = [];
  for (const c of agg.conditions) {
    const rate = predictedRateOf(record.params, c.labels.mu ?? record.params.mu);
    if (rate === null) continue;
    const groups = sortGroups(
      agg.groups.filter((g) => g.conditionKey === c.key),
      orderMethods(agg.methods),
    );
    const first = groups[0]?.points ?? [];
    const anchor = first.find((p) => p.median <= THEORY_ANCHOR) ?? first[0];
    const end = Math.max(...groups.flatMap((g) => g.points.map((p) => p.x)));
    if (!(rate > 0 && rate < 1) || !anchor || !(anchor.median > 0) || !Number.isFinite(end)) continue;
    const panel = panelOf.get(c.key)!;
    for (let t = 0; t <= end; t++) {
      const y = anchor.median * rate ** (t - anchor.x);
      if (y > 1) continue;
      if (y < LOG_FLOOR) break;
      rows.push({ kind: "theory", panel, method: THEORY_TRACE_LABEL, x: t, y, rate });
    }
  }
  return rows;
}

function rangeText(lo: number, hi: number): string {
  return lo === hi ? `${lo}` : `${lo}–${hi}`;
}

function panelTitles(agg: Aggregate): Map<string, string> {
  return new Map(agg.conditions.map((c) => [c.key, conditionTitle(c.labels)]));
}

/** Groups by method order (stable within a method: first-seen condition order). */
function sortGroups(groups: CurveGroup[], methods: string[]): CurveGroup[] {
  const rank = (g: CurveGroup) => (g.method === null ? methods.length : methods.indexOf(g.method));
  return groups
    .map((g, i) => ({ g, i }))
    .sort((a, b) => rank(a.g) - rank(b.g) || a.i - b.i)
    .map(({ g }) => g);
}

function numberParam(record: RunRecord, name: string, figure: string): number {
  const v = record.params[name];
  if (typeof v !== "number" || !Number.isFinite(v)) {
    throw new FigureError(`${figure}: record.params "${name}" must be a finite number; got ${String(v)}.`);
  }
  return v;
}

/** µ grid of the theory line: 0 to max µ in `steps` steps, plus every measured µ exactly. */
function theoryGrid(mus: number[], steps = 100): number[] {
  const top = Math.max(...mus);
  const grid = new Set<number>(mus);
  for (let i = 0; i <= steps; i++) grid.add((top * i) / steps);
  return [...grid].sort((a, b) => a - b);
}

/**
 * Task diversity vs convergence rate (Collins et al. 2022; SPEC §1.2): per method the fitted
 * linear rate `dist_{t+1}/dist_t` against µ (median over seeds as solid points, each seed as a
 * faint point), with the derived population rate `1 − αβµ²` drawn as a line over a fine µ grid.
 * Curves with other condition labels besides µ get one panel per such condition.
 */
export function rateFigure(record: RunRecord, options: RateFigureOptions = {}): TopLevelSpec {
  const muLabel = options.muLabel ?? "mu";
  const metric = options.metric ?? "rate";
  const alpha = numberParam(record, "alpha", "rateFigure");
  const beta = numberParam(record, "beta", "rateFigure");
  const agg = aggregateRecord(record, options.band ? { band: options.band } : {});
  const methods = orderMethods(agg.methods);
  const groups = sortGroups(agg.groups, methods);

  // Panels: the condition without µ.
  const panelKeys: string[] = [];
  const panelTitle = new Map<string, string>();
  const rows: Record<string, unknown>[] = [];
  const musPerPanel = new Map<string, number[]>();
  let missing = 0;
  for (const g of groups) {
    const mu = g.condition[muLabel];
    if (typeof mu !== "number" || !Number.isFinite(mu)) {
      throw new FigureError(
        `rateFigure: curve label "${muLabel}" must be a finite number; got ${String(mu)} for ${JSON.stringify(g.labels)}.`,
      );
    }
    const rest: Labels = { ...g.condition };
    delete rest[muLabel];
    const key = labelsKey(rest);
    if (!panelTitle.has(key)) {
      panelKeys.push(key);
      panelTitle.set(key, conditionTitle(rest));
      musPerPanel.set(key, []);
    }
    const panel = panelTitle.get(key)!;
    musPerPanel.get(key)!.push(mu);
    const method = g.method ?? "(none)";
    // Methods often share a rate: shift each a few pixels sideways so none hides another.
    const shift = (methods.indexOf(method) - (methods.length - 1) / 2) * SHIFT_PX;
    const summary = g.metrics[metric];
    if (summary === undefined) {
      missing += g.seedIndices.length;
      continue;
    }
    missing += summary.nulls;
    summary.values.forEach((v, i) => {
      if (v === null || !Number.isFinite(v)) return;
      rows.push({ kind: "seed", panel, method, mu, shift, rate: v, seed: g.seedIndices[i] });
    });
    if (summary.median !== null) {
      rows.push({
        kind: "median",
        panel,
        method,
        mu,
        shift,
        rate: summary.median,
        seeds: `${summary.count}/${g.seedIndices.length}`,
      });
    }
  }
  for (const key of panelKeys) {
    const panel = panelTitle.get(key)!;
    for (const mu of theoryGrid(musPerPanel.get(key)!)) {
      rows.push({
        kind: "theory",
        panel,
        mu,
        rate: predictedRate(alpha, beta, mu),
        series: THEORY_RATE_LABEL,
      });
    }
  }

  const color = {
    field: "method",
    type: "nominal",
    title: "method",
    scale: { domain: methods, range: methodColors(methods) },
  };
  const muName = LABEL_SYMBOLS[muLabel] ?? muLabel;
  const x = { field: "mu", type: "quantitative", title: `${muName} (task diversity)` };
  const yAxis = { title: "fitted rate dist_{t+1} / dist_t" };
  const yScale = { zero: false };
  const layers: unknown[] = [
    {
      transform: [{ filter: "datum.kind === 'theory'" }],
      mark: { type: "line", color: "black", strokeWidth: 1.5 },
      encoding: {
        x,
        y: { field: "rate", type: "quantitative", scale: yScale, axis: yAxis },
        strokeDash: {
          field: "series",
          type: "nominal",
          title: null,
          scale: { domain: [THEORY_RATE_LABEL], range: [[5, 3]] },
        },
        tooltip: [
          { field: "mu", type: "quantitative", title: muName },
          { field: "rate", type: "quantitative", format: ".5f", title: THEORY_RATE_LABEL },
        ],
      },
    },
    {
      transform: [{ filter: "datum.kind === 'seed'" }],
      mark: { type: "point", filled: true, opacity: 0.3, size: 25, xOffset: { expr: "datum.shift" } },
      encoding: {
        x,
        y: { field: "rate", type: "quantitative", scale: yScale, axis: yAxis },
        color,
        tooltip: [
          { field: "method", type: "nominal" },
          { field: "seed", type: "nominal" },
          { field: "rate", type: "quantitative", format: ".5f" },
        ],
      },
    },
    {
      transform: [{ filter: "datum.kind === 'median'" }],
      mark: {
        type: "point",
        filled: true,
        opacity: 1,
        size: 70,
        stroke: "white",
        strokeWidth: 0.8,
        xOffset: { expr: "datum.shift" },
      },
      encoding: {
        x,
        y: { field: "rate", type: "quantitative", scale: yScale, axis: yAxis },
        color: { ...color, legend: OPAQUE_SYMBOLS },
        tooltip: [
          { field: "method", type: "nominal" },
          { field: "mu", type: "quantitative", title: muName },
          { field: "rate", type: "quantitative", format: ".5f", title: "median rate" },
          { field: "seeds", type: "nominal" },
        ],
      },
    },
  ];
  const params = paramsText(record.params, new Set([muLabel]));
  const subtitle = [
    [params, `median (solid) and each seed (faint) over ${agg.seeds} seeds, methods shifted sideways`]
      .filter((s) => s)
      .join(" · "),
  ];
  if (missing > 0) subtitle.push(`${missing} seed-curves without a fitted rate are not shown`);
  return assemble(
    layers,
    rows,
    {
      panels: panelKeys.length > 1 ? panelKeys.map((k) => panelTitle.get(k)!) : [],
      columns: options.columns ?? 4,
    },
    { text: options.title ?? record.experiment, subtitle },
    { width: options.width ?? 320, height: options.height ?? 220 },
  );
}
