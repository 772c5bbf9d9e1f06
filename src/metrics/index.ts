export * from "./subspace.js";
export * from "./trace.js";
