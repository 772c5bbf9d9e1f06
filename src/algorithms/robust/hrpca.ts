import { ParamError } from "../../errors.js";
import type { Mat } from "../../linalg/mat.js";
import { f64, i32, kernels, pin, unpin } from "../../linalg/wasm/kernels.js";
import type { Key } from "../../rng/key.js";
import { stream } from "../../rng/stream.js";
import { keptGram, topEigenvectors } from "./pca.js";
import { select } from "./quantile.js";

/**
 * High-dimensional robust PCA (HRPCA; Xu, Caramanis, Mannor 2013), as run by the official code of
 * Kong et al. (NeurIPS 2020) for comparison [paper code]. For s = 0, 1, …, steps − 1:
 * W = top-k eigenvectors of the kept points' covariance; its robust variance estimate
 * `V̄(W) = Σ_c mean{ (w_cᵀx)² : |w_cᵀx| < the (1 − α) quantile of |w_cᵀx| }` over ALL n points;
 * keep the W with the largest V̄ seen; then remove one kept point at random with probability
 * ∝ ‖Wᵀxᵢ‖². Default steps = ⌊n/4⌋ (the official code's n/4). Returns the best W and the kept set
 * at the step it was found.
 */
export interface HrpcaResult {
  U: Mat;
  kept: Uint8Array;
  /** The step at which the best W was found (= number of points removed by then). */
  bestStep: number;
  steps: number;
  /** The points removed, in order (one per step run). */
  removed: Int32Array;
  /** Steps at which all n projections were recomputed (the rest read a reference top set; see below). */
  refreshes: number;
  /** Steps whose V̄ was not needed: its upper bound was already below the best (see below). */
  skipped: number;
}

/*
 * Cost. Done literally, every step projects all n points on W (n·d·k), selects the quantile over
 * n and sums every removal weight (n): ~0.6 ms a step at n = 10⁴, d = 10, k = 1, 1.5–2 s a run of
 * 2,500 steps. The covariance was already downdated by one rank-one term per step (a fresh PCA of
 * d×d per step is cheap at these d). What changed, with the same arithmetic wherever it decides
 * anything (~5× less CPU a run, measured at paper size):
 * - V̄: only the top n − ⌊(n−1)(1−α)⌋ values of |w_cᵀx| enter the quantile and the trimming, and
 *   Σ_{|p|<thr} p² = w_cᵀ G_all w_c − Σ_{|p|≥thr} p² (G_all = Σᵢ xᵢxᵢᵀ over all n). The top values
 *   are found among a reference top set (the M largest |w_refᵀxᵢ| at the last refresh): a point
 *   outside it has |w_cᵀxᵢ| ≤ |w_refᵀxᵢ| + ‖w_c − ±w_ref‖·‖xᵢ‖ ≤ τ + ‖w_c − ±w_ref‖·max‖x‖
 *   (τ = the (M+1)-th largest reference value). When the first bound can reach the needed order
 *   statistic of the top set, the points whose own bound does are added (a scan of n bounds);
 *   when W has moved far (‖Δw‖·median‖x‖ > the reference's margin), a fresh reference is one
 *   full pass in wasm (`absProjections`, f64x2, ~4× the JS loop). Early on W moves slowly and the
 *   reference lasts; once the corrupted direction is removed the spectrum is nearly flat and W
 *   jumps by ~0.3 rad a step, so most later steps are one wasm pass.
 * - Removal: the weights' running sum over blocks of ~√(nd) points is w_cᵀG_b w_c (a block Gram,
 *   downdated with the covariance), so only the chosen block's points are projected.
 * - Skipped V̄: V̄ only decides whether W beats the best so far, and an upper bound from the
 *   reference top set projected at W (`upperBound`, m·d) is below the best on most steps after
 *   the best one (the flat-spectrum phase where W jumps and V̄ would need a full pass): those
 *   steps compute no V̄ at all (~2,400 of 2,500 at paper size; a run 0.35 → 0.24 s). The best W,
 *   its step and every removal are unchanged (same test; records byte-identical).
 * The projections of points (JS or wasm: the same sums in the same order), the threshold (same
 * order statistics, same interpolation) and the comparisons are bit-identical to the literal
 * computation; only V̄'s sum and the weights' running sum are rounded differently (~1e-15
 * relative), which can change a step only when two candidates tie to that precision. The test
 * against the literal code (hrpca.test.ts) finds the same removed points, the same best step and
 * the same W, bit for bit, and the paper-size records are byte-identical.
 */

/**
 * Relative margin between V̄'s upper bound and the best V̄ for a step to be skipped: far above the
 * rounding of either (~n·2⁻⁵³ relative), so a skipped step is one whose exact V̄ is below the best.
 */
const BOUND_MARGIN = 1e-9;

/** Reference top-set size: the (n − lo) values the quantile needs, and as many again as slack. */
function topSetSize(n: number, mTop: number): number {
  return Math.min(n, 2 * mTop + 32);
}

/**
 * Bound on the rounding of a computed projection, relative to ‖x‖ (≥ 2·d·2⁻⁵³ for any d up to
 * millions), so that the reference bound also holds for the floating-point values.
 */
const SLACK = 1e-9;

/** V̄(W) from a reference top set per column, refreshed when W has moved too far (see above). */
export class TrimmedVariance {
  private readonly n: number;
  private readonly d: number;
  private readonly k: number;
  private readonly x: Float64Array;
  private readonly gAll: Float64Array;
  private readonly h: number;
  private readonly lo: number;
  private readonly mTop: number;
  private readonly M: number;
  /** ‖xᵢ‖, their maximum and their median. */
  private readonly norms: Float64Array;
  private readonly eMax: number;
  private readonly eMed: number;
  private readonly wRef: Float64Array;
  /** |w_refᵀxᵢ| per column (c·n + i), and whether i is in column c's top set. */
  private readonly aRef: Float64Array;
  private readonly inTop: Uint8Array;
  private readonly topIdx: Int32Array;
  private readonly topCount: Int32Array;
  /** Per column: the (M+1)-th largest reference value, s[lo] − τ at the reference, and a guess of τ. */
  private readonly tau: Float64Array;
  private readonly gap: Float64Array;
  private readonly tauGuess: Float64Array;
  private readonly vals: Float64Array;
  private readonly sel: Float64Array;
  private readonly sq: Float64Array;
  private readonly idx: Int32Array;
  private readonly stale: Uint8Array;
  /** Pinned wasm memory (byte addresses): X by coordinate (d × n), |Xw|, w, indices. */
  private readonly pinned: number;
  private readonly outAt: number;
  private readonly wAt: number;
  private readonly idxAt: number;
  refreshes = 0;

  constructor(X: Mat, k: number, alpha: number, gAll: Float64Array) {
    const { rows: n, cols: d } = X;
    this.n = n;
    this.d = d;
    this.k = k;
    this.x = X.data;
    this.gAll = gAll;
    // quantileInPlace's type-7 position, computed as it does.
    this.h = (n - 1) * (1 - alpha);
    this.lo = Math.floor(this.h);
    this.mTop = n - this.lo;
    this.M = topSetSize(n, this.mTop);
    this.norms = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let a = 0; a < d; a++) s += this.x[i * d + a] ** 2;
      this.norms[i] = Math.sqrt(s);
    }
    const sorted = this.norms.slice().sort();
    this.eMax = sorted[n - 1];
    this.eMed = sorted[n >> 1];
    this.wRef = new Float64Array(d * k);
    this.aRef = new Float64Array(k * n);
    this.inTop = new Uint8Array(k * n);
    this.topIdx = new Int32Array(k * this.M);
    this.topCount = new Int32Array(k);
    this.tau = new Float64Array(k);
    this.gap = new Float64Array(k);
    this.tauGuess = new Float64Array(k).fill(Number.NEGATIVE_INFINITY);
    this.vals = new Float64Array(n);
    this.sel = new Float64Array(n);
    this.sq = new Float64Array(n);
    this.idx = new Int32Array(n);
    this.stale = new Uint8Array(k).fill(1);
    this.pinned = pin(8 * (n * d + n + d) + 4 * n);
    this.outAt = this.pinned + 8 * n * d;
    this.wAt = this.outAt + 8 * n;
    this.idxAt = this.wAt + 8 * d;
    const mem = f64();
    const xt = this.pinned / 8;
    for (let i = 0; i < n; i++) for (let a = 0; a < d; a++) mem[xt + a * n + i] = this.x[i * d + a];
  }

  /** Unpin the wasm memory (call once, when done). */
  release(): void {
    unpin(this.pinned);
  }

  /** V̄(W) for W d×k. */
  value(W: Float64Array): number {
    let vbar = 0;
    for (let c = 0; c < this.k; c++) vbar += this.column(W, c);
    return vbar;
  }

  /**
   * An upper bound on V̄(W) without a pass over all n points (skipped steps: see the cost note).
   * Column c's term is the mean of the cnt smallest p² = (w_cᵀxᵢ)², and at least r = mTop − 1 of
   * the n values lie at or above the type-7 threshold (it is ≤ s[lo + 1]), so cnt ≤ n − r. The
   * mean of the cnt smallest is at most the mean of the n − r smallest, which is at most the mean
   * of any n − r of them: V̄_c ≤ (w_cᵀG_all w_c − Σ_R p²)/(n − |R|) for any |R| ≤ r points R —
   * here the r largest p² of the reference top set projected at W (exactly, m·d). +∞ for a column
   * without a reference yet.
   */
  upperBound(W: Float64Array): number {
    const { n, k, sq } = this;
    const r = this.mTop - 1;
    let bound = 0;
    for (let c = 0; c < k; c++) {
      if (this.stale[c]) return Number.POSITIVE_INFINITY;
      const m = this.topCount[c];
      const base = c * this.M;
      for (let j = 0; j < m; j++) {
        const p = this.project(W, c, this.topIdx[base + j]);
        sq[j] = p * p;
      }
      const size = Math.min(r, m);
      if (size > 0 && size < m) select(sq, 0, m - 1, m - size);
      let sumR = 0;
      for (let j = m - size; j < m; j++) sumR += sq[j];
      if (!(n - size > 0)) return Number.POSITIVE_INFINITY;
      bound += (this.quadAll(W, c) - sumR) / (n - size);
    }
    return bound;
  }

  /** w_cᵀ G_all w_c, in `column`'s order. */
  private quadAll(W: Float64Array, c: number): number {
    const { d, k } = this;
    let all = 0;
    for (let a2 = 0; a2 < d; a2++) {
      let r = 0;
      for (let b2 = 0; b2 < d; b2++) r += this.gAll[a2 * d + b2] * W[b2 * k + c];
      all += W[a2 * k + c] * r;
    }
    return all;
  }

  /** Projection w_cᵀxᵢ, summed in the literal code's order. */
  private project(W: Float64Array, c: number, i: number): number {
    const { d, k, x } = this;
    const o = i * d;
    let p = W[c] * x[o];
    for (let a = 1; a < d; a++) p += W[a * k + c] * x[o + a];
    return p;
  }

  /** New reference for column c: w_c, |w_cᵀxᵢ| for all n points, and the M largest. */
  private refresh(W: Float64Array, c: number): void {
    const { n, d, k, M, mTop, aRef, inTop, sel, idx } = this;
    this.refreshes++;
    this.stale[c] = 0;
    for (let a = 0; a < d; a++) this.wRef[c * d + a] = W[a * k + c];
    const base = c * M;
    const off = c * n;
    for (let j = 0; j < this.topCount[c]; j++) inTop[off + this.topIdx[base + j]] = 0;
    // |w_cᵀxᵢ| for all n points (wasm, f64x2; the same sums as `project`), and the indices of the
    // values ≥ a guess of τ (the last τ, lowered a little), else of all of them.
    const { exports } = kernels();
    const mem0 = f64();
    for (let a = 0; a < d; a++) mem0[this.wAt / 8 + a] = W[a * k + c];
    let cnt = exports.absProjections(this.pinned, n, d, this.wAt, this.outAt, this.tauGuess[c], this.idxAt);
    if (cnt <= M && this.tauGuess[c] > Number.NEGATIVE_INFINITY)
      cnt = exports.absProjections(
        this.pinned,
        n,
        d,
        this.wAt,
        this.outAt,
        Number.NEGATIVE_INFINITY,
        this.idxAt,
      );
    const mem = f64();
    const ids = i32();
    const o8 = this.outAt / 8;
    aRef.set(mem.subarray(o8, o8 + n), off);
    const i4 = this.idxAt / 4;
    for (let j = 0; j < cnt; j++) {
      const i = ids[i4 + j];
      idx[j] = i;
      sel[j] = aRef[off + i];
    }
    let tau = Number.NEGATIVE_INFINITY;
    if (cnt > M) {
      select(sel, 0, cnt - 1, cnt - 1 - M);
      tau = sel[cnt - 1 - M]; // the (M+1)-th largest
      this.tauGuess[c] = 0.97 * tau;
    }
    let count = 0;
    for (let j = 0; j < cnt; j++) {
      const i = idx[j];
      if (aRef[off + i] > tau) {
        inTop[off + i] = 1;
        this.topIdx[base + count] = i;
        sel[count++] = aRef[off + i];
      }
    }
    this.topCount[c] = count;
    this.tau[c] = tau;
    let atLo = Number.NEGATIVE_INFINITY;
    if (count >= mTop) {
      select(sel, 0, count - 1, count - mTop);
      atLo = sel[count - mTop];
    }
    this.gap[c] = atLo - tau;
  }

  /** ‖w_c − ±w_ref‖ (+ rounding): |w_cᵀxᵢ| ≤ |w_refᵀxᵢ| + this·‖xᵢ‖. */
  private distance(W: Float64Array, c: number): number {
    const { d, k, wRef } = this;
    let dot = 0;
    for (let a = 0; a < d; a++) dot += W[a * k + c] * wRef[c * d + a];
    const sign = dot < 0 ? -1 : 1;
    let dd = 0;
    for (let a = 0; a < d; a++) dd += (W[a * k + c] - sign * wRef[c * d + a]) ** 2;
    return Math.sqrt(dd) + SLACK;
  }

  /** Column c's term of V̄: exact projections of the candidates that can reach the quantile. */
  private column(W: Float64Array, c: number): number {
    const { n, mTop, vals, sel, sq } = this;
    let dl = this.stale[c] ? Number.POSITIVE_INFINITY : this.distance(W, c);
    let m = this.topCount[c];
    const base = c * this.M;
    // W far from the reference (most of the top set would change): a fresh reference is cheaper.
    if (dl * this.eMed > this.gap[c]) {
      this.refresh(W, c);
      dl = SLACK;
      m = this.topCount[c];
      const off = c * n;
      for (let j = 0; j < m; j++) {
        const ap = this.aRef[off + this.topIdx[base + j]]; // |w_cᵀxᵢ| just computed
        vals[j] = ap;
        sel[j] = ap;
        sq[j] = ap * ap;
      }
    } else {
      for (let j = 0; j < m; j++) {
        const p = this.project(W, c, this.topIdx[base + j]);
        const ap = p < 0 ? -p : p;
        vals[j] = ap;
        sel[j] = ap;
        sq[j] = p * p;
      }
    }
    // A lower bound on s[lo] (the (n − lo)-th largest of all n): the same order statistic of a subset.
    let lower = Number.NEGATIVE_INFINITY;
    if (m >= mTop) {
      select(sel, 0, m - 1, m - mTop);
      lower = sel[m - mTop];
    }
    const inSet = m;
    if (!(this.tau[c] + dl * this.eMax < lower)) {
      // Some point outside the top set may reach s[lo]: add every one whose bound does.
      const off = c * n;
      const { aRef, inTop, norms } = this;
      const top = m;
      for (let i = 0; i < n; i++) {
        if (inTop[off + i] || aRef[off + i] + dl * norms[i] < lower) continue;
        const p = this.project(W, c, i);
        const ap = p < 0 ? -p : p;
        vals[m] = ap;
        sel[m] = ap;
        sq[m] = p * p;
        m++;
      }
      // Many extra candidates: refresh before the next step.
      if (m - top > this.M) this.stale[c] = 1;
    }
    // Every value ≥ s[lo] is among the m candidates: the quantile from them, as quantileInPlace does.
    const at = m - mTop;
    if (m !== inSet) select(sel, 0, m - 1, at); // else sel is already selected at `at`
    const a = sel[at];
    let thr = a;
    if (this.h !== this.lo) {
      let b = Number.POSITIVE_INFINITY; // s[lo + 1]
      for (let j = at + 1; j < m; j++) if (sel[j] < b) b = sel[j];
      thr = a + (this.h - this.lo) * (b - a);
    }
    let sumTop = 0;
    let cntTop = 0;
    for (let j = 0; j < m; j++) {
      if (vals[j] < thr) continue;
      sumTop += sq[j];
      cntTop++;
    }
    const cnt = n - cntTop;
    if (cnt === 0) return 0;
    return (this.quadAll(W, c) - sumTop) / cnt;
  }
}

export function hrpca(
  X: Mat,
  k: number,
  alpha: number,
  key: Key,
  options: { steps?: number } = {},
): HrpcaResult {
  const { rows: n, cols: d } = X;
  const ctx = "hrpca";
  if (!Number.isInteger(k) || k < 1 || k >= d)
    throw new ParamError(ctx, "k", `must be an integer in [1, d = ${d})`, k);
  if (!(alpha > 0 && alpha < 1)) throw new ParamError(ctx, "alpha", "must be in (0, 1)", alpha);
  const steps = options.steps ?? Math.floor(n / 4);
  if (!Number.isInteger(steps) || steps < 1 || steps >= n) {
    throw new ParamError(ctx, "steps", `must be an integer in [1, n = ${n})`, steps);
  }
  const st = stream(key);
  const x = X.data;
  const kept = new Uint8Array(n).fill(1);
  const G = keptGram(X, kept);
  const vbarOf = new TrimmedVariance(X, k, alpha, G.data.slice());
  const removed = new Int32Array(steps);
  // Block Grams for the removal weights' running sums (upper triangles): blocks of ~√(nd) points
  // balance the nb·d² of the block sums against the bs·d of projecting the chosen block.
  const bs = Math.max(8, Math.round(Math.sqrt(n * d)));
  const nb = Math.ceil(n / bs);
  const gb = new Float64Array(nb * d * d);
  for (let i = 0; i < n; i++) {
    const g = Math.floor(i / bs) * d * d;
    const o = i * d;
    for (let a = 0; a < d; a++) for (let b = a; b < d; b++) gb[g + a * d + b] += x[o + a] * x[o + b];
  }
  const bw = new Float64Array(nb);
  /** ‖Wᵀxᵢ‖², its columns' squares summed in the literal code's order. */
  const weightOf = (W: Float64Array, i: number): number => {
    const o = i * d;
    let w = 0;
    for (let c = 0; c < k; c++) {
      let p = W[c] * x[o];
      for (let a = 1; a < d; a++) p += W[a * k + c] * x[o + a];
      w = c === 0 ? p * p : w + p * p;
    }
    return w;
  };
  /** The first kept point from `from` on whose running weight sum (from acc) exceeds u, else the last one with weight > 0. */
  const scan = (W: Float64Array, from: number, acc: number, u: number): number => {
    let pick = -1;
    for (let i = from; i < n; i++) {
      if (!kept[i]) continue;
      const w = weightOf(W, i);
      if (w === 0) continue;
      acc += w;
      pick = i;
      if (acc > u) break;
    }
    return pick;
  };
  let best = Number.NEGATIVE_INFINITY;
  let bestU: Mat | null = null;
  let bestStep = 0;
  let ran = 0;
  let skipped = 0;
  try {
    for (let s = 0; s < steps; s++) {
      const W = topEigenvectors(G, k);
      const w = W.data;
      // V̄ only decides whether W is the best so far: a bound below the best (with a margin far
      // above rounding) settles that without it.
      const bound = best > Number.NEGATIVE_INFINITY ? vbarOf.upperBound(w) : Number.POSITIVE_INFINITY;
      if (!(bound + BOUND_MARGIN * Math.abs(best) < best)) {
        const vbar = vbarOf.value(w);
        if (vbar > best) {
          best = vbar;
          bestU = W;
          bestStep = s;
        }
      } else skipped++;
      // Remove one kept point with probability ∝ ‖Wᵀxᵢ‖²: the block by its Gram, then the point.
      let total = 0;
      for (let b = 0; b < nb; b++) {
        const g = b * d * d;
        let sum = 0;
        for (let c = 0; c < k; c++) {
          for (let a = 0; a < d; a++) {
            const wa = w[a * k + c];
            let r = 0.5 * gb[g + a * d + a] * wa;
            for (let e = a + 1; e < d; e++) r += gb[g + a * d + e] * w[e * k + c];
            sum += 2 * wa * r;
          }
        }
        bw[b] = sum;
        total += sum;
      }
      const u = st.uniform() * total;
      let acc = 0;
      let b = 0;
      while (b < nb && !(acc + bw[b] > u)) acc += bw[b++];
      let pick = b < nb ? scan(w, b * bs, acc, u) : -1;
      if (pick < 0) pick = scan(w, 0, 0, u); // rounding at the very end of the sum: literal order
      if (pick < 0) break;
      removed[s] = pick;
      kept[pick] = 0;
      ran++;
      // G ← G − x xᵀ for the removed point, and its block's Gram likewise.
      const o = pick * d;
      for (let a = 0; a < d; a++) for (let e = 0; e < d; e++) G.data[a * d + e] -= x[o + a] * x[o + e];
      const g = Math.floor(pick / bs) * d * d;
      for (let a = 0; a < d; a++) for (let e = a; e < d; e++) gb[g + a * d + e] -= x[o + a] * x[o + e];
    }
  } finally {
    vbarOf.release();
  }
  const keptAtBest = new Uint8Array(n).fill(1);
  for (let s = 0; s < bestStep; s++) keptAtBest[removed[s]] = 0;
  return {
    U: bestU as Mat,
    kept: keptAtBest,
    bestStep,
    steps,
    removed: removed.slice(0, ran),
    refreshes: vbarOf.refreshes,
    skipped,
  };
}
