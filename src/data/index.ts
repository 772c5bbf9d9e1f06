export * from "./cifar10c.js";
export * from "./multiTaskTable.js";
export * from "./npy.js";
