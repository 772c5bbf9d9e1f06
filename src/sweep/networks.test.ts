import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import type { Executor } from "./executors/executor.js";
import { InlineExecutor } from "./executors/inline.js";
import { ThreadsExecutor } from "./executors/threads.js";
import { runSweep } from "./runSweep.js";
import { expandSweep, parseSweepSpec } from "./spec.js";
import { readRecords } from "./store.js";

/*
 * The network experiments (autodiff, exact second order) give the same bytes inline and on worker
 * threads: the tape, its pooled buffers and the WebAssembly products are per thread and
 * deterministic. (The threads executor runs the built dist/: `npm run build` first.)
 */
const tmp = mkdtempSync(join(tmpdir(), "metarep-networks-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const SPECS = {
  "finn-sinusoid": `
experiment: finn-sinusoid
size: smoke
seeds: 2
params: { iters: 8, meta_batch: 3, eval_tasks: 2, query_points: 8, test_steps: 2, record_every: 4, model_options: { widths: [6, 6], activation: tanh, init_std: 0.1 } }
`,
  "nonlinear-representation": `
experiment: nonlinear-representation
size: smoke
seeds: 2
params: { iters: 15, methods: [maml, anil, avg-gd] }
`,
};

function normalized(dir: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const r of readRecords(dir))
    m.set(r.cellId, JSON.stringify({ ...r, startedAt: "", seconds: 0, command: "", worker: undefined }));
  return m;
}

async function sweepWith(executor: Executor, dir: string, spec: string) {
  try {
    return await runSweep({ sweep: expandSweep(parseSweepSpec(spec)), dir, executor, command: "test" });
  } finally {
    await executor.close();
  }
}

describe.each(Object.entries(SPECS))("%s", (id, spec) => {
  test("inline and threads (2 workers) store byte-identical records apart from timings", async () => {
    const inline = join(tmp, `${id}-inline`);
    await sweepWith(new InlineExecutor(), inline, spec);
    const reference = normalized(inline);
    expect(reference.size).toBe(4); // 2 conditions × 2 seeds
    const threads = join(tmp, `${id}-threads`);
    await sweepWith(new ThreadsExecutor(2), threads, spec);
    expect(normalized(threads)).toEqual(reference);
  });
});
