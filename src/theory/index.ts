export * from "./collinsRate.js";
