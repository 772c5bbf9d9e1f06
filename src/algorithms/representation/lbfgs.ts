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

/**
 * The two-loop recursion (Algorithm 7.4): p = −H g from the stored pairs, oldest first, with
 * H₀ = γI, γ = sᵀy/yᵀy of the newest pair (`sy[j]` = s_jᵀy_j and `yy[j]` = y_jᵀy_j, formed when the
 * pair was stored). Returns gᵀp. Each pass over p that updates it also forms the dot product the
 * next step needs (the first loop's s_jᵀp, the second's y_jᵀp, finally gᵀp), in `dotAt`'s order
 * (four accumulators by i mod 4, the tail in the first, s0 + s1 + (s2 + s3)) and on the updated
 * entries: the bits of the separate loops (update, then `dotAt`), in half the passes over memory
 * (2m + 1 instead of 4m + 4 with m pairs; issue 22: the recursion was a fifth of a penalised
 * Burer–Monteiro fit's time at T = 400, n = 1260 unknowns).
 */
export function twoLoop(
  g: Float64Array,
  S: readonly Float64Array[],
  Y: readonly Float64Array[],
  rho: readonly number[],
  sy: readonly number[],
  yy: readonly number[],
  alphas: Float64Array,
  p: Float64Array,
): number {
  const n = p.length;
  const m = S.length;
  // p = −g, and s_{m−1}ᵀp (the first loop's first dot product) or, with no pairs, gᵀp.
  let dot = negateDot(g, p, m > 0 ? S[m - 1] : g, n);
  if (m === 0) return dot;
  for (let j = m - 1; j >= 0; j--) {
    const a = rho[j] * dot;
    alphas[j] = a;
    // p −= a·y_j (as p + (−a)·y_j: the same bits), then s_{j−1}ᵀp (none after the last pair).
    dot = axpyDot(p, -a, Y[j], j > 0 ? S[j - 1] : null, n);
  }
  // p *= γ, then y_0ᵀp.
  dot = scaleDot(p, sy[m - 1] / yy[m - 1], Y[0], n);
  for (let j = 0; j < m; j++) {
    const b = rho[j] * dot;
    // p += (α_j − b)·s_j, then y_{j+1}ᵀp, or gᵀp after the last pair.
    dot = axpyDot(p, alphas[j] - b, S[j], j + 1 < m ? Y[j + 1] : g, n);
  }
  return dot;
}

/** p ← −g, then `dotAt(w, 0, p, 0, n)` on the new p. */
function negateDot(g: Float64Array, p: Float64Array, w: Float64Array, n: number): number {
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let i = 0;
  for (; i + 3 < n; i += 4) {
    const p0 = -g[i];
    const p1 = -g[i + 1];
    const p2 = -g[i + 2];
    const p3 = -g[i + 3];
    p[i] = p0;
    p[i + 1] = p1;
    p[i + 2] = p2;
    p[i + 3] = p3;
    s0 += w[i] * p0;
    s1 += w[i + 1] * p1;
    s2 += w[i + 2] * p2;
    s3 += w[i + 3] * p3;
  }
  for (; i < n; i++) {
    const pi = -g[i];
    p[i] = pi;
    s0 += w[i] * pi;
  }
  return s0 + s1 + (s2 + s3);
}

/** p[i] += a·v[i], then `dotAt(w, 0, p, 0, n)` on the new p (0 when w is null). */
function axpyDot(p: Float64Array, a: number, v: Float64Array, w: Float64Array | null, n: number): number {
  if (w === null) {
    for (let i = 0; i < n; i++) p[i] += a * v[i];
    return 0;
  }
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let i = 0;
  for (; i + 3 < n; i += 4) {
    const p0 = p[i] + a * v[i];
    const p1 = p[i + 1] + a * v[i + 1];
    const p2 = p[i + 2] + a * v[i + 2];
    const p3 = p[i + 3] + a * v[i + 3];
    p[i] = p0;
    p[i + 1] = p1;
    p[i + 2] = p2;
    p[i + 3] = p3;
    s0 += w[i] * p0;
    s1 += w[i + 1] * p1;
    s2 += w[i + 2] * p2;
    s3 += w[i + 3] * p3;
  }
  for (; i < n; i++) {
    const pi = p[i] + a * v[i];
    p[i] = pi;
    s0 += w[i] * pi;
  }
  return s0 + s1 + (s2 + s3);
}

/** p[i] *= γ, then `dotAt(w, 0, p, 0, n)` on the new p. */
function scaleDot(p: Float64Array, gamma: number, w: Float64Array, n: number): number {
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let i = 0;
  for (; i + 3 < n; i += 4) {
    const p0 = p[i] * gamma;
    const p1 = p[i + 1] * gamma;
    const p2 = p[i + 2] * gamma;
    const p3 = p[i + 3] * gamma;
    p[i] = p0;
    p[i + 1] = p1;
    p[i + 2] = p2;
    p[i + 3] = p3;
    s0 += w[i] * p0;
    s1 += w[i + 1] * p1;
    s2 += w[i + 2] * p2;
    s3 += w[i + 3] * p3;
  }
  for (; i < n; i++) {
    const pi = p[i] * gamma;
    p[i] = pi;
    s0 += w[i] * pi;
  }
  return s0 + s1 + (s2 + s3);
}

/**
 * s = x₁ − x₀ and y = g₁ − g₀ into `s` and `yv`, with sᵀy, sᵀs, yᵀy and g₁ᵀg₁ each in `dotAt`'s
 * order: one pass instead of five, the same bits.
 */
function pairProducts(
  x1: Float64Array,
  x0: Float64Array,
  g1: Float64Array,
  g0: Float64Array,
  s: Float64Array,
  yv: Float64Array,
  n: number,
): { sy: number; ss: number; yy: number; gg: number } {
  let sy0 = 0;
  let sy1 = 0;
  let sy2 = 0;
  let sy3 = 0;
  let ss0 = 0;
  let ss1 = 0;
  let ss2 = 0;
  let ss3 = 0;
  let yy0 = 0;
  let yy1 = 0;
  let yy2 = 0;
  let yy3 = 0;
  let gg0 = 0;
  let gg1 = 0;
  let gg2 = 0;
  let gg3 = 0;
  let i = 0;
  for (; i + 3 < n; i += 4) {
    const a0 = x1[i] - x0[i];
    const a1 = x1[i + 1] - x0[i + 1];
    const a2 = x1[i + 2] - x0[i + 2];
    const a3 = x1[i + 3] - x0[i + 3];
    const h0 = g1[i];
    const h1 = g1[i + 1];
    const h2 = g1[i + 2];
    const h3 = g1[i + 3];
    const b0 = h0 - g0[i];
    const b1 = h1 - g0[i + 1];
    const b2 = h2 - g0[i + 2];
    const b3 = h3 - g0[i + 3];
    s[i] = a0;
    s[i + 1] = a1;
    s[i + 2] = a2;
    s[i + 3] = a3;
    yv[i] = b0;
    yv[i + 1] = b1;
    yv[i + 2] = b2;
    yv[i + 3] = b3;
    sy0 += a0 * b0;
    sy1 += a1 * b1;
    sy2 += a2 * b2;
    sy3 += a3 * b3;
    ss0 += a0 * a0;
    ss1 += a1 * a1;
    ss2 += a2 * a2;
    ss3 += a3 * a3;
    yy0 += b0 * b0;
    yy1 += b1 * b1;
    yy2 += b2 * b2;
    yy3 += b3 * b3;
    gg0 += h0 * h0;
    gg1 += h1 * h1;
    gg2 += h2 * h2;
    gg3 += h3 * h3;
  }
  for (; i < n; i++) {
    const a = x1[i] - x0[i];
    const h = g1[i];
    const b = h - g0[i];
    s[i] = a;
    yv[i] = b;
    sy0 += a * b;
    ss0 += a * a;
    yy0 += b * b;
    gg0 += h * h;
  }
  return {
    sy: sy0 + sy1 + (sy2 + sy3),
    ss: ss0 + ss1 + (ss2 + ss3),
    yy: yy0 + yy1 + (yy2 + yy3),
    gg: gg0 + gg1 + (gg2 + gg3),
  };
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
  // s_jᵀy_j and y_jᵀy_j of the stored pairs (γ = sᵀy/yᵀy of the newest).
  const sys: number[] = [];
  const yys: number[] = [];
  const alphas = new Float64Array(m);
  // Buffers of dropped (s, y) pairs, reused for new ones.
  const spare: Float64Array[] = [];
  const p = new Float64Array(n);
  let xt = new Float64Array(n);
  let gt = new Float64Array(n);
  let iterations = 0;
  let reason: LbfgsResult["reason"] = "maxIter";
  if (g0 === 0) return { x, f, gradNorm: 0, iterations: 0, evaluations, converged: true, reason: "gtol" };
  // ‖g‖ of the current iterate.
  let gNorm = g0;

  while (iterations < maxIter) {
    if (options.signal?.aborted) throw new AbortedError(`lbfgs: stopped at iteration ${iterations}`);
    // Two-loop recursion: p = −H g. (Hot loops read block-local aliases: x, g, xt and gt are
    // captured by `phi` and reassigned, so V8 keeps them in the closure's context, a load per use.)
    const gNow = g;
    let dphi0 = twoLoop(gNow, S, Y, rho, sys, yys, alphas, p);
    if (!(dphi0 < 0)) {
      // Not a descent direction (numerical trouble): restart from steepest descent.
      S.length = 0;
      Y.length = 0;
      rho.length = 0;
      sys.length = 0;
      yys.length = 0;
      for (let i = 0; i < n; i++) p[i] = -gNow[i];
      dphi0 = dotAt(g, 0, p, 0, n);
    }
    const step0 = S.length === 0 ? Math.min(1, 1 / gNorm) : 1;

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
    const { sy, ss, yy, gg } = pairProducts(xTo, xFrom, gTo, gNow, s, yv, n);
    if (sy > 1e-12 * Math.sqrt(ss) * Math.sqrt(yy)) {
      if (S.length === m) {
        spare.push(S.shift()!, Y.shift()!);
        rho.shift();
        sys.shift();
        yys.shift();
      }
      S.push(s);
      Y.push(yv);
      rho.push(1 / sy);
      sys.push(sy);
      yys.push(yy);
    } else spare.push(s, yv);
    gNorm = Math.sqrt(gg);
    [x, xt] = [xt, x];
    [g, gt] = [gt, g];
    const fOld = f;
    f = fNew;
    options.onIteration?.(x, iterations, f);
    if (gNorm <= gtol * g0) {
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
    gradNorm: gNorm,
    iterations,
    evaluations,
    converged: reason === "gtol" || reason === "ftol",
    reason,
  };
}
