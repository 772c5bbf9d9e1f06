import { describe, expect, test } from "vitest";
import { gemm } from "../linalg/gemm.js";
import { fromRows, zeros } from "../linalg/mat.js";
import { randomOrthonormal, TestRng } from "../linalg/testing.js";
import { conditionNumber, headDiagnostics } from "./conditioning.js";

describe("head diagnostics", () => {
  test("U diag(s) Vᵀ has condition number s₁/s_k whatever the rotations; rank-deficient is ∞", () => {
    const rng = new TestRng(2);
    const U = randomOrthonormal(50, 3, rng);
    const V = randomOrthonormal(3, 3, rng);
    for (let i = 0; i < 50; i++) for (let c = 0; c < 3; c++) U.data[i * 3 + c] *= [5, 2, 0.5][c];
    const W = gemm(false, true, 1, U, V, 0, zeros(50, 3));
    expect(conditionNumber(W)).toBeCloseTo(10, 10);
    const h = headDiagnostics(W);
    expect(h.condition).toBeCloseTo(10, 10);
    expect(h.sigmaMax).toBeCloseTo(5, 10);
    expect(h.diversity).toBeCloseTo((0.25 * 3) / 50, 12);
    expect(
      conditionNumber(
        fromRows([
          [1, 2],
          [2, 4],
        ]),
      ),
    ).toBe(Number.POSITIVE_INFINITY);
  });

  test("row norms: mean, min and max of ‖w_t‖", () => {
    const h = headDiagnostics(
      fromRows([
        [3, 4],
        [0, 1],
        [1, 0],
      ]),
    );
    expect(h.meanNorm).toBeCloseTo(7 / 3, 14);
    expect(h.minNorm).toBe(1);
    expect(h.maxNorm).toBe(5);
  });
});
