/** Columns of the terminal stdout writes to (100 when it is not a terminal: a pipe or a file). */
export function terminalWidth(): number {
  return process.stdout.isTTY && process.stdout.columns ? process.stdout.columns : 100;
}
