import type { TopLevelSpec } from "vega-lite";
import { CLASSIFICATION_Y } from "../experiments/kongClassification.js";
import { CLUSTERING_Y } from "../experiments/kongClustering.js";
import { MSE_Y } from "../experiments/kongPrediction.js";
import { CAPTURED_Y, CORRUPTED_Y } from "../experiments/kongRobustPca.js";
import { THRESHOLD_Y } from "../experiments/kongScaling.js";
import { SUBSPACE_Y, X_PER_TASK, X_TASKS } from "../experiments/kongSubspace.js";
import type { RunRecord } from "../record/types.js";
import { aggregateRecord, type Band, type CurveGroup } from "./aggregate.js";
import { conditionTitle, FIGURE_CONFIG, FigureError } from "./figures.js";

/**
 * Vega-Lite figures of the Kong et al. experiments (SPEC §2): per method (curve label `method`)
 * the median over seeds of a quantity against the swept variable, with a 10–90% band, one panel
 * per condition (the other labels). Pure: records in, JSON specs out.
 */

export interface KongFigureOptions {
  title?: string;
  band?: Band;
  width?: number;
  height?: number;
  columns?: number;
}

/** What one figure kind draws. */
export interface KongSeriesSpec {
  /** Curves with this `yName` are drawn (and only those). */
  yName: string;
  /** Optionally also filter on `xName`. */
  xName?: string;
  logX?: boolean;
  logY?: boolean;
  /** Fixed y domain (e.g. [0, 1] for accuracies). */
  yDomain?: [number, number];
  /** Draw each curve's `theorySlope` metric as a dashed power law through its medians. */
  theorySlopes?: boolean;
}

/** The figure kinds of the Kong experiments: kind → file name and what to draw. */
export const KONG_FIGURE_KINDS: Record<string, { name: string; spec: KongSeriesSpec }> = {
  "kong-subspace-t": {
    name: "subspace-vs-examples",
    spec: { yName: SUBSPACE_Y, xName: X_PER_TASK, logX: true, logY: true },
  },
  "kong-subspace-n": {
    name: "subspace-vs-tasks",
    spec: { yName: SUBSPACE_Y, xName: X_TASKS, logX: true, logY: true },
  },
  "kong-clustering": { name: "clustering", spec: { yName: CLUSTERING_Y, logX: true, yDomain: [0, 1] } },
  "kong-classification": {
    name: "classification",
    spec: { yName: CLASSIFICATION_Y, logX: true, yDomain: [0, 1] },
  },
  "kong-prediction": { name: "test-mse", spec: { yName: MSE_Y, logY: true } },
  "kong-sine": { name: "sine-test-mse", spec: { yName: MSE_Y, logY: true } },
  "kong-robust-variance": { name: "captured-variance", spec: { yName: CAPTURED_Y } },
  "kong-robust-corrupted": { name: "remaining-corrupted", spec: { yName: CORRUPTED_Y } },
  "kong-scaling": {
    name: "thresholds",
    spec: { yName: THRESHOLD_Y, logX: true, logY: true, theorySlopes: true },
  },
};

const COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#555555", "#9467bd", "#ff7f0e", "#17becf", "#8c564b"];

function paramsText(params: Record<string, unknown>): string {
  const parts: string[] = [];
  for (const key of ["d", "k", "components", "n", "n1", "n2", "n3"]) {
    const v = params[key];
    if (v === undefined || v === null || typeof v === "object") continue;
    parts.push(`${key}=${String(v)}`);
  }
  return parts.join(", ");
}

/** Power law with the given slope through the geometric mean of a group's median points. */
function theoryPoints(g: CurveGroup, slope: number): { x: number; y: number }[] {
  const pts = g.points.filter((p) => p.x > 0 && p.median > 0);
  if (pts.length < 2) return [];
  const mx = pts.reduce((s, p) => s + Math.log(p.x), 0) / pts.length;
  const my = pts.reduce((s, p) => s + Math.log(p.median), 0) / pts.length;
  return pts.map((p) => ({ x: p.x, y: Math.exp(my + slope * (Math.log(p.x) - mx)) }));
}

/** A figure of one quantity of a Kong experiment's record (see `KongSeriesSpec`). */
export function kongSeriesFigure(
  record: RunRecord,
  spec: KongSeriesSpec,
  options: KongFigureOptions = {},
): TopLevelSpec {
  const agg = aggregateRecord(record, options.band ? { band: options.band } : {});
  const groups = agg.groups.filter(
    (g) => g.yName === spec.yName && (spec.xName === undefined || g.xName === spec.xName),
  );
  if (groups.length === 0) {
    throw new FigureError(`kongSeriesFigure: the record has no curve with yName "${spec.yName}".`);
  }
  const methods: string[] = [];
  const panels: string[] = [];
  const xNames: string[] = [];
  const rows: Record<string, unknown>[] = [];
  const theoryLabels: string[] = [];
  for (const g of groups) {
    const method = g.method ?? "(none)";
    const { quantity: _quantity, ...condition } = g.condition;
    const panel = conditionTitle(condition);
    if (!methods.includes(method)) methods.push(method);
    if (!panels.includes(panel)) panels.push(panel);
    if (!xNames.includes(g.xName)) xNames.push(g.xName);
    for (const p of g.points) {
      rows.push({
        kind: "series",
        panel,
        method,
        x: p.x,
        median: p.median,
        lo: p.lo,
        hi: p.hi,
        seeds: p.count,
      });
    }
    const slope = g.metrics.theorySlope?.median;
    const fitted = g.metrics.slope?.median;
    if (spec.theorySlopes && slope !== null && slope !== undefined) {
      const label = `theory slope ${slope}${fitted === null || fitted === undefined ? "" : ` (fitted ${fitted.toFixed(2)})`}`;
      theoryLabels.push(label);
      for (const q of theoryPoints(g, slope))
        rows.push({ kind: "theory", panel, method: label, x: q.x, median: q.y });
    }
  }
  const domain = [...methods, ...theoryLabels];
  const range = domain.map((m, i) => (theoryLabels.includes(m) ? "#888888" : COLORS[i % COLORS.length]));
  const color = { field: "method", type: "nominal", title: "method", scale: { domain, range } };
  const x = {
    field: "x",
    type: "quantitative",
    title: xNames.join(" / "),
    scale: spec.logX ? { type: "log", nice: false, padding: 8 } : { zero: false, nice: false, padding: 8 },
  };
  const yScale: Record<string, unknown> = spec.logY
    ? { type: "log", nice: false, padding: 8 }
    : { zero: false };
  if (spec.yDomain) yScale.domain = spec.yDomain;
  const y = { type: "quantitative", title: spec.yName, scale: yScale };
  const series = { filter: "datum.kind === 'series'" };
  const layers: unknown[] = [
    {
      transform: [series],
      mark: { type: "area", fillOpacity: 0.18 },
      encoding: { x, y: { ...y, field: "lo" }, y2: { field: "hi" }, color },
    },
    {
      transform: [series],
      mark: { type: "line", strokeWidth: 1.8, point: true },
      encoding: {
        x,
        y: { ...y, field: "median" },
        color: { ...color, legend: { symbolType: "stroke", symbolStrokeWidth: 2.5, symbolOpacity: 1 } },
        tooltip: [
          { field: "method", type: "nominal" },
          { field: "x", type: "quantitative" },
          { field: "median", type: "quantitative", format: ".4g" },
          { field: "lo", type: "quantitative", format: ".4g", title: "band low" },
          { field: "hi", type: "quantitative", format: ".4g", title: "band high" },
          { field: "seeds", type: "quantitative" },
        ],
      },
    },
  ];
  if (theoryLabels.length > 0) {
    layers.push({
      transform: [{ filter: "datum.kind === 'theory'" }],
      mark: { type: "line", strokeDash: [6, 4], strokeWidth: 1.5 },
      encoding: { x, y: { ...y, field: "median" }, color },
    });
  }
  const pct = (q: number) => `${Math.round(q * 100)}`;
  const subtitle = [
    [
      paramsText(record.params),
      `median and ${pct(agg.band.lo)}–${pct(agg.band.hi)}% band over ${agg.seeds} seeds`,
    ]
      .filter((s) => s.length > 0)
      .join(" · "),
  ];
  const size = { width: options.width ?? 280, height: options.height ?? 200 };
  const head = {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    title: { text: options.title ?? record.experiment, subtitle },
    data: { values: rows },
    config: FIGURE_CONFIG,
  };
  if (panels.length <= 1) return { ...head, ...size, layer: layers } as TopLevelSpec;
  return {
    ...head,
    facet: { field: "panel", type: "nominal", sort: panels, header: { title: null } },
    columns: Math.min(options.columns ?? 3, panels.length),
    resolve: { scale: { x: "independent", y: spec.yDomain ? "shared" : "independent" } },
    bounds: "flush",
    spec: { ...size, layer: layers },
  } as TopLevelSpec;
}

/** The figure of a registered Kong figure kind (see `KONG_FIGURE_KINDS`). */
export function kongFigure(kind: string, record: RunRecord, options: KongFigureOptions = {}): TopLevelSpec {
  const k = KONG_FIGURE_KINDS[kind];
  if (!k)
    throw new FigureError(
      `kongFigure: unknown kind "${kind}"; known: ${Object.keys(KONG_FIGURE_KINDS).join(", ")}.`,
    );
  return kongSeriesFigure(record, k.spec, options);
}
