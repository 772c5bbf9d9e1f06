import { ParamError } from "../errors.js";
import { cholesky } from "../linalg/cholesky.js";
import { eighSym } from "../linalg/eigh.js";
import { NotPositiveDefiniteError } from "../linalg/errors.js";
import { exp, log } from "../linalg/libm.js";
import { type Mat, zeros } from "../linalg/mat.js";
import { orthonormalize } from "../linalg/qr.js";
import type { Key } from "../rng/key.js";
import { type Stream, stream } from "../rng/stream.js";
import { cumulativeProbabilities, drawComponent, type Mixture } from "./mixedLinearRegression.js";

/**
 * Light tasks of the mixture revealed only along the directions an algorithm touches ("projected"
 * sampler, exact in distribution). Classification reads a task only through Xŵ_g and y, and the
 * least squares that follows only through the sums ΣXᵀX and ΣXᵀy of the rows assigned to each
 * component. With V (d×q) an orthonormal basis of span{ŵ_g} ∪ span{w_ℓ}, x = Vp + Qg where
 * p = Vᵀx ~ N(0, I_q) and g = Qᵀx ~ N(0, I_{d−q}) are independent (Q: the complement), and
 * y = (Vᵀw_ℓ)·p + sε involves p only. So p and ε are drawn per example (q + 1 normals instead of
 * d + 1), and for each group of N rows the complement's contribution to the sums is drawn
 * afterwards, conditionally on F = [P, y] (N × (q+1)):
 *   FᵀG = L H with FᵀF = LLᵀ, H ~ N(0, 1)^{(q+1)×(d−q)}, and GᵀG = HᵀH + Wishart_{d−q}(N − q − 1)
 * (G = Q_F H + G_⊥ with G_⊥ independent of H; the Wishart by Bartlett's decomposition). Same
 * distribution as forming X, not the same draws.
 */
export interface ProjectedTaskBatch {
  n: number;
  t: number;
  d: number;
  /** Revealed dimension q. */
  q: number;
  /** d×q, orthonormal columns. */
  V: Mat;
  /** d×(d−q), orthonormal columns spanning the complement of col(V). */
  Q: Mat;
  /** (n·t)×q: row i·t + j is p = Vᵀx of example j of task i. */
  P: Float64Array;
  y: Float64Array;
  ids: Int32Array;
}

/** Orthonormal V (d×q) spanning the rows of the given matrices, and its complement Q (d×(d−q)). */
export function revealedBasis(d: number, ...rows: Mat[]): { V: Mat; Q: Mat } {
  const cols = rows.reduce((s, m) => s + m.rows, 0);
  if (cols >= d) {
    const I = zeros(d, d);
    for (let i = 0; i < d; i++) I.data[i * d + i] = 1;
    return { V: I, Q: zeros(d, 0) };
  }
  const A = zeros(d, cols);
  let c = 0;
  for (const m of rows) {
    if (m.cols !== d) throw new ParamError("revealedBasis", "rows", `must have d = ${d} columns`, m.cols);
    for (let r = 0; r < m.rows; r++, c++)
      for (let i = 0; i < d; i++) A.data[i * cols + c] = m.data[r * d + i];
  }
  const V = orthonormalize(A);
  // Complement: eigenvectors of I − VVᵀ with eigenvalue 1 (the first d − q, values descending).
  const Pi = zeros(d, d);
  for (let i = 0; i < d; i++)
    for (let j = 0; j < d; j++) {
      let s = i === j ? 1 : 0;
      for (let a = 0; a < cols; a++) s -= V.data[i * cols + a] * V.data[j * cols + a];
      Pi.data[i * d + j] = s;
    }
  const { vectors } = eighSym(Pi);
  const m = d - cols;
  const Q = zeros(d, m);
  for (let i = 0; i < d; i++) for (let a = 0; a < m; a++) Q.data[i * m + a] = vectors.data[i * d + a];
  return { V, Q };
}

/**
 * n tasks of t examples revealed along V = basis of span(rows of `directions`, components W).
 * Draw order: n uniforms (components), n·t·q normals (p), n·t normals (noise).
 */
export function sampleMixtureProjectedTasks(
  m: Mixture,
  n: number,
  t: number,
  directions: Mat,
  key: Key,
): ProjectedTaskBatch {
  if (!Number.isInteger(n) || n < 1)
    throw new ParamError("sampleMixtureProjectedTasks", "n", "must be an integer ≥ 1", n);
  if (!Number.isInteger(t) || t < 1)
    throw new ParamError("sampleMixtureProjectedTasks", "t", "must be an integer ≥ 1", t);
  const { d, k, W, s } = m;
  const { V, Q } = revealedBasis(d, directions, W);
  const q = V.cols;
  // Components in revealed coordinates: Vᵀw_ℓ.
  const Wv = new Float64Array(k * q);
  for (let l = 0; l < k; l++)
    for (let a = 0; a < q; a++) {
      let acc = 0;
      for (let i = 0; i < d; i++) acc += V.data[i * q + a] * W.data[l * d + i];
      Wv[l * q + a] = acc;
    }
  const st = stream(key);
  const cum = cumulativeProbabilities(m.p);
  const ids = new Int32Array(n);
  for (let i = 0; i < n; i++) ids[i] = drawComponent(cum, st.uniform());
  const P = new Float64Array(n * t * q);
  st.fillNormal(P);
  const y = new Float64Array(n * t);
  st.fillNormal(y);
  for (let i = 0; i < n; i++) {
    const l = ids[i];
    for (let j = 0; j < t; j++) {
      const r = i * t + j;
      let acc = 0;
      for (let a = 0; a < q; a++) acc += P[r * q + a] * Wv[l * q + a];
      y[r] = acc + s[l] * y[r];
    }
  }
  return { n, t, d, q, V, Q, P, y, ids };
}

/** Gamma(shape, 1) by Marsaglia–Tsang (2000); shape < 1 through Gamma(shape + 1)·U^{1/shape}. */
export function sampleGamma(st: Stream, shape: number): number {
  if (!(shape > 0)) throw new ParamError("sampleGamma", "shape", "must be > 0", shape);
  if (shape < 1) return sampleGamma(st, shape + 1) * exp(log(st.uniformOpen0()) / shape);
  const dd = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * dd);
  for (;;) {
    const x = st.normal();
    const v0 = 1 + c * x;
    if (v0 <= 0) continue;
    const v = v0 * v0 * v0;
    const u = st.uniformOpen0();
    if (log(u) < 0.5 * x * x + dd - dd * v + dd * log(v)) return dd * v;
  }
}

/**
 * A Wishart_m(I, ν) matrix (m×m, ν ≥ m) by Bartlett's decomposition: W = TTᵀ with T lower
 * triangular, T_ii² ~ χ²_{ν−i} (i = 0…m−1), T_ij ~ N(0, 1) below the diagonal.
 */
export function sampleWishart(st: Stream, m: number, nu: number): Float64Array {
  if (!(nu >= m)) throw new ParamError("sampleWishart", "nu", `must be ≥ m = ${m}`, nu);
  const T = new Float64Array(m * m);
  for (let i = 0; i < m; i++) {
    T[i * m + i] = Math.sqrt(2 * sampleGamma(st, (nu - i) / 2));
    if (i > 0) st.fillNormal(T, i * m, i);
  }
  const W = new Float64Array(m * m);
  for (let i = 0; i < m; i++)
    for (let j = 0; j <= i; j++) {
      let s = 0;
      for (let a = 0; a <= j; a++) s += T[i * m + a] * T[j * m + a];
      W[i * m + j] = s;
      W[j * m + i] = s;
    }
  return W;
}

/** Sufficient statistics of least squares on a set of rows: G = Σxxᵀ, b = Σxy, yy = Σy², rows. */
export interface NormalEquations {
  G: Mat;
  b: Float64Array;
  yy: number;
  rows: number;
}

/**
 * Per label g < c, the lower triangle of FᵀF for F = [P, y] over the examples [from, to) of the
 * tasks labelled g ((q+1)×(q+1), row-major; the upper triangle left 0) and the row counts: each
 * entry the sum of its rows' products in task and row order, from 0.
 */
export function labelledSums(
  pb: ProjectedTaskBatch,
  labels: Int32Array,
  c: number,
  from: number,
  to: number,
): { FtFs: Float64Array[]; counts: Int32Array } {
  const { n, t, q, P, y } = pb;
  const f = q + 1;
  const FtFs = Array.from({ length: c }, () => new Float64Array(f * f));
  const counts = new Int32Array(c);
  // Entry by entry over a task's rows (the sum in a register, not read and written back per
  // row): each entry still adds the rows in order, so the same bits as row by row.
  for (let i = 0; i < n; i++) {
    const g = labels[i];
    if (!(g >= 0 && g < c))
      throw new ParamError("revealNormalEquations", "labels", `must be in [0, ${c})`, g);
    const FtF = FtFs[g];
    const r0 = i * t + from;
    const r1 = i * t + to;
    for (let a = 0; a < q; a++) {
      const fo = a * f;
      let b = 0;
      for (; b + 1 <= a; b += 2) {
        let s0 = FtF[fo + b];
        let s1 = FtF[fo + b + 1];
        for (let r = r0; r < r1; r++) {
          const pa = P[r * q + a];
          s0 += pa * P[r * q + b];
          s1 += pa * P[r * q + b + 1];
        }
        FtF[fo + b] = s0;
        FtF[fo + b + 1] = s1;
      }
      // b = a (even a: the diagonal is left over from the pairs) with the y·p entry.
      let s1 = FtF[q * f + a];
      if (b === a) {
        let s0 = FtF[fo + a];
        for (let r = r0; r < r1; r++) {
          const pa = P[r * q + a];
          s0 += pa * pa;
          s1 += y[r] * pa;
        }
        FtF[fo + a] = s0;
      } else for (let r = r0; r < r1; r++) s1 += y[r] * P[r * q + a];
      FtF[q * f + a] = s1;
    }
    let yy = FtF[q * f + q];
    for (let r = r0; r < r1; r++) yy += y[r] * y[r];
    FtF[q * f + q] = yy;
    counts[g] += to - from;
  }
  return { FtFs, counts };
}

/**
 * Per label g < c, the sums Σxxᵀ, Σxy, Σy² over the examples [from, to) of the tasks labelled g,
 * with x = Vp + Qg completed by drawing the complement conditionally (see the module comment).
 * Groups of fewer than 4(q + 1) rows (or with a singular F, e.g. noiseless labels) draw their
 * g's row by row instead. Draws from the key's stream, group by group.
 */
export function revealNormalEquations(
  pb: ProjectedTaskBatch,
  labels: Int32Array,
  c: number,
  key: Key,
  from = 0,
  to = pb.t,
): NormalEquations[] {
  const { n, t, d, q, V, Q, P, y } = pb;
  const m = d - q;
  if (labels.length !== n)
    throw new ParamError("revealNormalEquations", "labels", `must have n = ${n} entries`, labels.length);
  const st = stream(key);
  const out: NormalEquations[] = [];
  const f = q + 1;
  const { FtFs, counts } = labelledSums(pb, labels, c, from, to);
  for (let g = 0; g < c; g++) {
    const FtF = FtFs[g];
    const rows = counts[g];
    for (let a = 0; a < f; a++) for (let b = 0; b < a; b++) FtF[b * f + a] = FtF[a * f + b];
    // Complement sums: FG = FᵀG ((q+1)×m) and GG = GᵀG (m×m).
    const FG = new Float64Array(f * m);
    const GG = new Float64Array(m * m);
    let L: Float64Array | null = null;
    if (m > 0 && rows >= 4 * f) {
      try {
        L = cholesky({ rows: f, cols: f, data: FtF }).data;
      } catch (e) {
        if (!(e instanceof NotPositiveDefiniteError)) throw e;
      }
    }
    if (m > 0 && rows > 0 && L === null) {
      const gr = new Float64Array(m);
      for (let i = 0; i < n; i++) {
        if (labels[i] !== g) continue;
        for (let j = from; j < to; j++) {
          const r = i * t + j;
          st.fillNormal(gr);
          for (let a = 0; a < f; a++) {
            const fa = a < q ? P[r * q + a] : y[r];
            for (let b = 0; b < m; b++) FG[a * m + b] += fa * gr[b];
          }
          for (let a = 0; a < m; a++) for (let b = 0; b < m; b++) GG[a * m + b] += gr[a] * gr[b];
        }
      }
    } else if (m > 0 && L !== null) {
      const H = new Float64Array(f * m);
      st.fillNormal(H);
      for (let a = 0; a < f; a++)
        for (let b = 0; b < m; b++) {
          let s = 0;
          for (let e = 0; e <= a; e++) s += L[a * f + e] * H[e * m + b];
          FG[a * m + b] = s;
        }
      const Wm = sampleWishart(st, m, rows - f);
      for (let a = 0; a < m; a++)
        for (let b = 0; b < m; b++) {
          let s = Wm[a * m + b];
          for (let e = 0; e < f; e++) s += H[e * m + a] * H[e * m + b];
          GG[a * m + b] = s;
        }
    }
    out.push(assemble(V, Q, FtF, FG, GG, rows, d, q, m));
  }
  return out;
}

/** Σxxᵀ = V PᵀP Vᵀ + V PᵀG Qᵀ + Q GᵀP Vᵀ + Q GᵀG Qᵀ; Σxy = V Pᵀy + Q Gᵀy. */
function assemble(
  V: Mat,
  Q: Mat,
  FtF: Float64Array,
  FG: Float64Array,
  GG: Float64Array,
  rows: number,
  d: number,
  q: number,
  m: number,
): NormalEquations {
  const f = q + 1;
  // Per coordinate i: x_i = Σ_a V_ia p_a + Σ_b Q_ib g_b. Build the d×(q+m) map [V Q] and the
  // (q+m)×(q+m) second-moment matrix S = [[PᵀP, PᵀG], [GᵀP, GᵀG]], then G = [V Q] S [V Q]ᵀ.
  const r = q + m;
  const S = new Float64Array(r * r);
  const cross = new Float64Array(r); // [Pᵀy; Gᵀy]
  for (let a = 0; a < q; a++) {
    for (let b = 0; b < q; b++) S[a * r + b] = FtF[a * f + b];
    for (let b = 0; b < m; b++) {
      S[a * r + q + b] = FG[a * m + b];
      S[(q + b) * r + a] = FG[a * m + b];
    }
    cross[a] = FtF[a * f + q];
  }
  for (let a = 0; a < m; a++) {
    for (let b = 0; b < m; b++) S[(q + a) * r + q + b] = GG[a * m + b];
    cross[q + a] = FG[q * m + a];
  }
  const B = new Float64Array(d * r);
  for (let i = 0; i < d; i++) {
    for (let a = 0; a < q; a++) B[i * r + a] = V.data[i * q + a];
    for (let a = 0; a < m; a++) B[i * r + q + a] = Q.data[i * m + a];
  }
  const BS = new Float64Array(d * r);
  for (let i = 0; i < d; i++)
    for (let b = 0; b < r; b++) {
      let s = 0;
      for (let a = 0; a < r; a++) s += B[i * r + a] * S[a * r + b];
      BS[i * r + b] = s;
    }
  const G = zeros(d, d);
  const bvec = new Float64Array(d);
  for (let i = 0; i < d; i++) {
    for (let j = 0; j <= i; j++) {
      let s = 0;
      for (let a = 0; a < r; a++) s += BS[i * r + a] * B[j * r + a];
      G.data[i * d + j] = s;
      G.data[j * d + i] = s;
    }
    let s = 0;
    for (let a = 0; a < r; a++) s += B[i * r + a] * cross[a];
    bvec[i] = s;
  }
  return { G, b: bvec, yy: FtF[q * f + q], rows };
}

/**
 * Per task, the Gram matrix K = [xᵢ·xⱼ] (t′×t′, t′ = to − from) of its examples [from, to), with
 * x = Vp + Qg completed in distribution: K = PPᵀ + GGᵀ, where GGᵀ ~ Wishart_{t′}(I, d − q) is drawn
 * by Bartlett's decomposition when d − q ≥ t′, and from G itself (t′·(d − q) normals) otherwise.
 * Enough for least squares on the task's own examples and its predictions on others (all inner
 * products). Returns n·t′² values, task by task, row-major.
 */
export function revealTaskGrams(pb: ProjectedTaskBatch, key: Key, from = 0, to = pb.t): Float64Array {
  const { n, t, d, q, P } = pb;
  const m = d - q;
  const tt = to - from;
  if (!(Number.isInteger(from) && Number.isInteger(to) && from >= 0 && tt >= 1 && to <= t)) {
    throw new ParamError("revealTaskGrams", "range", `must satisfy 0 ≤ from < to ≤ t = ${t}`, [from, to]);
  }
  const st = stream(key);
  const out = new Float64Array(n * tt * tt);
  const G = new Float64Array(tt * m);
  for (let i = 0; i < n; i++) {
    const o = i * tt * tt;
    let W: Float64Array | null = null;
    if (m >= tt) W = sampleWishart(st, tt, m);
    else st.fillNormal(G);
    for (let a = 0; a < tt; a++) {
      const ra = (i * t + from + a) * q;
      for (let b = 0; b <= a; b++) {
        const rb = (i * t + from + b) * q;
        let s = 0;
        for (let c = 0; c < q; c++) s += P[ra + c] * P[rb + c];
        if (W) s += W[a * tt + b];
        else for (let c = 0; c < m; c++) s += G[a * m + c] * G[b * m + c];
        out[o + a * tt + b] = s;
        out[o + b * tt + a] = s;
      }
    }
  }
  return out;
}
