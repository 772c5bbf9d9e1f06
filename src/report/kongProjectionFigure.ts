import type { TopLevelSpec } from "vega-lite";
import { FigureError } from "../errors.js";
import { COMPONENT_POINTS, PROJECTION_X, PROJECTION_Y, TASK_POINTS } from "../experiments/kong/quantities.js";
import type { RunRecord } from "../record/types.js";
import { paramsText } from "./figureText.js";
import { assembleFigure, PALETTE } from "./theme.js";

/**
 * The `kong-projection` figure (Kong et al., ICML 2020; SPEC §2): the heavy tasks' projected
 * estimates Ûᵀβ̂ on the two principal axes of their seed, colour = true component, shape =
 * assigned cluster (numbered after the component it was matched to, so shape ≠ colour marks a
 * clustering error), with a diamond at Ûᵀw_ℓ of each component.
 *
 * One panel per seed, for the first `maxSeeds` seeds: the axes are chosen per seed (Û, the
 * components and the principal plane all differ between seeds), so seeds cannot share a panel,
 * and a few panels show how much the picture varies. Every panel has the same span on both axes
 * and across panels (centred on its own points), so distances read the same everywhere.
 * Pure: record in, plain JSON spec out.
 */

export interface KongProjectionFigureOptions {
  title?: string;
  /** Seeds drawn (the first ones in the record); default 4. */
  maxSeeds?: number;
  /** Side of one (square) panel in pixels; default 240. */
  size?: number;
  /** Panels per row; default 2. */
  columns?: number;
}

const SHAPES = [
  "circle",
  "square",
  "triangle-up",
  "cross",
  "triangle-down",
  "triangle-right",
  "triangle-left",
];

type Row = Record<string, string | number | boolean>;

const PARAMS = ["d", "k", "components", "n1", "t1", "n2", "t2", "L", "linkage", "sampler"];

function axesText(axes: unknown): string {
  return axes === "principal"
    ? "plane: top-2 principal directions of the tasks' Ûᵀβ̂ in col(Û)"
    : "plane: the one of col(Û) spreading the clusters' means most evenly; axis 1 = most variance";
}

/** Cluster a is the one matched to component a (see `clusterNumbers`); a string keeps the legends apart. */
const clusterName = (a: number) => `cluster ${a}`;

const fmt = (v: number | null | undefined, digits = 3) =>
  typeof v === "number" && Number.isFinite(v) ? v.toFixed(digits) : "—";

/** The scatter figure of a `kong-projection` record (see the module comment). */
export function kongProjectionFigure(
  record: RunRecord,
  options: KongProjectionFigureOptions = {},
): TopLevelSpec {
  const maxSeeds = options.maxSeeds ?? 4;
  const seeds = record.result.seeds.slice(0, maxSeeds);
  const rows: Row[] = [];
  const panels: { title: string; cx: number; cy: number }[] = [];
  const components = new Set<number>();
  const assignedSet = new Set<number>();
  let half = 0;
  seeds.forEach((run, s) => {
    const seedIndex = record.seedIndices[s] ?? s;
    const panel = `seed ${seedIndex} · accuracy ${fmt(run.scalars.clustering_acc)}`;
    let lo = [Infinity, Infinity];
    let hi = [-Infinity, -Infinity];
    for (const c of run.curves) {
      const q = c.labels.quantity;
      if (q !== TASK_POINTS && q !== COMPONENT_POINTS) continue;
      const component = Number(c.labels.component);
      components.add(component);
      const assigned = q === TASK_POINTS ? Number(c.labels.assigned) : null;
      if (assigned !== null) assignedSet.add(assigned);
      for (let i = 0; i < Math.min(c.x.length, c.y.length); i++) {
        const x = c.x[i];
        const y = c.y[i];
        if (!Number.isFinite(x) || !Number.isFinite(y)) continue;
        lo = [Math.min(lo[0], x), Math.min(lo[1], y)];
        hi = [Math.max(hi[0], x), Math.max(hi[1], y)];
        rows.push(
          assigned === null
            ? { kind: "component", panel, seed: seedIndex, component, x, y }
            : {
                kind: "task",
                panel,
                seed: seedIndex,
                component,
                assigned: clusterName(assigned),
                correct: assigned === component,
                x,
                y,
              },
        );
      }
    }
    if (!rows.some((r) => r.panel === panel && r.kind === "task")) return;
    half = Math.max(half, (hi[0] - lo[0]) / 2, (hi[1] - lo[1]) / 2);
    panels.push({ title: panel, cx: (lo[0] + hi[0]) / 2, cy: (lo[1] + hi[1]) / 2 });
  });
  if (panels.length === 0) {
    throw new FigureError(
      `kongProjectionFigure: the record has no curve labelled quantity "${TASK_POINTS}" with points.`,
    );
  }
  // 5% margin; the same span everywhere keeps the aspect ratio and the scale honest.
  const span = Math.max(half, 1e-12) * 1.05;
  const compDomain = [...components].sort((a, b) => a - b);
  const assignedDomain = [...assignedSet].sort((a, b) => a - b).map(clusterName);
  const color = {
    field: "component",
    type: "nominal",
    title: "true component",
    scale: { domain: compDomain, range: compDomain.map((_, i) => PALETTE[i % PALETTE.length]) },
  };
  const size = options.size ?? 240;
  const layersFor = (p: (typeof panels)[number]) => {
    const x = {
      field: "x",
      type: "quantitative",
      title: PROJECTION_X,
      scale: { domain: [p.cx - span, p.cx + span], nice: false, zero: false },
    };
    const y = {
      field: "y",
      type: "quantitative",
      title: PROJECTION_Y,
      scale: { domain: [p.cy - span, p.cy + span], nice: false, zero: false },
    };
    return [
      {
        transform: [{ filter: "datum.kind === 'task'" }],
        mark: { type: "point", filled: true, size: 36, opacity: 0.75 },
        encoding: {
          x,
          y,
          color,
          shape: {
            field: "assigned",
            type: "nominal",
            title: "assigned cluster",
            scale: {
              domain: assignedDomain,
              range: assignedDomain.map((_, i) => SHAPES[i % SHAPES.length]),
            },
          },
          tooltip: [
            { field: "seed", type: "quantitative" },
            { field: "component", type: "nominal", title: "true component" },
            { field: "assigned", type: "nominal", title: "assigned cluster" },
            { field: "correct", type: "nominal", title: "correctly clustered" },
            { field: "x", type: "quantitative", format: ".3f", title: "axis 1" },
            { field: "y", type: "quantitative", format: ".3f", title: "axis 2" },
          ],
        },
      },
      {
        transform: [{ filter: "datum.kind === 'component'" }],
        mark: { type: "point", shape: "diamond", filled: true, size: 220, stroke: "#000", strokeWidth: 1.5 },
        encoding: {
          x,
          y,
          color,
          tooltip: [
            { field: "component", type: "nominal", title: "Ûᵀw of component" },
            { field: "x", type: "quantitative", format: ".3f", title: "axis 1" },
            { field: "y", type: "quantitative", format: ".3f", title: "axis 2" },
          ],
        },
      },
    ];
  };
  const shown =
    record.result.seeds.length > panels.length
      ? ` (first ${panels.length} of ${record.result.seeds.length} seeds)`
      : "";
  const subtitle = [
    [paramsText(record.params, PARAMS), `Δ=${fmt(seeds[0]?.scalars.delta)}`]
      .filter((s) => s.length > 0)
      .join(", "),
    `colour: true component · shape: assigned cluster (cluster ℓ = the one matched to component ℓ) · ◆ Ûᵀw of each component${shown}`,
    `${axesText(record.params.axes)}, per seed; equal scales`,
  ];
  // Square panels, each with its own axes (centred on its seed's points, equal spans).
  return assembleFigure(
    (i) => layersFor(panels[i]),
    rows,
    {
      panels: panels.map((p) => p.title),
      xTitles: panels.map(() => PROJECTION_X),
      columns: options.columns ?? 2,
      independent: ["x", "y"],
    },
    { text: options.title ?? record.experiment, subtitle },
    { width: size, height: size },
  );
}
