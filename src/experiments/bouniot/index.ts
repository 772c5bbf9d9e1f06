export * from "./figures.js";
export * from "./regularisation.js";
