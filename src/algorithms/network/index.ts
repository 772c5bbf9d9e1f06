export * from "./metaGradient.js";
export * from "./methods.js";
export * from "./models.js";
export * from "./train.js";
