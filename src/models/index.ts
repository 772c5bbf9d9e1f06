export * from "./linearRepresentation.js";
export * from "./patchData.js";
export * from "./sampleSets.js";
