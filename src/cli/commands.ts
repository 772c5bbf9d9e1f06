import type { Command } from "commander";
import { claimsCommand } from "./claims.js";
import { fewShotCommands } from "./fit.js";

/**
 * A module that adds commands to the `metarep` program (e.g. `fit`/`adapt`, `sweep`/`worker`).
 * `main.ts` calls each; a module validates its own flags and throws `MetarepError`s for bad input
 * (printed as one line, exit code 2).
 */
export type CommandModule = (program: Command) => void;

export const COMMAND_MODULES: CommandModule[] = [fewShotCommands, claimsCommand];
