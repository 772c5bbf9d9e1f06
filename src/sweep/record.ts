import { cellId, cellKey } from "../experiments/keys.js";
import type { Experiment, RunContext, RunRecord, RunResult, SizeName } from "../experiments/types.js";
import { METAREP_VERSION, RECORD_SCHEMA_VERSION } from "../version.js";

// Record ids live beside the keys (experiments/keys.ts: pure, below the sweep layer).
export { canonicalJson, cellId, hash64 } from "../experiments/keys.js";

export interface RecordRequest {
  experiment: Experiment;
  /** Resolved parameters. */
  params: Record<string, unknown>;
  size: SizeName | null;
  seed: number;
  seedIndices: number[];
  command: string;
  ctx: RunContext;
  /** Clock for `startedAt`; injectable so the browser and tests can control it. */
  now?: () => Date;
  /** Canonical text of the sweep grid point ("" outside sweeps); it enters the cells' keys. */
  gridPoint?: string;
  /** The sweep grid coordinates of this cell, recorded as given. */
  grid?: Record<string, unknown>;
  /** The real data set passed to the run (in `ctx.dataset`), recorded by kind, path and digest. */
  dataset?: { kind: string; path: string; digest: string };
  /** Called as each seed finishes (i indexes `seedIndices`), e.g. to show partial results. */
  onSeed?(i: number, result: RunResult): void;
}

/**
 * Run an experiment for each seed index inline and assemble the record. Each seed's key comes
 * from `cellKey(seed, id, seedIndex)` alone, so a record for seeds [0..9] holds exactly the
 * results of ten single-seed runs.
 */
export function runRecord(req: RecordRequest): RunRecord {
  const { experiment, params, seed, seedIndices, ctx } = req;
  const startedAt = (req.now ?? (() => new Date()))().toISOString();
  const t0 = performance.now();
  const results: RunResult[] = [];
  seedIndices.forEach((s, i) => {
    const sub = {
      ...ctx,
      seedIndex: s,
      progress: (done: number, total: number) => ctx.progress(i * total + done, seedIndices.length * total),
    };
    const result = experiment.run(params, cellKey(seed, experiment.id, s, req.gridPoint ?? ""), sub);
    results.push(result);
    req.onSeed?.(i, result);
  });
  return assembleRecord({
    experiment: experiment.id,
    params,
    size: req.size,
    seed,
    seedIndices,
    results,
    command: req.command,
    startedAt,
    seconds: (performance.now() - t0) / 1000,
    gridPoint: req.gridPoint,
    grid: req.grid,
    dataset: req.dataset,
  });
}

/**
 * A record from its parts: the id and the overall status (`diverged` if any seed diverged) are
 * derived here, so every producer of records (runRecord, the page's live view) agrees on them.
 */
export function assembleRecord(p: {
  experiment: string;
  params: Record<string, unknown>;
  size: SizeName | null;
  seed: number;
  seedIndices: number[];
  results: RunResult[];
  command: string;
  startedAt: string;
  seconds: number;
  gridPoint?: string;
  grid?: Record<string, unknown>;
  dataset?: { kind: string; path: string; digest: string };
}): RunRecord {
  return {
    schemaVersion: RECORD_SCHEMA_VERSION,
    metarepVersion: METAREP_VERSION,
    experiment: p.experiment,
    size: p.size,
    params: p.params,
    seed: p.seed,
    seedIndices: p.seedIndices,
    cellId: cellId(p.experiment, p.params, p.seed, p.seedIndices, p.gridPoint ?? ""),
    ...(p.grid ? { grid: p.grid, gridPoint: p.gridPoint ?? "" } : {}),
    status: p.results.some((r) => r.status === "diverged") ? "diverged" : "ok",
    result: { seeds: p.results },
    ...(p.dataset ? { dataset: p.dataset } : {}),
    command: p.command,
    startedAt: p.startedAt,
    seconds: p.seconds,
  };
}
