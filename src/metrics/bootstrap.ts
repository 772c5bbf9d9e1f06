import type { Key } from "../rng/key.js";
import { stream } from "../rng/stream.js";
import { finiteMedian } from "./median.js";

/** How many resamples the verdicts' bootstrap draws: the interval's ends move by < 1 % of its width. */
export const BOOTSTRAP_RESAMPLES = 2000;

/**
 * Percentile bootstrap interval of the median over seeds (Efron & Tibshirani, ch. 13): resample
 * the n values with replacement `resamples` times, take each resample's median, and return the
 * (1 − level)/2 and (1 + level)/2 quantiles of those medians. The resampling stream is the
 * caller's fixed key, so the same values give the same interval, bit for bit (a verdict computed
 * twice from one record is the same verdict). Null without a finite value; [v, v] for one value.
 *
 * @example bootstrapMedianInterval([1, 2, 3, 4, 5], key(0)) // about [1.5, 4.5] at level 0.95
 */
export function bootstrapMedianInterval(
  values: readonly (number | null)[],
  k: Key,
  level = 0.95,
  resamples = BOOTSTRAP_RESAMPLES,
): [number, number] | null {
  const xs = values.filter((v): v is number => v !== null && Number.isFinite(v));
  const n = xs.length;
  if (n === 0) return null;
  if (n === 1) return [xs[0], xs[0]];
  if (!(level > 0 && level < 1)) throw new RangeError(`bootstrap: "level" must be in (0, 1); got ${level}`);
  const s = stream(k);
  const medians = new Float64Array(resamples);
  const sample = new Float64Array(n);
  for (let b = 0; b < resamples; b++) {
    for (let i = 0; i < n; i++) sample[i] = xs[Math.floor(s.uniform() * n)];
    sample.sort();
    const m = (n - 1) / 2;
    medians[b] = (sample[Math.floor(m)] + sample[Math.ceil(m)]) / 2;
  }
  medians.sort();
  const at = (q: number) => medians[Math.min(resamples - 1, Math.max(0, Math.round(q * (resamples - 1))))];
  return [at((1 - level) / 2), at((1 + level) / 2)];
}

/** The median of the finite values and how many there were. */
export function medianAndCount(values: readonly (number | null)[]): { median: number | null; n: number } {
  return {
    median: finiteMedian(values),
    n: values.filter((v) => v !== null && Number.isFinite(v)).length,
  };
}
