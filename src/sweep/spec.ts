import { parse as parseYaml, YAMLParseError } from "yaml";
import { z } from "zod";
import { formatValue, MetarepError } from "../errors.js";
import { canonicalJson, hash64 } from "../experiments/keys.js";
import { ParamValidationError, parseParams } from "../experiments/params.js";
import { getExperiment } from "../experiments/registry.js";
import { resolveParams, SIZE_NAMES } from "../experiments/resolve.js";
import { conditionsOf, conditionText } from "../experiments/runner.js";
import type { Condition, Experiment, SizeName } from "../experiments/types.js";
import { pluginsUsed } from "../plugins/load.js";
import { cellId } from "../record/ids.js";
import type { PluginRef } from "../record/types.js";
import { checkSweepSpec } from "./specChecks.js";

const linearRange = z.strictObject({
  range: z.tuple([z.number(), z.number()]).describe("[from, to], inclusive"),
  steps: z.number().int().min(1),
  integer: z.boolean().default(false).describe("round to integers (duplicates are dropped)"),
});
const logRange = z.strictObject({
  logRange: z.tuple([z.number().gt(0), z.number().gt(0)]).describe("[from, to], inclusive, geometric"),
  steps: z.number().int().min(1),
  integer: z.boolean().default(false),
});
const gridAxis = z.union([z.array(z.unknown()).min(1), linearRange, logRange]);

/**
 * A sweep: one experiment at one size, fixed parameter overrides, a grid (each axis a list, a
 * linear range or a log range) and a number of seeds. Cells are grid points × the experiment's
 * declared conditions (at that point's parameters) × seed indices.
 */
export const sweepSpecSchema = z.strictObject({
  experiment: z.string().describe("experiment id (metarep list)"),
  size: z.enum(SIZE_NAMES as [SizeName, ...SizeName[]]).default("paper"),
  seeds: z.number().int().min(1).describe("seed indices 0 … seeds−1 per grid point"),
  seed: z.number().int().min(0).default(0).describe("root seed"),
  params: z.record(z.string(), z.unknown()).default({}).describe("fixed parameter overrides"),
  grid: z.record(z.string(), gridAxis).default({}).describe("parameter → values"),
  plugins: z
    .array(z.string().min(1))
    .optional()
    .describe("plug-in files (ES modules), relative to the spec; loaded before the spec is expanded"),
});
export type SweepSpec = z.output<typeof sweepSpecSchema>;

/** JSON Schema of sweep specs (`metarep schema sweep`). */
export function sweepJsonSchema(): unknown {
  return z.toJSONSchema(sweepSpecSchema, { io: "input" });
}

export class SpecError extends MetarepError {
  override name = "SpecError";
}

/** One cell of a sweep: everything a worker needs, and nothing executable. */
export interface Cell {
  cellId: string;
  experiment: string;
  size: SizeName | null;
  /** Resolved parameters (defaults, size, fixed overrides and grid values). */
  params: Record<string, unknown>;
  seed: number;
  seedIndex: number;
  grid: Record<string, unknown>;
  gridPoint: string;
  /** One of the experiment's declared conditions at these parameters, and its canonical text. */
  condition: Condition;
  conditionPoint: string;
  /**
   * The plug-ins the cell uses, by id and digest (never a path): a worker runs it only if it
   * holds each with the same digest (`plugins/load.ts` `requirePlugins`). Absent when none.
   */
  plugins?: PluginRef[];
}

export interface ExpandedSweep {
  spec: SweepSpec;
  /** Hash of the normalised spec: a store holds one spec. */
  specHash: string;
  experiment: Experiment;
  points: { grid: Record<string, unknown>; gridPoint: string; params: Record<string, unknown> }[];
  cells: Cell[];
}

function axisValues(name: string, axis: z.output<typeof gridAxis>): unknown[] {
  if (Array.isArray(axis)) return axis;
  const [a, b, log] = "range" in axis ? [...axis.range, false] : [...axis.logRange, true];
  const n = axis.steps;
  const vals: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = n === 1 ? 0 : i / (n - 1);
    let v = log ? Math.exp(Math.log(a) + t * (Math.log(b) - Math.log(a))) : a + t * (b - a);
    if (axis.integer) v = Math.round(v);
    else v = Number(v.toPrecision(12)); // 0.30000000000000004 → 0.3: stable, readable grid values
    if (!vals.includes(v)) vals.push(v);
  }
  if (vals.length === 0) throw new SpecError(`sweep spec: "grid.${name}" is empty.`);
  return vals;
}

/** Canonical text of a grid point: sorted `name=value` (JSON values). */
export function gridPointText(grid: Record<string, unknown>): string {
  return Object.keys(grid)
    .sort()
    .map((k) => `${k}=${canonicalJson(grid[k])}`)
    .join(",");
}

/** Parse spec text (YAML, of which JSON is a subset) and validate it; errors name the field. */
export function parseSweepSpec(text: string, source = "sweep spec"): SweepSpec {
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (e) {
    if (e instanceof YAMLParseError) {
      const pos = e.linePos?.[0];
      const where = pos ? ` at line ${pos.line}, column ${pos.col}` : "";
      const what = e.message.split("\n")[0].replace(/ at line \d+, column \d+:?$/, "");
      throw new SpecError(`${source}: malformed YAML${where}: ${what}.`);
    }
    throw e;
  }
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) {
    throw new SpecError(
      `${source}: must be a mapping with "experiment", "seeds" and optionally "size", "seed", "params", "grid"; got ${formatValue(raw)}.`,
    );
  }
  return parseParams(source, sweepSpecSchema, raw);
}

/**
 * Expand a spec into grid points and cells, validating every point's parameters against the
 * experiment's schema (unknown names, wrong types, cross-field rules) before anything runs.
 */
export function expandSweep(spec: SweepSpec): ExpandedSweep {
  const experiment = getExperiment(spec.experiment);
  checkSweepSpec(spec, `sweep spec (${experiment.id})`);
  const known = Object.keys(
    (experiment.params as unknown as { shape?: Record<string, unknown> }).shape ?? {},
  );
  for (const name of [...Object.keys(spec.params), ...Object.keys(spec.grid)]) {
    if (known.length && !known.includes(name)) {
      throw new ParamValidationError(`sweep spec (${experiment.id})`, [
        `unknown parameter "${name}"; known: ${known.join(", ")}`,
      ]);
    }
  }
  const axes = Object.entries(spec.grid).map(([name, axis]) => [name, axisValues(name, axis)] as const);
  let combos: Record<string, unknown>[] = [{}];
  for (const [name, values] of axes) combos = combos.flatMap((c) => values.map((v) => ({ ...c, [name]: v })));
  const points = combos.map((grid) => {
    const gridPoint = gridPointText(grid);
    let params: Record<string, unknown>;
    try {
      params = resolveParams(experiment, spec.size, { ...spec.params, ...grid }) as Record<string, unknown>;
    } catch (e) {
      if (e instanceof ParamValidationError && gridPoint !== "") {
        throw new ParamValidationError(
          `sweep spec (${experiment.id}) at grid point ${gridPoint}`,
          e.problems,
        );
      }
      throw e;
    }
    return { grid, gridPoint, params };
  });
  const cells: Cell[] = [];
  const seedIndices = Array.from({ length: spec.seeds }, (_, s) => s);
  for (const p of points) cells.push(...cellsOf(experiment, p.params, spec.size, spec.seed, seedIndices, p));
  return { spec, specHash: hash64(canonicalJson(spec)), experiment, points, cells };
}

/**
 * A cell's estimated cost (`Experiment.cost`, core-milliseconds; 1 when undeclared or unknown):
 * the executors' queue starts the costliest first.
 */
export function cellCost(cell: Cell): number {
  let experiment: Experiment;
  try {
    experiment = getExperiment(cell.experiment);
  } catch {
    return 1;
  }
  return experiment.cost ? experiment.cost(cell.params as never, cell.condition) : 1;
}

/**
 * Cells in the order to start them: the costliest first by the experiment's `cost` (longest
 * processing time first, so the last cells to start are short ones), ties in declared order.
 * Scheduling only: a cell's key and record do not depend on it.
 */
export function byCost<C extends Cell>(experiment: Experiment, cells: readonly C[]): C[] {
  if (!experiment.cost) return [...cells];
  const cost = (c: Cell) => experiment.cost!(c.params as never, c.condition);
  return cells
    .map((c, i) => ({ c, i, k: cost(c) }))
    .sort((a, b) => b.k - a.k || a.i - b.i)
    .map((x) => x.c);
}

/**
 * The cells of one grid point: conditions × seed indices (condition-major). Each cell's key and
 * id derive from (root seed, experiment, grid point, condition, seed index) alone.
 */
export function cellsOf(
  experiment: Experiment,
  params: Record<string, unknown>,
  size: SizeName | null,
  seed: number,
  seedIndices: readonly number[],
  point: { grid: Record<string, unknown>; gridPoint: string } = { grid: {}, gridPoint: "" },
): Cell[] {
  const cells: Cell[] = [];
  const plugins = pluginsUsed(experiment.id, params);
  for (const condition of conditionsOf(experiment, params)) {
    const conditionPoint = conditionText(condition);
    for (const s of seedIndices) {
      cells.push({
        cellId: cellId(experiment.id, params, seed, [s], point.gridPoint, conditionPoint),
        experiment: experiment.id,
        size,
        params,
        seed,
        seedIndex: s,
        grid: point.grid,
        gridPoint: point.gridPoint,
        condition,
        conditionPoint,
        ...(plugins.length ? { plugins } : {}),
      });
    }
  }
  return cells;
}
