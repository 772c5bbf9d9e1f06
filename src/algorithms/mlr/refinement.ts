import { ParamError } from "../../errors.js";
import { cholesky, choleskySolve } from "../../linalg/cholesky.js";
import { eighSym } from "../../linalg/eigh.js";
import { NotPositiveDefiniteError } from "../../linalg/errors.js";
import { lstsq } from "../../linalg/lstsq.js";
import { matFrom, zeros } from "../../linalg/mat.js";
import { dotAt } from "../../linalg/vector.js";
import type { MixtureTaskBatch } from "../../models/mixedLinearRegression.js";
import type { NormalEquations } from "../../models/mixtureProjected.js";
import { gramAndRhs } from "./gram.js";
import { type MixtureEstimate, VARIANCE_FLOOR } from "./initialEstimates.js";

/** Tasks with a component label each; examples [from, to) of every task are used. */
export interface LabelledTasks {
  batch: MixtureTaskBatch;
  labels: Int32Array;
  from?: number;
  to?: number;
}

/**
 * e = z − Aw row by row: returns Σe² and writes Aᵀe into `g` (one pass over A).
 */
function residualPass(
  A: Float64Array,
  z: Float64Array,
  rows: number,
  d: number,
  w: Float64Array,
  g: Float64Array,
): number {
  g.fill(0);
  let rss = 0;
  for (let r = 0; r < rows; r++) {
    const o = r * d;
    const e = z[r] - dotAt(A, o, w, 0, d);
    rss += e * e;
    for (let i = 0; i < d; i++) g[i] += e * A[o + i];
  }
  return rss;
}

/**
 * Least squares `min_w ‖Aw − z‖²` for A rows×d: normal equations with a Cholesky factor and one
 * step of iterative refinement (accurate for the well-conditioned designs here, and d²·rows/2
 * multiply-adds); the minimum-norm SVD solution when rows < d or AᵀA is not numerically positive
 * definite. Returns w and the residual sum of squares ‖Aw − z‖².
 */
export function leastSquares(
  A: Float64Array,
  z: Float64Array,
  rows: number,
  d: number,
): { w: Float64Array; rss: number } {
  if (rows >= d) {
    const G = zeros(d, d);
    const b = new Float64Array(d);
    gramAndRhs(A, z, rows, d, G.data, b);
    try {
      const Lf = cholesky(G);
      const w = choleskySolve(Lf, b);
      // One refinement step: δ = (AᵀA)⁻¹Aᵀe, e = z − Aw; then ‖z − A(w + δ)‖² = ‖e‖² − δᵀAᵀe.
      const g = new Float64Array(d);
      const rss = residualPass(A, z, rows, d, w, g);
      const dw = choleskySolve(Lf, g);
      let drop = 0;
      for (let i = 0; i < d; i++) {
        w[i] += dw[i];
        drop += dw[i] * g[i];
      }
      return { w, rss: Math.max(0, rss - drop) };
    } catch (e) {
      if (!(e instanceof NotPositiveDefiniteError)) throw e;
    }
  }
  const w = lstsq(matFrom(rows, d, A), z).x;
  return { w, rss: residualPass(A, z, rows, d, w, new Float64Array(d)) };
}

function rangeOf(g: LabelledTasks): [number, number] {
  const from = g.from ?? 0;
  const to = g.to ?? g.batch.t;
  if (!(Number.isInteger(from) && Number.isInteger(to) && from >= 0 && to > from && to <= g.batch.t)) {
    throw new ParamError("refineByLeastSquares", "range", `must satisfy 0 ≤ from < to ≤ t = ${g.batch.t}`, [
      from,
      to,
    ]);
  }
  if (g.labels.length !== g.batch.n) {
    throw new ParamError(
      "refineByLeastSquares",
      "labels",
      `must have one entry per task (${g.batch.n})`,
      g.labels.length,
    );
  }
  return [from, to];
}

/**
 * Stage 3b of Kong et al. (ICML 2020; SPEC §2): per-component least squares on every example of
 * the tasks assigned to it — the classified light tasks plus, as the official code does, the
 * cluster's held-out heavy examples (`extra`). Final `ŵ_g`, `ŝ²_g = RSS/(rows − d)` (RSS/1 when
 * rows ≤ d), and `p̂_g` = fraction of the light tasks assigned to g. A component with no rows keeps
 * `fallback`'s estimate (NaN without one).
 */
export function refineByLeastSquares(
  light: LabelledTasks,
  extra: LabelledTasks[],
  c: number,
  fallback?: MixtureEstimate,
): MixtureEstimate {
  const groups = [light, ...extra];
  const d = light.batch.d;
  for (const g of groups) {
    if (g.batch.d !== d)
      throw new ParamError("refineByLeastSquares", "d", `must be ${d} in every batch`, g.batch.d);
  }
  const ranges = groups.map(rangeOf);
  const rowsOf = new Float64Array(c);
  groups.forEach((g, gi) => {
    const len = ranges[gi][1] - ranges[gi][0];
    for (let i = 0; i < g.batch.n; i++) {
      const l = g.labels[i];
      if (!(l >= 0 && l < c))
        throw new ParamError("refineByLeastSquares", "labels", `must be in [0, ${c})`, l);
      rowsOf[l] += len;
    }
  });
  const W = zeros(c, d);
  const s2 = new Float64Array(c);
  const p = new Float64Array(c);
  for (let i = 0; i < light.batch.n; i++) p[light.labels[i]]++;
  for (let l = 0; l < c; l++) p[l] /= light.batch.n;
  const maxRows = Math.max(0, ...rowsOf);
  const A = new Float64Array(maxRows * d);
  const z = new Float64Array(maxRows);
  for (let l = 0; l < c; l++) {
    const rows = rowsOf[l];
    if (rows === 0) {
      if (fallback) {
        W.data.set(fallback.W.data.subarray(l * d, (l + 1) * d), l * d);
        s2[l] = fallback.s2[l];
      } else {
        W.data.fill(Number.NaN, l * d, (l + 1) * d);
        s2[l] = Number.NaN;
      }
      continue;
    }
    let r = 0;
    groups.forEach((g, gi) => {
      const [from, to] = ranges[gi];
      const { t, X, y } = g.batch;
      for (let i = 0; i < g.batch.n; i++) {
        if (g.labels[i] !== l) continue;
        const start = i * t + from;
        A.set(X.subarray(start * d, (i * t + to) * d), r * d);
        z.set(y.subarray(start, i * t + to), r);
        r += to - from;
      }
    });
    const { w, rss } = leastSquares(A.subarray(0, rows * d), z.subarray(0, rows), rows, d);
    W.data.set(w, l * d);
    s2[l] = Math.max(VARIANCE_FLOOR, rss / Math.max(rows - d, 1));
  }
  return { W, s2, p };
}

/**
 * Per label g < c, the least-squares sums (Σxxᵀ, Σxy, Σy², rows) of the examples [from, to) of the
 * tasks labelled g, from materialised rows.
 */
export function normalEquationsOf(
  batch: MixtureTaskBatch,
  labels: Int32Array,
  c: number,
  from = 0,
  to = batch.t,
): NormalEquations[] {
  const [f, tt] = rangeOf({ batch, labels, from, to });
  const { n, t, d, X, y } = batch;
  const out: NormalEquations[] = [];
  for (let g = 0; g < c; g++) {
    let rows = 0;
    for (let i = 0; i < n; i++) if (labels[i] === g) rows += tt - f;
    const A = new Float64Array(rows * d);
    const z = new Float64Array(rows);
    let r = 0;
    for (let i = 0; i < n; i++) {
      if (labels[i] !== g) continue;
      A.set(X.subarray((i * t + f) * d, (i * t + tt) * d), r * d);
      z.set(y.subarray(i * t + f, i * t + tt), r);
      r += tt - f;
    }
    const G = zeros(d, d);
    const b = new Float64Array(d);
    gramAndRhs(A, z, rows, d, G.data, b);
    let yy = 0;
    for (let i = 0; i < rows; i++) yy += z[i] * z[i];
    out.push({ G, b, yy, rows });
  }
  return out;
}

/** The sums of two sets of rows. */
export function addNormalEquations(a: NormalEquations, b: NormalEquations): NormalEquations {
  const G = zeros(a.G.rows, a.G.cols);
  for (let i = 0; i < G.data.length; i++) G.data[i] = a.G.data[i] + b.G.data[i];
  return { G, b: a.b.map((v, i) => v + b.b[i]), yy: a.yy + b.yy, rows: a.rows + b.rows };
}

/**
 * Least squares from its sums: w solves Gw = b by Cholesky, or is the minimum-norm solution
 * (pseudo-inverse by eigendecomposition, eigenvalues ≤ d·ε·λ_max dropped) when G is singular;
 * RSS = Σy² − bᵀw (exact for a least-squares w, since b ∈ range(G)), floored at 0.
 */
export function solveNormalEquations(ne: NormalEquations): { w: Float64Array; rss: number } {
  const d = ne.G.rows;
  let w: Float64Array | null = null;
  if (ne.rows >= d) {
    try {
      w = choleskySolve(cholesky(ne.G), ne.b);
    } catch (e) {
      if (!(e instanceof NotPositiveDefiniteError)) throw e;
    }
  }
  if (w === null) {
    const { values, vectors } = eighSym(ne.G);
    const cut = d * 2 ** -52 * Math.max(0, values[0]);
    w = new Float64Array(d);
    for (let a = 0; a < d; a++) {
      if (!(values[a] > cut)) continue;
      let s = 0;
      for (let i = 0; i < d; i++) s += vectors.data[i * d + a] * ne.b[i];
      s /= values[a];
      for (let i = 0; i < d; i++) w[i] += s * vectors.data[i * d + a];
    }
  }
  let bw = 0;
  for (let i = 0; i < d; i++) bw += ne.b[i] * w[i];
  return { w, rss: Math.max(0, ne.yy - bw) };
}

/**
 * Stage 3b from sufficient statistics (the "projected" path, or any source of Σxxᵀ, Σxy, Σy²):
 * per label g, ŵ_g and ŝ²_g = RSS/(rows − d) as `refineByLeastSquares`; p̂ from the light labels.
 */
export function refineFromNormalEquations(
  groups: NormalEquations[],
  lightLabels: Int32Array,
  fallback?: MixtureEstimate,
): MixtureEstimate {
  const c = groups.length;
  const d = groups[0].G.rows;
  const W = zeros(c, d);
  const s2 = new Float64Array(c);
  const p = new Float64Array(c);
  for (const l of lightLabels) p[l]++;
  for (let l = 0; l < c; l++) p[l] /= lightLabels.length;
  groups.forEach((ne, l) => {
    if (ne.rows === 0) {
      W.data.set(
        fallback ? fallback.W.data.subarray(l * d, (l + 1) * d) : new Float64Array(d).fill(Number.NaN),
        l * d,
      );
      s2[l] = fallback ? fallback.s2[l] : Number.NaN;
      return;
    }
    const { w, rss } = solveNormalEquations(ne);
    W.data.set(w, l * d);
    s2[l] = Math.max(VARIANCE_FLOOR, rss / Math.max(ne.rows - d, 1));
  });
  return { W, s2, p };
}
