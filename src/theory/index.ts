export * from "./collinsRate.js";
export * from "./covarianceDominance.js";
export * from "./duBound.js";
export * from "./kong.js";
