import { describe, expect, test } from "vitest";
import { fromRows } from "../../linalg/mat.js";
import { key } from "../../rng/key.js";
import { stream } from "../../rng/stream.js";
import { absolute, averageLinkage, singleLinkage } from "./clustering.js";
import { matchedAccuracy, matchedComponentError, modalMatching } from "./matching.js";

/**
 * Independent oracle: the greedy O(n³) average linkage of `mlr_ref.py` (Lance–Williams, merge the
 * closest pair, keep the smaller index), labels by smallest member.
 */
function greedyAverageLinkage(D0: Float64Array, n: number, k: number): Int32Array {
  const D = D0.slice();
  for (let i = 0; i < n; i++) D[i * n + i] = Number.POSITIVE_INFINITY;
  const size = new Float64Array(n).fill(1);
  const owner = Int32Array.from({ length: n }, (_, i) => i);
  for (let m = 0; m < n - k; m++) {
    let bi = 0;
    let bj = 0;
    let best = Number.POSITIVE_INFINITY;
    for (let i = 0; i < n; i++)
      for (let j = 0; j < n; j++) if (D[i * n + j] < best) [best, bi, bj] = [D[i * n + j], i, j];
    const i = Math.min(bi, bj);
    const j = Math.max(bi, bj);
    for (let c = 0; c < n; c++) {
      const v = (size[i] * D[i * n + c] + size[j] * D[j * n + c]) / (size[i] + size[j]);
      D[i * n + c] = v;
      D[c * n + i] = v;
    }
    for (let c = 0; c < n; c++) {
      D[j * n + c] = Number.POSITIVE_INFINITY;
      D[c * n + j] = Number.POSITIVE_INFINITY;
    }
    D[i * n + i] = Number.POSITIVE_INFINITY;
    size[i] += size[j];
    for (let c = 0; c < n; c++) if (owner[c] === j) owner[c] = i;
  }
  const label = new Map<number, number>();
  return Int32Array.from(owner, (o) => {
    if (!label.has(o)) label.set(o, label.size);
    return label.get(o)!;
  });
}

/** The nearest-neighbour chain as it was written before the active list (scans over all n). */
function chainOverAll(D: Float64Array, n: number, k: number): Int32Array {
  const dist = D.slice();
  const active = new Uint8Array(n).fill(1);
  const size = new Float64Array(n).fill(1);
  const chain = new Int32Array(n);
  let len = 0;
  const merges: [number, number, number][] = [];
  let firstActive = 0;
  while (merges.length < n - 1) {
    if (len === 0) {
      while (!active[firstActive]) firstActive++;
      chain[len++] = firstActive;
    }
    const a = chain[len - 1];
    const prev = len >= 2 ? chain[len - 2] : -1;
    let best = prev;
    let bestD = prev >= 0 ? dist[a * n + prev] : Number.POSITIVE_INFINITY;
    for (let j = 0; j < n; j++) {
      if (j === a || !active[j]) continue;
      if (dist[a * n + j] < bestD || best < 0) {
        best = j;
        bestD = dist[a * n + j];
      }
    }
    if (best !== prev) {
      chain[len++] = best;
      continue;
    }
    len -= 2;
    const lo = Math.min(a, prev);
    const hi = Math.max(a, prev);
    merges.push([lo, hi, bestD]);
    const sa = size[lo];
    const sb = size[hi];
    const inv = 1 / (sa + sb);
    for (let j = 0; j < n; j++) {
      if (!active[j] || j === lo || j === hi) continue;
      const v = (sa * dist[lo * n + j] + sb * dist[hi * n + j]) * inv;
      dist[lo * n + j] = v;
      dist[j * n + lo] = v;
    }
    active[hi] = 0;
    size[lo] = sa + sb;
  }
  const order = merges.map((_, i) => i).sort((x, y) => merges[x][2] - merges[y][2] || x - y);
  const owner = Int32Array.from({ length: n }, (_, i) => i);
  const find = (i: number): number => (owner[i] === i ? i : find(owner[i]));
  for (let q = 0; q < n - k; q++) {
    const [x, y] = merges[order[q]];
    const rx = find(x);
    const ry = find(y);
    owner[Math.max(rx, ry)] = Math.min(rx, ry);
  }
  const label = new Map<number, number>();
  return Int32Array.from({ length: n }, (_, i) => {
    const r = find(i);
    if (!label.has(r)) label.set(r, label.size);
    return label.get(r)!;
  });
}

function randomDistances(n: number, seed: number, dim = 3): Float64Array {
  const pts = new Float64Array(n * dim);
  stream(key(seed)).fillNormal(pts);
  const D = new Float64Array(n * n);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let q = 0; q < dim; q++) s += (pts[i * dim + q] - pts[j * dim + q]) ** 2;
      D[i * n + j] = Math.sqrt(s);
    }
  return D;
}

describe("average linkage (nearest-neighbour chain)", () => {
  test.each([1, 2, 3, 4, 5, 6, 7, 8])(
    "matches the greedy algorithm of the reference on random points (seed %i)",
    (seed) => {
      const n = 25 + seed;
      const D = randomDistances(n, seed);
      for (const k of [1, 2, 3, 5, n])
        expect(Array.from(averageLinkage(D, n, k))).toEqual(Array.from(greedyAverageLinkage(D, n, k)));
    },
  );

  test("equals the chain that scans all n points, with many ties (quantised distances) and at heavy-task sizes", () => {
    for (const [n, seed, q] of [
      [60, 1, 0.5],
      [90, 2, 1],
      [200, 3, 0],
      [512, 4, 0.25],
    ] as const) {
      const D = randomDistances(n, seed, 4);
      if (q > 0) for (let i = 0; i < D.length; i++) D[i] = Math.round(D[i] / q) * q;
      for (const k of [1, 2, 7, 64, n]) {
        if (k > n) continue;
        expect(Array.from(averageLinkage(D, n, k))).toEqual(Array.from(chainOverAll(D, n, k)));
      }
    }
  });

  test("recovers well-separated blobs exactly, labels numbered by smallest member, D left unchanged", () => {
    const n = 12;
    const centre = [0, 10, 0, 20, 10, 20, 0, 10, 20, 0, 10, 20];
    const D = new Float64Array(n * n);
    for (let i = 0; i < n; i++)
      for (let j = 0; j < n; j++)
        D[i * n + j] = Math.abs(centre[i] - centre[j]) + (i === j ? 0 : 0.01 * ((i + j) % 3));
    const copy = D.slice();
    expect(Array.from(averageLinkage(D, n, 3))).toEqual([0, 1, 0, 2, 1, 2, 0, 1, 2, 0, 1, 2]);
    expect(Array.from(D)).toEqual(Array.from(copy));
  });

  test("k outside [1, n] is an error naming k", () => {
    expect(() => averageLinkage(new Float64Array(4), 2, 3)).toThrow(
      /"k" must be an integer in \[1, n = 2\]; got 3/,
    );
  });
});

describe("single linkage at a threshold", () => {
  test("clusters are the connected components of {H < threshold} (checked by graph search)", () => {
    const n = 40;
    const D = randomDistances(n, 11, 2);
    const thr = 0.6;
    const { labels, clusters } = singleLinkage(D, n, thr);
    // Oracle: depth-first search.
    const comp = new Int32Array(n).fill(-1);
    let c = 0;
    for (let s = 0; s < n; s++) {
      if (comp[s] >= 0) continue;
      const stack = [s];
      comp[s] = c;
      while (stack.length) {
        const i = stack.pop()!;
        for (let j = 0; j < n; j++)
          if (comp[j] < 0 && D[i * n + j] < thr) {
            comp[j] = c;
            stack.push(j);
          }
      }
      c++;
    }
    expect(clusters).toBe(c);
    expect(Array.from(labels)).toEqual(Array.from(comp));
  });

  test("negative H (an unbiased estimate can be < 0) links; |H| is what average linkage sees", () => {
    const H = Float64Array.from([0, -0.5, 3, -0.5, 0, 3, 3, 3, 0]);
    expect(singleLinkage(H, 3, 1).clusters).toBe(2);
    expect(Array.from(absolute(H))).toEqual([0, 0.5, 3, 0.5, 0, 3, 3, 3, 0]);
  });
});

describe("modal matching (official code's accuracy)", () => {
  test("matches each component to its modal cluster and averages the fractions", () => {
    const ids = Int32Array.from([0, 0, 0, 0, 1, 1, 1, 2, 2]);
    const labels = Int32Array.from([2, 2, 2, 0, 1, 1, 0, 0, 0]);
    const m = modalMatching(ids, labels, 3, 3);
    expect(Array.from(m.cmap)).toEqual([2, 1, 0]);
    expect(m.distinct).toBe(true);
    expect(m.accuracy).toBeCloseTo((3 / 4 + 2 / 3 + 1) / 3, 14);
    expect(matchedAccuracy(ids, labels, m.cmap, 3)).toBeCloseTo(m.accuracy, 14);
  });

  test("merged clusters (shared modes) give accuracy 0 and fewer clusters found", () => {
    const ids = Int32Array.from([0, 0, 1, 1, 2, 2]);
    const labels = Int32Array.from([0, 0, 0, 0, 1, 2]);
    const m = modalMatching(ids, labels, 3, 3);
    expect(m.distinct).toBe(false);
    expect(m.accuracy).toBe(0);
    expect(m.clustersFound).toBe(2);
  });

  test("component errors use the matching; unmatched components give null", () => {
    const W = fromRows([
      [1, 0],
      [0, 1],
    ]);
    const West = fromRows([
      [0, 1.1],
      [0.9, 0],
    ]);
    expect(matchedComponentError(West, W, Int32Array.from([1, 0]))).toBeCloseTo(0.1, 14);
    expect(matchedComponentError(West, W, Int32Array.from([1, -1]))).toBeNull();
  });
});
