import { useMemo, useState } from "preact/hooks";
import { getExperiment } from "../../experiments/registry.js";
import { parseRecord } from "../../record/file.js";
import type { RunRecord } from "../../record/types.js";
import { verdictsOf } from "../../record/verdicts.js";
import { measuredText } from "../../report/verdicts.js";
import { Chart } from "./Chart.js";
import { pageFigures } from "./figures.js";
import { divergenceLines } from "./records.js";

/**
 * View a record exported here or written by the CLI (`<out>/<id>/record.json`): validated with
 * the same rules as `metarep run --record`, then drawn with the CLI's figure builders.
 */
export function Records() {
  const [record, setRecord] = useState<RunRecord | null>(null);
  const [name, setName] = useState("");
  const [error, setError] = useState<string | null>(null);

  const load = async (file: File) => {
    setName(file.name);
    try {
      let data: unknown;
      try {
        data = JSON.parse(await file.text());
      } catch (e) {
        throw new Error(`${file.name}: not valid JSON (${(e as Error).message})`);
      }
      setRecord(parseRecord(data, file.name));
      setError(null);
    } catch (e) {
      setRecord(null);
      setError(e instanceof Error ? e.message : String(e));
    }
  };

  const view = useMemo(() => {
    if (!record) return null;
    const exp = getExperiment(record.experiment);
    return { exp, figures: pageFigures(exp, record, null), rows: verdictsOf(record) };
  }, [record]);

  return (
    <div class="records">
      <div class="field">
        <label for="import">Import a record (JSON, from this page or the CLI)</label>
        <input
          id="import"
          type="file"
          accept=".json,application/json"
          onChange={(e) => {
            const f = (e.currentTarget as HTMLInputElement).files?.[0];
            if (f) void load(f);
          }}
        />
      </div>
      {error && (
        <p class="error" role="alert" id="import-error">
          {error}
        </p>
      )}
      {record && view && (
        <section aria-label="imported record" id="imported">
          <h3>{view.exp.title}</h3>
          <dl class="facts">
            <dt>file</dt>
            <dd>{name}</dd>
            <dt>experiment</dt>
            <dd>
              <code>{record.experiment}</code> ({record.size ?? "custom"} size)
            </dd>
            <dt>seeds</dt>
            <dd>
              root seed {record.seed}, indices {record.seedIndices.join(", ")}
            </dd>
            <dt>status</dt>
            <dd>
              {record.status}
              {record.stopped ? " · stopped: the seeds that finished before Stop was pressed" : ""}
            </dd>
            <dt>made by</dt>
            <dd>
              metarep {record.metarepVersion} at {record.startedAt}, {record.seconds.toFixed(2)} s
            </dd>
            <dt>command</dt>
            <dd>
              <code>{record.command}</code>
            </dd>
            <dt>re-run</dt>
            <dd>
              <code>metarep run --record {name}</code>
            </dd>
          </dl>
          {divergenceLines(record).map((d) => (
            <p class="warning" key={d}>
              × {d}
            </p>
          ))}
          {view.rows.length > 0 && (
            <table class="verdicts">
              <thead>
                <tr>
                  <th>verdict</th>
                  <th>claim</th>
                  <th>measured [95 % interval]</th>
                  <th>expected</th>
                  <th>note</th>
                </tr>
              </thead>
              <tbody>
                {view.rows.map((r) => (
                  <tr key={r.claim} class={`v-${r.verdict.replace(" ", "-")}`}>
                    <td>
                      {r.verdict}
                      {r.indicative ? " (indicative)" : ""}
                    </td>
                    <td>
                      {r.claim}
                      <br />
                      <small>{view.exp.claims?.find((c) => c.id === r.claim)?.statement}</small>
                    </td>
                    <td>{measuredText(r)}</td>
                    <td>{r.expected}</td>
                    <td>{r.note ?? ""}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          {view.figures.map((f) =>
            f.spec ? (
              <Chart key={f.name} spec={f.spec} name={`${record.experiment}-${f.name}`} />
            ) : (
              <p class="note" key={f.name}>
                {f.name}: {f.error}
              </p>
            ),
          )}
        </section>
      )}
    </div>
  );
}
