import type { TopLevelSpec } from "vega-lite";
import { FigureError } from "../errors.js";
import type { FigureSpec, MetricStat, SeriesFigureSpec } from "../experiments/figureSpec.js";
import { extent } from "../metrics/extent.js";
import { fitLogLogLine } from "../metrics/loglogSlope.js";
import type { RunRecord } from "../record/types.js";
import { aggregateRecord, type Band, type CurveGroup } from "./aggregate.js";
import { getFigureKind } from "./figureKinds.js";
import { type Panel, panelsOf } from "./figurePanels.js";
import { bandText, conditionTitle, paramsText, plural } from "./figureText.js";
import { ladderCeil, logPositionAxis, logValueAxis, tickLabels } from "./logAxis.js";
import { type OverlapPanel, overlapSuffixes } from "./overlaps.js";
import { overlayRows } from "./overlays.js";
import { type SeriesStyle, seriesStyles } from "./seriesStyle.js";
import {
  assembleFigure,
  CROSS,
  DIVERGED_TITLE,
  LOG_FLOOR,
  OPAQUE_SYMBOLS,
  OVERLAY_COLOR,
  OVERLAY_DASHES,
  SERIES_DASHES,
} from "./theme.js";

/**
 * The one figure builder (DESIGN.md "Data flow", step 5): a grammar spec (`experiments/
 * figureSpec.ts`) and a run record in, a Vega-Lite spec out — plain JSON with inline data, for
 * `render.ts` (SVG, PNG), the HTML report and the web page alike. Pure.
 *
 * Rows of the data: `series` (median, band `lo`–`hi` per x), `seed` and `median` (one number per
 * seed, `metric` statistic), `theory` (overlays), `diverged` (last finite value of a seed that
 * blew up); every row carries its `panel` and its legend entry `method`.
 */

export interface FigureOptions {
  /** Figure title; default the experiment id. */
  title?: string;
  /** Band quantiles over seeds; default 10%–90%. */
  band?: Band;
  /** Size of one panel in pixels, panels per row: override the spec's. */
  width?: number;
  height?: number;
  columns?: number;
}

/** Sideways pixel shift between methods with `shift`. */
const SHIFT_PX = 5;

type Row = Record<string, unknown>;

/** The figure of a record drawn by a spec: a grammar spec, or a registered figure kind. */
export function buildFigure(spec: FigureSpec, record: RunRecord, options: FigureOptions = {}): TopLevelSpec {
  if (spec.kind === "custom") return getFigureKind(spec.builder)(record, options);
  try {
    return buildSeriesFigure(spec, record, options);
  } catch (e) {
    // Name the figure: a record can lack what one figure needs and not another.
    if (e instanceof FigureError)
      throw new FigureError(`${record.experiment} ${spec.name} figure: ${e.message}`);
    throw e;
  }
}

function selected(spec: SeriesFigureSpec, groups: readonly CurveGroup[]): CurveGroup[] {
  const yNames: readonly string[] =
    typeof spec.select.yName === "string" ? [spec.select.yName] : spec.select.yName;
  const except = spec.select.exceptMethods ?? [];
  return groups.filter(
    (g) =>
      yNames.includes(g.yName) &&
      (spec.select.xName === undefined || g.xName === spec.select.xName) &&
      !(g.method !== null && except.includes(g.method)),
  );
}

function clampLog(v: number): number {
  return Number.isNaN(v) ? LOG_FLOOR : Math.max(v, LOG_FLOOR);
}

function rangeText(lo: number, hi: number): string {
  return lo === hi ? `${lo}` : `${lo}–${hi}`;
}

/** What the series rows report beyond the rows themselves, for the subtitle. */
interface Notes {
  clamped: boolean;
  dropped: number;
  missing: number;
  divergedEntries: string[];
  tasks: string[];
  /** Series drawn partly above the y axis's top (an outlier clipped), with where and how high. */
  clipped: string[];
}

/** Scales and axes of a figure, from its rows (ticks, domains, the clipped top). */
interface Axes {
  yTitle: string | null;
  yScale: Record<string, unknown>;
  yAxis: Record<string, unknown>;
  x: Record<string, unknown> | null;
  /** Marks are clipped to the plot (the y domain is narrower than the data). */
  clip: boolean;
}

/** What each panel draws per series (medians per x), for `overlapSuffixes`. */
function overlapPanels(
  spec: SeriesFigureSpec,
  stat: NonNullable<SeriesFigureSpec["stat"]>,
  panels: Panel[],
): OverlapPanel[] {
  if (stat.kind === "metric" && stat.metric.includes("*")) return [];
  return panels.map((p) => {
    const members = new Map<string, OverlapPanel["members"][number]>();
    for (const { group: g, x: axisX } of p.members) {
      const series = g.method ?? "(none)";
      const key = spec.dash ? String(g.condition[spec.dash.label] ?? "") : "";
      const id = JSON.stringify([series, key]);
      const m = members.get(id) ?? { series, group: g, key, values: new Map<number, number>() };
      members.set(id, m);
      if (stat.kind === "band") {
        for (const pt of g.points) if (Number.isFinite(pt.median)) m.values.set(pt.x, pt.median);
      } else {
        const x = stat.x === undefined ? axisX : g.condition[stat.x];
        const v = g.metrics[stat.metric]?.median;
        if (typeof x === "number" && typeof v === "number" && Number.isFinite(v)) m.values.set(x, v);
      }
    }
    return { title: p.title, members: [...members.values()] };
  });
}

/** A series is an outlier when its top is this many times above every other series' band. */
const OUTLIER_RATIO = 100;

const numeric = (v: unknown): v is number => typeof v === "number" && Number.isFinite(v);

/**
 * Axes of a figure: its y title (the spec's, else the quantity drawn); on log axes, ticks in one
 * format with the data's ends labelled (`logAxis.ts`), and — when one series rises more than
 * OUTLIER_RATIO times above every other one's band (least squares' spike at τ = d) — a top at
 * the other series' reach, with the outlier's points above it marked ▲ and listed in the subtitle.
 */
function axesOf(spec: SeriesFigureSpec, rows: Row[], panels: number, notes: Notes): Axes {
  const yNames = typeof spec.select.yName === "string" ? [spec.select.yName] : spec.select.yName;
  const axes: Axes = {
    yTitle: spec.y?.title ?? yNames.join(" / "),
    yScale: {},
    yAxis: {},
    x: null,
    clip: false,
  };
  const ys = (r: Row) => [r.median, r.lo, r.hi, r.y].filter(numeric).filter((v) => v > 0);
  if (spec.x?.log) {
    const xs = rows.filter((r) => r.kind !== "theory" && numeric(r.x)).map((r) => r.x as number);
    if (xs.length > 0) {
      const { values, labelExpr } = logPositionAxis(xs);
      axes.x = { values, labelExpr };
    }
  }
  if (spec.y?.log !== true || spec.y.domain) return axes;
  const values = rows.flatMap(ys);
  if (values.length === 0) return axes;
  let [lo, hi] = extent(values);
  const shared = panels <= 1 || !spec.independent?.includes("y");
  if (shared) {
    // The top of each series' band (its medians for point statistics).
    const tops = new Map<string, number>();
    for (const r of rows)
      if (r.kind !== "theory" && r.kind !== "diverged")
        for (const v of ys(r)) tops.set(String(r.method), Math.max(tops.get(String(r.method)) ?? 0, v));
    const sorted = [...tops.entries()].sort((a, b) => b[1] - a[1]);
    if (sorted.length >= 2 && sorted[0][1] > OUTLIER_RATIO * sorted[1][1]) {
      const [outlier] = sorted[0];
      const reach = Math.max(
        sorted[1][1],
        ...rows
          .filter((r) => r.kind === "theory" || (r.kind !== "diverged" && r.method !== outlier))
          .flatMap(ys),
        // The outlier's own points within reach of the others stay readable.
        ...rows
          .filter((r) => r.method === outlier && numeric(r.median ?? r.y))
          .map((r) => (r.median ?? r.y) as number)
          .filter((v) => v <= OUTLIER_RATIO * sorted[1][1]),
      );
      const top = ladderCeil(reach * 2);
      const over = rows.filter(
        (r) =>
          r.method === outlier &&
          (r.kind === "series" || r.kind === "median") &&
          ((r.median ?? r.y) as number) > top,
      );
      if (over.length > 0) {
        hi = top;
        const at = over.map((r) => `${r.x} (${tickLabels([(r.median ?? r.y) as number])[0]})`).join(", ");
        notes.clipped.push(`${outlier}: medians above the axis at x = ${at}, drawn as ▲ on its top edge`);
        for (const r of over)
          rows.push({
            kind: "clipped",
            panel: r.panel,
            method: r.method,
            x: r.x,
            y: top,
            value: r.median ?? r.y,
          });
        axes.clip = true;
      }
    }
  }
  // Panels with their own y scale get Vega's decade-rounded domains: ticks cover those decades.
  const axis = shared
    ? logValueAxis(lo, hi, spec.y.max)
    : logValueAxis(10 ** Math.floor(Math.log10(lo)), 10 ** Math.ceil(Math.log10(hi)), spec.y.max);
  axes.yAxis = { values: axis.values, labelExpr: axis.labelExpr };
  if (shared) {
    axes.yScale = { domain: axis.domain, nice: false };
    axes.clip ||= lo < axis.domain[0] || hi > axis.domain[1];
  } else if (spec.y.max !== undefined) {
    axes.yScale = { domainMax: spec.y.max };
    axes.clip = true;
  }
  return axes;
}

function buildSeriesFigure(spec: SeriesFigureSpec, record: RunRecord, options: FigureOptions): TopLevelSpec {
  const agg = aggregateRecord(record, options.band ? { band: options.band } : {});
  const chosen = selected(spec, agg.groups);
  // A record with no curves at all (nothing computed yet) draws an empty figure with its title; one
  // whose curves are not what the figure draws is an error.
  if (chosen.length === 0 && agg.groups.length > 0) {
    const y = typeof spec.select.yName === "string" ? spec.select.yName : spec.select.yName.join('", "');
    throw new FigureError(`the record has no "${y}" curves to draw.`);
  }
  const recorded = (record.plugins ?? []).flatMap((p) => p.entries ?? []);
  const styles = seriesStyles(spec.colour, [...new Set(chosen.map((g) => g.method ?? "(none)"))], recorded);
  // Said once, in the subtitle: which series are named and coloured from the record.
  const fromRecord = styles.filter((s) => s.fromRecord).map((s) => s.label);
  const styleOf = new Map(styles.map((s) => [s.id, s]));
  const rank = (g: CurveGroup) => styles.findIndex((s) => s.id === (g.method ?? "(none)"));
  const panels = panelsOf(spec.panel, chosen, record.params).map((p) => ({
    ...p,
    // Series order within a panel (stable: first-seen order within a method).
    members: p.members
      .map((m, i) => ({ m, i }))
      .sort((a, b) => rank(a.m.group) - rank(b.m.group) || a.i - b.i)
      .map(({ m }) => m),
  }));
  // Panels over different x quantities (e.g. n_L vs d, t_H vs k) each get their own x title.
  const xNamesOf = (p: Panel) => [...new Set(p.members.map(({ group }) => group.xName))].join(" / ");
  if (spec.x?.title === undefined && spec.panel?.by !== "axes" && new Set(panels.map(xNamesOf)).size > 1) {
    for (const p of panels) p.xTitle ??= xNamesOf(p);
  }
  const multi = panels.length > 1;
  const stat = spec.stat ?? { kind: "band" };
  const logY = spec.y?.log === true;
  // Curves hidden under an earlier one say so in the legend.
  const suffixes = overlapSuffixes(
    overlapPanels(spec, stat, panels),
    styles.map((s) => s.id),
    (id) => styleOf.get(id)!.label,
    logY,
  );
  for (const s of styles) s.label += suffixes.get(s.id) ?? "";
  const notes: Notes = {
    clamped: false,
    dropped: 0,
    missing: 0,
    divergedEntries: [],
    tasks: [],
    clipped: [],
  };
  const rows: Row[] =
    stat.kind === "band"
      ? bandRows(spec, panels, styleOf, notes, multi)
      : metricRows(stat, panels, styleOf, notes, record.experiment);

  // Theory overlays, per panel.
  const constants: string[] = [];
  for (const p of panels) {
    // The x values the panel draws: its curves' points, or its per-seed metrics' x.
    const drawn =
      stat.kind === "band"
        ? p.members.flatMap(({ group }) => group.points.map((q) => q.x))
        : rows.filter((r) => r.panel === p.title && typeof r.x === "number").map((r) => r.x as number);
    const xs = [...new Set(drawn)].sort((a, b) => a - b);
    for (const o of spec.overlays ?? []) {
      const r = overlayRows(o, {
        xs,
        params: record.params,
        title: p.title,
        labels: p.labels,
        groups: p.members.map(({ group }) => ({
          group,
          label: styleOf.get(group.method ?? "(none)")!.label,
        })),
        logY,
      });
      rows.push(...r.rows);
      constants.push(...r.constants);
    }
  }
  const overlayLabels = [...new Set(rows.filter((r) => r.kind === "theory").map((r) => String(r.method)))];
  const axes = axesOf(spec, rows, panels.length, notes);

  const layers = (i: number) =>
    seriesLayers(spec, stat, styles, overlayLabels, notes, xTitleOf(spec, panels, i, chosen), axes);
  const title = {
    text: options.title ?? record.experiment,
    subtitle: [
      ...subtitle(spec, record, agg, panels, notes, constants),
      ...(fromRecord.length
        ? [`${fromRecord.join(", ")}: name and colour from the record (its plug-in is not loaded)`]
        : []),
    ],
  };
  const nominal = stat.kind === "metric" && stat.metric.includes("*");
  const size = {
    width: options.width ?? spec.width ?? (nominal ? Math.max(240, 36 * notes.tasks.length) : 260),
    height: options.height ?? spec.height ?? 190,
  };
  const xTitles = panels.some((p) => p.xTitle !== undefined) ? panels.map((p) => p.xTitle ?? "") : undefined;
  return assembleFigure(
    layers,
    rows,
    {
      panels: multi ? panels.map((p) => p.title) : [],
      ...(xTitles ? { xTitles } : {}),
      columns: options.columns ?? spec.columns ?? (xTitles ? 3 : 4),
      ...(spec.independent ? { independent: spec.independent } : {}),
    },
    title,
    size,
  );
}

function xTitleOf(spec: SeriesFigureSpec, panels: Panel[], i: number, groups: CurveGroup[]): string | null {
  if (panels[i]?.xTitle !== undefined) return panels[i].xTitle!;
  if (spec.x?.title !== undefined) return spec.x.title;
  // Axes panels are titled by their axis: the x title only when there is one panel.
  if (spec.panel?.by === "axes") return panels.length === 1 ? panels[0].title : null;
  return [...new Set(groups.map((g) => g.xName))].join(" / ");
}

/** Median and band rows per series and x, with the log floor applied; diverged seeds' marks. */
function bandRows(
  spec: SeriesFigureSpec,
  panels: Panel[],
  styleOf: Map<string, SeriesStyle>,
  notes: Notes,
  multi: boolean,
): Row[] {
  const rows: Row[] = [];
  const logY = spec.y?.log === true;
  const drop = logY && spec.y?.floor === "drop";
  const clamp = logY && !drop;
  // With `drop`, band ends ≤ 0 are drawn a decade below the smallest positive value, rather than
  // at a floor that would read as a result.
  let positiveMin = Number.POSITIVE_INFINITY;
  for (const p of panels)
    for (const { group } of p.members)
      for (const pt of group.points)
        for (const v of [pt.median, pt.lo, pt.hi])
          if (Number.isFinite(v) && v > 0) positiveMin = Math.min(positiveMin, v);
  const bandFloor = Number.isFinite(positiveMin) ? positiveMin / 10 : LOG_FLOOR;
  const dropFloor = (v: number) => (v > 0 ? clampLog(v) : bandFloor);
  for (const p of panels) {
    for (const { group: g } of p.members) {
      const method = styleOf.get(g.method ?? "(none)")!.label;
      const dash = spec.dash ? String(g.condition[spec.dash.label] ?? "") : null;
      for (const pt of g.points) {
        let { median, lo, hi } = pt;
        if (clamp) {
          if (!(pt.lo > LOG_FLOOR && pt.median > LOG_FLOOR)) notes.clamped = true;
          median = clampLog(median);
          lo = clampLog(lo);
          hi = clampLog(hi);
        } else if (drop) {
          if (!(pt.median > 0)) {
            notes.dropped++;
            continue;
          }
          median = clampLog(median);
          lo = dropFloor(lo);
          hi = dropFloor(hi);
        }
        const row: Row = { kind: "series", panel: p.title, method, x: pt.x, median, lo, hi, seeds: pt.count };
        if (dash !== null) row[spec.dash!.label] = dash;
        rows.push(row);
      }
      if (spec.divergence && g.diverged.length > 0)
        rows.push(...divergedRows(g, p.title, method, multi, clamp, notes));
    }
  }
  return rows;
}

/**
 * One legend entry per diverged group, "maml: at t=… (k/N seeds)" (t: the iteration whose update
 * blew up), and a row per diverged seed at its last finite value.
 */
function divergedRows(
  g: CurveGroup,
  panel: string,
  method: string,
  multi: boolean,
  clamp: boolean,
  notes: Notes,
): Row[] {
  const ts = g.diverged.map((dv) => dv.divergence.iteration).filter((t) => Number.isFinite(t));
  const at = ts.length === 0 ? "?" : rangeText(Math.min(...ts), Math.max(...ts));
  const where = multi ? `${method} (${panel})` : method;
  const entry = `${where}: t = ${at}, ${g.diverged.length}/${g.seedIndices.length} seeds`;
  notes.divergedEntries.push(entry);
  const rows: Row[] = [];
  for (const dv of g.diverged) {
    if (dv.lastX === null || dv.lastY === null) continue;
    const t = dv.divergence.iteration;
    rows.push({
      kind: "diverged",
      panel,
      method,
      x: dv.lastX,
      y: clamp ? clampLog(dv.lastY) : dv.lastY,
      seed: dv.seedIndex,
      entry,
      note: `diverged at t=${Number.isFinite(t) ? t : "?"}`,
      blewUp: `${dv.divergence.quantity} = ${String(dv.divergence.value)}`,
    });
  }
  return rows;
}

/** One row per seed (`seed`) and the median over seeds (`median`) of a metric per series and x. */
function metricRows(
  stat: MetricStat,
  panels: Panel[],
  styleOf: Map<string, SeriesStyle>,
  notes: Notes,
  experiment: string,
): Row[] {
  const rows: Row[] = [];
  const pattern = stat.metric.includes("*")
    ? new RegExp(
        `^${stat.metric
          .split("*")
          .map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"))
          .join("(.*)")}$`,
      )
    : null;
  const methods = [...styleOf.keys()];
  for (const p of panels) {
    for (const { group: g, x: axisX } of p.members) {
      const method = styleOf.get(g.method ?? "(none)")!.label;
      const shift = stat.shift
        ? (methods.indexOf(g.method ?? "(none)") - (methods.length - 1) / 2) * SHIFT_PX
        : 0;
      const entries: [string | number, string][] = [];
      if (pattern) {
        for (const name of Object.keys(g.metrics)) {
          const task = pattern.exec(name)?.[1];
          if (task === undefined) continue;
          if (!notes.tasks.includes(task)) notes.tasks.push(task);
          entries.push([task, name]);
        }
      } else {
        const x = stat.x === undefined ? axisX : g.condition[stat.x];
        if (typeof x !== "number" || !Number.isFinite(x)) {
          throw new FigureError(
            `curve label "${stat.x ?? "x"}" must be a finite number; got ${String(x)} for ${JSON.stringify(g.labels)}.`,
          );
        }
        entries.push([x, stat.metric]);
      }
      for (const [x, name] of entries) {
        const summary = g.metrics[name];
        if (summary === undefined) {
          notes.missing += g.seedIndices.length;
          continue;
        }
        notes.missing += summary.nulls;
        summary.values.forEach((v, i) => {
          if (v === null || !Number.isFinite(v)) return;
          rows.push({ kind: "seed", panel: p.title, method, x, y: v, seed: g.seedIndices[i], shift });
        });
        if (summary.median !== null) {
          rows.push({
            kind: "median",
            panel: p.title,
            method,
            x,
            y: summary.median,
            seeds: summary.count,
            of: g.seedIndices.length,
            shift,
          });
        }
      }
    }
  }
  if (pattern && notes.tasks.length === 0) {
    throw new FigureError(`${experiment}: no ${stat.what}s (${stat.metric} metrics) to draw.`);
  }
  return rows;
}

/** The layers of one panel. */
function seriesLayers(
  spec: SeriesFigureSpec,
  stat: NonNullable<SeriesFigureSpec["stat"]>,
  styles: SeriesStyle[],
  overlays: string[],
  notes: Notes,
  xTitle: string | null,
  axes: Axes,
): unknown[] {
  const logX = spec.x?.log === true;
  const logY = spec.y?.log === true;
  const nominal = stat.kind === "metric" && stat.metric.includes("*");
  // Lines share one legend with the overlays (colour and dash on the same field and title); point
  // and dashed-by-label figures give the overlays a legend of their own, with line symbols.
  const merged = stat.kind === "band" && !spec.dash;
  const inColour = merged ? overlays : [];
  const domain = [...styles.map((s) => s.label), ...inColour];
  const color = {
    field: "method",
    type: "nominal",
    title: spec.colour.title,
    scale: { domain, range: [...styles.map((s) => s.color), ...inColour.map(() => OVERLAY_COLOR)] },
  };
  const overlayDashes = overlays.map((_, i) => OVERLAY_DASHES[i % OVERLAY_DASHES.length]);
  const dashes = merged
    ? {
        field: "method",
        type: "nominal",
        title: spec.colour.title,
        scale: { domain, range: [...styles.map((s) => s.dash), ...overlayDashes] },
      }
    : {
        field: "method",
        type: "nominal",
        title: "theory",
        scale: { domain: overlays, range: overlayDashes },
      };
  const x = nominal
    ? { field: "x", type: "nominal", title: xTitle, sort: notes.tasks, axis: { labelAngle: -40 } }
    : {
        field: "x",
        type: "quantitative",
        title: xTitle,
        scale: logX ? { type: "log", nice: false } : { zero: false },
        ...(axes.x ? { axis: axes.x } : {}),
      };
  const yScale: Record<string, unknown> = logY
    ? // Padding keeps divergence crosses (drawn at the extremes) inside the plot.
      { type: "log", ...(spec.divergence ? { padding: 8 } : {}) }
    : { zero: false };
  if (spec.y?.domain) yScale.domain = [...spec.y.domain];
  Object.assign(yScale, axes.yScale);
  const yAxis = { title: axes.yTitle, ...axes.yAxis };
  const y = (field: string) => ({ field, type: "quantitative", scale: yScale, axis: yAxis });
  const only = (kind: string) => [{ filter: `datum.kind === '${kind}'` }];
  const layers: unknown[] = [];
  if (overlays.length > 0) {
    layers.push({
      transform: only("theory"),
      mark: { type: "line", strokeWidth: 1.3, ...(merged ? {} : { color: OVERLAY_COLOR }) },
      encoding: {
        x,
        y: y("y"),
        ...(merged ? { color } : {}),
        strokeDash: dashes,
        tooltip: [
          { field: "method", type: "nominal", title: "theory" },
          { field: "x", type: "quantitative", title: xTitle ?? "x" },
          { field: "y", type: "quantitative", format: ".4g" },
        ],
      },
    });
  }
  if (stat.kind === "band") {
    const dashBy = spec.dash
      ? {
          strokeDash: {
            field: spec.dash.label,
            type: "nominal",
            title: spec.dash.title,
            scale: {
              domain: [...spec.dash.domain],
              range: spec.dash.domain.map((_, i) => SERIES_DASHES[i % SERIES_DASHES.length]),
            },
          },
        }
      : { strokeDash: dashes };
    layers.push(
      {
        transform: only("series"),
        mark: { type: "area", fillOpacity: 0.18 },
        encoding: {
          x,
          y: y("lo"),
          y2: { field: "hi" },
          color,
          ...(spec.dash ? { detail: { field: spec.dash.label } } : {}),
        },
      },
      {
        transform: only("series"),
        mark: { type: "line", strokeWidth: 1.8, opacity: 1, ...(stat.points ? { point: true } : {}) },
        encoding: {
          x,
          y: y("median"),
          // Line symbols (with their dashes) in the legend, not the band's faint swatches.
          color: { ...color, legend: { symbolType: "stroke", symbolStrokeWidth: 2.5, ...OPAQUE_SYMBOLS } },
          ...dashBy,
          tooltip: [
            { field: "method", type: "nominal" },
            ...(spec.dash ? [{ field: spec.dash.label, type: "nominal" }] : []),
            { field: "x", type: "quantitative", title: xTitle ?? "x" },
            { field: "median", type: "quantitative", format: ".4g" },
            { field: "lo", type: "quantitative", format: ".4g", title: "band low" },
            { field: "hi", type: "quantitative", format: ".4g", title: "band high" },
            { field: "seeds", type: "quantitative", title: "seeds with a value" },
          ],
        },
      },
    );
  } else {
    const offset = nominal ? { xOffset: { field: "method", sort: styles.map((s) => s.label) } } : {};
    const shift = stat.shift ? { xOffset: { expr: "datum.shift" } } : {};
    layers.push(
      {
        transform: only("seed"),
        mark: { type: "point", filled: true, opacity: 0.3, size: 25, ...shift },
        encoding: {
          x,
          y: y("y"),
          color,
          ...offset,
          tooltip: [
            { field: "method", type: "nominal" },
            { field: "seed", type: "nominal" },
            { field: "y", type: "quantitative", format: ".5g", title: stat.what },
          ],
        },
      },
      {
        transform: only("median"),
        mark: stat.line
          ? { type: "line", point: true, strokeWidth: 1.8 }
          : {
              type: "point",
              filled: true,
              opacity: 1,
              size: 70,
              stroke: "white",
              strokeWidth: 0.8,
              ...shift,
            },
        encoding: {
          x,
          y: y("y"),
          color: { ...color, legend: OPAQUE_SYMBOLS },
          ...offset,
          tooltip: [
            { field: "method", type: "nominal" },
            {
              field: "x",
              ...(nominal ? { type: "nominal" } : { type: "quantitative" }),
              title: xTitle ?? "x",
            },
            { field: "y", type: "quantitative", format: ".5g", title: `median ${stat.what}` },
            { field: "seeds", type: "quantitative", title: "seeds with a value" },
          ],
        },
      },
    );
  }
  if (notes.divergedEntries.length > 0) {
    layers.push({
      transform: only("diverged"),
      mark: { type: "point", filled: false, strokeWidth: 2, size: 70, opacity: 1 },
      encoding: {
        x,
        y: y("y"),
        color,
        shape: {
          field: "entry",
          type: "nominal",
          title: DIVERGED_TITLE,
          scale: { domain: notes.divergedEntries, range: notes.divergedEntries.map(() => CROSS) },
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
  if (notes.clipped.length > 0) {
    layers.push({
      transform: only("clipped"),
      mark: { type: "point", shape: "triangle-up", filled: true, size: 90, opacity: 1 },
      encoding: {
        x,
        y: y("y"),
        color,
        tooltip: [
          { field: "method", type: "nominal" },
          { field: "x", type: "quantitative", title: xTitle ?? "x" },
          { field: "value", type: "quantitative", format: ".4g", title: "median (off the axis)" },
        ],
      },
    });
  }
  // The ▲ of clipped points sit on the plot's top edge, whole.
  if (axes.clip)
    for (const l of layers as { mark: Record<string, unknown>; transform?: unknown[] }[])
      if (JSON.stringify(l.transform) !== JSON.stringify(only("clipped"))) l.mark.clip = true;
  return layers;
}

/** Fitted log-log slopes of each series' medians, per panel. */
function slopesLines(panels: Panel[], label: (g: CurveGroup) => string): string[] {
  const lines: string[] = [];
  for (const p of panels) {
    const s = p.members
      .map(({ group: g }) => {
        const fit = fitLogLogLine(
          g.points.map((q) => q.x),
          g.points.map((q) => q.median),
        );
        return fit ? `${label(g)} ${fit.slope.toFixed(2)}` : null;
      })
      .filter((v) => v !== null);
    if (s.length)
      lines.push(`fitted log-log slopes of the medians${p.title ? ` ${p.title}` : ""}: ${s.join(", ")}`);
  }
  return lines;
}

function subtitle(
  spec: SeriesFigureSpec,
  record: RunRecord,
  agg: ReturnType<typeof aggregateRecord>,
  panels: Panel[],
  notes: Notes,
  constants: string[],
): string[] {
  const stat = spec.stat ?? { kind: "band" };
  const seeds = plural(agg.seeds, "seed");
  const statText =
    stat.kind === "band"
      ? `median and ${bandText(agg.band)} over ${seeds}`
      : `median (${stat.line ? "line" : "solid"}) and each seed (faint) over ${seeds}${stat.shift ? ", methods shifted sideways" : ""}`;
  const varied = new Set(panels.flatMap((p) => Object.keys(p.labels)));
  if (stat.kind === "metric" && stat.x) varied.add(stat.x);
  const base =
    spec.panel?.by === "axes"
      ? `base ${conditionTitle(Object.fromEntries(spec.panel.axes.map((a) => [a.label, record.params[a.label] as number])))}`
      : "";
  const lines = [
    [base, paramsText(record.params, spec.subtitle?.params ?? [], varied), statText]
      .filter((s) => s.length > 0)
      .join(" · "),
  ];
  if (spec.subtitle?.note) lines.push(spec.subtitle.note);
  if (constants.length > 0) {
    lines.push(
      `theory constant fitted (least squares in log space), not from the paper: ${constants.join(", ")}`,
    );
  }
  if (spec.slopes) {
    lines.push(...slopesLines(panels, (g) => seriesStyles(spec.colour, [g.method ?? "(none)"])[0].label));
  }
  if (notes.missing > 0)
    lines.push(`${notes.missing} seed-curves without a ${(stat as MetricStat).what} are not shown`);
  if (notes.dropped > 0) {
    lines.push(
      `${notes.dropped} median points ≤ 0 not drawn (log axis; e.g. a paired excess within noise of 0)`,
    );
  }
  lines.push(...notes.clipped);
  if (notes.clamped)
    lines.push(`values below ${LOG_FLOOR.toExponential()} drawn at ${LOG_FLOOR.toExponential()}`);
  return lines;
}
