export * from "./alignment.js";
export * from "./classification.js";
export * from "./conditioning.js";
export * from "./excessRisk.js";
export * from "./loglogSlope.js";
export * from "./median.js";
export * from "./subspace.js";
export * from "./trace.js";
