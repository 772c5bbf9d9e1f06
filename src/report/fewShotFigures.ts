import type { Config, TopLevelSpec } from "vega-lite";
import { fitLogLogLine } from "../metrics/loglogSlope.js";
import type { RunRecord } from "../record/types.js";
import { duBound, duRepresentationTerm, fitConstant, olsLevel, oracleLevel } from "../theory/duBound.js";
import { aggregateRecord, type Band, type CurveGroup } from "./aggregate.js";
import { FIGURE_CONFIG, FigureError, LOG_FLOOR } from "./figures.js";

/**
 * Vega-Lite figures of the few-shot experiments (Du et al. 2021, Tripuraneni et al. 2021): log-log
 * plots of the median over seeds (line and points) with a quantile band, per estimator, with the
 * theory overlaid as `C·(terms)` where C is fitted to the data (least squares in log space) and
 * the legend says so, and the fitted log-log slopes printed in the subtitle. Pure: JSON in, JSON out.
 */

/** Estimator order and colours, so a method looks the same in every few-shot figure. */
export const ESTIMATOR_ORDER = [
  "mom",
  "altmin",
  "altmin-gd",
  "bm",
  "anil",
  "fo-anil",
  "oracle",
  "ols",
] as const;
const ESTIMATOR_COLORS: Record<string, string> = {
  mom: "#ff7f0e",
  altmin: "#1f77b4",
  "altmin-gd": "#17becf",
  bm: "#2ca02c",
  anil: "#d62728",
  "fo-anil": "#e377c2",
  oracle: "#000000",
  ols: "#7f7f7f",
};
const ESTIMATOR_NAMES: Record<string, string> = {
  mom: "MoM",
  altmin: "AltMin",
  "altmin-gd": "AltMinGD",
  bm: "Burer–Monteiro",
  anil: "ANIL",
  "fo-anil": "FO-ANIL",
  oracle: "oracle (B̂ = B*)",
  ols: "OLS in R^d (no representation)",
};

export interface FewShotFigureOptions {
  title?: string;
  band?: Band;
  width?: number;
  height?: number;
}

// Longer legend labels: the estimator names carry their descriptions.
const CONFIG: Config = {
  ...FIGURE_CONFIG,
  legend: { ...FIGURE_CONFIG.legend, labelLimit: 360, titleLimit: 360 },
};

function orderEstimators(methods: readonly string[]): string[] {
  const known = ESTIMATOR_ORDER.filter((m) => methods.includes(m));
  return [...known, ...methods.filter((m) => !(ESTIMATOR_ORDER as readonly string[]).includes(m))];
}

function num(record: RunRecord, name: string, figure: string): number {
  const v = record.params[name];
  if (typeof v !== "number" || !Number.isFinite(v)) {
    throw new FigureError(`${figure}: record.params "${name}" must be a finite number; got ${String(v)}.`);
  }
  return v;
}

function clamp(v: number): number {
  return Number.isFinite(v) && v > LOG_FLOOR ? v : LOG_FLOOR;
}

interface Panel {
  key: string;
  title: string;
  xTitle: string;
  groups: CurveGroup[];
}

interface Overlay {
  panel: string;
  series: string;
  x: number;
  y: number;
}

/** Rows and layers of a log-log figure: per method median + band, theory overlays as black dashes. */
function logLogSpec(
  panels: Panel[],
  overlays: Overlay[],
  yTitle: string,
  title: string,
  subtitle: string[],
  options: FewShotFigureOptions,
): TopLevelSpec {
  const rows: Record<string, unknown>[] = [];
  const methods = orderEstimators([
    ...new Set(panels.flatMap((p) => p.groups.map((g) => g.method ?? "(none)"))),
  ]);
  // A log axis cannot show values ≤ 0 (e.g. a paired excess over the oracle within noise of 0):
  // such medians are left out and said so, and band ends ≤ 0 are drawn a decade below the
  // smallest positive value, rather than at a 1e-17 floor that would read as a result.
  let positiveMin = Number.POSITIVE_INFINITY;
  for (const p of panels)
    for (const g of p.groups)
      for (const pt of g.points)
        for (const v of [pt.median, pt.lo, pt.hi])
          if (Number.isFinite(v) && v > 0) positiveMin = Math.min(positiveMin, v);
  const bandFloor = Number.isFinite(positiveMin) ? positiveMin / 10 : LOG_FLOOR;
  let dropped = 0;
  for (const p of panels) {
    for (const g of p.groups) {
      const method = g.method ?? "(none)";
      for (const pt of g.points) {
        if (!(pt.median > 0)) {
          dropped++;
          continue;
        }
        rows.push({
          kind: "series",
          panel: p.title,
          method: ESTIMATOR_NAMES[method] ?? method,
          x: pt.x,
          median: clamp(pt.median),
          lo: pt.lo > 0 ? clamp(pt.lo) : bandFloor,
          hi: pt.hi > 0 ? clamp(pt.hi) : bandFloor,
          seeds: `${pt.count}/${g.seedIndices.length}`,
        });
      }
    }
  }
  for (const o of overlays)
    rows.push({ kind: "theory", panel: o.panel, series: o.series, x: o.x, y: clamp(o.y) });
  const names = methods.map((m) => ESTIMATOR_NAMES[m] ?? m);
  const color = {
    field: "method",
    type: "nominal",
    title: "estimator of B̂",
    scale: { domain: names, range: methods.map((m) => ESTIMATOR_COLORS[m] ?? "#9467bd") },
  };
  const xs = { type: "log", nice: false };
  const ys = { type: "log" };
  const seriesNames = [...new Set(overlays.map((o) => o.series))];
  const layersFor = (xTitle: string): unknown[] => {
    const x = { field: "x", type: "quantitative", scale: xs, title: xTitle, axis: { format: "~g" } };
    const layers: unknown[] = [
      {
        transform: [{ filter: "datum.kind === 'series'" }],
        mark: { type: "area", fillOpacity: 0.15 },
        encoding: {
          x,
          y: { field: "lo", type: "quantitative", scale: ys, title: yTitle },
          y2: { field: "hi" },
          color,
        },
      },
      {
        transform: [{ filter: "datum.kind === 'series'" }],
        mark: { type: "line", point: true, strokeWidth: 1.8 },
        encoding: {
          x,
          y: { field: "median", type: "quantitative", scale: ys, title: yTitle, axis: { format: "~e" } },
          color,
          tooltip: [
            { field: "method", type: "nominal" },
            { field: "x", type: "quantitative" },
            { field: "median", type: "quantitative", format: ".4g" },
            { field: "lo", type: "quantitative", format: ".4g", title: "band low" },
            { field: "hi", type: "quantitative", format: ".4g", title: "band high" },
            { field: "seeds", type: "nominal" },
          ],
        },
      },
    ];
    if (seriesNames.length > 0) {
      layers.push({
        transform: [{ filter: "datum.kind === 'theory'" }],
        mark: { type: "line", color: "black", strokeWidth: 1.3 },
        encoding: {
          x,
          y: { field: "y", type: "quantitative", scale: ys, title: yTitle },
          strokeDash: {
            field: "series",
            type: "nominal",
            title: "reference",
            scale: {
              domain: seriesNames,
              range: seriesNames.map(
                (_, i) =>
                  [
                    [6, 3],
                    [2, 2],
                    [10, 2, 2, 2],
                  ][i % 3],
              ),
            },
          },
          tooltip: [
            { field: "series", type: "nominal" },
            { field: "x", type: "quantitative" },
            { field: "y", type: "quantitative", format: ".4g" },
          ],
        },
      });
    }
    return layers;
  };
  const size = { width: options.width ?? 260, height: options.height ?? 200 };
  const head = {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    title: {
      text: options.title ?? title,
      subtitle:
        dropped > 0
          ? [
              ...subtitle,
              `${dropped} median points ≤ 0 not drawn (log axis; e.g. a paired excess within noise of 0)`,
            ]
          : subtitle,
    },
    data: { values: rows },
    config: CONFIG,
  };
  if (panels.length <= 1)
    return { ...head, ...size, layer: layersFor(panels[0]?.xTitle ?? "x") } as TopLevelSpec;
  // One panel per varied setting, each with its own x axis title (a facet shares one).
  return {
    ...head,
    columns: Math.min(3, panels.length),
    concat: panels.map((p) => ({
      ...size,
      title: { text: p.title, fontSize: 12 },
      transform: [{ filter: { field: "panel", equal: p.title } }],
      layer: layersFor(p.xTitle),
    })),
  } as TopLevelSpec;
}

function groupsOf(record: RunRecord, options: FewShotFigureOptions, quantity: string): CurveGroup[] {
  const agg = aggregateRecord(record, options.band ? { band: options.band } : {});
  return agg.groups.filter((g) => g.condition.quantity === quantity && g.method !== null);
}

function slopesText(panels: Panel[]): string[] {
  const parts: string[] = [];
  for (const p of panels) {
    const s = p.groups
      .map((g) => {
        const fit = fitLogLogLine(
          g.points.map((q) => q.x),
          g.points.map((q) => q.median),
        );
        return fit ? `${ESTIMATOR_NAMES[g.method!] ?? g.method} ${fit.slope.toFixed(2)}` : null;
      })
      .filter((v) => v !== null);
    if (s.length)
      parts.push(`fitted log-log slopes of the medians${p.title ? ` ${p.title}` : ""}: ${s.join(", ")}`);
  }
  return parts;
}

/** The method a theory constant is fitted to: AltMin, else BM, else the first learned method. */
function reference(groups: CurveGroup[]): CurveGroup | undefined {
  for (const m of ["altmin", "bm", "altmin-gd", "mom", "fo-anil", "anil"]) {
    const g = groups.find((x) => x.method === m);
    if (g) return g;
  }
  return undefined;
}

const SWEEP_TITLES: Record<string, string> = {
  T: "source tasks T",
  n1: "rows per source task n1",
  n2: "rows per target task n2",
};

function sweepPanels(
  record: RunRecord,
  options: FewShotFigureOptions,
  quantity: string,
  skip: (m: string) => boolean,
): Panel[] {
  const groups = groupsOf(record, options, quantity).filter((g) => !skip(g.method!));
  const sweeps = [...new Set(groups.map((g) => String(g.condition.sweep)))];
  return sweeps.map((s) => ({
    key: s,
    title: `vs ${s}`,
    xTitle: SWEEP_TITLES[s] ?? s,
    groups: groups.filter((g) => String(g.condition.sweep) === s),
  }));
}

/** Setting of one point of sweep `s` at x, from the record's fixed params. */
function settingAt(
  record: RunRecord,
  s: string,
  x: number,
): { d: number; k: number; T: number; n1: number; n2: number } {
  const f = "fewShotRiskFigure";
  const base = {
    d: num(record, "d", f),
    k: num(record, "k", f),
    T: num(record, "T", f),
    n1: num(record, "n1", f),
    n2: num(record, "n2", f),
  };
  return { ...base, [s]: x };
}

/**
 * `du-excess-risk`: excess risk vs T, n1 and n2 (one panel each), per estimator, with
 * `C·(dk/(n1T) + k/n2)` (C fitted to AltMin's medians — a fitted constant, not the paper's), the
 * derived oracle level σ²k/(n2−k−1) and OLS level σ²d/(n2−d−1).
 */
export function fewShotRiskFigure(record: RunRecord, options: FewShotFigureOptions = {}): TopLevelSpec {
  const sigma = num(record, "sigma", "fewShotRiskFigure");
  const panels = sweepPanels(record, options, "excess risk", () => false);
  const overlays: Overlay[] = [];
  const constants: string[] = [];
  for (const p of panels) {
    const ref = reference(p.groups);
    const xs = [...new Set(p.groups.flatMap((g) => g.points.map((q) => q.x)))].sort((a, b) => a - b);
    const bound = (x: number) => duBound(settingAt(record, p.key, x));
    const C = ref
      ? fitConstant(
          ref.points.map((q) => q.median),
          ref.points.map((q) => bound(q.x)),
        )
      : null;
    if (C !== null) {
      const label = `C·(dk/(n1T) + k/n2), C fitted to ${ESTIMATOR_NAMES[ref!.method!]}`;
      for (const x of xs) overlays.push({ panel: p.title, series: label, x, y: C * bound(x) });
      constants.push(`${p.title}: C = ${C.toPrecision(3)}`);
    }
    for (const x of xs) {
      const s = settingAt(record, p.key, x);
      const o = oracleLevel(sigma, s.k, s.n2);
      const l = olsLevel(sigma, s.d, s.n2);
      if (o !== null) overlays.push({ panel: p.title, series: "oracle level σ²k/(n2−k−1)", x, y: o });
      if (l !== null) overlays.push({ panel: p.title, series: "OLS level σ²d/(n2−d−1)", x, y: l });
    }
  }
  const subtitle = [
    `median and band over ${record.result.seeds.length} seeds; theory constant fitted (least squares in log space), not from the paper: ${constants.join(", ") || "n/a"}`,
    ...slopesText(panels),
  ].filter((s) => s);
  return logLogSpec(panels, overlays, "excess risk ‖B̂ŵ − B*w*‖²", record.experiment, subtitle, options);
}

/**
 * `du-excess-risk`: the excess over the oracle, ER − ER(oracle) paired on the same targets, vs T,
 * n1 and n2, with `C·dk/(n1T)` (C fitted to AltMin) — the representation term of Du et al.'s rate.
 */
export function fewShotExcessFigure(record: RunRecord, options: FewShotFigureOptions = {}): TopLevelSpec {
  const panels = sweepPanels(record, options, "excess over oracle", (m) => m === "ols");
  const overlays: Overlay[] = [];
  const constants: string[] = [];
  for (const p of panels) {
    const ref = reference(p.groups);
    const term = (x: number) => {
      const s = settingAt(record, p.key, x);
      return duRepresentationTerm(s.d, s.k, s.n1, s.T);
    };
    const C = ref
      ? fitConstant(
          ref.points.map((q) => q.median),
          ref.points.map((q) => term(q.x)),
        )
      : null;
    if (C === null) continue;
    const xs = [...new Set(p.groups.flatMap((g) => g.points.map((q) => q.x)))].sort((a, b) => a - b);
    const label = `C·dk/(n1T), C fitted to ${ESTIMATOR_NAMES[ref!.method!]}`;
    for (const x of xs) overlays.push({ panel: p.title, series: label, x, y: C * term(x) });
    constants.push(`${p.title}: C = ${C.toPrecision(3)}`);
  }
  const subtitle = [
    `ER − ER(oracle) on the same target tasks; median and band over ${record.result.seeds.length} seeds; constant fitted, not from the paper: ${constants.join(", ") || "n/a"}`,
    ...slopesText(panels),
  ].filter((s) => s);
  return logLogSpec(panels, overlays, "excess over the oracle", record.experiment, subtitle, options);
}

/** `du-diversity`: excess risk vs the condition number κ of the source heads W*, per estimator. */
export function fewShotDiversityFigure(record: RunRecord, options: FewShotFigureOptions = {}): TopLevelSpec {
  const groups = groupsOf(record, options, "excess risk");
  const panel: Panel = { key: "", title: "", xTitle: "condition number κ(W*) of the source heads", groups };
  const sigma = num(record, "sigma", "fewShotDiversityFigure");
  const o = oracleLevel(
    sigma,
    num(record, "k", "fewShotDiversityFigure"),
    num(record, "n2", "fewShotDiversityFigure"),
  );
  const xs = [...new Set(groups.flatMap((g) => g.points.map((q) => q.x)))].sort((a, b) => a - b);
  const overlays =
    o === null ? [] : xs.map((x) => ({ panel: "", series: "oracle level σ²k/(n2−k−1)", x, y: o }));
  const subtitle = [
    `T=${record.params.T}, n1=${record.params.n1}, n2=${record.params.n2}; median and band over ${record.result.seeds.length} seeds`,
    ...slopesText([panel]),
  ].filter((s) => s);
  return logLogSpec([panel], overlays, "excess risk ‖B̂ŵ − B*w*‖²", record.experiment, subtitle, options);
}

/**
 * `tripuraneni-mom`: sin θ = dist(B̂, B*) (unsquared) vs T, one panel per n1, per estimator, with a
 * slope −1/2 guide C/√T fitted to MoM's medians (a guide with a fitted constant, not a bound).
 */
export function sinThetaFigure(record: RunRecord, options: FewShotFigureOptions = {}): TopLevelSpec {
  const groups = groupsOf(record, options, "sin θ");
  const n1s = [...new Set(groups.map((g) => Number(g.condition.n1)))];
  const panels: Panel[] = n1s.map((n1) => ({
    key: String(n1),
    title: `n1 = ${n1}`,
    xTitle: "source tasks T",
    groups: groups.filter((g) => Number(g.condition.n1) === n1),
  }));
  const overlays: Overlay[] = [];
  for (const p of panels) {
    const mom = p.groups.find((g) => g.method === "mom");
    if (!mom) continue;
    const C = fitConstant(
      mom.points.map((q) => q.median),
      mom.points.map((q) => 1 / Math.sqrt(q.x)),
    );
    if (C === null) continue;
    for (const q of mom.points)
      overlays.push({
        panel: p.title,
        series: "C/√T (slope −1/2), C fitted to MoM",
        x: q.x,
        y: C / Math.sqrt(q.x),
      });
  }
  const subtitle = [
    `d=${record.params.d}, k=${record.params.k}; median and band over ${record.result.seeds.length} seeds`,
    ...slopesText(panels),
  ].filter((s) => s);
  return logLogSpec(panels, overlays, "sin θ(B̂, B*) (unsquared)", record.experiment, subtitle, options);
}
