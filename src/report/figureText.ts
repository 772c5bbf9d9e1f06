import type { Labels } from "../experiments/types.js";
import type { Band } from "./aggregate.js";
import { formatLabelValue } from "./aggregate.js";
import { SYMBOLS } from "./theme.js";

/** Texts of figures: panel titles, the parameters line, the statistic line. */

/** Panel title of a condition, e.g. `m_in=10, n=20, σ=0`. */
export function conditionTitle(condition: Labels): string {
  return Object.entries(condition)
    .map(([k, v]) => `${SYMBOLS[k] ?? k}=${formatLabelValue(v)}`)
    .join(", ");
}

/** `d=20, k=3, α=0.5` from the run's params: the scalar ones of `keys`, skipping those varied. */
export function paramsText(
  params: Record<string, unknown>,
  keys: readonly string[],
  varied: ReadonlySet<string> = new Set(),
): string {
  return keys
    .filter((k) => !varied.has(k) && ["number", "string", "boolean"].includes(typeof params[k]))
    .map((k) => `${SYMBOLS[k] ?? k}=${String(params[k])}`)
    .join(", ");
}

export function plural(n: number, what: string): string {
  return `${n} ${what}${n === 1 ? "" : "s"}`;
}

/** `10–90% band`, or `min–max band`. */
export function bandText(band: Band): string {
  if (band.lo === 0 && band.hi === 1) return "min–max band";
  const pct = (q: number) => `${Math.round(q * 1000) / 10}`;
  return `${pct(band.lo)}–${pct(band.hi)}% band`;
}
