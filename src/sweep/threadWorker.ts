import { runCell, validateCell } from "./cell.js";

/**
 * Worker-thread entry (piscina): validate a cell received as a message, run it, return its record
 * as JSON text (cheap to pass back; the main thread appends it to the store verbatim).
 */
export default function runCellInThread(data: unknown): string {
  return JSON.stringify(runCell(validateCell(data)));
}
