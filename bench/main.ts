/**
 * `npm run bench [-- filter…] [--repeat=N]`: every suite times metarep against the NumPy
 * reference in ../shared/reference in the same run, same settings, and prints the speed ratio
 * (reference seconds / metarep seconds). Timings exclude interpreter start-up on both sides.
 * Speed is measured here, never asserted in tests.
 */

import { benchCnn } from "./cnn.js";
import { type BenchOptions, referenceDir } from "./common.js";
import { benchFewShot } from "./fewshot.js";
import { benchGbml, benchPenalty } from "./gbml.js";
import { benchMlr } from "./mlr.js";
import { benchScale } from "./scale.js";
import { benchSweep } from "./sweep.js";
import { benchWeb } from "./web.js";

const SUITES: { name: string; run(o: BenchOptions): void | Promise<void> }[] = [
  { name: "gbml (Collins et al.: MAML, ANIL, …)", run: benchGbml },
  { name: "penalty (Bouniot et al.'s head penalties: ANIL with / without, ratio)", run: benchPenalty },
  { name: "fewshot (Du et al.: AltMin, MoM)", run: benchFewShot },
  { name: "mlr (Kong et al.: mixed linear regression, robust PCA)", run: benchMlr },
  { name: "cnn (Li et al.: two-layer CNN gradient step)", run: benchCnn },
  { name: "sweep (executors: threads vs inline, per-cell overhead, BullMQ)", run: benchSweep },
  { name: "scale (a paper-size experiment's cells on threads and BullMQ)", run: benchScale },
  { name: "web (the page's worker in Chromium vs the Node CLI)", run: benchWeb },
];

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const only = args.filter((a) => !a.startsWith("--"));
  const repeat = Number(args.find((a) => a.startsWith("--repeat="))?.slice(9) ?? 3);
  console.log(`metarep bench — reference: ${referenceDir()}`);
  for (const s of SUITES) {
    console.log(`\n## ${s.name}`);
    await s.run({ only, repeat });
  }
}

await main();
