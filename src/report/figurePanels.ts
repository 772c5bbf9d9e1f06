import { FigureError } from "../errors.js";
import type { PanelSpec } from "../experiments/figureSpec.js";
import type { Labels, LabelValue } from "../experiments/types.js";
import { type CurveGroup, formatLabelValue, labelsKey } from "./aggregate.js";
import { conditionTitle } from "./figureText.js";

/** The panels of a figure and which curve groups each holds (DESIGN.md: panel field of a spec). */

export interface Panel {
  title: string;
  /** The labels its curves share, for theory overlays (e.g. `{ sweep: "T" }`). */
  labels: Labels;
  /** Its own x title (then panels are laid out side by side, each with its x axis). */
  xTitle?: string;
  /** Its groups, each with the x its label gives (for `axes` panels; else null). */
  members: { group: CurveGroup; x: LabelValue }[];
}

function without(labels: Labels, keys: readonly string[]): Labels {
  return Object.fromEntries(Object.entries(labels).filter(([k]) => !keys.includes(k)));
}

/** Groups into panels, in first-seen order of the groups (one panel "" without a panel spec). */
export function panelsOf(
  spec: PanelSpec | undefined,
  groups: readonly CurveGroup[],
  params: Record<string, unknown>,
): Panel[] {
  if (spec?.by === "axes") return axesPanels(spec.axes, groups, params);
  const panels = new Map<string, Panel>();
  for (const group of groups) {
    let labels: Labels = {};
    let title = "";
    let xTitle: string | undefined;
    if (spec?.by === "condition") {
      labels = without(group.condition, spec.except ?? []);
      title = conditionTitle(labels);
    } else if (spec?.by === "label") {
      const v = group.condition[spec.label] ?? null;
      labels = { [spec.label]: v };
      title = spec.titles?.[String(v)] ?? spec.title.replace("{value}", formatLabelValue(v));
      xTitle = spec.xTitles?.[String(v)];
    }
    const key = labelsKey(labels);
    let p = panels.get(key);
    if (p === undefined) {
      p = { title, labels, members: [], ...(xTitle === undefined ? {} : { xTitle }) };
      panels.set(key, p);
    }
    p.members.push({ group, x: null });
  }
  return [...panels.values()];
}

/**
 * One panel per axis with at least two values, through the base point: the groups whose other
 * axes' labels equal the params of the same name, at x = their label on this axis. With no axis
 * varied, one panel of the first axis holding every group.
 */
function axesPanels(
  axes: readonly { label: string; title: string }[],
  groups: readonly CurveGroup[],
  params: Record<string, unknown>,
): Panel[] {
  for (const a of axes) {
    const v = params[a.label];
    if (typeof v !== "number") {
      throw new FigureError(
        `record.params "${a.label}" must be a number (the base point); got ${String(v)}.`,
      );
    }
  }
  const panels: Panel[] = [];
  for (const a of axes) {
    const others = axes.filter((o) => o !== a);
    const on = groups.filter((g) => others.every((o) => g.condition[o.label] === params[o.label]));
    if (new Set(on.map((g) => g.condition[a.label])).size < 2) continue;
    panels.push({
      title: a.title,
      // Each panel's x axis is titled by its axis.
      xTitle: a.title,
      labels: { [a.label]: null },
      members: on.map((group) => ({ group, x: group.condition[a.label] ?? null })),
    });
  }
  if (panels.length > 0 || axes.length === 0) return panels;
  const first = axes[0];
  return [
    {
      title: first.title,
      xTitle: first.title,
      labels: {},
      members: groups.map((group) => ({ group, x: group.condition[first.label] ?? null })),
    },
  ];
}
