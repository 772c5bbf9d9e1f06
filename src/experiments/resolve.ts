import type { z } from "zod";
import { ParamValidationError, parseParams } from "./params.js";
import type { Experiment, SizeName } from "./types.js";

export const SIZE_NAMES: readonly SizeName[] = ["smoke", "paper"];

/**
 * Resolved parameters of an experiment: schema defaults, then the size's overrides, then the
 * user's overrides (each validated against the schema; unknown names are errors).
 */
export function resolveParams<S extends z.ZodType>(
  exp: Experiment<S>,
  size: SizeName | null,
  overrides: Record<string, unknown> = {},
): z.output<S> {
  const base = size === null ? {} : exp.sizes[size];
  return parseParams(exp.id, exp.params, { ...base, ...overrides });
}

/** Validate a size name. */
export function checkSize(size: string): SizeName {
  if ((SIZE_NAMES as readonly string[]).includes(size)) return size as SizeName;
  throw new ParamValidationError("size", [`"size" must be one of ${SIZE_NAMES.join(", ")}; got "${size}"`]);
}
