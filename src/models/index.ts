export * from "./linearRepresentation.js";
export * from "./sampleSets.js";
