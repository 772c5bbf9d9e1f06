import { MetarepError } from "../errors.js";
import { cifar10cLoader } from "./datasets/cifar10c.js";

/**
 * Loaders of real data sets for experiments that declare `dataset: {kind}` (run with `--data
 * PATH`). A loader reads and validates the files (clear errors naming the file), and returns the
 * in-memory data handed to the experiment as `ctx.dataset`, with a digest of what it read so the
 * record pins the exact data.
 */
export interface DatasetLoader {
  load(path: string): Promise<{ data: unknown; digest: string }>;
}

export const DATASET_LOADERS: Record<string, DatasetLoader> = { cifar10c: cifar10cLoader };

export function getDatasetLoader(kind: string): DatasetLoader {
  const l = DATASET_LOADERS[kind];
  if (!l)
    throw new MetarepError(
      `no loader for data set kind "${kind}"; known: ${Object.keys(DATASET_LOADERS).join(", ") || "none"}.`,
    );
  return l;
}
