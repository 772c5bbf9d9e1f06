export * from "./cnn/index.js";
export * from "./metaGradient.js";
export * from "./metaTrain.js";
export * from "./methods.js";
export * from "./mlr/index.js";
export * from "./representation/index.js";
export * from "./robust/index.js";
export * from "./workspace.js";
