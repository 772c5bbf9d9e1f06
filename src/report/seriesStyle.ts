import { listMethods } from "../algorithms/methods.js";
import { listEstimators } from "../algorithms/representation/estimators.js";
import type { ColourSpec } from "../experiments/figureSpec.js";
import type { RecordedEntry } from "../record/types.js";
import { PALETTE, SOLID } from "./theme.js";

/**
 * Names, colours, dashes and order of a figure's series (its curves' `method` labels), read from
 * the registry entries the spec names (STYLE.md §14): nothing here copies a registry.
 */

export interface SeriesStyle {
  id: string;
  /** Text of the legend and of the rows' `method` field. */
  label: string;
  color: string;
  dash: number[];
  /** Drawn from the name and colour a record keeps (its plug-in is not loaded). */
  fromRecord?: boolean;
}

/** A registry's entries as styles, in their declared order. */
function registryStyles(spec: ColourSpec): SeriesStyle[] {
  const named = (id: string, name: string) => (spec.names ? name : id);
  if (spec.registry === "methods") {
    return [...listMethods()]
      .sort((a, b) => a.order - b.order)
      .map((m) => ({
        id: m.id,
        label: named(m.id, m.name),
        color: m.color,
        dash: m.dashed ? [6, 3] : SOLID,
      }));
  }
  if (spec.registry === "estimators") {
    return [...listEstimators()]
      .sort((a, b) => a.order - b.order)
      .map((e) => ({ id: e.id, label: named(e.id, e.name), color: e.color, dash: SOLID }));
  }
  return (spec.fixed ?? []).map((f) => ({ id: f.id, label: f.name ?? f.id, color: f.color, dash: SOLID }));
}

/**
 * Styles of the series present (`methods`, first-seen order): the declared ones in their order,
 * then the others in first-seen order with the theme's palette.
 */
export function seriesStyles(
  spec: ColourSpec,
  methods: readonly string[],
  recorded: readonly RecordedEntry[] = [],
): SeriesStyle[] {
  const declared = registryStyles(spec);
  const known = declared.filter((s) => methods.includes(s.id));
  // A plug-in's entry that is not registered now: the name and colour its record keeps.
  const kind = spec.registry === "methods" ? "method" : spec.registry === "estimators" ? "estimator" : null;
  for (const e of recorded)
    if (e.kind === kind && methods.includes(e.id) && !known.some((s) => s.id === e.id))
      known.push({
        id: e.id,
        label: spec.names ? e.name : e.id,
        color: e.color,
        dash: SOLID,
        fromRecord: true,
      });
  // Fixed entries that match by prefix style each method they match, under its own text.
  for (const f of spec.fixed ?? []) {
    if (!f.prefix) continue;
    for (const m of methods)
      if (m !== f.id && m.startsWith(f.id) && !known.some((s) => s.id === m))
        known.push({ id: m, label: m, color: f.color, dash: SOLID });
  }
  let extra = 0;
  const others = methods
    .filter((m) => !known.some((s) => s.id === m) && !declared.some((s) => s.id === m))
    .map((m) => ({ id: m, label: m, color: PALETTE[extra++ % PALETTE.length], dash: SOLID }));
  return [...known, ...others];
}

/** Method ids in the registry's order first, then the others in first-seen order. */
export function orderMethods(
  methods: readonly string[],
  registry: ColourSpec["registry"] = "methods",
): string[] {
  return seriesStyles({ title: "", registry }, methods).map((s) => s.id);
}
