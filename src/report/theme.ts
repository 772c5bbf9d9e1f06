import type { Config, TopLevelSpec } from "vega-lite";

/**
 * The one theme of every figure (STYLE.md §14): fonts, title and legend styling, the palette for
 * series outside the registries, the marks' constants. Figure builders read it; none keeps its own.
 */

/** Font family of every figure; `render.ts` loads this family for the PNG. */
export const FONT_FAMILY = "DejaVu Sans";
/** CSS font list of the specs: DejaVu Sans (loaded for the PNG), then look-alikes for browsers. */
export const FONT_STACK = `${FONT_FAMILY}, Verdana, sans-serif`;

/** The Vega-Lite config of every figure: fonts, title and legend styling. */
export const FIGURE_CONFIG: Config = {
  font: FONT_STACK,
  background: "white",
  title: { anchor: "start", fontSize: 15, subtitleFontSize: 11, subtitleColor: "#444" },
  // labelSeparation: tick labels closer than 4 px count as overlapping, so one of them is dropped
  // (a flushed last label "1,200" ran into "1,000" at 800 px).
  axis: { labelFontSize: 10, titleFontSize: 11, gridColor: "#e6e6e6", labelSeparation: 4 },
  header: { labelFontSize: 12, labelFontWeight: "bold" },
  // Long legend labels: estimator names and theory overlays carry their descriptions.
  legend: { labelFontSize: 11, titleFontSize: 11, labelLimit: 360, titleLimit: 360 },
  view: { stroke: "#bbb" },
};

/** Colours of series that no registry colours (Kong's methods, plug-ins), in first-seen order. */
export const PALETTE = [
  "#1f77b4",
  "#d62728",
  "#2ca02c",
  "#555555",
  "#9467bd",
  "#ff7f0e",
  "#17becf",
  "#8c564b",
];

/** Theory overlays are black, told apart by their dashes. */
export const OVERLAY_COLOR = "black";
export const OVERLAY_DASHES: readonly number[][] = [
  [2, 3],
  [6, 3],
  [9, 3, 2, 3],
];
/** Dashes of series: solid, then dashed (first-order variants, training data), then dotted. */
export const SOLID = [1, 0];
export const SERIES_DASHES: readonly number[][] = [SOLID, [5, 3], [2, 2]];

/**
 * Smallest value drawn on a log axis under the `clamp` floor: values ≤ 0 or below it (e.g. dist
 * exactly 0 when the subspace is recovered to machine precision) are drawn at it, and said so.
 */
export const LOG_FLOOR = 1e-17;

/** An × as a vega symbol path (unit square), drawn stroked: a diverged seed. */
export const CROSS = "M-1,-1L1,1M-1,1L1,-1";
export const DIVERGED_TITLE = "diverged (× at last finite value)";

/**
 * Legend symbols at full opacity: Vega-Lite otherwise copies the opacity of a faint layer (band,
 * per-seed points) into the shared legend. (`encoding` is a hidden but supported legend field.)
 */
export const OPAQUE_SYMBOLS = { encoding: { symbols: { update: { opacity: { value: 1 } } } } };

/** Short symbols of parameter and label names in titles, e.g. `sigma` → `σ`. */
export const SYMBOLS: Readonly<Record<string, string>> = {
  mu: "µ",
  sigma: "σ",
  alpha: "α",
  beta: "β",
  tau: "τ",
  lambda: "λ",
  theta: "θ",
  eta: "η",
  snr: "SNR",
  sigma_p: "σₚ",
  sigma0: "σ₀",
  n1: "n₁",
  n2: "n₂",
  n3: "n₃",
  t1: "t₁",
  t2: "t₂",
  t3: "t₃",
  m_in: "mᵢₙ",
  m_out: "mₒᵤₜ",
  lambda_cond: "λ₁",
  lambda_norm: "λ₂",
  patches: "P",
  iters: "steps",
};

const SCHEMA = "https://vega.github.io/schema/vega-lite/v6.json";

/** Layout of one figure: its panels (empty: a single view) and how they are laid out. */
export interface Layout {
  /** Panel titles in order; rows carry theirs in the field `panel`. Empty or one: no panels. */
  panels: string[];
  /** Per-panel x titles: then panels are concatenated, each with its own x axis. */
  xTitles?: string[];
  columns: number;
  /** Scales each panel keeps to itself. */
  independent?: readonly ("x" | "y")[];
}

/**
 * A figure from its layers and rows: one view, a facet over `panel` (shared x title), or a concat
 * of panels each with its own layers (own x title). Every figure goes through here.
 */
export function assembleFigure(
  layers: (panel: number) => unknown[],
  rows: Record<string, unknown>[],
  layout: Layout,
  title: { text: string; subtitle: string[] },
  size: { width: number; height: number },
): TopLevelSpec {
  const head = { $schema: SCHEMA, title, data: { values: rows }, config: FIGURE_CONFIG };
  const resolve =
    layout.independent && layout.independent.length > 0
      ? { resolve: { scale: Object.fromEntries(layout.independent.map((c) => [c, "independent"])) } }
      : {};
  if (layout.panels.length <= 1) return { ...head, ...size, layer: layers(0) } as TopLevelSpec;
  const columns = Math.min(layout.columns, layout.panels.length);
  if (layout.xTitles) {
    return {
      ...head,
      columns,
      concat: layout.panels.map((p, i) => ({
        ...size,
        title: { text: p, fontSize: 12 },
        transform: [{ filter: { field: "panel", equal: p } }],
        layer: layers(i),
      })),
      ...resolve,
    } as TopLevelSpec;
  }
  return {
    ...head,
    facet: { field: "panel", type: "nominal", sort: layout.panels, header: { title: null } },
    columns,
    // Lay panels out by their plot areas, so a mark poking out of one does not shift its header;
    // room for each panel's header above it.
    bounds: "flush",
    spacing: { row: 34, column: 14 },
    spec: { ...size, layer: layers(0) },
    ...resolve,
  } as TopLevelSpec;
}
