import { runSeed } from "../experiments/runner.js";
import type { Condition, Experiment, RunContext, RunResult, SizeName } from "../experiments/types.js";
import { METAREP_VERSION, RECORD_SCHEMA_VERSION } from "../version.js";
import { cellId } from "./ids.js";
import type { PluginRef, RunRecord } from "./types.js";

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
  /** The plug-ins the run uses (recorded for provenance; see `plugins/used.ts`). */
  plugins?: readonly PluginRef[];
  /** Called as each seed finishes (i indexes `seedIndices`), e.g. to show partial results. */
  onSeed?(i: number, result: RunResult): void;
}

/**
 * Run an experiment for each seed index inline (every condition of each seed, joined: see
 * `experiments/runner.ts`) and assemble the record. Each seed's keys come from (seed, id, grid
 * point, seed index, condition) alone, so a record for seeds [0..9] holds exactly the results of
 * ten single-seed runs, and of the cells a sweep would run for them.
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
    const result = runSeed(experiment, params, seed, s, sub, req.gridPoint ?? "");
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
    plugins: req.plugins,
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
  /** A sweep cell's condition (one condition of one seed) and its canonical text. */
  condition?: Condition;
  conditionPoint?: string;
  dataset?: { kind: string; path: string; digest: string };
  plugins?: readonly PluginRef[];
}): RunRecord {
  return {
    schemaVersion: RECORD_SCHEMA_VERSION,
    metarepVersion: METAREP_VERSION,
    experiment: p.experiment,
    size: p.size,
    params: p.params,
    seed: p.seed,
    seedIndices: p.seedIndices,
    cellId: cellId(p.experiment, p.params, p.seed, p.seedIndices, p.gridPoint ?? "", p.conditionPoint ?? ""),
    ...(p.grid ? { grid: p.grid, gridPoint: p.gridPoint ?? "" } : {}),
    ...(p.condition ? { condition: p.condition, conditionPoint: p.conditionPoint ?? "" } : {}),
    status: p.results.some((r) => r.status === "diverged") ? "diverged" : "ok",
    result: { seeds: p.results },
    ...(p.dataset ? { dataset: p.dataset } : {}),
    ...(p.plugins?.length
      ? {
          plugins: p.plugins.map((x) => ({
            id: x.id,
            file: x.file,
            sha256: x.sha256,
            ...(x.entries?.length ? { entries: x.entries.map((e) => ({ ...e })) } : {}),
          })),
        }
      : {}),
    command: p.command,
    startedAt: p.startedAt,
    seconds: p.seconds,
  };
}
