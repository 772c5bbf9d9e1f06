export * from "./claims.js";
export * from "./covariance.js";
export * from "./covarianceFactor.js";
export * from "./diversity.js";
export * from "./excessRisk.js";
export * from "./figures.js";
export * from "./tripuraneniMom.js";
