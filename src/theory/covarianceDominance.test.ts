import { describe, expect, test } from "vitest";
import { fromRows, identity, type Mat, matFrom, zeros } from "../linalg/mat.js";
import { orthonormalize } from "../linalg/qr.js";
import { key } from "../rng/key.js";
import { stream } from "../rng/stream.js";
import { covarianceDominance, diagonalCovarianceDominance } from "./covarianceDominance.js";
import { duBound, duRepresentationTerm } from "./duBound.js";

/** Q diag(v) Qᵀ for a random orthonormal Q (seeded). */
function rotated(v: number[], seed: number): Mat {
  const d = v.length;
  const G = zeros(d, d);
  stream(key(seed)).fillNormal(G.data);
  const Q = orthonormalize(G);
  const A = zeros(d, d);
  for (let i = 0; i < d; i++)
    for (let j = 0; j < d; j++) {
      let acc = 0;
      for (let c = 0; c < d; c++) acc += Q.data[i * d + c] * v[c] * Q.data[j * d + c];
      A.data[i * d + j] = acc;
    }
  // Exact symmetry (the products round differently above and below the diagonal).
  for (let i = 0; i < d; i++) for (let j = 0; j < i; j++) A.data[i * d + j] = A.data[j * d + i];
  return A;
}

const diag = (v: number[]) => {
  const A = zeros(v.length, v.length);
  v.forEach((x, i) => {
    A.data[i * v.length + i] = x;
  });
  return A;
};

describe("the covariance-dominance factor c (largest c with c·Σ_tgt ⪯ Σ_src)", () => {
  test("c = 1 for identical covariances (identity, diagonal, and a rotated full matrix)", () => {
    expect(covarianceDominance(identity(4), identity(4))).toBeCloseTo(1, 14);
    expect(diagonalCovarianceDominance([3, 1, 0.2], [3, 1, 0.2])).toBe(1);
    const S = rotated([4, 2, 1, 0.5, 0.1], 7);
    expect(covarianceDominance(S, S)).toBeCloseTo(1, 10);
  });

  test("diagonal cases against the closed form min_i λ_src,i/λ_tgt,i", () => {
    const src = [1, 2, 0.5, 4];
    const tgt = [2, 1, 1, 0.5];
    const closed = Math.min(1 / 2, 2 / 1, 0.5 / 1, 4 / 0.5); // 0.5
    expect(diagonalCovarianceDominance(src, tgt)).toBe(closed);
    expect(covarianceDominance(diag(src), diag(tgt))).toBeCloseTo(closed, 14);
    // Scaling: c(aΣ_src, bΣ_tgt) = (a/b)·c; a target with twice the variance everywhere has c = 1/2.
    expect(diagonalCovarianceDominance([1, 1, 1], [2, 2, 2])).toBe(0.5);
  });

  test("c is invariant to a common rotation, and c·Σ_tgt ⪯ Σ_src holds with equality in one direction", () => {
    const src = [4, 2, 1, 0.5];
    const tgt = [0.5, 1, 2, 4];
    const c = covarianceDominance(rotated(src, 3), rotated(tgt, 3));
    expect(c).toBeCloseTo(diagonalCovarianceDominance(src, tgt), 10); // 0.5/4 = 0.125
    expect(c).toBeCloseTo(0.125, 10);
  });

  test("bad covariances are one-line errors naming the parameter, the constraint and the value", () => {
    expect(() => covarianceDominance(identity(3), identity(2))).toThrow(
      'covariance dominance: "cov_tgt" must be a 3 × 3 matrix; got "2 × 2".',
    );
    expect(() =>
      covarianceDominance(
        fromRows([
          [1, 2],
          [2, 1],
        ]),
        identity(2),
      ),
    ).toThrow(
      /covariance dominance: "cov_src" must be positive definite; got "smallest eigenvalue -1(\.0+\d*)?"\./,
    );
    expect(() => covarianceDominance(identity(2), matFrom(2, 2, Float64Array.from([1, 0.5, 0, 1])))).toThrow(
      /"cov_tgt" must be symmetric/,
    );
    expect(() => diagonalCovarianceDominance([1, 1], [1, 0])).toThrow(
      'covariance dominance: "cov_tgt" must be positive definite: every variance finite and > 0 (entry 1); got 0.',
    );
    expect(() => diagonalCovarianceDominance([1, 1], [1, 1, 1])).toThrow(
      'covariance dominance: "cov_tgt" must list d = 2 variances (a diagonal covariance); got "3 values".',
    );
  });

  test("the c-corrected bound dk/(c·n1·T) + k/n2 reduces to Du et al.'s for c = 1", () => {
    const p = { d: 20, k: 3, n1: 25, T: 400, n2: 30 };
    expect(duBound({ ...p, c: 1 })).toBe(duBound(p));
    expect(duBound({ ...p, c: 0.25 })).toBeCloseTo(4 * 0.006 + 0.1, 14);
    expect(duRepresentationTerm(20, 3, 25, 400, 0.5)).toBeCloseTo(0.012, 15);
  });
});
