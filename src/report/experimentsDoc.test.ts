import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { listExperiments } from "../experiments/registry.js";
import { experimentsGuide, experimentsMarkdown, withGuide } from "./experimentsDoc.js";

/**
 * docs/experiments.md is generated from the experiments' declarations (`npm run docs`): the
 * committed file must be what the generator writes now, so a parameter, default, size or figure
 * changed without regenerating the reference fails here.
 */
describe("docs/experiments.md", () => {
  const committed = readFileSync(join(process.cwd(), "docs", "experiments.md"), "utf8");
  const generated = experimentsMarkdown(listExperiments());

  test("is what `npm run docs` generates from the experiments (run it after changing one)", () => {
    expect(committed === generated, "docs/experiments.md is stale: run `npm run docs` and commit it").toBe(
      true,
    );
  });

  test("the README's experiments guide is what `npm run docs` generates", () => {
    const readme = readFileSync(join(process.cwd(), "README.md"), "utf8");
    const fresh = withGuide(readme, experimentsGuide(listExperiments()));
    expect(readme === fresh, "README.md's experiments guide is stale: run `npm run docs` and commit it").toBe(
      true,
    );
    for (const e of listExperiments()) expect(readme).toContain(`**[\`${e.id}\`](docs/experiments.md#`);
  });

  test("names every experiment and every parameter of its schema, with the schema's description", () => {
    for (const e of listExperiments()) {
      expect(generated).toContain(`## \`${e.id}\`: ${e.title}`);
      const shape = (e.params as unknown as { shape: Record<string, { description?: string }> }).shape;
      for (const [name, s] of Object.entries(shape)) {
        expect(generated).toContain(`| \`${name}\` |`);
        if (s.description) expect(generated).toContain(s.description.replace(/\|/g, "\\|"));
      }
    }
  });

  test("a changed default shows: the generator reads the schema, not a copy", () => {
    const exp = listExperiments().find((e) => e.id === "collins-convergence")!;
    const changed = { ...exp, sizes: { ...exp.sizes, paper: { ...exp.sizes.paper, iters: 401 } } };
    const text = experimentsMarkdown([changed]);
    expect(text).toMatch(/\| `iters` \| integer ≥ 1 \| `401` \| `150` \|/);
    expect(experimentsMarkdown([exp])).toMatch(/\| `iters` \| integer ≥ 1 \| `400` \| `150` \|/);
  });
});
