import { useEffect, useRef, useState } from "preact/hooks";
import { sinusoidAt } from "../../models/sinusoid.js";
import type { DemoMessage, DemoRequest } from "./sinusoidWorker.js";

/** Steps of adaptation shown (Finn et al.'s figure goes to 10). */
const STEPS = 10;
const W = 560;
const H = 280;
const Y_MAX = 5.5;

type SineResult = Extract<DemoMessage, { type: "sine" }>;

const sx = (x: number) => ((x + 5) / 10) * W;
const sy = (y: number) => H / 2 - (y / Y_MAX) * (H / 2);
const path = (xs: readonly number[], ys: readonly number[]) =>
  xs
    .map(
      (x, i) =>
        `${i ? "L" : "M"}${sx(x).toFixed(1)},${sy(Math.max(-Y_MAX, Math.min(Y_MAX, ys[i]))).toFixed(1)}`,
    )
    .join("");

/**
 * Finn et al.'s sinusoid demonstration, live: the page meta-trains MAML and a network pretrained on
 * all tasks in a worker, then draws a new sine, shows K = 10 of its points, and steps both networks
 * through up to 10 gradient steps on those points (step α = 0.01), side by side.
 */
export function SinusoidDemo() {
  const worker = useRef<Worker | null>(null);
  const [phase, setPhase] = useState<"idle" | "training" | "ready">("idle");
  const [progress, setProgress] = useState(0);
  const [result, setResult] = useState<SineResult | null>(null);
  const [step, setStep] = useState(0);
  const [error, setError] = useState<string | null>(null);
  const [n, setN] = useState(0);

  useEffect(() => {
    const w = new Worker(new URL("./sinusoidWorker.ts", import.meta.url), {
      type: "module",
      name: "sinusoid",
    });
    w.onmessage = (e: MessageEvent<DemoMessage>) => {
      const m = e.data;
      if (m.type === "progress") setProgress(m.done / m.total);
      else if (m.type === "trained") {
        setPhase("ready");
        w.postMessage({ type: "sine", n: 0, steps: STEPS } satisfies DemoRequest);
      } else if (m.type === "sine") {
        setResult(m);
        setStep(0);
      } else setError(m.message);
    };
    worker.current = w;
    return () => w.terminate();
  }, []);

  // Adaptation plays out one step at a time once a sine arrives.
  useEffect(() => {
    if (!result || step >= STEPS) return;
    const t = setTimeout(() => setStep((s) => s + 1), 300);
    return () => clearTimeout(t);
  }, [result, step]);

  const train = () => {
    setPhase("training");
    worker.current?.postMessage({ type: "train" } satisfies DemoRequest);
  };
  const next = () => {
    const k = n + 1;
    setN(k);
    worker.current?.postMessage({ type: "sine", n: k, steps: STEPS } satisfies DemoRequest);
  };

  const truth = result ? [...sinusoidAt(result.truth, Float64Array.from(result.grid))] : [];
  return (
    // A column of its own (the page's .panel is a form-and-figure grid).
    <section
      class="sinusoid-demo"
      style={{ display: "flex", flexDirection: "column", gap: "0.5rem", alignItems: "flex-start" }}
    >
      {phase === "idle" && (
        <button type="button" onClick={train}>
          Meta-train (MAML and a pretrained network, in this tab)
        </button>
      )}
      {phase === "training" && (
        <p class="status" aria-live="polite">
          meta-training… {(100 * progress).toFixed(0)} %
        </p>
      )}
      {error && <p class="error">{error}</p>}
      {result && (
        <>
          <p class="status" aria-live="polite">
            sine {result.n + 1}: A = {result.truth.amplitude.toFixed(2)}, φ = {result.truth.phase.toFixed(2)}{" "}
            · after {step} gradient step{step === 1 ? "" : "s"} on the K = {result.support.x.length} points ·
            MSE MAML {result.maml.mse[step].toFixed(3)}, pretrained {result.pretrained.mse[step].toFixed(3)}
          </p>
          <svg
            viewBox={`0 0 ${W} ${H}`}
            width={W}
            height={H}
            role="img"
            aria-label="sine, K points, both networks"
            data-mse={JSON.stringify({ maml: result.maml.mse, pretrained: result.pretrained.mse })}
          >
            <line x1={0} x2={W} y1={sy(0)} y2={sy(0)} stroke="#ccc" />
            <path
              d={path(result.grid, truth)}
              fill="none"
              stroke="#999"
              stroke-dasharray="4 3"
              stroke-width={2}
            />
            <path
              d={path(result.grid, result.pretrained.predictions[step])}
              fill="none"
              stroke="#555555"
              stroke-width={2}
            />
            <path
              d={path(result.grid, result.maml.predictions[step])}
              fill="none"
              stroke="#d62728"
              stroke-width={2}
            />
            {result.support.x.map((x, i) => (
              <circle key={i} cx={sx(x)} cy={sy(result.support.y[i])} r={4} fill="#111" />
            ))}
          </svg>
          <p class="note">
            <span style={{ color: "#d62728" }}>━ MAML</span> ·{" "}
            <span style={{ color: "#555555" }}>━ pretrained</span> ·{" "}
            <span style={{ color: "#999" }}>┅ true sine</span> · ● the K points both networks adapt to
          </p>
          <button type="button" onClick={next}>
            A new sine
          </button>
        </>
      )}
    </section>
  );
}
