/**
 * Local linear rate of the representation distance for ANIL/MAML-type methods near convergence,
 * population loss, zero-mean heads with covariance diag(1, …, 1, µ²) (SPEC §1.2 [derived]):
 * `dist_{t+1} / dist_t → 1 − αβµ²`, independent of the number of tasks n. (The slowest direction
 * is the least diverse head coordinate; B₀ = Q/√α makes the adapted heads' covariance α·E w*w*ᵀ.)
 *
 * @example predictedRate(0.5, 0.5, 0.5) // 0.9375
 */
export function predictedRate(alpha: number, beta: number, mu: number): number {
  return 1 - alpha * beta * mu * mu;
}

/**
 * `predictedRate` for a run's settings (`alpha`, `beta`, `mu`, `m_in`, `m_out`, `heads`,
 * `head_mean`: its params, with a curve's condition labels over them), or null where the rate is
 * not derived: finite samples (m_in or m_out finite; ∞ is stored as null), another head law than
 * Collins et al.'s, or heads with a non-zero mean.
 * @example predictedRateOf({ alpha: 0.5, beta: 0.5, mu: 1 }) // 0.75
 */
export function predictedRateOf(settings: Record<string, unknown>): number | null {
  const { alpha, beta, mu } = settings;
  if (typeof alpha !== "number" || typeof beta !== "number" || typeof mu !== "number") return null;
  if ((settings.m_in ?? null) !== null || (settings.m_out ?? null) !== null) return null;
  if ((settings.heads ?? "collins") !== "collins" || (settings.head_mean ?? 0) !== 0) return null;
  return predictedRate(alpha, beta, mu);
}
