import { Matrix } from "ml-matrix";
import { describe, expect, it } from "vitest";
import { DimensionError } from "./errors.js";
import { gemm, gemmBlocks, gemv, matmul, matmulNT, matmulTN } from "./gemm.js";
import { fromRows, type Mat, matFrom, toRows, zeros } from "./mat.js";
import { EPS, maxAbsDiff, naiveGemm, randn, TestRng } from "./testing.js";

const combos = [
  [false, false],
  [true, false],
  [false, true],
  [true, true],
] as const;

/** Operands stored so that op(A) is m×k and op(B) is k×n. */
function operands(transA: boolean, transB: boolean, m: number, k: number, n: number, rng: TestRng) {
  const A = transA ? randn(k, m, rng) : randn(m, k, rng);
  const B = transB ? randn(n, k, rng) : randn(k, n, rng);
  return { A, B, C: randn(m, n, rng) };
}

describe("gemm", () => {
  // Odd sizes hit every unrolling remainder; k > 128 and n > 256 cross the cache-blocking panels.
  const shapes: [number, number, number][] = [
    [1, 1, 1],
    [3, 5, 7],
    [8, 4, 12],
    [17, 9, 13],
    [33, 70, 21],
    [5, 300, 600],
    [0, 3, 4],
    [4, 0, 3],
  ];

  for (const [transA, transB] of combos) {
    it(`matches a naive triple loop with α and β for transA=${transA}, transB=${transB} on many shapes`, () => {
      const rng = new TestRng(11);
      for (const [m, k, n] of shapes) {
        const { A, B, C } = operands(transA, transB, m, k, n, rng);
        const expected = naiveGemm(transA, transB, 0.7, A, B, -1.3, C);
        const out = gemm(transA, transB, 0.7, A, B, -1.3, C);
        expect(out).toBe(C);
        // Each entry is a length-k dot product of unit normals: rounding ~ ε·k·(typical size √k).
        expect(maxAbsDiff(C, expected)).toBeLessThanOrEqual(20 * EPS * Math.max(1, k));
      }
    });
  }

  it("treats β = 0 as 'do not read C', so NaN already in C does not propagate", () => {
    const rng = new TestRng(2);
    const A = randn(4, 3, rng);
    const B = randn(3, 5, rng);
    const C = zeros(4, 5);
    C.data.fill(Number.NaN);
    gemm(false, false, 1, A, B, 0, C);
    expect(maxAbsDiff(C, naiveGemm(false, false, 1, A, B, 0, C))).toBeLessThan(1e-14);
  });

  it("with α = 0 only scales C by β", () => {
    const C = fromRows([
      [1, 2],
      [3, 4],
    ]);
    gemm(false, false, 0, zeros(2, 3), zeros(3, 2), 2, C);
    expect(toRows(C)).toEqual([
      [2, 4],
      [6, 8],
    ]);
  });

  it("throws a DimensionError naming both operand shapes when inner dimensions differ", () => {
    expect(() => gemm(false, false, 1, zeros(3, 4), zeros(5, 2), 0, zeros(3, 2))).toThrow(DimensionError);
    expect(() => gemm(false, false, 1, zeros(3, 4), zeros(5, 2), 0, zeros(3, 2))).toThrow(
      /op\(A\) = A is 3×4 \(A 3×4\) but op\(B\) = B is 5×2 \(B 5×2\)/,
    );
    expect(() => gemm(true, false, 1, zeros(3, 4), zeros(4, 2), 0, zeros(4, 2))).toThrow(/Aᵀ is 4×3/);
  });

  it("throws a DimensionError naming the expected shape when C has the wrong shape", () => {
    expect(() => gemm(false, true, 1, zeros(3, 4), zeros(2, 4), 0, zeros(2, 3))).toThrow(
      /C must be 3×2 .* got C 2×3/,
    );
  });

  it("refuses an output that shares memory with an input", () => {
    const buf = new Float64Array(8);
    const A = matFrom(2, 2, buf.subarray(0, 4));
    const C = matFrom(2, 2, buf.subarray(2, 6));
    expect(() => gemm(false, false, 1, A, zeros(2, 2), 0, C)).toThrow(/share memory/);
    // Disjoint views of one buffer are fine.
    const D = matFrom(2, 2, buf.subarray(4, 8));
    expect(() => gemm(false, false, 1, A, A, 0, D)).not.toThrow();
  });
});

describe("matmul wrappers", () => {
  const ml = (A: Mat) => new Matrix(toRows(A));

  it("matmul, matmulTN and matmulNT agree with ml-matrix's mmul", () => {
    const rng = new TestRng(3);
    const A = randn(23, 17, rng);
    const B = randn(17, 9, rng);
    const A2 = randn(17, 23, rng);
    const B2 = randn(9, 17, rng);
    const tol = 1e-12;
    expect(maxAbsDiff(matmul(A, B), fromRows(ml(A).mmul(ml(B)).to2DArray()))).toBeLessThan(tol);
    expect(maxAbsDiff(matmulTN(A2, B), fromRows(ml(A2).transpose().mmul(ml(B)).to2DArray()))).toBeLessThan(
      tol,
    );
    expect(maxAbsDiff(matmulNT(A, B2), fromRows(ml(A).mmul(ml(B2).transpose()).to2DArray()))).toBeLessThan(
      tol,
    );
    expect(matmulTN(A2, B).rows).toBe(23);
    expect(matmulNT(A, B2).cols).toBe(9);
  });

  it("matmulTN of a matrix with itself is exactly symmetric", () => {
    const X = randn(40, 11, new TestRng(4));
    const G = matmulTN(X, X);
    for (let i = 0; i < 11; i++)
      for (let j = 0; j < 11; j++) expect(G.data[i * 11 + j]).toBe(G.data[j * 11 + i]);
  });
});

describe("gemv", () => {
  it("matches gemm with a one-column matrix for both transpose flags, with α and β", () => {
    const rng = new TestRng(5);
    const A = randn(13, 7, rng);
    for (const trans of [false, true]) {
      const n = trans ? 13 : 7;
      const m = trans ? 7 : 13;
      const x = randn(n, 1, rng);
      const y0 = randn(m, 1, rng);
      const expected = naiveGemm(trans, false, 1.5, A, x, 0.5, y0);
      const y = y0.data.slice();
      expect(gemv(trans, 1.5, A, x.data, 0.5, y)).toBe(y);
      expect(maxAbsDiff(y, expected)).toBeLessThan(1e-13);
    }
  });

  it("throws a DimensionError naming the vector lengths", () => {
    expect(() => gemv(false, 1, zeros(3, 4), new Float64Array(3), 0, new Float64Array(3))).toThrow(
      /x must have length 4 and y length 3; got x 3, y 3/,
    );
  });
});

describe("gemmBlocks", () => {
  it.each(combos)(
    "every block is gemm of its operands, bit for bit (transA %s, transB %s; thin and tiled, k past one KC panel)",
    (ta, tb) => {
      const rng = new TestRng(91);
      const bits = (x: Float64Array) => [...new BigUint64Array(Float64Array.from(x).buffer)];
      // [count, m, n, k]: thin blocks (m or n ≤ 4: the kernel's thinBlocks) with odd m, n past one
      // group of four columns, k past one KC panel; and tiled blocks (gemm's kernel).
      const shapes = [
        [3, 5, 3, 130],
        [2, 4, 9, 7],
        [4, 7, 1, 3],
        [2, 3, 6, 260],
        [3, 20, 3, 100],
        [2, 1, 1, 1],
        [2, 6, 2, 129],
        [2, 8, 6, 5],
      ];
      for (const [count, m, n, k] of shapes) {
        const A = randn(count * (ta ? k : m), ta ? m : k, rng);
        const B = randn(count * (tb ? n : k), tb ? k : n, rng);
        // Signed zeros and a zero column: the sums start at +0 in both kernels.
        A.data[0] = -0;
        B.data[B.data.length - 1] = -0;
        const C = zeros(count * m, n);
        gemmBlocks(ta, tb, count, A, B, C);
        const block = (X: Mat, b: number) => {
          const r = X.rows / count;
          return matFrom(r, X.cols, X.data.slice(b * r * X.cols, (b + 1) * r * X.cols));
        };
        for (let b = 0; b < count; b++) {
          const Cb = gemm(ta, tb, 1, block(A, b), block(B, b), 0, zeros(m, n));
          expect(bits(C.data.slice(b * m * n, (b + 1) * m * n))).toEqual(bits(Cb.data));
        }
      }
    },
  );

  it("rejects blocks that do not divide and mismatched shapes, in one line", () => {
    expect(() => gemmBlocks(false, false, 2, zeros(3, 2), zeros(4, 2), zeros(3, 2))).toThrow(
      /gemmBlocks: A \(3×2\) must stack 2 blocks of equal rows/,
    );
    expect(() => gemmBlocks(false, false, 2, zeros(4, 2), zeros(6, 2), zeros(4, 2))).toThrow(
      /gemmBlocks: inner dimensions differ/,
    );
    expect(() => gemmBlocks(false, false, 0, zeros(4, 2), zeros(4, 2), zeros(4, 2))).toThrow(
      /gemmBlocks: count must be an integer ≥ 1; got 0/,
    );
  });
});
