import { foldInString, type Key } from "../rng/key.js";
import { cellKey } from "./keys.js";
import type {
  Condition,
  ConditionPart,
  Curve,
  Experiment,
  LivePoint,
  RunContext,
  RunResult,
  Status,
} from "./types.js";

/**
 * The one runner of declared experiments (DESIGN.md "Data flow"): conditions × seeds. Every
 * executor — `run`, `reproduce`, `sweep` on threads or BullMQ, the page's worker — goes through
 * `runConditionPart` for one cell and `combineParts` to join a seed's conditions, so labels,
 * keys, progress, status and merging are written once.
 */

/** The condition points of resolved parameters (one empty condition when none are declared). */
export function conditionsOf(exp: Experiment, params: unknown): Condition[] {
  const cs = exp.conditions ? exp.conditions(params as never) : [{}];
  if (cs.length === 0) return [{}];
  return cs;
}

/** Canonical text of a condition, in its declared label order: `mu=0.5`, `K=10,n=30,snr=0.3`. */
export function conditionText(c: Condition): string {
  return Object.entries(c)
    .map(([k, v]) => `${k}=${v}`)
    .join(",");
}

/**
 * The key of one condition of one cell: from (root seed, experiment, grid point, seed index) and,
 * unless the experiment uses common random numbers, the condition's text. So a condition's
 * numbers never depend on which other conditions, seeds or grid points run.
 */
export function conditionKey(
  exp: Experiment,
  condition: Condition,
  seed: number,
  seedIndex: number,
  gridPoint = "",
): Key {
  const k = cellKey(seed, exp.id, seedIndex, gridPoint);
  const text = conditionText(condition);
  return exp.commonRandomNumbers || text === "" ? k : foldInString(k, text);
}

function statusOf(curves: readonly Curve[]): Status {
  return curves.some((c) => c.status === "diverged") ? "diverged" : "ok";
}

/** `name[condition]`: a scalar named for the condition it belongs to. */
function scalarName(name: string, text: string): string {
  return text === "" ? name : `${name}[${text}]`;
}

/**
 * Run one condition of one seed: the condition's labels are appended to every curve's and live
 * point's labels, its text to every scalar's name (`theoryRate` → `theoryRate[mu=0.5]`), and the
 * status follows from the curves.
 */
export function runConditionPart(
  exp: Experiment,
  params: unknown,
  condition: Condition,
  key: Key,
  ctx: RunContext,
): RunResult {
  const labelled = (l: LivePoint): LivePoint => ({ ...l, labels: { ...l.labels, ...condition } });
  const live = ctx.live;
  const sub: RunContext = live ? { ...ctx, live: (pts) => live(pts.map(labelled)) } : ctx;
  const r = exp.runCondition(params as never, condition, key, sub);
  const text = conditionText(condition);
  const curves = r.curves.map((c) => ({ ...c, labels: { ...c.labels, ...condition } }));
  const scalars: RunResult["scalars"] = {};
  for (const [k, v] of Object.entries(r.scalars)) scalars[scalarName(k, text)] = v;
  return { status: statusOf(curves), curves, scalars };
}

/** The default join of a seed's conditions: curves in order, scalars together. */
export function concatParts(parts: readonly ConditionPart[]): RunResult {
  const curves = parts.flatMap((p) => p.result.curves);
  const scalars: RunResult["scalars"] = {};
  for (const p of parts) Object.assign(scalars, p.result.scalars);
  return { status: parts.some((p) => p.result.status === "diverged") ? "diverged" : "ok", curves, scalars };
}

/** Join one seed's condition results (sorted into declared order) with the experiment's `combine`. */
export function combineParts(exp: Experiment, params: unknown, parts: readonly ConditionPart[]): RunResult {
  const order = conditionsOf(exp, params).map(conditionText);
  const sorted = [...parts].sort(
    (a, b) => order.indexOf(conditionText(a.condition)) - order.indexOf(conditionText(b.condition)),
  );
  return exp.combine ? exp.combine(params as never, sorted) : concatParts(sorted);
}

/**
 * Run every condition of one seed inline and join them: what one seed of `metarep run` computes,
 * and exactly what the cells of that seed compute on any executor. Progress counts conditions
 * (each condition's own progress is scaled into its share).
 */
export function runSeed(
  exp: Experiment,
  params: unknown,
  seed: number,
  seedIndex: number,
  ctx: RunContext,
  gridPoint = "",
): RunResult {
  const conditions = conditionsOf(exp, params);
  const n = conditions.length;
  const parts = conditions.map((condition, i) => {
    const sub: RunContext = {
      ...ctx,
      seedIndex,
      progress: (done, total) => ctx.progress(i * total + done, n * total),
    };
    const key = conditionKey(exp, condition, seed, seedIndex, gridPoint);
    return { condition, result: runConditionPart(exp, params, condition, key, sub) };
  });
  return combineParts(exp, params, parts);
}
