#!/usr/bin/env node
import { main } from "./main.js";

/**
 * When the command's work is done, exit even if a library left a handle open (a thread pool
 * still winding down, a socket): the unref'd timer does not keep the process alive itself.
 */
function exitSoon(): void {
  setTimeout(() => process.exit(), 5000).unref();
}

/**
 * A reader that closes the pipe early (`metarep help run | head`) ends the process quietly, as
 * it ends any Unix tool: a write to a closed pipe fails with EPIPE, which is no error of ours.
 */
for (const stream of [process.stdout, process.stderr]) {
  stream.on("error", (e: NodeJS.ErrnoException) => {
    if (e.code === "EPIPE") process.exit(process.exitCode ?? 0);
    throw e;
  });
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
    exitSoon();
  },
  (e: unknown) => {
    process.stderr.write(
      `metarep: internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`,
    );
    process.exitCode = 1;
    exitSoon();
  },
);
