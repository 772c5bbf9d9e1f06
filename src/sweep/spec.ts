import { parse as parseYaml, YAMLParseError } from "yaml";
import { z } from "zod";
import { formatValue, MetarepError } from "../errors.js";
import { canonicalJson, hash64 } from "../experiments/keys.js";
import { ParamValidationError, parseParams } from "../experiments/params.js";
import { getExperiment } from "../experiments/registry.js";
import { resolveParams, SIZE_NAMES } from "../experiments/resolve.js";
import { cellWorkingMemory, estimateMemory, type MemoryEstimate } from "../experiments/resources.js";
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
    .describe(
      "plug-in files (ES modules), relative to the spec; imported — their code runs — before the rest of the spec is checked, even if it is then refused: read them first",
    ),
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

/** One point of a sweep's grid: its coordinates, their canonical text and the resolved parameters. */
export interface GridPoint {
  grid: Record<string, unknown>;
  gridPoint: string;
  params: Record<string, unknown>;
}

/**
 * A validated sweep, enumerated lazily: its grid points and cells are generated on demand, one at
 * a time, so a sweep of many cells holds only the cells in flight (issue 23). Every point was
 * resolved and validated once, and its cells counted, when the sweep was expanded.
 */
export interface ExpandedSweep {
  spec: SweepSpec;
  /** Hash of the normalised spec: a store holds one spec. */
  specHash: string;
  experiment: Experiment;
  /** Grid points (distinct; integer ranges may merge steps). */
  pointCount: number;
  /** Cells: Σ over grid points of conditions × seeds. */
  cellCount: number;
  /** The heaviest grid point's memory estimate (experiments/resources.ts), or null if none. */
  heaviest: MemoryEstimate | null;
  /** The plug-ins the cells use (one version of each per store). */
  plugins: PluginRef[];
  points(): Generator<GridPoint>;
  cells(): Generator<Cell>;
}

function axisValues(name: string, axis: z.output<typeof gridAxis>): unknown[] {
  if (Array.isArray(axis)) return axis;
  const [a, b, log] = "range" in axis ? [...axis.range, false] : [...axis.logRange, true];
  const n = axis.steps;
  const vals: number[] = [];
  const seen = new Set<number>();
  for (let i = 0; i < n; i++) {
    const t = n === 1 ? 0 : i / (n - 1);
    let v = log ? Math.exp(Math.log(a) + t * (Math.log(b) - Math.log(a))) : a + t * (b - a);
    if (axis.integer) v = Math.round(v);
    else v = Number(v.toPrecision(12)); // 0.30000000000000004 → 0.3: stable, readable grid values
    if (!seen.has(v)) {
      seen.add(v);
      vals.push(v);
    }
  }
  if (vals.length === 0) throw new SpecError(`sweep spec: "grid.${name}" is empty.`);
  return vals;
}

/**
 * Grid points × seeds of a spec, counted from the axes' lengths without expanding anything (a
 * range's steps are an upper bound: integer ranges may merge steps). The cells are this times the
 * experiment's conditions at each point; `expandSweep` counts them exactly.
 */
export function sweepCellBound(spec: SweepSpec): number {
  let n = spec.seeds;
  for (const axis of Object.values(spec.grid)) n *= Array.isArray(axis) ? axis.length : axis.steps;
  return n;
}

/** Canonical text of a grid point: sorted `name=value` (JSON values). */
export function gridPointText(grid: Record<string, unknown>): string {
  return Object.keys(grid)
    .sort()
    .map((k) => `${k}=${canonicalJson(grid[k])}`)
    .join(",");
}

/** Alias expansions a spec may use (the yaml library's default; a spec needs few, if any). */
const MAX_ALIAS_COUNT = 100;

/** Parse spec text (YAML, of which JSON is a subset) and validate it; errors name the field. */
export function parseSweepSpec(text: string, source = "sweep spec"): SweepSpec {
  let raw: unknown;
  try {
    raw = parseYaml(text, { maxAliasCount: MAX_ALIAS_COUNT });
  } catch (e) {
    if (e instanceof YAMLParseError) {
      const pos = e.linePos?.[0];
      const where = pos ? ` at line ${pos.line}, column ${pos.col}` : "";
      const what = e.message.split("\n")[0].replace(/ at line \d+, column \d+:?$/, "");
      throw new SpecError(`${source}: malformed YAML${where}: ${what}.`);
    }
    // The yaml library refuses alias bombs ("billion laughs") while building the value, with a
    // plain ReferenceError; any other error from it is likewise about the text, not a bug here.
    if (e instanceof Error && /alias/i.test(e.message)) {
      throw new SpecError(
        `${source}: YAML aliases expand too far (over the yaml library's limit of ${MAX_ALIAS_COUNT}, counted as alias uses × the size of what they repeat: an "alias bomb"); write the values out, or use fewer aliases.`,
      );
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
 * Every combination of the axes' values, in declared order (the last axis fastest), as an
 * odometer: no recursion and no intermediate arrays, whatever the number of points.
 */
function* combinations(axes: readonly (readonly [string, unknown[]])[]): Generator<Record<string, unknown>> {
  const at = axes.map(() => 0);
  if (axes.some(([, values]) => values.length === 0)) return;
  for (;;) {
    const grid: Record<string, unknown> = {};
    for (let i = 0; i < axes.length; i++) grid[axes[i][0]] = axes[i][1][at[i]];
    yield grid;
    let i = axes.length - 1;
    while (i >= 0 && ++at[i] === axes[i][1].length) at[i--] = 0;
    if (i < 0) return;
  }
}

/**
 * Validate a spec and enumerate it lazily: every grid point's parameters are resolved against the
 * experiment's schema (unknown names, wrong types, cross-field rules) and its cells counted, in
 * one pass that holds one point at a time, before anything runs. Callers bound the grid first
 * (`sweepCellBound` against the cell guards): the pass takes time proportional to the points.
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
  const resolve = (grid: Record<string, unknown>): GridPoint => {
    const gridPoint = gridPointText(grid);
    try {
      const params = resolveParams(experiment, spec.size, { ...spec.params, ...grid }) as Record<
        string,
        unknown
      >;
      return { grid, gridPoint, params };
    } catch (e) {
      if (e instanceof ParamValidationError && gridPoint !== "") {
        throw new ParamValidationError(
          `sweep spec (${experiment.id}) at grid point ${gridPoint}`,
          e.problems,
        );
      }
      throw e;
    }
  };
  function* points(): Generator<GridPoint> {
    for (const grid of combinations(axes)) yield resolve(grid);
  }
  let pointCount = 0;
  let cellCount = 0;
  let heaviest: MemoryEstimate | null = null;
  const plugins = new Map<string, PluginRef>();
  for (const p of points()) {
    pointCount++;
    cellCount += conditionsOf(experiment, p.params).length * spec.seeds;
    const e = estimateMemory(experiment.id, p.params);
    if (
      e &&
      (heaviest === null ||
        e.working + e.result + e.figures > heaviest.working + heaviest.result + heaviest.figures)
    )
      heaviest = e;
    for (const r of pluginsUsed(experiment.id, p.params)) plugins.set(r.id, r);
  }
  return {
    spec,
    specHash: hash64(canonicalJson(spec)),
    experiment,
    pointCount,
    cellCount,
    heaviest,
    plugins: [...plugins.values()],
    points,
    *cells() {
      for (const p of points()) yield* cellsAt(experiment, p.params, spec.size, spec.seed, spec.seeds, p);
    },
  };
}

/**
 * Cells at most this many at a time are ordered by cost (`byCostWindows`): LPT over the whole
 * sweep up to this size, and within consecutive windows beyond it, so ordering holds a bounded
 * number of cells.
 */
export const COST_WINDOW = 65_536;

/** `byCost` over consecutive windows of `window` cells of a stream (see COST_WINDOW). */
export function* byCostWindows<C extends Cell>(
  experiment: Experiment,
  cells: Iterable<C>,
  window = COST_WINDOW,
): Generator<C> {
  let buf: C[] = [];
  for (const c of cells) {
    buf.push(c);
    if (buf.length === window) {
      yield* byCost(experiment, buf);
      buf = [];
    }
  }
  yield* byCost(experiment, buf);
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
 * A cell's estimated working memory in bytes (`estimateMemory`'s `working` at the cell's parameters
 * and condition; 0 when the experiment has no estimate): the threads executor keeps the sum over
 * the running cells within its memory budget.
 */
export function cellMemory(cell: Cell): number {
  return cellWorkingMemory(cell.experiment, cell.params, cell.condition);
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
 * id derive from (root seed, experiment, grid point, condition, seed index) alone. `seeds` is a
 * list of seed indices, or a count n for 0 … n−1 (generated, not listed).
 */
export function* cellsAt(
  experiment: Experiment,
  params: Record<string, unknown>,
  size: SizeName | null,
  seed: number,
  seeds: readonly number[] | number,
  point: { grid: Record<string, unknown>; gridPoint: string } = { grid: {}, gridPoint: "" },
): Generator<Cell> {
  const plugins = pluginsUsed(experiment.id, params);
  const n = typeof seeds === "number" ? seeds : seeds.length;
  for (const condition of conditionsOf(experiment, params)) {
    const conditionPoint = conditionText(condition);
    for (let i = 0; i < n; i++) {
      const s = typeof seeds === "number" ? i : seeds[i];
      yield {
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
      };
    }
  }
}

/** `cellsAt` as an array (a `run`'s cells: its seeds, held in its record anyway). */
export function cellsOf(
  experiment: Experiment,
  params: Record<string, unknown>,
  size: SizeName | null,
  seed: number,
  seedIndices: readonly number[],
  point: { grid: Record<string, unknown>; gridPoint: string } = { grid: {}, gridPoint: "" },
): Cell[] {
  return Array.from(cellsAt(experiment, params, size, seed, seedIndices, point));
}
