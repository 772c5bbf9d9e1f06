export * from "./fewShotTasks.js";
export * from "./linearRepresentation.js";
export * from "./mixedLinearRegression.js";
export * from "./mixtureProjected.js";
export * from "./multiTaskData.js";
export * from "./patchData.js";
export * from "./sampleSets.js";
export * from "./sineMixture.js";
