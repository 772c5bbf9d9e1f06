import type { ConditionPart, Curve, Labels, RunResult } from "./types.js";

/**
 * Joining a seed's conditions when a condition axis is a figure's x axis (e.g. T in Du et al.'s
 * excess risk vs T): each condition yields one point per curve, and the curves that agree on
 * everything but `axis` (labels and y quantity) are joined, in condition order, into one curve
 * over the axis. Metrics that span the points (a fitted slope, the final value) are recomputed by
 * `metrics(x, y, pointMetrics)`; the joined curve is diverged at its first diverged point.
 */
export function joinAlong(
  parts: readonly ConditionPart[],
  axis: string,
  metrics: (x: number[], y: number[], pointMetrics: Curve["metrics"]) => Curve["metrics"],
): RunResult {
  const joined = new Map<string, Curve>();
  for (const part of parts) {
    for (const c of part.result.curves) {
      const { [axis]: _drop, ...labels } = c.labels;
      const id = `${JSON.stringify(labels)}|${c.yName}`;
      const into = joined.get(id);
      if (!into) {
        joined.set(id, { ...c, labels: labels as Labels, x: [...c.x], y: [...c.y] });
        continue;
      }
      into.x.push(...c.x);
      into.y.push(...c.y);
      if (c.status === "diverged" && into.status !== "diverged") {
        into.status = "diverged";
        if (c.diverged) into.diverged = c.diverged;
      }
    }
  }
  const curves = [...joined.values()].map((c) => ({ ...c, metrics: metrics(c.x, c.y, c.metrics) }));
  const scalars: RunResult["scalars"] = {};
  for (const p of parts) Object.assign(scalars, p.result.scalars);
  return { status: curves.some((c) => c.status === "diverged") ? "diverged" : "ok", curves, scalars };
}

/**
 * Scalars that belong to the seed rather than to a condition (e.g. the drawn mixture's
 * separation Δ, the same under every condition): the runner names each condition's copy
 * `name[condition]`; this reads them back under their plain names, from the first condition.
 */
export function seedScalars(parts: readonly ConditionPart[], names: readonly string[]): RunResult["scalars"] {
  const first = parts[0]?.result.scalars ?? {};
  const out: RunResult["scalars"] = {};
  for (const name of names) {
    const hit = Object.entries(first).find(([k]) => k === name || k.startsWith(`${name}[`));
    out[name] = hit ? hit[1] : null;
  }
  return out;
}
