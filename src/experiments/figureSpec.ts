import { FigureError } from "../errors.js";
import type { Labels } from "./types.js";

/**
 * The figure grammar (DESIGN.md "Experiments", STYLE.md §13): an experiment declares its figures
 * as plain data — which curves, which statistic over seeds, which axes, panels and colours, which
 * theory overlays — and one builder (`src/report/buildFigure.ts`) turns a spec and a record into
 * a Vega-Lite figure, with one theme, for the CLI, the HTML report and the web page alike.
 *
 * Pure data and pure functions: nothing here imports vega or the report layer. Theory overlays
 * are functions of the run's parameters, normally one-liners over `src/theory/`.
 */

/** A figure: drawn by the grammar's builder, or by a figure kind registered in `report/`. */
export type FigureSpec = SeriesFigureSpec | CustomFigureSpec;

/**
 * A figure that is truly one paper's own (the Kong projection scatter, Li's alignment panels):
 * `kind` names a builder registered in `src/report/figureKinds.ts` (`registerFigureKind`).
 */
export interface CustomFigureSpec {
  kind: "custom";
  /** File name the figure is written under, e.g. "projection". */
  name: string;
  /** The paper's figure this one mirrors, as read in its text (e.g. "Collins et al., Figure 1"). */
  mirrors?: string;
  /** Registered figure kind, e.g. "kong-projection". */
  builder: string;
  /** The figure's own title (its finding); default the experiment's title. See `SeriesFigureSpec.title`. */
  title?: string;
}

/** Which curves of a record a figure draws. */
export interface CurveSelection {
  /** Curves with this y quantity (or one of these). */
  yName: string | readonly string[];
  /** Optionally only curves with this x quantity. */
  xName?: string;
  /** Methods (label `method`) left out, e.g. OLS from the excess over the oracle. */
  exceptMethods?: readonly string[];
}

/** Median and quantile band over seeds per x of the curve (the band is 10–90 % by default). */
export interface BandStat {
  kind: "band";
  /** Draw a point at each median, not only the line (few x values). */
  points?: boolean;
}

/**
 * One number per seed and curve: a curve metric (e.g. the fitted `rate`, the `final` error),
 * drawn as each seed (faint) and the median over seeds (solid), against a condition label's value
 * (`x`, or the axis of an `axes` panel) — or, when `metric` holds one `*` (e.g. `test[*]`),
 * against the names the `*` matches (nominal x: one column per task).
 */
export interface MetricStat {
  kind: "metric";
  metric: string;
  /** What the metric is, for the subtitle ("seed-curves without a fitted rate are not shown"). */
  what: string;
  /** Condition label on the x axis (not needed with an `axes` panel or a `*` metric). */
  x?: string;
  /** Join the medians by a line. */
  line?: boolean;
  /** Shift methods a few pixels sideways (they often share a value). */
  shift?: boolean;
}

export type StatSpec = BandStat | MetricStat;

export interface AxisSpec {
  /** Axis title; default the curves' `xName` / `yName`. */
  title?: string;
  log?: boolean;
  /** Fixed domain, e.g. [0, 1] for accuracies. */
  domain?: readonly [number, number];
  /**
   * Largest value the quantity can take (sin θ ≤ 1): the axis never runs past it, whatever the
   * bands and overlays reach.
   */
  max?: number;
}

/**
 * Values ≤ 0 on a log axis: `clamp` draws them (and any value below `LOG_FLOOR`) at the floor;
 * `drop` leaves such medians out (band ends ≤ 0 go a decade below the smallest positive value).
 * Either way the subtitle says how many.
 */
export type FloorPolicy = "clamp" | "drop";

/** How curves are split into panels. */
export type PanelSpec =
  /** One panel per condition: the labels other than `method` and those in `except`. */
  | { by: "condition"; except?: readonly string[] }
  /**
   * One panel per value of a label; `title` is a template with `{value}` (e.g. "n1 = {value}");
   * `xTitles` gives a panel its own x title (then each panel has its own x axis).
   */
  | {
      by: "label";
      label: string;
      title: string;
      /** A title per value, instead of the template (e.g. `light-d` → "light tasks needed vs d"). */
      titles?: Readonly<Record<string, string>>;
      xTitles?: Readonly<Record<string, string>>;
    }
  /**
   * One panel per axis, each through the base point: the curves whose other axes' labels equal
   * the params of the same name (Li et al.'s final error vs K, vs n, vs SNR).
   */
  | { by: "axes"; axes: readonly { label: string; title: string }[] };

/**
 * The colour of a curve is its `method` label; names, colours and order come from a registry
 * (meta-learning methods or estimators of B̂), from a fixed list, or (else) from the theme's
 * palette in first-seen order.
 */
export interface ColourSpec {
  /** Legend title. */
  title: string;
  registry?: "methods" | "estimators";
  /**
   * Series outside the registries, in order: id (the `method` label), colour, display name;
   * `prefix` matches every method that starts with the id (a label that carries a parameter,
   * e.g. "single linkage (H < 0.5Δ²)"), drawn under its own text.
   */
  fixed?: readonly { id: string; color: string; name?: string; prefix?: boolean }[];
  /** Show the registry's display names (e.g. "AltMin") instead of the ids. */
  names?: boolean;
}

/** Dash the curves by a label (e.g. `set`: test solid, train dashed), in a legend of its own. */
export interface DashSpec {
  label: string;
  title: string;
  /** Label values in dash order: solid, dashed, dotted. */
  domain: readonly string[];
}

/** Where a theory overlay is evaluated: the run's params, the panel's labels and an x. */
export interface TheoryPoint {
  params: Record<string, unknown>;
  /** The labels shared by the panel's curves (e.g. `{ sweep: "T" }`, `{ mu: 0.5 }`). */
  panel: Labels;
  x: number;
}

/** A theory value at a point; null where the theory does not apply. */
export type TheoryFn = (at: TheoryPoint) => number | null;

/** Theory drawn over the measured series, in black, as entries of the colour legend. */
export type OverlaySpec =
  /** f(x) at the measured x values, or on a fine grid from 0 to the largest x (`grid: "fine"`). */
  | { kind: "line"; label: string; f: TheoryFn; grid?: "measured" | "fine" }
  /**
   * C·f(x) with C fitted to the medians of the first method of `fitTo` present in the panel
   * (least squares in log space: a fitted constant, not the paper's; the subtitle says so).
   * `label` may hold `{method}`, replaced by that method's display name.
   */
  | {
      kind: "fitted";
      label: string;
      f: TheoryFn;
      fitTo: readonly string[];
      /**
       * What the constant multiplies, for the subtitle's "C = 0.508 (c-corrected term)" when a
       * figure fits several; default the label up to its first comma.
       */
      constant?: string;
    }
  /**
   * A geometric decay of rate r(params, panel) per unit of x, through the first method's median
   * where it first reaches `anchor` (or through its start): an asymptotic rate line. Left out
   * where r is null or not in (0, 1).
   */
  | {
      kind: "geometric";
      label: string;
      rate: (params: Record<string, unknown>, panel: Labels) => number | null;
      anchor: number;
    }
  /** Each curve's `metric` (a theory exponent) as a power law through its medians' geometric mean. */
  | { kind: "slope"; metric: string; fitted?: string };

/** A figure built by the grammar. */
export interface SeriesFigureSpec {
  kind?: "series";
  /** File name the figure is written under, e.g. "dist". */
  name: string;
  /**
   * The paper's figure this one mirrors, as read in its text (e.g. "Collins et al., Figure 1");
   * absent where no figure number was verified, and the caption then says it is metarep's own view.
   */
  mirrors?: string;
  /**
   * The figure's own title, stating what it shows (its finding where the experiment declares one);
   * default the experiment's title. An experiment with several figures gives each but one its
   * own, so that no two figures of a report share a title.
   */
  title?: string;
  select: CurveSelection;
  /** Default: `{ kind: "band" }`. */
  stat?: StatSpec;
  x?: AxisSpec;
  y?: AxisSpec & { floor?: FloorPolicy };
  panel?: PanelSpec;
  /** Scales each panel keeps to itself (default: shared). */
  independent?: readonly ("x" | "y")[];
  colour: ColourSpec;
  dash?: DashSpec;
  overlays?: readonly OverlaySpec[];
  /** Mark each diverged seed (× at its last finite value) with the iteration it blew up at. */
  divergence?: boolean;
  /** Print the fitted log-log slope of each method's medians in the subtitle. */
  slopes?: boolean;
  subtitle?: {
    /** Params shown (when scalar and not varied in the panels), e.g. ["d", "k", "alpha"]. */
    params?: readonly string[];
    /** A fixed line, e.g. "mean over tasks". */
    note?: string;
  };
  /** Size of one panel in pixels; panels per row. */
  width?: number;
  height?: number;
  columns?: number;
}

/**
 * A finite number from the run's params, for theory functions; else a `FigureError` naming the
 * parameter and the value got.
 */
export function paramNumber(params: Record<string, unknown>, name: string): number {
  const v = params[name];
  if (typeof v !== "number" || !Number.isFinite(v)) {
    throw new FigureError(`record.params "${name}" must be a finite number; got ${String(v)}.`);
  }
  return v;
}

/** Colour by the estimator of B̂, from the estimator registry (the few-shot figures share it). */
export const ESTIMATOR_COLOUR = { title: "estimator of B̂", registry: "estimators", names: true } as const;

/**
 * A table of an experiment's own (beside the summary table): a `confusion` matrix counts the
 * points of the curves of one quantity by two of their labels — rows the truth (e.g. `component`),
 * columns the assignment (e.g. `assigned`) — summed over seeds.
 */
export interface TableSpec {
  kind: "confusion";
  /** The curves counted: their `quantity` label. */
  quantity: string;
  /** Label of the rows (the truth) and of the columns (the assignment), and how each is named. */
  rows: { label: string; name: string };
  columns: { label: string; name: string };
  title: string;
}
