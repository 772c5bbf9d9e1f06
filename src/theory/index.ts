export * from "./collinsRate.js";
export * from "./duBound.js";
export * from "./kong.js";
