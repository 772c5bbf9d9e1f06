export * from "./claims.js";
export * from "./figures.js";
export * from "./networkPenalty.js";
export * from "./regularisation.js";
