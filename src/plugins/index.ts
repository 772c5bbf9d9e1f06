export * from "./adapt.js";
export * from "./contract.js";
export * from "./load.js";
export * from "./register.js";
