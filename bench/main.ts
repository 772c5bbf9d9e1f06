/**
 * `npm run bench [-- filter…] [--repeat=N]`: every suite times metarep against the NumPy
 * reference in ../shared/reference in the same run, same settings, and prints the speed ratio
 * (reference seconds / metarep seconds). Timings exclude interpreter start-up on both sides.
 * The NumPy anchor runs as a user's NumPy does (OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE removed
 * from its process's environment), with its default threads and with one; the header says which
 * OpenBLAS core type it dispatched to.
 * Speed is measured here, never asserted in tests.
 */

import { benchCnn } from "./cnn.js";
import { type BenchOptions, describeAnchor, referenceDir } from "./common.js";
import { benchFewShot } from "./fewshot.js";
import { benchGbml, benchPenalty } from "./gbml.js";
import { benchKernels } from "./kernels.js";
import { benchMaml } from "./maml.js";
import { benchMemory } from "./memory.js";
import { benchMlr } from "./mlr.js";
import { benchReproduce } from "./reproduce.js";
import { benchScale } from "./scale.js";
import { benchSweep } from "./sweep.js";
import { benchTripuraneni } from "./tripuraneni.js";
import { benchUserData } from "./userdata.js";
import { benchWeb } from "./web.js";

const SUITES: { name: string; run(o: BenchOptions): void | Promise<void> }[] = [
  { name: "kernels (WebAssembly SIMD GEMM in Node and Chromium vs NumPy)", run: benchKernels },
  { name: "gbml (Collins et al.: MAML, ANIL, …)", run: benchGbml },
  { name: "maml (Finn et al.'s sinusoids: MAML through the autodiff vs JAX)", run: benchMaml },
  { name: "penalty (Bouniot et al.'s head penalties: ANIL with / without, ratio)", run: benchPenalty },
  { name: "fewshot (Du et al.: AltMin, MoM)", run: benchFewShot },
  { name: "mlr (Kong et al.: mixed linear regression, robust PCA)", run: benchMlr },
  { name: "cnn (Li et al.: two-layer CNN gradient step)", run: benchCnn },
  { name: "tripuraneni (MoM over the paper's whole grid: wall time, peak memory)", run: benchTripuraneni },
  {
    name: "userdata (fit --method mom on a 10 M × 50 Parquet file through DuckDB: rows/s, peak memory)",
    run: benchUserData,
  },
  { name: "sweep (executors: threads vs inline, per-cell overhead, BullMQ)", run: benchSweep },
  { name: "scale (a paper-size experiment's cells on threads and BullMQ)", run: benchScale },
  {
    name: "memory (the guard's memory estimate vs the measured peak RSS, per experiment and size)",
    run: benchMemory,
  },
  { name: "web (the page's worker in Chromium vs the Node CLI)", run: benchWeb },
  {
    name: "reproduce (metarep reproduce, full seed counts and smoke: wall, CPU %, peak RSS, per experiment)",
    run: benchReproduce,
  },
];

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const only = args.filter((a) => !a.startsWith("--"));
  const repeat = Number(args.find((a) => a.startsWith("--repeat="))?.slice(9) ?? 3);
  console.log(`metarep bench — reference: ${referenceDir()}`);
  console.log(describeAnchor());
  for (const s of SUITES) {
    console.log(`\n## ${s.name}`);
    await s.run({ only, repeat });
  }
}

await main();
