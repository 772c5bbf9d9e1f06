import type { OverlaySpec } from "../experiments/figureSpec.js";
import { exp, log } from "../linalg/libm.js";
import { extent } from "../metrics/extent.js";
import { fitConstant } from "../theory/duBound.js";
import type { CurveGroup } from "./aggregate.js";
import { LOG_FLOOR } from "./theme.js";

/**
 * Rows of the theory overlays of one panel (the grammar's `overlays`): theory functions of the
 * run's parameters evaluated at the panel's x values, fitted constants, rate lines and exponents.
 */

export type OverlayRow = {
  kind: "theory";
  panel: string;
  /** The overlay's legend entry. */
  method: string;
  x: number;
  y: number;
  /** The rate of a geometric line. */
  rate?: number;
};

export interface PanelContext {
  params: Record<string, unknown>;
  title: string;
  labels: Record<string, string | number | boolean | null>;
  /** The panel's groups in series order, with each group's legend label. */
  groups: { group: CurveGroup; label: string }[];
  /** The x values drawn in the panel, ascending. */
  xs: number[];
  /** Whether y is on a log axis (non-positive theory values are then left out). */
  logY: boolean;
}

export interface OverlayResult {
  rows: OverlayRow[];
  /** `C = …` of fitted constants, for the subtitle. */
  constants: string[];
}

/** 0 to the largest x in `steps` steps, plus every measured x exactly. */
function fineGrid(xs: number[], steps = 100): number[] {
  const top = extent(xs)[1];
  const grid = new Set<number>(xs);
  for (let i = 0; i <= steps; i++) grid.add((top * i) / steps);
  return [...grid].sort((a, b) => a - b);
}

/** The rows of one overlay in one panel. */
export function overlayRows(o: OverlaySpec, ctx: PanelContext): OverlayResult {
  const rows: OverlayRow[] = [];
  const constants: string[] = [];
  const push = (method: string, x: number, y: number | null, extra: { rate?: number } = {}) => {
    if (y === null || !Number.isFinite(y) || (ctx.logY && !(y > 0))) return;
    rows.push({ kind: "theory", panel: ctx.title, method, x, y, ...extra });
  };
  const at = (x: number) => ({ params: ctx.params, panel: ctx.labels, x });
  const xs = ctx.xs;
  if (xs.length === 0) return { rows, constants };
  switch (o.kind) {
    case "line":
      for (const x of o.grid === "fine" ? fineGrid(xs) : xs) push(o.label, x, o.f(at(x)));
      break;
    case "fitted": {
      const ref = o.fitTo
        .map((m) => ctx.groups.find((g) => g.group.method === m))
        .find((g) => g !== undefined);
      if (!ref) break;
      const pts = ref.group.points;
      const C = fitConstant(
        pts.map((p) => p.median),
        pts.map((p) => o.f(at(p.x)) ?? Number.NaN),
      );
      if (C === null) break;
      const label = o.label.replace("{method}", ref.label);
      for (const x of xs) {
        const f = o.f(at(x));
        push(label, x, f === null ? null : C * f);
      }
      const what = o.constant ?? label.split(",")[0];
      constants.push(`${ctx.title ? `${ctx.title}: ` : ""}C = ${C.toPrecision(3)} (${what})`);
      break;
    }
    case "geometric": {
      const rate = o.rate(ctx.params, ctx.labels);
      const first = ctx.groups[0]?.group.points ?? [];
      const anchor = first.find((p) => p.median <= o.anchor) ?? first[0];
      const end = xs[xs.length - 1];
      if (rate === null || !(rate > 0 && rate < 1) || !anchor || !(anchor.median > 0)) break;
      const logRate = log(rate);
      for (let t = 0; t <= end; t++) {
        const y = anchor.median * exp(logRate * (t - anchor.x));
        if (y > 1) continue;
        if (y < LOG_FLOOR) break;
        push(o.label, t, y, { rate });
      }
      break;
    }
    case "slope":
      for (const { group } of ctx.groups) {
        const slope = group.metrics[o.metric]?.median;
        if (slope === null || slope === undefined) continue;
        const fitted = o.fitted === undefined ? null : group.metrics[o.fitted]?.median;
        const label = `theory slope ${slope}${fitted === null || fitted === undefined ? "" : ` (fitted ${fitted.toFixed(2)})`}`;
        // A power law of that slope through the geometric mean of the medians.
        const pts = group.points.filter((p) => p.x > 0 && p.median > 0);
        if (pts.length < 2) continue;
        const mx = pts.reduce((s, p) => s + log(p.x), 0) / pts.length;
        const my = pts.reduce((s, p) => s + log(p.median), 0) / pts.length;
        for (const p of pts) push(label, p.x, exp(my + slope * (log(p.x) - mx)));
      }
      break;
  }
  return { rows, constants };
}
