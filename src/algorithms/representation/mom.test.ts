import { describe, expect, test } from "vitest";
import { eighSym } from "../../linalg/eigh.js";
import { gemm, syrkWeighted } from "../../linalg/gemm.js";
import { zeros } from "../../linalg/mat.js";
import { randn, TestRng } from "../../linalg/testing.js";
import { subspaceDistance } from "../../metrics/subspace.js";
import { type FewShotModel, sampleSourceTasks } from "../../models/fewShotTasks.js";
import type { MultiTaskData } from "../../models/multiTaskData.js";
import { key } from "../../rng/key.js";
import {
  MOM_BLOCK_ROWS,
  MomAccumulator,
  momEstimate,
  momFormsMatrix,
  momMatrix,
  momOperator,
  momStreamed,
} from "./mom.js";

/** M̂ = (1/N) Σ y² x xᵀ formed entry by entry: the independent oracle. */
function formMoments(data: MultiTaskData): Float64Array {
  const { d, X, y } = data;
  const N = y.length;
  const M = new Float64Array(d * d);
  for (let i = 0; i < N; i++)
    for (let a = 0; a < d; a++)
      for (let b = 0; b < d; b++) M[a * d + b] += (y[i] * y[i] * X[i * d + a] * X[i * d + b]) / N;
  return M;
}

describe("method of moments", () => {
  const src = sampleSourceTasks(
    { d: 30, k: 3, sigma: 0.5, heads: { kind: "gaussian", scale: 1 } },
    300,
    10,
    key(4),
  );

  test("the block operator equals (M̂ − sI)V with M̂ formed explicitly (3000 rows, chunk edges)", () => {
    const M = formMoments(src.data);
    const V = randn(30, 4, new TestRng(1));
    const out = zeros(30, 4);
    momOperator(src.data, 0.8)(V, out);
    for (let a = 0; a < 30; a++)
      for (let j = 0; j < 4; j++) {
        let ref = -0.8 * V.data[a * 4 + j];
        for (let b = 0; b < 30; b++) ref += M[a * 30 + b] * V.data[b * 4 + j];
        expect(out.data[a * 4 + j]).toBeCloseTo(ref, 11);
      }
  });

  test("B̂ spans the top-k eigenvectors of the formed M̂ (full eigh oracle): 1e-9 at eigTol 1e-12, 1e-4 by default", () => {
    const fit = momEstimate(src.data, 3, { eigTol: 1e-12 });
    expect(fit.converged).toBe(true);
    const { values, vectors } = eighSym({ rows: 30, cols: 30, data: formMoments(src.data) });
    const top = zeros(30, 3);
    for (let a = 0; a < 30; a++) for (let c = 0; c < 3; c++) top.data[a * 3 + c] = vectors.data[a * 30 + c];
    expect(subspaceDistance(fit.B, top)).toBeLessThan(1e-9);
    for (let c = 0; c < 3; c++) expect(fit.info[`eigenvalue${c + 1}`]).toBeCloseTo(values[c], 10);
    expect(subspaceDistance(momEstimate(src.data, 3).B, top)).toBeLessThan(1e-4);
  });

  test("its top eigenvalues match E M̂ = 2B*ΛB*ᵀ + (tr Λ + σ²)I, Λ = W*ᵀW*/T (N = 200000, 3%)", () => {
    const big = sampleSourceTasks(
      { d: 10, k: 2, sigma: 0.5, heads: { kind: "condition", scale: 1, kappa: 2 } },
      4000,
      50,
      key(9),
    );
    const fit = momEstimate(big.data, 2);
    const L = gemm(true, false, 1 / 4000, big.W, big.W, 0, zeros(2, 2));
    const lam = eighSym(L).values;
    const iso = lam[0] + lam[1] + 0.25;
    expect(fit.info.eigenvalue1! / (2 * lam[0] + iso)).toBeCloseTo(1, 1);
    expect(Math.abs(fit.info.eigenvalue1! / (2 * lam[0] + iso) - 1)).toBeLessThan(0.03);
    expect(Math.abs(fit.info.eigenvalue2! / (2 * lam[1] + iso) - 1)).toBeLessThan(0.03);
    expect(subspaceDistance(fit.B, big.Bstar)).toBeLessThan(0.1);
  });

  test("the cost rule forms M̂ for many rows and iterates for few rows or k tiny next to d", () => {
    expect(momFormsMatrix(160_000, 100, 5)).toBe(true);
    expect(momFormsMatrix(3000, 30, 3)).toBe(true);
    expect(momFormsMatrix(40, 30, 3)).toBe(false);
    expect(momFormsMatrix(1_000_000, 1000, 2)).toBe(false);
  });

  test("the iterative path (few rows) and the formed path both give the top-k eigenvectors of M̂", () => {
    const few = sampleSourceTasks(
      { d: 30, k: 3, sigma: 0.5, heads: { kind: "gaussian", scale: 1 } },
      8,
      5,
      key(6),
    );
    expect(momFormsMatrix(40, 30, 3)).toBe(false);
    const { values, vectors } = eighSym({ rows: 30, cols: 30, data: formMoments(few.data) });
    const top = zeros(30, 3);
    for (let a = 0; a < 30; a++) for (let c = 0; c < 3; c++) top.data[a * 3 + c] = vectors.data[a * 30 + c];
    const fit = momEstimate(few.data, 3, { eigTol: 1e-12 });
    expect(fit.iterations).toBeGreaterThan(0);
    expect(subspaceDistance(fit.B, top)).toBeLessThan(1e-8);
    const formed = momMatrix(few.data).estimate(3);
    expect(subspaceDistance(formed.B, top)).toBeLessThan(1e-10);
    for (let c = 0; c < 3; c++) expect(formed.info[`eigenvalue${c + 1}`]).toBeCloseTo(values[c], 11);
    // The formed M̂ is exactly symmetric and equals the entrywise oracle to rounding.
    const M = momMatrix(few.data).M;
    const ref = formMoments(few.data);
    for (let a = 0; a < 30; a++)
      for (let b = 0; b < 30; b++) {
        expect(M.data[a * 30 + b]).toBe(M.data[b * 30 + a]);
        expect(Math.abs(M.data[a * 30 + b] - ref[a * 30 + b])).toBeLessThan(
          1e-12 * (1 + Math.abs(ref[a * 30 + b])),
        );
      }
  });

  test("MoM from streamed rows equals MoM from the held X to 1e-12 on the same draws", () => {
    const model: FewShotModel = { d: 40, k: 4, sigma: 1, heads: { kind: "scaled", scale: 1 } };
    const held = sampleSourceTasks(model, 700, 25, key(12));
    const fromHeld = momEstimate(held.data, 4);
    expect(fromHeld.iterations).toBe(0); // the formed path: 17500 rows
    // Chunks of 1000 rows (40 tasks) here against 4096-row chunks of the held path: other chunk edges.
    const streamed = momStreamed(model, 700, 25, key(12), { chunkRows: 1000 });
    expect(Array.from(streamed.Bstar.data)).toEqual(Array.from(held.Bstar.data));
    expect(Array.from(streamed.W.data)).toEqual(Array.from(held.W.data));
    let diff = 0;
    for (let i = 0; i < fromHeld.B.data.length; i++)
      diff = Math.max(diff, Math.abs(fromHeld.B.data[i] - streamed.fit.B.data[i]));
    expect(diff).toBeLessThan(1e-12);
    for (let c = 1; c <= 4; c++) {
      const a = fromHeld.info[`eigenvalue${c}`]!;
      expect(Math.abs(streamed.fit.info[`eigenvalue${c}`]! - a)).toBeLessThan(1e-12 * a);
    }
    expect(Math.abs(streamed.fit.info.shift! - fromHeld.info.shift!)).toBeLessThan(1e-12);
  });

  test("a MoM-only run at n1·T = 1.92 M rows, d = 100 allocates no N × d array (largest buffer: one chunk)", () => {
    const model: FewShotModel = { d: 100, k: 5, sigma: 1, heads: { kind: "scaled", scale: 1 } };
    const T = 6400;
    const n1 = 300;
    let largest = 0;
    let count = 0;
    const { fit, Bstar } = momStreamed(model, T, n1, key(3), {
      onAllocate: (length) => {
        largest = Math.max(largest, length);
        count++;
      },
    });
    expect(count).toBeGreaterThan(0);
    // 4096-row chunks hold 13 tasks of 300 rows: 3900 × 100 doubles, against N·d = 192 000 000.
    expect(largest).toBe(13 * n1 * 100);
    expect(largest).toBeLessThan((T * n1 * 100) / 100);
    // The estimate is the real one: at 1.92 M rows MoM's sin θ is small.
    expect(subspaceDistance(fit.B, Bstar)).toBeLessThan(0.1);
  });
});

describe("M̂ from rows held in JS, in blocks", () => {
  test("equals one kernel call over all the rows, bit for bit (blocks of a multiple of GEMM_KC rows)", () => {
    const rng = new TestRng(17);
    const d = 13;
    const rows = 2 * MOM_BLOCK_ROWS + 301; // not a multiple of the block nor of GEMM_KC
    const X = randn(rows, d, rng).data;
    const y = randn(rows, 1, rng).data;
    const acc = new MomAccumulator(d, rows);
    acc.add(X, y, rows);
    // The old path: one weighted rank-N update over every row.
    const w = Float64Array.from(y, (v) => (v * v) / rows);
    const M = syrkWeighted(1, { rows, cols: d, data: X, offset: 0, stride: d }, w, 1, zeros(d, d));
    expect(Buffer.from(acc.M.data.buffer).equals(Buffer.from(M.data.buffer))).toBe(true);
    // The fixture is meaningful: more than one block, and the blocks' sums are not all equal.
    expect(rows).toBeGreaterThan(2 * MOM_BLOCK_ROWS);
    expect(acc.M.data[0]).toBeGreaterThan(0);
  });

  test("MomAccumulator.prefix: M̂ of the first N rows read off a pass announced with 4N rows has the bits of a pass over N", () => {
    const rng = new TestRng(31);
    const d = 7;
    const X = randn(1024, d, rng).data;
    const y = randn(1, 1024, rng).data;
    const own = new MomAccumulator(d, 256);
    own.add(X, y, 256);
    const big = new MomAccumulator(d, 1024);
    big.add(X, y, 256);
    const prefix = big.prefix(256);
    expect(Array.from(prefix.M.data)).toEqual(Array.from(own.M.data));
    expect(prefix.shift()).toBe(own.shift());
    expect(prefix.estimate(2).B.data).toEqual(own.estimate(2).B.data);
    // 1024 / 384 is not a power of two, and 256 rows are not 300.
    const third = new MomAccumulator(d, 1152);
    third.add(X, y, 384);
    expect(() => third.prefix(384)).toThrow(/power of two/);
    expect(() => big.prefix(300)).toThrow(/needs all of N = 300 rows added \(256 were\)/);
  });
});
