import { availableParallelism } from "node:os";
import { MetarepError } from "../errors.js";
import { estimateMemory, type MemoryEstimate } from "../experiments/resources.js";
import type { SweepSpec } from "../sweep/spec.js";
import { UsageError } from "./flags.js";

/**
 * Resource guards (issue 14): a run or sweep whose cell count or estimated memory exceeds a
 * documented limit is refused before it allocates, with a line giving the estimate and the flag
 * that overrides it; `--workers` above the number of cores is capped with a warning.
 *
 * Limits: at most DEFAULT_MAX_CELLS cells (`--max-cells N`) and DEFAULT_MAX_MEMORY bytes of
 * estimated memory (`--max-memory SIZE`, e.g. 16G) per command. Memory estimates come from
 * src/experiments/resources.ts.
 */

export const DEFAULT_MAX_CELLS = 100_000;
export const DEFAULT_MAX_MEMORY = 4 * 2 ** 30;

/** Over a resource limit: exit code 2 before anything is allocated or written. */
export class ResourceLimitError extends MetarepError {
  override name = "ResourceLimitError";
}

export interface Limits {
  maxCells: number;
  maxMemory: number;
}

/** `--max-cells N` (an integer ≥ 1). */
function parseMaxCells(text: string | undefined): number {
  if (text === undefined) return DEFAULT_MAX_CELLS;
  const t = text.trim();
  const v = Number(t);
  if (!/^\d+(e\d+)?$/i.test(t) || !Number.isSafeInteger(v) || v < 1)
    throw new UsageError(`"--max-cells" must be an integer ≥ 1; got "${text}".`);
  return v;
}

const UNITS: Record<string, number> = { "": 1, k: 2 ** 10, m: 2 ** 20, g: 2 ** 30, t: 2 ** 40 };

/** `--max-memory SIZE`: bytes, or with a unit K, M, G, T (powers of 1024; a trailing B allowed). */
export function parseMemorySize(flag: string, text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?(?:e\d+)?)\s*([kmgt]?)i?b?\s*$/i.exec(text);
  const v = m ? Number(m[1]) * UNITS[m[2].toLowerCase()] : Number.NaN;
  if (!m || !Number.isFinite(v) || v < 1)
    throw new UsageError(`"${flag}" must be a size such as 512M, 16G or a number of bytes; got "${text}".`);
  return v;
}

export function parseLimits(o: { maxCells?: string; maxMemory?: string }): Limits {
  return {
    maxCells: parseMaxCells(o.maxCells),
    maxMemory: o.maxMemory === undefined ? DEFAULT_MAX_MEMORY : parseMemorySize("--max-memory", o.maxMemory),
  };
}

/** Bytes in a readable unit: 512 MB, 6.1 GB, 8.0e+10 GB stays in GB. */
export function formatBytes(b: number): string {
  if (b < 2 ** 20) return `${Math.ceil(b / 2 ** 10)} kB`;
  if (b < 2 ** 30) return `${(b / 2 ** 20).toFixed(0)} MB`;
  const g = b / 2 ** 30;
  return g < 1e5 ? `${g.toFixed(1)} GB` : `${g.toExponential(1)} GB`;
}

/** A count in a readable form: 1000000 → 1,000,000; beyond 1e12 in exponent form. */
function formatCount(n: number): string {
  return n < 1e12 ? n.toLocaleString("en-US") : n.toExponential(1);
}

/** Refuse more than `limits.maxCells` cells. */
export function checkCells(what: string, cells: number, limits: Limits): void {
  if (cells > limits.maxCells) {
    throw new ResourceLimitError(
      `${what}: ${formatCount(cells)} cells exceed the limit of ${formatCount(limits.maxCells)}; pass --max-cells ${Number.isSafeInteger(cells) ? cells : "N"} to run them anyway.`,
    );
  }
}

/**
 * Refuse an estimated peak above `limits.maxMemory`: `concurrent` seeds working at once, and
 * `held` results kept until the end (a `run` holds all its seeds' results in its record).
 */
export function checkMemory(
  what: string,
  est: MemoryEstimate | null,
  shape: { concurrent: number; held: number },
  limits: Limits,
): void {
  if (est === null) return;
  const total =
    shape.concurrent * (est.working + est.result) + Math.max(0, shape.held - shape.concurrent) * est.result;
  if (total > limits.maxMemory) {
    const parts =
      shape.concurrent > 1 || shape.held > 1
        ? ` (${formatBytes(est.working)} working memory per seed × ${shape.concurrent} at once, ${formatBytes(est.result)} of results per seed × ${shape.held})`
        : "";
    const suggest = 2 ** Math.ceil(Math.log2(total / 2 ** 30));
    throw new ResourceLimitError(
      `${what}: estimated memory ${formatBytes(total)}${parts} exceeds the limit of ${formatBytes(limits.maxMemory)}; pass --max-memory ${suggest < 1e6 ? `${suggest}G` : "SIZE"} to run it anyway.`,
    );
  }
}

export function checkRunMemory(
  id: string,
  params: Record<string, unknown>,
  seeds: number,
  limits: Limits,
): void {
  checkMemory(`run ${id}`, estimateMemory(id, params), { concurrent: 1, held: seeds }, limits);
}

/** The number of values an axis spec gives, without expanding it (ranges: their steps, an upper bound). */
function axisLength(axis: SweepSpec["grid"][string]): number {
  return Array.isArray(axis) ? axis.length : axis.steps;
}

/** Cells of a sweep spec (grid points × seeds), computed without expanding the grid. */
export function sweepCellCount(spec: SweepSpec): number {
  let n = spec.seeds;
  for (const axis of Object.values(spec.grid)) n *= axisLength(axis);
  return n;
}

/**
 * `--workers N` (or `--concurrency N`) capped at the number of cores, with a warning: threads
 * beyond the cores only add memory (each holds a V8 heap) and contention. 0 (inline) stays 0.
 */
export function capWorkers(flag: string, requested: number, warn: (m: string) => void): number {
  const cores = availableParallelism();
  if (requested <= cores) return requested;
  warn(`${flag} ${requested} is more than the ${cores} cores of this machine; using ${cores}.`);
  return cores;
}
