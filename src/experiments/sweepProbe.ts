import { z } from "zod";
import { MetarepError } from "../errors.js";
import { stream } from "../rng/stream.js";
import type { Experiment } from "./types.js";

const schema = z.strictObject({
  work: z.number().int().min(0).default(0).describe("normals drawn (a unit of CPU work)"),
  fail_seed: z.number().int().min(0).nullable().default(null).describe("the seed index whose cell throws"),
  label: z.string().default("probe").describe("a free label (to make distinct grid points)"),
});

/** Thrown by the probe on purpose. */
export class ProbeFailure extends MetarepError {
  override name = "ProbeFailure";
}

/**
 * An engineering probe, not a paper's experiment: a cell that does `work` units of deterministic
 * work (normal draws) and returns their mean, or throws on seed index `fail_seed`. The sweep
 * engine's tests and benches use it for trivial cells (per-cell overhead) and failing cells.
 * Internal: `metarep list` and `reproduce` leave it out; `run` and sweeps accept it.
 */
export const sweepProbe: Experiment<typeof schema> = {
  id: "sweep-probe",
  title: "Sweep-engine probe (trivial or failing cells)",
  family: "internal",
  paper: "none (engineering probe)",
  description: "does `work` normal draws and returns their mean; throws on seed index `fail_seed`",
  internal: true,
  figures: [],
  params: schema,
  sizes: { smoke: {}, paper: {} },
  seeds: { smoke: 1, paper: 1 },
  cost: () => 1,
  runCondition(p, _c, key, ctx) {
    if (p.fail_seed !== null && ctx.seedIndex === p.fail_seed) {
      throw new ProbeFailure(
        `sweep-probe: cell with seed index ${ctx.seedIndex} fails on purpose (fail_seed)`,
      );
    }
    const [k0, k1] = key;
    const buf = new Float64Array(Math.max(1, p.work));
    stream(key).fillNormal(buf, 0, p.work);
    let mean = 0;
    for (let i = 0; i < p.work; i++) mean += buf[i];
    mean = p.work > 0 ? mean / p.work : 0;
    return {
      status: "ok",
      curves: [
        {
          labels: { method: "probe", label: p.label },
          xName: "i",
          yName: "value",
          x: [0],
          y: [mean],
          metrics: { key0: k0, key1: k1 },
          status: "ok",
        },
      ],
      scalars: {},
    };
  },
};
