import { describe, expect, it } from "vitest";
import { parseSets } from "../../cli/flags.js";
import { getExperiment, listExperiments } from "../../experiments/registry.js";
import { resolveParams } from "../../experiments/resolve.js";
import { cliCommand, fieldSpecs, formValues, validateForm } from "./form.js";

const collins = getExperiment("collins-convergence");
const run = { seeds: "3", seed: "7" };

describe("web forms", () => {
  it("have one field per parameter of the schema, with widgets from its types", () => {
    const specs = fieldSpecs(collins);
    // Resolved parameters hold every defaulted one; the optional family parameters only when given.
    expect(specs.map((s) => s.name)).toEqual([
      ...Object.keys(resolveParams(collins, "paper") as object),
      "family",
      "family_options",
    ]);
    const by = Object.fromEntries(specs.map((s) => [s.name, s]));
    expect(specs.filter((s) => s.optional).map((s) => s.name)).toEqual(["family", "family_options"]);
    expect(by.methods.kind).toBe("multi");
    expect(by.methods.options).toEqual(["anil", "fo-anil", "maml", "fo-maml", "avg-gd"]);
    expect(by.heads.kind).toBe("select");
    expect(by.alpha.kind).toBe("text");
    expect(by.m_in.infinity).toBe(true);
    expect(by.k_prime.infinity).toBe(false);
  });

  it("show every experiment's resolved parameters so that submitting them unchanged gives the same parameters", () => {
    for (const exp of listExperiments()) {
      for (const size of ["smoke", "paper"] as const) {
        const v = validateForm(exp, size, formValues(exp, size), run);
        expect(v.ok, `${exp.id} ${size}`).toBe(true);
        if (v.ok) expect(v.params).toEqual(resolveParams(exp, size));
      }
    }
  });

  it("show ∞ for population sample counts and read ∞, inf and numbers back as the CLI does", () => {
    const values = formValues(collins, "paper");
    expect([values.m_in, values.m_out, values.k_prime]).toEqual(["∞", "∞", "null"]);
    for (const text of ["∞", "inf", "null"]) {
      const v = validateForm(collins, "paper", { ...formValues(collins, "paper"), m_in: text }, run);
      expect(v.ok && v.params.m_in).toBe(null);
    }
    const v = validateForm(
      collins,
      "paper",
      { ...formValues(collins, "paper"), m_in: "25", alpha: "0.25" },
      run,
    );
    expect(v.ok && [v.params.m_in, v.params.alpha]).toEqual([25, 0.25]);
  });

  it("put each schema message next to its field, naming the constraint and the value", () => {
    const v = validateForm(collins, "paper", { ...formValues(collins, "paper"), d: "0", alpha: "fast" }, run);
    expect(v.ok).toBe(false);
    if (v.ok) return;
    expect(v.errors.d).toEqual(['"d" must be ≥ 1; got 0']);
    expect(v.errors.alpha).toEqual(['"alpha" must be a number; got "fast"']);
    expect(Object.keys(v.errors).sort()).toEqual(["alpha", "d"]);
  });

  it("attach cross-field rules to the field they name", () => {
    const v = validateForm(collins, "paper", { ...formValues(collins, "paper"), k: "30" }, run);
    expect(!v.ok && v.errors.k).toEqual(['"k" must be ≤ d (= 20); got 30']);
  });

  it("leave the optional task family unset when empty, and check it against the registry when given", () => {
    const exp = getExperiment("du-excess-risk");
    const values = formValues(exp, "smoke");
    expect([values.family, values.family_options]).toEqual(["", ""]);
    const unset = validateForm(exp, "smoke", values, run);
    expect(unset.ok && "family" in unset.params).toBe(false);
    const named = validateForm(exp, "smoke", { ...values, family: "isotropic", family_options: "{}" }, run);
    expect(named.ok && [named.params.family, named.params.family_options]).toEqual(["isotropic", {}]);
    expect(named.ok && named.command).toMatch(/--set family=isotropic --set family_options="\{\}"/);
    const bad = validateForm(exp, "smoke", { ...values, family: "nope" }, run);
    expect(!bad.ok && bad.errors.family).toEqual([
      '"family" must be a registered task family (known: isotropic); got "nope"',
    ]);
    const orphan = validateForm(exp, "smoke", { ...values, family_options: '{"ratio": 2}' }, run);
    expect(!orphan.ok && orphan.errors.family_options).toEqual([
      '"family_options" needs "family" (the task family whose options these are); got {"ratio":2}',
    ]);
  });

  it("validate the seeds and the root seed", () => {
    const v = validateForm(collins, "paper", formValues(collins, "paper"), { seeds: "0", seed: "-1" });
    expect(v.ok).toBe(false);
    if (v.ok) return;
    expect(v.errors.seeds).toEqual(['"seeds" must be ≥ 1; got 0']);
    expect(v.errors.seed).toEqual(['"seed" must be ≥ 0; got -1']);
  });

  it("give a CLI command whose --set flags parse back to the same parameters", () => {
    const exp = getExperiment("kong-clustering");
    const values = { ...formValues(exp, "smoke"), d: "24", linkages: ["single"], t2s: "8, 16", noise: "0.5" };
    const v = validateForm(exp, "smoke", values, run);
    expect(v.ok).toBe(true);
    if (!v.ok) return;
    expect(v.command).toMatch(/^metarep run kong-clustering --size smoke --seeds 3 --seed 7 --set /);
    const sets = [...v.command.matchAll(/--set (\S+)/g)].map((m) => m[1]);
    expect(sets.sort()).toEqual(["d=24", "linkages=single", "noise=0.5", "t2s=8,16"]);
    expect(resolveParams(exp, "smoke", parseSets(sets))).toEqual(v.params);
    expect(cliCommand(exp, "smoke", 1, 0, resolveParams(exp, "smoke") as Record<string, unknown>)).toBe(
      "metarep run kong-clustering --size smoke --seeds 1 --seed 0",
    );
  });
});

describe("the page's door holds the CLI's guards", () => {
  it("refuses too many seeds and too much estimated memory in one line naming the limit and the CLI flag", () => {
    // The page's seeds are bounded by its own schema (at most 1000, below the CLI's --max-cells).
    const cells = validateForm(collins, "paper", formValues(collins, "paper"), {
      seeds: "1000000",
      seed: "0",
    });
    expect(cells.ok).toBe(false);
    if (!cells.ok) {
      expect(cells.errors.seeds).toHaveLength(1);
      expect(cells.errors.seeds[0]).toMatch(/1000.*1000000/);
    }
    const values = { ...formValues(collins, "paper"), iters: "1000000000" };
    const memory = validateForm(collins, "paper", values, { seeds: "3", seed: "0" });
    expect(memory.ok).toBe(false);
    if (!memory.ok) {
      expect(memory.general).toHaveLength(1);
      expect(memory.general[0]).toMatch(
        /^run collins-convergence: estimated memory [\d.]+ TB \(160 MB for the process; .*\) exceeds the page's limit \(the CLI's default --max-memory\) of 4\.0 GB; run it from the command line with --max-memory \d+G\.$/,
      );
    }
  });
});
