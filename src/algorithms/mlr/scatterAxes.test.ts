import { describe, expect, test } from "vitest";
import { ParamError } from "../../errors.js";
import { type Mat, matFrom } from "../../linalg/mat.js";
import { key } from "../../rng/key.js";
import { fillNormal } from "../../rng/stream.js";
import { orientAxes, principalPlane, separatingPlane } from "./scatterAxes.js";

/** `per` points around each of the given means (rows of M, g×k), isotropic noise of std `noise`. */
function groups(M: number[][], per: number, noise: number, seed: number): { A: Mat; labels: Int32Array } {
  const k = M[0].length;
  const n = M.length * per;
  const data = fillNormal(key(seed), new Float64Array(n * k));
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const g = Math.floor(i / per);
    labels[i] = g;
    for (let a = 0; a < k; a++) data[i * k + a] = M[g][a] + noise * data[i * k + a];
  }
  return { A: matFrom(n, k, data), labels };
}

const col = (P: Mat, j: number) => Float64Array.from({ length: P.rows }, (_, a) => P.data[a * P.cols + j]);
const dot = (u: ArrayLike<number>, v: ArrayLike<number>) => {
  let s = 0;
  for (let a = 0; a < u.length; a++) s += u[a] * v[a];
  return s;
};

/** Pairwise distances of the rows of M after projecting on the two columns of P. */
function projectedDistances(M: number[][], P: Mat): number[] {
  const pts = M.map((m) => [dot(m, col(P, 0)), dot(m, col(P, 1))]);
  const out: number[] = [];
  for (let g = 0; g < pts.length; g++)
    for (let h = g + 1; h < pts.length; h++)
      out.push(Math.hypot(pts[g][0] - pts[h][0], pts[g][1] - pts[h][1]));
  return out;
}

function expectOrthonormal(P: Mat): void {
  expect(P.cols).toBe(2);
  expect(dot(col(P, 0), col(P, 0))).toBeCloseTo(1, 12);
  expect(dot(col(P, 1), col(P, 1))).toBeCloseTo(1, 12);
  expect(dot(col(P, 0), col(P, 1))).toBeCloseTo(0, 12);
}

const simplex = [
  [1, 0, 0, 0],
  [0, 1, 0, 0],
  [0, 0, 1, 0],
  [0, 0, 0, 1],
];

describe("scatter axes", () => {
  test("the principal plane of points with variances 9, 4, 1, 0.25 along the coordinates is span(e₁, e₂)", () => {
    const { A } = groups([[0, 0, 0, 0]], 4000, 1, 1);
    const s = [3, 2, 1, 0.5];
    for (let i = 0; i < A.rows; i++) for (let a = 0; a < 4; a++) A.data[i * 4 + a] *= s[a];
    const P = principalPlane(A);
    expectOrthonormal(P);
    // Squared length of the projection of e₁ and e₂ onto the plane.
    for (const a of [0, 1]) expect(P.data[a * 2] ** 2 + P.data[a * 2 + 1] ** 2).toBeGreaterThan(0.99);
  });

  test("for a regular simplex (4 orthonormal means) the separating plane is the square view: every pair ≥ 0.95·edge/√2 apart", () => {
    const { A, labels } = groups(simplex, 50, 0.05, 2);
    const P = separatingPlane(A, labels, 4);
    expectOrthonormal(P);
    const dist = projectedDistances(simplex, P);
    // The square view keeps 4 edges at edge/√2 = 1 and 2 at full length √2; no view does better.
    expect(Math.min(...dist)).toBeGreaterThan(0.95);
    expect(dist.filter((x) => x > 1.35)).toHaveLength(2);
  });

  test("on 10 noisy simplices the separating plane keeps every pair ≥ 0.85 apart, where the principal plane often squeezes one", () => {
    let strictlyBetter = 0;
    for (let seed = 0; seed < 10; seed++) {
      const { A, labels } = groups(simplex, 30, 0.3, 100 + seed);
      const minSep = Math.min(...projectedDistances(simplex, separatingPlane(A, labels, 4)));
      const minPca = Math.min(...projectedDistances(simplex, principalPlane(A)));
      expect(minSep).toBeGreaterThan(0.85);
      if (minSep > minPca + 0.05) strictlyBetter++;
    }
    // The principal plane of an isotropic simplex is a random view: it often squeezes a pair.
    expect(strictlyBetter).toBeGreaterThanOrEqual(3);
  });

  test("with two groups the separating plane holds their difference and, beside it, the most variance", () => {
    // Means differ along e₄; among the rest, e₂ has the most variance.
    const { A, labels } = groups(
      [
        [0, 0, 0, 0],
        [0, 0, 0, 4],
      ],
      500,
      0.1,
      3,
    );
    for (let i = 0; i < A.rows; i++) A.data[i * 4 + 1] *= 10;
    const P = separatingPlane(A, labels, 2);
    expectOrthonormal(P);
    expect(P.data[3 * 2] ** 2 + P.data[3 * 2 + 1] ** 2).toBeGreaterThan(0.999);
    expect(P.data[1 * 2] ** 2 + P.data[1 * 2 + 1] ** 2).toBeGreaterThan(0.999);
  });

  test("fewer than two groups give the principal plane; labels outside 0..c−1 are ignored", () => {
    const { A } = groups(simplex, 20, 0.2, 4);
    const one = new Int32Array(A.rows);
    expect(separatingPlane(A, one, 1).data).toEqual(principalPlane(A).data);
    const outside = Int32Array.from(one, (_, i) => (i % 2 === 0 ? 0 : -1));
    expect(separatingPlane(A, outside, 1).data).toEqual(principalPlane(A).data);
  });

  test("oriented axes: orthonormal, in the plane, axis 1 with the most variance, third moment ≥ 0 on each", () => {
    // Skewed data: a big group and a small one far out along −e₁, −e₂.
    const { A, labels } = groups(
      [
        [0, 0, 0],
        [-3, -1, 0],
        [0, 2, 0],
      ],
      40,
      0.3,
      5,
    );
    for (let i = 0; i < 40; i++) labels[i] = 0;
    const P = separatingPlane(A, labels, 3);
    const { axes, planeVariance } = orientAxes(A, P);
    const [e1, e2] = axes;
    expect(dot(e1, e1)).toBeCloseTo(1, 12);
    expect(dot(e2, e2)).toBeCloseTo(1, 12);
    expect(dot(e1, e2)).toBeCloseTo(0, 12);
    // In the plane: projecting onto P changes nothing.
    for (const e of axes) {
      const back = [0, 1].map((j) => dot(e, col(P, j)));
      expect(back[0] ** 2 + back[1] ** 2).toBeCloseTo(1, 12);
    }
    const coords = (e: Float64Array) =>
      Array.from({ length: A.rows }, (_, i) => dot(A.data.subarray(i * 3, i * 3 + 3), e));
    const moments = (z: number[]) => {
      const m = z.reduce((s, v) => s + v, 0) / z.length;
      return [z.reduce((s, v) => s + (v - m) ** 2, 0), z.reduce((s, v) => s + (v - m) ** 3, 0)];
    };
    const [v1, m1] = moments(coords(e1));
    const [v2, m2] = moments(coords(e2));
    expect(v1).toBeGreaterThanOrEqual(v2);
    expect(m1).toBeGreaterThanOrEqual(0);
    expect(m2).toBeGreaterThanOrEqual(0);
    // Nearly all the variance is in the plane of the three means (noise 0.3 along e₃ only).
    expect(planeVariance).toBeGreaterThan(0.95);
    expect(planeVariance).toBeLessThanOrEqual(1);
    // Mirrored data, mirrored axes: the sign follows the data, not the eigensolver.
    const mirrored = matFrom(
      A.rows,
      3,
      A.data.map((v) => -v),
    );
    const flipped = orientAxes(mirrored, separatingPlane(mirrored, labels, 3)).axes;
    for (let a = 0; a < 3; a++) {
      expect(flipped[0][a]).toBeCloseTo(-e1[a], 9);
      expect(flipped[1][a]).toBeCloseTo(-e2[a], 9);
    }
  });

  test("a 1-dimensional space and mismatched shapes are ParamErrors", () => {
    const A = matFrom(3, 1, new Float64Array([1, 2, 3]));
    expect(() => principalPlane(A)).toThrow(ParamError);
    expect(() => separatingPlane(A, new Int32Array(3), 1)).toThrow(/"A" must have ≥ 2 columns/);
    const B = matFrom(2, 3, new Float64Array(6));
    expect(() => separatingPlane(B, new Int32Array(3), 1)).toThrow(/"labels" must have n = 2 entries/);
    expect(() => orientAxes(B, matFrom(2, 2, new Float64Array(4)))).toThrow(/"P" must be 3×2/);
  });
});
