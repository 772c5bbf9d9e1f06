export * from "./aggregate.js";
export * from "./experimentFigures.js";
export * from "./figures.js";
export * from "./liFigures.js";
export * from "./merge.js";
export * from "./render.js";
export * from "./storeReport.js";
export * from "./summaryTable.js";
