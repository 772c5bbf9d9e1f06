/**
 * G ← AᵀA and b ← Aᵀz for A rows×d row-major: a symmetric rank-k update (upper triangle, then
 * mirrored) that reads each row once, four rows × two rows of G at a time, so each load of a row
 * entry feeds two multiply-adds. Half the multiply-adds of a general product at the same rate
 * per multiply-add as `gemm`, so about twice as fast for AᵀA (a symmetric rank-k update, which
 * the GEMM entry point does not offer).
 */
export function gramAndRhs(
  A: Float64Array,
  z: Float64Array,
  rows: number,
  d: number,
  G: Float64Array,
  b: Float64Array,
): void {
  G.fill(0);
  b.fill(0);
  let r = 0;
  for (; r + 3 < rows; r += 4) {
    const o0 = r * d;
    const o1 = o0 + d;
    const o2 = o1 + d;
    const o3 = o2 + d;
    const z0 = z[r];
    const z1 = z[r + 1];
    const z2 = z[r + 2];
    const z3 = z[r + 3];
    let i = 0;
    for (; i + 1 < d; i += 2) {
      const a0 = A[o0 + i];
      const a1 = A[o1 + i];
      const a2 = A[o2 + i];
      const a3 = A[o3 + i];
      const c0 = A[o0 + i + 1];
      const c1 = A[o1 + i + 1];
      const c2 = A[o2 + i + 1];
      const c3 = A[o3 + i + 1];
      b[i] += a0 * z0 + a1 * z1 + a2 * z2 + a3 * z3;
      b[i + 1] += c0 * z0 + c1 * z1 + c2 * z2 + c3 * z3;
      const gi = i * d;
      const gk = gi + d;
      // Row i + 1 also gets its (harmless) entry j = i below the diagonal.
      for (let j = i; j < d; j++) {
        const u0 = A[o0 + j];
        const u1 = A[o1 + j];
        const u2 = A[o2 + j];
        const u3 = A[o3 + j];
        G[gi + j] += a0 * u0 + a1 * u1 + a2 * u2 + a3 * u3;
        G[gk + j] += c0 * u0 + c1 * u1 + c2 * u2 + c3 * u3;
      }
    }
    for (; i < d; i++) {
      const a0 = A[o0 + i];
      const a1 = A[o1 + i];
      const a2 = A[o2 + i];
      const a3 = A[o3 + i];
      b[i] += a0 * z0 + a1 * z1 + a2 * z2 + a3 * z3;
      for (let j = i; j < d; j++)
        G[i * d + j] += a0 * A[o0 + j] + a1 * A[o1 + j] + a2 * A[o2 + j] + a3 * A[o3 + j];
    }
  }
  for (; r < rows; r++) {
    const o0 = r * d;
    const z0 = z[r];
    for (let i = 0; i < d; i++) {
      const a0 = A[o0 + i];
      b[i] += a0 * z0;
      for (let j = i; j < d; j++) G[i * d + j] += a0 * A[o0 + j];
    }
  }
  for (let i = 0; i < d; i++) for (let j = 0; j < i; j++) G[i * d + j] = G[j * d + i];
}
