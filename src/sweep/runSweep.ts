import type { RunRecord } from "../record/types.js";
import type { Executor } from "./executors/executor.js";
import { acquireStoreLock } from "./lock.js";
import { byCostWindows, type Cell, type ExpandedSweep } from "./spec.js";
import { SweepStore } from "./store.js";

export interface SweepProgress {
  done: number;
  total: number;
  failures: number;
  /** Cells found already stored (a resumed sweep). */
  skipped: number;
}

export interface SweepSummary extends SweepProgress {
  dir: string;
  failed: { cellId: string; grid: Record<string, unknown>; seedIndex: number; error: string }[];
}

/**
 * Run a sweep into its store: open (or resume) the store, skip the cells already stored, run the
 * rest on the executor, append each record as it arrives (exactly once per cell id) and each
 * failure to `failures.jsonl`. A failing cell never stops the others. The store's lock
 * (src/sweep/lock.ts) is held throughout: a second writer fails at once with `StoreLockedError`.
 */
export async function runSweep(o: {
  sweep: ExpandedSweep;
  dir: string;
  executor: Executor;
  command: string;
  onProgress?: (p: SweepProgress) => void;
  signal?: AbortSignal;
}): Promise<SweepSummary> {
  await o.executor.prepare?.();
  const lock = acquireStoreLock(o.dir, o.command);
  try {
    return await runLocked(o);
  } finally {
    lock.release();
  }
}

async function runLocked(o: Parameters<typeof runSweep>[0]): Promise<SweepSummary> {
  const store = SweepStore.open(o.dir, o.sweep, o.command);
  // Generated as the executor takes them: memory follows the cells in flight, not the grid.
  function* unstored(): Generator<Cell & { command: string }> {
    for (const c of o.sweep.cells()) if (!store.has(c.cellId)) yield { ...c, command: o.command };
  }
  const skipped = store.completed;
  const progress: SweepProgress = {
    done: skipped,
    total: o.sweep.cellCount,
    failures: 0,
    skipped,
  };
  const failed: SweepSummary["failed"] = [];
  o.onProgress?.({ ...progress });
  await o.executor.run(
    byCostWindows(o.sweep.experiment, unstored()),
    {
      record(_cell: Cell, record: RunRecord) {
        // The command that fills this store: a job taken from a queue that two stores share
        // carries the first submitter's.
        if (store.append({ ...record, command: o.command })) progress.done++;
        o.onProgress?.({ ...progress });
      },
      failure(cell: Cell, error: string) {
        const line = {
          cellId: cell.cellId,
          grid: cell.grid,
          seedIndex: cell.seedIndex,
          error,
          at: new Date().toISOString(),
        };
        store.appendFailure(line);
        failed.push(line);
        progress.failures++;
        o.onProgress?.({ ...progress });
      },
    },
    o.signal,
  );
  return { ...progress, dir: o.dir, failed };
}
