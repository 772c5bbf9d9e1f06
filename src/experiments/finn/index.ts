export * from "./claims.js";
export * from "./common.js";
export * from "./figures.js";
export * from "./nonlinearRepresentation.js";
export * from "./sinusoid.js";
