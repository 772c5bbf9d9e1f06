import { describe, expect, test } from "vitest";
import { ParamError } from "../../errors.js";
import { eighSym } from "../../linalg/eigh.js";
import { fromRows, type Mat, zeros } from "../../linalg/mat.js";
import { orthonormalize } from "../../linalg/qr.js";
import { principalAngles } from "../../metrics/subspace.js";
import {
  linearMixtureTruth,
  type MixtureTaskBatch,
  makeMixture,
  sampleComponents,
  sampleMixtureTasks,
} from "../../models/mixedLinearRegression.js";
import { key } from "../../rng/key.js";
import { halfMoments, momentSubspace, subspaceResidualError } from "./subspace.js";

function rowsOf(W: Mat): Mat {
  // d×k matrix whose columns are the rows of W.
  const out = zeros(W.cols, W.rows);
  for (let l = 0; l < W.rows; l++)
    for (let i = 0; i < W.cols; i++) out.data[i * W.rows + l] = W.data[l * W.cols + i];
  return out;
}

describe("half-sample moments", () => {
  test("β̂ on each half is the average of y·x over that half (first ⌊t/2⌋ examples, then the rest)", () => {
    const mix = makeMixture(sampleComponents(key(1), 5, 2, "orthonormal"), 1);
    const b = sampleMixtureTasks(mix, 3, 5, key(2));
    const { B1, B2 } = halfMoments(b);
    for (let i = 0; i < 3; i++)
      for (let q = 0; q < 5; q++) {
        let s1 = 0;
        let s2 = 0;
        for (let j = 0; j < 2; j++) s1 += b.y[i * 5 + j] * b.X[(i * 5 + j) * 5 + q];
        for (let j = 2; j < 5; j++) s2 += b.y[i * 5 + j] * b.X[(i * 5 + j) * 5 + q];
        expect(B1.data[i * 5 + q]).toBeCloseTo(s1 / 2, 13);
        expect(B2.data[i * 5 + q]).toBeCloseTo(s2 / 3, 13);
      }
  });

  test("with 2 examples per task (one per half) the subspace error falls like n^(-1/2)", () => {
    const W = sampleComponents(key(3), 12, 3, "orthonormal");
    const truth = linearMixtureTruth(makeMixture(W, 1));
    const mix = makeMixture(W, 1);
    const errs = [4000, 64000].map((n) =>
      subspaceResidualError(momentSubspace(sampleMixtureTasks(mix, n, 2, key(n)), 3).U, truth.V, truth.rho),
    );
    expect(errs[1]).toBeLessThan(0.15);
    // Error ∝ n^{-1/2}: 16× the tasks, about 1/4 of the error.
    expect(errs[1] / errs[0]).toBeLessThan(0.4);
  });
});

describe("moment subspace", () => {
  const W = sampleComponents(key(4), 40, 4, "orthonormal");
  const mix = makeMixture(W, 1);
  const batch = sampleMixtureTasks(mix, 6000, 8, key(5));

  test("the matrix and operator modes give the same subspace (to 1e-7) and eigenvalues", () => {
    const a = momentSubspace(batch, 4, { mode: "matrix" });
    const b = momentSubspace(batch, 4, { mode: "operator" });
    expect(Math.max(...principalAngles(a.U, b.U))).toBeLessThan(1e-7);
    for (let i = 0; i < 4; i++) expect(b.values[i]).toBeCloseTo(a.values[i], 9);
    expect(a.converged && b.converged).toBe(true);
  });

  test("with uniform p and orthonormal components, the kept eigenvalues are ≈ 1/k", () => {
    const { values } = momentSubspace(batch, 4);
    for (const v of values) expect(Math.abs(v - 0.25)).toBeLessThan(0.05);
  });

  test("the eigenvectors are those of M̂ = (B₁ᵀB₂ + B₂ᵀB₁)/2n computed independently (full eigh)", () => {
    const small = sampleMixtureTasks(mix, 500, 4, key(6));
    const { B1, B2 } = halfMoments(small);
    const d = 40;
    const M = zeros(d, d);
    for (let i = 0; i < 500; i++)
      for (let a = 0; a < d; a++)
        for (let c = 0; c < d; c++)
          M.data[a * d + c] +=
            (B1.data[i * d + a] * B2.data[i * d + c] + B2.data[i * d + a] * B1.data[i * d + c]) / 1000;
    const full = eighSym(M);
    const order = Array.from(full.values, (v, i) => [Math.abs(v), i]).sort((x, y) => y[0] - x[0]);
    const top = zeros(d, 4);
    for (let c = 0; c < 4; c++)
      for (let r = 0; r < d; r++) top.data[r * 4 + c] = full.vectors.data[r * d + order[c][1]];
    expect(Math.max(...principalAngles(momentSubspace(small, 4).U, top))).toBeLessThan(1e-6);
  });

  test("order: by |λ| keeps a large negative eigenvalue that 'algebraic' skips", () => {
    // One task, two examples: b₁ = y₁x₁ = e₀, b₂ = y₂x₂ = −e₀ + ½e₁, so M̂ = (b₁b₂ᵀ + b₂b₁ᵀ)/2
    // has eigenvalues (b₁·b₂ ± ‖b₁‖‖b₂‖)/2 = −1.059… and +0.059….
    const b: MixtureTaskBatch = {
      n: 1,
      t: 2,
      d: 3,
      X: Float64Array.from([1, 0, 0, -1, 0.5, 0]),
      y: Float64Array.from([1, 1]),
      ids: Int32Array.from([0]),
    };
    const mag = momentSubspace(b, 1, { order: "magnitude" });
    const alg = momentSubspace(b, 1, { order: "algebraic" });
    const lo = (-1 - Math.sqrt(1.25)) / 2;
    const hi = (-1 + Math.sqrt(1.25)) / 2;
    expect(mag.values[0]).toBeCloseTo(lo, 12);
    expect(alg.values[0]).toBeCloseTo(hi, 12);
  });

  test("bad input: k ≥ d and fewer than 2 examples per light task are one-line errors", () => {
    expect(() => momentSubspace(batch, 40)).toThrow(ParamError);
    expect(() => momentSubspace(batch, 40)).toThrow(/"k" must be < d \(= 40\); got 40/);
    const one = sampleMixtureTasks(mix, 10, 1, key(7));
    expect(() => momentSubspace(one, 2)).toThrow(
      /"t" must be ≥ 2 examples per light task \(two halves\); got 1/,
    );
  });
});

describe("subspace error max_ℓ ‖(I − ÛÛᵀ)w_ℓ‖/ρ", () => {
  const W = sampleComponents(key(8), 9, 3, "orthonormal");

  test("is 0 when Û spans the components, and invariant to a rotation of Û's columns", () => {
    const U = orthonormalize(rowsOf(W));
    expect(subspaceResidualError(U, W, Math.SQRT2)).toBeLessThan(1e-14);
    const R = orthonormalize(
      fromRows([
        [1, 2, 0],
        [0, 1, 3],
        [2, 0, 1],
      ]),
    );
    const UR = zeros(9, 3);
    for (let i = 0; i < 9; i++)
      for (let c = 0; c < 3; c++)
        for (let a = 0; a < 3; a++) UR.data[i * 3 + c] += U.data[i * 3 + a] * R.data[a * 3 + c];
    const Up = orthonormalize(
      fromRows([
        [1, 0, 0],
        [0, 1, 0],
        [0, 0, 1],
        [1, 1, 0],
        [0, 0, 0],
        [0, 0, 0],
        [0, 0, 0],
        [0, 0, 0],
        [0, 1, 1],
      ]),
    );
    expect(subspaceResidualError(UR, W, 2)).toBeLessThan(1e-14);
    // A generic Û: rotating its columns changes nothing.
    const UpR = zeros(9, 3);
    for (let i = 0; i < 9; i++)
      for (let c = 0; c < 3; c++)
        for (let a = 0; a < 3; a++) UpR.data[i * 3 + c] += Up.data[i * 3 + a] * R.data[a * 3 + c];
    expect(subspaceResidualError(UpR, W, 2)).toBeCloseTo(subspaceResidualError(Up, W, 2), 13);
  });

  test("for one component it is ‖w‖ sin θ / ρ, θ the principal angle between w and col(Û)", () => {
    const w = fromRows([[3, 4, 0, 0, 0]]);
    const U = orthonormalize(
      fromRows([
        [1, 0],
        [0, 0],
        [0, 1],
        [1, 0],
        [0, 1],
      ]),
    );
    const wcol = fromRows([[3], [4], [0], [0], [0]]);
    const theta = principalAngles(wcol, U)[0];
    expect(subspaceResidualError(U, w, 2)).toBeCloseTo((5 * Math.sin(theta)) / 2, 12);
  });
});
