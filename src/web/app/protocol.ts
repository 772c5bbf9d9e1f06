import type { LivePoint, RunResult, SizeName } from "../../experiments/types.js";
import type { RunRecord } from "../../record/types.js";

/**
 * Messages between the page and its computation worker. Everything is plain data (structured
 * clone): a request names an experiment and carries parameters, never code.
 */

/** Ask the worker to run one experiment for seed indices 0..seeds−1 into a record. */
export interface RunRequest {
  type: "run";
  experiment: string;
  size: SizeName;
  /** Parameter values as typed (before defaults): validated again in the worker. */
  overrides: Record<string, unknown>;
  seed: number;
  seeds: number;
  /** The CLI command that reproduces the run (stored in the record). */
  command: string;
  /**
   * Pause flag shared with the page (Int32Array over a SharedArrayBuffer; 1 = paused), checked
   * between iterations. Null where the page is not cross-origin isolated: no pause then.
   */
  control: SharedArrayBuffer | null;
}

export type WorkerMessage =
  | { type: "ready" }
  | { type: "progress"; done: number; total: number }
  /** Points of the seed being computed (`seed` indexes the request's seeds). */
  | { type: "live"; seed: number; points: LivePoint[] }
  | { type: "seed"; seed: number; result: RunResult }
  | { type: "paused" }
  | { type: "resumed" }
  | { type: "warn"; message: string }
  | { type: "done"; record: RunRecord }
  /** Invalid request or a crash: `problems` per field when the parameters were invalid. */
  | { type: "error"; message: string; fields?: (string | null)[]; problems?: string[] };

/** Values of the control word. */
export const RUNNING = 0;
export const PAUSED = 1;
