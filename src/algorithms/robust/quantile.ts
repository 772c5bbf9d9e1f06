/**
 * Quantiles of unsorted values by selection (expected O(n)), with NumPy's default ("linear",
 * Hyndman–Fan type 7) interpolation: h = (n − 1)q, value s[⌊h⌋] + (h − ⌊h⌋)(s[⌊h⌋+1] − s[⌊h⌋]) of
 * the sorted values s. The official double-filtering and HRPCA code calls `np.percentile`, which
 * this reproduces.
 */

/** Rearranges a[lo..hi] so that a[kth] is the value it would have in sorted order (Hoare selection). */
export function select(a: Float64Array, lo: number, hi: number, kth: number): void {
  while (hi > lo) {
    // Median of three as the pivot: deterministic, and robust to sorted input.
    const mid = lo + ((hi - lo) >> 1);
    let x = a[lo];
    let y = a[mid];
    let z = a[hi];
    if (x > y) [x, y] = [y, x];
    if (y > z) [y, z] = [z, y];
    if (x > y) [x, y] = [y, x];
    const pivot = y;
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (a[i] < pivot) i++;
      while (a[j] > pivot) j--;
      if (i <= j) {
        const t = a[i];
        a[i] = a[j];
        a[j] = t;
        i++;
        j--;
      }
    }
    if (kth <= j) hi = j;
    else if (kth >= i) lo = i;
    else return;
  }
}

/**
 * Type-7 quantile q ∈ [0, 1] of the first `count` entries of `scratch`, which is reordered
 * (pass a copy). NaN for count = 0.
 */
export function quantileInPlace(scratch: Float64Array, count: number, q: number): number {
  if (count === 0) return Number.NaN;
  if (!(q >= 0 && q <= 1)) throw new RangeError(`quantileInPlace: "q" must be in [0, 1]; got ${q}`);
  const h = (count - 1) * q;
  const lo = Math.floor(h);
  select(scratch, 0, count - 1, lo);
  const a = scratch[lo];
  if (h === lo) return a;
  // The next order statistic is the minimum of the part above lo.
  let b = Number.POSITIVE_INFINITY;
  for (let i = lo + 1; i < count; i++) if (scratch[i] < b) b = scratch[i];
  return a + (h - lo) * (b - a);
}
