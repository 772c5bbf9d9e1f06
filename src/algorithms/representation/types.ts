import type { z } from "zod";
import type { Mat } from "../../linalg/mat.js";
import type { MultiTaskData } from "../../models/multiTaskData.js";
import type { Key } from "../../rng/key.js";

/** The built-in estimators of the representation B̂ (SPEC §1.3), by id (plug-ins add more). */
export const ESTIMATOR_IDS = [
  "mom",
  "altmin",
  "altmin-gd",
  "bm",
  "bm-mom",
  "anil",
  "fo-anil",
  "oracle",
  "ols",
] as const;
export type EstimatorId = (typeof ESTIMATOR_IDS)[number];

/**
 * Settings of the built-in estimators: each reads the fields its registry entry's `options` schema
 * declares and ignores the others (so one experiment's parameters can drive every estimator).
 */
export interface EstimatorOptions {
  /** AltMin / AltMinGD rounds (default 50); Burer–Monteiro L-BFGS iterations (default 500). */
  iters?: number;
  /**
   * AltMin / AltMinGD: stop early when dist(B_t, B_{t−1}) ≤ tol (default 0: run every round).
   * Burer–Monteiro: stop when ‖∇f‖ ≤ tol·‖∇f₀‖ (default 1e-6).
   */
  tol?: number;
  /** AltMinGD step size η on the average loss (default 0.5, as the NumPy reference). */
  eta?: number;
  /** MoM: relative Ritz-residual tolerance of the top-k eigenvectors (default 1e-6). */
  eigTol?: number;
  /**
   * Burer–Monteiro: weight λ of the balance term (λ/8)‖BᵀB − VᵀV‖²_F (default 1/T; 1 is SPEC's
   * literal weight — same minimiser, slower L-BFGS; see `burerMonteiroEstimate`).
   */
  balance?: number;
  /**
   * Initialisation of the iterative estimators: "mom" or "random" (a random orthonormal basis).
   * Default "mom" for AltMin / AltMinGD (Thekumparampil et al.), "random" for Burer–Monteiro (as
   * Tripuraneni et al. start it; its MoM-started variant is the estimator "bm-mom").
   */
  init?: "mom" | "random";
  /** ANIL / FO-ANIL: inner step α (default 0.5), outer step β (default 0.5). */
  alpha?: number;
  beta?: number;
  /** ANIL / FO-ANIL: passes over the source tasks (default 100). */
  epochs?: number;
  /** ANIL / FO-ANIL: tasks per outer step (default T: full-batch meta-gradient descent). */
  batch?: number;
  /**
   * ANIL / FO-ANIL: how a task's rows feed the inner and outer steps: "halves" (default; first
   * ⌈n/2⌉ rows inner, the rest outer, independent as in the theory) or "shared" (all rows both).
   */
  split?: "halves" | "shared";
  /**
   * Bouniot et al.'s head penalty (ECCV 2022) `λ1·κ(W̃)² + λ2·‖W̃W̃ᵀ‖_F`, W̃ = Ŵ/√(rows), on the learned heads
   * (Burer–Monteiro: V, T × k; AltMinGD: the least-squares heads; ANIL / FO-ANIL: the adapted heads
   * W' of each outer batch). Both default 0 (no penalty, the unpenalised code path). See
   * `algorithms/headPenalty.ts`.
   */
  lambdaCond?: number;
  lambdaNorm?: number;
}

/** What an estimator may use besides the data. */
export interface EstimatorContext {
  /** Randomness (random initialisations, task order); estimators without randomness ignore it. */
  key: Key;
  /** The ground truth, for the oracle only (generated data). */
  Bstar?: Mat;
  /**
   * A starting basis (d × k) that replaces `init` for the iterative estimators, e.g. a MoM
   * estimate already computed on the same data (experiments reuse it: same result, one
   * eigen-solve instead of several). An input computed from the data, not an option.
   */
  initBasis?: Mat;
  signal?: AbortSignal;
  /**
   * Traces: called after each iteration of an iterative estimator (Burer–Monteiro: each L-BFGS
   * step, with its B, not orthonormalised; AltMinGD: each round, with the orthonormal B; ANIL /
   * FO-ANIL: each outer step, with its B) — e.g. to record dist(B, B*) over iterations. The matrix
   * is read only and reused: copy it to keep it.
   */
  onIteration?(B: Mat, iteration: number): void;
}

/** Where an iterative estimator blew up (SPEC: divergence is a result, not a crash). */
export interface EstimatorDivergence {
  iteration: number;
  quantity: string;
  value: number;
}

/** A learned representation. */
export interface RepresentationFit {
  /** The estimator's id (a built-in's `EstimatorId` or a plug-in's). */
  method: string;
  /** Orthonormal basis of col(B̂), d × k (d × d identity for "ols": no representation). */
  B: Mat;
  /** Iterations (rounds, L-BFGS steps, outer steps, operator applications); 0 for closed forms. */
  iterations: number;
  /** Whether the stopping rule was met; null when the estimator has none (fixed rounds). */
  converged: boolean | null;
  status: "ok" | "diverged";
  diverged?: EstimatorDivergence;
  /** Estimator-specific numbers (final objective, eigenvalues, …). */
  info: Record<string, number | null>;
}

/** One estimator of B̂ from T source tasks (SPEC §1.3). */
export interface RepresentationEstimator {
  id: string;
  name: string;
  description: string;
  /** Whether it needs the ground truth (`ctx.Bstar`): only the oracle. */
  needsTruth: boolean;
  /** Whether it learns a k-dimensional representation (false for "ols"). */
  learns: boolean;
  /** Colour of the estimator in every figure. */
  color: string;
  /** Position in figures, tables and menus (ascending). */
  order: number;
  /** The paper whose estimator it is, by family id (as `Experiment.family`); "baseline" for references. */
  family: string;
  /**
   * Its own options (zod): what `estimator_options.<id>` may set. Every field has a default (or
   * is optional), so `{}` parses. Experiments pass the parsed object as `options`.
   */
  options: z.ZodType<Record<string, unknown>>;
  fit(data: MultiTaskData, k: number, options: EstimatorOptions, ctx: EstimatorContext): RepresentationFit;
}
