import { useEffect, useMemo, useState } from "preact/hooks";
import { listExperiments } from "../../experiments/registry.js";
import { resolveParams } from "../../experiments/resolve.js";
import type { Experiment } from "../../experiments/types.js";
import type { RunRecord } from "../../record/types.js";
import { experimentFigures } from "../../report/experimentFigures.js";
import { Chart } from "./Chart.js";
import { cliCommand } from "./form.js";
import { downloadRecord } from "./records.js";
import { RunClient } from "./runner.js";

type CardState =
  | { phase: "waiting" | "running" }
  | { phase: "done"; record: RunRecord }
  | { phase: "error"; message: string }
  | { phase: "needs-data" };

/** The gallery runs each experiment at smoke size with its default seeds and root seed 0. */
const SIZE = "smoke";

function command(e: Experiment): string {
  return cliCommand(e, SIZE, e.seeds[SIZE], 0, resolveParams(e, SIZE) as Record<string, unknown>);
}

/**
 * Every registered experiment at smoke size, one after another in the worker, drawn with the
 * figure builders the CLI uses (the same Vega-Lite specs). Experiments that need a real data set
 * say so instead of running.
 */
export function Gallery() {
  const experiments = useMemo(() => listExperiments(), []);
  const [states, setStates] = useState<Record<string, CardState>>(() =>
    Object.fromEntries(
      experiments.map((e) => [e.id, e.dataset ? { phase: "needs-data" } : { phase: "waiting" }]),
    ),
  );
  const client = useMemo(() => new RunClient(), []);

  useEffect(() => {
    const queue = experiments.filter((e) => !e.dataset);
    let i = 0;
    const next = () => {
      const e = queue[i++];
      if (!e) return;
      setStates((s) => ({ ...s, [e.id]: { phase: "running" } }));
      client.start(
        { experiment: e.id, size: SIZE, overrides: {}, seed: 0, seeds: e.seeds[SIZE], command: command(e) },
        (m) => {
          if (m.type === "done") {
            setStates((s) => ({ ...s, [e.id]: { phase: "done", record: m.record } }));
            next();
          } else if (m.type === "error") {
            setStates((s) => ({ ...s, [e.id]: { phase: "error", message: m.message } }));
            next();
          }
        },
      );
    };
    next();
    return () => client.stop();
  }, [client, experiments]);

  const done = Object.values(states).filter((s) => s.phase === "done").length;
  const runnable = experiments.filter((e) => !e.dataset).length;
  return (
    <div class="gallery">
      <p class="status" aria-live="polite">
        <output id="gallery-status" data-done={done} data-total={runnable}>
          {done} of {runnable} experiments run at smoke size
        </output>
      </p>
      {experiments.map((e) => (
        <GalleryCard key={e.id} experiment={e} state={states[e.id]} />
      ))}
    </div>
  );
}

function GalleryCard({ experiment: e, state }: { experiment: Experiment; state: CardState }) {
  const figures = useMemo(() => {
    if (state.phase !== "done") return [];
    try {
      return experimentFigures(e, state.record);
    } catch {
      return [];
    }
  }, [e, state]);
  return (
    <article class="card" id={`gallery-${e.id}`} data-phase={state.phase}>
      <h3>{e.title}</h3>
      <p class="about">
        <code>{e.id}</code> · {e.description} · <cite>{e.paper}</cite>
      </p>
      {state.phase === "waiting" && <p class="note">waiting…</p>}
      {state.phase === "running" && <p class="note">running…</p>}
      {state.phase === "error" && <p class="error">{state.message}</p>}
      {state.phase === "needs-data" && (
        <p class="note">
          Needs a real data set ({e.dataset?.description}); run it from the command line:{" "}
          <code>metarep run {e.id} --data PATH</code>
        </p>
      )}
      {state.phase === "done" && (
        <>
          <div class="figures">
            {figures.map((f) => (
              <Chart key={f.name} spec={f.spec} name={`${e.id}-${f.name}`} />
            ))}
          </div>
          <p class="note">
            {state.record.seedIndices.length} seeds in {state.record.seconds.toFixed(2)} s · CLI:{" "}
            <code>{state.record.command}</code>{" "}
            <button type="button" onClick={() => downloadRecord(state.record)}>
              Export record
            </button>
          </p>
        </>
      )}
    </article>
  );
}
