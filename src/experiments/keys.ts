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
