import { describe, expect, test } from "vitest";
import { solveSPD } from "../../linalg/cholesky.js";
import { fromRows } from "../../linalg/mat.js";
import { lbfgs } from "./lbfgs.js";

describe("L-BFGS", () => {
  test("minimises the Rosenbrock function from (−1.2, 1) to (1, 1)", () => {
    const res = lbfgs(
      (x, g) => {
        const a = 1 - x[0];
        const b = x[1] - x[0] * x[0];
        g[0] = -2 * a - 400 * x[0] * b;
        g[1] = 200 * b;
        return a * a + 100 * b * b;
      },
      Float64Array.from([-1.2, 1]),
      { gtol: 1e-10 },
    );
    expect(res.converged).toBe(true);
    expect(res.x[0]).toBeCloseTo(1, 6);
    expect(res.x[1]).toBeCloseTo(1, 6);
  });

  test("solves an ill-conditioned quadratic ½xᵀAx − bᵀx (oracle: Cholesky solve of Ax = b)", () => {
    const A = fromRows([
      [100, 1, 0, 0],
      [1, 10, 1, 0],
      [0, 1, 1, 0.02],
      [0, 0, 0.02, 0.01],
    ]);
    const b = Float64Array.from([1, -2, 3, 0.5]);
    const res = lbfgs(
      (x, g) => {
        let f = 0;
        for (let i = 0; i < 4; i++) {
          let ax = 0;
          for (let j = 0; j < 4; j++) ax += A.data[i * 4 + j] * x[j];
          g[i] = ax - b[i];
          f += 0.5 * x[i] * ax - b[i] * x[i];
        }
        return f;
      },
      new Float64Array(4),
      { gtol: 1e-12 },
    );
    const ref = solveSPD(A, b);
    for (let i = 0; i < 4; i++) expect(res.x[i]).toBeCloseTo(ref[i], 6);
  });

  test("stops at maxIter and says so; rejects a non-finite start", () => {
    const f = (x: Float64Array, g: Float64Array) => {
      g[0] = 4 * x[0] ** 3;
      return x[0] ** 4;
    };
    const res = lbfgs(f, Float64Array.from([3]), { maxIter: 2, gtol: 1e-300 });
    expect(res.iterations).toBe(2);
    expect(res.reason).toBe("maxIter");
    expect(res.converged).toBe(false);
    expect(() => lbfgs(() => Number.NaN, Float64Array.from([0]))).toThrow(/f\(x₀\) must be finite; got NaN/);
  });
});
