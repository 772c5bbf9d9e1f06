import { readFileSync } from "node:fs";
import { extname } from "node:path";
import type { Command } from "commander";
import { getEstimator } from "../algorithms/representation/estimators.js";
import {
  type AdaptResult,
  adaptModelFile,
  type FewShotModelFile,
  FIT_METHODS,
  fitMethodIds,
  fitModelRows,
  readModelFile,
} from "../algorithms/representation/modelFile.js";
import type { EstimatorOptions } from "../algorithms/representation/types.js";
import { MetarepError, ParamError } from "../errors.js";
import { parseParams } from "../experiments/params.js";
import { pluginsUsed } from "../plugins/load.js";
import { writeFileAtomic } from "../sweep/atomic.js";
import { METAREP_VERSION } from "../version.js";
import { collect, parseSets } from "./flags.js";
import { type PreparedOutput, prepareOutputFile, shownPath } from "./outputPath.js";
import {
  type OpenedTable,
  openTaskTable,
  type ReadTableOptions,
  TABLE_FORMATS,
  type TableFormat,
} from "./readTable.js";

/**
 * `metarep fit` and `metarep adapt`: few-shot learning via a learned representation on users' own
 * multi-task regression files (Du et al.'s two stages, SPEC §1.3). Everything is read and
 * validated before anything is written; the output path is checked first (before the data are
 * read); outputs are written atomically (temporary file, then rename), so a bad input writes
 * nothing. With `--json` the result goes to stdout and no file is written unless `--out` is given
 * explicitly.
 */

/** The output file to write: checked and its directory created now, or none (`--json` alone). */
function outputOf(o: { out: string; json?: boolean }, cmd: Command): PreparedOutput | undefined {
  if (o.json && cmd.getOptionValueSource("out") !== "cli") return undefined;
  return prepareOutputFile(o.out);
}

function readText(path: string, what: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why =
      code === "ENOENT" ? "no such file" : code === "EISDIR" ? "is a directory" : (e as Error).message;
    throw new MetarepError(`cannot read ${what} ${JSON.stringify(path)}: ${why}.`);
  }
}

function intFlag(command: string, flag: string, text: string | undefined, min: number): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text.trim()) || Number(text) < min || !Number.isSafeInteger(Number(text))) {
    throw new ParamError(command, flag, `must be an integer ≥ ${min}`, text);
  }
  return Number(text);
}

function numberFlag(command: string, flag: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const v = Number(text);
  if (text.trim() === "" || !Number.isFinite(v) || v < 0)
    throw new ParamError(command, flag, "must be a number ≥ 0", text);
  return v;
}

function formatFlag(command: string, text: string | undefined): TableFormat | undefined {
  if (text === undefined) return undefined;
  if (!(TABLE_FORMATS as readonly string[]).includes(text))
    throw new ParamError(command, "--format", `must be one of ${TABLE_FORMATS.join(", ")}`, text);
  return text as TableFormat;
}

/** Open the data file through DuckDB, run `use` on its validated rows, and release DuckDB. */
async function withTable<T>(
  path: string,
  options: ReadTableOptions,
  use: (t: OpenedTable) => Promise<T>,
): Promise<T> {
  const table = await openTaskTable(path, options);
  try {
    return await use(table);
  } finally {
    table.close();
  }
}

/** A number for people; null is `none` (e.g. "∞" for a condition number, "n/a" where float64 cannot hold it). */
function fmt(v: number | null, none = "∞"): string {
  if (v === null) return none;
  return Math.abs(v) >= 1e-3 && Math.abs(v) < 1e5 ? v.toFixed(4) : v.toExponential(3);
}

interface FitFlags {
  data: string;
  k: string;
  method: string;
  taskColumn: string;
  targetColumn: string;
  features?: string;
  format?: string;
  iters?: string;
  lambdaCond?: string;
  lambdaNorm?: string;
  seed: string;
  out: string;
  json?: boolean;
  options?: string;
  set: string[];
}

/**
 * The estimator's own options (`--options JSON`, `--set name=value`, and the shorthand flags
 * `--iters`, `--lambda-cond`, `--lambda-norm`), checked by its registry entry's schema: an unknown
 * or invalid option is one line naming it, with the estimator's known options.
 */
function estimatorOptions(o: FitFlags, shorthand: Record<string, unknown>): EstimatorOptions {
  let given: Record<string, unknown> = {};
  if (o.options !== undefined) {
    let json: unknown;
    try {
      json = JSON.parse(o.options);
    } catch (e) {
      throw new ParamError("fit", "--options", `must be a JSON object (${(e as Error).message})`, o.options);
    }
    if (typeof json !== "object" || json === null || Array.isArray(json))
      throw new ParamError("fit", "--options", "must be a JSON object", o.options);
    given = json as Record<string, unknown>;
  }
  const sets = parseSets(o.set);
  const merged: Record<string, unknown> = { ...given };
  for (const [name, v] of [...Object.entries(sets), ...Object.entries(shorthand)]) {
    if (Object.hasOwn(merged, name))
      throw new ParamError("fit", name, "is given twice (--options, --set or its own flag); give it once", v);
    merged[name] = v;
  }
  // Only what was given is recorded (defaults stay the estimator's), so a plain fit's bytes do not change.
  parseParams(`fit --method ${o.method} options`, getEstimator(o.method).options, merged);
  return merged as EstimatorOptions;
}

/** Estimators with an objective that Bouniot et al.'s head penalty enters (headPenalty.ts). */
const PENALISED_FIT_METHODS = ["bm", "bm-mom", "altmin-gd", "anil", "fo-anil"];

/** `--lambda-cond`, `--lambda-norm` (≥ 0) as estimator options; > 0 only with a penalised method. */
function penaltyFlags(o: FitFlags): Pick<EstimatorOptions, "lambdaCond" | "lambdaNorm"> {
  const out: Pick<EstimatorOptions, "lambdaCond" | "lambdaNorm"> = {};
  for (const [flag, text, field] of [
    ["--lambda-cond", o.lambdaCond, "lambdaCond"],
    ["--lambda-norm", o.lambdaNorm, "lambdaNorm"],
  ] as const) {
    const v = numberFlag("fit", flag, text);
    if (v === undefined) continue;
    if (v > 0 && !PENALISED_FIT_METHODS.includes(o.method)) {
      throw new ParamError(
        "fit",
        flag,
        `> 0 needs --method ${PENALISED_FIT_METHODS.join(", ")} (an estimator with an objective; this run has --method ${o.method})`,
        text,
      );
    }
    if (v > 0) out[field] = v; // 0 is no penalty: the model file stays byte-identical
  }
  return out;
}

interface AdaptFlags {
  model: string;
  data: string;
  ridge: string;
  format?: string;
  out: string;
  json?: boolean;
}

/** Predictions as CSV (task,row,prediction) or, for a .jsonl path, one JSON object per line. */
function predictionsText(path: string, rows: { task: string; row: number; prediction: number }[]): string {
  if (extname(path).toLowerCase() === ".jsonl") return rows.map((r) => `${JSON.stringify(r)}\n`).join("");
  const q = (s: string) => (/[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
  return `task,row,prediction\n${rows.map((r) => `${q(r.task)},${r.row},${r.prediction}`).join("\n")}${rows.length ? "\n" : ""}`;
}

/** Adds `fit` and `adapt` to the program (a `CommandModule` for `src/cli/commands.ts`). */
export function fewShotCommands(program: Command): void {
  program
    .command("fit")
    .description("learn a k-dimensional representation and per-task heads from a multi-task regression file")
    .requiredOption(
      "--data <file>",
      "multi-task table, long format (CSV, TSV, gzipped or not, Parquet or JSON lines): task, target and feature columns",
    )
    .requiredOption("--k <K>", "representation dimension k (1 ≤ k < number of features)")
    .option("--method <m>", `estimator of B̂ (${FIT_METHODS.join("|")}, or a plug-in's)`, "altmin")
    .option("--task-column <name>", "task column", "task")
    .option("--target-column <name>", "target column", "y")
    .option("--features <a,b,…>", "feature columns (default: all other columns)")
    .option("--format <csv|tsv|parquet|jsonl>", "file format (default: from the extension, else the content)")
    .option("--iters <N>", "rounds (altmin, altmin-gd) or L-BFGS iterations (bm, bm-mom)")
    .option(
      "--lambda-cond <λ1>",
      "weight of Bouniot et al.'s penalty λ1·κ(Ŵ)² on the learned heads (bm, altmin-gd, anil, fo-anil; default 0)",
    )
    .option(
      "--lambda-norm <λ2>",
      "weight of Bouniot et al.'s penalty λ2·‖W̃W̃ᵀ‖_F, W̃ = Ŵ/√(rows), on the learned heads (bm, altmin-gd, anil, fo-anil; default 0)",
    )
    .option(
      "--options <json>",
      `the estimator's own options as a JSON object, checked by its schema (see docs/cli.md), e.g. '{"iters": 100, "init": "random"}'`,
    )
    .option("--set <name=value>", "one estimator option (repeatable; as in --options)", collect, [])
    .option("--seed <S>", "seed for estimators with randomness (anil order, random starts)", "0")
    .option("--out <file>", "model file to write (with --json: only when given)", "model.json")
    .option("--json", "print the model as JSON on stdout (writes no file unless --out is given)")
    .action(async (o: FitFlags, cmd: Command) => {
      const k = intFlag("fit", "--k", o.k, 1)!;
      const iters = intFlag("fit", "--iters", o.iters, 1);
      const seed = intFlag("fit", "--seed", o.seed, 0)!;
      if (!fitMethodIds().includes(o.method)) {
        throw new ParamError("fit", "--method", `must be one of ${fitMethodIds().join(", ")}`, o.method);
      }
      const penalty = penaltyFlags(o);
      const estimator = estimatorOptions(o, { ...(iters === undefined ? {} : { iters }), ...penalty });
      const features = o.features?.split(",").map((s) => s.trim());
      if (features) {
        const bad = features.find((f, i) => f === "" || features.indexOf(f) !== i);
        if (bad !== undefined)
          throw new ParamError("fit", "--features", "must be distinct, non-empty column names", o.features);
      }
      const prepared = outputOf(o, cmd);
      let model: FewShotModelFile;
      try {
        model = await withTable(
          o.data,
          {
            format: formatFlag("fit", o.format),
            taskColumn: o.taskColumn,
            targetColumn: o.targetColumn,
            // --features picks and orders a subset: the file's other columns are not read.
            ...(features ? { features, otherColumns: "ignore" as const } : {}),
            targets: "required",
            source: o.data,
          },
          (rows) =>
            fitModelRows(rows, {
              k,
              method: o.method,
              estimator,
              seed,
              taskColumn: o.taskColumn,
              targetColumn: o.targetColumn,
            }),
        );
        if (features) model.otherColumns = "ignore";
        // Provenance: which metarep and which plug-ins (file and digest) made this model.
        model.metarepVersion = METAREP_VERSION;
        const plugins = pluginsUsed(o.method, {});
        if (plugins.length) model.plugins = plugins;
        if (prepared) writeFileAtomic(prepared.path, `${JSON.stringify(model, null, 1)}\n`);
      } catch (e) {
        prepared?.cleanup();
        throw e;
      }
      const out = prepared?.path;
      if (o.json) {
        process.stdout.write(`${JSON.stringify(model)}\n`);
        return;
      }
      const g = model.diagnostics;
      process.stdout.write(
        [
          `fit ${model.method}: d=${model.d}, k=${model.k}, ${g.tasks} tasks, ${g.rows} rows`,
          `iterations ${g.iterations}${g.converged === null ? "" : g.converged ? " (converged)" : " (not converged)"}, status ${g.status}`,
          `training MSE ${fmt(g.trainingMse, "n/a (beyond float64's range)")}; head solves: worst conditioning ${fmt(g.headSolveCondition)}`,
          `learned heads: cond(Ŵ) ${fmt(g.headCondition)}, diversity σ_k²k/T ${fmt(g.headDiversity, "n/a")}, ‖ŵ‖ mean ${fmt(g.meanHeadNorm, "n/a")} (min ${fmt(g.minHeadNorm, "n/a")}, max ${fmt(g.maxHeadNorm, "n/a")})`,
          `model: ${shownPath(out!, o.out)}`,
          "",
        ].join("\n"),
      );
    });

  program
    .command("adapt")
    .description(
      "fit the head of each new task from its labelled rows on a fitted representation; predict the rest",
    )
    .requiredOption("--model <file>", "model file written by `metarep fit`")
    .requiredOption(
      "--data <file>",
      "rows of the new task(s): the model's columns; an empty target marks a row to predict",
    )
    .option(
      "--ridge <λ>",
      "ridge penalty λ on the head (0: least squares, needs ≥ k labelled rows per task)",
      "0",
    )
    .option("--format <csv|tsv|parquet|jsonl>", "file format (default: from the extension, else the content)")
    .option(
      "--out <file>",
      "predictions to write (CSV: task,row,prediction; .jsonl for JSON lines; with --json: only when given)",
      "predictions.csv",
    )
    .option(
      "--json",
      "print the heads and predictions as JSON on stdout (writes no file unless --out is given)",
    )
    .action(async (o: AdaptFlags, cmd: Command) => {
      const ridge = numberFlag("adapt", "--ridge", o.ridge)!;
      const prepared = outputOf(o, cmd);
      let res: AdaptResult;
      try {
        let json: unknown;
        try {
          json = JSON.parse(readText(o.model, "model file"));
        } catch (e) {
          if (e instanceof MetarepError) throw e;
          throw new MetarepError(`${o.model}: not valid JSON (${(e as Error).message}).`);
        }
        const { model, B } = readModelFile(json, o.model);
        res = await withTable(
          o.data,
          {
            format: formatFlag("adapt", o.format),
            taskColumn: model.taskColumn,
            targetColumn: model.targetColumn,
            features: model.features,
            // A model fitted on chosen features reads only those columns, as fit did.
            ...(model.otherColumns === "ignore" ? { otherColumns: "ignore" as const } : {}),
            targets: "optional",
            source: o.data,
          },
          (rows) => adaptModelFile(model, B, rows, ridge),
        );
        if (prepared) writeFileAtomic(prepared.path, predictionsText(prepared.path, res.predictions));
      } catch (e) {
        prepared?.cleanup();
        throw e;
      }
      const out = prepared?.path;
      if (o.json) {
        process.stdout.write(`${JSON.stringify(res)}\n`);
        return;
      }
      const labelled = res.heads
        .map((h) => `${h.task} (${h.labelled}, conditioning ${fmt(h.condition)})`)
        .join(", ");
      process.stdout.write(
        `adapt: ${res.heads.length} task${res.heads.length === 1 ? "" : "s"} (labelled rows: ${labelled}); ${res.predictions.length} predictions\npredictions: ${shownPath(out!, o.out)}\n`,
      );
    });
}
