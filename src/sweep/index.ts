export * from "./cell.js";
export * from "./executors/distributed.js";
export * from "./executors/executor.js";
export * from "./executors/inline.js";
export * from "./executors/threads.js";
export * from "./runSweep.js";
export * from "./spec.js";
export * from "./store.js";
