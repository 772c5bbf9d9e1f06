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
