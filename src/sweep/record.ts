import { cellKey } from "../experiments/keys.js";
import type { Experiment, RunContext, RunRecord, RunResult, SizeName } from "../experiments/types.js";
import { METAREP_VERSION, RECORD_SCHEMA_VERSION } from "../version.js";

/** JSON with object keys sorted at every level: the canonical text of params for ids. */
export function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(",")}]`;
  if (v !== null && typeof v === "object") {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson(o[k])}`)
      .join(",")}}`;
  }
  return JSON.stringify(v);
}

/** FNV-1a, 64-bit, as 16 hex digits: a short stable id for canonical params text. */
export function hash64(text: string): string {
  let h = 0xcbf29ce484222325n;
  const bytes = new TextEncoder().encode(text);
  for (const b of bytes) h = BigInt.asUintN(64, (h ^ BigInt(b)) * 0x100000001b3n);
  return h.toString(16).padStart(16, "0");
}

/**
 * Cell id: experiment, a hash of (params, grid point), root seed and seed indices. The grid point
 * enters because it enters the key: a value set in a sweep's grid and the same value set as a
 * fixed parameter are different cells.
 */
export function cellId(
  experiment: string,
  params: unknown,
  seed: number,
  seedIndices: number[],
  gridPoint = "",
): string {
  const idx =
    seedIndices.length > 1 && seedIndices.every((s, i) => s === seedIndices[0] + i)
      ? `${seedIndices[0]}-${seedIndices[seedIndices.length - 1]}`
      : seedIndices.join(".");
  const h = hash64(gridPoint === "" ? canonicalJson(params) : `${canonicalJson(params)}|${gridPoint}`);
  return `${experiment}:${h.slice(0, 12)}:${seed}:${idx}`;
}

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
  return {
    schemaVersion: RECORD_SCHEMA_VERSION,
    metarepVersion: METAREP_VERSION,
    experiment: experiment.id,
    size: req.size,
    params,
    seed,
    seedIndices,
    cellId: cellId(experiment.id, params, seed, seedIndices, req.gridPoint ?? ""),
    ...(req.grid ? { grid: req.grid, gridPoint: req.gridPoint ?? "" } : {}),
    status: results.some((r) => r.status === "diverged") ? "diverged" : "ok",
    result: { seeds: results },
    ...(req.dataset ? { dataset: req.dataset } : {}),
    command: req.command,
    startedAt,
    seconds: (performance.now() - t0) / 1000,
  };
}
