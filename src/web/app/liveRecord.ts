import { canonicalJson } from "../../experiments/keys.js";
import type { Curve, LivePoint, RunResult, SizeName } from "../../experiments/types.js";
import { assembleRecord } from "../../record/run.js";
import type { RunRecord } from "../../record/types.js";

/**
 * A run as it arrives from the worker: the finished seeds' results plus the curves of the seed
 * in progress (from live points), viewed as a partial `RunRecord` so the figure builders of the
 * CLI draw it unchanged. Live curves are `dist` per `iteration` (what the streaming runs emit).
 */
export class LiveRun {
  private readonly results: RunResult[] = [];
  private current = new Map<string, Curve>();
  private currentSeed = -1;

  constructor(
    readonly experiment: string,
    readonly params: Record<string, unknown>,
    readonly size: SizeName,
    readonly seed: number,
    readonly command: string,
    private readonly startedAt = new Date(),
  ) {}

  /** Points of seed `seed` (an index into the run's seeds). */
  addLive(seed: number, points: readonly LivePoint[]): void {
    if (seed !== this.currentSeed) {
      this.current = new Map();
      this.currentSeed = seed;
    }
    for (const p of points) {
      const key = canonicalJson(p.labels);
      let c = this.current.get(key);
      if (!c) {
        c = { labels: p.labels, xName: "iteration", yName: "dist", x: [], y: [], metrics: {}, status: "ok" };
        this.current.set(key, c);
      }
      if (p.diverged) {
        c.status = "diverged";
        c.diverged = p.diverged;
        continue;
      }
      c.x.push(p.x);
      c.y.push(p.y);
    }
  }

  /** A finished seed: its result replaces its live curves. */
  addSeed(seed: number, result: RunResult): void {
    this.results[seed] = result;
    if (seed === this.currentSeed) {
      this.current = new Map();
      this.currentSeed = -1;
    }
  }

  get finishedSeeds(): number {
    return this.results.length;
  }

  /** Whether anything can be drawn yet. */
  get empty(): boolean {
    return this.results.length === 0 && this.current.size === 0;
  }

  /**
   * The run so far as a record: the finished seeds, then (with `inProgress`) the live curves of
   * the seed being computed.
   */
  record(inProgress = true): RunRecord {
    const seeds = [...this.results];
    if (inProgress && this.current.size > 0) {
      const curves = [...this.current.values()].map((c) => ({ ...c, x: [...c.x], y: [...c.y] }));
      const status = curves.some((c) => c.status === "diverged") ? "diverged" : "ok";
      seeds.push({ status, curves, scalars: {} });
    }
    return assembleRecord({
      experiment: this.experiment,
      params: this.params,
      size: this.size,
      seed: this.seed,
      seedIndices: seeds.map((_, i) => i),
      results: seeds,
      command: this.command,
      startedAt: this.startedAt.toISOString(),
      seconds: (Date.now() - this.startedAt.getTime()) / 1000,
    });
  }
}
