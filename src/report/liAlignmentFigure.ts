import type { TopLevelSpec } from "vega-lite";
import { FigureError } from "../errors.js";
import { LI_PARAMS } from "../experiments/li/figures.js";
import { extent } from "../metrics/extent.js";
import type { RunRecord } from "../record/types.js";
import { aggregateRecord } from "./aggregate.js";
import { bandText, conditionTitle, paramsText, plural } from "./figureText.js";
import { logValueAxis } from "./logAxis.js";
import { assembleFigure } from "./theme.js";

/**
 * Li et al. (AISTATS 2025; SPEC §3), feature learning: the alignment maxᵣ ⟨wⱼ,ᵣ, j·x⟩ of the
 * filters with the shared feature u, the task features v_t and the training noise vs iteration
 * (log scale), one panel per kind of training — single-task training learns the noise, multi-task
 * training the shared feature. Median over seeds and band. Values below `ALIGNMENT_FLOOR` are
 * drawn at it.
 */

export interface LiAlignmentFigureOptions {
  title?: string;
  width?: number;
  height?: number;
}

/** Smallest alignment drawn on the log axis (alignments are positive in practice). */
export const ALIGNMENT_FLOOR = 1e-3;

const TRAINING = [
  { method: "single", panel: "single-task training (mean over tasks)" },
  { method: "multi", panel: "multi-task training" },
];
const FEATURES = [
  { id: "u", title: "shared feature u", color: "#1f77b4" },
  { id: "v", title: "task features vₜ (mean)", color: "#2ca02c" },
  { id: "noise", title: "training noise ξᵢ (mean)", color: "#7f7f7f" },
];

export function liAlignmentFigure(record: RunRecord, options: LiAlignmentFigureOptions = {}): TopLevelSpec {
  const agg = aggregateRecord(record);
  const groups = agg.groups.filter((g) => g.yName === "alignment");
  if (groups.length === 0)
    throw new FigureError(`${record.experiment}: the record has no "alignment" curves to draw.`);
  const rows: Record<string, unknown>[] = [];
  const panels: string[] = [];
  const floor = (v: number) => (Number.isFinite(v) ? Math.max(v, ALIGNMENT_FLOOR) : ALIGNMENT_FLOOR);
  for (const { method, panel } of TRAINING) {
    const mine = groups.filter((g) => g.method === method);
    if (mine.length === 0) continue;
    panels.push(panel);
    for (const g of mine) {
      const feature = String(g.condition.feature);
      for (const p of g.points) {
        rows.push({ panel, feature, x: p.x, median: floor(p.median), lo: floor(p.lo), hi: floor(p.hi) });
      }
    }
  }
  const titles = Object.fromEntries(FEATURES.map((f) => [f.id, f.title]));
  const color = {
    field: "feature",
    type: "nominal",
    title: "alignment with",
    scale: { domain: FEATURES.map((f) => f.id), range: FEATURES.map((f) => f.color) },
    legend: { labelExpr: `${JSON.stringify(titles)}[datum.label] || datum.label` },
  };
  const x = { field: "x", type: "quantitative", title: "gradient-descent step" };
  const values = rows.flatMap((r) => [r.lo, r.hi, r.median] as number[]);
  const axis = values.length > 0 ? logValueAxis(...extent(values)) : null;
  const y = {
    type: "quantitative",
    title: "maxᵣ ⟨wⱼ,ᵣ, j·x⟩, mean over j",
    scale: { type: "log", ...(axis ? { domain: axis.domain, nice: false } : {}) },
    ...(axis ? { axis: { values: axis.values, labelExpr: axis.labelExpr } } : {}),
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
  const base = conditionTitle({
    K: record.params.K as number,
    n: record.params.n as number,
    snr: record.params.snr as number,
  });
  const stat = `median and ${bandText(agg.band)} over ${plural(agg.seeds, "seed")}`;
  const subtitle = [[base, paramsText(record.params, LI_PARAMS), stat].filter(Boolean).join(" · ")];
  return assembleFigure(
    () => layers,
    rows,
    { panels, columns: 2 },
    { text: options.title ?? record.experiment, subtitle },
    { width: options.width ?? 260, height: options.height ?? 190 },
  );
}
