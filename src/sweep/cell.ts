import { z } from "zod";
import { MetarepError } from "../errors.js";
import { parseParams } from "../experiments/params.js";
import { getExperiment } from "../experiments/registry.js";
import { SIZE_NAMES } from "../experiments/resolve.js";
import { conditionKey, conditionsOf, conditionText, runConditionPart } from "../experiments/runner.js";
import type { RunContext, SizeName } from "../experiments/types.js";
import { releaseIdleMemory } from "../linalg/wasm/kernels.js";
import { requirePlugins } from "../plugins/load.js";
import { pluginRefSchema } from "../record/file.js";
import { cellId } from "../record/ids.js";
import { assembleRecord } from "../record/run.js";
import type { RunRecord } from "../record/types.js";
import type { Cell } from "./spec.js";

/** A job that fails validation: never retried, never run. */
export class InvalidJobError extends MetarepError {
  override name = "InvalidJobError";
}

const cellShape = z.strictObject({
  cellId: z.string(),
  experiment: z.string(),
  size: z.enum(SIZE_NAMES as [SizeName, ...SizeName[]]).nullable(),
  params: z.record(z.string(), z.unknown()),
  seed: z.number().int().min(0),
  seedIndex: z.number().int().min(0),
  grid: z.record(z.string(), z.unknown()),
  gridPoint: z.string(),
  condition: z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()])),
  conditionPoint: z.string(),
  plugins: z.array(pluginRefSchema).optional(),
  command: z.string().optional(),
});

/**
 * Validate a cell received from outside (a queue, a thread message): its shape, a known
 * experiment, parameters valid under that experiment's schema, and a cell id that matches its
 * contents. A job carries data only — an experiment id and parameters — never code.
 */
export function validateCell(data: unknown): Cell & { command?: string } {
  const shape = cellShape.safeParse(data);
  if (!shape.success) {
    const i = shape.error.issues[0];
    throw new InvalidJobError(`invalid job: "${i.path.join(".")}" ${i.message}`);
  }
  const c = shape.data;
  // The plug-ins first: without them the experiment or its parameters may be unknown here.
  try {
    requirePlugins(c.plugins, "job");
  } catch (e) {
    throw new InvalidJobError(`invalid job: ${(e as Error).message}`);
  }
  let exp: ReturnType<typeof getExperiment>;
  try {
    exp = getExperiment(c.experiment);
  } catch (e) {
    throw new InvalidJobError(`invalid job: ${(e as Error).message}`);
  }
  let params: Record<string, unknown>;
  try {
    params = parseParams(exp.id, exp.params, c.params) as Record<string, unknown>;
  } catch (e) {
    throw new InvalidJobError(`invalid job: ${(e as Error).message}`);
  }
  const declared = conditionsOf(exp, params).map(conditionText);
  if (conditionText(c.condition) !== c.conditionPoint || !declared.includes(c.conditionPoint)) {
    throw new InvalidJobError(
      `invalid job: "condition" must be one of ${exp.id}'s conditions at these parameters (${declared.map((d) => `"${d}"`).join(", ")}); got "${conditionText(c.condition)}"`,
    );
  }
  const expected = cellId(exp.id, params, c.seed, [c.seedIndex], c.gridPoint, c.conditionPoint);
  if (expected !== c.cellId) {
    throw new InvalidJobError(
      `invalid job: "cellId" does not match its contents (expected ${expected}); got "${c.cellId}"`,
    );
  }
  return { ...c, params };
}

/** Kernel memory a thread keeps between cells (bytes); more is released (`releaseIdleMemory`). */
const KERNEL_MEMORY_KEPT = 64 * 2 ** 20;

/**
 * Run one cell (one grid point, one condition, one seed index) into its record: every executor
 * calls this. The record holds the condition's result for the seed; `mergeByGridPoint` joins a
 * seed's conditions into what `metarep run` would record.
 */
export function runCell(cell: Cell & { command?: string }, ctx: Partial<RunContext> = {}): RunRecord {
  const experiment = getExperiment(cell.experiment);
  const startedAt = new Date().toISOString();
  const t0 = performance.now();
  const key = conditionKey(experiment, cell.condition, cell.seed, cell.seedIndex, cell.gridPoint);
  const full: RunContext = { progress: () => {}, warn: () => {}, ...ctx, seedIndex: cell.seedIndex };
  let result: ReturnType<typeof runConditionPart>;
  try {
    result = runConditionPart(experiment, cell.params, cell.condition, key, full);
  } finally {
    // A cell that grew the kernel module's memory past this leaves a fresh instance to the next
    // cell on this thread (every executor runs cells through here).
    releaseIdleMemory(KERNEL_MEMORY_KEPT);
  }
  return assembleRecord({
    experiment: experiment.id,
    params: cell.params,
    size: cell.size,
    seed: cell.seed,
    seedIndices: [cell.seedIndex],
    results: [result],
    command: cell.command ?? `metarep sweep (cell ${cell.cellId})`,
    startedAt,
    seconds: (performance.now() - t0) / 1000,
    gridPoint: cell.gridPoint,
    grid: cell.grid,
    condition: cell.condition,
    conditionPoint: cell.conditionPoint,
    plugins: cell.plugins,
  });
}
