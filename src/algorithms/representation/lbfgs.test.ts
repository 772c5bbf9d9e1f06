import { describe, expect, test } from "vitest";
import { solveSPD } from "../../linalg/cholesky.js";
import { fromRows } from "../../linalg/mat.js";
import { dotAt } from "../../linalg/vector.js";
import { lbfgs, twoLoop } from "./lbfgs.js";

/** The two-loop recursion as separate loops (update, then `dotAt`): the fused one's reference. */
function twoLoopReference(
  g: Float64Array,
  S: Float64Array[],
  Y: Float64Array[],
  rho: number[],
  p: Float64Array,
): number {
  const n = p.length;
  const alphas: number[] = [];
  for (let i = 0; i < n; i++) p[i] = -g[i];
  for (let j = S.length - 1; j >= 0; j--) {
    const a = rho[j] * dotAt(S[j], 0, p, 0, n);
    alphas[j] = a;
    for (let i = 0; i < n; i++) p[i] -= a * Y[j][i];
  }
  if (S.length > 0) {
    const last = S.length - 1;
    const gamma = dotAt(S[last], 0, Y[last], 0, n) / dotAt(Y[last], 0, Y[last], 0, n);
    for (let i = 0; i < n; i++) p[i] *= gamma;
  }
  for (let j = 0; j < S.length; j++) {
    const b = rho[j] * dotAt(Y[j], 0, p, 0, n);
    const c = alphas[j] - b;
    for (let i = 0; i < n; i++) p[i] += c * S[j][i];
  }
  return dotAt(g, 0, p, 0, n);
}

describe("L-BFGS", () => {
  test("the fused two-loop recursion gives the separate loops' p and gᵀp bit for bit (0–10 pairs, n with and without a tail)", () => {
    let seed = 12345;
    const rand = () => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed / 2147483648 - 0.5;
    };
    for (const n of [1, 3, 8, 1263]) {
      for (const m of [0, 1, 2, 10]) {
        const vec = (scale: number) => Float64Array.from({ length: n }, () => scale * rand());
        const g = vec(3);
        const S = Array.from({ length: m }, () => vec(1e-2));
        const Y = S.map((s) => s.map((v) => v * 2 + 1e-3 * rand()));
        const sy = S.map((s, j) => dotAt(s, 0, Y[j], 0, n));
        const yy = Y.map((y) => dotAt(y, 0, y, 0, n));
        const rho = sy.map((v) => 1 / v);
        const pRef = new Float64Array(n);
        const dRef = twoLoopReference(g, S, Y, rho, pRef);
        const p = new Float64Array(n);
        const d = twoLoop(g, S, Y, rho, sy, yy, new Float64Array(Math.max(m, 1)), p);
        expect(Object.is(d, dRef), `n=${n} m=${m}`).toBe(true);
        expect(Buffer.from(p.buffer).equals(Buffer.from(pRef.buffer)), `n=${n} m=${m}`).toBe(true);
      }
    }
  });

  test("gradNorm is ‖∇f‖ at the returned x (the norms formed in the pair's pass)", () => {
    const f = (x: Float64Array, g: Float64Array) => {
      let v = 0;
      for (let i = 0; i < x.length; i++) {
        const w = (i + 1) * (x[i] - 1);
        g[i] = 2 * (i + 1) * w + 4 * x[i] ** 3;
        v += w * w + x[i] ** 4;
      }
      return v;
    };
    const res = lbfgs(
      f,
      Float64Array.from({ length: 13 }, (_, i) => Math.cos(i)),
      { maxIter: 7, gtol: 1e-300 },
    );
    const g = new Float64Array(13);
    f(res.x, g);
    expect(res.gradNorm).toBe(Math.sqrt(dotAt(g, 0, g, 0, 13)));
  });

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
