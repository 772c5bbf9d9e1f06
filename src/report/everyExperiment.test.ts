import { beforeAll, describe, expect, test } from "vitest";
import { fakeCifar10c } from "../data/testing.js";
import { listExperiments } from "../experiments/registry.js";
import { resolveParams } from "../experiments/resolve.js";
import type { Experiment } from "../experiments/types.js";
import { runRecord } from "../record/run.js";
import type { RunRecord } from "../record/types.js";
import { verdictsOf } from "../record/verdicts.js";
import { buildFigure } from "./buildFigure.js";
import { figureSpecsOf, figureTitle } from "./experimentFigures.js";
import { formatTables, summaryRows, summaryTables } from "./summaryTable.js";
import { compileStrict, figureRows } from "./testing.js";

/**
 * Every registered experiment at smoke size with one seed: each figure it declares compiles
 * without warnings and carries its series, its summary table names only quantities it holds, and
 * every claim it declares gets a verdict from its record.
 */

const experiments = listExperiments();
const records = new Map<string, RunRecord>();

function smokeRecord(e: Experiment): RunRecord {
  // li-cifar10c needs a real data set: a fake one, small enough for its smoke size to fit in.
  const data = e.dataset ? fakeCifar10c(["fog", "snow"]) : undefined;
  const overrides = e.dataset ? { patch_size: 4, n: 2, n_test: 4, iters: 4, record_every: 2, m: 2 } : {};
  const params = resolveParams(e, "smoke", overrides) as Record<string, unknown>;
  const ctx = { progress: () => {}, warn: () => {}, dataset: data };
  return runRecord({ experiment: e, params, size: "smoke", seed: 0, seedIndices: [0], command: "test", ctx });
}

beforeAll(() => {
  for (const e of experiments) records.set(e.id, smokeRecord(e));
}, 300_000);

const ids = experiments.map((e) => [e.id, e] as const);

/**
 * Every text a reader meets in a figure: titles and subtitles (of the figure, its panels, axes and
 * legends), legend entries and panel names in the data, and the tick labels its expressions write.
 */
function figureTexts(spec: unknown): string[] {
  const out: string[] = [];
  const visit = (v: unknown, key: string | null): void => {
    if (typeof v === "string") {
      if (
        key !== null &&
        ["text", "title", "subtitle", "method", "panel", "entry", "labelExpr"].includes(key)
      )
        out.push(v);
      return;
    }
    if (Array.isArray(v)) {
      const textual = key !== null && ["subtitle", "text", "sort", "domain"].includes(key);
      for (const x of v) visit(x, textual ? "text" : key === "values" ? null : key);
      return;
    }
    if (typeof v === "object" && v !== null) for (const [k, x] of Object.entries(v)) visit(x, k);
  };
  visit(spec, null);
  return out;
}

/** The x and y channels of every layer of a figure (each must carry a title). */
function positionChannels(spec: unknown): { channel: string; def: Record<string, unknown> }[] {
  const out: { channel: string; def: Record<string, unknown> }[] = [];
  const visit = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach(visit);
    else if (typeof v === "object" && v !== null) {
      const enc = (v as { encoding?: Record<string, unknown> }).encoding;
      if (enc)
        for (const c of ["x", "y"])
          if (typeof enc[c] === "object" && enc[c] !== null && "field" in (enc[c] as object))
            out.push({ channel: c, def: enc[c] as Record<string, unknown> });
      for (const [k, x] of Object.entries(v)) if (k !== "data") visit(x);
    }
  };
  visit(spec);
  return out;
}

/** TeX source that must not reach a reader: `_{`, `^{`, `^t`, `R^d`, `Σ_src`, `n_L`, … */
const TEX = /_\{|\^\{|\^[A-Za-z0-9]|\\[a-z]+|[A-Za-zΣσθ]_[A-Za-z]/;

describe("every experiment at smoke size", () => {
  test.each(ids)("%s: every declared figure compiles and carries its series", (_id, e) => {
    const rec = records.get(e.id)!;
    const specs = figureSpecsOf(e);
    expect(specs.length).toBeGreaterThan(0);
    expect(new Set(specs.map((s) => s.name)).size).toBe(specs.length);
    for (const spec of specs) {
      const fig = buildFigure(spec, rec, { title: e.title });
      expect(compileStrict(fig).messages).toEqual([]);
      const rows = figureRows(fig);
      if (spec.kind === "custom") {
        expect(rows.length).toBeGreaterThan(0);
        continue;
      }
      // The methods drawn are those of the curves the spec selects, every one of them.
      const yNames = typeof spec.select.yName === "string" ? [spec.select.yName] : spec.select.yName;
      const selected = rec.result.seeds[0].curves.filter(
        (c) =>
          yNames.includes(c.yName) &&
          (spec.select.xName === undefined || c.xName === spec.select.xName) &&
          !spec.select.exceptMethods?.includes(String(c.labels.method)),
      );
      expect(selected.length).toBeGreaterThan(0);
      const drawn = rows.filter((r) => r.kind === "series" || r.kind === "median");
      const methods = new Set(selected.map((c) => c.labels.method ?? "(none)"));
      expect(new Set(drawn.map((r) => r.method)).size).toBe(methods.size);
      for (const r of drawn) expect(Number.isFinite((r.median ?? r.y) as number)).toBe(true);
    }
  });

  test.each(ids)("%s: figures carry no TeX source, and every axis has a title", (_id, e) => {
    const rec = records.get(e.id)!;
    // Parameter names the subtitles print as they are typed (`src_ratio=10`) are not TeX.
    const names = new Set(Object.keys(rec.params));
    for (const spec of figureSpecsOf(e)) {
      const fig = buildFigure(spec, rec, { title: figureTitle(e, spec) });
      for (const text of figureTexts(fig)) {
        const words = text.split(/[\s,;·()=]+/).filter((w) => !names.has(w));
        expect(words.join(" "), `${spec.name}: ${text}`).not.toMatch(TEX);
      }
      const channels = positionChannels(fig);
      expect(channels.length).toBeGreaterThan(0);
      for (const { channel, def } of channels) {
        const title = (def.axis as { title?: unknown } | undefined)?.title ?? def.title;
        expect(typeof title === "string" && title.length > 0, `${spec.name} ${channel}: ${title}`).toBe(true);
      }
    }
  });

  test("no two figures of a report share a title", () => {
    const titles = experiments.flatMap((e) => figureSpecsOf(e).map((s) => figureTitle(e, s)));
    const seen = new Set<string>();
    for (const t of titles) {
      expect(seen.has(t), t).toBe(false);
      seen.add(t);
    }
  });

  test.each(ids)(
    "%s: its tables have no doubled word, no '1 seeds', no line over 100 characters",
    (_id, e) => {
      const rec = records.get(e.id)!;
      const text = formatTables(summaryTables(rec, e.tables), { width: 100 });
      for (const line of text.split("\n")) expect(line.length, line).toBeLessThanOrEqual(100);
      // A doubled word ("final final w error") in a header or a title.
      expect(text).not.toMatch(/\b([A-Za-z]{2,}) \1\b/);
      // A plural after a lone 1 ("1 seeds", "1 grid points").
      expect(text).not.toMatch(/(^|[^\d.])1 (seeds|grid points|cells|tasks|points)\b/);
      // One seed here: the statistics name it in the singular.
      expect(text).not.toMatch(/over 1 seeds/);
    },
  );

  test.each(ids)("%s: the summary table has no column named after a quantity it does not hold", (_id, e) => {
    const rec = records.get(e.id)!;
    const curves = rec.result.seeds[0].curves;
    const quantities = new Set(
      curves.flatMap((c) => [c.yName, ...(typeof c.labels.quantity === "string" ? [c.labels.quantity] : [])]),
    );
    const rows = summaryRows(rec);
    expect(rows.length).toBeGreaterThan(0);
    const columns = new Set(rows.flatMap((r) => Object.keys(r)));
    for (const c of ["method", "condition", "status", "seeds"]) columns.delete(c);
    for (const column of columns) {
      // Each metric column names one of the record's quantities, and a row holds a value in it
      // only if it has a curve of that quantity.
      const named = [...quantities].filter((q) => column.includes(q));
      expect(named, column).not.toEqual([]);
      for (const r of rows) {
        if (r[column] === "") continue;
        const mine = curves.filter(
          (c) =>
            String(c.labels.method ?? "") === r.method &&
            Object.entries(c.labels)
              .filter(([k]) => k !== "method" && k !== "quantity")
              .map(([k, v]) => `${k}=${v === null ? "∞" : String(v)}`)
              .join(" ") === r.condition,
        );
        expect(
          mine.some((c) => named.includes(c.yName) || named.includes(String(c.labels.quantity))),
          `${column} in ${r.method} ${r.condition}`,
        ).toBe(true);
      }
    }
  });

  test.each(ids)(
    "%s: declares at least one claim with a source, and each gets a verdict from the record",
    (_id, e) => {
      expect(e.claims?.length ?? 0).toBeGreaterThan(0);
      for (const c of e.claims ?? []) {
        expect(c.source.paper.length).toBeGreaterThan(0);
        expect(c.source.where.length).toBeGreaterThan(0);
      }
      const verdicts = verdictsOf(records.get(e.id)!);
      expect(verdicts.map((v) => v.claim)).toEqual(e.claims!.map((c) => c.id));
      // One seed at smoke size: every verdict is indicative, and none is "reproduced" from one seed
      // of a value, slope or band test (no spread to judge it by).
      for (const v of verdicts) {
        expect(v.indicative).toBe(true);
        const kind = e.claims!.find((c) => c.id === v.claim)!.test.kind;
        if (kind === "value" || kind === "slope" || kind === "band") expect(v.verdict).not.toBe("reproduced");
      }
    },
  );

  test("Collins et al.'s contraction per iteration is measured within 10% of αβµ² at smoke size", () => {
    const rec = records.get("collins-diversity")!;
    const v = verdictsOf(rec).find((x) => x.claim === "rate-mu-1")!;
    const alpha = rec.params.alpha as number;
    const beta = rec.params.beta as number;
    expect(v.measured).not.toBeNull();
    expect(Math.abs(v.measured! - alpha * beta) / (alpha * beta)).toBeLessThan(0.1);
  });
});
