#!/usr/bin/env node
/**
 * `npm run docs` (after `npm run build`): writes docs/experiments.md and the README's experiments
 * guide from the built experiments' declarations (their zod schemas, sizes, conditions, figures). The API reference is TypeDoc's
 * (typedoc.json), run by the same npm script. A test (src/report/experimentsDoc.test.ts) fails
 * when the committed docs/experiments.md differs from what this writes.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const { experimentsMarkdown, experimentsGuide, withGuide } = await import(
  join(root, "dist/src/report/experimentsDoc.js")
);
const { listExperiments } = await import(join(root, "dist/src/experiments/registry.js"));
const file = join(root, "docs", "experiments.md");
writeFileSync(file, experimentsMarkdown(listExperiments()));
process.stdout.write(`wrote ${file}\n`);
// The README's guide to the experiments (per paper: figures and what to look for).
const readme = join(root, "README.md");
writeFileSync(readme, withGuide(readFileSync(readme, "utf8"), experimentsGuide(listExperiments())));
process.stdout.write(`wrote the experiments guide in ${readme}\n`);
