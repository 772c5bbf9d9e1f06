import type { FigureSpec, SeriesFigureSpec } from "../figureSpec.js";

/**
 * Figures of the multi-task vs single-task CNN experiments (Li et al., AISTATS 2025; SPEC §3):
 * error curves, final error vs K / n / SNR, and per-task errors on CIFAR-10-C; the alignment
 * panels are Li's own figure kind (`report/liAlignmentFigure.ts`).
 */

/** Single-task training red, multi-task blue. */
export const LI_TRAINING = {
  title: "training",
  fixed: [
    { id: "single", color: "#d62728" },
    { id: "multi", color: "#1f77b4" },
  ],
} as const;
/** Errors are fractions misclassified; 0.6 leaves room above chance (0.5). */
const ERROR_DOMAIN = [0, 0.6] as const;
export const LI_PARAMS = ["d", "patches", "p", "q", "m", "eta", "iters"] as const;

/**
 * Test error (solid) and training error (dashed) vs iteration for single- and multi-task
 * training: median over seeds and 10–90 % band, one panel per condition (K, n, SNR).
 */
export const errorFigure: SeriesFigureSpec = {
  name: "error",
  select: { yName: ["test error", "train error"] },
  x: { title: "gradient-descent step" },
  y: { title: "error (fraction misclassified)", domain: ERROR_DOMAIN },
  panel: { by: "condition", except: ["set"] },
  colour: LI_TRAINING,
  dash: { label: "set", title: "data", domain: ["test", "train"] },
  subtitle: {
    params: LI_PARAMS,
    note: "mean over tasks; single-task: one network per task, multi-task: one network on the union",
  },
  width: 220,
  height: 160,
};

/**
 * Final mean test error vs K, vs n and vs SNR (one panel per swept coordinate, the others at the
 * base point `params` K, n, snr): median over seeds (line and points) and each seed (faint).
 */
export const gapFigure: SeriesFigureSpec = {
  name: "gap",
  select: { yName: "test error" },
  stat: { kind: "metric", metric: "final", what: "final test error", line: true },
  y: { title: "final test error (mean over tasks)", domain: ERROR_DOMAIN },
  panel: {
    by: "axes",
    axes: [
      { label: "K", title: "number of tasks K" },
      { label: "n", title: "examples per task n" },
      { label: "snr", title: "shared-feature SNR" },
    ],
  },
  independent: ["x"],
  colour: LI_TRAINING,
  subtitle: { params: LI_PARAMS },
  width: 220,
  height: 170,
  columns: 3,
};

/**
 * Final test error per task (CIFAR-10-C: per corruption), from the test curves' `test[<task>]`
 * metrics: median over seeds (solid) and each seed (faint), single- vs multi-task training.
 */
export const tasksFigure: SeriesFigureSpec = {
  name: "tasks",
  select: { yName: "test error" },
  stat: { kind: "metric", metric: "test[*]", what: "per-task test error" },
  x: { title: "task (corruption)" },
  y: { title: "final test error", domain: ERROR_DOMAIN },
  colour: LI_TRAINING,
  subtitle: { params: LI_PARAMS },
  height: 200,
};

const alignment: FigureSpec = { kind: "custom", name: "alignment", builder: "li-alignment" };

/** The figures of each Li et al. experiment, by experiment id. */
export const liFigures: Record<string, readonly FigureSpec[]> = {
  "li-multitask-cnn": [
    gapFigure,
    {
      ...errorFigure,
      title:
        "Error per step at each K, n and SNR: single-task training fits its data, multi-task training generalises",
    },
  ],
  "li-dynamics": [
    alignment,
    { ...errorFigure, title: "Test and training error of the runs whose alignment is shown" },
  ],
  "li-cifar10c": [
    errorFigure,
    { ...tasksFigure, title: "Final test error per corruption, single- vs multi-task training" },
  ],
};
