import { z } from "zod";
import { MetarepError } from "../errors.js";
import { parseParams } from "../experiments/params.js";
import { getExperiment } from "../experiments/registry.js";
import { SIZE_NAMES } from "../experiments/resolve.js";
import type { RunContext, RunRecord, SizeName } from "../experiments/types.js";
import { cellId, runRecord } from "./record.js";
import type { Cell } from "./spec.js";

/** A job that fails validation: never retried, never run. */
export class InvalidJobError extends MetarepError {
  override name = "InvalidJobError";
}

const cellShape = z.strictObject({
  cellId: z.string(),
  experiment: z.string(),
  size: z.enum(SIZE_NAMES as [SizeName, ...SizeName[]]),
  params: z.record(z.string(), z.unknown()),
  seed: z.number().int().min(0),
  seedIndex: z.number().int().min(0),
  grid: z.record(z.string(), z.unknown()),
  gridPoint: z.string(),
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
  const expected = cellId(exp.id, params, c.seed, [c.seedIndex], c.gridPoint);
  if (expected !== c.cellId) {
    throw new InvalidJobError(
      `invalid job: "cellId" does not match its contents (expected ${expected}); got "${c.cellId}"`,
    );
  }
  return { ...c, params };
}

/** Run one cell (one grid point, one seed index) into its record: every executor calls this. */
export function runCell(cell: Cell & { command?: string }, ctx: Partial<RunContext> = {}): RunRecord {
  const experiment = getExperiment(cell.experiment);
  return runRecord({
    experiment,
    params: cell.params,
    size: cell.size,
    seed: cell.seed,
    seedIndices: [cell.seedIndex],
    gridPoint: cell.gridPoint,
    grid: cell.grid,
    command: cell.command ?? `metarep sweep (cell ${cell.cellId})`,
    ctx: { progress: () => {}, warn: () => {}, ...ctx },
  });
}
