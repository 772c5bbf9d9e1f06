export * from "./key.js";
export * from "./stream.js";
export * from "./threefry.js";
