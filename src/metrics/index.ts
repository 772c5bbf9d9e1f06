export * from "./alignment.js";
export * from "./classification.js";
export * from "./subspace.js";
export * from "./trace.js";
