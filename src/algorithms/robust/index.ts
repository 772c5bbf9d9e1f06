// Robust subspace estimation (Kong et al., NeurIPS 2020); helpers (quantiles, Gram) stay unexported.
export {
  type CorruptedPcaData,
  capturedVariance,
  countKeptCorrupted,
  countRemovedClean,
  sampleCorruptedPcaData,
} from "./corruptedDistribution.js";
export { type DoubleFilteringResult, doubleFiltering } from "./doubleFiltering.js";
export { type HrpcaResult, hrpca } from "./hrpca.js";
export { principalDirections } from "./pca.js";
