import { describe, expect, test } from "vitest";
import { z } from "zod";
import { networkMetaGradient } from "../algorithms/network/metaGradient.js";
import { getNetworkMethod } from "../algorithms/network/methods.js";
import { buildModel, type NetworkModel, networkModels } from "../algorithms/network/models.js";
import { matmul, tanh } from "../autodiff/ops.js";
import { Tape } from "../autodiff/tape.js";
import { identity, matFrom } from "../linalg/mat.js";
import { key } from "../rng/key.js";
import { stream } from "../rng/stream.js";
import type { PluginDefinition } from "./contract.js";
import { registerPlugin, unregisterProvided } from "./register.js";

/** A plug-in's network: f(X) = tanh(X W₁) w₂ (no biases), with its own width option. */
function twoLayer(forward?: NetworkModel["forward"]): PluginDefinition {
  return {
    id: "my-nets",
    models: [
      {
        id: "my-two-layer",
        name: "two-layer tanh",
        options: z.strictObject({ width: z.number().int().min(1).default(3) }),
        build: (o, { inputs, outputs }) => {
          const width = o.width as number;
          return {
            shapes: [
              [inputs, width],
              [width, outputs],
            ],
            headSize: 1,
            inputs,
            outputs,
            init: (k) => [
              stream(k).fillNormal(new Float64Array(inputs * width)),
              new Float64Array(width * outputs).fill(0.5),
            ],
            forward: forward ?? ((p, x) => matmul(tanh(matmul(x, p[0])), p[1])),
          };
        },
      },
    ],
  };
}

function metaGradient(model: NetworkModel): Float64Array[] {
  const out = model.shapes.map(([r, c]) => new Float64Array(r * c));
  const task = {
    inner: { x: identity(2), y: matFrom(2, 1, Float64Array.of(1, -1)) },
    outer: { x: identity(2), y: matFrom(2, 1, Float64Array.of(0.5, 2)) },
  };
  networkMetaGradient(
    new Tape(),
    getNetworkMethod("maml"),
    { id: "my-two-layer", model },
    model.init(key(1)),
    [task],
    { alpha: 0.1, steps: 1, loss: "mse" },
    out,
  );
  return out;
}

describe("plug-in models", () => {
  test("a plug-in's model registers through `models`, builds with its options and runs MAML", () => {
    const provided = registerPlugin(twoLayer(), "test");
    try {
      expect(networkModels.sourceOf("my-two-layer")).toMatch(/^plug-in my-nets/);
      const model = buildModel("my-two-layer", { width: 4 }, { inputs: 2, outputs: 1 });
      expect(model.shapes).toEqual([
        [2, 4],
        [4, 1],
      ]);
      const g = metaGradient(model);
      expect(g.every((a) => a.every(Number.isFinite))).toBe(true);
      expect(Math.max(...g[0].map(Math.abs))).toBeGreaterThan(0);
      expect(() => buildModel("my-two-layer", { width: 0 }, { inputs: 2, outputs: 1 })).toThrow(
        'model my-two-layer: "options.width" must be ≥ 1; got 0.',
      );
    } finally {
      unregisterProvided(provided);
    }
  });

  test("a plug-in model whose forward leaves the tape fails with one line naming it", () => {
    // Computes with plain numbers and returns an array: not differentiable.
    const provided = registerPlugin(
      twoLayer((p, x) => Array.from(x.data, (v) => v * p[1].data[0]) as never),
      "test",
    );
    try {
      const model = buildModel("my-two-layer", {}, { inputs: 2, outputs: 1 });
      expect(() => metaGradient(model)).toThrow(
        "model my-two-layer: forward must return a tensor of the tape it was given (built with the autodiff operations); got an array of 4.",
      );
    } finally {
      unregisterProvided(provided);
    }
  });

  test("a plug-in model without a build function is refused when registered", () => {
    expect(() => registerPlugin({ id: "broken", models: [{ id: "nothing" } as never] }, "test")).toThrow(
      /^plug-in broken \(test\): model "nothing": "build" must be a function/,
    );
  });
});
