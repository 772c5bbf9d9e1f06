import { MetarepError } from "../errors.js";
import type { Mat } from "./mat.js";

/** "rows×cols", for error messages. */
export function shapeOf(a: Mat): string {
  return `${a.rows}×${a.cols}`;
}

/**
 * Operands whose shapes do not fit the operation, e.g. `gemm` with op(A) 3×4 and op(B) 5×2.
 * Extends `RangeError` so generic `instanceof RangeError` checks keep working.
 */
export class DimensionError extends RangeError {
  override readonly name = "DimensionError";
}

/**
 * Cholesky found a pivot (the diagonal of the Schur complement) that is not strictly positive,
 * so the matrix is not symmetric positive definite (or is too ill-conditioned to tell).
 */
export class NotPositiveDefiniteError extends MetarepError {
  override readonly name = "NotPositiveDefiniteError";
  /** 0-based index of the failing pivot. */
  readonly pivot: number;
  /** The pivot's value (≤ 0 or NaN). */
  readonly value: number;

  constructor(operation: string, pivot: number, value: number) {
    super(
      `${operation}: matrix is not positive definite: pivot ${pivot} (0-based) is ${value}; it must be > 0`,
    );
    this.pivot = pivot;
    this.value = value;
  }
}

/** An iterative kernel that should always converge did not (a sign of non-finite input). */
export class ConvergenceError extends MetarepError {
  override readonly name = "ConvergenceError";
  readonly iterations: number;

  constructor(message: string, iterations: number) {
    super(message);
    this.iterations = iterations;
  }
}

/** Throw a RangeError naming the first non-finite entry of `a`; decompositions call this once. */
export function assertFinite(operation: string, name: string, a: Mat): void {
  const d = a.data;
  for (let i = 0; i < d.length; i++) {
    if (!Number.isFinite(d[i])) {
      const r = Math.floor(i / a.cols);
      throw new RangeError(
        `${operation}: ${name} (${shapeOf(a)}) must be finite; entry (${r}, ${i - r * a.cols}) is ${d[i]}`,
      );
    }
  }
}
