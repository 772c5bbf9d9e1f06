export * from "./claims.js";
export * from "./convergence.js";
export * from "./diversity.js";
export * from "./figures.js";
export * from "./finiteSamples.js";
export * from "./headInit.js";
