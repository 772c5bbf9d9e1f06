export * from "./cifar10c.js";
export * from "./claims.js";
export * from "./common.js";
export * from "./dynamics.js";
export * from "./figures.js";
export * from "./multitaskCnn.js";
