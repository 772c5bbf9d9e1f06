import { describe, expect, test } from "vitest";
import { solveSPD } from "../../linalg/cholesky.js";
import { gemm, pinned, release } from "../../linalg/gemm.js";
import { lstsq } from "../../linalg/lstsq.js";
import { type Mat, matFrom, zeros } from "../../linalg/mat.js";
import { orthonormalize } from "../../linalg/qr.js";
import { randn, TestRng } from "../../linalg/testing.js";
import { f64, kernels, reserve } from "../../linalg/wasm/kernels.js";
import type { MultiTaskData } from "../../models/multiTaskData.js";
import {
  fitHead,
  headScratch,
  pinnedTaskHeads,
  projectRows,
  solveHead,
  solveHeadPrefixes,
  taskHeads,
  transposeBasis,
} from "./heads.js";

const rng = new TestRng(17);

describe("least-squares heads on a frozen representation", () => {
  const d = 7;
  const k = 3;
  const B = orthonormalize(randn(d, k, rng));

  test("agree with SVD least squares on XB (independent oracle), to 1e-12", () => {
    const X = randn(12, d, rng);
    const y = randn(12, 1, rng).data;
    const A = gemm(false, false, 1, X, B, 0, zeros(12, k));
    const ref = lstsq(A, y).x;
    const w = fitHead(X.data, y, 12, B);
    for (let c = 0; c < k; c++) expect(w[c]).toBeCloseTo(ref[c], 12);
  });

  test("ridge solves (AᵀA + λI)w = Aᵀy", () => {
    const X = randn(10, d, rng);
    const y = randn(10, 1, rng).data;
    const A = gemm(false, false, 1, X, B, 0, zeros(10, k));
    const G = gemm(true, false, 1, A, A, 0, zeros(k, k));
    for (let c = 0; c < k; c++) G.data[c * k + c] += 0.7;
    const rhs = gemm(true, false, 1, A, matFrom(10, 1, y), 0, zeros(k, 1)).data;
    const ref = solveSPD(G, rhs);
    const w = fitHead(X.data, y, 10, B, 0.7);
    for (let c = 0; c < k; c++) expect(w[c]).toBeCloseTo(ref[c], 12);
  });

  test("fewer rows than k give the minimum-norm solution (as lstsq), not a crash", () => {
    const X = randn(2, d, rng);
    const y = randn(2, 1, rng).data;
    const A = gemm(false, false, 1, X, B, 0, zeros(2, k));
    const ref = lstsq(A, y).x;
    const w = fitHead(X.data, y, 2, B);
    for (let c = 0; c < k; c++) expect(w[c]).toBeCloseTo(ref[c], 10);
  });

  test("taskHeads fits each task on its own rows (ragged tasks)", () => {
    const X = randn(15, d, rng);
    const y = randn(15, 1, rng).data;
    const start = Int32Array.from([0, 4, 11, 15]);
    const W = taskHeads({ d, tasks: 3, start, X: X.data, y }, B);
    for (let t = 0; t < 3; t++) {
      const n = start[t + 1] - start[t];
      const w = fitHead(X.data.slice(start[t] * d, start[t + 1] * d), y.slice(start[t], start[t + 1]), n, B);
      for (let c = 0; c < k; c++) expect(W.data[t * k + c]).toBeCloseTo(w[c], 13);
    }
  });

  test("solveHeadPrefixes: each leading row count's head is bit for bit solveHead's (odd and even k, ridge), and with fewer rows than k its minimum-norm head to 1e-12", () => {
    for (const kk of [1, 2, 3, 4, 5, 8]) {
      const n = 17;
      const A = randn(n, kk, rng).data;
      const y = randn(n, 1, rng).data;
      const ns = [1, 2, kk, kk + 3, n]
        .filter((v, i, a) => v <= n && a.indexOf(v) === i)
        .sort((a, b) => a - b);
      for (const ridge of [0, 0.25]) {
        const w = ns.map(() => new Float64Array(kk));
        solveHeadPrefixes(A, y, 0, ns, kk, ridge, headScratch(n, kk), w);
        ns.forEach((m, q) => {
          const s = headScratch(m, kk);
          s.A.set(A.subarray(0, m * kk));
          const alone = new Float64Array(kk);
          solveHead(y, 0, m, kk, ridge, s, alone, 0);
          if (ridge > 0 || m >= kk) expect(Array.from(w[q])).toEqual(Array.from(alone));
          else {
            // Fewer rows than k, no ridge: the minimum-norm head in its dual form (an m × m
            // Cholesky), solveHead's by SVD (lstsq) to 1e-12 relative.
            const scale = Math.max(...Array.from(alone, Math.abs));
            for (let c = 0; c < kk; c++)
              expect(Math.abs(w[q][c] - alone[c])).toBeLessThanOrEqual(1e-12 * scale);
          }
        });
      }
    }
  });

  test("the kernel module's projectRows is the JS loop bit for bit (odd and even d and k)", () => {
    for (const dd of [1, 2, 5, 20, 21]) {
      for (const kk of [1, 2, 3, 4, 7]) {
        const n = 9;
        const X = randn(n, dd, rng).data;
        const Bt = transposeBasis(randn(dd, kk, rng));
        const js = new Float64Array(n * kk);
        projectRows(X, 0, n, dd, Bt, kk, js);
        const at = reserve(8 * (n * dd + kk * dd + n * kk));
        const mem = f64();
        mem.set(X, at / 8);
        mem.set(Bt, at / 8 + n * dd);
        const out = at + 8 * (n * dd + kk * dd);
        kernels().exports.projectRows(at, n, dd, at + 8 * n * dd, kk, out);
        expect(Array.from(f64().subarray(out / 8, out / 8 + n * kk))).toEqual(Array.from(js));
      }
    }
  });
});

describe("the heads' projections X B in the kernel module", () => {
  /** `taskHeads` as it was in JS: `projectRows` then `solveHead`, task by task. */
  function taskHeadsJs(data: MultiTaskData, B: Mat): Float64Array {
    const { d, tasks, start, X, y } = data;
    const k = B.cols;
    const Bt = transposeBasis(B);
    const s = headScratch(X.length / d, k);
    const W = new Float64Array(tasks * k);
    for (let t = 0; t < tasks; t++) {
      const n = start[t + 1] - start[t];
      projectRows(X, start[t], n, d, Bt, k, s.A);
      solveHead(y, start[t], n, k, 0, s, W, t * k);
    }
    return W;
  }

  function ragged(d: number, sizes: number[], r: TestRng): MultiTaskData {
    const start = new Int32Array(sizes.length + 1);
    for (let t = 0; t < sizes.length; t++) start[t + 1] = start[t] + sizes[t];
    const N = start[sizes.length];
    return { d, tasks: sizes.length, start, X: randn(N, d, r).data, y: randn(N, 1, r).data };
  }

  test("taskHeads gives the JS projection's bits for odd and even d and k, ragged tasks, n < k", () => {
    const r = new TestRng(23);
    for (const d of [1, 2, 5, 8, 13]) {
      for (const k of [1, 2, 3, 4, 5]) {
        if (k > d) continue;
        const data = ragged(d, [1, 7, 12, 3, 30, 9], r);
        const B = orthonormalize(randn(d, k, r));
        const want = taskHeadsJs(data, B);
        const got = taskHeads(data, B).data;
        for (let i = 0; i < want.length; i++)
          expect(Object.is(got[i], want[i]), `d=${d} k=${k} [${i}]`).toBe(true);
      }
    }
  });

  test("over several blocks (more row entries than one copy into the kernel memory), the same bits", () => {
    const r = new TestRng(29);
    // 300 tasks × 20 rows × d = 50: 300,000 row entries, more than one block of 2^18.
    const data = ragged(
      50,
      Array.from({ length: 300 }, () => 20),
      r,
    );
    const B = orthonormalize(randn(50, 5, r));
    const want = taskHeadsJs(data, B);
    const got = taskHeads(data, B).data;
    for (let i = 0; i < want.length; i++) expect(Object.is(got[i], want[i])).toBe(true);
  });

  test("pinnedTaskHeads, on rows pinned in the kernel memory, equals taskHeads on the same rows", () => {
    const r = new TestRng(37);
    const data = ragged(13, [4, 9, 9, 2, 15], r);
    const B = orthonormalize(randn(13, 3, r));
    const want = taskHeads(data, B).data;
    const X = pinned(matFrom(data.start[5], 13, data.X));
    try {
      // Written from task 2 on of a larger W, as a streamed chunk's first task would be.
      const W = zeros(7, 3);
      pinnedTaskHeads(X, data.y, data.start, B, W, 2);
      for (let i = 0; i < want.length; i++) expect(Object.is(W.data[6 + i], want[i])).toBe(true);
      for (let i = 0; i < 6; i++) expect(W.data[i]).toBe(0);
    } finally {
      release(X);
    }
  });
});
