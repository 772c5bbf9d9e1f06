import { foldIn, foldInString, type Key, key } from "../rng/key.js";

/**
 * The key of one cell: derived from (root seed, experiment id, grid point, seed index) only, so
 * adding a seed or a grid point never changes any other cell's draws. `gridPoint` is a canonical
 * string of the point's coordinates ("" for a single run).
 */
export function cellKey(rootSeed: number, experimentId: string, seedIndex: number, gridPoint = ""): Key {
  let k = foldInString(key(rootSeed), experimentId);
  if (gridPoint !== "") k = foldInString(k, gridPoint);
  return foldIn(k, seedIndex);
}

/** JSON with object keys sorted at every level: the canonical text of params for ids. */
export function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(",")}]`;
  if (v !== null && typeof v === "object") {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson(o[k])}`)
      .join(",")}}`;
  }
  return JSON.stringify(v);
}

/** FNV-1a, 64-bit, as 16 hex digits: a short stable id for canonical params text. */
export function hash64(text: string): string {
  let h = 0xcbf29ce484222325n;
  const bytes = new TextEncoder().encode(text);
  for (const b of bytes) h = BigInt.asUintN(64, (h ^ BigInt(b)) * 0x100000001b3n);
  return h.toString(16).padStart(16, "0");
}
