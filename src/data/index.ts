export * from "./cifar10c.js";
export * from "./npy.js";
export * from "./taskTable.js";
