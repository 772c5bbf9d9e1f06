import { ParamError } from "../errors.js";
import { cholesky, choleskySolve } from "../linalg/cholesky.js";
import { cos, sin } from "../linalg/libm.js";
import { type Mat, zeros } from "../linalg/mat.js";
import type { Key } from "../rng/key.js";
import { stream } from "../rng/stream.js";
import {
  checkProbabilities,
  cumulativeProbabilities,
  drawComponent,
  type MixtureTaskBatch,
  type MixtureTruth,
} from "./mixedLinearRegression.js";

/**
 * The sine-wave extension of Kong et al. (ICML 2020; SPEC §2): a mixture of k sine waves
 * `y = sin(2πΩ_ℓ x + φ_ℓ) + s_ℓ ε`, `x ~ U[−1, 1]`, learned as a linear regression on the
 * Chebyshev–Vandermonde features `φ(x) = (T_0(x), …, T_{d−1}(x))` (degree d − 1). The same
 * pipeline runs on the features; since E φφᵀ ≠ I, the moment estimators target
 * `v_ℓ = E[φ(x) y]` and the final least squares the population fit `w_ℓ = (E φφᵀ)⁻¹ v_ℓ`.
 *
 * @example
 *   const sine = makeSineMixture(16, sampleSineComponents(key(0), 4), 0.1);
 *   const tasks = sampleSineTasks(sine, 1000, 8, key(1));
 */
export interface SineMixture {
  /** Number of features (Chebyshev degree d − 1). */
  d: number;
  k: number;
  /** Frequencies Ω_ℓ (cycles per unit x). */
  freq: Float64Array;
  /** Phases φ_ℓ (radians). */
  phase: Float64Array;
  s: Float64Array;
  p: Float64Array;
}

/** Frequencies Ω ~ U[freqMin, freqMax] and phases φ ~ U[0, 2π) (defaults ours: Ω ∈ [0.5, 1]). */
export function sampleSineComponents(
  key: Key,
  k: number,
  freqMin = 0.5,
  freqMax = 1,
): { freq: Float64Array; phase: Float64Array } {
  if (!Number.isInteger(k) || k < 1) throw new ParamError("sineComponents", "k", "must be an integer ≥ 1", k);
  if (!(freqMin > 0 && freqMax >= freqMin && Number.isFinite(freqMax))) {
    throw new ParamError(
      "sineComponents",
      "freqMax",
      `must be finite and ≥ freqMin (= ${freqMin}) > 0`,
      freqMax,
    );
  }
  const st = stream(key);
  const freq = new Float64Array(k);
  const phase = new Float64Array(k);
  for (let l = 0; l < k; l++) {
    freq[l] = freqMin + (freqMax - freqMin) * st.uniform();
    phase[l] = 2 * Math.PI * st.uniform();
  }
  return { freq, phase };
}

/** A validated sine mixture: k < d, s ≥ 0 (a number means the same for all), p sums to 1 (default uniform). */
export function makeSineMixture(
  d: number,
  components: { freq: ArrayLike<number>; phase: ArrayLike<number> },
  s: number | ArrayLike<number>,
  p?: ArrayLike<number>,
): SineMixture {
  const k = components.freq.length;
  if (!Number.isInteger(d) || d < 2) throw new ParamError("sineMixture", "d", "must be an integer ≥ 2", d);
  if (k < 1) throw new ParamError("sineMixture", "k", "must be ≥ 1", k);
  if (k >= d) throw new ParamError("sineMixture", "k", `must be < d (= ${d})`, k);
  if (components.phase.length !== k) {
    throw new ParamError("sineMixture", "phase", `must have k = ${k} entries`, components.phase.length);
  }
  const sv = new Float64Array(k);
  if (typeof s === "number") sv.fill(s);
  else {
    if (s.length !== k) throw new ParamError("sineMixture", "s", `must have k = ${k} entries`, Array.from(s));
    sv.set(Array.from(s));
  }
  if (sv.some((v) => !(v >= 0) || !Number.isFinite(v))) {
    throw new ParamError("sineMixture", "s", "must be finite and ≥ 0", Array.from(sv));
  }
  return {
    d,
    k,
    freq: Float64Array.from(components.freq),
    phase: Float64Array.from(components.phase),
    s: sv,
    p: checkProbabilities("sineMixture", p, k),
  };
}

/** Writes T_0(x), …, T_{d−1}(x) into out[o .. o+d) by the recurrence T_{j+1} = 2x T_j − T_{j−1}. */
export function chebyshevFeatures(x: number, d: number, out: Float64Array, o = 0): void {
  out[o] = 1;
  if (d > 1) out[o + 1] = x;
  for (let j = 2; j < d; j++) out[o + j] = 2 * x * out[o + j - 1] - out[o + j - 2];
}

/** The noiseless value sin(2πΩ_ℓ x + φ_ℓ) of component ℓ. */
export function sineValue(m: SineMixture, l: number, x: number): number {
  return sin(2 * Math.PI * m.freq[l] * x + m.phase[l]);
}

/** A sine batch: also the noiseless values f = sin(2πΩ_ℓ x + φ_ℓ) of its examples (y = f + s·ε). */
export interface SineTaskBatch extends MixtureTaskBatch {
  f: Float64Array;
}

/**
 * `n` tasks of `t` examples of the sine mixture, as features (a `MixtureTaskBatch` with d = m.d; feature
 * column 1 is x itself). Draw order: n uniforms (components), n·t uniforms (x), n·t normals (noise).
 */
export function sampleSineTasks(m: SineMixture, n: number, t: number, key: Key): SineTaskBatch {
  if (!Number.isInteger(n) || n < 1)
    throw new ParamError("sampleSineTasks", "n", "must be an integer ≥ 1", n);
  if (!Number.isInteger(t) || t < 1)
    throw new ParamError("sampleSineTasks", "t", "must be an integer ≥ 1", t);
  const { d } = m;
  const st = stream(key);
  const cum = cumulativeProbabilities(m.p);
  const ids = new Int32Array(n);
  for (let i = 0; i < n; i++) ids[i] = drawComponent(cum, st.uniform());
  const xs = new Float64Array(n * t);
  st.fillUniform(xs);
  const y = new Float64Array(n * t);
  st.fillNormal(y);
  const X = new Float64Array(n * t * d);
  const f = new Float64Array(n * t);
  for (let i = 0; i < n; i++) {
    const l = ids[i];
    for (let j = 0; j < t; j++) {
      const r = i * t + j;
      const x = 2 * xs[r] - 1;
      chebyshevFeatures(x, d, X, r * d);
      f[r] = sineValue(m, l, x);
      y[r] = f[r] + m.s[l] * y[r];
    }
  }
  return { n, t, d, X, y, ids, f };
}

/**
 * Gauss–Legendre nodes and weights on [−1, 1] (Newton on the Legendre recurrence): exact for
 * polynomials of degree ≤ 2·count − 1.
 */
export function gaussLegendre(count: number): { nodes: Float64Array; weights: Float64Array } {
  const nodes = new Float64Array(count);
  const weights = new Float64Array(count);
  for (let i = 0; i < count; i++) {
    let x = cos((Math.PI * (i + 0.75)) / (count + 0.5));
    let dp = 0;
    for (let it = 0; it < 100; it++) {
      let p0 = 1;
      let p1 = x;
      for (let j = 2; j <= count; j++) {
        const p2 = ((2 * j - 1) * x * p1 - (j - 1) * p0) / j;
        p0 = p1;
        p1 = p2;
      }
      // P'_n(x) = n (x P_n − P_{n−1}) / (x² − 1)
      dp = (count * (x * p1 - p0)) / (x * x - 1);
      const dx = p1 / dp;
      x -= dx;
      if (Math.abs(dx) < 1e-16) break;
    }
    nodes[i] = x;
    weights[i] = 2 / ((1 - x * x) * dp * dp);
  }
  return { nodes, weights };
}

/**
 * Population truth of the sine mixture under x ~ U[−1, 1], by Gauss–Legendre quadrature
 * (`nodes`, default 256): `V` rows `v_ℓ = E[φ(x) sin(2πΩ_ℓ x + φ_ℓ)]`, `W` rows
 * `w_ℓ = G⁻¹ v_ℓ` with `G = E φφᵀ`, and ρ² = max_ℓ (s_ℓ² + E sin²).
 */
export function sineMixtureTruth(m: SineMixture, nodes = 256): MixtureTruth {
  const { d, k } = m;
  const { nodes: xs, weights } = gaussLegendre(nodes);
  const G = zeros(d, d);
  const V = zeros(k, d);
  const phi = new Float64Array(d);
  const energy = new Float64Array(k);
  for (let q = 0; q < nodes; q++) {
    const w = weights[q] / 2; // density 1/2 on [−1, 1]
    chebyshevFeatures(xs[q], d, phi);
    for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) G.data[i * d + j] += w * phi[i] * phi[j];
    for (let l = 0; l < k; l++) {
      const f = sineValue(m, l, xs[q]);
      energy[l] += w * f * f;
      for (let i = 0; i < d; i++) V.data[l * d + i] += w * phi[i] * f;
    }
  }
  const L = cholesky(G);
  const W: Mat = zeros(k, d);
  for (let l = 0; l < k; l++) W.data.set(choleskySolve(L, V.data.slice(l * d, (l + 1) * d)), l * d);
  let rho2 = 0;
  for (let l = 0; l < k; l++) rho2 = Math.max(rho2, m.s[l] ** 2 + energy[l]);
  return { d, k, W, V, s: m.s, p: m.p, rho: Math.sqrt(rho2) };
}

/**
 * Test MSE of the true sine functions (the oracle that knows each task's component and its exact
 * function) on examples [from, to) of a sine batch; x is read back from feature column 1.
 */
export function sineOracleMse(
  m: SineMixture,
  batch: MixtureTaskBatch | SineTaskBatch,
  from = 0,
  to = batch.t,
): number {
  const { n, t, d, X, y, ids } = batch;
  // The sampler's own noiseless values when it kept them (the same sin, computed once).
  const f = "f" in batch ? batch.f : null;
  let s = 0;
  for (let i = 0; i < n; i++)
    for (let j = from; j < to; j++) {
      const r = i * t + j;
      const e = y[r] - (f ? f[r] : sineValue(m, ids[i], X[r * d + 1]));
      s += e * e;
    }
  return s / (n * (to - from));
}
