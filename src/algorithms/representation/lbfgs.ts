import { AbortedError } from "../../errors.js";
import { dotAt } from "../../linalg/vector.js";

/**
 * Limited-memory BFGS (Nocedal & Wright, Numerical Optimization, 2nd ed., Algorithm 7.4 with the
 * two-loop recursion 7.5 and H₀ = γI, γ = sᵀy/yᵀy), with a strong-Wolfe line search (Algorithms
 * 3.5–3.6: bracketing, then zoom by safeguarded quadratic interpolation; c1 = 1e-4, c2 = 0.9).
 * Pairs with sᵀy ≤ 1e-12·|s||y| are skipped so the implicit Hessian stays positive definite.
 */
export interface LbfgsOptions {
  /** Maximum iterations (line searches). Default 500. */
  maxIter?: number;
  /** Stored (s, y) pairs. Default 10. */
  memory?: number;
  /** Stop when ‖∇f‖ ≤ gtol·‖∇f(x₀)‖. Default 1e-6. */
  gtol?: number;
  /** Stop when f_{t−1} − f_t ≤ ftol·max(1, |f_t|). Default 1e-15. */
  ftol?: number;
  signal?: AbortSignal;
  /** Called after each accepted step with the iterate (read only; copy to keep) and f. */
  onIteration?(x: Float64Array, iteration: number, f: number): void;
}

export interface LbfgsResult {
  x: Float64Array;
  f: number;
  gradNorm: number;
  iterations: number;
  /** Function-and-gradient evaluations. */
  evaluations: number;
  converged: boolean;
  reason: "gtol" | "ftol" | "maxIter" | "linesearch";
}

/** f(x), writing ∇f(x) into g. */
export type ObjectiveWithGradient = (x: Float64Array, g: Float64Array) => number;

const C1 = 1e-4;
const C2 = 0.9;
const MAX_LS = 40;

/** The two-loop recursion (Algorithm 7.4): p = −H g from the stored pairs, oldest first. */
function twoLoop(
  g: Float64Array,
  S: readonly Float64Array[],
  Y: readonly Float64Array[],
  rho: readonly number[],
  alphas: Float64Array,
  p: Float64Array,
): void {
  const n = p.length;
  for (let i = 0; i < n; i++) p[i] = -g[i];
  for (let j = S.length - 1; j >= 0; j--) {
    const a = rho[j] * dotAt(S[j], 0, p, 0, n);
    alphas[j] = a;
    const yj = Y[j];
    for (let i = 0; i < n; i++) p[i] -= a * yj[i];
  }
  if (S.length > 0) {
    const last = S.length - 1;
    const gamma = dotAt(S[last], 0, Y[last], 0, n) / dotAt(Y[last], 0, Y[last], 0, n);
    for (let i = 0; i < n; i++) p[i] *= gamma;
  }
  for (let j = 0; j < S.length; j++) {
    const b = rho[j] * dotAt(Y[j], 0, p, 0, n);
    const sj = S[j];
    const c = alphas[j] - b;
    for (let i = 0; i < n; i++) p[i] += c * sj[i];
  }
}

function norm(x: Float64Array): number {
  return Math.sqrt(dotAt(x, 0, x, 0, x.length));
}

/**
 * Minimise f from x0 (not modified). Example:
 * `lbfgs((x, g) => { g[0] = 2 * (x[0] - 3); return (x[0] - 3) ** 2; }, new Float64Array(1)).x` ≈ [3].
 */
export function lbfgs(fg: ObjectiveWithGradient, x0: Float64Array, options: LbfgsOptions = {}): LbfgsResult {
  const n = x0.length;
  const maxIter = options.maxIter ?? 500;
  const m = options.memory ?? 10;
  const gtol = options.gtol ?? 1e-6;
  const ftol = options.ftol ?? 1e-15;
  let x = x0.slice();
  let g = new Float64Array(n);
  let f = fg(x, g);
  let evaluations = 1;
  if (!Number.isFinite(f)) throw new RangeError(`lbfgs: f(x₀) must be finite; got ${f}`);
  const g0 = norm(g);
  const S: Float64Array[] = [];
  const Y: Float64Array[] = [];
  const rho: number[] = [];
  const alphas = new Float64Array(m);
  // Buffers of dropped (s, y) pairs, reused for new ones.
  const spare: Float64Array[] = [];
  const p = new Float64Array(n);
  let xt = new Float64Array(n);
  let gt = new Float64Array(n);
  let iterations = 0;
  let reason: LbfgsResult["reason"] = "maxIter";
  if (g0 === 0) return { x, f, gradNorm: 0, iterations: 0, evaluations, converged: true, reason: "gtol" };

  while (iterations < maxIter) {
    if (options.signal?.aborted) throw new AbortedError(`lbfgs: stopped at iteration ${iterations}`);
    // Two-loop recursion: p = −H g. (Hot loops read block-local aliases: x, g, xt and gt are
    // captured by `phi` and reassigned, so V8 keeps them in the closure's context, a load per use.)
    const gNow = g;
    twoLoop(gNow, S, Y, rho, alphas, p);
    let dphi0 = dotAt(g, 0, p, 0, n);
    if (!(dphi0 < 0)) {
      // Not a descent direction (numerical trouble): restart from steepest descent.
      S.length = 0;
      Y.length = 0;
      rho.length = 0;
      for (let i = 0; i < n; i++) p[i] = -gNow[i];
      dphi0 = dotAt(g, 0, p, 0, n);
    }
    const step0 = S.length === 0 ? Math.min(1, 1 / norm(g)) : 1;

    // Strong-Wolfe line search along p.
    const xFrom = x;
    const xTo = xt;
    const gTo = gt;
    const phi = (alpha: number): number => {
      for (let i = 0; i < n; i++) xTo[i] = xFrom[i] + alpha * p[i];
      evaluations++;
      const v = fg(xTo, gTo);
      return Number.isFinite(v) ? v : Number.POSITIVE_INFINITY;
    };
    let accepted = false;
    let fNew = f;
    let aPrev = 0;
    let fPrev = f;
    let dPrev = dphi0;
    let alpha = step0;
    let lo = 0;
    let hi = 0;
    let fLo = f;
    let dLo = dphi0;
    let fHi = f;
    let zoom = false;
    for (let ls = 0; ls < MAX_LS && !accepted; ls++) {
      if (!zoom) {
        const fa = phi(alpha);
        if (fa > f + C1 * alpha * dphi0 || (ls > 0 && fa >= fPrev)) {
          zoom = true;
          [lo, fLo, dLo, hi, fHi] = [aPrev, fPrev, dPrev, alpha, fa];
          continue;
        }
        const da = dotAt(gt, 0, p, 0, n);
        if (Math.abs(da) <= -C2 * dphi0) {
          accepted = true;
          fNew = fa;
          break;
        }
        if (da >= 0) {
          zoom = true;
          [lo, fLo, dLo, hi, fHi] = [alpha, fa, da, aPrev, fPrev];
          continue;
        }
        [aPrev, fPrev, dPrev] = [alpha, fa, da];
        alpha *= 2;
        continue;
      }
      // Zoom: quadratic interpolation from (lo, fLo, dLo) and (hi, fHi), kept inside the bracket.
      const width = hi - lo;
      const denom = 2 * (fHi - fLo - dLo * width);
      let a = Number.isFinite(fHi) && denom > 0 ? lo - (dLo * width * width) / denom : lo + 0.5 * width;
      const lower = Math.min(lo, hi) + 0.1 * Math.abs(width);
      const upper = Math.max(lo, hi) - 0.1 * Math.abs(width);
      if (!(a >= lower && a <= upper)) a = lo + 0.5 * width;
      const fa = phi(a);
      if (fa > f + C1 * a * dphi0 || fa >= fLo) {
        hi = a;
        fHi = fa;
      } else {
        const da = dotAt(gt, 0, p, 0, n);
        if (Math.abs(da) <= -C2 * dphi0) {
          accepted = true;
          fNew = fa;
          alpha = a;
          break;
        }
        if (da * (hi - lo) >= 0) {
          hi = lo;
          fHi = fLo;
        }
        lo = a;
        fLo = fa;
        dLo = da;
      }
      if (Math.abs(hi - lo) < 1e-16 * Math.max(1, Math.abs(lo))) break;
    }
    if (!accepted) {
      reason = "linesearch";
      break;
    }
    iterations++;
    // s = x_new − x, y = g_new − g (into buffers of pairs dropped earlier); then swap buffers.
    const s = spare.pop() ?? new Float64Array(n);
    const yv = spare.pop() ?? new Float64Array(n);
    for (let i = 0; i < n; i++) {
      s[i] = xTo[i] - xFrom[i];
      yv[i] = gTo[i] - gNow[i];
    }
    const sy = dotAt(s, 0, yv, 0, n);
    if (sy > 1e-12 * norm(s) * norm(yv)) {
      if (S.length === m) {
        spare.push(S.shift()!, Y.shift()!);
        rho.shift();
      }
      S.push(s);
      Y.push(yv);
      rho.push(1 / sy);
    } else spare.push(s, yv);
    [x, xt] = [xt, x];
    [g, gt] = [gt, g];
    const fOld = f;
    f = fNew;
    options.onIteration?.(x, iterations, f);
    if (norm(g) <= gtol * g0) {
      reason = "gtol";
      break;
    }
    if (fOld - f <= ftol * Math.max(1, Math.abs(f))) {
      reason = "ftol";
      break;
    }
  }
  return {
    x,
    f,
    gradNorm: norm(g),
    iterations,
    evaluations,
    converged: reason === "gtol" || reason === "ftol",
    reason,
  };
}
