import { ParamError } from "../../errors.js";
import { log } from "../../linalg/libm.js";
import type { Mat } from "../../linalg/mat.js";
import type { Key } from "../../rng/key.js";
import { stream } from "../../rng/stream.js";
import { keptGram, topEigenvectors } from "./pca.js";
import { quantileInPlace } from "./quantile.js";

/**
 * Robust subspace estimation by double filtering (Kong, Somani, Kakade, Oh, NeurIPS 2020,
 * Algorithm 2; SPEC §2) [paper code]. Starting from all n points, repeat:
 * 1. U = top-k right singular vectors of the kept points S (uncentred);
 * 2. scores zᵢ = ‖Uᵀxᵢ‖²;
 * 3. G = the points of S strictly between the α and 1 − α quantiles of z over S (first filter);
 * 4. stop if mean_S z − mean_G z ≤ 2α log(1/α);
 * 5. otherwise draw Z ~ U[0, 1] and keep G plus the points of S \ G with
 *    zᵢ − µ_G < Z · max_{S∖G}(z − µ_G) (second, randomised filter: the further out, the likelier
 *    removed; points below the lower quantile are always kept).
 * The loop stops early when S no longer changes, and after ⌈9αn⌉ + 1 rounds at most (the
 * official code's bound). Returns the top-k right singular vectors of the final S.
 */
export interface DoubleFilteringResult {
  /** d×k, orthonormal columns. */
  U: Mat;
  /** kept[i] = 1 when point i survived. */
  kept: Uint8Array;
  /** Rounds run. */
  rounds: number;
}

export function doubleFiltering(
  X: Mat,
  k: number,
  alpha: number,
  key: Key,
  options: { maxRounds?: number } = {},
): DoubleFilteringResult {
  const { rows: n, cols: d } = X;
  const ctx = "doubleFiltering";
  if (!Number.isInteger(k) || k < 1 || k >= d)
    throw new ParamError(ctx, "k", `must be an integer in [1, d = ${d})`, k);
  if (!(alpha > 0 && alpha < 0.5)) throw new ParamError(ctx, "alpha", "must be in (0, 0.5)", alpha);
  const maxRounds = options.maxRounds ?? Math.ceil(9 * alpha * n) + 1;
  const st = stream(key);
  let kept = new Uint8Array(n).fill(1);
  const z = new Float64Array(n);
  const scratch = new Float64Array(n);
  const stopAt = 2 * alpha * log(1 / alpha);
  const x = X.data;
  let rounds = 0;
  while (rounds < maxRounds) {
    rounds++;
    const U = topEigenvectors(keptGram(X, kept), k);
    let count = 0;
    let sumS = 0;
    for (let i = 0; i < n; i++) {
      if (!kept[i]) continue;
      let zi = 0;
      for (let c = 0; c < k; c++) {
        let p = 0;
        for (let a = 0; a < d; a++) p += U.data[a * k + c] * x[i * d + a];
        zi += p * p;
      }
      z[i] = zi;
      sumS += zi;
      scratch[count++] = zi;
    }
    const lower = quantileInPlace(scratch, count, alpha);
    const upper = quantileInPlace(scratch, count, 1 - alpha);
    let sumG = 0;
    let countG = 0;
    for (let i = 0; i < n; i++) {
      if (kept[i] && z[i] > lower && z[i] < upper) {
        sumG += z[i];
        countG++;
      }
    }
    const muG = countG > 0 ? sumG / countG : 0;
    if (countG === 0 || sumS / count - muG <= stopAt) break;
    let worst = Number.NEGATIVE_INFINITY;
    for (let i = 0; i < n; i++) {
      if (kept[i] && !(z[i] > lower && z[i] < upper)) worst = Math.max(worst, z[i] - muG);
    }
    const threshold = st.uniform() * worst;
    const next = new Uint8Array(n);
    let changed = false;
    for (let i = 0; i < n; i++) {
      if (!kept[i]) continue;
      const inG = z[i] > lower && z[i] < upper;
      if (inG || z[i] - muG < threshold) next[i] = 1;
      else changed = true;
    }
    kept = next;
    if (!changed) break;
  }
  return { U: topEigenvectors(keptGram(X, kept), k), kept, rounds };
}
