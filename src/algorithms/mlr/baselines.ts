import { ParamError } from "../../errors.js";
import { cholesky, choleskySolve } from "../../linalg/cholesky.js";
import { eighSym } from "../../linalg/eigh.js";
import { NotPositiveDefiniteError } from "../../linalg/errors.js";
import { lstsq } from "../../linalg/lstsq.js";
import { type Mat, matFrom, zeros } from "../../linalg/mat.js";
import { f64, i32, kernels, reserve } from "../../linalg/wasm/kernels.js";
import type { MixtureTaskBatch } from "../../models/mixedLinearRegression.js";

/**
 * Baselines for prediction on a new task (Kong et al., ICML 2020; SPEC §2): per-task least squares
 * on the task's own τ examples (minimum-norm when τ < d; its test error spikes at τ = d, where the
 * square design is worst conditioned), and the oracle that knows the task's true component.
 */

const EPS = 2 ** -52;

/** Householder reflector on x[o .. o+len): returns {tau, beta}; stores v (v₀ = 1 implicit) in x[o+1 ..). */
function reflector(x: Float64Array, o: number, len: number): { tau: number; beta: number } {
  const alpha = x[o];
  let scale = 0;
  for (let i = 1; i < len; i++) scale = Math.max(scale, Math.abs(x[o + i]));
  if (scale === 0) return { tau: 0, beta: alpha };
  let ss = 0;
  for (let i = 1; i < len; i++) ss += (x[o + i] / scale) ** 2;
  const xnorm = scale * Math.sqrt(ss);
  const beta = alpha >= 0 ? -Math.hypot(alpha, xnorm) : Math.hypot(alpha, xnorm);
  const denom = alpha - beta;
  for (let i = 1; i < len; i++) x[o + i] /= denom;
  x[o] = beta;
  return { tau: (beta - alpha) / beta, beta };
}

/** y[yo+j ..) ← H y for H = I − τ v vᵀ, v = (1, x[xo+1 .. xo+len)). */
function applyReflector(
  tau: number,
  x: Float64Array,
  xo: number,
  y: Float64Array,
  yo: number,
  len: number,
): void {
  if (tau === 0) return;
  let s = y[yo];
  for (let i = 1; i < len; i++) s += x[xo + i] * y[yo + i];
  s *= tau;
  y[yo] -= s;
  for (let i = 1; i < len; i++) y[yo + i] -= s * x[xo + i];
}

/**
 * Minimum-norm least squares for one small m×n system (A row-major at a[ao ..), b at b[bo ..)),
 * written into out[oo .. oo+n). Householder QR of A (m ≥ n) or of Aᵀ (m < n: w = Q R⁻ᵀ b), on a
 * caller-provided work buffer of m·n entries; falls back to the SVD (`lstsq`) when R is
 * numerically singular. Returns false when the fallback was used.
 */
export function minNormSolve(
  a: Float64Array,
  ao: number,
  m: number,
  n: number,
  b: Float64Array,
  bo: number,
  out: Float64Array,
  oo: number,
  work: Float64Array,
  rhs: Float64Array,
  tau: Float64Array,
): boolean {
  const tall = m >= n;
  // Work holds the columns of the matrix being factored, each contiguous: columns of A (tall),
  // or rows of A = columns of Aᵀ (wide).
  const rows = tall ? m : n;
  const cols = tall ? n : m;
  if (tall) {
    for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) work[j * m + i] = a[ao + i * n + j];
  } else work.set(a.subarray(ao, ao + m * n));
  let big = 0;
  for (let j = 0; j < cols; j++) {
    const cj = j * rows;
    const h = reflector(work, cj + j, rows - j);
    tau[j] = h.tau;
    big = Math.max(big, Math.abs(h.beta));
    for (let q = j + 1; q < cols; q++) applyReflector(h.tau, work, cj + j, work, q * rows + j, rows - j);
  }
  const cutoff = Math.max(m, n) * EPS * big;
  for (let j = 0; j < cols; j++) {
    if (!(Math.abs(work[j * rows + j]) > cutoff)) {
      const x = lstsq(matFrom(m, n, a.slice(ao, ao + m * n)), b.slice(bo, bo + m)).x;
      out.set(x, oo);
      return false;
    }
  }
  // R[i][q] (i ≤ q < cols) = work[q·rows + i].
  if (tall) {
    for (let i = 0; i < m; i++) rhs[i] = b[bo + i];
    for (let j = 0; j < n; j++) applyReflector(tau[j], work, j * m + j, rhs, j, m - j);
    for (let j = n - 1; j >= 0; j--) {
      let s = rhs[j];
      for (let q = j + 1; q < n; q++) s -= work[q * m + j] * out[oo + q];
      out[oo + j] = s / work[j * m + j];
    }
  } else {
    // Rᵀu = b (forward), then w = H₀ ⋯ H_{m−1} [u; 0].
    for (let i = 0; i < m; i++) {
      let s = b[bo + i];
      for (let q = 0; q < i; q++) s -= work[i * n + q] * rhs[q];
      rhs[i] = s / work[i * n + i];
    }
    for (let i = 0; i < n; i++) out[oo + i] = i < m ? rhs[i] : 0;
    for (let j = m - 1; j >= 0; j--) applyReflector(tau[j], work, j * n + j, out, oo + j, n - j);
  }
  return true;
}

/** Doubles of task rows `perTaskLeastSquares` copies into the kernel memory per call. */
const LSQ_BLOCK = 1 << 17;

/**
 * Per-task least squares on examples [from, to) of each task: n×d weights, the minimum-norm
 * solution when τ = to − from < d. Solved by the kernel `minNormPairs` (two tasks per f64x2 lane
 * pair, each lane in `minNormSolve`'s order: the same bits, in about a fifth of its time; the JS
 * QR was ~40 % of kong-prediction's and kong-sine's CPU time), a block of tasks per call; a task
 * whose R is numerically singular takes `minNormSolve`'s SVD fallback here.
 */
export function perTaskLeastSquares(batch: MixtureTaskBatch, from = 0, to = batch.t): Mat {
  const { n, t, d, X, y } = batch;
  const tau = to - from;
  if (!(Number.isInteger(from) && Number.isInteger(to) && from >= 0 && tau >= 1 && to <= t)) {
    throw new ParamError("perTaskLeastSquares", "tau", `must be an integer in [1, ${t - from}]`, tau);
  }
  const out = zeros(n, d);
  const K = kernels().exports;
  const per = tau * d + tau + d + 1;
  const block = Math.min(n, Math.max(2, Math.floor(LSQ_BLOCK / per)));
  const scratch = K.minNormPairsScratch(tau, d);
  const fallback: number[] = [];
  for (let i0 = 0; i0 < n; i0 += block) {
    const cnt = Math.min(block, n - i0);
    const at = reserve(scratch + 8 * cnt * (tau * d + tau + d) + 4 * cnt + 16);
    const aAt = at + scratch;
    const bAt = aAt + 8 * cnt * tau * d;
    const oAt = bAt + 8 * cnt * tau;
    const sAt = oAt + 8 * cnt * d;
    const mem = f64();
    for (let s = 0; s < cnt; s++) {
      const r0 = (i0 + s) * t + from;
      mem.set(X.subarray(r0 * d, (r0 + tau) * d), aAt / 8 + s * tau * d);
      mem.set(y.subarray(r0, r0 + tau), bAt / 8 + s * tau);
    }
    K.minNormPairs(aAt, bAt, cnt, tau, d, oAt, sAt, at);
    out.data.set(f64().subarray(oAt / 8, oAt / 8 + cnt * d), i0 * d);
    const status = i32();
    for (let s = 0; s < cnt; s++) if (status[sAt / 4 + s] !== 1) fallback.push(i0 + s);
  }
  // After the blocks: the SVD may use the kernel arena.
  for (const i of fallback) {
    const r0 = i * t + from;
    const x = lstsq(matFrom(tau, d, X.slice(r0 * d, (r0 + tau) * d)), y.slice(r0, r0 + tau)).x;
    out.data.set(x, i * d);
  }
  return out;
}

/** The oracle's weights: task i gets the true w of its component (rows of W, k×d). */
export function oracleWeights(ids: Int32Array, W: Mat): Mat {
  const d = W.cols;
  const out = zeros(ids.length, d);
  for (let i = 0; i < ids.length; i++) {
    const l = ids[i];
    if (!(l >= 0 && l < W.rows)) throw new ParamError("oracleWeights", "ids", `must be in [0, ${W.rows})`, l);
    out.data.set(W.data.subarray(l * d, (l + 1) * d), i * d);
  }
  return out;
}

/**
 * Per-task least squares evaluated from Gram matrices alone: for task i with Gram K (t′×t′) of
 * its rows [train (τ); test], the least-squares (minimum-norm) predictions on the test rows are
 * `ŷ = K_te,tr K_tr,tr⁺ y_tr` — they depend on the examples only through inner products. K_tr,tr
 * is solved by Cholesky when τ ≤ d (the examples' dimension) and every pivot is clearly positive,
 * else by an eigendecomposition pseudo-inverse (eigenvalues ≤ τ·ε·λ_max dropped): for τ > d it
 * has rank d. Returns the mean squared test error over tasks and test rows. `grams` holds n·t′²
 * values (see `revealTaskGrams`), `y` the labels of examples [from, from + t′).
 */
export function leastSquaresMseFromGrams(
  grams: Float64Array,
  y: Float64Array,
  n: number,
  t: number,
  from: number,
  tau: number,
  tTest: number,
  d: number,
): number {
  const tt = tau + tTest;
  if (grams.length !== n * tt * tt) {
    throw new ParamError(
      "leastSquaresMseFromGrams",
      "grams",
      `must hold n·(τ + test)² = ${n * tt * tt} values`,
      grams.length,
    );
  }
  const Ktr = zeros(tau, tau);
  const ytr = new Float64Array(tau);
  let s = 0;
  for (let i = 0; i < n; i++) {
    const o = i * tt * tt;
    for (let a = 0; a < tau; a++) {
      ytr[a] = y[i * t + from + a];
      for (let b = 0; b < tau; b++) Ktr.data[a * tau + b] = grams[o + a * tt + b];
    }
    let alpha: Float64Array | null = null;
    if (tau <= d) {
      try {
        const L = cholesky(Ktr);
        let big = 0;
        let small = Number.POSITIVE_INFINITY;
        for (let a = 0; a < tau; a++) {
          big = Math.max(big, Ktr.data[a * tau + a]);
          small = Math.min(small, L.data[a * tau + a] ** 2);
        }
        // A pivot near rounding level means K_tr,tr is numerically singular: use the eigen path.
        if (small > tau * 1e-12 * big) alpha = choleskySolve(L, ytr);
      } catch (e) {
        if (!(e instanceof NotPositiveDefiniteError)) throw e;
      }
    }
    if (alpha === null) {
      const { values, vectors } = eighSym(Ktr);
      const cut = tau * 2 ** -52 * Math.max(0, values[0]);
      alpha = new Float64Array(tau);
      for (let c = 0; c < tau; c++) {
        if (!(values[c] > cut)) continue;
        let proj = 0;
        for (let a = 0; a < tau; a++) proj += vectors.data[a * tau + c] * ytr[a];
        proj /= values[c];
        for (let a = 0; a < tau; a++) alpha[a] += proj * vectors.data[a * tau + c];
      }
    }
    for (let j = 0; j < tTest; j++) {
      let pred = 0;
      for (let a = 0; a < tau; a++) pred += grams[o + (tau + j) * tt + a] * alpha[a];
      s += (y[i * t + from + tau + j] - pred) ** 2;
    }
  }
  return s / (n * tTest);
}
