/**
 * Smallest and largest of the values, by a loop: `Math.min(...xs)` spreads its argument onto the
 * stack and overflows it for the hundreds of thousands of points a paper-size figure holds.
 * [Infinity, -Infinity] for none.
 */
export function extent(xs: ArrayLike<number>): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < xs.length; i++) {
    const v = xs[i];
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return [lo, hi];
}
