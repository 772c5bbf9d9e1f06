import { ParamError } from "../../errors.js";
import type { Mat } from "../../linalg/mat.js";

/**
 * Matching estimated clusters to true components, as the official code of Kong et al. does: each
 * true component ℓ is matched to the cluster holding most of its heavy tasks (its mode). The
 * accuracy is the mean over components of the fraction of their tasks in the matched cluster,
 * and 0 when two components share a mode (the clustering merged them).
 */
export interface Matching {
  /** cmap[ℓ] = the cluster matched to component ℓ (−1 when the component has no task). */
  cmap: Int32Array;
  /** k×c contingency counts: tasks of component ℓ in cluster c. */
  counts: Int32Array;
  /** Every component has a task and the modes are distinct. */
  distinct: boolean;
  /** Number of distinct matched clusters. */
  clustersFound: number;
  /** Mean over components of the fraction in the matched cluster (0 unless `distinct`). */
  accuracy: number;
}

/** Contingency counts k×c of true ids (0..k−1) against labels (0..c−1). */
export function contingency(ids: Int32Array, labels: Int32Array, k: number, c: number): Int32Array {
  if (ids.length !== labels.length) {
    throw new ParamError(
      "contingency",
      "labels",
      `must have ${ids.length} entries (one per task)`,
      labels.length,
    );
  }
  const counts = new Int32Array(k * c);
  for (let i = 0; i < ids.length; i++) {
    const l = ids[i];
    const g = labels[i];
    if (l < 0 || l >= k || g < 0 || g >= c) continue;
    counts[l * c + g]++;
  }
  return counts;
}

/** Modal matching of clusters to components (see the module comment). */
export function modalMatching(ids: Int32Array, labels: Int32Array, k: number, c: number): Matching {
  const counts = contingency(ids, labels, k, c);
  const cmap = new Int32Array(k).fill(-1);
  for (let l = 0; l < k; l++) {
    let best = -1;
    let bestCount = 0;
    for (let g = 0; g < c; g++) {
      if (counts[l * c + g] > bestCount) {
        bestCount = counts[l * c + g];
        best = g;
      }
    }
    cmap[l] = best;
  }
  const found = new Set<number>();
  for (let l = 0; l < k; l++) if (cmap[l] >= 0) found.add(cmap[l]);
  const distinct = found.size === k && cmap.every((g) => g >= 0);
  return {
    cmap,
    counts,
    distinct,
    clustersFound: found.size,
    accuracy: distinct ? fractionMatched(counts, cmap, k, c) : 0,
  };
}

/** Mean over components of the fraction of their tasks carrying the label cmap[ℓ] (0 where undefined). */
export function fractionMatched(counts: Int32Array, cmap: Int32Array, k: number, c: number): number {
  let s = 0;
  for (let l = 0; l < k; l++) {
    let tot = 0;
    for (let g = 0; g < c; g++) tot += counts[l * c + g];
    if (tot > 0 && cmap[l] >= 0) s += counts[l * c + cmap[l]] / tot;
  }
  return s / k;
}

/** Accuracy of labels (e.g. classified light tasks) under an existing matching `cmap`. */
export function matchedAccuracy(ids: Int32Array, labels: Int32Array, cmap: Int32Array, c: number): number {
  const k = cmap.length;
  return fractionMatched(contingency(ids, labels, k, c), cmap, k, c);
}

/**
 * `max_ℓ ‖ŵ_{cmap[ℓ]} − w_ℓ‖` over the true components (rows of W, k×d) against the estimates
 * (rows of West, c×d); null when some component is unmatched.
 */
export function matchedComponentError(West: Mat, W: Mat, cmap: Int32Array): number | null {
  const d = W.cols;
  if (West.cols !== d) {
    throw new ParamError(
      "matchedComponentError",
      "West",
      `must have d = ${d} columns`,
      `${West.rows}×${West.cols}`,
    );
  }
  let worst = 0;
  for (let l = 0; l < W.rows; l++) {
    const g = cmap[l];
    if (g < 0 || g >= West.rows) return null;
    let s = 0;
    for (let i = 0; i < d; i++) s += (West.data[g * d + i] - W.data[l * d + i]) ** 2;
    worst = Math.max(worst, Math.sqrt(s));
  }
  return worst;
}

/** `max_ℓ |a_{cmap[ℓ]} − b_ℓ|` (or relative to b_ℓ), e.g. for p̂ and ŝ²; null when unmatched. */
export function matchedMaxError(
  a: Float64Array,
  b: Float64Array,
  cmap: Int32Array,
  relative = false,
): number | null {
  let worst = 0;
  for (let l = 0; l < b.length; l++) {
    const g = cmap[l];
    if (g < 0 || g >= a.length) return null;
    const e = Math.abs(a[g] - b[l]);
    worst = Math.max(worst, relative ? e / b[l] : e);
  }
  return worst;
}
