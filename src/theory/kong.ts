/**
 * Sample-complexity laws of meta-learning in mixed linear regression (Kong, Somani, Song, Kakade,
 * Oh, ICML 2020; SPEC §2) [paper]. Up to constants and log factors:
 * - light tasks (subspace estimation): `n_L t_L = Ω̃(d k²)` with `t_L ≳ log k` — at fixed t_L the
 *   number of light tasks grows like d k² (slope 1 in d, 2 in k on log-log axes);
 * - heavy tasks (clustering): `t_H = Ω̃(√k)` examples each (slope 1/2 in k), and
 *   `n_H t_H = Ω̃(k²)`, so `n_H ≈ k^{3/2}` heavy tasks.
 * The experiments compare fitted log-log slopes with these exponents, never the constants.
 */

/** The laws, as power-law exponents in the quantity that varies. */
export const KONG_LAW_SLOPES = {
  /** Light tasks needed vs d (k, t_L fixed): n_L ∝ d. */
  "light-d": 1,
  /** Light tasks needed vs k (d, t_L fixed): n_L ∝ k². */
  "light-k": 2,
  /** Examples per heavy task needed vs k: t_H ∝ √k. */
  "heavy-k": 0.5,
} as const;

export type KongLaw = keyof typeof KONG_LAW_SLOPES;
export const KONG_LAWS = Object.keys(KONG_LAW_SLOPES) as KongLaw[];

/** Light-task budget n_L·t_L ∝ d k² (constant 1). @example lightTaskBudget(32, 4) // 512 */
export function lightTaskBudget(d: number, k: number): number {
  return d * k * k;
}

/** Examples per heavy task t_H ∝ √k (constant 1). @example heavyTaskSize(16) // 4 */
export function heavyTaskSize(k: number): number {
  return Math.sqrt(k);
}

/** Heavy tasks n_H ∝ k²/t_H = k^{3/2} (constant 1). @example heavyTaskCount(4) // 8 */
export function heavyTaskCount(k: number): number {
  return k * Math.sqrt(k);
}
