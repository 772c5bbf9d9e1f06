export * from "./cifar10c.js";
export * from "./taskTable.js";
export * from "./npy.js";
