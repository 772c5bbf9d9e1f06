import type { z } from "zod";
import type { Key } from "../rng/key.js";

/** Label values that identify a curve: method name, condition values (µ, m_in, …). */
export type LabelValue = string | number | boolean | null;
export type Labels = Record<string, LabelValue>;

/** Where and why a run blew up: a result, not a crash (SPEC §1.2). */
export interface Divergence {
  /** Iteration whose update produced the bad value (1-based: the first update is iteration 1). */
  iteration: number;
  /** Which quantity blew up, e.g. "B" or "w". */
  quantity: string;
  /** The offending value (non-finite values are stored as strings "NaN", "Infinity", "-Infinity"). */
  value: number | string;
}

export type Status = "ok" | "diverged";

/**
 * One curve of a run, e.g. `dist` per iteration for one method under one condition.
 * `x` and `y` have equal length; after a divergence the curve stops at the last finite value.
 */
export interface Curve {
  labels: Labels;
  xName: string;
  yName: string;
  x: number[];
  y: number[];
  /** Named scalars of this curve, e.g. `firstBelow1e-3`, `final`, `rate` (null when undefined). */
  metrics: Record<string, number | null>;
  status: Status;
  diverged?: Divergence;
}

/** What one seed of an experiment produces. */
export interface RunResult {
  status: Status;
  curves: Curve[];
  /** Experiment-level scalars (e.g. theory predictions), with labels in their names. */
  scalars: Record<string, number | null>;
}

export type SizeName = "smoke" | "paper";

/** A point of a curve that is still being computed (see `RunContext.live`). */
export interface LivePoint {
  labels: Labels;
  x: number;
  y: number;
  /** Set when the curve stops here: (x, y) is its last finite point and this is why. */
  diverged?: Divergence;
}

/** Context a run receives from its executor. */
export interface RunContext {
  progress(done: number, total: number): void;
  /**
   * Points of curves as they are computed, for live plots (the web playground). Optional: runs
   * that stream call it with every new point; the finished curves are in the RunResult anyway.
   */
  live?(points: readonly LivePoint[]): void;
  signal?: AbortSignal;
  warn(message: string): void;
  /** The loaded real data set, for experiments that declare `dataset` (see src/cli/datasets.ts). */
  dataset?: unknown;
  /** Which seed index this run is (informational: the key already encodes it). */
  seedIndex?: number;
}

/**
 * A reproduced figure: params schema with defaults, named sizes (partial overrides), and a
 * pure `run(params, key, ctx)` — same inputs, bit-identical output.
 */
export interface Experiment<S extends z.ZodType = z.ZodType> {
  id: string;
  title: string;
  paper: string;
  /** The paper family it belongs to: "collins" | "du" | "kong" | "li" | "internal" (see `experimentFamily`). */
  family?: string;
  description: string;
  params: S;
  sizes: Record<SizeName, Partial<z.input<S>>>;
  /** Default number of seeds per size. */
  seeds: Record<SizeName, number>;
  /** An engineering probe (e.g. for sweep-executor tests and benches): not listed, not reproduced. */
  internal?: boolean;
  /** A real data set the experiment needs (`metarep run <id> --data PATH`), by loader kind. */
  dataset?: { kind: string; description: string };
  /**
   * Figures drawn from its records, by kind; `src/report/experimentFigures.ts` maps each kind to
   * its Vega-Lite builder (e.g. `trace`: dist per iteration; `rate`: fitted rate vs µ).
   */
  figures: readonly FigureKind[];
  run(params: z.output<S>, key: Key, ctx: RunContext): RunResult;
  /** Measured-vs-theory rows of a (multi-seed) record, for summaries and the report. */
  compare?(record: RunRecord): TheoryRow[];
}

/** One measured quantity beside its theoretical value. */
export interface TheoryRow {
  quantity: string;
  measured: number | null;
  theory: number;
  /** How "measured" was obtained, e.g. "median over 10 seeds of the fitted rate". */
  note: string;
}

/** A figure kind registered in `src/report/experimentFigures.ts`. */
export type FigureKind = string;

/** What is stored: enough to reproduce the run from the command line (DESIGN.md `RunRecord`). */
export interface RunRecord {
  schemaVersion: 1;
  metarepVersion: string;
  experiment: string;
  size: SizeName | null;
  /** Resolved parameters, defaults filled. */
  params: Record<string, unknown>;
  /** Root seed. */
  seed: number;
  /** Seed indices covered by this record; `result.seeds[i]` belongs to `seedIndices[i]`. */
  seedIndices: number[];
  cellId: string;
  /** Sweep cells: the grid coordinates and their canonical text (which enters the key). */
  grid?: Record<string, unknown>;
  gridPoint?: string;
  status: Status;
  result: { seeds: RunResult[] };
  /** The real data set the run read, if any: loader kind, path and digest of the bytes read. */
  dataset?: { kind: string; path: string; digest: string };
  /** The command line that reproduces this record. */
  command: string;
  startedAt: string;
  seconds: number;
}
