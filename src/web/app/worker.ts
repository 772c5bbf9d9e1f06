import { ParamValidationError } from "../../experiments/params.js";
import { getExperiment } from "../../experiments/registry.js";
import { checkSize, resolveParams } from "../../experiments/resolve.js";
import type { LivePoint } from "../../experiments/types.js";
import { runRecord } from "../../record/run.js";
import { checkRun, PAGE_LIMITS, ResourceLimitError } from "../../sweep/guards.js";
import { parseRunSettings } from "./form.js";
import { PAUSED, type RunRequest, type WorkerMessage } from "./protocol.js";

/**
 * The page's computation worker: runs the library's experiments exactly as the CLI does
 * (`runRecord`, same keys), so a record made here is bit-identical to `metarep run`. Live points
 * and progress are batched into one message per `FLUSH_MS`; pausing blocks this thread on the
 * shared control word (the page stays responsive); stopping is `terminate()` from the page.
 */

const FLUSH_MS = 40;

interface Scope {
  postMessage(message: WorkerMessage): void;
  onmessage: ((event: MessageEvent<RunRequest>) => void) | null;
}
const scope = self as unknown as Scope;
const post = (m: WorkerMessage) => scope.postMessage(m);

function run(req: RunRequest): void {
  const exp = getExperiment(req.experiment);
  if (exp.dataset) {
    throw new Error(
      `${exp.id} needs a data set (${exp.dataset.description}): run it from the CLI with --data.`,
    );
  }
  // Validated again here: the worker is a boundary (STYLE.md §4), with the form's rules.
  const { seeds, seed: rootSeed } = parseRunSettings({ seeds: req.seeds, seed: req.seed });
  const size = checkSize(req.size);
  const params = resolveParams(exp, size, req.overrides) as Record<string, unknown>;
  checkRun(`run ${exp.id}`, exp.id, params, seeds, PAGE_LIMITS);
  const control = req.control ? new Int32Array(req.control) : null;

  let buffer: LivePoint[] = [];
  let seed = 0;
  let progress: { done: number; total: number } | null = null;
  let last = performance.now();
  const flush = () => {
    if (buffer.length > 0) post({ type: "live", seed, points: buffer });
    buffer = [];
    if (progress) post({ type: "progress", ...progress });
    progress = null;
    last = performance.now();
  };
  const checkpoint = () => {
    if (performance.now() - last >= FLUSH_MS) flush();
    if (control && Atomics.load(control, 0) === PAUSED) {
      flush();
      post({ type: "paused" });
      while (Atomics.load(control, 0) === PAUSED) Atomics.wait(control, 0, PAUSED);
      post({ type: "resumed" });
    }
  };

  const record = runRecord({
    experiment: exp,
    params,
    size,
    seed: rootSeed,
    seedIndices: Array.from({ length: seeds }, (_, i) => i),
    command: req.command,
    ctx: {
      progress: (done, total) => {
        progress = { done, total };
        checkpoint();
      },
      live: (points) => {
        for (const p of points) buffer.push(p);
        checkpoint();
      },
      warn: (message) => post({ type: "warn", message }),
    },
    onSeed: (i, result) => {
      flush();
      post({ type: "seed", seed: i, result });
      seed = i + 1;
    },
  });
  flush();
  post({ type: "done", record });
}

scope.onmessage = (event) => {
  if (event.data?.type !== "run") return;
  try {
    run(event.data);
  } catch (e) {
    if (e instanceof ParamValidationError) {
      post({ type: "error", message: e.message, fields: e.fields, problems: e.problems });
    } else {
      // Refusals (resource guards) are one line for the user; anything else names its error.
      const message =
        e instanceof ResourceLimitError
          ? e.message
          : e instanceof Error
            ? `${e.name}: ${e.message}`
            : String(e);
      post({ type: "error", message });
    }
  }
};
post({ type: "ready" });
