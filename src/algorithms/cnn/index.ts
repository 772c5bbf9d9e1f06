export * from "./activation.js";
export * from "./gradient.js";
export * from "./loss.js";
export * from "./network.js";
export * from "./train.js";
