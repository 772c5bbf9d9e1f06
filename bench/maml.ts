/**
 * Bench suite "maml": MAML with exact second-order meta-gradients on Finn et al.'s sinusoids
 * (ICML 2017 §5.1), through metarep's autodiff, against a JAX reference (float64, `jit`) in the same
 * run: meta-batch 25, K = 10, one inner step of α = 0.01, Adam with β = 0.001, a 40-40 ReLU MLP,
 * 1 000 outer iterations. The reference prints "no reference" where `jax` is not importable (tests
 * and CI never need it). metarep's time is the best of `--repeat` runs after a warm-up; the
 * reference reports its own time after compilation (its first, compiling step is excluded).
 */
import { existsSync } from "node:fs";
import { getNetworkMethod } from "../src/algorithms/network/methods.js";
import { buildModel } from "../src/algorithms/network/models.js";
import { ADAM, trainNetwork } from "../src/algorithms/network/train.js";
import { sinusoidTrainTasks } from "../src/experiments/finn/sinusoid.js";
import { FINN_SINUSOID } from "../src/models/sinusoid.js";
import { key } from "../src/rng/key.js";
import { type BenchOptions, benchReference, runReference } from "./common.js";

const SETTING = { metaBatch: 25, shots: 10, alpha: 0.01, beta: 0.001, iters: 1000, widths: [40, 40] };

function timeOurs(iters: number, seed: number): { seconds: number; final: number } {
  const model = buildModel(
    "mlp",
    { widths: SETTING.widths, activation: "relu", init_std: 0.01 },
    { inputs: 1, outputs: 1 },
  );
  const k = key(seed);
  const params = model.init(k);
  const losses: number[] = [];
  const t0 = performance.now();
  trainNetwork(
    {
      method: getNetworkMethod("maml"),
      model: { id: "mlp", model },
      inner: { alpha: SETTING.alpha, steps: 1, loss: "mse" },
      beta: SETTING.beta,
      iterations: iters,
      optimizer: ADAM,
    },
    params,
    (t) => sinusoidTrainTasks(k, FINN_SINUSOID, SETTING.metaBatch, SETTING.shots, t),
    (_t, _p, loss) => {
      if (loss !== null) losses.push(loss);
    },
  );
  const seconds = (performance.now() - t0) / 1000;
  const tail = losses.slice(-100);
  return { seconds, final: tail.reduce((a, b) => a + b, 0) / tail.length };
}

export function benchMaml({ only, repeat }: BenchOptions): void {
  const name = "MAML on sinusoids (40-40 ReLU, meta-batch 25, K=10, 1 inner step, Adam, 1000 iters)";
  if (only.length > 0 && !only.some((o) => name.includes(o) || o === "maml")) return;
  timeOurs(50, 99); // warm-up: let the JIT compile the tape and the kernels
  let best = { seconds: Number.POSITIVE_INFINITY, final: Number.NaN };
  for (let r = 0; r < repeat; r++) {
    const o = timeOurs(SETTING.iters, 0);
    if (o.seconds < best.seconds) best = o;
  }
  const script = benchReference("maml_sinusoid_jax.py");
  let ref = "no reference";
  if (existsSync(script)) {
    const out = runReference(script, ["--iters", String(SETTING.iters), "--json"], "1").trim();
    if (out.startsWith("{")) {
      const j = JSON.parse(out) as { seconds: number; final: number };
      ref = `${j.seconds.toFixed(3)} s (${(j.seconds / best.seconds).toFixed(2)}× metarep's speed), final loss ${j.final.toFixed(3)}`;
    } else ref = out;
  }
  console.log(
    "case | metarep s | final meta-loss (mean of the last 100 batches) | JAX (float64, jit, 1 thread)",
  );
  console.log(`${name} | ${best.seconds.toFixed(3)} | ${best.final.toFixed(3)} | ${ref}`);
}
