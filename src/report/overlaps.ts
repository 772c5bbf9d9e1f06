import { extent } from "../metrics/extent.js";
import type { CurveGroup } from "./aggregate.js";

/**
 * Curves hidden under others (STYLE.md §17: overlapping curves are said): a series whose every
 * drawn value in a panel lies on an earlier series' (exactly, or within a line's width) is named
 * in the legend as "FO-ANIL (= ANIL here)" — found from the data, so no hand-kept list can drift.
 */

/** Within this fraction of the panel's span (of log y on a log axis) at every point, two curves draw as one line ("≈"). */
export const VISUAL_TOLERANCE = 0.015;
/** Within this relative difference at every point, two curves are the same numbers ("="). */
export const EXACT_TOLERANCE = 1e-12;

/** A panel's groups: its title and, per group, the series it belongs to and the values it draws. */
export interface OverlapPanel {
  title: string;
  members: { series: string; group: CurveGroup; key: string; values: Map<number, number> }[];
}

/** Whether two curves agree at every x: within `tol` relatively, or within `slack` (axis units). */
function close(
  a: Map<number, number>,
  b: Map<number, number>,
  tol: number,
  slack: number,
  t: (v: number) => number,
): boolean {
  if (a.size === 0 || a.size !== b.size) return false;
  for (const [x, va] of a) {
    const vb = b.get(x);
    if (vb === undefined) return false;
    const rel = Math.abs(va - vb) <= tol * Math.max(Math.abs(va), Math.abs(vb));
    if (!(rel || Math.abs(t(va) - t(vb)) <= slack)) return false;
  }
  return true;
}

/** How a series lies under an earlier one: exactly or visually, and in which panels. */
interface Under {
  of: string;
  exact: boolean;
  panels: string[];
}

/**
 * For each series drawn entirely under an earlier one (in `order`) in at least one panel, the
 * suffix its legend label gets: " (= ANIL here)" when it is under it in every panel both appear
 * in, " (≈ multi at K=1)" when in some (named, or counted beyond two). `label` maps series ids to
 * their legend text; on a log axis (`logY`) spans are measured in decades.
 */
export function overlapSuffixes(
  panels: readonly OverlapPanel[],
  order: readonly string[],
  label: (series: string) => string,
  logY: boolean,
): Map<string, string> {
  const under = new Map<string, Under>();
  const shared = new Map<string, number>(); // "b|a" → panels holding both
  for (const p of panels) {
    const t = logY ? (v: number) => Math.log10(Math.max(v, 1e-300)) : (v: number) => v;
    const all = p.members.flatMap((m) => [...m.values.values()].map(t));
    const slack = all.length === 0 ? 0 : VISUAL_TOLERANCE * (extent(all)[1] - extent(all)[0]);
    const bySeries = new Map<string, OverlapPanel["members"]>();
    for (const m of p.members) bySeries.set(m.series, [...(bySeries.get(m.series) ?? []), m]);
    const present = order.filter((s) => bySeries.has(s));
    for (const [j, b] of present.entries()) {
      for (const a of present.slice(0, j)) {
        const key = `${b}|${a}`;
        shared.set(key, (shared.get(key) ?? 0) + 1);
        const ma = bySeries.get(a)!;
        const mb = bySeries.get(b)!;
        const match = (tol: number, s: number) =>
          mb.length === ma.length &&
          mb.every((m) => {
            const twin = ma.find((n) => n.key === m.key);
            return twin !== undefined && close(m.values, twin.values, tol, s, t);
          });
        if (!match(EXACT_TOLERANCE, slack)) continue;
        const prev = under.get(b);
        if (prev !== undefined && prev.of !== a) break;
        const exact = match(EXACT_TOLERANCE, 0);
        under.set(b, {
          of: a,
          exact: (prev?.exact ?? true) && exact,
          panels: [...(prev?.panels ?? []), p.title],
        });
        break;
      }
    }
  }
  const out = new Map<string, string>();
  for (const [b, u] of under) {
    const total = shared.get(`${b}|${u.of}`) ?? u.panels.length;
    const sign = u.exact ? "=" : "≈";
    const where =
      u.panels.length === total
        ? "here"
        : u.panels.length <= 2
          ? `at ${u.panels.join(" and ")}`
          : `in ${u.panels.length} of ${total} panels`;
    out.set(b, ` (${sign} ${label(u.of)} ${where})`);
  }
  return out;
}
