import { exp, log } from "../linalg/libm.js";
/**
 * Tables of the 256-layer ziggurat for the standard normal (Marsaglia & Tsang 2000), in the
 * symmetric form of Doornik (2005, "An improved ziggurat method to generate normal random
 * samples"): a uniform u in [-1, 1) carries the sign, and a separate 8-bit layer index makes the
 * fast path exact to 53 bits (Marsaglia–Tsang's original reuses the same bits for both).
 *
 * X[0] = V / f(R) is the width of the base strip (rectangle plus tail), X[1] = R, X[256] = 0;
 * layer i spans heights [f(X[i]), f(X[i+1])]. RATIO[i] = X[i+1] / X[i] is the fast-path bound.
 */
export const ZIG_LAYERS = 256;
/** Start of the tail. */
export const ZIG_R = 3.6541528853610088;
/** Area of each layer. */
export const ZIG_V = 0.00492867323399;

export const ZIG_X = new Float64Array(ZIG_LAYERS + 1);
export const ZIG_RATIO = new Float64Array(ZIG_LAYERS);
/** exp(-X[i]^2 / 2), the density (unnormalised) at each layer edge. */
export const ZIG_F = new Float64Array(ZIG_LAYERS + 1);

{
  let f = exp(-0.5 * ZIG_R * ZIG_R);
  ZIG_X[0] = ZIG_V / f;
  ZIG_X[1] = ZIG_R;
  for (let i = 2; i < ZIG_LAYERS; i++) {
    ZIG_X[i] = Math.sqrt(-2 * log(ZIG_V / ZIG_X[i - 1] + f));
    f = exp(-0.5 * ZIG_X[i] * ZIG_X[i]);
  }
  ZIG_X[ZIG_LAYERS] = 0;
  for (let i = 0; i < ZIG_LAYERS; i++) ZIG_RATIO[i] = ZIG_X[i + 1] / ZIG_X[i];
  for (let i = 0; i <= ZIG_LAYERS; i++) ZIG_F[i] = exp(-0.5 * ZIG_X[i] * ZIG_X[i]);
}
