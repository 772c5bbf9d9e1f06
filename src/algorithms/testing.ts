/** Test support for the algorithms' gradient checks (STYLE.md §6): one finite-difference oracle. */

/** Central differences (f(x + h·e_i) − f(x − h·e_i)) / 2h of f at x, for every coordinate i. */
export function centralDifference<V extends number[] | Float64Array>(
  f: (x: V) => number,
  x: V,
  h = 1e-6,
): number[] {
  const g: number[] = [];
  for (let i = 0; i < x.length; i++) {
    const a = x.slice() as V;
    const b = x.slice() as V;
    a[i] += h;
    b[i] -= h;
    g.push((f(a) - f(b)) / (2 * h));
  }
  return g;
}

/** ‖a − b‖₂ / ‖b‖₂: the relative error of a gradient a against its reference b. */
export function relativeError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < a.length; i++) {
    num += (a[i] - b[i]) ** 2;
    den += b[i] ** 2;
  }
  return Math.sqrt(num / den);
}
