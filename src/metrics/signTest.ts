import { exp, log } from "../linalg/libm.js";

/**
 * One-sided sign test (Conover, Practical Nonparametric Statistics, §3.4): the probability, under
 * "each of the m = wins + losses untied pairs is a fair coin", of at least `wins` wins —
 * P(Bin(m, ½) ≥ wins). Ties carry no sign and are dropped before the call. Exact: the binomial
 * tail summed in float64 (m is a seed count, at most a few thousand).
 *
 * @example signTestP(5, 0) // 1/32 = 0.03125: five of five seeds agree
 */
export function signTestP(wins: number, losses: number): number {
  if (!Number.isInteger(wins) || !Number.isInteger(losses) || wins < 0 || losses < 0) {
    throw new RangeError(`signTestP: counts must be integers ≥ 0; got ${wins}, ${losses}`);
  }
  const m = wins + losses;
  if (m === 0) return 1;
  // P(X = j) = C(m, j) / 2^m, built up by the ratio C(m, j+1)/C(m, j) = (m − j)/(j + 1) in log space.
  let logP = -m * Math.LN2;
  const terms: number[] = [];
  for (let j = 0; j <= m; j++) {
    if (j >= wins) terms.push(logP);
    logP += log((m - j) / (j + 1));
  }
  let p = 0;
  for (const t of terms) p += exp(t);
  return Math.min(1, p);
}

/**
 * The fewest untied pairs at which the sign test would reject at `alpha` if the same share of
 * them went the same way as now (`wins` of `wins + losses`): how many seeds would settle an
 * inconclusive paired comparison. Null when the share is ½ or below (more seeds would not help)
 * or when no count up to `limit` would do.
 */
export function pairsToSettle(wins: number, losses: number, alpha = 0.05, limit = 10_000): number | null {
  const m = wins + losses;
  if (m === 0 || wins * 2 <= m) return null;
  const share = wins / m;
  for (let n = Math.max(1, m); n <= limit; n++) {
    const w = Math.ceil(share * n - 1e-9);
    if (signTestP(w, n - w) < alpha) return n;
  }
  return null;
}
