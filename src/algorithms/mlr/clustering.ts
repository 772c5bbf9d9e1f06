import { ParamError } from "../../errors.js";

/**
 * Stage 2b of Kong et al. (ICML 2020; SPEC §2): clustering heavy tasks from their projected
 * distances H (n×n, symmetric, row-major).
 *
 * - `averageLinkage(|H|, n, k)`: agglomerative clustering with average linkage (UPGMA) stopped at
 *   exactly k clusters — the official code's choice (it calls scikit-learn's
 *   AgglomerativeClustering on |H|).
 * - `singleLinkage(H, n, threshold)`: join i and j when H_ij < threshold (the paper's rule, with a
 *   threshold of order Δ²/2), clusters = connected components; the number found may differ from k.
 *
 * Labels are 0..c−1, numbered in the order of each cluster's smallest member.
 */

function checkMatrix(fn: string, D: Float64Array, n: number): void {
  if (!Number.isInteger(n) || n < 1) throw new ParamError(fn, "n", "must be an integer ≥ 1", n);
  if (D.length !== n * n) throw new ParamError(fn, "D", `must have n² = ${n * n} entries`, D.length);
}

/** Labels 0..c−1 from a union-find parent array, numbered by smallest member. */
function labelsFromRoots(parent: Int32Array): { labels: Int32Array; clusters: number } {
  const n = parent.length;
  const find = (i: number): number => {
    while (parent[i] !== i) {
      parent[i] = parent[parent[i]];
      i = parent[i];
    }
    return i;
  };
  const labelOfRoot = new Int32Array(n).fill(-1);
  const labels = new Int32Array(n);
  let c = 0;
  for (let i = 0; i < n; i++) {
    const r = find(i);
    if (labelOfRoot[r] < 0) labelOfRoot[r] = c++;
    labels[i] = labelOfRoot[r];
  }
  return { labels, clusters: c };
}

function union(parent: Int32Array, a: number, b: number): void {
  while (parent[a] !== a) a = parent[a];
  while (parent[b] !== b) b = parent[b];
  if (a !== b) parent[Math.max(a, b)] = Math.min(a, b);
}

/**
 * Average-linkage (UPGMA) clustering of n points with dissimilarities D into exactly k clusters.
 * Nearest-neighbour-chain algorithm (Murtagh 1983): O(n²) time, exact for average linkage, which
 * is reducible — so the merges are those of the greedy algorithm, whose first n − k (in order of
 * height) give the k clusters. The Lance–Williams update is
 * `D(a∪b, x) = (|a| D(a,x) + |b| D(b,x)) / (|a| + |b|)`. Ties are broken towards the chain's
 * previous element, then the smaller index. D is not modified.
 */
export function averageLinkage(D: Float64Array, n: number, k: number): Int32Array {
  checkMatrix("averageLinkage", D, n);
  if (!Number.isInteger(k) || k < 1 || k > n) {
    throw new ParamError("averageLinkage", "k", `must be an integer in [1, n = ${n}]`, k);
  }
  const dist = D.slice();
  // The active points in increasing index order: the scans below visit them in the order (and
  // with the comparisons) of a scan over all n that skips inactive ones, in about half the steps.
  const act = new Int32Array(n);
  for (let i = 0; i < n; i++) act[i] = i;
  let m = n;
  const size = new Float64Array(n).fill(1);
  const chain = new Int32Array(n);
  let len = 0;
  const mergeA = new Int32Array(n - 1);
  const mergeB = new Int32Array(n - 1);
  const height = new Float64Array(n - 1);
  let merges = 0;
  while (merges < n - 1) {
    if (len === 0) chain[len++] = act[0];
    const a = chain[len - 1];
    const prev = len >= 2 ? chain[len - 2] : -1;
    let best = prev;
    let bestD = prev >= 0 ? dist[a * n + prev] : Number.POSITIVE_INFINITY;
    const ro = a * n;
    for (let q = 0; q < m; q++) {
      const j = act[q];
      if (j === a) continue;
      const dj = dist[ro + j];
      if (dj < bestD || best < 0) {
        best = j;
        bestD = dj;
      }
    }
    if (best !== prev) {
      chain[len++] = best;
      continue;
    }
    // a and prev are reciprocal nearest neighbours: merge them into the slot of the smaller index.
    len -= 2;
    const lo = Math.min(a, prev);
    const hi = Math.max(a, prev);
    mergeA[merges] = lo;
    mergeB[merges] = hi;
    height[merges] = bestD;
    merges++;
    const sa = size[lo];
    const sb = size[hi];
    const inv = 1 / (sa + sb);
    let at = -1;
    for (let q = 0; q < m; q++) {
      const j = act[q];
      if (j === hi) at = q;
      if (j === lo || j === hi) continue;
      const v = (sa * dist[lo * n + j] + sb * dist[hi * n + j]) * inv;
      dist[lo * n + j] = v;
      dist[j * n + lo] = v;
    }
    act.copyWithin(at, at + 1, m);
    m--;
    size[lo] = sa + sb;
  }
  // Replay the n − k lowest merges (stable in discovery order, so children precede parents).
  const order = Array.from({ length: n - 1 }, (_, i) => i).sort((x, y) => height[x] - height[y] || x - y);
  const parent = new Int32Array(n);
  for (let i = 0; i < n; i++) parent[i] = i;
  for (let m = 0; m < n - k; m++) union(parent, mergeA[order[m]], mergeB[order[m]]);
  return labelsFromRoots(parent).labels;
}

/**
 * Single-linkage clustering at a threshold: i and j are linked when H_ij < threshold (checked on
 * both H_ij and H_ji, which are equal for symmetric H); clusters are the connected components.
 */
export function singleLinkage(
  H: Float64Array,
  n: number,
  threshold: number,
): { labels: Int32Array; clusters: number } {
  checkMatrix("singleLinkage", H, n);
  if (!Number.isFinite(threshold))
    throw new ParamError("singleLinkage", "threshold", "must be finite", threshold);
  const parent = new Int32Array(n);
  for (let i = 0; i < n; i++) parent[i] = i;
  for (let i = 0; i < n; i++)
    for (let j = i + 1; j < n; j++)
      if (H[i * n + j] < threshold && H[j * n + i] < threshold) union(parent, i, j);
  return labelsFromRoots(parent);
}

/** |H| elementwise (average linkage runs on |H|, as the official code and the reference). */
export function absolute(H: Float64Array): Float64Array {
  const out = new Float64Array(H.length);
  for (let i = 0; i < H.length; i++) out[i] = Math.abs(H[i]);
  return out;
}
