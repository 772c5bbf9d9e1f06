import type { RunRecord } from "../../record/types.js";

/** A record as the CLI writes it (`record.json`): one JSON line. */
export function recordText(record: RunRecord): string {
  return `${JSON.stringify(record)}\n`;
}

/** Save a record as a file the CLI re-runs with `metarep run --record FILE`. */
export function downloadRecord(record: RunRecord): void {
  const blob = new Blob([recordText(record)], { type: "application/json" });
  const url = URL.createObjectURL(blob);
  const a = document.createElement("a");
  a.href = url;
  a.download = `${record.experiment}-seed${record.seed}.record.json`;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** Diverged curves of a record, one line each, for status lists. */
export function divergenceLines(record: RunRecord): string[] {
  const lines: string[] = [];
  record.result.seeds.forEach((r, i) => {
    for (const c of r.curves) {
      if (c.status !== "diverged" || !c.diverged) continue;
      const what = Object.entries(c.labels)
        .map(([k, v]) => (k === "method" ? String(v) : `${k}=${String(v)}`))
        .join(", ");
      const d = c.diverged;
      lines.push(
        `${what}: diverged at t=${d.iteration} on seed ${record.seedIndices[i]} (${d.quantity} = ${String(d.value)})`,
      );
    }
  });
  return lines;
}
