export * from "./linearRepresentation.js";
