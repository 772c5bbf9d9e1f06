import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** Options every bench suite takes: name filters and how many timed repeats (best is kept). */
export interface BenchOptions {
  only: string[];
  repeat: number;
}

/** `../shared/reference` beside the checkout (compiled file: dist/bench/*.js), or $METAREP_REFERENCE_DIR. */
export function referenceDir(): string {
  const repo = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
  return process.env.METAREP_REFERENCE_DIR ?? resolve(repo, "..", "shared", "reference");
}
