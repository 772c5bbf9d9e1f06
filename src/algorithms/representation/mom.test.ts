import { describe, expect, test } from "vitest";
import { eighSym } from "../../linalg/eigh.js";
import { gemm } from "../../linalg/gemm.js";
import { zeros } from "../../linalg/mat.js";
import { randn, TestRng } from "../../linalg/testing.js";
import { subspaceDistance } from "../../metrics/subspace.js";
import { sampleSourceTasks } from "../../models/fewShotTasks.js";
import type { MultiTaskData } from "../../models/multiTaskData.js";
import { key } from "../../rng/key.js";
import { momEstimate, momOperator } from "./mom.js";

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
});
