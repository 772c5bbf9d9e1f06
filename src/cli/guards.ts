import { availableParallelism } from "node:os";
import { DEFAULT_MAX_CELLS, DEFAULT_MAX_MEMORY, type Limits } from "../sweep/guards.js";
import { UsageError } from "./flags.js";

/**
 * The CLI's side of the resource guards (src/sweep/guards.ts holds the checks every door shares):
 * parsing `--max-cells N` and `--max-memory SIZE`, and capping `--workers` at the cores.
 */

export {
  cellMemoryBudget,
  checkCells,
  checkMemory,
  checkRun,
  DEFAULT_LIMITS,
  DEFAULT_MAX_CELLS,
  DEFAULT_MAX_MEMORY,
  formatBytes,
  type Limits,
  ResourceLimitError,
} from "../sweep/guards.js";

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
