import { render } from "preact";
import { useEffect, useState } from "preact/hooks";
import { listExperiments } from "../../experiments/registry.js";
import type { SizeName } from "../../experiments/types.js";
import { METAREP_VERSION } from "../../version.js";
import { ExperimentPanel } from "./ExperimentPanel.js";
import { Gallery } from "./Gallery.js";
import { Records } from "./Records.js";
import { SinusoidDemo } from "./SinusoidDemo.js";
import "./style.css";

/** Experiments of the registry of a paper family (without a real data set), with `lead` first. */
function family(name: string, lead?: string): string[] {
  const ids = listExperiments()
    .filter((e) => e.family === name && !e.dataset)
    .map((e) => e.id);
  return lead && ids.includes(lead) ? [lead, ...ids.filter((i) => i !== lead)] : ids;
}

interface Page {
  id: string;
  label: string;
  intro: string;
  panel?: { ids: string[]; size: SizeName };
}

const PAGES: Page[] = [
  {
    id: "playground",
    label: "Meta-learning playground",
    intro:
      "Collins et al. (ICML 2022): ANIL, MAML and their first-order versions recover the ground-truth representation B* exponentially fast because they adapt the head; average-loss GD (Avg-GD) does not. Each curve is dist(B_t, B*) per outer iteration, streamed from the worker; the dotted line has the derived population rate 1 − αβµ² per iteration, drawn through ANIL's median where it first reaches 1e-3. Lower µ (less diverse heads) slows every meta-method; a non-zero w₀ can make FO-MAML diverge (× marks).",
    panel: { ids: family("collins"), size: "paper" },
  },
  {
    id: "few-shot",
    label: "Few-shot explorer",
    intro:
      "Du et al. (ICLR 2021): learn a k-dimensional representation from T source tasks of n1 samples, then fit a new task's head from n2 samples. The excess risk falls like dk/(n1T) + k/n2, far below per-task OLS's d/n2. Compare estimators (method of moments, AltMin, Burer–Monteiro, ANIL) against the bound.",
    panel: { ids: family("du"), size: "smoke" },
  },
  {
    id: "mixture",
    label: "Mixture explorer",
    intro:
      "Kong et al. (ICML 2020): many tiny tasks from a mixture of k linear regressions give the k-dimensional subspace; in it, a few medium tasks' projected estimates separate by component and can be clustered; then even tiny tasks are classified. The first view shows the medium tasks' projected estimates coloured by their true component.",
    panel: { ids: family("kong", "kong-projection"), size: "smoke" },
  },
  {
    id: "cnn",
    label: "CNN explorer",
    intro:
      "Li et al. (AISTATS 2025): gradient descent on a two-layer CNN trained on several tasks at once learns the shared features that single-task training misses, and generalises where single-task training fails.",
    panel: { ids: family("li"), size: "smoke" },
  },
  {
    id: "sinusoid",
    label: "Sinusoid demo",
    intro:
      "Finn et al. (ICML 2017): a network meta-trained by MAML on many sines y = A sin(x + φ) adapts to a new one from K = 10 points in a few gradient steps; a network pretrained on all the sines learned their mean (≈ 0) and barely moves. Both are trained here, in a worker (10–20 s at this size: 1500 outer iterations of 10 tasks, a 40-40 ReLU network, exact second-order meta-gradients).",
  },
  {
    id: "gallery",
    label: "Figure gallery",
    intro:
      "Every registered experiment at smoke size, run here in the worker and drawn with the same Vega-Lite specs as the CLI's figures.",
  },
  {
    id: "records",
    label: "Records",
    intro:
      "Open a run record (exported from this page or written by `metarep run`) to see its figures; `metarep run --record FILE` re-runs it from the command line with identical numbers.",
  },
];

function pageFromHash(): string {
  const h = location.hash.replace(/^#\/?/, "");
  return PAGES.some((p) => p.id === h) ? h : "playground";
}

function App() {
  const [page, setPage] = useState(pageFromHash);
  useEffect(() => {
    const on = () => setPage(pageFromHash());
    addEventListener("hashchange", on);
    return () => removeEventListener("hashchange", on);
  }, []);
  const current = PAGES.find((p) => p.id === page) ?? PAGES[0];
  return (
    <>
      <header>
        <h1>
          metarep <span class="version">{METAREP_VERSION}</span>
        </h1>
        <p class="tagline">
          Watch representations being learned: the theorems of multi-task representation learning, run in your
          browser.
        </p>
        <nav aria-label="pages">
          {PAGES.map((p) => (
            <a key={p.id} href={`#${p.id}`} aria-current={p.id === page ? "page" : undefined}>
              {p.label}
            </a>
          ))}
        </nav>
      </header>
      <main>
        <h2>{current.label}</h2>
        <p class="intro">{current.intro}</p>
        {current.panel && (
          <ExperimentPanel key={current.id} ids={current.panel.ids} size={current.panel.size} />
        )}
        {current.id === "sinusoid" && <SinusoidDemo />}
        {current.id === "gallery" && <Gallery />}
        {current.id === "records" && <Records />}
      </main>
      <footer>
        All computation runs in a Web Worker on this machine, with the same library code as the{" "}
        <code>metarep</code> CLI: a run here and <code>metarep run</code> with the same seed give the same
        bytes.
      </footer>
    </>
  );
}

render(<App />, document.getElementById("app")!);
