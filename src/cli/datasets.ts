import { addPluginKind, functionKind } from "../plugins/register.js";
import { Registry } from "../registry.js";
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

/** A registered loader: the data set kind it reads (its id), and what it is. */
export interface DatasetLoaderEntry extends DatasetLoader {
  id: string;
  description?: string;
}

/** The data-set loader registry (DESIGN.md "Registries"), by data set kind. */
export const datasetLoaders = new Registry<DatasetLoaderEntry>("data set loader");
datasetLoaders.register({
  id: "cifar10c",
  description: "CIFAR-10-C (.npy files)",
  load: (p) => cifar10cLoader.load(p),
});

/** The loader of a data set kind; unknown kinds list the known ones. */
export function getDatasetLoader(kind: string): DatasetLoader {
  return datasetLoaders.get(kind);
}

// Plug-ins' `datasetLoaders: [{ id, description?, load(path) → { data, digest } }]`.
addPluginKind(
  functionKind({
    key: "datasetLoaders",
    kind: "data set loader",
    registry: datasetLoaders as unknown as Registry<{ id: string }>,
    fn: "load",
    shape: "{ id: string, load(path) }",
  }),
);
