import { log } from "../linalg/libm.js";
/**
 * Least-squares line through (log x, log y) over the points with x > 0 and y > 0 (finite; null
 * y values, e.g. a threshold never reached, are skipped):
 * `log y ≈ intercept + slope·log x`. A power law y = C x^p gives slope p exactly; e.g. Du et al.'s
 * representation term dk/(n1T) has slope −1 in T. Null with fewer than `minPoints` usable points
 * (default 2) or when all usable x are equal.
 *
 * @example fitLogLogLine([1, 2, 4], [1, 0.5, 0.25])?.slope // -1
 */
export function fitLogLogLine(
  x: readonly number[],
  y: readonly (number | null)[],
  minPoints = 2,
): { slope: number; intercept: number; points: number } | null {
  const lx: number[] = [];
  const ly: number[] = [];
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    const yi = y[i];
    if (yi !== null && x[i] > 0 && yi > 0 && Number.isFinite(x[i]) && Number.isFinite(yi)) {
      lx.push(log(x[i]));
      ly.push(log(yi));
    }
  }
  const n = lx.length;
  if (n < minPoints) return null;
  const mx = lx.reduce((a, b) => a + b, 0) / n;
  const my = ly.reduce((a, b) => a + b, 0) / n;
  let sxx = 0;
  let sxy = 0;
  for (let i = 0; i < n; i++) {
    sxx += (lx[i] - mx) ** 2;
    sxy += (lx[i] - mx) * (ly[i] - my);
  }
  if (sxx === 0) return null;
  const slope = sxy / sxx;
  return { slope, intercept: my - slope * mx, points: n };
}
