import cliProgress from "cli-progress";

export interface ProgressDisplay {
  update(done: number, total: number, failures?: number): void;
  stop(): void;
}

/**
 * Progress on stderr: a bar on a terminal (done/total, rate, ETA, failures); plain lines at most
 * every 10 s (and at the end) when stderr is not a terminal; nothing when quiet.
 */
export function makeProgress(label: string, quiet: boolean, unit = "steps"): ProgressDisplay {
  if (quiet) return { update: () => {}, stop: () => {} };
  const t0 = performance.now();
  if (!process.stderr.isTTY) {
    let last = 0;
    let state = { done: 0, total: 0, failures: 0 };
    const line = () => {
      const s = (performance.now() - t0) / 1000;
      const rate = state.done / Math.max(s, 1e-9);
      process.stderr.write(
        `${label}: ${state.done}/${state.total} ${unit}, ${rate.toFixed(1)}/s, ${s.toFixed(0)} s${state.failures ? `, ${state.failures} failed` : ""}\n`,
      );
    };
    return {
      update(done, total, failures = 0) {
        state = { done, total, failures };
        if (performance.now() - last > 10_000) {
          last = performance.now();
          line();
        }
      },
      stop: () => {
        if (state.total) line();
      },
    };
  }
  const bar = new cliProgress.SingleBar(
    {
      format: `${label} [{bar}] {value}/{total} ${unit} | {rate}/s | ETA {eta_formatted} | failures {failures}`,
      stream: process.stderr,
      hideCursor: true,
    },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  return {
    update(done, total, failures = 0) {
      const rate = (done / Math.max((performance.now() - t0) / 1000, 1e-9)).toFixed(1);
      if (!started) {
        bar.start(total, done, { rate, failures });
        started = true;
      }
      bar.setTotal(total);
      bar.update(done, { rate, failures });
    },
    stop() {
      if (started) bar.stop();
    },
  };
}
