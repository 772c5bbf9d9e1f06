import { resolveParams } from "./resolve.js";
import { runSeed } from "./runner.js";
import type { Curve, Experiment, RunContext, RunResult, Status } from "./types.js";

/**
 * Test support shared by the experiment tests: run seeds through the shared runner (every
 * condition of each seed, joined, exactly as `metarep run` and the sweep cells compute them),
 * pick curves, medians. Below the record layer: a `TestRun` is the result part of a record.
 */

const quiet = { progress: () => {}, warn: () => {} };

/** The seeds' results of one run: the part of a `RunRecord` that experiments produce. */
export interface TestRun {
  experiment: string;
  params: Record<string, unknown>;
  seed: number;
  seedIndices: number[];
  status: Status;
  result: { seeds: RunResult[] };
}

/** Run resolved `params` for each seed index (the shape of `runRecord`'s request, for tests). */
export function runSeeds(req: {
  experiment: Experiment;
  params: Record<string, unknown>;
  seed: number;
  seedIndices: number[];
  ctx?: Partial<RunContext>;
  gridPoint?: string;
  size?: unknown;
  command?: string;
}): TestRun {
  const ctx: RunContext = { ...quiet, ...req.ctx };
  const seeds = req.seedIndices.map((s) =>
    runSeed(req.experiment, req.params, req.seed, s, ctx, req.gridPoint),
  );
  return {
    experiment: req.experiment.id,
    params: req.params,
    seed: req.seed,
    seedIndices: req.seedIndices,
    status: seeds.some((r) => r.status === "diverged") ? "diverged" : "ok",
    result: { seeds },
  };
}

/** One run of `exp` with these overrides (no size: schema defaults) over the given seed indices. */
export function runExperiment(
  exp: Experiment,
  overrides: Record<string, unknown>,
  seedIndices: number[],
  seed = 0,
): TestRun {
  const params = resolveParams(exp, null, overrides) as Record<string, unknown>;
  return runSeeds({ experiment: exp, params, seed, seedIndices });
}

/** Per seed, the curve whose labels include these (and whose yName is `yName`, if given). */
export function curvesOf(rec: TestRun, labels: Record<string, unknown>, yName?: string): Curve[] {
  return rec.result.seeds.map((r) => {
    const c = r.curves.find(
      (c) =>
        (yName === undefined || c.yName === yName) &&
        Object.entries(labels).every(([k, v]) => c.labels[k] === v),
    );
    if (!c)
      throw new Error(`no curve with labels ${JSON.stringify(labels)}${yName ? ` and y ${yName}` : ""}`);
    return c;
  });
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = (s.length - 1) / 2;
  return (s[Math.floor(m)] + s[Math.ceil(m)]) / 2;
}

/** Per x, the median over seeds of the curves' y. */
export function medians(cs: Curve[]): number[] {
  return cs[0].x.map((_, j) => median(cs.map((c) => c.y[j])));
}
