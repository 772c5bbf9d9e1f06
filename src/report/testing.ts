import type { TopLevelSpec } from "vega-lite";
import { compile } from "vega-lite";
import type { Curve, Labels } from "../experiments/types.js";
import type { RunRecord } from "../record/types.js";

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

/** Test support: a record of these seeds' curves (no scalars), as a run would store it. */
export function testRecord(
  experiment: string,
  seeds: Curve[][],
  params: Record<string, unknown> = {},
): RunRecord {
  return {
    schemaVersion: 1,
    metarepVersion: "0.0.0",
    experiment,
    size: "smoke",
    params,
    seed: 0,
    seedIndices: seeds.map((_, i) => i),
    cellId: `${experiment}/0`,
    status: "ok",
    result: { seeds: seeds.map((curves) => ({ status: "ok", curves, scalars: {} })) },
    command: `metarep run ${experiment}`,
    startedAt: "2025-01-01T00:00:00.000Z",
    seconds: 0,
  };
}

/** Test support: a curve of y over x with these labels and metrics. */
export function testCurve(
  labels: Labels,
  yName: string,
  x: number[],
  y: number[],
  metrics: Curve["metrics"] = {},
  xName = "x",
): Curve {
  return { labels, xName, yName, x, y, metrics, status: "ok" };
}

/** Test support: the inline data rows of a built figure. */
export function figureRows(spec: TopLevelSpec): Record<string, unknown>[] {
  return (spec as { data: { values: Record<string, unknown>[] } }).data.values;
}
