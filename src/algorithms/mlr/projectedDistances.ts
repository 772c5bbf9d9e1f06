import { ParamError } from "../../errors.js";
import { gemm, gemmStrided } from "../../linalg/gemm.js";
import { type Mat, matFrom } from "../../linalg/mat.js";
import type { MixtureTaskBatch } from "../../models/mixedLinearRegression.js";
import type { ProjectedTaskBatch } from "../../models/mixtureProjected.js";
import { partMoments } from "./subspace.js";

/**
 * Stage 2a of Kong et al. (ICML 2020; SPEC §2): distances between heavy tasks in the estimated
 * k-dimensional subspace, robust to heavy tails by a median of L independent estimates.
 *
 * A heavy task's first `2L·partSize` examples are cut into 2L parts of `partSize`; part q gives
 * `β̂⁽q⁾ = (1/partSize) Σ y x` and its projection `a⁽q⁾ = Ûᵀβ̂⁽q⁾ ∈ R^k`. With parts 2l and 2l+1
 * independent, `(aᵢ⁽²ˡ⁾ − aⱼ⁽²ˡ⁾)·(aᵢ⁽²ˡ⁺¹⁾ − aⱼ⁽²ˡ⁺¹⁾)` is unbiased for ‖Ûᵀ(βᵢ − βⱼ)‖², and
 * `H_ij` = the median over l of these L estimates (the mean of the middle two for even L).
 */

/** Projected part moments: n × parts × k (row-major), entry (i, q, c) = (Ûᵀβ̂ᵢ⁽q⁾)_c. */
export interface ProjectedParts {
  n: number;
  parts: number;
  k: number;
  data: Float64Array;
}

/**
 * `Ûᵀβ̂` of each of `parts` consecutive parts of `partSize` examples, starting at example `from`.
 * Cost n·parts·(partSize·d + d·k): the moments are formed in R^d then projected in one product.
 */
export function projectParts(
  batch: MixtureTaskBatch,
  U: Mat,
  parts: number,
  partSize: number,
  from = 0,
): ProjectedParts {
  const { n, d, t } = batch;
  if (U.rows !== d)
    throw new ParamError("projectParts", "U", `must have d = ${d} rows`, `${U.rows}×${U.cols}`);
  if (!Number.isInteger(parts) || parts < 1)
    throw new ParamError("projectParts", "parts", "must be ≥ 1", parts);
  if (!Number.isInteger(partSize) || partSize < 1) {
    throw new ParamError("projectParts", "partSize", "must be an integer ≥ 1", partSize);
  }
  if (from + parts * partSize > t) {
    throw new ParamError(
      "projectParts",
      "parts",
      `× partSize must fit in the task's t = ${t} examples after ${from}`,
      parts * partSize,
    );
  }
  const moments = new Float64Array(n * parts * d);
  for (let q = 0; q < parts; q++) {
    const m = partMoments(batch, from + q * partSize, from + (q + 1) * partSize).data;
    for (let i = 0; i < n; i++) moments.set(m.subarray(i * d, (i + 1) * d), (i * parts + q) * d);
  }
  return projectPartMoments(n, parts, moments, U);
}

/**
 * `ProjectedParts` from part moments already formed (n·parts rows of d = U.rows, row i·parts + q:
 * task i's part q, e.g. `sampleMixturePartMoments`): Ûᵀβ̂ of every row in one product, the
 * product `projectParts` makes.
 */
export function projectPartMoments(n: number, parts: number, moments: Float64Array, U: Mat): ProjectedParts {
  const { rows: d, cols: k } = U;
  if (moments.length !== n * parts * d) {
    throw new ParamError(
      "projectPartMoments",
      "moments",
      `must hold n·parts·d = ${n}·${parts}·${d} values`,
      moments.length,
    );
  }
  const out = matFrom(n * parts, k, new Float64Array(n * parts * k));
  gemm(false, false, 1, matFrom(n * parts, d, moments), U, 0, out);
  return { n, parts, k, data: out.data };
}

/**
 * `projectParts` for tasks revealed along V ⊇ col(Û) (a `ProjectedTaskBatch`):
 * Ûᵀβ̂ = (ÛᵀV)·(1/partSize) Σ y p, exactly, since Ûᵀx = ÛᵀV p when col(Û) ⊆ col(V).
 */
export function projectRevealedParts(
  pb: ProjectedTaskBatch,
  U: Mat,
  parts: number,
  partSize: number,
  from = 0,
): ProjectedParts {
  const { n, d, t, q, V, P, y } = pb;
  if (U.rows !== d)
    throw new ParamError("projectParts", "U", `must have d = ${d} rows`, `${U.rows}×${U.cols}`);
  if (!Number.isInteger(partSize) || partSize < 1) {
    throw new ParamError("projectParts", "partSize", "must be an integer ≥ 1", partSize);
  }
  if (!Number.isInteger(parts) || parts < 1 || from + parts * partSize > t) {
    throw new ParamError(
      "projectParts",
      "parts",
      `× partSize must fit in the task's t = ${t} examples after ${from}`,
      parts * partSize,
    );
  }
  const k = U.cols;
  const UtV = new Float64Array(k * q);
  for (let c = 0; c < k; c++)
    for (let a = 0; a < q; a++) {
      let s = 0;
      for (let i = 0; i < d; i++) s += U.data[i * k + c] * V.data[i * q + a];
      UtV[c * q + a] = s;
    }
  const data = new Float64Array(n * parts * k);
  const m = new Float64Array(q);
  for (let i = 0; i < n; i++)
    for (let part = 0; part < parts; part++) {
      m.fill(0);
      for (let j = from + part * partSize; j < from + (part + 1) * partSize; j++) {
        const r = i * t + j;
        const yr = y[r] / partSize;
        for (let a = 0; a < q; a++) m[a] += yr * P[r * q + a];
      }
      const o = (i * parts + part) * k;
      for (let c = 0; c < k; c++) {
        let s = 0;
        for (let a = 0; a < q; a++) s += UtV[c * q + a] * m[a];
        data[o + c] = s;
      }
    }
  return { n, parts, k, data };
}

/** Inner dimensions the wasm GEMM sums in one pass (its depth block KC in wasm/kernels.as). */
const GEMM_ONE_PASS = 128;

/**
 * `H` (n×n, symmetric, zero diagonal): the median over l < L of the split-sample estimates of
 * ‖Ûᵀ(βᵢ − βⱼ)‖² from parts (2l, 2l+1) of `proj` (which needs ≥ 2L parts). Throws for L < 1.
 */
export function medianProjectedDistances(proj: ProjectedParts, L: number): Float64Array {
  const { n, parts, k, data } = proj;
  if (!Number.isInteger(L) || L < 1)
    throw new ParamError("medianProjectedDistances", "L", "must be an integer ≥ 1", L);
  if (2 * L > parts) {
    throw new ParamError("medianProjectedDistances", "L", `must be ≤ parts/2 = ${Math.floor(parts / 2)}`, L);
  }
  // Per repeat l: G_l[i][j] = a_i·c_j (a = part 2l, c = part 2l+1), so the estimate is
  // G_ii + G_jj − G_ij − G_ji.
  const G = new Float64Array(L * n * n);
  for (let l = 0; l < L; l++) {
    const go = l * n * n;
    if (k <= GEMM_ONE_PASS) {
      // G_l = A_l C_lᵀ in the wasm GEMM (n²k multiply-adds: most of a heavy-task clustering's
      // cost, ~5× faster than the loop below). Up to its depth block KC = 128 the kernel sums
      // each entry from 0 in index order, as the loop does, so the bits are the loop's.
      const stride = parts * k;
      gemmStrided(
        false,
        true,
        1,
        { rows: n, cols: k, data, offset: 2 * l * k, stride },
        { rows: n, cols: k, data, offset: (2 * l + 1) * k, stride },
        0,
        { rows: n, cols: n, data: G, offset: go, stride: n },
      );
      continue;
    }
    for (let i = 0; i < n; i++) {
      const ao = (i * parts + 2 * l) * k;
      for (let j = 0; j < n; j++) {
        const co = (j * parts + 2 * l + 1) * k;
        let s = 0;
        for (let c = 0; c < k; c++) s += data[ao + c] * data[co + c];
        G[go + i * n + j] = s;
      }
    }
  }
  const H = new Float64Array(n * n);
  const vals = new Float64Array(L);
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      for (let l = 0; l < L; l++) {
        const go = l * n * n;
        vals[l] = G[go + i * n + i] + G[go + j * n + j] - G[go + i * n + j] - G[go + j * n + i];
      }
      const h = L === 1 ? vals[0] : medianInPlace(vals);
      H[i * n + j] = h;
      H[j * n + i] = h;
    }
  }
  return H;
}

/** Median of a small array (sorted in place); mean of the middle two for even length. */
function medianInPlace(v: Float64Array): number {
  v.sort();
  const m = v.length >> 1;
  return v.length % 2 === 1 ? v[m] : 0.5 * (v[m - 1] + v[m]);
}

/**
 * Metric of the distance stage: the root-mean-square error of H over pairs i < j against the
 * truth ‖Ûᵀ(v_{id i} − v_{id j})‖² (V k×d, the components' moment vectors).
 */
export function projectedDistanceError(H: Float64Array, ids: Int32Array, U: Mat, V: Mat): number {
  const n = ids.length;
  const { rows: d, cols: k } = U;
  const P = new Float64Array(V.rows * k); // ÛᵀV
  for (let l = 0; l < V.rows; l++)
    for (let i = 0; i < d; i++) {
      const v = V.data[l * d + i];
      for (let c = 0; c < k; c++) P[l * k + c] += U.data[i * k + c] * v;
    }
  let s = 0;
  let count = 0;
  for (let i = 0; i < n; i++)
    for (let j = i + 1; j < n; j++) {
      let truth = 0;
      for (let c = 0; c < k; c++) truth += (P[ids[i] * k + c] - P[ids[j] * k + c]) ** 2;
      s += (H[i * n + j] - truth) ** 2;
      count++;
    }
  return count === 0 ? 0 : Math.sqrt(s / count);
}
