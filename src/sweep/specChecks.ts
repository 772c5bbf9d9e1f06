import { canonicalJson } from "../experiments/keys.js";
import { SpecError, type SweepSpec } from "./spec.js";

/**
 * Checks of a sweep spec beyond its schema, before it is expanded (issue 14):
 * - a value listed twice on a grid axis would make two grid points of one cell — the printed
 *   cell count would not match the store — so it is an error naming the axis and the value;
 * - a parameter both fixed in `params` and swept in `grid` would silently lose its `params`
 *   value, so it is an error naming the parameter.
 * (Ranges with `integer: true` may round several steps to one value; those are dropped by design
 * and the cell count is counted after dropping them.)
 */
export function checkSweepSpec(spec: SweepSpec, source = "sweep spec"): void {
  for (const name of Object.keys(spec.grid)) {
    if (Object.hasOwn(spec.params, name)) {
      throw new SpecError(
        `${source}: "${name}" is both in "params" (${canonicalJson(spec.params[name])}) and in "grid"; keep it in one of them.`,
      );
    }
  }
  for (const [name, axis] of Object.entries(spec.grid)) {
    if (!Array.isArray(axis)) continue;
    const seen = new Set<string>();
    for (const v of axis) {
      const text = canonicalJson(v);
      if (seen.has(text)) {
        throw new SpecError(
          `${source}: "grid.${name}" lists ${text} more than once; each value must appear once (got ${canonicalJson(axis)}).`,
        );
      }
      seen.add(text);
    }
  }
}
