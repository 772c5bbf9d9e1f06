import { useEffect, useMemo, useRef, useState } from "preact/hooks";
import { getExperiment } from "../../experiments/registry.js";
import type { SizeName } from "../../experiments/types.js";
import type { RunRecord } from "../../record/types.js";
import { plural } from "../../report/figureText.js";
import { Chart } from "./Chart.js";
import { pageFigures } from "./figures.js";
import {
  cliCommand,
  type FieldValue,
  fieldSpecs,
  formValues,
  problemsByField,
  validateForm,
} from "./form.js";
import { LiveRun } from "./liveRecord.js";
import { ParamForm, TextField } from "./ParamForm.js";
import type { WorkerMessage } from "./protocol.js";
import { divergenceLines, downloadRecord } from "./records.js";
import { CAN_PAUSE, RunClient } from "./runner.js";

type Phase = "idle" | "running" | "paused" | "done" | "stopped" | "error";

interface Props {
  /** Experiments offered, the first selected. */
  ids: string[];
  size: SizeName;
}

/**
 * Live updates are coalesced to the display rate: messages from the worker only mark the view
 * dirty, and one `requestAnimationFrame` callback applies them. Redrawing a figure (Vega's
 * compile, parse and SVG render) can take far longer than a frame, so the next redraw also
 * waits `REDRAW_FACTOR` times as long as the last one took: figures use at most about a fifth
 * of the main thread, and a keypress or a click is handled between two redraws, at once.
 */
const REDRAW_FACTOR = 4;
/** Points per live curve drawn while a run streams (the finished figure draws them all). */
const LIVE_POINTS = 1000;

/**
 * One experiment's form, run controls and figures: the playground and the explorers. The form
 * is validated as it is typed, with the CLI's schema; the run happens in the worker and streams
 * back; the finished run is the CLI's record, ready to export.
 */
export function ExperimentPanel({ ids, size: initialSize }: Props) {
  const [expId, setExpId] = useState(ids[0]);
  const exp = useMemo(() => getExperiment(expId), [expId]);
  const fields = useMemo(() => fieldSpecs(exp), [exp]);
  const [size, setSize] = useState<SizeName>(initialSize);
  const [values, setValues] = useState<Record<string, FieldValue>>(() => formValues(exp, initialSize));
  const [seeds, setSeeds] = useState(String(exp.seeds[initialSize]));
  const [seed, setSeed] = useState("0");
  const [phase, setPhase] = useState<Phase>("idle");
  const [progress, setProgress] = useState<{ done: number; total: number } | null>(null);
  const [live, setLive] = useState<LiveRun | null>(null);
  const [record, setRecord] = useState<RunRecord | null>(null);
  /** What a stopped run exports: its finished seeds, marked `stopped` (null before the first). */
  const [stopped, setStopped] = useState<RunRecord | null>(null);
  const [message, setMessage] = useState<string | null>(null);
  const [warnings, setWarnings] = useState<string[]>([]);
  const [workerErrors, setWorkerErrors] = useState<Record<string, string[]>>({});
  const [version, setVersion] = useState(0);
  const client = useMemo(() => new RunClient(), []);
  const redraw = useRef<number | null>(null);
  /** Progress from the worker, applied at the next frame. */
  const pendingProgress = useRef<{ done: number; total: number } | null>(null);
  /** Whether the live figures need a redraw; when the last one ended and how long it took. */
  const dirty = useRef(false);
  const lastRender = useRef({ end: 0, ms: 0 });
  useEffect(() => () => client.stop(), [client]);

  const check = useMemo(
    () => validateForm(exp, size, values, { seeds, seed }),
    [exp, size, values, seeds, seed],
  );
  const errors = check.ok ? workerErrors : { ...workerErrors, ...check.errors };
  const active = phase === "running" || phase === "paused";

  const reset = (id: string, s: SizeName) => {
    const e = getExperiment(id);
    setValues(formValues(e, s));
    setSeeds(String(e.seeds[s]));
    setWorkerErrors({});
  };

  const frame = () => {
    redraw.current = null;
    if (pendingProgress.current) {
      setProgress(pendingProgress.current);
      pendingProgress.current = null;
    }
    if (!dirty.current) return;
    const { end, ms } = lastRender.current;
    if (performance.now() < end + REDRAW_FACTOR * ms) {
      redraw.current = requestAnimationFrame(frame); // not yet: leave the main thread to input
      return;
    }
    dirty.current = false;
    setVersion((v) => v + 1);
  };
  const schedule = (figures: boolean) => {
    if (figures) dirty.current = true;
    if (redraw.current === null) redraw.current = requestAnimationFrame(frame);
  };
  const cancelFrame = () => {
    if (redraw.current !== null) cancelAnimationFrame(redraw.current);
    redraw.current = null;
    dirty.current = false;
    pendingProgress.current = null;
  };
  const rendered = (ms: number) => {
    lastRender.current = { end: performance.now(), ms };
  };

  const run = () => {
    if (!check.ok) {
      setMessage(
        check.general.length > 0
          ? `Nothing was started: ${check.general.join("; ")}`
          : "Nothing was started: fix the fields marked in red.",
      );
      return;
    }
    cancelFrame();
    const lr = new LiveRun(exp.id, check.params, size, check.seed, check.command);
    setLive(lr);
    setRecord(null);
    setStopped(null);
    setPhase("running");
    setProgress(null);
    setWarnings([]);
    setWorkerErrors({});
    setMessage(null);
    const onMessage = (m: WorkerMessage) => {
      switch (m.type) {
        case "live":
          lr.addLive(m.seed, m.points);
          schedule(true);
          break;
        case "seed":
          lr.addSeed(m.seed, m.result);
          schedule(true);
          break;
        case "progress":
          pendingProgress.current = { done: m.done, total: m.total };
          schedule(false);
          break;
        case "paused":
          setPhase("paused");
          break;
        case "resumed":
          setPhase("running");
          break;
        case "warn":
          setWarnings((w) => (w.includes(m.message) ? w : [...w, m.message]));
          break;
        case "done":
          cancelFrame();
          setRecord(m.record);
          setProgress({ done: 1, total: 1 });
          setPhase("done");
          setVersion((v) => v + 1);
          break;
        case "error": {
          cancelFrame();
          setPhase("error");
          setMessage(m.message);
          setWorkerErrors(problemsByField(m.problems ?? [], m.fields ?? []).errors);
          break;
        }
        case "ready":
          break;
      }
    };
    client.start(
      {
        experiment: exp.id,
        size,
        overrides: check.overrides,
        seed: check.seed,
        seeds: check.seeds,
        command: check.command,
      },
      onMessage,
    );
  };

  const stop = () => {
    client.stop();
    cancelFrame();
    // The seeds finished before the stop are a run of their own: exportable, marked stopped.
    setStopped(live?.stoppedRecord((n) => cliCommand(exp, live.size, n, live.seed, live.params)) ?? null);
    setPhase("stopped");
    setVersion((v) => v + 1);
  };

  // `version` is the redraw signal: the LiveRun is mutated in place as messages arrive. The
  // partial record (thinned for display) is built once per redraw, not on every render.
  const { figures, shown } = useMemo(() => {
    if (record) return { figures: pageFigures(exp, record, null), shown: record };
    if (!live || live.empty) return { figures: [], shown: null };
    const current = live.record(true, LIVE_POINTS);
    return {
      figures: pageFigures(exp, live.finishedSeeds > 0 ? live.record(false, LIVE_POINTS) : null, current),
      shown: current,
    };
  }, [exp, live, record, version]);
  const divergences = shown ? divergenceLines(shown) : [];
  const exportable = record ?? (phase === "stopped" ? stopped : null);
  const pct = progress && progress.total > 0 ? Math.round((100 * progress.done) / progress.total) : 0;

  return (
    <div class="panel">
      <form
        id="run-form"
        class="controls"
        aria-label="experiment settings"
        onSubmit={(e) => {
          e.preventDefault();
          if (!active) run();
        }}
      >
        <div class="field">
          <label for="experiment">experiment</label>
          <select
            id="experiment"
            value={expId}
            disabled={active}
            onChange={(e) => {
              const id = (e.currentTarget as HTMLSelectElement).value;
              setExpId(id);
              reset(id, size);
            }}
          >
            {ids.map((id) => (
              <option key={id} value={id}>
                {id}
              </option>
            ))}
          </select>
        </div>
        <p class="about">
          <strong>{exp.title}.</strong> {exp.description}. <cite>{exp.paper}</cite>
        </p>
        <div class="row">
          <div class="field">
            <label for="size">size preset</label>
            <select
              id="size"
              value={size}
              disabled={active}
              onChange={(e) => {
                const s = (e.currentTarget as HTMLSelectElement).value as SizeName;
                setSize(s);
                reset(expId, s);
              }}
            >
              <option value="smoke">smoke</option>
              <option value="paper">paper</option>
            </select>
          </div>
          <TextField
            id="seeds"
            label="seeds"
            value={seeds}
            problems={errors.seeds}
            disabled={active}
            numeric
            onInput={setSeeds}
          />
          <TextField
            id="seed"
            label="root seed"
            value={seed}
            problems={errors.seed}
            disabled={active}
            numeric
            onInput={setSeed}
          />
        </div>
        <ParamForm
          fields={fields}
          values={values}
          errors={errors}
          disabled={active}
          onChange={(name, v) => {
            setValues((old) => ({ ...old, [name]: v }));
            setWorkerErrors({});
          }}
        />
        {!check.ok && check.general.length > 0 && (
          <p class="error" role="alert">
            {check.general.join("; ")}
          </p>
        )}
      </form>

      <section class="results" aria-label="results">
        <div class="runbar">
          <div class="buttons">
            <button type="submit" form="run-form" id="run" disabled={active}>
              Run
            </button>
            <button
              type="button"
              id="pause"
              disabled={!active || !CAN_PAUSE}
              title={CAN_PAUSE ? "" : "pausing needs a cross-origin isolated page (see the README)"}
              onClick={() => (phase === "paused" ? client.resume() : client.pause())}
            >
              {phase === "paused" ? "Resume" : "Pause"}
            </button>
            <button type="button" id="stop" disabled={!active} onClick={stop}>
              Stop
            </button>
            <button
              type="button"
              id="export"
              disabled={!exportable}
              title={exportTitle(phase, exportable)}
              onClick={() => exportable && downloadRecord(exportable)}
            >
              Export record
            </button>
          </div>
          <div class="status" aria-live="polite">
            <progress id="progress" max={100} value={pct} aria-label="progress" />
            <output
              id="status"
              data-phase={phase}
              data-seeds-done={record ? record.seedIndices.length : (live?.finishedSeeds ?? 0)}
            >
              {statusText(phase, pct, live, record, stopped)}
            </output>
          </div>
        </div>
        <div class="messages">
          {message && (
            <p class="error" role="alert" id="run-message">
              {message}
            </p>
          )}
          {warnings.map((w) => (
            <p class="warning" key={w}>
              warning: {w}
            </p>
          ))}
          {divergences.length > 0 && (
            <ul class="divergences" aria-label="divergences">
              {divergences.map((d) => (
                <li key={d}>× {d}</li>
              ))}
            </ul>
          )}
        </div>
        {figures.map((f) =>
          f.spec ? (
            <div key={f.name}>
              <Chart spec={f.spec} name={`${exp.id}-${f.name}`} onRendered={rendered} />
              {f.notes?.map((n) => (
                <p class="note figure-note" key={n}>
                  {n}
                </p>
              ))}
            </div>
          ) : (
            <p class="note" key={f.name}>
              {f.name}: {f.error}
            </p>
          ),
        )}
        <div class="command">
          <span>CLI:</span> <code id="command">{check.ok ? check.command : "—"}</code>
        </div>
        {exportable && (
          <p class="note">
            {exportable.stopped
              ? `The exported record holds the ${plural(exportable.seedIndices.length, "seed")} finished before the stop (marked "stopped": true); re-run it from the command line, bit for bit: `
              : "Export record saves this run as JSON; re-run it from the command line, bit for bit: "}
            <code>metarep run --record FILE</code>
          </p>
        )}
      </section>
    </div>
  );
}

function exportTitle(phase: Phase, exportable: RunRecord | null): string {
  if (exportable) return "save the run as a record (JSON) that `metarep run --record FILE` re-runs";
  if (phase === "stopped") return "stopped before the first seed finished: no complete seed to export";
  return "available when a run finishes or is stopped after its first seed";
}

function statusText(
  phase: Phase,
  pct: number,
  live: LiveRun | null,
  record: RunRecord | null,
  stopped: RunRecord | null,
): string {
  switch (phase) {
    case "idle":
      return "ready: press Run (or Enter)";
    case "running":
      return `running: ${pct}% · ${plural(live?.finishedSeeds ?? 0, "seed")} done`;
    case "paused":
      return `paused at ${pct}%`;
    case "done":
      return record
        ? `done: ${plural(record.seedIndices.length, "seed")} in ${record.seconds.toFixed(2)} s (${record.status})`
        : "done";
    case "stopped":
      return `stopped at ${pct}%: ${plural(stopped?.seedIndices.length ?? 0, "seed")} finished`;
    case "error":
      return "failed";
  }
}
