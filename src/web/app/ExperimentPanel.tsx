import { useEffect, useMemo, useRef, useState } from "preact/hooks";
import { getExperiment } from "../../experiments/registry.js";
import type { SizeName } from "../../experiments/types.js";
import type { RunRecord } from "../../record/types.js";
import { Chart } from "./Chart.js";
import { pageFigures } from "./figures.js";
import { type FieldValue, fieldSpecs, formValues, problemsByField, validateForm } from "./form.js";
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

/** Redraw live figures at most this often (ms): the worker streams much faster. */
const REDRAW_MS = 150;

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
  const [message, setMessage] = useState<string | null>(null);
  const [warnings, setWarnings] = useState<string[]>([]);
  const [workerErrors, setWorkerErrors] = useState<Record<string, string[]>>({});
  const [version, setVersion] = useState(0);
  const client = useMemo(() => new RunClient(), []);
  const redraw = useRef<ReturnType<typeof setTimeout> | null>(null);
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

  const schedule = () => {
    if (redraw.current !== null) return;
    redraw.current = setTimeout(() => {
      redraw.current = null;
      setVersion((v) => v + 1);
    }, REDRAW_MS);
  };

  const run = () => {
    if (!check.ok) {
      setMessage("Nothing was started: fix the fields marked in red.");
      return;
    }
    const lr = new LiveRun(exp.id, check.params, size, check.seed, check.command);
    setLive(lr);
    setRecord(null);
    setPhase("running");
    setProgress(null);
    setWarnings([]);
    setWorkerErrors({});
    setMessage(null);
    const onMessage = (m: WorkerMessage) => {
      switch (m.type) {
        case "live":
          lr.addLive(m.seed, m.points);
          schedule();
          break;
        case "seed":
          lr.addSeed(m.seed, m.result);
          schedule();
          break;
        case "progress":
          setProgress({ done: m.done, total: m.total });
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
          setRecord(m.record);
          setProgress({ done: 1, total: 1 });
          setPhase("done");
          setVersion((v) => v + 1);
          break;
        case "error": {
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
    if (redraw.current !== null) clearTimeout(redraw.current);
    redraw.current = null;
    setPhase("stopped");
    setVersion((v) => v + 1);
  };

  // `version` is the redraw signal: the LiveRun is mutated in place as messages arrive.
  const figures = useMemo(() => {
    if (record) return pageFigures(exp, record, null);
    if (!live || live.empty) return [];
    return pageFigures(exp, live.finishedSeeds > 0 ? live.record(false) : null, live.record());
  }, [exp, live, record, version]);
  const shown = record ?? (live && !live.empty ? live.record() : null);
  const divergences = shown ? divergenceLines(shown) : [];
  const pct = progress && progress.total > 0 ? Math.round((100 * progress.done) / progress.total) : 0;

  return (
    <div class="panel">
      <form
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
        <div class="buttons">
          <button type="submit" id="run" disabled={active}>
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
        </div>
      </form>

      <section class="results" aria-label="results">
        <div class="status" aria-live="polite">
          <progress id="progress" max={100} value={pct} aria-label="progress" />
          <output id="status" data-phase={phase}>
            {statusText(phase, pct, live, record)}
          </output>
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
            <Chart key={f.name} spec={f.spec} name={`${exp.id}-${f.name}`} />
          ) : (
            <p class="note" key={f.name}>
              {f.name}: {f.error}
            </p>
          ),
        )}
        <div class="command">
          <span>CLI:</span> <code id="command">{check.ok ? check.command : "—"}</code>
        </div>
        <button type="button" id="export" disabled={!record} onClick={() => record && downloadRecord(record)}>
          Export record (JSON)
        </button>
        {record && (
          <p class="note">
            Re-run it from the command line, bit for bit: <code>metarep run --record FILE</code>
          </p>
        )}
      </section>
    </div>
  );
}

function statusText(phase: Phase, pct: number, live: LiveRun | null, record: RunRecord | null): string {
  switch (phase) {
    case "idle":
      return "ready: press Run (or Enter)";
    case "running":
      return `running: ${pct}% · ${live?.finishedSeeds ?? 0} seeds done`;
    case "paused":
      return `paused at ${pct}%`;
    case "done":
      return record
        ? `done: ${record.seedIndices.length} seeds in ${record.seconds.toFixed(2)} s (${record.status})`
        : "done";
    case "stopped":
      return `stopped at ${pct}%: the worker was terminated`;
    case "error":
      return "failed";
  }
}
