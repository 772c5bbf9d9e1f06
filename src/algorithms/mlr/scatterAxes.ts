import { ParamError } from "../../errors.js";
import { eighSym } from "../../linalg/eigh.js";
import { log } from "../../linalg/libm.js";
import { type Mat, matFrom, zeros } from "../../linalg/mat.js";

/**
 * Two axes on which to draw points of R^k (k ≥ 2), e.g. the heavy tasks' projected estimates
 * Ûᵀβ̂ of Kong et al. (ICML 2020), deterministically: a plane, then two orthonormal axes in it.
 *
 * Planes: `principalPlane` — the top-2 principal directions of the points (most variance);
 * `separatingPlane` — the plane in which given groups' means are most evenly spread
 * (maximises Σ_{g<h} n_g n_h log ‖Pᵀ(m_g − m_h)‖², so no pair of groups collapses onto one spot).
 * The principal plane alone can mislead: for k = 4 orthonormal components with equal weights the
 * means form a regular simplex whose covariance is isotropic, so "the" top-2 plane is any plane
 * of the simplex's span, picked by the noise, and two components may land on top of each other.
 *
 * Axes (`orientAxes`): inside the plane, axis 1 is the direction of most variance of the
 * projected points and axis 2 is orthogonal to it; each points so that the third central moment
 * of the coordinates along it is ≥ 0 (a lone group or a long tail lies on the positive side;
 * exactly 0 keeps the sign the eigendecomposition gives).
 */

/** Two orthonormal axes of R^k and how much of the points' centred variance their plane holds. */
export interface ScatterAxes {
  /** Unit vectors e1, e2 of R^k. */
  axes: [Float64Array, Float64Array];
  /** Fraction of the points' centred variance in span(e1, e2) (0 for coincident points). */
  planeVariance: number;
}

function checkPoints(A: Mat, what: string): void {
  if (A.cols < 2) throw new ParamError(what, "A", "must have ≥ 2 columns (a 2-D view needs k ≥ 2)", A.cols);
  if (A.rows < 1) throw new ParamError(what, "A", "must have ≥ 1 row", A.rows);
}

/** Centred covariance (k×k) of the rows of A (n×k), divided by n. */
function covariance(A: Mat): Float64Array {
  const { rows: n, cols: k, data } = A;
  const mean = new Float64Array(k);
  for (let i = 0; i < n; i++) for (let a = 0; a < k; a++) mean[a] += data[i * k + a] / n;
  const C = new Float64Array(k * k);
  const x = new Float64Array(k);
  for (let i = 0; i < n; i++) {
    for (let a = 0; a < k; a++) x[a] = data[i * k + a] - mean[a];
    for (let a = 0; a < k; a++) for (let b = 0; b < k; b++) C[a * k + b] += (x[a] * x[b]) / n;
  }
  return C;
}

/** The top-2 eigenvectors of a symmetric k×k matrix, as the columns of a k×2 matrix. */
function top2(M: Float64Array, k: number): Mat {
  const { vectors } = eighSym(matFrom(k, k, M));
  const P = zeros(k, 2);
  for (let a = 0; a < k; a++) {
    P.data[a * 2] = vectors.data[a * k];
    P.data[a * 2 + 1] = vectors.data[a * k + 1];
  }
  return P;
}

/** The plane of the top-2 principal directions of the rows of A (n×k): k×2, orthonormal columns. */
export function principalPlane(A: Mat): Mat {
  checkPoints(A, "principalPlane");
  return top2(covariance(A), A.cols);
}

/** Groups the separating plane looks at: the largest ones (single linkage may find many tiny clusters). */
export const SEPARATING_MAX_GROUPS = 8;

/**
 * The plane spreading the means of groups of rows of A most evenly (see the module comment):
 * k×2, orthonormal columns. The criterion f(P) = Σ w_gh log ‖Pᵀd_gh‖² / Σ w_gh (d_gh = m_g − m_h,
 * w_gh = n_g n_h, over the `SEPARATING_MAX_GROUPS` largest groups) is not concave, so the ascent
 * starts twice: from the principal plane (directions no pair constrains, e.g. with two groups,
 * keep the most variance) and from the best of the planes span(d_gh, d_g'h') of two differences
 * (for a regular simplex, two opposite edges: its best view); the higher result wins (the
 * principal start on ties). Ascent: gradient 2SP with S = Σ w d dᵀ/(‖Pᵀd‖² Σ w), step along
 * (I − PPᵀ)·2SP with re-orthonormalisation, halved until f rises enough (Armijo); it stops when
 * the gradient vanishes, no step helps, or after `maxIterations`. Labels outside 0..c−1 are
 * ignored; fewer than two non-empty groups (or coincident means) give the principal plane.
 */
export function separatingPlane(A: Mat, labels: Int32Array, c: number, maxIterations = 200): Mat {
  checkPoints(A, "separatingPlane");
  const { rows: n, cols: k, data } = A;
  if (labels.length !== n) {
    throw new ParamError("separatingPlane", "labels", `must have n = ${n} entries`, labels.length);
  }
  const principal = top2(covariance(A), k);
  const size = new Float64Array(c);
  const mean = new Float64Array(c * k);
  for (let i = 0; i < n; i++) {
    const g = labels[i];
    if (!(g >= 0 && g < c)) continue;
    size[g]++;
    for (let a = 0; a < k; a++) mean[g * k + a] += data[i * k + a];
  }
  const groups: number[] = [];
  for (let g = 0; g < c; g++) if (size[g] > 0) groups.push(g);
  // Largest first, then by index (a stable sort keeps index order among equal sizes).
  groups.sort((g, h) => size[h] - size[g]);
  groups.length = Math.min(groups.length, SEPARATING_MAX_GROUPS);
  for (const g of groups) for (let a = 0; a < k; a++) mean[g * k + a] /= size[g];
  const diffs: Float64Array[] = [];
  const weights: number[] = [];
  let wsum = 0;
  for (let x = 0; x < groups.length; x++)
    for (let y = x + 1; y < groups.length; y++) {
      const g = groups[x];
      const h = groups[y];
      const d = new Float64Array(k);
      let s = 0;
      for (let a = 0; a < k; a++) {
        d[a] = mean[g * k + a] - mean[h * k + a];
        s += d[a] * d[a];
      }
      if (s === 0) continue;
      diffs.push(d);
      weights.push(size[g] * size[h]);
      wsum += size[g] * size[h];
    }
  if (diffs.length === 0) return principal;
  // A floor keeps log and division finite for a pair orthogonal to the plane.
  const floor = 1e-300;
  const criterion = (Q: Mat) => {
    let f = 0;
    diffs.forEach((d, p) => {
      let u = 0;
      let v = 0;
      for (let a = 0; a < k; a++) {
        u += Q.data[a * 2] * d[a];
        v += Q.data[a * 2 + 1] * d[a];
      }
      f += weights[p] * log(Math.max(u * u + v * v, floor));
    });
    return f / wsum;
  };
  const ascend = (start: Mat): { P: Mat; f: number } => {
    let P = start;
    let f = criterion(P);
    const SP = new Float64Array(k * 2);
    const G = new Float64Array(k * 2);
    for (let it = 0; it < maxIterations; it++) {
      // SP = S·P, then G = (I − PPᵀ)·2SP.
      SP.fill(0);
      diffs.forEach((d, p) => {
        let u = 0;
        let v = 0;
        for (let a = 0; a < k; a++) {
          u += P.data[a * 2] * d[a];
          v += P.data[a * 2 + 1] * d[a];
        }
        const w = weights[p] / (Math.max(u * u + v * v, floor) * wsum);
        for (let a = 0; a < k; a++) {
          SP[a * 2] += w * d[a] * u;
          SP[a * 2 + 1] += w * d[a] * v;
        }
      });
      let g2 = 0;
      for (let j = 0; j < 2; j++) {
        let p0 = 0;
        let p1 = 0;
        for (let a = 0; a < k; a++) {
          p0 += P.data[a * 2] * SP[a * 2 + j];
          p1 += P.data[a * 2 + 1] * SP[a * 2 + j];
        }
        for (let a = 0; a < k; a++) {
          G[a * 2 + j] = 2 * (SP[a * 2 + j] - P.data[a * 2] * p0 - P.data[a * 2 + 1] * p1);
          g2 += G[a * 2 + j] ** 2;
        }
      }
      if (!(g2 > 1e-18)) break;
      let step = 1;
      let moved = false;
      for (let h = 0; h < 40; h++, step /= 2) {
        const Q = orthonormalPair(P, G, step);
        if (Q === null) continue;
        const fq = criterion(Q);
        if (fq >= f + 1e-4 * step * g2) {
          P = Q;
          f = fq;
          moved = true;
          break;
        }
      }
      if (!moved) break;
    }
    return { P, f };
  };
  let best: Mat | null = null;
  let bestF = Number.NEGATIVE_INFINITY;
  for (let x = 0; x < diffs.length; x++)
    for (let y = x + 1; y < diffs.length; y++) {
      const Q = orthonormalPair(matFrom(k, 2, interleave(diffs[x], diffs[y])), null, 0);
      if (Q === null) continue;
      const f = criterion(Q);
      if (f > bestF) {
        best = Q;
        bestF = f;
      }
    }
  const fromPrincipal = ascend(principal);
  if (best === null) return fromPrincipal.P;
  const fromPair = ascend(best);
  return fromPair.f > fromPrincipal.f ? fromPair.P : fromPrincipal.P;
}

/** The k×2 row-major data of the columns u, v. */
function interleave(u: Float64Array, v: Float64Array): Float64Array {
  const out = new Float64Array(2 * u.length);
  for (let a = 0; a < u.length; a++) {
    out[a * 2] = u[a];
    out[a * 2 + 1] = v[a];
  }
  return out;
}

/** Gram–Schmidt of the two columns of P + step·G (k×2); null when they are (nearly) dependent. */
function orthonormalPair(P: Mat, G: Float64Array | null, step: number): Mat | null {
  const k = P.rows;
  const Q = zeros(k, 2);
  for (let a = 0; a < 2 * k; a++) Q.data[a] = P.data[a] + (G === null ? 0 : step * G[a]);
  let n0 = 0;
  for (let a = 0; a < k; a++) n0 += Q.data[a * 2] ** 2;
  n0 = Math.sqrt(n0);
  if (!(n0 > 0)) return null;
  let dot = 0;
  let before = 0;
  for (let a = 0; a < k; a++) {
    Q.data[a * 2] /= n0;
    dot += Q.data[a * 2] * Q.data[a * 2 + 1];
    before += Q.data[a * 2 + 1] ** 2;
  }
  let n1 = 0;
  for (let a = 0; a < k; a++) {
    Q.data[a * 2 + 1] -= dot * Q.data[a * 2];
    n1 += Q.data[a * 2 + 1] ** 2;
  }
  if (!(n1 > 1e-12 * before)) return null;
  n1 = Math.sqrt(n1);
  for (let a = 0; a < k; a++) Q.data[a * 2 + 1] /= n1;
  return Q;
}

/** Axes in the plane of P (k×2, orthonormal columns) for the rows of A (see the module comment). */
export function orientAxes(A: Mat, P: Mat): ScatterAxes {
  checkPoints(A, "orientAxes");
  const { rows: n, cols: k, data } = A;
  if (P.rows !== k || P.cols !== 2) {
    throw new ParamError("orientAxes", "P", `must be ${k}×2`, `${P.rows}×${P.cols}`);
  }
  const C = covariance(A);
  // 2×2 covariance of the points in the plane: PᵀCP.
  const C2 = new Float64Array(4);
  for (let i = 0; i < 2; i++)
    for (let j = 0; j < 2; j++) {
      let s = 0;
      for (let a = 0; a < k; a++)
        for (let b = 0; b < k; b++) s += P.data[a * 2 + i] * C[a * k + b] * P.data[b * 2 + j];
      C2[i * 2 + j] = s;
    }
  let total = 0;
  for (let a = 0; a < k; a++) total += C[a * k + a];
  const R = eighSym(matFrom(2, 2, C2)).vectors.data;
  const mean = new Float64Array(k);
  for (let i = 0; i < n; i++) for (let a = 0; a < k; a++) mean[a] += data[i * k + a] / n;
  const axis = (j: number): Float64Array => {
    const e = new Float64Array(k);
    for (let a = 0; a < k; a++) e[a] = P.data[a * 2] * R[j] + P.data[a * 2 + 1] * R[2 + j];
    let m3 = 0;
    for (let i = 0; i < n; i++) {
      let z = 0;
      for (let a = 0; a < k; a++) z += (data[i * k + a] - mean[a]) * e[a];
      m3 += z * z * z;
    }
    if (m3 < 0) for (let a = 0; a < k; a++) e[a] = -e[a];
    return e;
  };
  const inPlane = C2[0] + C2[3];
  return { axes: [axis(0), axis(1)], planeVariance: total > 0 ? Math.min(1, inPlane / total) : 0 };
}
