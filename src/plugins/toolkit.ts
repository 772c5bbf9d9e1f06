/**
 * The part of the library a plug-in works with, documented for plug-in authors (the API
 * reference, `npm run docs`): the data layouts an estimator receives (`MultiTaskData`, `Mat`), the
 * linear-algebra and estimation helpers with what each guarantees, keys and random streams, and the
 * registries. A plug-in receives all of `metarep` (`PluginApi`); these are the exports it needs
 * most, re-exported here so the reference can check that each is documented.
 *
 * @packageDocumentation
 */

export { getEstimator, listEstimators } from "../algorithms/representation/estimators.js";
export { fitHead, taskHeads } from "../algorithms/representation/heads.js";
export { momEstimate } from "../algorithms/representation/mom.js";
export { solveSPD } from "../linalg/cholesky.js";
export { matmul, matmulNT, matmulTN } from "../linalg/gemm.js";
export { type LstsqOptions, type LstsqResult, lstsq } from "../linalg/lstsq.js";
export { clone, fromRows, identity, type Mat, matFrom, toRows, transpose, zeros } from "../linalg/mat.js";
export { orthonormalize } from "../linalg/qr.js";
export { subspaceDistance } from "../metrics/subspace.js";
export { geometricSpectrum } from "../models/covariance.js";
export { type MultiTaskData, taskRows, totalRows } from "../models/multiTaskData.js";
export { foldIn, type Key, key, split } from "../rng/key.js";
export { Stream, stream } from "../rng/stream.js";
