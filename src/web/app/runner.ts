import { PAUSED, RUNNING, type RunRequest, type WorkerMessage } from "./protocol.js";

/** Whether pausing is possible: it needs shared memory, i.e. a cross-origin isolated page. */
export const CAN_PAUSE = typeof SharedArrayBuffer !== "undefined" && globalThis.crossOriginIsolated === true;

export type RunParams = Omit<RunRequest, "type" | "control">;

/**
 * The page's handle on its computation worker: one run at a time. `stop()` terminates the
 * worker (a synchronous computation cannot be interrupted any other way) and the next run
 * starts a fresh one; `pause()`/`resume()` flip the control word the worker checks.
 */
export class RunClient {
  private worker: Worker | null = null;
  private control: Int32Array | null = null;
  private listener: ((m: WorkerMessage) => void) | null = null;
  running = false;

  start(params: RunParams, onMessage: (m: WorkerMessage) => void): void {
    if (this.running) this.stop();
    const worker = this.ensureWorker();
    this.control = CAN_PAUSE ? new Int32Array(new SharedArrayBuffer(4)) : null;
    this.listener = onMessage;
    this.running = true;
    const request: RunRequest = {
      type: "run",
      ...params,
      control: this.control ? (this.control.buffer as SharedArrayBuffer) : null,
    };
    worker.postMessage(request);
  }

  pause(): void {
    if (this.control) Atomics.store(this.control, 0, PAUSED);
  }

  resume(): void {
    if (!this.control) return;
    Atomics.store(this.control, 0, RUNNING);
    Atomics.notify(this.control, 0);
  }

  /** Stop the run now: the worker is terminated; nothing more arrives from it. */
  stop(): void {
    if (!this.running) return;
    this.worker?.terminate();
    this.worker = null;
    this.running = false;
    this.listener = null;
  }

  private ensureWorker(): Worker {
    if (this.worker) return this.worker;
    const worker = new Worker(new URL("./worker.ts", import.meta.url), { type: "module", name: "metarep" });
    worker.onmessage = (e: MessageEvent<WorkerMessage>) => {
      const m = e.data;
      if (m.type === "ready") return;
      if (m.type === "done" || m.type === "error") this.running = false;
      this.listener?.(m);
    };
    worker.onerror = (e) => {
      this.running = false;
      this.listener?.({ type: "error", message: e.message || "the worker failed to start" });
    };
    this.worker = worker;
    return worker;
  }
}
