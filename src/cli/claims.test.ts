import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { listExperiments } from "../experiments/registry.js";
import { cli } from "../sweep/testing.js";
import { runCli } from "./testing.js";

/**
 * `metarep claims`, `reproduce --check` and verdicts from the data: a plug-in experiment whose
 * claim counts at smoke size gives each exit code, and a plug-in estimator that returns a random
 * basis gets "not reproduced" where a built-in claim expects a learned representation.
 */

const tmp = mkdtempSync(join(tmpdir(), "metarep-claims-"));

describe("metarep claims", () => {
  test("--json lists every listed experiment's claims: experiment, id, statement, source, test, size", async () => {
    const r = await runCli("claims", "--json");
    expect(r.code).toBe(0);
    const list = JSON.parse(r.out) as {
      experiment: string;
      id: string;
      statement: string;
      source: { paper: string; where: string; verified: boolean };
      test: { kind: string; expected: string };
      size: string;
    }[];
    for (const e of listExperiments()) expect(list.some((c) => c.experiment === e.id)).toBe(true);
    for (const c of list) {
      expect(c.statement.length).toBeGreaterThan(10);
      expect(c.source.paper.length).toBeGreaterThan(0);
      expect(typeof c.source.verified).toBe("boolean");
      expect(["value", "slope", "paired order", "event", "band"]).toContain(c.test.kind);
      expect(c.size).toBe("paper");
    }
    const fig1 = list.find((c) => c.experiment === "collins-convergence" && c.id === "meta-methods-recover")!;
    expect(fig1.source).toMatchObject({ where: "Figure 1", verified: true });
  });

  test("for one experiment, as text: statement, source (unverified marked), what is measured and the test", async () => {
    const r = await runCli("claims", "collins-diversity");
    expect(r.code).toBe(0);
    expect(r.out).toContain("rate-mu-0-1");
    expect(r.out).toContain("[unverified]");
    expect(r.out).toContain("0.0025 ± 5 %");
    for (const line of r.out.split("\n")) expect(line.length).toBeLessThanOrEqual(100);
  });

  test("an unknown id is one line naming the known ones", async () => {
    const r = await runCli("claims", "collins-convergenc");
    expect(r.code).toBe(2);
    expect(r.err.trim().split("\n")).toHaveLength(1);
    expect(r.err).toContain("collins-convergence");
  });
});

/** A plug-in experiment of 6 seeds whose one claim counts at smoke size: the level is `level + spread·u`. */
function probePlugin(id: string, level: number, spread: number): string {
  const file = join(tmp, `${id}.mjs`);
  writeFileSync(
    file,
    `export default function plugin(m) {
  const { z, metricOf } = m;
  return { id: "${id}", experiments: [{
    id: "${id}", title: "a claims probe", paper: "test", family: "plugin", description: "probe",
    params: z.strictObject({}), sizes: { smoke: {}, paper: {} }, seeds: { smoke: 6, paper: 6 },
    runCondition(_p, _c, key) {
      const y = ${level} + ${spread} * (key[1] / 4294967296 - 0.5);
      return { status: "ok", scalars: {}, curves: [{ labels: { method: "a" }, xName: "x", yName: "q",
        x: [1], y: [y], metrics: { final: y }, status: "ok" }] };
    },
    figures: [],
    claims: [{ id: "level-is-one", statement: "The level is one.", size: "smoke",
      source: { paper: "test", where: "nowhere", verified: false },
      test: { kind: "value", measure: metricOf({ yName: "q", labels: { method: "a" } }, "final"),
        expected: 1, tolerance: { abs: 0.1 } } }],
  }] };
}
`,
  );
  return file;
}

describe("reproduce --check", () => {
  const check = async (id: string, level: number, spread: number) => {
    const out = join(tmp, `out-${id}`);
    const r = await cli([
      "reproduce",
      id,
      "--size",
      "smoke",
      "--check",
      "--out",
      out,
      "--plugin",
      probePlugin(id, level, spread),
    ]).done;
    return {
      ...r,
      verdicts: JSON.parse(readFileSync(join(out, "verdicts.json"), "utf8")) as { verdict: string }[],
    };
  };
  test("exit 0 when every claim is reproduced", async () => {
    const r = await check("probe-ok", 1, 0.02);
    expect(r.verdicts.map((v) => v.verdict)).toEqual(["reproduced"]);
    expect(r.code).toBe(0);
  }, 120_000);
  test("exit 0 when a claim is only inconclusive", async () => {
    const r = await check("probe-wide", 1.09, 0.2);
    expect(r.verdicts.map((v) => v.verdict)).toEqual(["inconclusive"]);
    expect(r.code).toBe(0);
  }, 120_000);
  test("exit 1 with one claim not reproduced, naming it in one line", async () => {
    const r = await check("probe-off", 2, 0.02);
    expect(r.verdicts.map((v) => v.verdict)).toEqual(["not reproduced"]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/--check: 1 claim failed: probe-off\/level-is-one \(not reproduced\)/);
  }, 120_000);
});

describe("a mutation: a plug-in estimator that returns a random basis", () => {
  test("gets 'not reproduced' where du-excess-risk expects a learned representation", async () => {
    const file = join(tmp, "random-basis.mjs");
    writeFileSync(
      file,
      `export default function plugin(m) {
  return { id: "random-basis", estimators: [{ id: "random-basis", name: "random basis",
    fit(data, k, _o, ctx) { const B = m.zeros(data.d, k); m.fillNormal(ctx.key, B.data); return { B }; } }] };
}
`,
    );
    const out = join(tmp, "mutation");
    const r = await cli([
      "run",
      "du-excess-risk",
      "--size",
      "smoke",
      "--quiet",
      "--out",
      out,
      "--plugin",
      file,
      "--set",
      "methods=random-basis,oracle",
      "--set",
      "sweeps=T",
    ]).done;
    expect(r.code).toBe(0);
    const record = JSON.parse(readFileSync(join(out, "du-excess-risk", "record.json"), "utf8"));
    const v = record.verdicts.find((x: { claim: string }) => x.claim === "learned-slope-t");
    expect(v.verdict).toBe("not reproduced");
    expect(Math.abs(v.measured)).toBeLessThan(0.5);
    expect(r.out).toContain("✗ not reproduced");
  }, 180_000);
});
