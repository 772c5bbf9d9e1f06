import {
  type AdaptedCurves,
  adaptDemo,
  DEMO_DEFAULTS,
  demoGrid,
  demoTask,
  type TrainedDemo,
  trainDemo,
} from "./sinusoidDemo.js";

/**
 * The sinusoid demo's worker: meta-trains once (MAML and the pretrained network), then answers
 * "a new sine" requests with both networks' predictions after 0…steps adaptation steps. Plain
 * data in and out; the computation is the library's, as in the CLI.
 */
export type DemoRequest = { type: "train" } | { type: "sine"; n: number; steps: number };

export type DemoMessage =
  | { type: "progress"; done: number; total: number }
  | { type: "trained" }
  | {
      type: "sine";
      n: number;
      grid: number[];
      truth: { amplitude: number; phase: number };
      support: { x: number[]; y: number[] };
      maml: AdaptedCurves;
      pretrained: AdaptedCurves;
    }
  | { type: "error"; message: string };

interface Scope {
  postMessage(message: DemoMessage): void;
  onmessage: ((event: MessageEvent<DemoRequest>) => void) | null;
}
const scope = self as unknown as Scope;
let trained: TrainedDemo | null = null;

scope.onmessage = (e) => {
  try {
    const req = e.data;
    if (req.type === "train") {
      trained = trainDemo(DEMO_DEFAULTS, (done, total) =>
        scope.postMessage({ type: "progress", done, total }),
      );
      scope.postMessage({ type: "trained" });
      return;
    }
    if (!trained) throw new Error("meta-train first");
    const { sine, support } = demoTask(trained.settings, req.n);
    scope.postMessage({
      type: "sine",
      n: req.n,
      grid: [...demoGrid()],
      truth: sine,
      support,
      maml: adaptDemo(trained, "maml", req.n, req.steps),
      pretrained: adaptDemo(trained, "pretrained", req.n, req.steps),
    });
  } catch (err) {
    scope.postMessage({ type: "error", message: err instanceof Error ? err.message : String(err) });
  }
};
