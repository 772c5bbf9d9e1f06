import { describe, expect, test } from "vitest";
import { matmul } from "../linalg/gemm.js";
import { type Mat, zeros } from "../linalg/mat.js";
import { orthonormalize } from "../linalg/qr.js";
import { foldIn, key } from "../rng/key.js";
import { stream } from "../rng/stream.js";
import { captureDistance, distanceTo, principalAngles, subspaceDistance } from "./subspace.js";
import { firstBelow, fitLinearRate } from "./trace.js";

function gauss(rows: number, cols: number, seed: number): Mat {
  const m = zeros(rows, cols);
  stream(key(seed)).fillNormal(m.data);
  return m;
}

/** Columns e_i cos θ_i + e_{k+i} sin θ_i: a subspace at known principal angles from span(e_1..e_k). */
function atAngles(d: number, angles: number[]): { A: Mat; B: Mat } {
  const k = angles.length;
  const A = zeros(d, k);
  const B = zeros(d, k);
  angles.forEach((t, i) => {
    A.data[i * k + i] = 1;
    B.data[i * k + i] = Math.cos(t);
    B.data[(k + i) * k + i] = Math.sin(t);
  });
  return { A, B };
}

describe("dist(B, B*) = ‖(I − B*B*ᵀ)Q‖₂, unsquared", () => {
  test("is invariant to right-multiplying B by an invertible matrix", () => {
    const Bs = orthonormalize(gauss(30, 4, 1));
    const B = gauss(30, 4, 2);
    const R = gauss(4, 4, 3); // invertible with probability 1
    const base = subspaceDistance(B, Bs);
    expect(Math.abs(subspaceDistance(matmul(B, R), Bs) - base)).toBeLessThan(1e-12);
    const scaled = B.data.map((x) => 1e6 * x);
    expect(Math.abs(subspaceDistance({ rows: 30, cols: 4, data: scaled }, Bs) - base)).toBeLessThan(1e-12);
  });

  test("is 0 for the same subspace, 1 for an orthogonal one, and the sine of the largest principal angle", () => {
    const Bs = orthonormalize(gauss(20, 3, 4));
    expect(subspaceDistance(matmul(Bs, gauss(3, 3, 5)), Bs)).toBeLessThan(1e-14);
    const { A, B } = atAngles(10, [0.1, 0.7, 1.2]);
    expect(subspaceDistance(B, A)).toBeCloseTo(Math.sin(1.2), 14);
    const { A: A2, B: B2 } = atAngles(10, [Math.PI / 2, Math.PI / 2]);
    expect(subspaceDistance(B2, A2)).toBeCloseTo(1, 14);
  });

  test("keeps full relative precision for tiny angles (no √(1 − cos²) cancellation)", () => {
    for (const t of [1e-4, 1e-8, 1e-12]) {
      const { A, B } = atAngles(8, [t, t / 3]);
      expect(Math.abs(subspaceDistance(B, A) / Math.sin(t) - 1)).toBeLessThan(1e-6);
    }
  });

  test("is symmetric for equal dimensions and equals captureDistance there", () => {
    const P = gauss(15, 3, 6);
    const Q = gauss(15, 3, 7);
    expect(subspaceDistance(P, Q)).toBeCloseTo(subspaceDistance(Q, P), 13);
    expect(captureDistance(P, orthonormalize(Q))).toBeCloseTo(subspaceDistance(P, Q), 13);
  });

  test("captureDistance of a wider learner is 0 once col(B*) ⊂ col(B), while dist(B, B*) is 1", () => {
    const Bs = orthonormalize(gauss(12, 2, 8));
    const extra = gauss(12, 1, 9);
    const B = zeros(12, 3);
    for (let i = 0; i < 12; i++) {
      B.data[i * 3] = Bs.data[i * 2] + Bs.data[i * 2 + 1];
      B.data[i * 3 + 1] = Bs.data[i * 2] - Bs.data[i * 2 + 1];
      B.data[i * 3 + 2] = extra.data[i];
    }
    expect(captureDistance(B, Bs)).toBeLessThan(1e-14);
    expect(subspaceDistance(B, Bs)).toBeCloseTo(1, 12);
  });

  test("mismatched row counts are an error naming both", () => {
    expect(() => subspaceDistance(zeros(5, 2), zeros(6, 2))).toThrow(
      /same number of rows \(d\); got 5 and 6/,
    );
  });
});

describe("principal angles", () => {
  test("recover constructed angles in ascending order, small ones to full precision", () => {
    const want = [1e-9, 0.3, 1.1];
    const { A, B } = atAngles(9, [1.1, 1e-9, 0.3]);
    const got = Array.from(principalAngles(A, B));
    expect(got[0] / want[0]).toBeCloseTo(1, 6);
    expect(got[1]).toBeCloseTo(want[1], 13);
    expect(got[2]).toBeCloseTo(want[2], 13);
  });

  test("are invariant to a common rotation of both subspaces", () => {
    const A = gauss(7, 2, 10);
    const B = gauss(7, 2, 11);
    const Qr = orthonormalize(gauss(7, 7, 12));
    const a = principalAngles(A, B);
    const b = principalAngles(matmul(Qr, A), matmul(Qr, B));
    for (let i = 0; i < a.length; i++) expect(b[i]).toBeCloseTo(a[i], 12);
  });
});

describe("trace metrics", () => {
  test("firstBelow finds the first index under the threshold, or null", () => {
    expect(firstBelow([1, 0.5, 1e-4, 1e-2, 1e-7], 1e-3)).toBe(2);
    expect(firstBelow([1, 0.5], 1e-3)).toBeNull();
  });

  test("fitLinearRate recovers an exact geometric rate inside the window and ignores the rest", () => {
    const rho = 0.9375;
    const ys = Array.from({ length: 600 }, (_, t) => (t < 20 ? 0.9 : 1e-1 * rho ** (t - 20)));
    const withFloor = ys.map((y) => Math.max(y, 1e-15));
    expect(fitLinearRate(withFloor, 1e-12, 1e-2)).toBeCloseTo(rho, 12);
    expect(fitLinearRate([1, 1, 1], 1e-12, 1e-2)).toBeNull();
    const noisy = ys.map(
      (y, t) => y * Math.exp(0.05 * Math.sin(7 * t) * (stream(foldIn(key(1), t)).uniform() - 0.5)),
    );
    expect(Math.abs((fitLinearRate(noisy, 1e-12, 1e-2) as number) - rho)).toBeLessThan(1e-3);
  });
});

describe("distanceTo(B*): the one-shot distances with B*'s basis and the buffers kept", () => {
  test("the same bits as subspaceDistance and captureDistance, call after call", () => {
    for (const [d, k, kp] of [
      [20, 3, 3],
      [20, 3, 5],
      [6, 3, 6],
      [4, 1, 1],
    ] as const) {
      const Bstar = orthonormalize(gauss(d, k, 7));
      const sub = distanceTo(Bstar, kp, "subspace");
      const cap = distanceTo(Bstar, kp, "capture");
      for (let s = 0; s < 6; s++) {
        const B = gauss(d, kp, 100 + s);
        // Also near B* (tiny distances, where the digits matter) and rank-deficient.
        if (s === 1)
          for (let i = 0; i < d; i++)
            for (let c = 0; c < k; c++)
              B.data[i * kp + c] = Bstar.data[i * k + c] + 1e-9 * B.data[i * kp + c];
        if (s === 2) B.data.fill(0, 0, d);
        expect(sub(B)).toBe(subspaceDistance(B, Bstar));
        expect(cap(B)).toBe(captureDistance(B, Bstar));
      }
    }
  });

  test("refuses a B of another shape, naming both", () => {
    const Bstar = orthonormalize(gauss(8, 2, 1));
    expect(() => distanceTo(Bstar, 2, "subspace")(gauss(9, 2, 2))).toThrow(/same number of rows/);
    expect(() => distanceTo(Bstar, 2, "subspace")(gauss(8, 3, 2))).toThrow(/expected A 8×2/);
  });
});
