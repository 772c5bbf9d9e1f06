import { ParamError } from "../errors.js";
import { type Mat, zeros } from "../linalg/mat.js";
import { orthonormalize } from "../linalg/qr.js";
import { dotAt } from "../linalg/vector.js";
import { f64, i32, kernels, reserve } from "../linalg/wasm/kernels.js";
import type { Key } from "../rng/key.js";
import { stream } from "../rng/stream.js";

/**
 * Mixed linear regression with light and heavy tasks (Kong, Somani, Song, Kakade, Oh, ICML 2020;
 * SPEC §2). `k` components `(w_ℓ, s_ℓ)` drawn with probabilities `p_ℓ`; a task draws one component
 * ℓ and has `t` examples `y = ⟨w_ℓ, x⟩ + s_ℓ ε`, `x ~ N(0, I_d)`, `ε ~ N(0, 1)`.
 *
 * @example
 *   const W = sampleComponents(key(0), 32, 4, "orthonormal");
 *   const mix = makeMixture(W, 1);                    // s = 1, uniform p
 *   const light = sampleMixtureTasks(mix, 8192, 8, key(1));
 */
export interface Mixture {
  d: number;
  k: number;
  /** k×d: row ℓ is the regression vector w_ℓ. */
  W: Mat;
  /** Noise standard deviation s_ℓ per component (length k). */
  s: Float64Array;
  /** Mixing probabilities p_ℓ (length k, sum 1). */
  p: Float64Array;
}

/** Component layouts: orthonormal rows (Δ = √2), i.i.d. N(0, 1/d) entries, or orthonormal rows scaled to separation Δ. */
export const COMPONENT_LAYOUTS = ["orthonormal", "gaussian", "separated"] as const;
export type ComponentLayout = (typeof COMPONENT_LAYOUTS)[number];

/** Tolerance on Σp = 1. */
export const PROBABILITY_SUM_TOL = 1e-9;

/**
 * A batch of `n` tasks with `t` examples each, in one buffer (DESIGN: no per-task objects).
 * Example j of task i is the row `X[(i·t + j)·d … +d)` with label `y[i·t + j]`; `ids[i]` is the
 * component the task was drawn from (−1 when unknown, e.g. for real data).
 */
export interface MixtureTaskBatch {
  n: number;
  t: number;
  d: number;
  X: Float64Array;
  y: Float64Array;
  ids: Int32Array;
}

/**
 * What the stage metrics compare against. For the linear mixture `V = W`; for a non-Gaussian
 * feature model (the sine mixture) `V` holds the moment vectors E[φ(x) y] that the moment
 * estimators target and `W` the population least-squares coefficients.
 */
export interface MixtureTruth {
  d: number;
  k: number;
  /** k×d regression vectors (what the final least squares estimates). */
  W: Mat;
  /** k×d moment vectors E[β̂] of one task of each component (what subspace and clustering see). */
  V: Mat;
  s: Float64Array;
  p: Float64Array;
  /** ρ = max_ℓ √(E y² under component ℓ); for the linear mixture ρ² = max(s_ℓ² + ‖w_ℓ‖²). */
  rho: number;
}

function isSeq(v: unknown): v is ArrayLike<number> {
  return Array.isArray(v) || v instanceof Float64Array;
}

/**
 * A validated mixture: `k < d`, every `s_ℓ` finite and ≥ 0 (a number means the same s for all),
 * `p` of length k with entries ≥ 0 summing to 1 (default uniform). Bad input throws `ParamError`
 * naming the parameter, the constraint and the value.
 */
export function makeMixture(W: Mat, s: number | ArrayLike<number>, p?: ArrayLike<number>): Mixture {
  const { rows: k, cols: d } = W;
  if (!(k >= 1)) throw new ParamError("mixture", "k", "must be ≥ 1", k);
  if (k >= d) throw new ParamError("mixture", "k", `must be < d (= ${d})`, k);
  for (let i = 0; i < W.data.length; i++) {
    if (!Number.isFinite(W.data[i])) throw new ParamError("mixture", "W", "must be finite", W.data[i]);
  }
  const sv = new Float64Array(k);
  if (isSeq(s)) {
    if (s.length !== k) throw new ParamError("mixture", "s", `must have k = ${k} entries`, Array.from(s));
    for (let i = 0; i < k; i++) sv[i] = s[i];
  } else sv.fill(s);
  for (let i = 0; i < k; i++) {
    if (!(sv[i] >= 0) || !Number.isFinite(sv[i])) {
      throw new ParamError("mixture", "s", "must be finite and ≥ 0", isSeq(s) ? Array.from(s) : s);
    }
  }
  return { d, k, W, s: sv, p: checkProbabilities("mixture", p, k) };
}

/** `p` validated (length k, entries ≥ 0, Σ = 1 within 1e-9), or uniform when undefined. */
export function checkProbabilities(
  context: string,
  p: ArrayLike<number> | undefined,
  k: number,
): Float64Array {
  if (p === undefined) return new Float64Array(k).fill(1 / k);
  const arr = Array.from(p);
  if (arr.length !== k) throw new ParamError(context, "p", `must have k = ${k} entries`, arr);
  if (arr.some((v) => !(v >= 0) || !Number.isFinite(v)))
    throw new ParamError(context, "p", "must have entries ≥ 0", arr);
  const sum = arr.reduce((a, b) => a + b, 0);
  if (Math.abs(sum - 1) > PROBABILITY_SUM_TOL) {
    throw new ParamError(context, "p", `must sum to 1 (sum is ${sum})`, arr);
  }
  return Float64Array.from(arr);
}

/**
 * Components W (k×d) [paper defaults, SPEC §2]: "orthonormal" rows (QR of a Gaussian d×k matrix;
 * every pair at distance √2), "gaussian" i.i.d. N(0, 1/d) entries (‖w‖ ≈ 1), or "separated":
 * orthonormal rows scaled by Δ/√2 so that every pair is exactly Δ apart.
 */
export function sampleComponents(
  key: Key,
  d: number,
  k: number,
  layout: ComponentLayout,
  delta = Math.SQRT2,
): Mat {
  if (!Number.isInteger(d) || d < 2) throw new ParamError("components", "d", "must be an integer ≥ 2", d);
  if (!Number.isInteger(k) || k < 1) throw new ParamError("components", "k", "must be an integer ≥ 1", k);
  if (k >= d) throw new ParamError("components", "k", `must be < d (= ${d})`, k);
  if (!(delta > 0) || !Number.isFinite(delta))
    throw new ParamError("components", "delta", "must be > 0", delta);
  const s = stream(key);
  if (layout === "gaussian") {
    const W = zeros(k, d);
    s.fillNormal(W.data, 0, k * d, 1 / Math.sqrt(d));
    return W;
  }
  if (layout !== "orthonormal" && layout !== "separated") {
    throw new ParamError("components", "layout", `must be one of ${COMPONENT_LAYOUTS.join(", ")}`, layout);
  }
  const G = zeros(d, k);
  s.fillNormal(G.data);
  const Q = orthonormalize(G); // d×k
  const scale = layout === "separated" ? delta / Math.SQRT2 : 1;
  const W = zeros(k, d);
  for (let i = 0; i < d; i++) for (let l = 0; l < k; l++) W.data[l * d + i] = scale * Q.data[i * k + l];
  return W;
}

/** Separation Δ = min_{i≠j} ‖w_i − w_j‖ of the rows of W (∞ for k = 1). */
export function separation(W: Mat): number {
  const { rows: k, cols: d } = W;
  let best = Number.POSITIVE_INFINITY;
  for (let a = 0; a < k; a++)
    for (let b = a + 1; b < k; b++) {
      let s = 0;
      for (let i = 0; i < d; i++) s += (W.data[a * d + i] - W.data[b * d + i]) ** 2;
      best = Math.min(best, Math.sqrt(s));
    }
  return best;
}

/** The truth of a linear mixture: V = W, ρ² = max_ℓ (s_ℓ² + ‖w_ℓ‖²). */
export function linearMixtureTruth(m: Mixture): MixtureTruth {
  let rho2 = 0;
  for (let l = 0; l < m.k; l++) {
    let w2 = 0;
    for (let i = 0; i < m.d; i++) w2 += m.W.data[l * m.d + i] ** 2;
    rho2 = Math.max(rho2, m.s[l] ** 2 + w2);
  }
  return { d: m.d, k: m.k, W: m.W, V: m.W, s: m.s, p: m.p, rho: Math.sqrt(rho2) };
}

/** Component index of a uniform u in [0, 1) under cumulative probabilities `cum` (last entry ≈ 1). */
export function drawComponent(cum: Float64Array, u: number): number {
  const k = cum.length;
  for (let l = 0; l < k - 1; l++) if (u < cum[l]) return l;
  return k - 1;
}

/** Cumulative sums of p, for `drawComponent`. */
export function cumulativeProbabilities(p: Float64Array): Float64Array {
  const c = new Float64Array(p.length);
  let s = 0;
  for (let i = 0; i < p.length; i++) {
    s += p[i];
    c[i] = s;
  }
  return c;
}

function checkSizes(context: string, n: number, t: number): void {
  if (!Number.isInteger(n) || n < 1) throw new ParamError(context, "n", "must be an integer ≥ 1", n);
  if (!Number.isInteger(t) || t < 1) throw new ParamError(context, "t", "must be an integer ≥ 1", t);
}

/**
 * `n` tasks of `t` examples each from the mixture. Draw order from the key's stream: n uniforms
 * (components), then X (n·t·d normals, task by task, example by example), then the label noise
 * (n·t normals). Same key, same batch.
 */
export function sampleMixtureTasks(m: Mixture, n: number, t: number, key: Key): MixtureTaskBatch {
  checkSizes("sampleMixtureTasks", n, t);
  const { d, W, s } = m;
  const st = stream(key);
  const cum = cumulativeProbabilities(m.p);
  const ids = new Int32Array(n);
  for (let i = 0; i < n; i++) ids[i] = drawComponent(cum, st.uniform());
  // X, then the noise, drawn in the kernel memory (the stream's draws, as two fillNormal calls) and
  // the labels y = ⟨x, w_l⟩ + s_l·noise formed there by `mixtureLabels` (dotAt's order, so the JS
  // bits) before X and y are copied out: the JS pass over X was ~10 % of kong-prediction's time.
  const rows = n * t;
  const xAt = reserve(8 * (rows * d + rows + W.data.length + s.length) + 4 * n);
  const yAt = xAt + 8 * rows * d;
  const wAt = yAt + 8 * rows;
  const sAt = wAt + 8 * W.data.length;
  const idAt = sAt + 8 * s.length;
  st.fillNormalAt(xAt, rows * d);
  st.fillNormalAt(yAt, rows);
  const mem = f64();
  mem.set(W.data, wAt / 8);
  mem.set(s, sAt / 8);
  i32().set(ids, idAt / 4);
  kernels().exports.mixtureLabels(xAt, yAt, n, t, d, wAt, idAt, sAt);
  const out = f64();
  const X = out.slice(xAt / 8, xAt / 8 + rows * d);
  const y = out.slice(yAt / 8, yAt / 8 + rows);
  return { n, t, d, X, y, ids };
}

/** Part moments of a mixture batch (`sampleMixturePartMoments`) and the tasks' components. */
export interface MixturePartMoments {
  n: number;
  parts: number;
  d: number;
  /** n·parts rows of d (row i·parts + q: task i's part q), `partMoments` of each part. */
  moments: Float64Array;
  ids: Int32Array;
}

/**
 * `partMoments` of `parts` consecutive parts of `partSize` examples (from example 0) of every task
 * of `sampleMixtureTasks(m, n, t, key)`: the same draws and the same bits, but X and the labels
 * are drawn into the kernel module's memory and reduced there (`mixtureParts` of
 * linalg/wasm/kernels.as), never copied into JS arrays. For callers that read only the moments
 * (kong-scaling's heavy-task search, where copying X out and the JS passes over it were about half
 * of the cell's time).
 */
export function sampleMixturePartMoments(
  m: Mixture,
  n: number,
  t: number,
  parts: number,
  partSize: number,
  key: Key,
): MixturePartMoments {
  checkSizes("sampleMixturePartMoments", n, t);
  if (!Number.isInteger(parts) || parts < 1)
    throw new ParamError("sampleMixturePartMoments", "parts", "must be an integer ≥ 1", parts);
  if (!Number.isInteger(partSize) || partSize < 1)
    throw new ParamError("sampleMixturePartMoments", "partSize", "must be an integer ≥ 1", partSize);
  if (parts * partSize > t) {
    throw new ParamError(
      "sampleMixturePartMoments",
      "parts",
      `× partSize must fit in the task's t = ${t} examples`,
      parts * partSize,
    );
  }
  const { d, k, W, s } = m;
  const st = stream(key);
  const cum = cumulativeProbabilities(m.p);
  const ids = new Int32Array(n);
  for (let i = 0; i < n; i++) ids[i] = drawComponent(cum, st.uniform());
  const rows = n * t;
  const outLen = n * parts * d;
  // Layout (doubles): X | noise, then labels | moments | W | s | ids (int32).
  const xAt = reserve(8 * (rows * d + rows + outLen + k * d + k) + 4 * n);
  const eAt = xAt + 8 * rows * d;
  const outAt = eAt + 8 * rows;
  const wAt = outAt + 8 * outLen;
  const sAt = wAt + 8 * k * d;
  const idsAt = sAt + 8 * k;
  st.fillNormalAt(xAt, rows * d);
  st.fillNormalAt(eAt, rows);
  const mem = f64();
  mem.set(W.data, wAt / 8);
  mem.set(s, sAt / 8);
  i32().set(ids, idsAt / 4);
  kernels().exports.mixtureParts(xAt, eAt, n, t, d, wAt, sAt, idsAt, 0, parts, partSize, outAt);
  const moments = f64().slice(outAt / 8, outAt / 8 + outLen);
  return { n, parts, d, moments, ids };
}

/** The two half-sample moment estimates of n tasks (rows of B1, B2: β̂ᵢ⁽¹⁾, β̂ᵢ⁽²⁾), and their components. */
export interface HalfMoments {
  n: number;
  d: number;
  /** n×d, the first half's β̂ = (1/m₁) Σ y x over ⌊t/2⌋ examples. */
  B1: Mat;
  /** n×d, the second half's over the remaining ⌈t/2⌉ examples. */
  B2: Mat;
  ids: Int32Array;
}

/**
 * The half-sample moments of n tasks of t examples, drawn exactly in distribution without forming
 * X ("projected" sampler). For a half of m examples from component (w, s), with u = w/‖w‖:
 * g = Xu ~ N(0, I_m) and X(I − uuᵀ) are independent, y = ‖w‖g + sε, so
 * `Xᵀy = u·(gᵀy) + ‖y‖·(I − uuᵀ)z` with z ~ N(0, I_d) independent — 2m + d normals instead of
 * m·d + m. Same distribution as `halfMoments(sampleMixtureTasks(…))`, not the same draws.
 * Draw order: n uniforms (components), then per task (g, ε) of the first half, (g, ε) of the
 * second, z₁, z₂ — n·(2t + 2d) normals in one fill.
 */
export function sampleMixtureHalfMoments(m: Mixture, n: number, t: number, key: Key): HalfMoments {
  checkSizes("sampleMixtureHalfMoments", n, t);
  if (t < 2)
    throw new ParamError(
      "sampleMixtureHalfMoments",
      "t",
      "must be ≥ 2 examples per light task (two halves)",
      t,
    );
  const { d, k, W, s } = m;
  const st = stream(key);
  const cum = cumulativeProbabilities(m.p);
  const ids = new Int32Array(n);
  for (let i = 0; i < n; i++) ids[i] = drawComponent(cum, st.uniform());
  const per = 2 * t + 2 * d;
  const norms = new Float64Array(k);
  const U = new Float64Array(k * d);
  for (let l = 0; l < k; l++) {
    let w2 = 0;
    for (let q = 0; q < d; q++) w2 += W.data[l * d + q] ** 2;
    norms[l] = Math.sqrt(w2);
    for (let q = 0; q < d; q++) U[l * d + q] = norms[l] > 0 ? W.data[l * d + q] / norms[l] : 0;
  }
  const B1 = zeros(n, d);
  const B2 = zeros(n, d);
  // Normals are drawn in chunks of tasks into the kernel module's memory (the same sequence as one
  // fill of n·per normals) and reduced there by `halfMoments` (linalg/wasm/kernels.as), which
  // does per task what the loop of `halfMomentsOf` below does, in its order: the same bits, without
  // copying the normals out (that copy and the JS loop were ~2/3 of this sampler's time).
  const chunk = Math.max(1, Math.floor(32768 / per));
  const zAt = reserve(8 * (chunk * per + 2 * chunk * d + k * d + 2 * k) + 4 * chunk);
  const b1At = zAt + 8 * chunk * per;
  const b2At = b1At + 8 * chunk * d;
  const uAt = b2At + 8 * chunk * d;
  const normsAt = uAt + 8 * k * d;
  const sAt = normsAt + 8 * k;
  const idsAt = sAt + 8 * k;
  let mem = f64();
  mem.set(U, uAt / 8);
  mem.set(norms, normsAt / 8);
  mem.set(s, sAt / 8);
  const { exports } = kernels();
  for (let i0 = 0; i0 < n; i0 += chunk) {
    const count = Math.min(chunk, n - i0);
    st.fillNormalAt(zAt, count * per);
    i32().set(ids.subarray(i0, i0 + count), idsAt / 4);
    exports.halfMoments(zAt, count, t, d, idsAt, normsAt, sAt, uAt, b1At, b2At);
    mem = f64();
    B1.data.set(mem.subarray(b1At / 8, b1At / 8 + count * d), i0 * d);
    B2.data.set(mem.subarray(b2At / 8, b2At / 8 + count * d), i0 * d);
  }
  return { n, d, B1, B2, ids };
}

/**
 * Task i's two half-sample moment rows from its `2t + 2d` normals at `z[base …]` (layout of
 * `sampleMixtureHalfMoments`), in plain JS: the reference the `halfMoments` kernel is tested
 * against (the loop this sampler ran before it moved into the kernel module).
 */
export function halfMomentsOf(
  z: Float64Array,
  base: number,
  t: number,
  d: number,
  u: Float64Array,
  uo: number,
  omega: number,
  sl: number,
  B1: Float64Array,
  B2: Float64Array,
  bo: number,
): void {
  const m1 = Math.floor(t / 2);
  for (let h = 0; h < 2; h++) {
    const B = h === 0 ? B1 : B2;
    const start = h === 0 ? 0 : m1;
    const len = h === 0 ? m1 : t - m1;
    // g at base + 2·start, ε right after it; z after all 2t scalars.
    const go = base + 2 * start;
    const eo = go + len;
    let a = 0;
    let r2 = 0;
    for (let j = 0; j < len; j++) {
      const y = omega * z[go + j] + sl * z[eo + j];
      a += z[go + j] * y;
      r2 += y * y;
    }
    const zo = base + 2 * t + h * d;
    const r = Math.sqrt(r2);
    const c = omega > 0 ? dotAt(u, uo, z, zo, d) : 0;
    const coefU = (a - r * c) / len;
    const coefZ = r / len;
    for (let q = 0; q < d; q++) B[bo + q] = coefU * u[uo + q] + coefZ * z[zo + q];
  }
}
