import type { TopLevelSpec } from "vega-lite";
import { compile } from "vega-lite";

/**
 * Test support: compile a Vega-Lite spec, collecting every warning and error the compiler logs
 * (figure tests assert there are none), and return the compiled Vega spec for inspection.
 */
// biome-ignore lint/suspicious/noExplicitAny: the compiled Vega spec is inspected loosely.
export function compileStrict(spec: TopLevelSpec): { vg: any; messages: string[] } {
  const messages: string[] = [];
  const logger = {
    level: () => logger,
    error(...a: unknown[]) {
      messages.push(`error: ${a.join(" ")}`);
      return logger;
    },
    warn(...a: unknown[]) {
      messages.push(`warn: ${a.join(" ")}`);
      return logger;
    },
    info: () => logger,
    debug: () => logger,
  };
  const vg = compile(spec, { logger: logger as never }).spec;
  return { vg, messages };
}
