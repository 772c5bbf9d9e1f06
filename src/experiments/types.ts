import type { z } from "zod";
import type { Key } from "../rng/key.js";
import type { Claim } from "./claims.js";
import type { FigureSpec, TableSpec } from "./figureSpec.js";

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

/** The paper (or line of work) an experiment belongs to: the page's menus group by it. */
export type ExperimentFamily = "collins" | "du" | "kong" | "li" | "internal" | (string & {});

/**
 * A point of an experiment's own condition axes, e.g. `{mu: 0.5}` or `{K: 10, n: 30, snr: 0.3}`:
 * its labels are added to every curve (and live point) the condition produces, and its canonical
 * text (`conditionText`) enters the condition's key and its cell id.
 */
export type Condition = Labels;

/** One condition's result for one seed (what one cell computes). */
export interface ConditionPart {
  condition: Condition;
  result: RunResult;
}

/**
 * A reproduced figure, declared (DESIGN.md `Experiment`): a params schema with defaults, named
 * sizes (partial overrides), its condition axes (`conditions`), and a pure `runCondition(params,
 * condition, key, ctx)` — same inputs, bit-identical output. One shared runner
 * (`experiments/runner.ts`) expands conditions × seeds, derives keys, adds labels, reports
 * progress and status, and joins a seed's conditions with `combine`.
 */
export interface Experiment<S extends z.ZodType = z.ZodType> {
  id: string;
  title: string;
  paper: string;
  /** Which paper family it belongs to (menus, the report's sections). */
  family: ExperimentFamily;
  description: string;
  /**
   * What to look for in its figures: the paper's claim as it shows on the page, and how a result
   * that contradicts it would look (printed by `metarep describe`, docs/experiments.md).
   */
  lookFor?: string;
  params: S;
  sizes: Record<SizeName, Partial<z.input<S>>>;
  /** Default number of seeds per size. */
  seeds: Record<SizeName, number>;
  /** An engineering probe (e.g. for sweep-executor tests and benches): not listed, not reproduced. */
  internal?: boolean;
  /**
   * Why a plain `metarep reproduce` (no ids) leaves it out — e.g. its paper size takes CPU-hours.
   * It still runs by name (`run <id>`, `reproduce <id>`); absent: reproduced with the rest.
   */
  optIn?: string;
  /** A real data set the experiment needs (`metarep run <id> --data PATH`), by loader kind. */
  dataset?: { kind: string; description: string };
  /**
   * Figures drawn from its records, by kind; `src/report/experimentFigures.ts` maps each kind to
   * its Vega-Lite builder (e.g. `trace`: dist per iteration; `rate`: fitted rate vs µ).
   */
  figures: readonly FigureSpec[];
  /**
   * Tables of its own beside the summary (`src/report/summaryTable.ts`), e.g. a k × k confusion
   * matrix of cluster assignments; the curves they draw leave the summary table.
   */
  tables?: readonly TableSpec[];
  /**
   * The condition points of these parameters, in display order (default: one empty condition).
   * Each becomes its own cell in `run`, `reproduce` and `sweep`, so conditions spread over
   * threads and machines.
   */
  conditions?(params: z.output<S>): Condition[];
  /**
   * Common random numbers: when true every condition of a seed receives the seed's key unchanged
   * and `runCondition` derives its streams from the condition's values itself (e.g. nested source
   * tasks across T, or the same tasks under every SNR), so differences between conditions are not
   * sampling noise. When false (default), the key is the seed's key folded with the condition's
   * text. Either way a condition's numbers do not depend on which other conditions run.
   */
  commonRandomNumbers?: boolean;
  /**
   * The estimated cost of one condition (one cell), from the parameters, in core-milliseconds (a
   * work count — multiply-adds, rows, steps — times a per-experiment constant measured once on a
   * two-core machine; see `experiments/cost.ts`). One unit for every experiment, so `reproduce`
   * can order all its experiments' cells together: costliest first (longest processing time),
   * so a long cell does not start last and leave the other workers idle. Order only; no number
   * depends on it. Default: 1 (a short cell).
   */
  cost?(params: z.output<S>, condition: Condition): number;
  /** One condition for one seed: curves (labelled without the condition; the runner adds it). */
  runCondition(params: z.output<S>, condition: Condition, key: Key, ctx: RunContext): RunResult;
  /**
   * Join one seed's condition results (in declared order) into its result, e.g. points along a
   * condition axis into curves with fitted slopes. Default (`concatParts`): the curves in order,
   * the scalars together, diverged if any part diverged.
   */
  combine?(params: z.output<S>, parts: readonly ConditionPart[]): RunResult;
  /**
   * The claims of its paper that it tests (DESIGN.md `Claim`): each with its statement, where it
   * stands in the paper, what is measured and the test. `run`, `reproduce`, the report, the page
   * and `reproduce --check` judge them over seeds (src/experiments/claims.ts).
   */
  claims?: readonly Claim[];
}
