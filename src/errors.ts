import { didYouMean } from "./suggest.js";

/**
 * Typed errors of the library. Messages name the parameter, the constraint and the value got
 * (STYLE.md §4), so the CLI can print them as one line.
 */
export class MetarepError extends Error {
  override name = "MetarepError";
}

/** A parameter value outside its constraint. */
export class ParamError extends MetarepError {
  override name = "ParamError";
  constructor(
    readonly context: string,
    readonly param: string,
    readonly constraint: string,
    readonly value: unknown,
  ) {
    super(`${context}: "${param}" ${constraint}; got ${formatValue(value)}.`);
  }
}

/** A name that is not in a registry; the message lists the valid names and the closest ones. */
export class UnknownNameError extends MetarepError {
  override name = "UnknownNameError";
  constructor(
    readonly kind: string,
    readonly value: string,
    readonly known: readonly string[],
  ) {
    super(`unknown ${kind} "${value}"; known: ${known.join(", ")}.${didYouMean(value, known)}`);
  }
}

/**
 * A record lacks what a figure needs (a parameter, a curve, a metric): the figure cannot be drawn.
 * A user can cause it (e.g. `metarep run --record` with an edited record), so the CLI prints it as
 * one line like every other `MetarepError`.
 */
export class FigureError extends MetarepError {
  override name = "FigureError";
}

/** A run was stopped through its AbortSignal. */
export class AbortedError extends MetarepError {
  override name = "AbortedError";
}

export function formatValue(v: unknown): string {
  if (typeof v === "string") return JSON.stringify(v);
  if (typeof v === "number") return Number.isNaN(v) ? "NaN" : String(v);
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    return String(v);
  }
}
