import { MetarepError } from "../errors.js";
import {
  estimateMemory,
  type MemoryEstimate,
  PROCESS_BYTES,
  THREAD_BYTES,
} from "../experiments/resources.js";

/**
 * Resource guards, one set for every door (issues 14 and 23): the CLI's `run`, `run --record`,
 * `reproduce` and `sweep`, a job taken from the queue by `metarep worker`, and the web page all
 * refuse work whose cell count or estimated memory exceeds their limits, before anything is
 * allocated, with a line giving the estimate, the limit and how to raise it.
 *
 * Pure (no Node modules), so the browser worker holds the same guards. The CLI parses its flags
 * (`--max-cells`, `--max-memory`) in src/cli/guards.ts; memory estimates come from
 * src/experiments/resources.ts.
 */

export const DEFAULT_MAX_CELLS = 100_000;
export const DEFAULT_MAX_MEMORY = 4 * 2 ** 30;

/**
 * The most cells one store can hold, whatever `--max-cells` says: a store indexes the ids of its
 * stored cells in one `Set` (to resume and to store each cell exactly once), and V8 caps a Set at
 * 2²⁴ entries. A larger sweep is refused with this reason, not allowed to die out of memory.
 */
export const MAX_STORE_CELLS = 2 ** 24;

/**
 * Bytes a store's index holds per stored cell: its id (≈ 60 characters, a V8 string of ≈ 100
 * bytes) and its slot in the Set. Counted in a sweep's memory estimate, so that any number of
 * cells a run accepts fits in memory.
 */
export const INDEX_BYTES_PER_CELL = 160;

/** Over a resource limit: exit code 2 (a failed job, never retried) before anything is allocated. */
export class ResourceLimitError extends MetarepError {
  override name = "ResourceLimitError";
}

export interface Limits {
  maxCells: number;
  maxMemory: number;
  /**
   * Who holds the limits, for the advice in messages: the command line (default: "pass
   * --max-memory 8G to run it anyway") or a queue worker ("start the worker with …").
   */
  holder?: "command" | "worker" | "page";
}

export const DEFAULT_LIMITS: Limits = { maxCells: DEFAULT_MAX_CELLS, maxMemory: DEFAULT_MAX_MEMORY };

const UNITS = ["B", "kB", "MB", "GB", "TB", "PB"];

/**
 * Bytes in a readable unit (powers of 1024): "1 B", "512 B", "1.5 kB", "512 MB", "4.0 GB",
 * "320 TB"; beyond petabytes in exponent form ("8.0e+6 PB").
 */
export function formatBytes(b: number): string {
  if (b < 1024) return `${Math.ceil(b)} B`;
  let v = b;
  let u = 0;
  while (v >= 1024 && u < UNITS.length - 1) {
    v /= 1024;
    u++;
  }
  if (v >= 1e5) return `${v.toExponential(1)} ${UNITS[u]}`;
  // Whole megabytes and kilobytes read best; gigabytes and above keep a decimal (4.0 GB).
  const text = u <= 2 && v >= 10 ? v.toFixed(0) : v.toFixed(1);
  return `${text} ${UNITS[u]}`;
}

/** A count in a readable form: 1000000 → 1,000,000; beyond 1e12 in exponent form. */
export function formatCount(n: number): string {
  return n < 1e12 ? n.toLocaleString("en-US") : n.toExponential(1);
}

/** The next power of two above `bytes`, as a `--max-memory` value: 128K, 512M, 8192G. */
function suggestSize(bytes: number): string {
  const [unit, scale] = bytes > 2 ** 30 ? ["G", 2 ** 30] : bytes > 2 ** 20 ? ["M", 2 ** 20] : ["K", 2 ** 10];
  const n = 2 ** Math.max(0, Math.ceil(Math.log2(bytes / scale)));
  return n < 1e6 ? `${n}${unit}` : "SIZE";
}

function raise(limits: Limits, flag: string, value: string, what: string): string {
  if (limits.holder === "worker") return `start a worker with ${flag} ${value} to run ${what}`;
  if (limits.holder === "page") return `run ${what} from the command line with ${flag} ${value}`;
  return `pass ${flag} ${value} to run ${what} anyway`;
}

function limitName(limits: Limits, flag: string): string {
  if (limits.holder === "worker") return `this worker's limit (${flag})`;
  if (limits.holder === "page") return `the page's limit (the CLI's default ${flag})`;
  return "the limit";
}

/** The web page's limits: the CLI's defaults (a page cannot be given flags). */
export const PAGE_LIMITS: Limits = { ...DEFAULT_LIMITS, holder: "page" };

/**
 * Refuse more than `limits.maxCells` cells; and, with `store`, more than one store can hold
 * (MAX_STORE_CELLS), whatever the limit — the advice then is to split the sweep, not a flag.
 */
export function checkCells(what: string, cells: number, limits: Limits, store = false): void {
  if (store && cells > MAX_STORE_CELLS) {
    throw new ResourceLimitError(
      `${what}: ${formatCount(cells)} cells exceed what one store can hold (${formatCount(MAX_STORE_CELLS)}: a store indexes its cells' ids in one Set, which V8 caps at 2²⁴ entries); split the grid into several sweeps of at most ${formatCount(MAX_STORE_CELLS)} cells, each with its own --out.`,
    );
  }
  if (cells > limits.maxCells) {
    const n = Number.isSafeInteger(cells) ? String(cells) : "N";
    throw new ResourceLimitError(
      `${what}: ${formatCount(cells)} cells exceed ${limitName(limits, "--max-cells")} of ${formatCount(limits.maxCells)}; ${raise(limits, "--max-cells", n, "them")}.`,
    );
  }
}

/**
 * The estimated peak of the whole process (see src/experiments/resources.ts): its fixed cost,
 * `concurrent` seeds working at once (on as many worker threads when more than one), `held`
 * results kept until the end (a `run` holds all its seeds' results in its record), the figures
 * drawn once at the end, and `indexed` cells in a store's index.
 */
export function estimatedTotal(
  est: MemoryEstimate | null,
  shape: { concurrent: number; held: number; indexed?: number },
): number {
  const threads = shape.concurrent > 1 ? shape.concurrent * THREAD_BYTES : 0;
  const work =
    est === null
      ? 0
      : shape.concurrent * (est.working + est.result) +
        Math.max(0, shape.held - shape.concurrent) * est.result +
        est.figures;
  return PROCESS_BYTES + threads + work + (shape.indexed ?? 0) * INDEX_BYTES_PER_CELL;
}

/**
 * Bytes the running cells' estimated working memory may take together on a thread pool
 * (`ThreadsExecutor`'s `memoryBudget`): a quarter of `--max-memory`. The rest is for the process,
 * its threads, the results held and the figures, and covers the estimates' error (the memory bench
 * finds them within 0.74–1.42× of the measured peak). At the default 4 GB that is 1 GB of cells at
 * once: two cells that each hold hundreds of megabytes (a fit that keeps all its rows) run one after
 * the other, each beside smaller cells.
 */
export function cellMemoryBudget(limits: Limits): number {
  return limits.maxMemory / 4;
}

/** Refuse an estimated peak (estimatedTotal) above `limits.maxMemory`. */
export function checkMemory(
  what: string,
  est: MemoryEstimate | null,
  shape: { concurrent: number; held: number; indexed?: number },
  limits: Limits,
): void {
  const index = (shape.indexed ?? 0) * INDEX_BYTES_PER_CELL;
  const total = estimatedTotal(est, shape);
  if (total > limits.maxMemory) {
    const parts = [`${formatBytes(PROCESS_BYTES)} for the process`];
    if (shape.concurrent > 1)
      parts.push(`${formatBytes(THREAD_BYTES)} per worker thread × ${shape.concurrent}`);
    if (est !== null) {
      parts.push(
        `${formatBytes(est.working)} working memory per seed × ${shape.concurrent} at once`,
        `${formatBytes(est.result)} of results per seed × ${shape.held}`,
      );
      if (est.figures > 0) parts.push(`${formatBytes(est.figures)} to draw the figures`);
    }
    if (index > 0) parts.push(`${formatBytes(index)} to index ${formatCount(shape.indexed ?? 0)} cells`);
    const size = suggestSize(total);
    throw new ResourceLimitError(
      `${what}: estimated memory ${formatBytes(total)} (${parts.join("; ")}) exceeds ${limitName(limits, "--max-memory")} of ${formatBytes(limits.maxMemory)}; ${raise(limits, "--max-memory", size, "it")}.`,
    );
  }
}

/**
 * The guards of one run of an experiment: `seeds` cells (seed indices, or conditions × seeds), one
 * at a time, every seed's result held until the end (a `run`'s record, a re-run of a record, one
 * queued cell).
 */
export function checkRun(
  what: string,
  experimentId: string,
  params: Record<string, unknown>,
  cells: number,
  limits: Limits,
  shape: { concurrent?: number; held?: number } = {},
): void {
  checkCells(what, cells, limits);
  checkMemory(
    what,
    estimateMemory(experimentId, params),
    { concurrent: shape.concurrent ?? 1, held: shape.held ?? cells },
    limits,
  );
}
