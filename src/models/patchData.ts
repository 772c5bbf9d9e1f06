import { ParamError } from "../errors.js";
import type { Mat } from "../linalg/mat.js";
import { foldIn, type Key } from "../rng/key.js";
import { Stream } from "../rng/stream.js";

/**
 * Labelled examples made of patches, the input of the two-layer CNN (SPEC §3): example i owns the
 * rows i·P … i·P + P − 1 of `X` ((N·P) × d, row-major, one Float64Array). Used for the synthetic
 * patch model below and for images cut into patches (src/data/cifar10c.ts).
 */
export interface PatchDataset {
  /** Number of examples N. */
  count: number;
  /** Patches per example. */
  P: number;
  /** Patch dimension d. */
  d: number;
  /** Patches: (N·P) × d. */
  X: Mat;
  /** Labels ±1. */
  y: Float64Array;
  /** Task of each example, in [0, tasks). */
  task: Int32Array;
  /** Number of tasks the indices refer to (some may have no examples). */
  tasks: number;
  /** Synthetic data: 1 if the example's feature patch is the shared feature u, 0 if it is v_t. */
  shared?: Uint8Array;
  /**
   * Known zeros of `X` (synthetic data), which the CNN's products skip (src/algorithms/cnn/
   * structured.ts): example i's patch 0 is zero but at column `featureCol[i]`, and its other
   * patches are zero on the columns [0, noiseFrom). Valid while `of` is `X.data` (X unmodified).
   */
  layout?: PatchLayout;
}

/** See `PatchDataset.layout`. */
export interface PatchLayout {
  /** The X data this layout describes. */
  of: Float64Array;
  featureCol: Int32Array;
  noiseFrom: number;
}

/**
 * The multi-task patch data model of SPEC §3 [reconstructed] (Li, Chen, Deng, Kou, Cao, Gu,
 * AISTATS 2025, after the single-task model of Cao et al. 2022 and Kou et al. 2023). Task
 * t ∈ [K] draws y uniform in {±1} and an input of P patches in R^d:
 * - patch 0 is the feature patch: `y·u` (the shared feature) with probability `p`, else `y·v_t`
 *   (the task's own feature);
 * - patches 1 … P − 1 are noise `ξ ~ N(0, σ_p² (I − Σ_f f fᵀ/‖f‖²))`, orthogonal to every feature.
 * The features are orthogonal: `u = ‖u‖ e₀`, `v_t = ‖v‖ e_{1+t}`. Nothing is lost by the choice
 * of axes or of the feature patch's position: the Gaussian initialisation and the noise are
 * rotation-invariant and the network sums over patches with shared filters, so any orthogonal
 * features and any patch order give the same training law. The signal-to-noise ratio is
 * `SNR = ‖u‖ / (σ_p √d)`.
 */
export interface PatchModel {
  /** Number of tasks K ≥ 1. */
  K: number;
  /** Patch dimension d ≥ K + 2 (K + 1 feature axes and at least one noise axis). */
  d: number;
  /** Patches per example P ≥ 2. */
  P: number;
  /** ‖u‖, the shared feature's norm. */
  uNorm: number;
  /** ‖v_t‖, every task-specific feature's norm. */
  vNorm: number;
  /** σ_p, the noise standard deviation per coordinate. */
  sigmaP: number;
  /** Probability that an example's feature patch is the shared feature, in [0, 1]. */
  p: number;
}

/** Check a model's settings; bad values throw a one-line ParamError. */
export function checkPatchModel(m: PatchModel): void {
  const ctx = "patch data";
  if (!Number.isInteger(m.K) || m.K < 1) throw new ParamError(ctx, "K", "must be an integer ≥ 1", m.K);
  if (!Number.isInteger(m.d) || m.d < m.K + 2) {
    throw new ParamError(ctx, "d", `must be an integer ≥ K + 2 (= ${m.K + 2})`, m.d);
  }
  if (!Number.isInteger(m.P) || m.P < 2) throw new ParamError(ctx, "P", "must be an integer ≥ 2", m.P);
  for (const [name, v] of [
    ["uNorm", m.uNorm],
    ["vNorm", m.vNorm],
    ["sigmaP", m.sigmaP],
  ] as const) {
    if (!(v >= 0 && Number.isFinite(v))) throw new ParamError(ctx, name, "must be a finite number ≥ 0", v);
  }
  if (!(m.p >= 0 && m.p <= 1)) throw new ParamError(ctx, "p", "must be in [0, 1]", m.p);
}

/** SNR = ‖u‖ / (σ_p √d) (SPEC §3). */
export function patchSnr(m: PatchModel): number {
  return m.uNorm / (m.sigmaP * Math.sqrt(m.d));
}

/** The coordinate holding feature `f`: 0 for u, 1 + t for v_t. */
export function featureAxis(f: "u" | number): number {
  return f === "u" ? 0 : 1 + f;
}

/** The shared feature u (length d). */
export function sharedFeature(m: PatchModel): Float64Array {
  const u = new Float64Array(m.d);
  u[featureAxis("u")] = m.uNorm;
  return u;
}

/** Task t's feature v_t (length d). */
export function taskFeature(m: PatchModel, t: number): Float64Array {
  if (!Number.isInteger(t) || t < 0 || t >= m.K)
    throw new ParamError("patch data", "t", `must be in [0, ${m.K})`, t);
  const v = new Float64Array(m.d);
  v[featureAxis(t)] = m.vNorm;
  return v;
}

/**
 * `count` examples of task t, from the stream of `foldIn(key, t)` only — so a task's data do not
 * depend on which other tasks are drawn, and the first `c` examples of a draw of `count ≥ c` are
 * a draw of `c`. Per example the stream gives y, then the feature choice, then P − 1 noise patches
 * of d normals each (the feature coordinates of the noise are then zeroed, so changing K changes
 * nothing but those coordinates).
 */
export function samplePatchTask(m: PatchModel, t: number, count: number, key: Key): PatchDataset {
  checkPatchModel(m);
  if (!Number.isInteger(t) || t < 0 || t >= m.K)
    throw new ParamError("patch data", "t", `must be in [0, ${m.K})`, t);
  if (!Number.isInteger(count) || count < 0)
    throw new ParamError("patch data", "count", "must be an integer ≥ 0", count);
  const { d, P, K } = m;
  const X = new Float64Array(count * P * d);
  const y = new Float64Array(count);
  const shared = new Uint8Array(count);
  const featureCol = new Int32Array(count);
  const s = new Stream(foldIn(key, t));
  const uAxis = featureAxis("u");
  const vAxis = featureAxis(t);
  for (let i = 0; i < count; i++) {
    y[i] = s.uniform() < 0.5 ? 1 : -1;
    shared[i] = s.uniform() < m.p ? 1 : 0;
    const base = i * P * d;
    featureCol[i] = shared[i] ? uAxis : vAxis;
    X[base + featureCol[i]] = y[i] * (shared[i] ? m.uNorm : m.vNorm);
    for (let q = 1; q < P; q++) {
      const row = base + q * d;
      s.fillNormal(X, row, d, m.sigmaP);
      for (let a = 0; a <= K; a++) X[row + a] = 0;
    }
  }
  return {
    count,
    P,
    d,
    X: { rows: count * P, cols: d, data: X },
    y,
    task: new Int32Array(count).fill(t),
    tasks: K,
    shared,
    layout: { of: X, featureCol, noiseFrom: K + 1 },
  };
}

/** The examples of several data sets, in order, as one (e.g. the union of the K tasks' data). */
export function concatPatchDatasets(parts: readonly PatchDataset[]): PatchDataset {
  if (parts.length === 0) throw new ParamError("patch data", "parts", "must not be empty", 0);
  const { P, d } = parts[0];
  for (const q of parts) {
    if (q.P !== P || q.d !== d) {
      throw new ParamError(
        "patch data",
        "parts",
        `must all have P = ${P} and d = ${d}`,
        `P = ${q.P}, d = ${q.d}`,
      );
    }
  }
  const count = parts.reduce((a, q) => a + q.count, 0);
  const X = new Float64Array(count * P * d);
  const y = new Float64Array(count);
  const task = new Int32Array(count);
  const withShared = parts.every((q) => q.shared !== undefined);
  const shared = withShared ? new Uint8Array(count) : undefined;
  let at = 0;
  for (const q of parts) {
    X.set(q.X.data, at * P * d);
    y.set(q.y, at);
    task.set(q.task, at);
    if (shared && q.shared) shared.set(q.shared, at);
    at += q.count;
  }
  const tasks = Math.max(...parts.map((q) => q.tasks));
  // The union's known zeros: those every part shares.
  const withLayout = parts.every((q) => q.layout !== undefined && q.layout.of === q.X.data);
  let layout: PatchLayout | undefined;
  if (withLayout) {
    const featureCol = new Int32Array(count);
    let i = 0;
    for (const q of parts) {
      featureCol.set((q.layout as PatchLayout).featureCol, i);
      i += q.count;
    }
    layout = {
      of: X,
      featureCol,
      noiseFrom: Math.min(...parts.map((q) => (q.layout as PatchLayout).noiseFrom)),
    };
  }
  return {
    count,
    P,
    d,
    X: { rows: count * P, cols: d, data: X },
    y,
    task,
    tasks,
    ...(shared ? { shared } : {}),
    ...(layout ? { layout } : {}),
  };
}

/** Tasks 0 … K − 1 with `count` examples each, concatenated task by task. */
export function samplePatchTasks(m: PatchModel, count: number, key: Key): PatchDataset {
  checkPatchModel(m);
  return concatPatchDatasets(Array.from({ length: m.K }, (_, t) => samplePatchTask(m, t, count, key)));
}
