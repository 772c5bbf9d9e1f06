export * from "./grad.js";
export * from "./ops.js";
export * from "./tape.js";
