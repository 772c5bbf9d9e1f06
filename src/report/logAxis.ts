import { powerOfTen } from "../experiments/notation.js";

const log10 = Math.log10;

/**
 * Ticks and labels of log axes (STYLE.md §17): one format per axis — plain decimals when every
 * tick lies in [0.001, 10⁴], else powers of ten written 10⁻⁶ (and 2×10⁻⁶ between decades) — and
 * ticks where the data start and end, so no axis mixes `0.01` with `1e-8` or writes `10000000`.
 * Vega draws the ticks given and labels them through a `labelExpr` over their exact values.
 */

/** Decimal exponent and mantissa of v > 0, the mantissa rounded to 3 significant digits. */
function split(v: number): { mantissa: number; exponent: number } {
  let exponent = Math.floor(log10(v));
  let mantissa = Number((v / 10 ** exponent).toPrecision(3));
  if (mantissa >= 10) {
    mantissa /= 10;
    exponent += 1;
  }
  return { mantissa, exponent };
}

/** Plain decimal text of a tick: integers whole, others to 3 significant digits (0.250453 → 0.25). */
function plain(v: number): string {
  return Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(3)));
}

/** Whether every value reads well as a plain decimal (0.001 ≤ |v| < 10⁴, or an integer below 10⁵). */
function plainRange(values: readonly number[]): boolean {
  return values.every(
    (v) =>
      v === 0 || (Math.abs(v) >= 1e-3 && Math.abs(v) < 1e4) || (Number.isInteger(v) && Math.abs(v) < 1e5),
  );
}

/** The labels of an axis's ticks, all in one format: plain decimals, or m×10ⁿ. */
export function tickLabels(values: readonly number[]): string[] {
  if (plainRange(values)) return values.map(plain);
  return values.map((v) => {
    if (v === 0) return "0";
    const { mantissa, exponent } = split(Math.abs(v));
    const sign = v < 0 ? "−" : "";
    return mantissa === 1
      ? `${sign}${powerOfTen(exponent)}`
      : `${sign}${plain(mantissa)}×${powerOfTen(exponent)}`;
  });
}

/** A Vega expression that labels exactly these tick values with these texts. */
export function labelExpression(values: readonly number[], labels: readonly string[]): string {
  let expr = "''";
  for (let i = values.length - 1; i >= 0; i--)
    expr = `datum.value === ${JSON.stringify(values[i])} ? ${JSON.stringify(labels[i])} : ${expr}`;
  return expr;
}

/** Steps of the 1–2–5 ladder within a decade. */
const LADDER = [1, 2, 5] as const;

/** The next value of the 1–2–5 ladder at or below v (> 0). */
export function ladderFloor(v: number): number {
  const e = Math.floor(log10(v));
  let best = 10 ** e;
  for (const m of LADDER) if (m * 10 ** e <= v * (1 + 1e-12)) best = Number((m * 10 ** e).toPrecision(12));
  return best;
}

/** The next value of the 1–2–5 ladder at or above v (> 0). */
export function ladderCeil(v: number): number {
  const e = Math.floor(log10(v));
  for (const m of LADDER) {
    const c = Number((m * 10 ** e).toPrecision(12));
    if (c >= v * (1 - 1e-12)) return c;
  }
  return 10 ** (e + 1);
}

export interface LogAxis {
  /** Domain from a tick at or below the data to one at or above it. */
  domain: [number, number];
  values: number[];
  labelExpr: string;
}

/**
 * The y axis of positive data from `lo` to `hi`: a domain from the 1–2–5 step at or below `lo` to
 * the one at or above `hi` (capped at `max`, a bound of the quantity); ticks at every power of ten
 * inside (every second or third when there are many), and at 2× and 5× when the data span less
 * than two decades, plus the domain's ends — so the data's ends always have a labelled tick
 * beside them.
 */
export function logValueAxis(lo: number, hi: number, max?: number): LogAxis {
  let top = ladderCeil(hi);
  if (max !== undefined && top > max) top = max;
  let bottom = ladderFloor(lo);
  if (!(bottom < top)) bottom = ladderFloor(top / 10);
  const e0 = Math.ceil(log10(bottom) - 1e-9);
  const e1 = Math.floor(log10(top) + 1e-9);
  const decades = e1 - e0;
  const every = decades > 14 ? 3 : decades > 8 ? 2 : 1;
  const values = new Set<number>([bottom, top]);
  // Every `every`-th decade counted from the top; none crowding the bottom end.
  for (let e = e1; e >= e0; e -= every)
    if (every === 1 || e - log10(bottom) >= every / 2 - 1e-9) values.add(Number((10 ** e).toPrecision(12)));
  if (log10(top / bottom) < 2) {
    for (let e = e0 - 1; e <= e1; e++)
      for (const m of [2, 5]) {
        const v = Number((m * 10 ** e).toPrecision(12));
        if (v > bottom && v < top) values.add(v);
      }
  }
  const sorted = [...values].sort((a, b) => a - b);
  return { domain: [bottom, top], values: sorted, labelExpr: labelExpression(sorted, tickLabels(sorted)) };
}

/**
 * The x axis of a log scale over these measured x values (> 0): ticks at the measured values
 * when they are few (the swept settings, both ends included), else at the powers of ten between
 * them and at both ends.
 */
export function logPositionAxis(xs: readonly number[]): { values: number[]; labelExpr: string } {
  const distinct = [...new Set(xs.filter((x) => x > 0 && Number.isFinite(x)))].sort((a, b) => a - b);
  let values = distinct;
  if (distinct.length > 10) {
    const lo = distinct[0];
    const hi = distinct[distinct.length - 1];
    const set = new Set<number>([lo, hi]);
    for (let e = Math.ceil(log10(lo)); e <= Math.floor(log10(hi)); e++) {
      const v = Number((10 ** e).toPrecision(12));
      // Leave out a decade crowding an end tick.
      if (log10(v / lo) > 0.15 && log10(hi / v) > 0.15) set.add(v);
    }
    values = [...set].sort((a, b) => a - b);
  }
  return { values, labelExpr: labelExpression(values, tickLabels(values)) };
}
