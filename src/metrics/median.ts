/**
 * Median of the finite values (the middle one, or the mean of the two middle ones); null when
 * there is none — e.g. the median over seeds of a curve metric, skipping seeds without a value.
 *
 * @example finiteMedian([3, null, 1, 2]) // 2
 */
export function finiteMedian(values: readonly (number | null | undefined)[]): number | null {
  const xs = values
    .filter((v): v is number => typeof v === "number" && Number.isFinite(v))
    .sort((a, b) => a - b);
  if (xs.length === 0) return null;
  const m = (xs.length - 1) / 2;
  return (xs[Math.floor(m)] + xs[Math.ceil(m)]) / 2;
}
