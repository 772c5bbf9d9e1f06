import { readFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { join, relative, resolve } from "node:path";
import { Command, CommanderError, Option } from "commander";
import { z } from "zod";
import { methods } from "../algorithms/methods.js";
import { estimators } from "../algorithms/representation/estimators.js";
import { MetarepError } from "../errors.js";
import { checkFailures } from "../experiments/claims.js";
import { getExperiment, listExperiments } from "../experiments/registry.js";
import { checkSize, resolveParams, SIZE_NAMES } from "../experiments/resolve.js";
import { estimateMemory } from "../experiments/resources.js";
import { conditionsOf } from "../experiments/runner.js";
import type { Condition, Experiment, RunResult, SizeName } from "../experiments/types.js";
import { taskFamilies } from "../models/taskFamilies.js";
import { loadedPlugins, loadPlugins, pluginsUsed, requirePlugins } from "../plugins/load.js";
import { compareResults, parseRecord } from "../record/file.js";
import { mergeByGridPoint } from "../record/merge.js";
import { assembleRecord, runRecord } from "../record/run.js";
import type { PluginRef, RunRecord } from "../record/types.js";
import { verdictsOf } from "../record/verdicts.js";
import type { Registry, RegistryEntry } from "../registry.js";
import { experimentFigures } from "../report/experimentFigures.js";
import { FigurePool } from "../report/figurePool.js";
import { writeFigure } from "../report/render.js";
import {
  buildStoreSection,
  reportVerdicts,
  type StoreSection,
  writeReportHtml,
} from "../report/storeReport.js";
import { formatTable, formatTables } from "../report/summaryTable.js";
import { verdictLines } from "../report/verdicts.js";
import { writeFileAtomic } from "../sweep/atomic.js";
import { InlineExecutor } from "../sweep/executors/inline.js";
import { ThreadsExecutor } from "../sweep/executors/threads.js";
import { acquireStoreLock, type StoreLock } from "../sweep/lock.js";
import { runSweep } from "../sweep/runSweep.js";
import { byCost, type Cell, cellsOf, expandSweep, sweepSpecSchema } from "../sweep/spec.js";
import { RUN_RECORD_FILE, readRecords } from "../sweep/store.js";
import { METAREP_VERSION } from "../version.js";
import { ClaimsCheckError } from "./claims.js";
import { COMMAND_MODULES } from "./commands.js";
import { getDatasetLoader } from "./datasets.js";
import { describeExperiment } from "./describe.js";
import { collect, parseIntFlag, parseSets, UsageError } from "./flags.js";
import {
  capWorkers,
  cellMemoryBudget,
  checkCells,
  checkMemory,
  checkRun,
  DEFAULT_LIMITS,
  DEFAULT_MAX_CELLS,
  DEFAULT_MAX_MEMORY,
  formatBytes,
  type Limits,
  parseLimits,
} from "./guards.js";
import { fsErrorLine, isUserFsError, prepareOutputDir, shownPath, withOutput } from "./outputPath.js";
import { makeProgress } from "./progress.js";
import { CellsFailedError, sweepCommands } from "./sweepCommands.js";
import { printedTables, terminalWidth } from "./tables.js";

/** A validated run: from flags (`plan`) or from a stored record (`planFromRecord`). */
interface RunPlan {
  exp: Experiment;
  size: SizeName | null;
  params: Record<string, unknown>;
  seed: number;
  seedIndices: number[];
  command: string;
  /** Path of the real data set, for experiments that declare a dataset. */
  data?: string;
  /** The digest the data set must have (re-running a record). */
  digest?: string;
  /** Sweep cells: the grid point's canonical text (it enters the keys) and its coordinates. */
  gridPoint?: string;
  grid?: Record<string, unknown>;
  /** A cell record's one condition (re-running a sweep cell). */
  condition?: Condition;
  conditionPoint?: string;
  /** The plug-ins the run uses (recorded; see `plugins/load.ts` `pluginsUsed`). */
  plugins: PluginRef[];
}

/** Validate everything about a run before anything is computed or written. */
function plan(
  id: string,
  opts: { size: string; seeds?: string; seed: string; set: string[]; data?: string },
  limits: Limits,
): RunPlan & { size: SizeName } {
  const exp = getExperiment(id);
  if (exp.dataset && opts.data === undefined) {
    throw new UsageError(`"--data" is required by ${id}: ${exp.dataset.description}.`);
  }
  if (!exp.dataset && opts.data !== undefined) {
    throw new UsageError(`"--data" is not taken by ${id} (it generates its own data); got "${opts.data}".`);
  }
  const size = checkSize(opts.size);
  const params = resolveParams(exp, size, parseSets(opts.set)) as Record<string, unknown>;
  const seeds = opts.seeds === undefined ? exp.seeds[size] : parseIntFlag("--seeds", opts.seeds, 1);
  const seed = parseIntFlag("--seed", opts.seed, 0);
  // Resource guards before anything is allocated: seeds are cells; the estimate is per seed.
  checkRun(`run ${id}`, id, params, seeds, limits);
  const sets = opts.set.map((s) => ` --set ${s}`).join("");
  const data = opts.data === undefined ? "" : ` --data ${JSON.stringify(opts.data)}`;
  const command = `metarep run ${id} --size ${size} --seeds ${seeds} --seed ${seed}${sets}${data}`;
  const seedIndices = Array.from({ length: seeds }, (_, i) => i);
  const plugins = pluginsUsed(id, params);
  const pathOf = (id: string) => loadedPlugins().find((p) => p.id === id)?.path ?? id;
  const withPlugins = plugins
    .map((p) => ` --plugin ${JSON.stringify(relative(process.cwd(), pathOf(p.id)))}`)
    .join("");
  return { exp, size, params, seed, seedIndices, command: command + withPlugins, data: opts.data, plugins };
}

/** Read and validate a stored record (`run --record FILE`): bad files are one-line errors. */
function readRecord(file: string): RunRecord {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    throw new UsageError(`"--record": cannot read ${file} (${(e as Error).message}).`);
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw new UsageError(`"--record": ${file} is not valid JSON (${(e as Error).message}).`);
  }
  // The plug-ins first (with their digests): without them its experiment or parameters are unknown.
  const plugins = (data as { plugins?: unknown })?.plugins;
  if (
    Array.isArray(plugins) &&
    plugins.every((p) => typeof p?.id === "string" && typeof p?.sha256 === "string")
  )
    requirePlugins(plugins as PluginRef[], "record");
  return parseRecord(data, file);
}

/** The run that reproduces a record: its experiment, params, size, seeds, grid point and data. */
function planFromRecord(r: RunRecord): RunPlan {
  return {
    exp: getExperiment(r.experiment),
    size: r.size,
    params: r.params,
    seed: r.seed,
    seedIndices: r.seedIndices,
    command: r.command,
    data: r.dataset?.path,
    digest: r.dataset?.digest,
    gridPoint: r.gridPoint,
    grid: r.grid,
    condition: r.condition,
    conditionPoint: r.conditionPoint,
    plugins: r.plugins ?? [],
  };
}

/** A re-run whose results differ from its record: exit code 1 (the input was valid). */
class RecordMismatchError extends MetarepError {
  override name = "RecordMismatchError";
  readonly exitCode = 1;
}

/** The data set a record was made from is not the one at its path now. */
class DatasetDigestError extends MetarepError {
  override name = "DatasetDigestError";
}

/**
 * Run a plan: its cells (conditions × seeds) on `workers` threads when there are several cells and
 * more than one worker, else inline; either way the same record bytes (apart from timings). A
 * cell record (re-running a sweep cell) runs its one condition.
 */
async function execute(p: RunPlan, quiet: boolean, workers = 1, limits = DEFAULT_LIMITS): Promise<RunRecord> {
  let dataset: { data: unknown; info: { kind: string; path: string; digest: string } } | undefined;
  if (p.exp.dataset && p.data !== undefined) {
    const loaded = await getDatasetLoader(p.exp.dataset.kind).load(p.data);
    if (p.digest !== undefined && loaded.digest !== p.digest) {
      throw new DatasetDigestError(
        `"dataset.digest": the data set at ${p.data} has digest ${loaded.digest}; the record was made from digest ${p.digest}.`,
      );
    }
    dataset = { data: loaded.data, info: { kind: p.exp.dataset.kind, path: p.data, digest: loaded.digest } };
  }
  const cells = byCost(
    p.exp,
    cellsOf(p.exp, p.params, p.size, p.seed, p.seedIndices, {
      grid: p.grid ?? {},
      gridPoint: p.gridPoint ?? "",
    })
      .filter((c) => p.conditionPoint === undefined || c.conditionPoint === p.conditionPoint)
      .map((c) => ({ ...c, command: p.command })),
  );
  if (p.condition || (workers > 1 && cells.length > 1 && !dataset))
    return executeCells(p, cells, quiet, workers, limits);
  const n = p.seedIndices.length;
  const progress = makeProgress(`${p.exp.id} (${n} seed${n === 1 ? "" : "s"})`, quiet);
  try {
    return runRecord({
      experiment: p.exp,
      params: p.params,
      size: p.size,
      seed: p.seed,
      seedIndices: p.seedIndices,
      command: p.command,
      ...(p.grid ? { grid: p.grid, gridPoint: p.gridPoint } : {}),
      ctx: {
        progress: progress.update,
        warn: (m) => process.stderr.write(`warning: ${m}\n`),
        dataset: dataset?.data,
      },
      dataset: dataset?.info,
      plugins: p.plugins,
    });
  } finally {
    progress.stop();
  }
}

/** A cell that failed while `run` ran its cells on threads. */
class CellFailedError extends MetarepError {
  override name = "CellFailedError";
  readonly exitCode = 1;
}

/** Run cells on a thread pool (or one cell inline) and assemble them into one record. */
async function executeCells(
  p: RunPlan,
  cells: (Cell & { command: string })[],
  quiet: boolean,
  workers: number,
  limits: Limits,
): Promise<RunRecord> {
  const startedAt = new Date().toISOString();
  const t0 = performance.now();
  const executor =
    workers > 1 && cells.length > 1
      ? new ThreadsExecutor(Math.min(workers, cells.length), { memoryBudget: cellMemoryBudget(limits) })
      : new InlineExecutor();
  const progress = makeProgress(`${p.exp.id} (${cells.length} cells)`, quiet, "cells");
  const records: RunRecord[] = [];
  let failure: string | undefined;
  try {
    await executor.run(cells, {
      record(_c, r) {
        records.push(r);
        progress.update(records.length, cells.length, 0);
      },
      failure(c, message) {
        failure ??= `cell ${c.cellId} (seed index ${c.seedIndex}${c.conditionPoint ? `, ${c.conditionPoint}` : ""}) failed: ${message}`;
      },
    });
  } finally {
    progress.stop();
    await executor.close?.();
  }
  if (failure) throw new CellFailedError(failure);
  if (p.condition)
    return { ...records[0], command: p.command, startedAt, seconds: (performance.now() - t0) / 1000 };
  const merged = mergeByGridPoint(records)[0];
  return assembleRecord({
    experiment: p.exp.id,
    params: p.params,
    size: p.size,
    seed: p.seed,
    seedIndices: merged.seedIndices,
    results: merged.result.seeds,
    command: p.command,
    startedAt,
    seconds: (performance.now() - t0) / 1000,
    ...(p.grid ? { grid: p.grid, gridPoint: p.gridPoint } : {}),
    plugins: p.plugins,
  });
}

/**
 * Write the record and its figures in the one layout of an experiment's output, whether from
 * `run` or `reproduce` (docs/cli.md "Output layout"): `dir/<id>/record.json` (every seed) and
 * `dir/<id>/figures/<figure>.{svg,png,vl.json}`. Returns the PNG paths.
 */
async function writeOutputs(exp: Experiment, record: RunRecord, dir: string): Promise<string[]> {
  const sub = join(dir, exp.id);
  writeFileAtomic(join(sub, "record.json"), `${JSON.stringify(record)}\n`);
  const paths: string[] = [];
  for (const fig of experimentFigures(exp, record))
    paths.push((await writeFigure(fig.spec, join(sub, "figures"), fig.name)).png);
  return paths;
}

/** The record and figure lines `run` ends with, paths shown as `--out` was given. */
function outputLines(record: string, figs: string[], given: string): string {
  const show = (p: string) => shownPath(p, given);
  return `record: ${show(record)}\nfigures: ${figs.map(show).join(", ")}\n`;
}

interface RunOptions {
  maxCells?: string;
  maxMemory?: string;
  size: string;
  seeds?: string;
  seed: string;
  set: string[];
  out: string;
  json?: boolean;
  data?: string;
  record?: string;
  quiet?: boolean;
  workers?: string;
  help?: boolean;
}

/** `--workers N` (default: the number of cores, and capped there with a warning): threads for cells. */
function workersOf(flag: string | undefined): number {
  if (flag === undefined) return availableParallelism();
  return capWorkers("--workers", parseIntFlag("--workers", flag, 1), (m) =>
    process.stderr.write(`warning: ${m}\n`),
  );
}

/** Flags that choose what to run: a record fixes all of them. */
const RECORD_CONFLICTS = ["size", "seeds", "seed", "set", "data", "json"] as const;

/**
 * `run --record FILE`: re-run a stored record exactly (its experiment, params, size, seed, seed
 * indices, grid point and data set, whose digest must match) and compare every number.
 */
async function rerun(file: string, id: string | undefined, opts: RunOptions, cmd: Command): Promise<void> {
  if (id !== undefined) {
    throw new UsageError(`"--record" takes no experiment id (the record names its experiment); got "${id}".`);
  }
  const given = RECORD_CONFLICTS.filter((o) => cmd.getOptionValueSource(o) === "cli").map((o) => `--${o}`);
  if (given.length) {
    throw new UsageError(
      `"--record" cannot be combined with ${given.join(", ")} (the record fixes the experiment, parameters, size, seeds and data); got ${given.join(" ")}.`,
    );
  }
  const stored = readRecord(file);
  const p = planFromRecord(stored);
  // The same guards as \`run\`: an edited record (d=100000, a million seed indices) is refused
  // before anything is allocated.
  const limits = parseLimits(opts);
  checkRun(`run --record ${file}`, p.exp.id, p.params, p.seedIndices.length, limits);
  const out = cmd.getOptionValueSource("out") === "cli" ? resolve(opts.out) : undefined;
  if (out !== undefined && join(out, p.exp.id, "record.json") === resolve(file)) {
    throw new UsageError(
      `"--out" ${opts.out} would overwrite the record being checked (${file}); choose another directory.`,
    );
  }
  const prepared = out === undefined ? undefined : prepareOutputDir(out, "--out", p.exp.id);
  const workers = workersOf(opts.workers);
  const record = prepared
    ? await withOutput(prepared, () => execute(p, Boolean(opts.quiet), workers, limits))
    : await execute(p, Boolean(opts.quiet), workers, limits);
  const figs = out === undefined ? [] : await writeOutputs(p.exp, record, out);
  // Compare what a record holds: JSON stores -0 as 0 and non-finite numbers as null.
  const fresh = JSON.parse(JSON.stringify(record.result.seeds)) as RunResult[];
  const diff = compareResults(stored.result.seeds, fresh, {
    seedIndices: stored.seedIndices,
    names: ["record", "re-run"],
  });
  const n = p.seedIndices.length;
  const what = `re-ran ${p.exp.id} (${n} seed${n === 1 ? "" : "s"}, seed ${p.seed})`;
  if (diff === null) process.stdout.write(`${what}: results identical to ${file}\n`);
  if (out !== undefined)
    process.stdout.write(outputLines(join(out, p.exp.id, "record.json"), figs, opts.out));
  if (diff !== null) {
    const versions =
      stored.metarepVersion === METAREP_VERSION
        ? ""
        : ` (the record was made by metarep ${stored.metarepVersion}; this is ${METAREP_VERSION})`;
    throw new RecordMismatchError(`${what}: results differ from ${file}: ${diff}${versions}.`);
  }
}

function program(): Command {
  const prog = new Command("metarep")
    .description("A lab bench for the theory of multi-task representation learning and meta-learning")
    .version(METAREP_VERSION)
    .exitOverride()
    .showSuggestionAfterError(true)
    // One error prefix for every error, commander's included (copied to every subcommand).
    .configureOutput({ outputError: (str, write) => write(errorLine(str)) });

  prog
    .command("describe")
    .description(
      "describe one experiment: its paper, what to look for, parameters with defaults, sizes, conditions, figures and estimated cost",
    )
    .argument("<id>", "experiment id (see `metarep list`)")
    .action((id: string) => {
      process.stdout.write(describeExperiment(getExperiment(id)));
    });

  prog
    .command("list")
    .description(
      "list the registered experiments (with an id: describe that one, as `metarep describe <id>`)",
    )
    .argument("[id]", "an experiment to describe")
    .option("--json", "print as JSON (with sizes, parameters' defaults and descriptions)")
    .action((id: string | undefined, opts: { json?: boolean }) => {
      if (id !== undefined && !opts.json) {
        process.stdout.write(describeExperiment(getExperiment(id)));
        return;
      }
      if (opts.json) {
        const full = (id === undefined ? listExperiments() : [getExperiment(id)]).map((e) => ({
          id: e.id,
          family: e.family,
          title: e.title,
          paper: e.paper,
          description: e.description,
          sizes: e.sizes,
          seeds: e.seeds,
          dataset: e.dataset ?? null,
          params: z.toJSONSchema(e.params, { io: "input", unrepresentable: "any" }),
        }));
        process.stdout.write(`${JSON.stringify(full, null, 2)}\n`);
        return;
      }
      const rows = listExperiments().map((e) => ({
        id: e.id,
        family: e.family,
        title: e.title,
        "seeds (smoke/paper)": `${e.seeds.smoke}/${e.seeds.paper}`,
        data: e.dataset ? `--data: ${e.dataset.kind}` : "",
      }));
      process.stdout.write(`${formatTable(rows, { width: terminalWidth() })}\n`);
      // The other registries a parameter names (`--set methods=…`), with where each entry is from.
      const entries = (title: string, r: Registry<RegistryEntry & { name?: string; family?: string }>) =>
        `\n${title}\n${formatTable(
          r.list().map((e) => ({
            id: e.id,
            name: e.name ?? "",
            family: e.family ?? "",
            from: r.sourceOf(e.id) ?? "",
          })),
          { width: terminalWidth() },
        )}\n`;
      process.stdout.write(entries("estimators of B̂ (few-shot experiments: --set methods=…)", estimators));
      process.stdout.write(entries("meta-learning methods (collins-*: --set methods=…)", methods));
      process.stdout.write(entries("task families (--set family=…)", taskFamilies));
    });

  const sizeOpt = () =>
    new Option("--size <size>", `experiment size (${SIZE_NAMES.join("|")})`).default("paper");

  prog
    .command("run")
    .description(
      "run one experiment: print a summary, write the record and the figures; with --record FILE, re-run a stored record and check that its results are bit-identical",
    )
    .argument("[id]", "experiment id (see `metarep list`); none with --record")
    .addOption(sizeOpt())
    .option("--seeds <N>", "number of seeds (default: the size's)")
    .option("--seed <S>", "root seed", "0")
    .option("--set <name=value>", "override a parameter (repeatable; lists as a,b,c; inf for ∞)", collect, [])
    .option(
      "--out <dir>",
      "output directory (with --record: the new record and figures are written only when given)",
      "results",
    )
    .option("--json", "print the record as JSON on stdout")
    .option("--data <path>", "real data set, for experiments that take one (see `metarep list`)")
    .option(
      "--record <file>",
      "re-run a stored record.json (from `metarep run` or the web page) as recorded: experiment, parameters, size, seeds and data set; exit 0 if every number is identical, 1 if not",
    )
    .option(
      "--max-cells <N>",
      `refuse more cells (seeds × grid points) than this (default ${DEFAULT_MAX_CELLS})`,
    )
    .option(
      "--max-memory <size>",
      `refuse an estimated memory above this, e.g. 16G (default ${formatBytes(DEFAULT_MAX_MEMORY)})`,
    )
    .option("--quiet", "no progress display on stderr")
    .option(
      "--workers <N>",
      "worker threads for the run's cells (conditions × seeds; default: the number of cores)",
    )
    // Help of its own: with an id, the experiment's description and parameters come first.
    .helpOption(false)
    .option("-h, --help", "display help for command (with an id: the experiment's parameters too)")
    .addHelpText(
      "after",
      `
Examples:
  metarep run collins-convergence --size smoke --seeds 3 --seed 7
  metarep run li-cifar10c --data ~/data/CIFAR-10-C --size smoke
  metarep run --record results/collins-convergence/record.json      (re-run; compare every number)
  metarep run --record record.json --out rerun                        (and write the new record and figures)
  metarep run collins-convergence --help                              (its parameters, sizes, figures and cost)`,
    )
    .action(async (id: string | undefined, opts: RunOptions, cmd: Command) => {
      if (opts.help) {
        const exp = id === undefined ? undefined : getExperiment(id);
        if (exp) process.stdout.write(`${describeExperiment(exp)}\n`);
        cmd.outputHelp();
        return;
      }
      if (opts.record !== undefined) return rerun(opts.record, id, opts, cmd);
      if (id === undefined) {
        throw new UsageError(
          `"run" needs an experiment id (see \`metarep list\`) or "--record FILE"; got neither.`,
        );
      }
      const limits = parseLimits(opts);
      const p = plan(id, opts, limits);
      const workers = workersOf(opts.workers);
      // The output directory is checked and created before anything is computed.
      const prepared = prepareOutputDir(opts.out, "--out", p.exp.id);
      const ran = await withOutput(prepared, () =>
        execute(p, Boolean(opts.json || opts.quiet), workers, limits),
      );
      const record = { ...ran, verdicts: verdictsOf(ran) };
      const figs = await writeOutputs(p.exp, record, resolve(opts.out));
      if (opts.json) {
        process.stdout.write(`${JSON.stringify(record)}\n`);
        return;
      }
      process.stdout.write(`${p.exp.title}\n${p.command}\n\n${printedTables(record)}\n`);
      const verdicts = record.verdicts.map((v) => ({ ...v, experiment: p.exp.id }));
      for (const l of verdictLines(verdicts, terminalWidth())) process.stdout.write(`${l}\n`);
      process.stdout.write(
        `\n${outputLines(join(resolve(opts.out), p.exp.id, "record.json"), figs, opts.out)}`,
      );
    });

  prog
    .command("reproduce")
    .description(
      "run every registered experiment (or the given ones) on worker threads; write figures and an HTML report",
    )
    .argument(
      "[ids...]",
      "experiment ids (default: all that need no --data and are not opt-in, e.g. finn-sinusoid; see `metarep describe`)",
    )
    .addOption(sizeOpt())
    .option("--seeds <N>", "number of seeds per experiment (default: each size's)")
    .option("--seed <S>", "root seed", "0")
    .option("--workers <N>", "worker threads (default and at most: the number of cores)")
    .option("--out <dir>", "output directory", "results")
    .option(
      "--max-cells <N>",
      `refuse more cells (seeds × grid points) than this (default ${DEFAULT_MAX_CELLS})`,
    )
    .option(
      "--max-memory <size>",
      `refuse an estimated memory above this, e.g. 16G (default ${formatBytes(DEFAULT_MAX_MEMORY)})`,
    )
    .option(
      "--check",
      "exit 1 when a claim is not reproduced at the size where it counts (inconclusive does not fail; a known disagreement fails only if it turns reproduced)",
    )
    .action(
      async (
        ids: string[],
        opts: {
          size: string;
          seeds?: string;
          seed: string;
          out: string;
          workers?: string;
          maxCells?: string;
          maxMemory?: string;
          check?: boolean;
        },
      ) => {
        const chosen = ids.length
          ? ids
          : listExperiments()
              .filter((e) => !e.dataset && !e.optIn)
              .map((e) => e.id);
        const limits = parseLimits(opts);
        const plans = chosen.map((id) => plan(id, { ...opts, set: [] }, limits));
        for (const p of plans) {
          if (p.exp.dataset)
            throw new UsageError(
              `${p.exp.id} needs "--data"; run it with \`metarep run ${p.exp.id} --data PATH\`.`,
            );
        }
        const workers = workersOf(opts.workers);
        checkCells(
          "reproduce",
          plans.reduce((t, p) => t + p.seedIndices.length * conditionsOf(p.exp, p.params).length, 0),
          limits,
        );
        for (const p of plans) {
          const at = Math.min(workers, p.seedIndices.length);
          checkMemory(
            `reproduce ${p.exp.id}`,
            estimateMemory(p.exp.id, p.params),
            { concurrent: at, held: at },
            limits,
          );
        }
        const out = resolve(opts.out);
        const dirs = plans.map((p) => join(out, p.exp.id));
        // Output directories checked and created, and every store locked, before any work: a
        // second reproduce on the same directory stops here (StoreLockedError, exit 2).
        const prepared = plans.map((p) => prepareOutputDir(opts.out, "--out", p.exp.id));
        const locks: StoreLock[] = [];
        try {
          for (const [i, d] of dirs.entries()) locks.push(acquireStoreLock(d, plans[i].command));
        } catch (e) {
          for (const l of locks) l.release();
          for (const p of prepared.reverse()) p.cleanup();
          throw e;
        }
        let path: string;
        let sections: StoreSection[];
        let failures = 0;
        const t0 = performance.now();
        // An experiment's record file and figures are written as soon as its last cell is done, its
        // figures on their own thread beside the cells still running (one figure at a time: a
        // paper-size figure's scene graph and raster beside two cells' working memory was the
        // run's peak), on every thread once the cells are done; the report page at the end.
        const figures = new FigurePool(workers, 1);
        const building: Promise<StoreSection>[] = [];
        const finishExperiment = (d: string): void => {
          // The one layout of an experiment's output (as `run` writes it): its record of every
          // seed beside the store's cell records, so `run --record DIR/<id>/record.json` re-runs
          // either.
          const cells = readRecords(d);
          if (cells.length)
            writeFileAtomic(join(d, RUN_RECORD_FILE), `${JSON.stringify(mergeByGridPoint(cells)[0])}\n`);
          const section = buildStoreSection(d, out, figures.write);
          section.catch(() => {}); // awaited below; this only keeps an early failure from being unhandled
          building.push(section);
        };
        try {
          const executor = new ThreadsExecutor(workers, { memoryBudget: cellMemoryBudget(limits) });
          // Every experiment is a sweep without a grid (its cells are its seeds, keyed exactly as
          // `run`); all share one thread pool, so no core idles while another experiment runs.
          const state = new Map<string, { done: number; total: number; failures: number }>();
          const progress = makeProgress("reproduce", false, "cells");
          try {
            const summaries = await Promise.all(
              plans.map(async (p, i) => {
                const summary = await runSweep({
                  sweep: expandSweep(
                    sweepSpecSchema.parse({
                      experiment: p.exp.id,
                      size: p.size,
                      seeds: p.seedIndices.length,
                      seed: p.seed,
                    }),
                  ),
                  dir: dirs[i],
                  executor,
                  command: p.command,
                  onProgress: (s) => {
                    state.set(p.exp.id, s);
                    let done = 0;
                    let total = 0;
                    let failed = 0;
                    for (const v of state.values()) {
                      done += v.done;
                      total += v.total;
                      failed += v.failures;
                    }
                    progress.update(done, total, failed);
                  },
                });
                finishExperiment(dirs[i]);
                return summary;
              }),
            );
            failures = summaries.reduce((t, s) => t + s.failures, 0);
          } finally {
            progress.stop();
            await executor.close();
            figures.setLimit(workers);
          }
          // The sections in the experiments' order, whatever order they finished in. The stores
          // stay locked until the report, figures and records are written.
          const built = await Promise.all(building);
          sections = dirs.map((d) => built.find((s) => s.dir === d)!);
          path = writeReportHtml(sections, out);
        } finally {
          await figures.close();
          for (const l of locks) l.release();
        }
        for (const s of sections) {
          for (const pt of s.points) {
            process.stdout.write(
              `\n== ${s.manifest.experiment}: ${s.title}\n${formatTables(pt.tables, { width: terminalWidth() })}\n`,
            );
          }
        }
        const verdicts = reportVerdicts(sections);
        writeFileAtomic(join(out, "verdicts.json"), `${JSON.stringify(verdicts, null, 1)}\n`);
        process.stdout.write(`\n${verdictLines(verdicts, terminalWidth()).join("\n")}\n`);
        process.stdout.write(
          `\nDone in ${((performance.now() - t0) / 1000).toFixed(1)} s on ${workers} worker threads. Report: ${shownPath(path, opts.out)} (per experiment: ${join(shownPath(out, opts.out), "<id>")}/record.json and figures/; verdicts: ${shownPath(join(out, "verdicts.json"), opts.out)})\n`,
        );
        if (failures > 0)
          throw new CellsFailedError(`${failures} cells failed; see the report's failure tables.`);
        if (opts.check) {
          const failing = checkFailures(verdicts);
          if (failing.length > 0)
            throw new ClaimsCheckError(
              `--check: ${failing.length} claim${failing.length === 1 ? "" : "s"} failed: ${failing
                .map(
                  (v) =>
                    `${v.experiment}/${v.claim} (${v.verdict}${v.knownDisagreement ? ", a known disagreement that no longer holds" : ""})`,
                )
                .join(", ")}.`,
            );
        }
      },
    );

  for (const add of [sweepCommands, ...COMMAND_MODULES]) add(prog);
  // Every command takes plug-ins; they are loaded (and checked: one line, exit 2) before it runs.
  for (const c of prog.commands)
    c.option(
      "--plugin <file>",
      "load a plug-in (an ES module; repeatable; see docs/plugins.md)",
      collect,
      [],
    );
  prog.hook("preAction", async (_prog, action) => {
    const files = (action.opts() as { plugin?: string[] }).plugin ?? [];
    if (files.length) await loadPlugins(files);
  });
  return prog;
}

/**
 * Commander's error text as our one-line error: the `metarep:` prefix every error has, and its
 * suggestion ("(Did you mean --seed?)" on a line of its own) on the same line.
 */
export function errorLine(str: string): string {
  const body = str
    .replace(/^error:\s*/, "")
    .replace(/\s*\n\(Did you mean (.*)\?\)\s*$/s, " (did you mean $1?)")
    .trimEnd();
  return `metarep: ${body}\n`;
}

export async function main(argv: string[]): Promise<number> {
  try {
    await program().parseAsync(argv, { from: "user" });
    return 0;
  } catch (e) {
    if (e instanceof CommanderError) {
      // Commander has printed its message; help and version are not errors.
      return e.exitCode === 0 || e.code === "commander.helpDisplayed" || e.code === "commander.version"
        ? 0
        : 2;
    }
    if (isUserFsError(e)) {
      // A path the user gave that the checks up front could not rule out (a disk that filled up).
      process.stderr.write(`metarep: ${fsErrorLine(e)}\n`);
      return 2;
    }
    if (e instanceof MetarepError) {
      process.stderr.write(`metarep: ${e.message}\n`);
      // Bad input is 2; a run that completed with failed cells says so with its own code (1).
      return "exitCode" in e && typeof e.exitCode === "number" ? e.exitCode : 2;
    }
    throw e;
  }
}
