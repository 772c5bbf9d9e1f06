export * from "./file.js";
export * from "./ids.js";
export * from "./merge.js";
export * from "./run.js";
export * from "./types.js";
export * from "./verdicts.js";
