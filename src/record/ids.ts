import { canonicalJson, hash64 } from "../experiments/keys.js";

/**
 * Cell id: experiment, a hash of (params, grid point, condition), root seed and seed indices.
 * The grid point enters because it enters the key: a value set in a sweep's grid and the same
 * value set as a fixed parameter are different cells. A record of all conditions (`metarep run`)
 * has condition "" and a cell of one condition its canonical text (`conditionText`).
 */
export function cellId(
  experiment: string,
  params: unknown,
  seed: number,
  seedIndices: number[],
  gridPoint = "",
  conditionPoint = "",
): string {
  const idx =
    seedIndices.length > 1 && seedIndices.every((s, i) => s === seedIndices[0] + i)
      ? `${seedIndices[0]}-${seedIndices[seedIndices.length - 1]}`
      : seedIndices.join(".");
  let text = gridPoint === "" ? canonicalJson(params) : `${canonicalJson(params)}|${gridPoint}`;
  if (conditionPoint !== "") text += `#${conditionPoint}`;
  const h = hash64(text);
  return `${experiment}:${h.slice(0, 12)}:${seed}:${idx}`;
}
