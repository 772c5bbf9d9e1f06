import { ParamError } from "../errors.js";
import type { Mat } from "../linalg/mat.js";
import { zeros } from "../linalg/mat.js";
import { orthonormalize } from "../linalg/qr.js";
import type { Key } from "../rng/key.js";
import { type NormalSource, type Stream, stream } from "../rng/stream.js";
import {
  DenseSet,
  PinnedDenseSet,
  PopulationSet,
  ProjectedGaussianSet,
  ProjectedWishartSet,
  type TaskSampleSet,
} from "./sampleSets.js";
import type { Covariates } from "./taskFamilies.js";

/**
 * The multi-task linear representation model (SPEC §1; Du et al. 2021, Collins et al. 2022,
 * Tripuraneni et al. 2021).
 *
 * Ground truth `B* ∈ R^{d×k}` with orthonormal columns; task t has head `w*_t ∈ R^k` and data
 * `x ~ N(0, I_d)`, `y = ⟨B* w*_t, x⟩ + σ z`. A task's data set is either finite (`m` samples) or
 * the population (`m = ∞`, represented by `null`), for which the sample covariance is `I` and
 * the cross-moment is `θ*_t = B* w*_t`.
 */
export interface LinearRepModel {
  /** Ambient dimension d. */
  d: number;
  /** Ground-truth representation dimension k. */
  k: number;
  /**
   * Head distribution: `w* = mean + scale · D z`, z ~ N(0, I_k), with
   * "collins": D = diag(1, …, 1, µ) (µ sets task diversity: λ_min of the head covariance is
   * (scale·µ)²); "isotropic": D = I_k/√k (Tripuraneni et al.).
   */
  heads: "collins" | "isotropic";
  mu: number;
  headScale: number;
  /** Mean of every head coordinate (0 for the theory's zero-mean heads). */
  headMean: number;
  /** Label noise σ. */
  sigma: number;
  /** Inner (adaptation) samples per task; null = population (∞). */
  mIn: number | null;
  /** Outer (evaluation) samples per task; null = population (∞). */
  mOut: number | null;
  /**
   * How finite-sample data are drawn: "direct" materialises X (m × d normals per set);
   * "projected" reveals only the projections of the sample Gram matrix the algorithm touches,
   * exact in distribution (see `ProjectedWishartSet`). Both give the same distribution of every result, not the same
   * draws.
   */
  sampler: Sampler;
  /**
   * The inputs' law from a task family (`taskFamilies.ts`, made by `familyCovariates`); absent =
   * x ~ N(0, I_d). Only with the direct sampler and finite m_in, m_out: the projected sampler's
   * exactness and the population sets (Σ̂ = I, ĉ = θ*) assume isotropic x, so both are refused.
   */
  covariates?: Covariates;
  /** Id of the family of `covariates`, for messages. */
  family?: string;
}

export type Sampler = "direct" | "projected";

/** One task: its true head and regression vector, and its inner and outer data sets. */
export interface TaskData {
  wStar: Float64Array;
  /** θ* = B* w*, length d. */
  theta: Float64Array;
  inner: TaskSampleSet;
  outer: TaskSampleSet;
}

/**
 * Refuse a task family where the isotropic formulas would be used silently: the projected
 * sampler and the population (m = ∞) sets. Messages name the parameter and the value.
 */
export function checkFamilySampling(model: LinearRepModel, context = "linear representation model"): void {
  if (model.covariates === undefined) return;
  const fam = `with task family "${model.family ?? "?"}"`;
  if (model.sampler !== "direct") {
    throw new ParamError(
      context,
      "sampler",
      `must be "direct" ${fam} (the projected sampler assumes x ~ N(0, I_d))`,
      model.sampler,
    );
  }
  if (model.mIn === null) {
    throw new ParamError(
      context,
      "m_in",
      `must be finite ${fam} (the population set assumes x ~ N(0, I_d))`,
      null,
    );
  }
  if (model.mOut === null) {
    throw new ParamError(
      context,
      "m_out",
      `must be finite ${fam} (the population set assumes x ~ N(0, I_d))`,
      null,
    );
  }
  if (model.covariates.d !== model.d) {
    throw new ParamError(
      context,
      "family",
      `covariates must have dimension d = ${model.d}`,
      model.covariates.d,
    );
  }
}

function allocSet(model: LinearRepModel, m: number | null, pinned: boolean): TaskSampleSet {
  checkFamilySampling(model);
  if (m === null) return new PopulationSet();
  if (model.sampler !== "direct") return new ProjectedWishartSet(m, model.d);
  return pinned ? new PinnedDenseSet(m, model.d) : new DenseSet(m, model.d);
}

/**
 * Task buffers sized for the model; `shared` reuses another task's head buffers (w*, θ*).
 * `pinned`: direct-sampler sets live in the kernel module's memory (`PinnedDenseSet`, same draws
 * and bits, faster); the caller must `releaseTask` it, in a `finally`, before any block pinned
 * earlier is released.
 */
export function allocTask(model: LinearRepModel, shared?: TaskData, pinned = false): TaskData {
  return {
    wStar: shared?.wStar ?? new Float64Array(model.k),
    theta: shared?.theta ?? new Float64Array(model.d),
    inner: allocSet(model, model.mIn, pinned),
    outer: allocSet(model, model.mOut, pinned),
  };
}

/** An inner (adaptation) set sized for the model, e.g. one more task's of a batch. */
export function allocInnerSet(model: LinearRepModel, pinned = false): TaskSampleSet {
  return allocSet(model, model.mIn, pinned);
}

/** Unpin a task's pinned sets (no-op for the others). */
export function releaseTask(task: TaskData): void {
  // The inner set was pinned first: releasing it releases the outer one too.
  for (const set of [task.inner, task.outer]) {
    if (set instanceof PinnedDenseSet) {
      set.release();
      return;
    }
  }
}

/** Ground truth B*: orthonormal basis of a Gaussian d × k matrix (thin QR). */
export function sampleGroundTruth(key: Key, d: number, k: number): Mat {
  const G = zeros(d, k);
  stream(key).fillNormal(G.data);
  return orthonormalize(G);
}

/** Per-coordinate standard deviation of the heads. */
export function headStd(model: LinearRepModel): Float64Array {
  const sd = new Float64Array(model.k);
  if (model.heads === "collins") {
    sd.fill(model.headScale);
    sd[model.k - 1] = model.headScale * model.mu;
  } else sd.fill(model.headScale / Math.sqrt(model.k));
  return sd;
}

/**
 * Draw one task into `out` from stream `s`: the head (k normals) and θ* = B*w*, then, for
 * dense sets, inner X (m_in·d, from `model.covariates` with a task family), inner noise (m_in),
 * outer X, outer noise. Population and
 * projected sets draw nothing here (projected ones draw as they are used, after `resetProjected`).
 */
export function sampleTask(
  s: Stream,
  model: LinearRepModel,
  Bstar: Mat,
  sd: Float64Array,
  out: TaskData,
): void {
  const { d, k } = model;
  const { wStar, theta } = out;
  s.fillNormal(wStar, 0, k);
  for (let c = 0; c < k; c++) wStar[c] = model.headMean + sd[c] * wStar[c];
  const Bs = Bstar.data;
  for (let i = 0; i < d; i++) {
    let acc = 0;
    for (let c = 0; c < k; c++) acc += Bs[i * k + c] * wStar[c];
    theta[i] = acc;
  }
  for (const set of [out.inner, out.outer])
    if (set instanceof DenseSet || set instanceof PinnedDenseSet) set.draw(s, model.sigma, model.covariates);
}

/** Start fresh projected data sets for a task, drawing from `s` (inner first, then outer). */
export function resetProjected(task: TaskData, s: NormalSource, sigma: number): void {
  if (isProjected(task.inner)) task.inner.reset(s, sigma);
  if (isProjected(task.outer)) task.outer.reset(s, sigma);
}

function isProjected(set: TaskSampleSet): set is ProjectedWishartSet | ProjectedGaussianSet {
  return set instanceof ProjectedWishartSet || set instanceof ProjectedGaussianSet;
}

/** Whether the task has lazily drawn (projected) sets. */
export function hasProjected(task: TaskData): boolean {
  return isProjected(task.inner) || isProjected(task.outer);
}
