export * from "./collins.js";
export * from "./du.js";
export * from "./kong.js";
export * from "./li.js";
