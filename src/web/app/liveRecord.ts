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
   * What a stopped run exports: the seeds finished before the stop (at full resolution), as
   * the record of a run of just those seeds (`command(n)` reproduces a run of n seeds), marked
   * `stopped: true`. Null when no seed finished: a seed's partial curves are not a result.
   */
  stoppedRecord(command: (seeds: number) => string): RunRecord | null {
    if (this.results.length === 0) return null;
    return {
      ...assembleRecord({
        experiment: this.experiment,
        params: this.params,
        size: this.size,
        seed: this.seed,
        seedIndices: this.results.map((_, i) => i),
        results: [...this.results],
        command: command(this.results.length),
        startedAt: this.startedAt.toISOString(),
        seconds: (Date.now() - this.startedAt.getTime()) / 1000,
      }),
      stopped: true,
    };
  }

  /**
   * The run so far as a record: the finished seeds, then (with `inProgress`) the live curves of
   * the seed being computed. With `maxPoints`, every curve is thinned for display to at most
   * about that many points (every s-th point, s a power of two, and the last one), the same
   * iterations in every seed, so a live figure of a 20 000-iteration run stays cheap to draw;
   * the finished run's figures use the worker's full record.
   */
  record(inProgress = true, maxPoints = Number.POSITIVE_INFINITY): RunRecord {
    const thin = (c: Curve): Curve => {
      if (c.x.length <= maxPoints) return { ...c, x: [...c.x], y: [...c.y] };
      const stride = 2 ** Math.ceil(Math.log2(c.x.length / maxPoints));
      const x: number[] = [];
      const y: number[] = [];
      for (let i = 0; i < c.x.length; i += stride) {
        x.push(c.x[i]);
        y.push(c.y[i]);
      }
      if ((c.x.length - 1) % stride !== 0) {
        x.push(c.x[c.x.length - 1]);
        y.push(c.y[c.y.length - 1]);
      }
      return { ...c, x, y };
    };
    const seeds =
      maxPoints === Number.POSITIVE_INFINITY
        ? [...this.results]
        : this.results.map((r) => ({ ...r, curves: r.curves.map(thin) }));
    if (inProgress && this.current.size > 0) {
      const curves = [...this.current.values()].map(thin);
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
