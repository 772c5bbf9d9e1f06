import { MetarepError } from "../errors.js";
import type { Experiment, RunRecord, RunResult, SizeName } from "../experiments/types.js";
import { ThreadsExecutor } from "../sweep/executors/threads.js";
import { assembleRecord, cellId } from "../sweep/record.js";
import type { Cell } from "../sweep/spec.js";
import { makeProgress } from "./progress.js";

/** A seed of a multi-seed `run` failed on a worker thread. */
export class SeedFailedError extends MetarepError {
  override name = "SeedFailedError";
}

/**
 * `metarep run` with several seeds: each seed is one cell (keyed exactly as the inline run keys
 * it: `cellKey(seed, id, seedIndex, gridPoint)`), run on a worker-thread pool as `reproduce` runs
 * its cells, then assembled into the same record as `runRecord` would make — the same results,
 * whatever the number of workers (JSON-normalised, as every stored record is). Warnings raised
 * inside a worker are not relayed (the record holds what the run computed).
 */
export async function runSeedsOnThreads(p: {
  exp: Experiment;
  size: SizeName;
  params: Record<string, unknown>;
  seed: number;
  seedIndices: number[];
  command: string;
  workers: number;
  quiet: boolean;
  gridPoint?: string;
  grid?: Record<string, unknown>;
}): Promise<RunRecord> {
  const gridPoint = p.gridPoint ?? "";
  const cells: Cell[] = p.seedIndices.map((s) => ({
    cellId: cellId(p.exp.id, p.params, p.seed, [s], gridPoint),
    experiment: p.exp.id,
    size: p.size,
    params: p.params,
    seed: p.seed,
    seedIndex: s,
    grid: p.grid ?? {},
    gridPoint,
  }));
  const workers = Math.min(p.workers, cells.length);
  const results: RunResult[] = new Array(cells.length);
  const failures: string[] = [];
  const position = new Map(p.seedIndices.map((s, i) => [s, i]));
  const progress = makeProgress(
    `${p.exp.id} (${cells.length} seeds on ${workers} threads)`,
    p.quiet,
    "seeds",
  );
  const startedAt = new Date().toISOString();
  const t0 = performance.now();
  const executor = new ThreadsExecutor(workers);
  let done = 0;
  try {
    await executor.run(cells, {
      record(cell, rec) {
        results[position.get(cell.seedIndex)!] = rec.result.seeds[0];
        progress.update(++done, cells.length, failures.length);
      },
      failure(cell, message) {
        failures.push(`seed index ${cell.seedIndex}: ${message}`);
        progress.update(done, cells.length, failures.length);
      },
    });
  } finally {
    progress.stop();
    await executor.close();
  }
  if (failures.length > 0) throw new SeedFailedError(`${p.exp.id}: ${failures.join("; ")}`);
  return assembleRecord({
    experiment: p.exp.id,
    params: p.params,
    size: p.size,
    seed: p.seed,
    seedIndices: p.seedIndices,
    results,
    command: p.command,
    startedAt,
    seconds: (performance.now() - t0) / 1000,
    ...(p.grid ? { grid: p.grid, gridPoint } : {}),
  });
}
