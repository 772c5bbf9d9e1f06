import type { TopLevelSpec } from "vega-lite";
import { beforeAll, describe, expect, test } from "vitest";
import { fakeCifar10c } from "../data/testing.js";
import { liCifar10c } from "../experiments/li/cifar10c.js";
import { liDynamics } from "../experiments/li/dynamics.js";
import { errorFigure, gapFigure, tasksFigure } from "../experiments/li/figures.js";
import { liMultitaskCnn } from "../experiments/li/multitaskCnn.js";
import { resolveParams } from "../experiments/resolve.js";
import type { Experiment } from "../experiments/types.js";
import { runRecord } from "../record/run.js";
import type { RunRecord } from "../record/types.js";
import { buildFigure, type FigureOptions } from "./buildFigure.js";
import { ALIGNMENT_FLOOR, liAlignmentFigure } from "./liAlignmentFigure.js";
import { renderSvg } from "./render.js";
import { compileStrict } from "./testing.js";

/** The Li et al. figures, as the experiments declare them, drawn by the grammar's builder. */
const liErrorFigure = (r: RunRecord, o: FigureOptions = {}) => buildFigure(errorFigure, r, o);
const liGapFigure = (r: RunRecord) => buildFigure(gapFigure, r);
const liTasksFigure = (r: RunRecord) => buildFigure(tasksFigure, r);

type Row = Record<string, unknown>;
const tiny = { K: 3, n: 6, n_test: 10, d: 12, m: 3, iters: 10, record_every: 5 };

function record(exp: Experiment, overrides: Record<string, unknown>, dataset?: unknown): RunRecord {
  const params = resolveParams(exp, null, overrides) as Record<string, unknown>;
  const ctx = { progress: () => {}, warn: () => {}, dataset };
  return runRecord({
    experiment: exp,
    params,
    size: null,
    seed: 0,
    seedIndices: [0, 1, 2],
    command: "test",
    ctx,
  });
}

const rows = (spec: TopLevelSpec) => (spec as { data: { values: Row[] } }).data.values;

describe("figures of the Li et al. experiments", () => {
  let sweep: RunRecord;
  let dyn: RunRecord;
  let cifar: RunRecord;
  beforeAll(() => {
    sweep = record(liMultitaskCnn as unknown as Experiment, { ...tiny, Ks: [1, 3], ns: [3], snrs: [0.6] });
    dyn = record(liDynamics as unknown as Experiment, tiny);
    cifar = record(
      liCifar10c as unknown as Experiment,
      { patch_size: 4, n: 2, n_test: 4, iters: 4, record_every: 2, m: 2 },
      fakeCifar10c(["fog", "snow"]),
    );
  });

  test("error curves: one panel per condition, test and train for both kinds of training, medians over seeds", () => {
    const spec = liErrorFigure(sweep, { title: "errors" });
    expect(compileStrict(spec).messages).toEqual([]);
    const s = spec as { facet?: { sort: string[] }; title: { text: string } };
    expect(s.title.text).toBe("errors");
    expect(s.facet?.sort).toEqual([
      "K=3, n=6, SNR=0.3",
      "K=1, n=6, SNR=0.3",
      "K=3, n=3, SNR=0.3",
      "K=3, n=6, SNR=0.6",
    ]);
    // At K = 1 multi-task training is single-task training: the legend says the curves coincide there.
    const multi = "multi (= single at K=1, n=6, SNR=0.3)";
    expect(new Set(rows(spec).map((x) => x.method))).toEqual(new Set(["single", multi]));
    const r = rows(spec).filter(
      (x) => x.panel === "K=3, n=6, SNR=0.3" && x.method === multi && x.set === "test",
    );
    expect(r.map((x) => x.x)).toEqual([0, 5, 10]);
    // The median over the three seeds of the recorded mean test error at step 10.
    const ys = sweep.result.seeds
      .map(
        (sd) =>
          sd.curves.find(
            (c) =>
              c.labels.method === "multi" &&
              c.labels.set === "test" &&
              c.labels.K === 3 &&
              c.labels.n === 6 &&
              c.labels.snr === 0.3,
          )!.y[2],
      )
      .sort((a, b) => a - b);
    expect(r[2].median).toBe(ys[1]);
  });

  test("gap figure: final test error against K, n and SNR, each panel through the base point", () => {
    const spec = liGapFigure(sweep);
    expect(compileStrict(spec).messages).toEqual([]);
    // One panel per axis, each with its own x axis titled by it.
    const panels = (spec as { concat: { title: { text: string } }[] }).concat;
    const titles = ["number of tasks K", "examples per task n", "shared-feature SNR"];
    expect(panels.map((p) => p.title.text)).toEqual(titles);
    for (const t of titles) expect(JSON.stringify(spec)).toContain(`"title":"${t}"`);
    const onK = rows(spec).filter(
      (x) => x.panel === "number of tasks K" && x.kind === "median" && x.method === "single",
    );
    expect(onK.map((x) => x.x).sort()).toEqual([1, 3]);
    expect(rows(spec).filter((x) => x.kind === "seed").length).toBe(3 * 2 * (2 + 2 + 2));
  });

  test("alignment figure: u, v and noise per kind of training on a log axis, floored at ALIGNMENT_FLOOR", () => {
    const spec = liAlignmentFigure(dyn);
    expect(compileStrict(spec).messages).toEqual([]);
    expect((spec as { facet: { sort: string[] } }).facet.sort).toEqual([
      "single-task training (mean over tasks)",
      "multi-task training",
    ]);
    const features = new Set(rows(spec).map((x) => x.feature));
    expect([...features].sort()).toEqual(["noise", "u", "v"]);
    for (const x of rows(spec)) expect(x.lo as number).toBeGreaterThanOrEqual(ALIGNMENT_FLOOR);
    expect(JSON.stringify(spec)).toContain('"type":"log"');
  });

  test("per-task figure: one column per corruption, both kinds of training", () => {
    const spec = liTasksFigure(cifar);
    expect(compileStrict(spec).messages).toEqual([]);
    const med = rows(spec).filter((x) => x.kind === "median");
    expect(med.map((x) => `${x.method}:${x.x}`).sort()).toEqual([
      "multi:fog",
      "multi:snow",
      "single:fog",
      "single:snow",
    ]);
  });

  test("records without the needed curves are refused with a message, and every figure renders to SVG", async () => {
    expect(() => liAlignmentFigure(sweep)).toThrow(/no "alignment" curves/);
    expect(() => liTasksFigure(sweep)).toThrow(/no per-task test errors/);
    for (const spec of [
      liErrorFigure(dyn),
      liGapFigure(sweep),
      liAlignmentFigure(dyn),
      liTasksFigure(cifar),
    ]) {
      const svg = await renderSvg(spec);
      expect(svg.startsWith("<svg")).toBe(true);
    }
  });
});
