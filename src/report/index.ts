export * from "./aggregate.js";
export * from "./experimentFigures.js";
export * from "./figures.js";
export * from "./html.js";
export * from "./render.js";
export * from "./summaryTable.js";
