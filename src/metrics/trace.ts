import { exp, log } from "../linalg/libm.js";
/** First index t with `series[t] < threshold`, or null if it never gets there. */
export function firstBelow(series: readonly number[], threshold: number): number | null {
  for (let t = 0; t < series.length; t++) if (series[t] < threshold) return t;
  return null;
}

/**
 * Fitted linear (geometric) rate of a series: `exp(slope)` of the least-squares line through
 * `(t, log y_t)` over the points with `lo < y_t < hi`. Returns null with fewer than `minPoints`
 * points in the window. For `dist` this is the per-iteration contraction factor.
 */
export function fitLinearRate(
  series: readonly number[],
  lo: number,
  hi: number,
  minPoints = 5,
): number | null {
  let n = 0;
  let st = 0;
  let sy = 0;
  for (let t = 0; t < series.length; t++) {
    const y = series[t];
    if (y > lo && y < hi) {
      n++;
      st += t;
      sy += log(y);
    }
  }
  if (n < minPoints) return null;
  const mt = st / n;
  const my = sy / n;
  let stt = 0;
  let sty = 0;
  for (let t = 0; t < series.length; t++) {
    const y = series[t];
    if (y > lo && y < hi) {
      stt += (t - mt) ** 2;
      sty += (t - mt) * (log(y) - my);
    }
  }
  return exp(sty / stt);
}
