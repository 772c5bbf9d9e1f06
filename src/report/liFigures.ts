import type { TopLevelSpec } from "vega-lite";
import type { Labels } from "../experiments/types.js";
import type { RunRecord } from "../record/types.js";
import { aggregateRecord, type CurveGroup, formatLabelValue } from "./aggregate.js";
import { FIGURE_CONFIG, FigureError } from "./figures.js";

/**
 * Vega-Lite figures of the multi-task vs single-task CNN experiments (Li et al., AISTATS 2025;
 * SPEC §3): error curves, final error vs K / n / SNR, alignment curves, and per-task errors on
 * CIFAR-10-C. Pure: plain JSON specs with inline data, medians and 10–90% bands over seeds from
 * `aggregateRecord`.
 */

export interface LiFigureOptions {
  title?: string;
  width?: number;
  height?: number;
  /** Maximum panels per row; default 4. */
  columns?: number;
}

/** Colours: single-task training grey-red, multi-task blue; the features u, v and the noise. */
const METHOD_DOMAIN = ["single", "multi"];
const METHOD_RANGE = ["#d62728", "#1f77b4"];
const FEATURE_DOMAIN = ["u", "v", "noise"];
const FEATURE_TITLES: Record<string, string> = {
  u: "shared feature u",
  v: "task features v_t (mean)",
  noise: "training noise ξ_i (mean)",
};
const FEATURE_RANGE = ["#1f77b4", "#2ca02c", "#7f7f7f"];
/** Smallest alignment drawn on the log axis (alignments are positive in practice). */
export const ALIGNMENT_FLOOR = 1e-3;

const SYMBOLS: Record<string, string> = { snr: "SNR", sigma_p: "σ_p", eta: "η", sigma0: "σ₀" };

function panelTitle(condition: Labels, skip: readonly string[] = []): string {
  return Object.entries(condition)
    .filter(([k]) => !skip.includes(k))
    .map(([k, v]) => `${SYMBOLS[k] ?? k}=${formatLabelValue(v)}`)
    .join(", ");
}

/** `d=100, P=2, p=0.6, q=3, m=20, η=1` from the record's params (those present and scalar). */
function paramsText(params: Record<string, unknown>, skip: readonly string[]): string {
  const keys: [string, string][] = [
    ["d", "d"],
    ["patches", "P"],
    ["p", "p"],
    ["q", "q"],
    ["m", "m"],
    ["eta", "η"],
    ["iters", "steps"],
  ];
  return keys
    .filter(([k]) => !skip.includes(k) && typeof params[k] === "number")
    .map(([k, name]) => `${name}=${String(params[k])}`)
    .join(", ");
}

function plural(n: number, what: string): string {
  return `${n} ${what}${n === 1 ? "" : "s"}`;
}

function seedsText(n: number): string {
  return `median and 10–90% band over ${plural(n, "seed")}`;
}

function assemble(
  layers: unknown[],
  rows: Record<string, unknown>[],
  panels: string[],
  columns: number,
  title: { text: string; subtitle: string[] },
  size: { width: number; height: number },
  extra: Record<string, unknown> = {},
): TopLevelSpec {
  const head = {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    title,
    data: { values: rows },
    config: FIGURE_CONFIG,
  };
  if (panels.length <= 1) return { ...head, ...size, layer: layers } as TopLevelSpec;
  return {
    ...head,
    facet: { field: "panel", type: "nominal", sort: panels, header: { title: null } },
    columns: Math.min(columns, panels.length),
    bounds: "flush",
    // Room for each panel's header above it.
    spacing: { row: 34, column: 14 },
    spec: { ...size, layer: layers },
    ...extra,
  } as TopLevelSpec;
}

function groupsOf(record: RunRecord, yName: string): { groups: CurveGroup[]; seeds: number } {
  const agg = aggregateRecord(record);
  const groups = agg.groups.filter((g) => g.yName === yName);
  if (groups.length === 0) {
    throw new FigureError(`${record.experiment}: the record has no "${yName}" curves to draw.`);
  }
  return { groups, seeds: agg.seeds };
}

/**
 * Test error (solid) and training error (dashed) vs iteration for single- and multi-task
 * training: median over seeds and 10–90% band, one panel per condition (K, n, SNR).
 */
export function liErrorFigure(record: RunRecord, options: LiFigureOptions = {}): TopLevelSpec {
  const test = groupsOf(record, "test error");
  const train = groupsOf(record, "train error");
  const rows: Record<string, unknown>[] = [];
  const panels: string[] = [];
  for (const g of [...test.groups, ...train.groups]) {
    const panel = panelTitle(g.condition, ["set"]);
    if (!panels.includes(panel)) panels.push(panel);
    const set = String(g.condition.set ?? (g.yName === "test error" ? "test" : "train"));
    for (const p of g.points) {
      rows.push({ panel, method: g.method ?? "?", set, x: p.x, median: p.median, lo: p.lo, hi: p.hi });
    }
  }
  const color = {
    field: "method",
    type: "nominal",
    title: "training",
    scale: { domain: METHOD_DOMAIN, range: METHOD_RANGE },
  };
  const x = { field: "x", type: "quantitative", title: "gradient-descent step" };
  const y = { type: "quantitative", title: "error (fraction misclassified)", scale: { domain: [0, 0.6] } };
  const layers = [
    {
      mark: { type: "area", fillOpacity: 0.15 },
      encoding: { x, y: { ...y, field: "lo" }, y2: { field: "hi" }, color, detail: { field: "set" } },
    },
    {
      mark: { type: "line", strokeWidth: 1.8 },
      encoding: {
        x,
        y: { ...y, field: "median" },
        color,
        strokeDash: {
          field: "set",
          type: "nominal",
          title: "data",
          scale: {
            domain: ["test", "train"],
            range: [
              [1, 0],
              [5, 3],
            ],
          },
        },
        tooltip: [
          { field: "method", type: "nominal" },
          { field: "set", type: "nominal" },
          { field: "x", type: "quantitative", title: "step" },
          { field: "median", type: "quantitative", format: ".3f" },
        ],
      },
    },
  ];
  const subtitle = [
    [paramsText(record.params, []), seedsText(test.seeds)].filter(Boolean).join(" · "),
    "mean over tasks; single-task: one network per task, multi-task: one network on the union",
  ];
  return assemble(
    layers,
    rows,
    panels,
    options.columns ?? 4,
    { text: options.title ?? record.experiment, subtitle },
    { width: options.width ?? 220, height: options.height ?? 160 },
  );
}

/**
 * Final mean test error vs K, vs n and vs SNR (one panel per swept coordinate, the others at the
 * base point `record.params` K, n, snr): median over seeds (line and points) and each seed (faint
 * points), single- vs multi-task training.
 */
export function liGapFigure(record: RunRecord, options: LiFigureOptions = {}): TopLevelSpec {
  const { groups, seeds } = groupsOf(record, "test error");
  const base: Record<string, unknown> = { K: record.params.K, n: record.params.n, snr: record.params.snr };
  for (const [k, v] of Object.entries(base)) {
    if (typeof v !== "number")
      throw new FigureError(`liGapFigure: record.params "${k}" must be a number; got ${String(v)}.`);
  }
  const axes: [string, string][] = [
    ["K", "number of tasks K"],
    ["n", "examples per task n"],
    ["snr", "shared-feature SNR"],
  ];
  const rows: Record<string, unknown>[] = [];
  const panels: string[] = [];
  for (const [axis, title] of axes) {
    const others = axes.map(([a]) => a).filter((a) => a !== axis);
    const onAxis = groups.filter((g) => others.every((o) => g.condition[o] === base[o]));
    const values = new Set(onAxis.map((g) => g.condition[axis]));
    if (values.size < 2) continue;
    panels.push(title);
    for (const g of onAxis) {
      const m = g.metrics.final;
      if (!m) continue;
      const xv = g.condition[axis];
      m.values.forEach((v, i) => {
        if (v !== null)
          rows.push({
            panel: title,
            kind: "seed",
            method: g.method,
            x: xv,
            error: v,
            seed: g.seedIndices[i],
          });
      });
      if (m.median !== null)
        rows.push({ panel: title, kind: "median", method: g.method, x: xv, error: m.median });
    }
  }
  if (panels.length === 0) {
    // Nothing swept: one panel at the base point, x = K.
    panels.push("number of tasks K");
    for (const g of groups) {
      const m = g.metrics.final;
      if (m?.median !== null && m?.median !== undefined) {
        rows.push({ panel: panels[0], kind: "median", method: g.method, x: g.condition.K, error: m.median });
      }
    }
  }
  const color = {
    field: "method",
    type: "nominal",
    title: "training",
    scale: { domain: METHOD_DOMAIN, range: METHOD_RANGE },
  };
  const x = { field: "x", type: "quantitative", title: null, scale: { zero: false } };
  const y = {
    field: "error",
    type: "quantitative",
    title: "final test error (mean over tasks)",
    scale: { domain: [0, 0.6] },
  };
  const layers = [
    {
      transform: [{ filter: "datum.kind === 'seed'" }],
      mark: { type: "point", filled: true, opacity: 0.3, size: 22 },
      encoding: { x, y, color: { ...color, legend: { symbolOpacity: 1 } } },
    },
    {
      transform: [{ filter: "datum.kind === 'median'" }],
      mark: { type: "line", point: true, strokeWidth: 1.8 },
      encoding: {
        x,
        y,
        color,
        tooltip: [
          { field: "method", type: "nominal" },
          { field: "x", type: "quantitative", title: "value" },
          { field: "error", type: "quantitative", format: ".3f", title: "median final test error" },
        ],
      },
    },
  ];
  const subtitle = [
    [
      `base K=${String(base.K)}, n=${String(base.n)}, SNR=${String(base.snr)}`,
      paramsText(record.params, []),
      `median (line) and each seed (faint) over ${plural(seeds, "seed")}`,
    ]
      .filter(Boolean)
      .join(" · "),
  ];
  return assemble(
    layers,
    rows,
    panels,
    options.columns ?? 3,
    { text: options.title ?? record.experiment, subtitle },
    { width: options.width ?? 220, height: options.height ?? 170 },
    { resolve: { scale: { x: "independent" } } },
  );
}

/**
 * Alignment of the filters with the shared feature u, the task features v_t and the training
 * noise vs iteration (log scale), one panel per kind of training: median over seeds and band.
 * Values below `ALIGNMENT_FLOOR` are drawn at it.
 */
export function liAlignmentFigure(record: RunRecord, options: LiFigureOptions = {}): TopLevelSpec {
  const { groups, seeds } = groupsOf(record, "alignment");
  const rows: Record<string, unknown>[] = [];
  const panels: string[] = [];
  const floor = (v: number) => (Number.isFinite(v) ? Math.max(v, ALIGNMENT_FLOOR) : ALIGNMENT_FLOOR);
  for (const method of METHOD_DOMAIN) {
    const mine = groups.filter((g) => g.method === method);
    if (mine.length === 0) continue;
    const panel = method === "single" ? "single-task training (mean over tasks)" : "multi-task training";
    panels.push(panel);
    for (const g of mine) {
      const feature = String(g.condition.feature);
      for (const p of g.points) {
        rows.push({ panel, feature, x: p.x, median: floor(p.median), lo: floor(p.lo), hi: floor(p.hi) });
      }
    }
  }
  const color = {
    field: "feature",
    type: "nominal",
    title: "alignment with",
    scale: { domain: FEATURE_DOMAIN, range: FEATURE_RANGE },
    legend: { labelExpr: `${JSON.stringify(FEATURE_TITLES)}[datum.label] || datum.label` },
  };
  const x = { field: "x", type: "quantitative", title: "gradient-descent step" };
  const y = {
    type: "quantitative",
    title: "max_r ⟨w_{j,r}, j·x⟩ (mean over classes)",
    scale: { type: "log" },
    axis: { format: "~g" },
  };
  const layers = [
    {
      mark: { type: "area", fillOpacity: 0.15 },
      encoding: { x, y: { ...y, field: "lo" }, y2: { field: "hi" }, color },
    },
    {
      mark: { type: "line", strokeWidth: 1.8 },
      encoding: {
        x,
        y: { ...y, field: "median" },
        color,
        tooltip: [
          { field: "feature", type: "nominal" },
          { field: "x", type: "quantitative", title: "step" },
          { field: "median", type: "quantitative", format: ".4g" },
        ],
      },
    },
  ];
  const cond = panelTitle({
    K: record.params.K as number,
    n: record.params.n as number,
    snr: record.params.snr as number,
  });
  const subtitle = [[cond, paramsText(record.params, []), seedsText(seeds)].filter(Boolean).join(" · ")];
  return assemble(
    layers,
    rows,
    panels,
    options.columns ?? 2,
    { text: options.title ?? record.experiment, subtitle },
    { width: options.width ?? 260, height: options.height ?? 190 },
  );
}

/**
 * Final test error per task (CIFAR-10-C: per corruption) for single- and multi-task training,
 * from the test curves' `test[<task>]` metrics: median over seeds (solid) and each seed (faint).
 */
export function liTasksFigure(record: RunRecord, options: LiFigureOptions = {}): TopLevelSpec {
  const { groups, seeds } = groupsOf(record, "test error");
  const rows: Record<string, unknown>[] = [];
  const tasks: string[] = [];
  for (const g of groups) {
    for (const [name, m] of Object.entries(g.metrics)) {
      const task = /^test\[(.*)\]$/.exec(name)?.[1];
      if (task === undefined) continue;
      if (!tasks.includes(task)) tasks.push(task);
      m.values.forEach((v, i) => {
        if (v !== null) rows.push({ kind: "seed", task, method: g.method, error: v, seed: g.seedIndices[i] });
      });
      if (m.median !== null) rows.push({ kind: "median", task, method: g.method, error: m.median });
    }
  }
  if (tasks.length === 0)
    throw new FigureError(`${record.experiment}: no per-task test errors (test[<task>] metrics).`);
  const color = {
    field: "method",
    type: "nominal",
    title: "training",
    scale: { domain: METHOD_DOMAIN, range: METHOD_RANGE },
  };
  const x = {
    field: "task",
    type: "nominal",
    title: "task (corruption)",
    sort: tasks,
    axis: { labelAngle: -40 },
  };
  const y = { field: "error", type: "quantitative", title: "final test error", scale: { domain: [0, 0.6] } };
  const layers = [
    {
      transform: [{ filter: "datum.kind === 'seed'" }],
      mark: { type: "point", filled: true, opacity: 0.3, size: 22 },
      encoding: {
        x,
        y,
        color: { ...color, legend: { symbolOpacity: 1 } },
        xOffset: { field: "method", sort: METHOD_DOMAIN },
      },
    },
    {
      transform: [{ filter: "datum.kind === 'median'" }],
      mark: { type: "point", filled: true, size: 70, stroke: "white", strokeWidth: 0.8 },
      encoding: {
        x,
        y,
        color,
        xOffset: { field: "method", sort: METHOD_DOMAIN },
        tooltip: [
          { field: "task", type: "nominal" },
          { field: "method", type: "nominal" },
          { field: "error", type: "quantitative", format: ".3f", title: "median final test error" },
        ],
      },
    },
  ];
  const subtitle = [
    [paramsText(record.params, []), `median (solid) and each seed (faint) over ${plural(seeds, "seed")}`]
      .filter(Boolean)
      .join(" · "),
  ];
  return assemble(
    layers,
    rows,
    [],
    1,
    { text: options.title ?? record.experiment, subtitle },
    { width: options.width ?? Math.max(240, 36 * tasks.length), height: options.height ?? 200 },
  );
}
