import { workerData } from "node:worker_threads";
import { loadPlugins } from "../plugins/load.js";
import { runCell, validateCell } from "./cell.js";

// The plug-in files the main thread loaded (their paths never leave this machine): loaded once per
// thread before the first cell. A cell naming a plug-in digest this thread does not hold fails.
await loadPlugins((workerData as { plugins?: string[] } | null)?.plugins ?? []);

/**
 * Worker-thread entry (piscina): validate a cell received as a message, run it, return its record
 * as JSON text (cheap to pass back; the main thread appends it to the store verbatim).
 */
export default function runCellInThread(data: unknown): string {
  return JSON.stringify(runCell(validateCell(data)));
}
