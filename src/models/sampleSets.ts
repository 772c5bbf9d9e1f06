import { log } from "../linalg/libm.js";
import { axpyAt, dotAt } from "../linalg/vector.js";
import { f64, kernels, pin, reserve, unpin } from "../linalg/wasm/kernels.js";
import type { NormalSource, Stream } from "../rng/stream.js";
import type { Covariates } from "./taskFamilies.js";

/**
 * A task's data set as the meta-learning algorithms see it: only through the gradient residual
 * `g(θ) = Σ̂θ − ĉ` and the covariance product `Σ̂v`, with `Σ̂ = XᵀX/m`, `ĉ = Xᵀy/m` and
 * `y = Xθ* + σz`. Three samplers implement it: the population (m = ∞), dense (materialised X),
 * and projected (X revealed lazily, exact in distribution; see `ProjectedGaussianSet`).
 */
export interface TaskSampleSet {
  /** Samples, or null for the population. */
  readonly m: number | null;
  /** out = g(θ) = Σ̂(θ − θ*) − Xᵀσz/m. */
  residual(thetaStar: Float64Array, theta: Float64Array, out: Float64Array): void;
  /** out = Σ̂ v. */
  covApply(v: Float64Array, out: Float64Array): void;
}

/** The population: Σ̂ = I, ĉ = θ*. */
export class PopulationSet implements TaskSampleSet {
  readonly m = null;
  residual(thetaStar: Float64Array, theta: Float64Array, out: Float64Array): void {
    for (let i = 0; i < theta.length; i++) out[i] = theta[i] - thetaStar[i];
  }
  covApply(v: Float64Array, out: Float64Array): void {
    out.set(v);
  }
}

/**
 * m samples with X (m × d, row-major) materialised: the direct sampler. Labels are kept as the
 * noise `σz` (y = Xθ* + σz), so the residual needs one pass per row: e_j = x_j·(θ − θ*) − σz_j.
 */
export class DenseSet implements TaskSampleSet {
  readonly X: Float64Array;
  readonly noise: Float64Array;
  private readonly delta: Float64Array;
  constructor(
    readonly m: number,
    readonly d: number,
  ) {
    this.X = new Float64Array(m * d);
    this.noise = new Float64Array(m);
    this.delta = new Float64Array(d);
  }

  /**
   * Draw X (m·d normals, row by row) then the noise (m normals, times σ). With a task family's
   * `covariates` the m rows of X come from it (one call), then the noise: with the isotropic family
   * the same bytes as without.
   */
  draw(s: Stream, sigma: number, covariates?: Covariates): void {
    if (covariates) covariates.draw(s, this.m, this.X, 0);
    else s.fillNormal(this.X, 0, this.m * this.d);
    s.fillNormal(this.noise, 0, this.m, sigma);
  }

  /** The labels y = Xθ* + σz. */
  labels(thetaStar: Float64Array): Float64Array {
    const { m, d, X } = this;
    const y = new Float64Array(m);
    for (let j = 0; j < m; j++) {
      let acc = this.noise[j];
      for (let i = 0; i < d; i++) acc += X[j * d + i] * thetaStar[i];
      y[j] = acc;
    }
    return y;
  }

  residual(thetaStar: Float64Array, theta: Float64Array, out: Float64Array): void {
    const { m, d, X, noise, delta } = this;
    for (let i = 0; i < d; i++) delta[i] = theta[i] - thetaStar[i];
    out.fill(0);
    // One fused pass per row: the dot product and the update touch the row while in cache.
    for (let j = 0; j < m; j++) {
      const o = j * d;
      axpyAt(dotAt(X, o, delta, 0, d) - noise[j], X, o, out, 0, d);
    }
    const inv = 1 / m;
    for (let i = 0; i < d; i++) out[i] *= inv;
  }

  covApply(v: Float64Array, out: Float64Array): void {
    const { m, d, X } = this;
    out.fill(0);
    for (let j = 0; j < m; j++) {
      const o = j * d;
      axpyAt(dotAt(X, o, v, 0, d), X, o, out, 0, d);
    }
    const inv = 1 / m;
    for (let i = 0; i < d; i++) out[i] *= inv;
  }
}

/**
 * `DenseSet` with X and the noise pinned in the kernel module's memory: drawn there in place
 * (`Stream.fillNormalAt`, no copy out) and read there by the residual and covariance products
 * (`rowsResidual` of linalg/wasm/kernels.as, SIMD with the JS loops' summation order). The same
 * draws and the same bits as `DenseSet`; about 3× faster per product at m = 20, d = 100. Pinned
 * blocks are a stack: `release()` the first set pinned when done (it releases the later ones).
 */
export class PinnedDenseSet implements TaskSampleSet {
  /** Byte address of X (m × d, row-major), followed by the noise σz (m). */
  readonly at: number;
  constructor(
    readonly m: number,
    readonly d: number,
  ) {
    this.at = pin(8 * (m * d + m));
  }

  /** Unpin X (and every block pinned after it). */
  release(): void {
    unpin(this.at);
  }

  /**
   * Draw X (m·d normals, row by row) then the noise (m normals, times σ): `DenseSet.draw`, with a
   * task family's `covariates` drawing the rows (into a JS buffer, then copied in) as it does.
   */
  draw(s: Stream, sigma: number, covariates?: Covariates): void {
    if (covariates) {
      const X = new Float64Array(this.m * this.d);
      covariates.draw(s, this.m, X, 0);
      f64().set(X, this.at / 8);
    } else s.fillNormalAt(this.at, this.m * this.d);
    s.fillNormalAt(this.at + 8 * this.m * this.d, this.m, sigma);
  }

  /** X as a JS array (a copy; for tests and diagnostics). */
  X(): Float64Array {
    return f64().slice(this.at / 8, this.at / 8 + this.m * this.d);
  }

  private apply(v: Float64Array, vOffset: number, noise: boolean, out: Float64Array): void {
    const d = this.d;
    const base = reserve(16 * d);
    const mem = f64();
    mem.set(v.subarray(vOffset, vOffset + d), base / 8);
    kernels().exports.rowsResidual(
      this.at,
      this.m,
      d,
      base,
      noise ? this.at + 8 * this.m * d : 0,
      base + 8 * d,
    );
    out.set(mem.subarray(base / 8 + d, base / 8 + 2 * d));
  }

  residual(thetaStar: Float64Array, theta: Float64Array, out: Float64Array): void {
    // v = θ − θ* computed in place of `out`'s first use, then the product overwrites it.
    for (let i = 0; i < this.d; i++) out[i] = theta[i] - thetaStar[i];
    this.apply(out, 0, true, out);
  }

  covApply(v: Float64Array, out: Float64Array): void {
    this.apply(v, 0, false, out);
  }
}

/**
 * m given rows of X (row-major at byte address `x`) and their "noise" (at `noise`) already in the
 * kernel module's memory, pinned by the caller (e.g. all source tasks' rows in one block, each task
 * a view): `DenseSet`'s residual and covariance products by `rowsResidual`, so the same bits as a
 * `DenseSet` holding those rows, at a fraction of the cost (2× at m = 12, d = 20; 4× at m = 50).
 */
export class PinnedRowsView implements TaskSampleSet {
  constructor(
    readonly m: number,
    readonly d: number,
    private readonly x: number,
    private readonly noise: number,
  ) {}

  private apply(v: Float64Array, noise: boolean, out: Float64Array): void {
    const d = this.d;
    const base = reserve(16 * d);
    const mem = f64();
    mem.set(v.subarray(0, d), base / 8);
    kernels().exports.rowsResidual(this.x, this.m, d, base, noise ? this.noise : 0, base + 8 * d);
    out.set(mem.subarray(base / 8 + d, base / 8 + 2 * d));
  }

  residual(thetaStar: Float64Array, theta: Float64Array, out: Float64Array): void {
    for (let i = 0; i < this.d; i++) out[i] = theta[i] - thetaStar[i];
    this.apply(out, true, out);
  }

  covApply(v: Float64Array, out: Float64Array): void {
    this.apply(v, false, out);
  }
}

/** Relative size below which a vector counts as inside the revealed span (no new direction). */
const REVEAL_TOL = 1e-12;

/**
 * m samples of x ~ N(0, I_d) with X (m × d) never materialised: it is revealed lazily, exactly
 * in distribution. X has i.i.d. N(0, 1) entries; the algorithms touch it only through products
 * `Xv` and `Xᵀc`. The set keeps orthonormal revealed input directions V (d-side) with their
 * images XV, and output directions C (m-side) with XᵀC. Given those, X splits into known parts
 * and `(I − CCᵀ) Z (I − VVᵀ)` with Z fresh i.i.d. Gaussian, independent of everything revealed
 * (rotation invariance of the Gaussian). So a new direction v̂ ⊥ V has
 * `Xv̂ = C (XᵀC)ᵀv̂ + (I − CCᵀ) g`, g ~ N(0, I_m) fresh, and symmetrically for Xᵀĉ with
 * g' ~ N(0, I_d). The choice of directions may depend on what was revealed (adaptivity is fine:
 * the fresh part is independent of it).
 *
 * Cost: a meta-gradient touches a handful of directions, so a task costs O((m + d)·r) work and
 * about 3m + 3d normals (r ≤ 4 revealed directions per side) instead of m·d normals and O(m·d)
 * passes. Checked against `DenseSet` statistically (tests).
 */
export class ProjectedGaussianSet implements TaskSampleSet {
  private readonly V: Float64Array;
  private readonly XV: Float64Array;
  private readonly C: Float64Array;
  private readonly XtC: Float64Array;
  private a = 0;
  private b = 0;
  private s: NormalSource | null = null;
  readonly noise: Float64Array;
  private readonly dvec: Float64Array;
  private readonly mvec: Float64Array;
  private readonly coef: Float64Array;
  private readonly delta: Float64Array;
  private readonly e: Float64Array;
  private readonly capV: number;
  private readonly capC: number;

  constructor(
    readonly m: number,
    readonly d: number,
    capacity = 8,
  ) {
    this.capV = Math.min(capacity, d);
    this.capC = Math.min(capacity, m);
    this.V = new Float64Array(this.capV * d);
    this.XV = new Float64Array(this.capV * m);
    this.C = new Float64Array(this.capC * m);
    this.XtC = new Float64Array(this.capC * d);
    this.noise = new Float64Array(m);
    this.dvec = new Float64Array(d);
    this.mvec = new Float64Array(m);
    this.coef = new Float64Array(Math.max(this.capV, this.capC));
    this.delta = new Float64Array(d);
    this.e = new Float64Array(m);
  }

  /** Start a fresh X (nothing revealed) drawing from `s`; draws the noise σz now (m normals). */
  reset(s: NormalSource, sigma: number): void {
    this.s = s;
    this.a = 0;
    this.b = 0;
    s.fill(this.noise, 0, this.m, sigma);
  }

  /** out (m) = X v. */
  applyX(v: Float64Array, out: Float64Array): void {
    const { m, d, V, XV, C, XtC, coef } = this;
    const vp = this.dvec;
    vp.set(v);
    const vnorm2 = dotAt(v, 0, v, 0, d);
    // Coefficients on the revealed directions by Gram–Schmidt; a second pass only when the
    // first cancelled most of v ("twice is enough", Kahan–Parlett).
    out.fill(0);
    let rn2 = vnorm2;
    for (let pass = 0; pass < 2 && this.a > 0; pass++) {
      for (let q = 0; q < this.a; q++) {
        const c = dotAt(V, q * d, vp, 0, d);
        axpyAt(-c, V, q * d, vp, 0, d);
        axpyAt(c, XV, q * m, out, 0, m);
      }
      const before = rn2;
      rn2 = dotAt(vp, 0, vp, 0, d);
      if (rn2 > 0.25 * before) break;
    }
    if (!(rn2 > REVEAL_TOL * REVEAL_TOL * vnorm2)) return;
    if (this.a === this.capV) this.overflow();
    // Reveal v̂ = v_⊥/‖v_⊥‖: X v̂ = C (XᵀC)ᵀ v̂ + (I − CCᵀ) g.
    const rn = Math.sqrt(rn2);
    const qa = this.a;
    const ov = qa * d;
    for (let i = 0; i < d; i++) V[ov + i] = vp[i] / rn;
    const om = qa * m;
    this.s!.fill(XV, om, m);
    for (let p = 0; p < this.b; p++) coef[p] = dotAt(XtC, p * d, V, ov, d) - dotAt(C, p * m, XV, om, m);
    for (let p = 0; p < this.b; p++) axpyAt(coef[p], C, p * m, XV, om, m);
    this.a++;
    axpyAt(rn, XV, om, out, 0, m);
  }

  /** out (d) = Xᵀ c. */
  applyXt(c: Float64Array, out: Float64Array): void {
    const { m, d, V, XV, C, XtC, coef } = this;
    const cp = this.mvec;
    cp.set(c);
    const cnorm2 = dotAt(c, 0, c, 0, m);
    out.fill(0);
    let rn2 = cnorm2;
    for (let pass = 0; pass < 2 && this.b > 0; pass++) {
      for (let p = 0; p < this.b; p++) {
        const g = dotAt(C, p * m, cp, 0, m);
        axpyAt(-g, C, p * m, cp, 0, m);
        axpyAt(g, XtC, p * d, out, 0, d);
      }
      const before = rn2;
      rn2 = dotAt(cp, 0, cp, 0, m);
      if (rn2 > 0.25 * before) break;
    }
    if (!(rn2 > REVEAL_TOL * REVEAL_TOL * cnorm2)) return;
    if (this.b === this.capC) this.overflow();
    // Reveal ĉ: Xᵀĉ = V (XV)ᵀ ĉ + (I − VVᵀ) g'.
    const rn = Math.sqrt(rn2);
    const pb = this.b;
    const oc = pb * m;
    for (let j = 0; j < m; j++) C[oc + j] = cp[j] / rn;
    const od = pb * d;
    this.s!.fill(XtC, od, d);
    for (let q = 0; q < this.a; q++) coef[q] = dotAt(XV, q * m, C, oc, m) - dotAt(V, q * d, XtC, od, d);
    for (let q = 0; q < this.a; q++) axpyAt(coef[q], V, q * d, XtC, od, d);
    this.b++;
    axpyAt(rn, XtC, od, out, 0, d);
  }

  private overflow(): never {
    throw new RangeError(
      `ProjectedGaussianSet: more than ${Math.max(this.capV, this.capC)} directions revealed in one task; raise the capacity`,
    );
  }

  residual(thetaStar: Float64Array, theta: Float64Array, out: Float64Array): void {
    const { m, d, delta, e } = this;
    for (let i = 0; i < d; i++) delta[i] = theta[i] - thetaStar[i];
    this.applyX(delta, e);
    for (let j = 0; j < m; j++) e[j] -= this.noise[j];
    this.applyXt(e, out);
    const inv = 1 / m;
    for (let i = 0; i < d; i++) out[i] *= inv;
  }

  covApply(v: Float64Array, out: Float64Array): void {
    const e = this.e;
    this.applyX(v, e);
    this.applyXt(e, out);
    const inv = 1 / this.m;
    for (let i = 0; i < this.d; i++) out[i] *= inv;
  }
}

/**
 * χ²_ν (ν ≥ 1 an integer) from a normal source, exactly in distribution: a sum of ν squares for
 * small ν, else 2·Gamma(ν/2) by Marsaglia–Tsang (2000), whose uniform is exp(−(z₁² + z₂²)/2) (an
 * exact Uniform(0, 1] from two normals: z₁² + z₂² is exponential with mean 2). About 3 normals
 * for any ν instead of ν.
 */
export function chiSquare(s: NormalSource, nu: number, buf: Float64Array): number {
  if (nu <= 4) {
    s.fill(buf, 0, nu);
    let acc = 0;
    for (let i = 0; i < nu; i++) acc += buf[i] * buf[i];
    return acc;
  }
  const dd = nu / 2 - 1 / 3;
  const c = 1 / Math.sqrt(9 * dd);
  for (;;) {
    s.fill(buf, 0, 3);
    const x = buf[0];
    const v0 = 1 + c * x;
    if (v0 <= 0) continue;
    const v = v0 * v0 * v0;
    // log u = −(z₁² + z₂²)/2 exactly, u = exp(log u) uniform on (0, 1].
    const logU = -0.5 * (buf[1] * buf[1] + buf[2] * buf[2]);
    if (logU < 0.5 * x * x + dd - dd * v + dd * log(v)) return 2 * dd * v;
  }
}

/**
 * The projected sampler: m samples of x ~ N(0, I_d) with noise σz, revealed lazily and exactly in
 * distribution, through their Gram matrix only. The algorithms touch a set only through
 * `Σ̂v = XᵀXv/m` and `g(θ) = Xᵀ(X(θ − θ*) − σz)/m`, i.e. through `W = [X z]ᵀ[X z]` ((d+1)×(d+1),
 * Wishart with m degrees of freedom) applied to `[v; 0]` and `[θ − θ*; −σ]`. Bartlett's
 * decomposition `W = Σ_j ℓ_j ℓ_jᵀ` in an orthonormal basis u₁, u₂, … (ℓ_j ⊥ u₁ … u_{j−1},
 * `ℓ_j·u_j = √χ²_{m−j+1}`, the rest N(0, 1), all independent) lets the basis be chosen as the
 * queries arrive: given ℓ₁ … ℓ_a, the remainder `Σ_{j>a} ℓ_jℓ_jᵀ` is Wishart with m − a degrees of
 * freedom on span(u₁ … u_a)^⊥, independent of the past and rotation invariant there, so a new
 * query direction û may depend on everything revealed. A query q in span(u₁ … u_a) then has
 * `Wq = Σ_{j≤a} ℓ_j (ℓ_j·q)` (ℓ_j for j > a is ⊥ q). With m < d + 1 the columns past m are 0.
 *
 * Why it replaced `ProjectedGaussianSet` (which reveals X itself, its m-side and d-side): the same
 * results in distribution (tests: the per-task meta-gradients against the direct sampler), with
 * nothing of size m: about d + 4 normals and O(d·a) work per revealed direction (a ≤ 2 per set
 * for every built-in method) against 3m + 3d normals and O((m + d)·a) work per set. At m = 50,
 * d = 20 (collins-finite-samples) the sampler was most of a run's cost.
 */
export class ProjectedWishartSet implements TaskSampleSet {
  private readonly D: number;
  private readonly cap: number;
  /** Revealed orthonormal directions u_j (rows of length d + 1). */
  private readonly U: Float64Array;
  /** Bartlett columns ℓ_j (rows of length d + 1). */
  private readonly L: Float64Array;
  private a = 0;
  private s: NormalSource | null = null;
  private sigma = 0;
  private readonly q: Float64Array;
  private readonly p: Float64Array;
  /** The coefficients ℓ_j·q of one query. */
  private readonly cj: Float64Array;
  private readonly scratch = new Float64Array(4);

  constructor(
    readonly m: number,
    readonly d: number,
    capacity = 8,
  ) {
    this.D = d + 1;
    this.cap = Math.min(capacity, this.D);
    this.U = new Float64Array(this.cap * this.D);
    this.L = new Float64Array(this.cap * this.D);
    this.q = new Float64Array(this.D);
    this.p = new Float64Array(this.D);
    this.cj = new Float64Array(this.cap);
  }

  /** Start a fresh set (nothing revealed) drawing from `s`, with label noise σ; draws nothing now. */
  reset(s: NormalSource, sigma: number): void {
    this.s = s;
    this.sigma = sigma;
    this.a = 0;
  }

  /**
   * out[i] ← (W q)[i] / m for i < d (q of length d + 1), revealing q's direction outside the
   * revealed span if any. The products are those of the plain loops (wq ← 0, wq += (ℓ_j·q) ℓ_j for
   * each j, then × 1/m) fused into one pass per query: the same operations in the same order, so
   * the same bits, with fewer passes over length-d vectors (issue 22).
   */
  private applyW(out: Float64Array): void {
    const { D, U, L, q, p, cj } = this;
    const qn2 = dotAt(q, 0, q, 0, D);
    let rn2 = qn2;
    if (this.a === 0) {
      // Nothing revealed: q itself is the new direction (no Gram–Schmidt, no copy).
      if (rn2 > REVEAL_TOL * REVEAL_TOL * qn2) this.reveal(q, Math.sqrt(rn2));
    } else {
      p.set(q);
      // Gram–Schmidt on the revealed directions, a second pass only when the first cancelled most
      // of q ("twice is enough", Kahan–Parlett).
      for (let pass = 0; pass < 2; pass++) {
        for (let j = 0; j < this.a; j++) axpyAt(-dotAt(U, j * D, p, 0, D), U, j * D, p, 0, D);
        const before = rn2;
        rn2 = dotAt(p, 0, p, 0, D);
        if (rn2 > 0.25 * before) break;
      }
      if (rn2 > REVEAL_TOL * REVEAL_TOL * qn2) this.reveal(p, Math.sqrt(rn2));
    }
    const a = this.a;
    for (let j = 0; j < a; j++) cj[j] = dotAt(L, j * D, q, 0, D);
    const inv = 1 / this.m;
    const d = this.d;
    if (a === 1) {
      const c0 = cj[0];
      for (let i = 0; i < d; i++) out[i] = (0 + c0 * L[i]) * inv;
    } else if (a === 2) {
      const c0 = cj[0];
      const c1 = cj[1];
      for (let i = 0; i < d; i++) out[i] = (0 + c0 * L[i] + c1 * L[D + i]) * inv;
    } else {
      for (let i = 0; i < d; i++) {
        let acc = 0;
        for (let j = 0; j < a; j++) acc += cj[j] * L[j * D + i];
        out[i] = acc * inv;
      }
    }
  }

  /** Reveal û = p/‖p‖ as u_{a+1} and draw ℓ_{a+1} = √χ²_{m−a} û + (fresh N(0, I) on the rest). */
  private reveal(p: Float64Array, norm: number): void {
    const { D, U, L } = this;
    if (this.a === this.cap) {
      throw new RangeError(
        `ProjectedWishartSet: more than ${this.cap} directions revealed in one task; raise the capacity`,
      );
    }
    const a = this.a;
    const ou = a * D;
    for (let i = 0; i < D; i++) U[ou + i] = p[i] / norm;
    this.a++;
    const nu = this.m - a;
    if (nu <= 0) {
      L.fill(0, ou, ou + D);
      return;
    }
    const s = this.s!;
    s.fill(L, ou, D);
    // The fresh part lives on span(u₁ … u_{a+1})^⊥: one projection pass (the u's are orthonormal
    // to rounding and the normals are not small, so nothing cancels). The last projection and the
    // χ² part share one loop (the two axpys' operations in their order).
    for (let j = 0; j < a; j++) axpyAt(-dotAt(U, j * D, L, ou, D), U, j * D, L, ou, D);
    const g = -dotAt(U, ou, L, ou, D);
    const c = Math.sqrt(chiSquare(s, nu, this.scratch));
    for (let i = 0; i < D; i++) L[ou + i] = L[ou + i] + g * U[ou + i] + c * U[ou + i];
  }

  residual(thetaStar: Float64Array, theta: Float64Array, out: Float64Array): void {
    const { d, q } = this;
    for (let i = 0; i < d; i++) q[i] = theta[i] - thetaStar[i];
    q[d] = -this.sigma;
    this.applyW(out);
  }

  covApply(v: Float64Array, out: Float64Array): void {
    const { d, q } = this;
    for (let i = 0; i < d; i++) q[i] = v[i];
    q[d] = 0;
    this.applyW(out);
  }
}
