/**
 * Elementary functions that give the same bits in every JavaScript engine.
 *
 * Why this file exists: the library promises "same seed, same bytes" across the Node CLI and a browser
 * Web Worker, but the ECMAScript specification leaves the accuracy of `Math.exp`, `Math.log`,
 * `Math.log1p`, `Math.sin`, `Math.cos`, `Math.atan2`, `Math.acos`, `Math.log2` and `**` to the
 * implementation. In practice Node 20 (V8 11.3, fdlibm ports) and current Chromium (V8 with
 * LLVM-libc's correctly rounded `log`/`log1p`/`sin`/`cos`/…) differ in the last bit on a large share of
 * arguments. Only `+ - * /`, `Math.sqrt`, `Math.abs`, `Math.floor` and integer/bit operations on typed
 * arrays are pinned down by IEEE 754 and the specification. This module is written with those alone,
 * so every engine computes every result in exactly the same way. **Library code must call `exp`,
 * `log`, `log1p`, `sin`, `cos`, `atan`, `atan2` and `acos` from here, never the `Math.*` versions.**
 *
 * Where the algorithms come from: these are line-by-line ports of Sun's fdlibm 5.3 in the revisions
 * that FreeBSD msun and V8's `src/base/ieee754.cc` carry: e_exp.c, e_log.c, s_log1p.c, s_sin.c,
 * s_cos.c, k_sin.c, k_cos.c, s_atan.c, e_atan2.c, e_acos.c, and for the argument reduction of sin/cos
 * the fdlibm 5.3 e_rem_pio2.c (Cody–Waite, exact for |x| ≤ 2^19·π) and k_rem_pio2.c (Payne–Hanek, all
 * larger |x|) that V8 uses. Constants are the fdlibm ones (the hex words in the comments are
 * authoritative; the decimal literals round to exactly those bits, which a test checks), and every
 * floating-point expression keeps fdlibm's operation order, because the result bits depend on it.
 * `int32_t`/`uint32_t` arithmetic is mirrored with `| 0`, `>> n` and `>>> n`. Code that only raises
 * the inexact flag in C (`huge + x > one`, `(int)x == 0`) is kept, so the control flow is the
 * original's. Deviation shared with V8: `exp(1)` returns `Math.E` (fdlibm's formula is 1 ulp high
 * there). Where the C code assembles a power of two or rewrites an exponent field on a hot path, the
 * port multiplies by an exact power of two instead (see `fromWords`); the bits are the same.
 *
 * The original sources carry this notice, which their licence requires us to preserve:
 *
 * ====================================================
 * Copyright (C) 1993 by Sun Microsystems, Inc. All rights reserved.
 *
 * Developed at SunSoft, a Sun Microsystems, Inc. business.
 * Permission to use, copy, modify, and distribute this
 * software is freely granted, provided that this notice
 * is preserved.
 * ====================================================
 *
 * and, for e_exp.c:
 *
 * ====================================================
 * Copyright (C) 2004 by Sun Microsystems, Inc. All rights reserved.
 *
 * Permission to use, copy, modify, and distribute this
 * software is freely granted, provided that this notice
 * is preserved.
 * ====================================================
 */

// ---------------------------------------------------------------------------------------------------
// Word access. One 8-byte buffer seen as a double, two signed and two unsigned 32-bit words. Typed
// arrays use the platform byte order; every platform JavaScript runs on is little-endian, so word 0 is
// the low (less significant) half and word 1 the high half. The check below fails loudly otherwise.
// Not re-entrant, which is fine: JavaScript is single-threaded per realm and nothing here yields.
// ---------------------------------------------------------------------------------------------------

const wordsF64 = new Float64Array(1);
const wordsI32 = new Int32Array(wordsF64.buffer);
const wordsU32 = new Uint32Array(wordsF64.buffer);

wordsF64[0] = 1;
if (wordsI32[1] !== 0x3ff00000 || wordsU32[0] !== 0) {
  throw new Error("libm: this platform's Float64Array is not little-endian; the word access needs porting");
}

/** GET_HIGH_WORD: the sign, exponent and top 20 mantissa bits of x, as a signed int32. */
function highWord(x: number): number {
  wordsF64[0] = x;
  return wordsI32[1];
}

/** GET_LOW_WORD: the low 32 mantissa bits of x, as an unsigned int32. */
function lowWord(x: number): number {
  wordsF64[0] = x;
  return wordsU32[0];
}

/**
 * INSERT_WORDS: the double whose high and low words are `hi` and `lo`.
 *
 * Performance note: two narrow stores followed by a wide load defeat the CPU's store-to-load
 * forwarding (≈ 10 ns per call). On hot paths, whenever the C code only builds a power of two or moves
 * an exponent field, the port multiplies by an exact power of two from `POW2` instead; that gives the
 * same bits, since scaling by 2^k is exact whenever the result is normal.
 */
function fromWords(hi: number, lo: number): number {
  wordsI32[1] = hi;
  wordsU32[0] = lo;
  return wordsF64[0];
}

/** SET_LOW_WORD: x with its low word replaced by `lo`. */
function withLowWord(x: number, lo: number): number {
  wordsF64[0] = x;
  wordsU32[0] = lo;
  return wordsF64[0];
}

// ---------------------------------------------------------------------------------------------------
// Constants shared by several functions.
// ---------------------------------------------------------------------------------------------------

const HUGE = 1e300;
const TINY = 1e-300;
const TWO24 = 16777216; // 0x41700000, 0x00000000
const TWON24 = 5.9604644775390625e-8; // 0x3E700000, 0x00000000
const TWO54 = 18014398509481984; // 0x43500000, 0x00000000
const LN2_HI = 0.6931471803691238; // 0x3FE62E42, 0xFEE00000
const LN2_LO = 1.9082149292705877e-10; // 0x3DEA39EF, 0x35793C76
// biome-ignore lint/suspicious/noApproximativeNumericConstant: fdlibm constant; its bits are checked by libm.test.ts
const PI = 3.141592653589793; // 0x400921FB, 0x54442D18
const PIO2_HI = 1.5707963267948966; // 0x3FF921FB, 0x54442D18
const PIO2_LO = 6.123233995736766e-17; // 0x3C91A626, 0x33145C07
const PIO4 = 0.7853981633974483; // 0x3FE921FB, 0x54442D18
const PI_LO = 1.2246467991473532e-16; // 0x3CA1A626, 0x33145C07

/** POW2[POW2_BIAS + k] = 2^k for every k in [−1074, 1023], built by exact doubling and halving. */
const POW2_BIAS = 1074;
const POW2 = new Float64Array(POW2_BIAS + 1024);
POW2[POW2_BIAS] = 1;
for (let k = 1; k <= 1023; k++) POW2[POW2_BIAS + k] = POW2[POW2_BIAS + k - 1] * 2;
for (let k = -1; k >= -1074; k--) POW2[POW2_BIAS + k] = POW2[POW2_BIAS + k + 1] * 0.5;

// ---------------------------------------------------------------------------------------------------
// scalbn (s_scalbn.c semantics: x·2^n correctly rounded, exact whenever representable).
// ---------------------------------------------------------------------------------------------------

const TWO1023 = 8.98846567431158e307; // 0x7FE00000, 0x00000000
const TWOM1022 = 2.2250738585072014e-308; // 0x00100000, 0x00000000
const TWO53 = 9007199254740992; // 0x43400000, 0x00000000

/**
 * x·2^n for an integer n, like C's `scalbn`/`ldexp`: rounded once, so exact unless the result is
 * subnormal or overflows; ±0, ±∞ and NaN are returned unchanged. Written with multiplications by exact
 * powers of two of which at most one can round. A non-integer n is truncated; |n| beyond 2200
 * saturates (the result is then ±∞ or ±0 for every finite non-zero x anyway).
 * Example: `scalbn(0.75, 4)` → 12.
 */
export function scalbn(x: number, n: number): number {
  let y = x;
  let k = n > 2200 ? 2200 : n < -2200 ? -2200 : n | 0;
  if (k > 1023) {
    y *= TWO1023;
    k -= 1023;
    if (k > 1023) {
      y *= TWO1023;
      k -= 1023;
      if (k > 1023) k = 1023;
    }
  } else if (k < -1022) {
    // Scale by 2^-969 (= 2^-1022 · 2^53) so that the intermediate stays normal and exact; only the
    // final multiplication may round.
    y *= TWOM1022 * TWO53;
    k += 1022 - 53;
    if (k < -1022) {
      y *= TWOM1022 * TWO53;
      k += 1022 - 53;
      if (k < -1022) k = -1022;
    }
  }
  return y * POW2[POW2_BIAS + k];
}

// ---------------------------------------------------------------------------------------------------
// exp (e_exp.c)
// ---------------------------------------------------------------------------------------------------

const O_THRESHOLD = 709.782712893384; // 0x40862E42, 0xFEFA39EF
const U_THRESHOLD = -745.1332191019411; // 0xC0874910, 0xD52D3051
// biome-ignore lint/suspicious/noApproximativeNumericConstant: fdlibm constant; its bits are checked by libm.test.ts
const INVLN2 = 1.4426950408889634; // 0x3FF71547, 0x652B82FE
const P1 = 0.16666666666666602; // 0x3FC55555, 0x5555553E
const P2 = -2.7777777777015593e-3; // 0xBF66C16C, 0x16BEBD93
const P3 = 6.613756321437934e-5; // 0x3F11566A, 0xAF25DE2C
const P4 = -1.6533902205465252e-6; // 0xBEBBBD41, 0xC5D26BF1
const P5 = 4.1381367970572385e-8; // 0x3E663769, 0x72BEA4D0
// biome-ignore lint/suspicious/noApproximativeNumericConstant: fdlibm constant; its bits are checked by libm.test.ts
const E = 2.718281828459045; // 0x4005BF0A, 0x8B145769
const TWOM1000 = 9.332636185032189e-302; // 0x01700000, 0x00000000
const LN2HI_BY_SIGN = Float64Array.of(LN2_HI, -LN2_HI); // ln2HI[2]
const LN2LO_BY_SIGN = Float64Array.of(LN2_LO, -LN2_LO); // ln2LO[2]
const HALF_BY_SIGN = Float64Array.of(0.5, -0.5); // halF[2]

/**
 * e^x, error < 1 ulp, identical bits in every engine.
 *
 * Method (fdlibm): reduce x = k·ln2 + r with |r| ≤ ln2/2 (r carried as hi − lo), approximate
 * exp(r) = 1 + r + r·R1(r)/(2 − R1(r)) with a degree-5 Remez polynomial, then scale by 2^k.
 * Overflows to +∞ for x > 709.782712893384, underflows to +0 for x < −745.1332191019411;
 * exp(±∞) = +∞ / +0, exp(NaN) = NaN. Example: `exp(1)` → 2.718281828459045.
 */
export function exp(x: number): number {
  let hx = highWord(x);
  const xsb = (hx >>> 31) & 1; // sign bit of x
  hx &= 0x7fffffff; // high word of |x|

  // filter out non-finite argument
  if (hx >= 0x40862e42) {
    // |x| >= 709.78...
    if (hx >= 0x7ff00000) {
      if (((hx & 0xfffff) | lowWord(x)) !== 0) return x + x; // NaN
      return xsb === 0 ? x : 0; // exp(+-inf) = {inf, 0}
    }
    if (x > O_THRESHOLD) return HUGE * HUGE; // overflow
    if (x < U_THRESHOLD) return TWOM1000 * TWOM1000; // underflow
  }

  // argument reduction
  let hi = 0;
  let lo = 0;
  let k = 0;
  if (hx > 0x3fd62e42) {
    // |x| > 0.5 ln2
    if (hx < 0x3ff0a2b2) {
      // and |x| < 1.5 ln2
      // V8 special-cases exp(1) so that it returns Math.E; fdlibm's formula is 1 ulp high there.
      if (x === 1) return E;
      hi = x - LN2HI_BY_SIGN[xsb];
      lo = LN2LO_BY_SIGN[xsb];
      k = 1 - xsb - xsb;
    } else {
      k = (INVLN2 * x + HALF_BY_SIGN[xsb]) | 0;
      const t = k;
      hi = x - t * LN2_HI; // t*ln2HI is exact here
      lo = t * LN2_LO;
    }
    x = hi - lo;
  } else if (hx < 0x3e300000) {
    // |x| < 2**-28
    if (HUGE + x > 1) return 1 + x; // trigger inexact
  } else {
    k = 0;
  }

  // x is now in primary range
  const t = x * x;
  // INSERT_WORDS(twopk, 0x3ff00000 + (k << 20), 0), or with k + 1000 for k < -1021: a power of two.
  // (k = 1024 is scaled separately below, so its twopk is never used.)
  const twopk = k >= -1021 ? (k === 1024 ? 0 : POW2[POW2_BIAS + k]) : POW2[POW2_BIAS + k + 1000];
  const c = x - t * (P1 + t * (P2 + t * (P3 + t * (P4 + t * P5))));
  if (k === 0) return 1 - ((x * c) / (c - 2.0) - x);
  const y = 1 - (lo - (x * c) / (2.0 - c) - hi);
  if (k >= -1021) {
    if (k === 1024) return y * 2.0 * TWO1023;
    return y * twopk;
  }
  return y * twopk * TWOM1000;
}

// ---------------------------------------------------------------------------------------------------
// log (e_log.c) and log1p (s_log1p.c)
// ---------------------------------------------------------------------------------------------------

const LG1 = 0.6666666666666735; // 0x3FE55555, 0x55555593
const LG2 = 0.3999999999940942; // 0x3FD99999, 0x9997FA04
const LG3 = 0.2857142874366239; // 0x3FD24924, 0x94229359
const LG4 = 0.22222198432149784; // 0x3FCC71C5, 0x1D8E78AF
const LG5 = 0.1818357216161805; // 0x3FC74664, 0x96CB03DE
const LG6 = 0.15313837699209373; // 0x3FC39A09, 0xD078C69F
const LG7 = 0.14798198605116586; // 0x3FC2F112, 0xDF3E5244

/**
 * Natural logarithm, error < 1 ulp, identical bits in every engine.
 *
 * Method (fdlibm): x = 2^k·(1+f) with √2/2 < 1+f < √2, s = f/(2+f), log(1+f) = 2s + s·R(s²) with a
 * degree-14 Remez polynomial, result k·ln2_hi + (f − (hfsq − (s·(hfsq+R) + k·ln2_lo))).
 * log(±0) = −∞, log(x < 0) = NaN, log(+∞) = +∞, log(NaN) = NaN; subnormals are exact inputs.
 * Example: `log(Math.E)` → 1.
 */
export function log(x: number): number {
  wordsF64[0] = x;
  let hx = wordsI32[1];
  const lx = wordsU32[0];

  let k = 0;
  if (hx < 0x00100000) {
    // x < 2**-1022
    if (((hx & 0x7fffffff) | lx) === 0) return Number.NEGATIVE_INFINITY; // log(+-0) = -inf
    if (hx < 0) return Number.NaN; // log(-#) = NaN
    k -= 54;
    x *= TWO54; // subnormal number, scale up x
    hx = highWord(x);
  }
  if (hx >= 0x7ff00000) return x + x;
  const e = (hx >> 20) - 1023;
  k += e;
  hx &= 0x000fffff;
  let i = (hx + 0x95f64) & 0x100000;
  // SET_HIGH_WORD(x, hx | (i ^ 0x3ff00000)): normalize x or x/2, i.e. scale x by 2^-(e + i/2^20).
  x *= POW2[POW2_BIAS - e - (i >> 20)];
  k += i >> 20;
  const f = x - 1.0;
  if ((0x000fffff & (2 + hx)) < 3) {
    // -2**-20 <= f < 2**-20
    if (f === 0) {
      if (k === 0) return 0;
      const dk = k;
      return dk * LN2_HI + dk * LN2_LO;
    }
    const R = f * f * (0.5 - 0.3333333333333333 * f); // fdlibm spells it 0.33333333333333333
    if (k === 0) return f - R;
    const dk = k;
    return dk * LN2_HI - (R - dk * LN2_LO - f);
  }
  const s = f / (2.0 + f);
  const dk = k;
  const z = s * s;
  i = hx - 0x6147a;
  const w = z * z;
  const j = 0x6b851 - hx;
  const t1 = w * (LG2 + w * (LG4 + w * LG6));
  const t2 = z * (LG1 + w * (LG3 + w * (LG5 + w * LG7)));
  i |= j;
  const R = t2 + t1;
  if (i > 0) {
    const hfsq = 0.5 * f * f;
    if (k === 0) return f - (hfsq - s * (hfsq + R));
    return dk * LN2_HI - (hfsq - (s * (hfsq + R) + dk * LN2_LO) - f);
  }
  if (k === 0) return f - s * (f - R);
  return dk * LN2_HI - (s * (f - R) - dk * LN2_LO - f);
}

/**
 * log(1 + x), accurate also for tiny x, error < 1 ulp, identical bits in every engine.
 *
 * Method (fdlibm): as `log`, on u = 1 + x rounded, plus the correction c/u for the rounding of u
 * (c = (1+x) − u); for √2/2 − 1 ≤ x < √2 − 1 the reduction is skipped (f = x exactly).
 * log1p(−1) = −∞, log1p(x < −1) = NaN, log1p(±0) = ±0, log1p(+∞) = +∞, log1p(NaN) = NaN.
 * Example: `log1p(1e-20)` → 1e-20.
 */
export function log1p(x: number): number {
  const hx = highWord(x);
  const ax = hx & 0x7fffffff;

  let k = 1;
  let f = 0;
  let c = 0;
  let hu = 0;
  if (hx < 0x3fda827a) {
    // 1+x < sqrt(2)+
    if (ax >= 0x3ff00000) {
      // x <= -1.0
      if (x === -1.0) return Number.NEGATIVE_INFINITY; // log1p(-1) = -inf
      return Number.NaN; // log1p(x<-1) = NaN
    }
    if (ax < 0x3e200000) {
      // |x| < 2**-29
      if (TWO54 + x > 0 && ax < 0x3c900000) {
        // raise inexact; |x| < 2**-54
        return x;
      }
      return x - x * x * 0.5;
    }
    if (hx > 0 || hx <= (0xbfd2bec4 | 0)) {
      // sqrt(2)/2- <= 1+x < sqrt(2)+
      k = 0;
      f = x;
      hu = 1;
    }
  }
  if (hx >= 0x7ff00000) return x + x;
  if (k !== 0) {
    let u: number;
    if (hx < 0x43400000) {
      u = 1.0 + x;
      hu = highWord(u);
      k = (hu >> 20) - 1023;
      c = k > 0 ? 1.0 - (u - x) : x - (u - 1.0); // correction term
      c /= u;
    } else {
      u = x;
      hu = highWord(u);
      k = (hu >> 20) - 1023;
      c = 0;
    }
    hu &= 0x000fffff;
    // The approximation to sqrt(2) used in thresholds is not critical. However, the ones used above
    // must give less strict bounds than the one here so that the k==0 case is never reached from
    // here, since here we have committed to using the correction term but don't use it if k==0.
    // C: if (hu < 0x6a09e) SET_HIGH_WORD(u, hu | 0x3ff00000) (u ~< sqrt(2): normalize u), else
    // k += 1, SET_HIGH_WORD(u, hu | 0x3fe00000) (normalize u/2). Either way that scales u by exactly
    // 2^-k (u is normal, so the product below is exact).
    if (hu >= 0x6a09e) {
      k += 1;
      hu = (0x00100000 - hu) >> 2;
    }
    u *= POW2[POW2_BIAS - k];
    f = u - 1.0;
  }
  const hfsq = 0.5 * f * f;
  if (hu === 0) {
    // |f| < 2**-20
    if (f === 0) {
      if (k === 0) return 0;
      c += k * LN2_LO;
      return k * LN2_HI + c;
    }
    const R = hfsq * (1.0 - 0.6666666666666666 * f); // fdlibm spells it 0.66666666666666666
    if (k === 0) return f - R;
    return k * LN2_HI - (R - (k * LN2_LO + c) - f);
  }
  const s = f / (2.0 + f);
  const z = s * s;
  const R = z * (LG1 + z * (LG2 + z * (LG3 + z * (LG4 + z * (LG5 + z * (LG6 + z * LG7))))));
  if (k === 0) return f - (hfsq - s * (hfsq + R));
  return k * LN2_HI - (hfsq - (s * (hfsq + R) + (k * LN2_LO + c)) - f);
}

// ---------------------------------------------------------------------------------------------------
// Argument reduction for sin/cos: __ieee754_rem_pio2 (e_rem_pio2.c) and __kernel_rem_pio2
// (k_rem_pio2.c, Payne–Hanek), fdlibm 5.3 versions as used by V8.
// ---------------------------------------------------------------------------------------------------

/** 396 hex digits (476 decimal) of 2/π, 24 bits per entry. */
// biome-ignore format: keep the table compact
const TWO_OVER_PI = Int32Array.of(
  0xa2f983, 0x6e4e44, 0x1529fc, 0x2757d1, 0xf534dd, 0xc0db62, 0x95993c, 0x439041, 0xfe5163, 0xabdebb, 0xc561b7,
  0x246e3a, 0x424dd2, 0xe00649, 0x2eea09, 0xd1921c, 0xfe1deb, 0x1cb129, 0xa73ee8, 0x8235f5, 0x2ebb44, 0x84e99c,
  0x7026b4, 0x5f7e41, 0x3991d6, 0x398353, 0x39f49c, 0x845f8b, 0xbdf928, 0x3b1ff8, 0x97ffde, 0x05980f, 0xef2f11,
  0x8b5a0a, 0x6d1f6d, 0x367ecf, 0x27cb09, 0xb74f46, 0x3f669e, 0x5fea2d, 0x7527ba, 0xc7ebe5, 0xf17b3d, 0x0739f7,
  0x8a5292, 0xea6bfb, 0x5fb11f, 0x8d5d08, 0x560330, 0x46fc7b, 0x6babf0, 0xcfbc20, 0x9af436, 0x1da9e3, 0x91615e,
  0xe61b08, 0x659985, 0x5f14a0, 0x68408d, 0xffd880, 0x4d7327, 0x310606, 0x1556ca, 0x73a8c9, 0x60e27b, 0xc08c6b,
);

/** High words of n·π/2 for n = 1..32, for the quick "no cancellation" check. */
// biome-ignore format: keep the table compact
const NPIO2_HW = Int32Array.of(
  0x3ff921fb, 0x400921fb, 0x4012d97c, 0x401921fb, 0x401f6a7a, 0x4022d97c, 0x4025fdbb, 0x402921fb,
  0x402c463a, 0x402f6a7a, 0x4031475c, 0x4032d97c, 0x40346b9c, 0x4035fdbb, 0x40378fdb, 0x403921fb,
  0x403ab41b, 0x403c463a, 0x403dd85a, 0x403f6a7a, 0x40407e4c, 0x4041475c, 0x4042106c, 0x4042d97c,
  0x4043a28c, 0x40446b9c, 0x404534ac, 0x4045fdbb, 0x4046c6cb, 0x40478fdb, 0x404858eb, 0x404921fb,
);

const INVPIO2 = 0.6366197723675814; // 0x3FE45F30, 0x6DC9C883  53 bits of 2/pi
const PIO2_1 = 1.5707963267341256; // 0x3FF921FB, 0x54400000  first 33 bits of pi/2
const PIO2_1T = 6.077100506506192e-11; // 0x3DD0B461, 0x1A626331  pi/2 - pio2_1
const PIO2_2 = 6.077100506303966e-11; // 0x3DD0B461, 0x1A600000  second 33 bits of pi/2
const PIO2_2T = 2.0222662487959506e-21; // 0x3BA3198A, 0x2E037073  pi/2 - (pio2_1+pio2_2)
const PIO2_3 = 2.0222662487111665e-21; // 0x3BA3198A, 0x2E000000  third 33 bits of pi/2
const PIO2_3T = 8.4784276603689e-32; // 0x397B839A, 0x252049C1  pi/2 - (pio2_1+pio2_2+pio2_3)

/** π/2 cut into 24-bit chunks (k_rem_pio2.c). */
const PIO2_CHUNKS = Float64Array.of(
  1.570796251296997, // 0x3FF921FB, 0x40000000
  7.549789415861596e-8, // 0x3E74442D, 0x00000000
  5.390302529957765e-15, // 0x3CF84698, 0x80000000
  3.282003415807913e-22, // 0x3B78CC51, 0x60000000
  1.270655753080676e-29, // 0x39F01B83, 0x80000000
  1.2293330898111133e-36, // 0x387A2520, 0x40000000
  2.7337005381646456e-44, // 0x36E38222, 0x80000000
  2.1674168387780482e-51, // 0x3569F31D, 0x00000000
);

// Scratch arrays, allocated once (the C code uses stack arrays of these sizes).
const remY = new Float64Array(2); // y[0] + y[1] = x − n·π/2
const remTx = new Float64Array(3);
const kIq = new Int32Array(20);
const kF = new Float64Array(20);
const kFq = new Float64Array(20);
const kQ = new Float64Array(20);

/**
 * __kernel_rem_pio2 with prec = 2 (jk = 4), the setting e_rem_pio2.c uses: x[0..nx) are 24-bit chunks
 * of |input| with x[0]·2^e0 its leading chunk; writes y[0] + y[1] = |input| − N·π/2 and returns N mod 8.
 */
function kernelRemPio2(x: Float64Array, y: Float64Array, e0: number, nx: number): number {
  const iq = kIq;
  const f = kF;
  const fq = kFq;
  const q = kQ;
  const jk = 4; // init_jk[prec = 2]
  const jp = jk;

  // determine jx, jv, q0; note that 3 > q0
  const jx = nx - 1;
  let jv = ((e0 - 3) / 24) | 0;
  if (jv < 0) jv = 0;
  let q0 = e0 - 24 * (jv + 1);

  // set up f[0] to f[jx+jk] where f[jx+jk] = ipio2[jv+jk]
  let j = jv - jx;
  const m = jx + jk;
  for (let i = 0; i <= m; i++, j++) f[i] = j < 0 ? 0 : TWO_OVER_PI[j];

  // compute q[0], q[1], ... q[jk]
  for (let i = 0; i <= jk; i++) {
    let fw = 0.0;
    for (j = 0; j <= jx; j++) fw += x[j] * f[jx + i - j];
    q[i] = fw;
  }

  let jz = jk;
  let z = 0;
  let n = 0;
  let ih = 0;
  let fw = 0;
  for (;;) {
    // recompute:
    // distill q[] into iq[] reversingly
    z = q[jz];
    for (let i = 0, jj = jz; jj > 0; i++, jj--) {
      fw = (TWON24 * z) | 0;
      iq[i] = (z - TWO24 * fw) | 0;
      z = q[jj - 1] + fw;
    }

    // compute n
    z = scalbn(z, q0); // actual value of z
    z -= 8.0 * Math.floor(z * 0.125); // trim off integer >= 8
    n = z | 0;
    z -= n;
    ih = 0;
    if (q0 > 0) {
      // need iq[jz-1] to determine n
      const i = iq[jz - 1] >> (24 - q0);
      n += i;
      iq[jz - 1] -= i << (24 - q0);
      ih = iq[jz - 1] >> (23 - q0);
    } else if (q0 === 0) {
      ih = iq[jz - 1] >> 23;
    } else if (z >= 0.5) {
      ih = 2;
    }

    if (ih > 0) {
      // q > 0.5
      n += 1;
      let carry = 0;
      for (let i = 0; i < jz; i++) {
        // compute 1-q
        const v = iq[i];
        if (carry === 0) {
          if (v !== 0) {
            carry = 1;
            iq[i] = 0x1000000 - v;
          }
        } else {
          iq[i] = 0xffffff - v;
        }
      }
      if (q0 > 0) {
        // rare case: chance is 1 in 12
        if (q0 === 1) iq[jz - 1] &= 0x7fffff;
        else if (q0 === 2) iq[jz - 1] &= 0x3fffff;
      }
      if (ih === 2) {
        z = 1.0 - z;
        if (carry !== 0) z -= scalbn(1.0, q0);
      }
    }

    // check if recomputation is needed
    if (z === 0) {
      let acc = 0;
      for (let i = jz - 1; i >= jk; i--) acc |= iq[i];
      if (acc === 0) {
        // need recomputation
        let k = 1;
        while (jk >= k && iq[jk - k] === 0) k++; // k = no. of terms needed
        for (let i = jz + 1; i <= jz + k; i++) {
          // add q[jz+1] to q[jz+k]
          f[jx + i] = TWO_OVER_PI[jv + i];
          fw = 0.0;
          for (j = 0; j <= jx; j++) fw += x[j] * f[jx + i - j];
          q[i] = fw;
        }
        jz += k;
        continue;
      }
    }
    break;
  }

  // chop off zero terms
  if (z === 0.0) {
    jz -= 1;
    q0 -= 24;
    while (iq[jz] === 0) {
      jz--;
      q0 -= 24;
    }
  } else {
    // break z into 24-bit if necessary
    z = scalbn(z, -q0);
    if (z >= TWO24) {
      fw = (TWON24 * z) | 0;
      iq[jz] = (z - TWO24 * fw) | 0;
      jz += 1;
      q0 += 24;
      iq[jz] = fw;
    } else {
      iq[jz] = z | 0;
    }
  }

  // convert integer "bit" chunk to floating-point value
  fw = scalbn(1.0, q0);
  for (let i = jz; i >= 0; i--) {
    q[i] = fw * iq[i];
    fw *= TWON24;
  }

  // compute PIo2[0,...,jp]*q[jz,...,0]
  for (let i = jz; i >= 0; i--) {
    fw = 0.0;
    for (let k = 0; k <= jp && k <= jz - i; k++) fw += PIO2_CHUNKS[k] * q[i + k];
    fq[jz - i] = fw;
  }

  // compress fq[] into y[] (prec 1 and 2)
  fw = 0.0;
  for (let i = jz; i >= 0; i--) fw += fq[i];
  y[0] = ih === 0 ? fw : -fw;
  fw = fq[0] - fw;
  for (let i = 1; i <= jz; i++) fw += fq[i];
  y[1] = ih === 0 ? fw : -fw;
  return n & 7;
}

/**
 * __ieee754_rem_pio2: writes y[0] + y[1] = x − n·π/2 with |y[0] + y[1]| ≲ π/4 and returns n.
 * Cody–Waite with a 33+33+33+53-bit π/2 for |x| ≤ 2^19·π (exact there), Payne–Hanek beyond.
 */
function remPio2(x: number, y: Float64Array): number {
  const hx = highWord(x); // high word of x
  const ix = hx & 0x7fffffff;
  if (ix <= 0x3fe921fb) {
    // |x| ~<= pi/4, no need for reduction
    y[0] = x;
    y[1] = 0;
    return 0;
  }
  if (ix < 0x4002d97c) {
    // |x| < 3pi/4, special case with n=+-1
    if (hx > 0) {
      let z = x - PIO2_1;
      if (ix !== 0x3ff921fb) {
        // 33+53 bit pi is good enough
        y[0] = z - PIO2_1T;
        y[1] = z - y[0] - PIO2_1T;
      } else {
        // near pi/2, use 33+33+53 bit pi
        z -= PIO2_2;
        y[0] = z - PIO2_2T;
        y[1] = z - y[0] - PIO2_2T;
      }
      return 1;
    }
    // negative x
    let z = x + PIO2_1;
    if (ix !== 0x3ff921fb) {
      // 33+53 bit pi is good enough
      y[0] = z + PIO2_1T;
      y[1] = z - y[0] + PIO2_1T;
    } else {
      // near pi/2, use 33+33+53 bit pi
      z += PIO2_2;
      y[0] = z + PIO2_2T;
      y[1] = z - y[0] + PIO2_2T;
    }
    return -1;
  }
  if (ix <= 0x413921fb) {
    // |x| ~<= 2^19*(pi/2), medium size
    let t = Math.abs(x);
    const n = (t * INVPIO2 + 0.5) | 0;
    const fn = n;
    let r = t - fn * PIO2_1;
    let w = fn * PIO2_1T; // 1st round good to 85 bit
    if (n < 32 && ix !== NPIO2_HW[n - 1]) {
      y[0] = r - w; // quick check no cancellation
    } else {
      const j = ix >> 20;
      y[0] = r - w;
      let i = j - ((highWord(y[0]) >> 20) & 0x7ff);
      if (i > 16) {
        // 2nd iteration needed, good to 118
        t = r;
        w = fn * PIO2_2;
        r = t - w;
        w = fn * PIO2_2T - (t - r - w);
        y[0] = r - w;
        i = j - ((highWord(y[0]) >> 20) & 0x7ff);
        if (i > 49) {
          // 3rd iteration need, 151 bits acc, will cover all possible cases
          t = r;
          w = fn * PIO2_3;
          r = t - w;
          w = fn * PIO2_3T - (t - r - w);
          y[0] = r - w;
        }
      }
    }
    y[1] = r - y[0] - w;
    if (hx < 0) {
      y[0] = -y[0];
      y[1] = -y[1];
      return -n;
    }
    return n;
  }
  // all other (large) arguments
  if (ix >= 0x7ff00000) {
    // x is inf or NaN
    y[0] = y[1] = x - x;
    return 0;
  }
  // set z = scalbn(|x|, ilogb(x) - 23)
  const e0 = (ix >> 20) - 1046; // e0 = ilogb(z) - 23
  let z = fromWords(ix - (e0 << 20), lowWord(x));
  const tx = remTx;
  for (let i = 0; i < 2; i++) {
    tx[i] = z | 0;
    z = (z - tx[i]) * TWO24;
  }
  tx[2] = z;
  let nx = 3;
  while (tx[nx - 1] === 0) nx--; // skip zero term
  const n = kernelRemPio2(tx, y, e0, nx);
  if (hx < 0) {
    y[0] = -y[0];
    y[1] = -y[1];
    return -n;
  }
  return n;
}

// ---------------------------------------------------------------------------------------------------
// __kernel_sin (k_sin.c) and __kernel_cos (k_cos.c), on [−π/4, π/4] with tail y
// ---------------------------------------------------------------------------------------------------

const S1 = -0.16666666666666632; // 0xBFC55555, 0x55555549
const S2 = 8.33333333332249e-3; // 0x3F811111, 0x1110F8A6
const S3 = -1.984126982985795e-4; // 0xBF2A01A0, 0x19C161D5
const S4 = 2.7557313707070068e-6; // 0x3EC71DE3, 0x57B1FE7D
const S5 = -2.5050760253406863e-8; // 0xBE5AE5E6, 0x8A2B9CEB
const S6 = 1.58969099521155e-10; // 0x3DE5D93A, 0x5ACFD57C

function kernelSin(x: number, y: number, iy: number): number {
  const ix = highWord(x) & 0x7fffffff; // high word of x
  if (ix < 0x3e400000) {
    // |x| < 2**-27
    if ((x | 0) === 0) return x; // generate inexact
  }
  const z = x * x;
  const v = z * x;
  const r = S2 + z * (S3 + z * (S4 + z * (S5 + z * S6)));
  if (iy === 0) return x + v * (S1 + z * r);
  return x - (z * (0.5 * y - v * r) - y - v * S1);
}

const C1 = 0.0416666666666666; // 0x3FA55555, 0x5555554C
const C2 = -1.388888888887411e-3; // 0xBF56C16C, 0x16C15177
const C3 = 2.480158728947673e-5; // 0x3EFA01A0, 0x19CB1590
const C4 = -2.7557314351390663e-7; // 0xBE927E4F, 0x809C52AD
const C5 = 2.087572321298175e-9; // 0x3E21EE9E, 0xBDB4B1C4
const C6 = -1.1359647557788195e-11; // 0xBDA8FAE9, 0xBE8838D4

function kernelCos(x: number, y: number): number {
  const ix = highWord(x) & 0x7fffffff; // ix = |x|'s high word
  if (ix < 0x3e400000) {
    // |x| < 2**-27
    if ((x | 0) === 0) return 1; // generate inexact
  }
  const z = x * x;
  const r = z * (C1 + z * (C2 + z * (C3 + z * (C4 + z * (C5 + z * C6)))));
  if (ix < 0x3fd33333) {
    // |x| < 0.3
    return 1 - (0.5 * z - (z * r - x * y));
  }
  // x > 0.78125: qx = 0.28125; else INSERT_WORDS(qx, ix - 0x00200000, 0), i.e. |x|/4 cut to its leading
  // 21 significant bits. |x|/4 lies in [0.075, 0.196), so those bits end at 2^-24 below 0.125 and at
  // 2^-23 above; Math.floor after an exact power-of-two scaling cuts there exactly.
  let qx = 0.28125;
  if (ix <= 0x3fe90000) {
    const q = Math.abs(x) * 0.25;
    qx = q < 0.125 ? Math.floor(q * TWO24) * TWON24 : Math.floor(q * 8388608) * 1.1920928955078125e-7;
  }
  const iz = 0.5 * z - qx;
  const a = 1 - qx;
  return a - (iz - (z * r - x * y));
}

// ---------------------------------------------------------------------------------------------------
// sin (s_sin.c) and cos (s_cos.c)
// ---------------------------------------------------------------------------------------------------

/**
 * Sine, error < 1 ulp, identical bits in every engine, for every finite argument (huge arguments are
 * reduced exactly with Payne–Hanek). sin(±0) = ±0, sin(±∞) = sin(NaN) = NaN.
 * Example: `sin(Math.PI / 6)` → 0.49999999999999994.
 */
export function sin(x: number): number {
  const ix = highWord(x) & 0x7fffffff;
  if (ix <= 0x3fe921fb) return kernelSin(x, 0, 0); // |x| ~< pi/4
  if (ix >= 0x7ff00000) return x - x; // sin(Inf or NaN) is NaN
  // argument reduction needed
  const n = remPio2(x, remY);
  switch (n & 3) {
    case 0:
      return kernelSin(remY[0], remY[1], 1);
    case 1:
      return kernelCos(remY[0], remY[1]);
    case 2:
      return -kernelSin(remY[0], remY[1], 1);
    default:
      return -kernelCos(remY[0], remY[1]);
  }
}

/**
 * Cosine, error < 1 ulp, identical bits in every engine, for every finite argument.
 * cos(±0) = 1, cos(±∞) = cos(NaN) = NaN. Example: `cos(Math.PI)` → −1.
 */
export function cos(x: number): number {
  const ix = highWord(x) & 0x7fffffff;
  if (ix <= 0x3fe921fb) return kernelCos(x, 0); // |x| ~< pi/4
  if (ix >= 0x7ff00000) return x - x; // cos(Inf or NaN) is NaN
  // argument reduction needed
  const n = remPio2(x, remY);
  switch (n & 3) {
    case 0:
      return kernelCos(remY[0], remY[1]);
    case 1:
      return -kernelSin(remY[0], remY[1], 1);
    case 2:
      return -kernelCos(remY[0], remY[1]);
    default:
      return kernelSin(remY[0], remY[1], 1);
  }
}

// ---------------------------------------------------------------------------------------------------
// atan (s_atan.c) and atan2 (e_atan2.c)
// ---------------------------------------------------------------------------------------------------

const ATANHI = Float64Array.of(
  0.4636476090008061, // atan(0.5)hi 0x3FDDAC67, 0x0561BB4F
  0.7853981633974483, // atan(1.0)hi 0x3FE921FB, 0x54442D18
  0.982793723247329, // atan(1.5)hi 0x3FEF730B, 0xD281F69B
  1.5707963267948966, // atan(inf)hi 0x3FF921FB, 0x54442D18
);

const ATANLO = Float64Array.of(
  2.2698777452961687e-17, // atan(0.5)lo 0x3C7A2B7F, 0x222F65E2
  3.061616997868383e-17, // atan(1.0)lo 0x3C81A626, 0x33145C07
  1.3903311031230998e-17, // atan(1.5)lo 0x3C700788, 0x7AF0CBBD
  6.123233995736766e-17, // atan(inf)lo 0x3C91A626, 0x33145C07
);

const AT0 = 0.3333333333333293; // 0x3FD55555, 0x5555550D
const AT1 = -0.19999999999876483; // 0xBFC99999, 0x9998EBC4
const AT2 = 0.14285714272503466; // 0x3FC24924, 0x920083FF
const AT3 = -0.11111110405462356; // 0xBFBC71C6, 0xFE231671
const AT4 = 0.09090887133436507; // 0x3FB745CD, 0xC54C206E
const AT5 = -0.0769187620504483; // 0xBFB3B0F2, 0xAF749A6D
const AT6 = 0.06661073137387531; // 0x3FB10D66, 0xA0D03D51
const AT7 = -0.058335701337905735; // 0xBFADDE2D, 0x52DEFD9A
const AT8 = 0.049768779946159324; // 0x3FA97B4B, 0x24760DEB
const AT9 = -0.036531572744216916; // 0xBFA2B444, 0x2C6A6C2F
const AT10 = 0.016285820115365782; // 0x3F90AD3A, 0xE322DA11

/**
 * Arctangent in [−π/2, π/2], error < 1 ulp, identical bits in every engine.
 *
 * Method (fdlibm): reduce |x| to one of [0, 7/16], atan(1/2)+…, atan(1)+…, atan(3/2)+…, π/2 − atan(1/x)
 * and use an odd degree-23 polynomial. atan(±0) = ±0, atan(±∞) = ±π/2. Example: `atan(1)` → π/4.
 */
export function atan(x: number): number {
  const hx = highWord(x);
  const ix = hx & 0x7fffffff;
  let id: number;
  if (ix >= 0x44100000) {
    // |x| >= 2^66
    if (ix > 0x7ff00000 || (ix === 0x7ff00000 && lowWord(x) !== 0)) return x + x; // NaN
    if (hx > 0) return ATANHI[3] + ATANLO[3];
    return -ATANHI[3] - ATANLO[3];
  }
  if (ix < 0x3fdc0000) {
    // |x| < 0.4375
    if (ix < 0x3e400000) {
      // |x| < 2^-27
      if (HUGE + x > 1) return x; // raise inexact
    }
    id = -1;
  } else {
    x = Math.abs(x);
    if (ix < 0x3ff30000) {
      // |x| < 1.1875
      if (ix < 0x3fe60000) {
        // 7/16 <= |x| < 11/16
        id = 0;
        x = (2.0 * x - 1) / (2.0 + x);
      } else {
        // 11/16 <= |x| < 19/16
        id = 1;
        x = (x - 1) / (x + 1);
      }
    } else if (ix < 0x40038000) {
      // |x| < 2.4375
      id = 2;
      x = (x - 1.5) / (1 + 1.5 * x);
    } else {
      // 2.4375 <= |x| < 2^66
      id = 3;
      x = -1.0 / x;
    }
  }
  // end of argument reduction
  let z = x * x;
  const w = z * z;
  // break sum from i=0 to 10 aT[i]z**(i+1) into odd and even poly
  const s1 = z * (AT0 + w * (AT2 + w * (AT4 + w * (AT6 + w * (AT8 + w * AT10)))));
  const s2 = w * (AT1 + w * (AT3 + w * (AT5 + w * (AT7 + w * AT9))));
  if (id < 0) return x - x * (s1 + s2);
  z = ATANHI[id] - (x * (s1 + s2) - ATANLO[id] - x);
  return hx < 0 ? -z : z;
}

/**
 * The angle of the point (x, y) in (−π, π], error < 1 ulp, identical bits in every engine, with the
 * IEEE/C99 special cases: atan2(±0, +0 or x > 0) = ±0, atan2(±0, −0 or x < 0) = ±π,
 * atan2(y ≠ 0, ±0) = ±π/2, atan2(±∞, +∞) = ±π/4, atan2(±∞, −∞) = ±3π/4, NaN if either is NaN.
 * Example: `atan2(1, -1)` → 3π/4.
 */
export function atan2(y: number, x: number): number {
  wordsF64[0] = x;
  const hx = wordsI32[1];
  const lx = wordsU32[0];
  const ix = hx & 0x7fffffff;
  wordsF64[0] = y;
  const hy = wordsI32[1];
  const ly = wordsU32[0];
  const iy = hy & 0x7fffffff;
  if ((ix | ((lx | -lx) >>> 31)) > 0x7ff00000 || (iy | ((ly | -ly) >>> 31)) > 0x7ff00000) {
    return x + y; // x or y is NaN
  }
  if (((hx - 0x3ff00000) | lx) === 0) return atan(y); // x = 1.0
  let m = ((hy >> 31) & 1) | ((hx >> 30) & 2); // 2*sign(x) + sign(y)

  // when y = 0
  if ((iy | ly) === 0) {
    switch (m) {
      case 0:
      case 1:
        return y; // atan(+-0, +anything) = +-0
      case 2:
        return PI + TINY; // atan(+0, -anything) = pi
      default:
        return -PI - TINY; // atan(-0, -anything) = -pi
    }
  }
  // when x = 0
  if ((ix | lx) === 0) return hy < 0 ? -PIO2_HI - TINY : PIO2_HI + TINY;

  // when x is INF
  if (ix === 0x7ff00000) {
    if (iy === 0x7ff00000) {
      switch (m) {
        case 0:
          return PIO4 + TINY; // atan(+INF, +INF)
        case 1:
          return -PIO4 - TINY; // atan(-INF, +INF)
        case 2:
          return 3.0 * PIO4 + TINY; // atan(+INF, -INF)
        default:
          return -3.0 * PIO4 - TINY; // atan(-INF, -INF)
      }
    }
    switch (m) {
      case 0:
        return 0; // atan(+..., +INF)
      case 1:
        return -0; // atan(-..., +INF)
      case 2:
        return PI + TINY; // atan(+..., -INF)
      default:
        return -PI - TINY; // atan(-..., -INF)
    }
  }
  // when y is INF
  if (iy === 0x7ff00000) return hy < 0 ? -PIO2_HI - TINY : PIO2_HI + TINY;

  // compute y/x
  const k = (iy - ix) >> 20;
  let z: number;
  if (k > 60) {
    // |y/x| > 2**60
    z = PIO2_HI + 0.5 * PI_LO;
    m &= 1;
  } else if (hx < 0 && k < -60) {
    z = 0.0; // 0 > |y|/x > -2**-60
  } else {
    z = atan(Math.abs(y / x)); // safe to do y/x
  }
  switch (m) {
    case 0:
      return z; // atan(+, +)
    case 1:
      return -z; // atan(-, +)
    case 2:
      return PI - (z - PI_LO); // atan(+, -)
    default:
      return z - PI_LO - PI; // atan(-, -)
  }
}

// ---------------------------------------------------------------------------------------------------
// acos (e_acos.c)
// ---------------------------------------------------------------------------------------------------

const PS0 = 0.16666666666666666; // 0x3FC55555, 0x55555555
const PS1 = -0.3255658186224009; // 0xBFD4D612, 0x03EB6F7D
const PS2 = 0.20121253213486293; // 0x3FC9C155, 0x0E884455
const PS3 = -0.04005553450067941; // 0xBFA48228, 0xB5688F3B
const PS4 = 7.915349942898145e-4; // 0x3F49EFE0, 0x7501B288
const PS5 = 3.479331075960212e-5; // 0x3F023DE1, 0x0DFDF709
const QS1 = -2.403394911734414; // 0xC0033A27, 0x1C8A2D4B
const QS2 = 2.0209457602335057; // 0x40002AE5, 0x9C598AC8
const QS3 = -0.6882839716054533; // 0xBFE6066C, 0x1B8D0159
const QS4 = 0.07703815055590194; // 0x3FB3B8C5, 0xB12E9282

/**
 * Arccosine in [0, π], error < 1 ulp, identical bits in every engine.
 *
 * Method (fdlibm): acos(x) = π/2 − (x + x·x²·R(x²)) for |x| < 0.5, and via 2·asin(√((1−|x|)/2))
 * otherwise, with `Math.sqrt` (correctly rounded, hence engine-independent). acos(1) = +0,
 * acos(−1) = π, NaN for |x| > 1 or NaN. Example: `acos(0)` → π/2.
 */
export function acos(x: number): number {
  const hx = highWord(x);
  const ix = hx & 0x7fffffff;
  if (ix >= 0x3ff00000) {
    // |x| >= 1
    if (((ix - 0x3ff00000) | lowWord(x)) === 0) {
      // |x| == 1
      if (hx > 0) return 0.0; // acos(1) = 0
      return PI + 2.0 * PIO2_LO; // acos(-1) = pi
    }
    return Number.NaN; // acos(|x|>1) is NaN
  }
  if (ix < 0x3fe00000) {
    // |x| < 0.5
    if (ix <= 0x3c600000) return PIO2_HI + PIO2_LO; // |x| < 2**-57
    const z = x * x;
    const p = z * (PS0 + z * (PS1 + z * (PS2 + z * (PS3 + z * (PS4 + z * PS5)))));
    const q = 1 + z * (QS1 + z * (QS2 + z * (QS3 + z * QS4)));
    const r = p / q;
    return PIO2_HI - (x - (PIO2_LO - x * r));
  }
  if (hx < 0) {
    // x < -0.5
    const z = (1 + x) * 0.5;
    const p = z * (PS0 + z * (PS1 + z * (PS2 + z * (PS3 + z * (PS4 + z * PS5)))));
    const q = 1 + z * (QS1 + z * (QS2 + z * (QS3 + z * QS4)));
    const s = Math.sqrt(z);
    const r = p / q;
    const w = r * s - PIO2_LO;
    return PI - 2.0 * (s + w);
  }
  // x > 0.5
  const z = (1 - x) * 0.5;
  const s = Math.sqrt(z);
  const df = withLowWord(s, 0);
  const c = (z - df * df) / (s + df);
  const p = z * (PS0 + z * (PS1 + z * (PS2 + z * (PS3 + z * (PS4 + z * PS5)))));
  const q = 1 + z * (QS1 + z * (QS2 + z * (QS3 + z * QS4)));
  const r = p / q;
  const w = r * s + c;
  return 2.0 * (df + w);
}

/**
 * x^n for an integer n ≥ 0 by binary powering: only multiplications, so identical in every JS
 * engine (`x ** n` calls the engine's pow, which differs by an ulp between engines for n ≠ 2).
 * Example: `powi(1.5, 3)` → 3.375.
 */
export function powi(x: number, n: number): number {
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`powi: "n" must be an integer ≥ 0; got ${n}`);
  let result = 1;
  let base = x;
  for (let k = n; k > 0; k >>>= 1) {
    if (k & 1) result *= base;
    base *= base;
  }
  return result;
}

// ---------------------------------------------------------------------------------------------------
// expm1 (s_expm1.c) and tanh (s_tanh.c)
// ---------------------------------------------------------------------------------------------------

const EXPM1_Q1 = -0.03333333333333313; // 0xBFA11111, 0x111110F4
const EXPM1_Q2 = 0.0015873015872548146; // 0x3F5A01A0, 0x19FE5585
const EXPM1_Q3 = -7.93650757867488e-5; // 0xBF14CE19, 0x9EAADBB7
const EXPM1_Q4 = 4.008217827329362e-6; // 0x3ED0CFCA, 0x86E65239
const EXPM1_Q5 = -2.0109921818362437e-7; // 0xBE8AFDB7, 0x6E09C32D

/**
 * e^x − 1, accurate also for tiny x, error < 1 ulp, identical bits in every engine.
 *
 * Method (fdlibm): reduce x = k·ln2 + r (|r| ≤ ln2/2, with a correction c for the rounding of r),
 * approximate expm1(r) by r + r²/2 + r³·(a rational function of r² of degree 5), then scale:
 * expm1(x) = 2^k·(expm1(r) + 1 − 2^−k), arranged by k to avoid cancellation. expm1(+∞) = +∞,
 * expm1(−∞) = −1, expm1(NaN) = NaN; overflows to +∞ for x > 709.782712893384.
 * Example: `expm1(1e-20)` → 1e-20.
 */
export function expm1(x: number): number {
  let hx = highWord(x);
  const xsb = hx & 0x80000000; // sign bit of x
  hx &= 0x7fffffff; // high word of |x|

  // filter out huge and non-finite argument
  if (hx >= 0x4043687a) {
    // |x| >= 56*ln2
    if (hx >= 0x40862e42) {
      // |x| >= 709.78...
      if (hx >= 0x7ff00000) {
        if (((hx & 0xfffff) | lowWord(x)) !== 0) return x + x; // NaN
        return xsb === 0 ? x : -1; // expm1(+-inf) = {inf, -1}
      }
      if (x > O_THRESHOLD) return HUGE * HUGE; // overflow
    }
    if (xsb !== 0) {
      // x < -56*ln2, return -1.0 with inexact
      if (x + TINY < 0) return TINY - 1;
    }
  }

  // argument reduction
  let k = 0;
  let c = 0;
  if (hx > 0x3fd62e42) {
    // |x| > 0.5 ln2
    let hi: number;
    let lo: number;
    if (hx < 0x3ff0a2b2) {
      // and |x| < 1.5 ln2
      if (xsb === 0) {
        hi = x - LN2_HI;
        lo = LN2_LO;
        k = 1;
      } else {
        hi = x + LN2_HI;
        lo = -LN2_LO;
        k = -1;
      }
    } else {
      k = (INVLN2 * x + (xsb === 0 ? 0.5 : -0.5)) | 0;
      const t = k;
      hi = x - t * LN2_HI; // t*ln2_hi is exact here
      lo = t * LN2_LO;
    }
    x = hi - lo;
    c = hi - x - lo;
  } else if (hx < 0x3c900000) {
    // |x| < 2**-54, return x
    const t = HUGE + x; // return x with inexact flags when x != 0
    return x - (t - (HUGE + x));
  }

  // x is now in primary range
  const hfx = 0.5 * x;
  const hxs = x * hfx;
  const r1 = 1 + hxs * (EXPM1_Q1 + hxs * (EXPM1_Q2 + hxs * (EXPM1_Q3 + hxs * (EXPM1_Q4 + hxs * EXPM1_Q5))));
  let t = 3.0 - r1 * hfx;
  let e = hxs * ((r1 - t) / (6.0 - x * t));
  if (k === 0) return x - (x * e - hxs); // c is 0
  // twopk = 2^k (INSERT_WORDS(twopk, 0x3ff00000 + (k << 20), 0)); k = 1024 is scaled in two steps.
  const twopk = k === 1024 ? 0 : POW2[POW2_BIAS + k];
  e = x * (e - c) - c;
  e -= hxs;
  if (k === -1) return 0.5 * (x - e) - 0.5;
  if (k === 1) {
    if (x < -0.25) return -2.0 * (e - (x + 0.5));
    return 1 + 2.0 * (x - e);
  }
  if (k <= -2 || k > 56) {
    // suffice to return exp(x)-1
    let y = 1 - (e - x);
    if (k === 1024) y = y * 2.0 * TWO1023;
    else y = y * twopk;
    return y - 1;
  }
  if (k < 20) {
    t = 1 - POW2[POW2_BIAS - k]; // t = 1 - 2^-k (SET_HIGH_WORD(t, 0x3ff00000 - (0x200000 >> k)))
    const y = t - (e - x);
    return y * twopk;
  }
  t = POW2[POW2_BIAS - k]; // 2^-k (SET_HIGH_WORD(t, (0x3ff - k) << 20))
  let y = x - (e + t);
  y += 1;
  return y * twopk;
}

/**
 * Hyperbolic tangent, error < 1 ulp (fdlibm's bound: < 2 ulp), identical bits in every engine.
 *
 * Method (fdlibm): for 1 ≤ |x| < 22, tanh|x| = 1 − 2/(expm1(2|x|) + 2); for |x| < 1,
 * tanh|x| = −t/(t + 2) with t = expm1(−2|x|); |x| < 2^−28 returns x; |x| ≥ 22 returns ±1
 * (inexact); then the sign of x. tanh(±∞) = ±1, tanh(NaN) = NaN. Example: `tanh(1)` → 0.7615941559557649.
 */
export function tanh(x: number): number {
  const jx = highWord(x);
  const ix = jx & 0x7fffffff;

  // x is INF or NaN
  if (ix >= 0x7ff00000) {
    if (jx >= 0) return 1 / x + 1; // tanh(+-inf)=+-1
    return 1 / x - 1; // tanh(NaN) = NaN
  }

  let z: number;
  if (ix < 0x40360000) {
    // |x| < 22
    if (ix < 0x3e300000) {
      // |x| < 2**-28
      if (HUGE + x > 1) return x; // tanh(tiny) = tiny with inexact
    }
    if (ix >= 0x3ff00000) {
      // |x| >= 1
      const t = expm1(2 * Math.abs(x));
      z = 1 - 2 / (t + 2);
    } else {
      const t = expm1(-2 * Math.abs(x));
      z = -t / (t + 2);
    }
  } else {
    // |x| >= 22, return +-1
    z = 1 - TINY; // raise inexact flag
  }
  return jx >= 0 ? z : -z;
}
