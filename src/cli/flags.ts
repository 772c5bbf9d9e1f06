import { MetarepError } from "../errors.js";
import { parseSetValue } from "../experiments/params.js";

/** A usage error: printed as one line, exit code 2, nothing written. */
export class UsageError extends MetarepError {
  override name = "UsageError";
}

export function parseIntFlag(flag: string, text: string, min: number): number {
  if (!/^\d+$/.test(text.trim()) || Number(text) < min || !Number.isSafeInteger(Number(text))) {
    throw new UsageError(`"${flag}" must be an integer ≥ ${min}; got "${text}".`);
  }
  return Number(text);
}

/** `--set name=value` pairs into overrides (values parsed by `parseSetValue`). */
export function parseSets(sets: string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const s of sets) {
    const eq = s.indexOf("=");
    if (eq <= 0) throw new UsageError(`"--set" must be name=value; got "${s}".`);
    const name = s.slice(0, eq).trim();
    if (Object.hasOwn(out, name)) {
      const first = sets.find((x) => x.slice(0, x.indexOf("=")).trim() === name);
      throw new UsageError(`"--set" gives "${name}" more than once ("${first}", then "${s}"); give it once.`);
    }
    out[name] = parseSetValue(s.slice(eq + 1));
  }
  return out;
}

export const collect = (v: string, acc: string[]) => [...acc, v];

/** A fraction in [0, 1] (`--audit 0.05`), or one line naming the flag, the constraint and the value. */
export function parseFractionFlag(flag: string, text: string): number {
  const t = text.trim();
  const v = /^(\d+(\.\d*)?|\.\d+)(e[-+]?\d+)?$/i.test(t) ? Number(t) : Number.NaN;
  if (!(v >= 0 && v <= 1)) throw new UsageError(`"${flag}" must be a number in [0, 1]; got "${text}".`);
  return v;
}
