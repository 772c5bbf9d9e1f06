export * from "./algorithms/index.js";
/** The autodiff operations, as a namespace (their names, e.g. `matmul`, are linalg's too). */
export * as ad from "./autodiff/index.js";
export * from "./data/index.js";
export * from "./errors.js";
export * from "./experiments/index.js";
export * from "./linalg/index.js";
export * from "./metrics/index.js";
export * from "./models/index.js";
export * from "./plugins/index.js";
export * from "./record/index.js";
export * from "./registry.js";
export * from "./rng/index.js";
export * from "./theory/index.js";
export * from "./version.js";
