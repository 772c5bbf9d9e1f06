import { readFileSync } from "node:fs";
import { extname, relative } from "node:path";
import type { Command } from "commander";
import {
  adaptModelFile,
  FIT_METHODS,
  fitMethodIds,
  fitModelFile,
  readModelFile,
} from "../algorithms/representation/modelFile.js";
import type { EstimatorOptions } from "../algorithms/representation/types.js";
import { parseMultiTaskTable, type TableOptions } from "../data/multiTaskTable.js";
import { MetarepError, ParamError } from "../errors.js";
import { writeFileAtomic } from "../sweep/atomic.js";
import { type PreparedOutput, prepareOutputFile } from "./outputPath.js";

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

function formatFlag(command: string, text: string | undefined, path: string): TableOptions["format"] {
  if (text !== undefined) {
    if (text !== "csv" && text !== "jsonl")
      throw new ParamError(command, "--format", 'must be "csv" or "jsonl"', text);
    return text;
  }
  const ext = extname(path).toLowerCase();
  if (ext === ".csv") return "csv";
  if (ext === ".jsonl" || ext === ".ndjson") return "jsonl";
  return undefined; // sniffed from the content
}

function fmt(v: number | null): string {
  if (v === null) return "∞";
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

/** Predictions as CSV (task,line,prediction) or, for a .jsonl path, one JSON object per line. */
function predictionsText(path: string, rows: { task: string; line: number; prediction: number }[]): string {
  if (extname(path).toLowerCase() === ".jsonl") return rows.map((r) => `${JSON.stringify(r)}\n`).join("");
  const q = (s: string) => (/[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
  return `task,line,prediction\n${rows.map((r) => `${q(r.task)},${r.line},${r.prediction}`).join("\n")}${rows.length ? "\n" : ""}`;
}

/** Adds `fit` and `adapt` to the program (a `CommandModule` for `src/cli/commands.ts`). */
export function fewShotCommands(program: Command): void {
  program
    .command("fit")
    .description("learn a k-dimensional representation and per-task heads from a multi-task regression file")
    .requiredOption(
      "--data <file>",
      "multi-task table, long format (CSV or JSONL): task, target and feature columns",
    )
    .requiredOption("--k <K>", "representation dimension k (1 ≤ k < number of features)")
    .option("--method <m>", `estimator of B̂ (${FIT_METHODS.join("|")}, or a plug-in's)`, "altmin")
    .option("--task-column <name>", "task column", "task")
    .option("--target-column <name>", "target column", "y")
    .option("--features <a,b,…>", "feature columns (default: all other columns)")
    .option("--format <csv|jsonl>", "file format (default: from the extension, else the content)")
    .option("--iters <N>", "rounds (altmin, altmin-gd) or L-BFGS iterations (bm, bm-mom)")
    .option(
      "--lambda-cond <λ1>",
      "weight of Bouniot et al.'s penalty λ1·κ(Ŵ)² on the learned heads (bm, altmin-gd, anil, fo-anil; default 0)",
    )
    .option(
      "--lambda-norm <λ2>",
      "weight of Bouniot et al.'s penalty λ2·‖ŴŴᵀ‖_F on the learned heads (bm, altmin-gd, anil, fo-anil; default 0)",
    )
    .option("--seed <S>", "seed for estimators with randomness (anil order, random starts)", "0")
    .option("--out <file>", "model file to write (with --json: only when given)", "model.json")
    .option("--json", "print the model as JSON on stdout (writes no file unless --out is given)")
    .action((o: FitFlags, cmd: Command) => {
      const k = intFlag("fit", "--k", o.k, 1)!;
      const iters = intFlag("fit", "--iters", o.iters, 1);
      const seed = intFlag("fit", "--seed", o.seed, 0)!;
      if (!fitMethodIds().includes(o.method)) {
        throw new ParamError("fit", "--method", `must be one of ${fitMethodIds().join(", ")}`, o.method);
      }
      const penalty = penaltyFlags(o);
      const features = o.features?.split(",").map((s) => s.trim());
      if (features) {
        const bad = features.find((f, i) => f === "" || features.indexOf(f) !== i);
        if (bad !== undefined)
          throw new ParamError("fit", "--features", "must be distinct, non-empty column names", o.features);
      }
      const prepared = outputOf(o, cmd);
      let model: ReturnType<typeof fitModelFile>;
      try {
        const table = parseMultiTaskTable(readText(o.data, "data file"), {
          format: formatFlag("fit", o.format, o.data),
          taskColumn: o.taskColumn,
          targetColumn: o.targetColumn,
          // --features picks and orders a subset: the file's other columns are not read.
          ...(features ? { features, otherColumns: "ignore" as const } : {}),
          targets: "required",
          source: o.data,
        });
        const estimator: EstimatorOptions = { ...(iters === undefined ? {} : { iters }), ...penalty };
        model = fitModelFile(table, {
          k,
          method: o.method,
          estimator,
          seed,
          taskColumn: o.taskColumn,
          targetColumn: o.targetColumn,
        });
        if (features) model.otherColumns = "ignore";
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
          `training MSE ${fmt(g.trainingMse)}; learned heads: cond(Ŵ) ${fmt(g.headCondition)}, diversity σ_k²k/T ${fmt(g.headDiversity)}, ‖ŵ‖ mean ${fmt(g.meanHeadNorm)} (min ${fmt(g.minHeadNorm)}, max ${fmt(g.maxHeadNorm)})`,
          `model: ${relative(process.cwd(), out!)}`,
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
    .option("--format <csv|jsonl>", "file format (default: from the extension, else the content)")
    .option(
      "--out <file>",
      "predictions to write (CSV: task,line,prediction; .jsonl for JSON lines; with --json: only when given)",
      "predictions.csv",
    )
    .option(
      "--json",
      "print the heads and predictions as JSON on stdout (writes no file unless --out is given)",
    )
    .action((o: AdaptFlags, cmd: Command) => {
      const ridge = numberFlag("adapt", "--ridge", o.ridge)!;
      const prepared = outputOf(o, cmd);
      let res: ReturnType<typeof adaptModelFile>;
      try {
        let json: unknown;
        try {
          json = JSON.parse(readText(o.model, "model file"));
        } catch (e) {
          if (e instanceof MetarepError) throw e;
          throw new MetarepError(`${o.model}: not valid JSON (${(e as Error).message}).`);
        }
        const { model, B } = readModelFile(json, o.model);
        const table = parseMultiTaskTable(readText(o.data, "data file"), {
          format: formatFlag("adapt", o.format, o.data),
          taskColumn: model.taskColumn,
          targetColumn: model.targetColumn,
          features: model.features,
          // A model fitted on chosen features reads only those columns, as fit did.
          ...(model.otherColumns === "ignore" ? { otherColumns: "ignore" as const } : {}),
          targets: "optional",
          source: o.data,
        });
        res = adaptModelFile(model, B, table, ridge);
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
      const labelled = res.heads.map((h) => `${h.task} (${h.labelled})`).join(", ");
      process.stdout.write(
        `adapt: ${res.heads.length} task${res.heads.length === 1 ? "" : "s"} (labelled rows: ${labelled}); ${res.predictions.length} predictions\npredictions: ${relative(process.cwd(), out!)}\n`,
      );
    });
}
