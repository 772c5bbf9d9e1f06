export * from "./file.js";
export * from "./ids.js";
export * from "./merge.js";
export * from "./run.js";
export * from "./theory.js";
export * from "./types.js";
