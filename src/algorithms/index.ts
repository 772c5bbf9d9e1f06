export * from "./cnn/index.js";
export * from "./metaGradient.js";
export * from "./metaTrain.js";
export * from "./methods.js";
export * from "./workspace.js";
