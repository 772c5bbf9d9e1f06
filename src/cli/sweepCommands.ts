import { existsSync, readdirSync, readFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { dirname, join, relative, resolve } from "node:path";
import type { Command } from "commander";
import { methods } from "../algorithms/methods.js";
import { estimators } from "../algorithms/representation/estimators.js";
import { MetarepError } from "../errors.js";
import { experiments } from "../experiments/registry.js";
import { loadedPlugins, loadPlugins, requirePlugins } from "../plugins/load.js";
import { exportFigureData } from "../report/figureData.js";
import { writeReport } from "../report/storeReport.js";
import { exportTables } from "../sweep/aggregate.js";
import { auditLine, DEFAULT_AUDIT } from "../sweep/audit.js";
import { DEFAULT_QUEUE, DistributedExecutor } from "../sweep/executors/distributed.js";
import type { Executor } from "../sweep/executors/executor.js";
import { InlineExecutor } from "../sweep/executors/inline.js";
import { ThreadsExecutor } from "../sweep/executors/threads.js";
import { acquireStoreLock, type StoreLock } from "../sweep/lock.js";
import { startQueueWorker } from "../sweep/queueWorker.js";
import { redactUrl } from "../sweep/redis.js";
import { runSweep } from "../sweep/runSweep.js";
import { expandSweep, parseSweepSpec, sweepCellBound, sweepJsonSchema } from "../sweep/spec.js";
import { RUN_RECORD_FILE, readManifest, readRecords, STORE_FILES } from "../sweep/store.js";
import { parseFractionFlag, parseIntFlag, UsageError } from "./flags.js";
import {
  capWorkers,
  cellMemoryBudget,
  checkCells,
  checkMemory,
  DEFAULT_MAX_CELLS,
  DEFAULT_MAX_MEMORY,
  formatBytes,
  parseLimits,
} from "./guards.js";
import { fsErrorLine, PathError, prepareOutputDir, shownPath, withOutput } from "./outputPath.js";
import { makeProgress } from "./progress.js";
import { sweepSummary, type WorkerWatch, watchWorkers } from "./sweepWatch.js";

/** Read an input file, or a one-line `PathError` naming the flag and why. */
export function readInput(path: string, what: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch (e) {
    throw new PathError(`${what}: ${fsErrorLine(e as NodeJS.ErrnoException, "read", path)}`);
  }
}

/** Cells failed: the sweep ran to the end; exit code 1 (not a usage error). */
export class CellsFailedError extends MetarepError {
  override name = "CellsFailedError";
  readonly exitCode = 1;
}

const rel = (p: string) => relative(process.cwd(), p) || ".";

/** The stores `report DIR` covers: DIR itself, or its subdirectories that are stores or run outputs. */
function reportSources(dir: string): string[] {
  const abs = resolve(dir);
  const isSource = (d: string) =>
    existsSync(join(d, STORE_FILES.manifest)) || existsSync(join(d, RUN_RECORD_FILE));
  if (isSource(abs)) return [abs];
  let subs: string[] = [];
  try {
    subs = readdirSync(abs, { withFileTypes: true })
      .filter((e) => e.isDirectory())
      .map((e) => join(abs, e.name))
      .filter(isSource)
      .sort();
  } catch {}
  if (subs.length === 0) {
    throw new UsageError(
      `"report": ${dir} is not a sweep store (no ${STORE_FILES.manifest}) nor a run's output (no ${RUN_RECORD_FILE}), and holds neither.`,
    );
  }
  return subs;
}

/** `sweep`, `worker`, `export`, `report` and `schema`: the sweep engine's commands. */
export function sweepCommands(prog: Command): void {
  prog
    .command("sweep")
    .description("run a sweep spec (grid × seeds) into a results store; re-running resumes")
    .argument(
      "<spec>",
      "sweep spec file (YAML or JSON; see `metarep schema sweep`); the plug-ins it names are imported (their code runs) before it is checked",
    )
    .requiredOption("--out <dir>", "results store directory")
    .option("--workers <N>", "worker threads (default: the number of cores; 0 = inline in this thread)")
    .option(
      "--redis <url>",
      "distribute the cells on BullMQ at this Redis URL (run `metarep worker` elsewhere)",
    )
    .option(
      "--queue <name>",
      "BullMQ queue name (cells using plug-ins: <name>@<key of their digests>)",
      DEFAULT_QUEUE,
    )
    .option(
      "--audit <fraction>",
      `with --redis: recompute this share of the cells workers return here and compare the bytes; a worker whose results differ is refused and its cells re-queued (0 = off; default ${DEFAULT_AUDIT})`,
    )
    .option("--no-report", "do not write the HTML report at the end")
    .option(
      "--max-cells <N>",
      `refuse more cells (grid points × seeds) than this (default ${DEFAULT_MAX_CELLS})`,
    )
    .option(
      "--max-memory <size>",
      `refuse an estimated memory above this, e.g. 16G (default ${formatBytes(DEFAULT_MAX_MEMORY)})`,
    )
    .addHelpText(
      "after",
      `
A spec's "plugins: [files]" are code: they are imported, and their top-level code runs, before
the rest of the spec is checked, even if the spec is then refused. Read the plug-ins a spec from
elsewhere names before you run it.

With --redis, workers are trusted machines (they run metarep and their own plug-ins); jobs carry
no code. Give Redis a password, and use rediss:// (TLS) across networks. --audit recomputes a
sample of the returned cells here and refuses a worker whose results differ.

Examples:
  metarep sweep spec.yaml --out runs/a                                   (threads, one per core)
  metarep sweep spec.yaml --out runs/a --redis redis://:SECRET@host:6379   (workers elsewhere)
  metarep sweep spec.yaml --out runs/a --redis rediss://:SECRET@host:6380 --audit 0.1`,
    )
    .action(
      async (
        specPath: string,
        opts: {
          out: string;
          workers?: string;
          redis?: string;
          queue: string;
          audit?: string;
          report: boolean;
          maxCells?: string;
          maxMemory?: string;
        },
      ) => {
        const limits = parseLimits(opts);
        const audit = opts.audit === undefined ? DEFAULT_AUDIT : parseFractionFlag("--audit", opts.audit);
        if (opts.audit !== undefined && !opts.redis)
          throw new UsageError(
            `"--audit" checks results from queue workers: it needs --redis; got --audit ${opts.audit} without it.`,
          );
        const spec = parseSweepSpec(readInput(specPath, "sweep spec"), `sweep spec ${specPath}`);
        // The spec's own plug-ins (paths relative to the spec), before its experiment is looked up.
        if (spec.plugins?.length)
          await loadPlugins(
            spec.plugins.map((p) => resolve(dirname(specPath), p)),
            `sweep spec ${specPath}: "plugins"`,
          );
        // Count before expanding: a grid of 10¹⁵ cells is refused without enumerating it, and a
        // count no store can hold is refused whatever --max-cells says.
        checkCells(`sweep ${specPath}`, sweepCellBound(spec), limits, true);
        const sweep = expandSweep(spec);
        // Exactly, with the experiment's conditions at every grid point.
        checkCells(`sweep ${specPath}`, sweep.cellCount, limits, true);
        const warn = (m: string) => process.stderr.write(`warning: ${m}\n`);
        const workers = Math.min(
          opts.workers === undefined
            ? availableParallelism()
            : capWorkers("--workers", parseIntFlag("--workers", opts.workers, 0), warn),
          sweep.cellCount,
        );
        // The heaviest grid point, on as many threads as run at once here (with --redis: one cell
        // at a time per worker thread, wherever the workers are), and the store's index of cells.
        const at = opts.redis ? 1 : Math.max(1, workers);
        checkMemory(
          `sweep ${specPath}`,
          sweep.heaviest,
          { concurrent: at, held: at, indexed: sweep.cellCount },
          limits,
        );
        const out = prepareOutputDir(opts.out);
        const dir = out.path;
        const executor: Executor = opts.redis
          ? new DistributedExecutor(opts.redis, opts.queue, {
              audit,
              onRefusal: (l) => process.stderr.write(`${l}\n`),
            })
          : workers === 0
            ? new InlineExecutor()
            : new ThreadsExecutor(workers, { memoryBudget: cellMemoryBudget(limits) });
        const command = `metarep sweep ${specPath} --out ${opts.out}`;
        const progress = makeProgress(`sweep ${sweep.experiment.id}`, false, "cells");
        let summary: Awaited<ReturnType<typeof runSweep>>;
        let watch: WorkerWatch | null = null;
        // The store's lock, held until its report and figures are written (runSweep takes it
        // again, re-entrantly, for the cells).
        let lock: StoreLock | null = null;
        try {
          try {
            summary = await withOutput(out, async () => {
              // Reach the executor (e.g. Redis) first: an unreachable one leaves nothing behind.
              await executor.prepare?.();
              lock = acquireStoreLock(dir, command);
              // With --redis: say how many workers listen, and keep saying it while cells wait.
              if (opts.redis) {
                const w = await watchWorkers(opts.redis, opts.queue, (l) => process.stderr.write(`${l}\n`));
                watch = w;
                // Cells using plug-ins wait on their own queues: say so while no worker holds them.
                if (executor instanceof DistributedExecutor) executor.onRoutes = (r) => w.routes(r);
              }
              return runSweep({
                sweep,
                dir,
                executor,
                command,
                onProgress: (s) => {
                  progress.update(s.done, s.total, s.failures);
                  watch?.progress(s.done, s.total);
                },
              });
            });
          } finally {
            progress.stop();
            await (watch as WorkerWatch | null)?.stop();
            await executor.close();
          }
          const table = sweepSummary(dir);
          if (table) process.stdout.write(`${sweep.experiment.title}\n${command}\n\n${table}\n\n`);
          process.stdout.write(
            `${summary.done}/${summary.total} cells stored in ${shownPath(dir, opts.out)} (${summary.skipped} already there, executor ${executor.name}${opts.redis ? ` on ${redactUrl(opts.redis)}` : ""}).\n`,
          );
          if (executor instanceof DistributedExecutor && executor.audit)
            process.stdout.write(`${auditLine(executor.audit)}\n`);
          if (opts.report) {
            const { path } = await writeReport([dir], dir);
            process.stdout.write(`Report: ${shownPath(path, opts.out)}\n`);
          }
        } finally {
          (lock as StoreLock | null)?.release();
        }
        if (summary.failed.length > 0) {
          for (const f of summary.failed) {
            process.stderr.write(
              `failed: ${f.cellId} (grid ${JSON.stringify(f.grid)}, seed index ${f.seedIndex}): ${f.error}\n`,
            );
          }
          throw new CellsFailedError(
            `${summary.failed.length} of ${summary.total} cells failed (listed above, and in ${join(shownPath(dir, opts.out), "failures.jsonl")}); re-run the same command to retry them.`,
          );
        }
      },
    );

  prog
    .command("worker")
    .description("run sweep cells from a BullMQ queue until stopped (Ctrl-C finishes the running cells)")
    .requiredOption(
      "--redis <url>",
      "Redis URL: redis://[user:password@]host:port[/db], or rediss:// for TLS",
    )
    .option("--concurrency <N>", "cells at a time (worker threads; default: the number of cores)")
    .option(
      "--queue <name>",
      "BullMQ queue name (cells using plug-ins: <name>@<key of their digests>)",
      DEFAULT_QUEUE,
    )
    .option(
      "--max-memory <size>",
      `refuse (fail at once, without retries) a job whose estimated memory is above this, e.g. 16G (default ${formatBytes(DEFAULT_MAX_MEMORY)})`,
    )
    .option(
      "--lock-ms <ms>",
      "job lock duration: a crashed worker's job is retried after about this long",
      "30000",
    )
    .action(
      async (opts: {
        redis: string;
        concurrency?: string;
        queue: string;
        lockMs: string;
        maxMemory?: string;
        plugin: string[];
      }) => {
        const limits = parseLimits({ maxMemory: opts.maxMemory });
        const concurrency =
          opts.concurrency === undefined
            ? availableParallelism()
            : capWorkers("--concurrency", parseIntFlag("--concurrency", opts.concurrency, 1), (m) =>
                process.stderr.write(`warning: ${m}\n`),
              );
        const lockMs = parseIntFlag("--lock-ms", opts.lockMs, 100);
        const w = await startQueueWorker({
          url: opts.redis,
          queue: opts.queue,
          concurrency,
          lockMs,
          limits,
          // Loaded already (the --plugin hook): the worker's threads load the same files.
          plugins: loadedPlugins().map((p) => p.path),
          log: (l) => process.stderr.write(`${new Date().toISOString()} ${l}\n`),
        });
        await new Promise<void>((resolveStop) => {
          const stop = () => {
            process.stderr.write("stopping: finishing running cells…\n");
            void w.close().then(resolveStop);
          };
          process.once("SIGINT", stop);
          process.once("SIGTERM", stop);
        });
      },
    );

  prog
    .command("export")
    .description(
      "export a results store's metrics, curves and the data behind each figure as Parquet or CSV (via DuckDB)",
    )
    .argument("<dir>", "results store directory")
    .option(
      "--parquet",
      "write metrics.parquet, curves.parquet and figure-<name>.parquet (the rows each figure draws)",
    )
    .option("--csv", "the same as CSV (curves in long format: one line per point)")
    .option("--out <dir>", "where to write (default: the store directory)")
    .action(async (dir: string, opts: { parquet?: boolean; csv?: boolean; out?: string }) => {
      if (opts.parquet === opts.csv) throw new UsageError(`"export" needs one format: --parquet or --csv.`);
      const format = opts.parquet ? "parquet" : "csv";
      readManifest(dir);
      const out = prepareOutputDir(opts.out ?? dir);
      const files = await withOutput(out, async () => [
        ...(await exportTables(dir, out.path, format)),
        ...(await exportFigureData(dir, out.path, format)),
      ]);
      process.stdout.write(`${files.map((f) => shownPath(f, opts.out ?? dir)).join("\n")}\n`);
    });

  prog
    .command("report")
    .description("write figures (SVG, PNG) and one HTML report for one or more results stores")
    .argument("<dirs...>", "results store directories")
    .option("--out <dir>", "where to write report.html (default: the first store)")
    .action(async (dirs: string[], opts: { out?: string }) => {
      // A sweep store, a `run` output (DIR/<id>/record.json) or a directory of either, such as
      // `run --out DIR` or `reproduce --out DIR` writes.
      const stores = dirs.flatMap((d) => reportSources(d));
      // Plug-in entries the records name that no loaded plug-in registers: drawn from the names
      // and colours the records keep, and said once.
      const unloaded = new Map<string, Set<string>>();
      for (const d of stores)
        for (const r of readRecords(d))
          for (const p of r.plugins ?? [])
            for (const e of p.entries ?? [])
              if (!(e.kind === "estimator" ? estimators : e.kind === "method" ? methods : null)?.has(e.id))
                unloaded.set(p.id, (unloaded.get(p.id) ?? new Set()).add(e.name));
      for (const [plugin, names] of unloaded)
        process.stderr.write(
          `metarep: plug-in "${plugin}" is not loaded: drawing ${[...names].join(", ")} with the name and colour the records keep.\n`,
        );
      for (const d of stores) {
        const m = readManifest(d);
        // A plug-in's experiment: name the plug-in (and the digest) the records were made with.
        if (!experiments.has(m.experiment)) {
          const refs = new Map(
            readRecords(d)
              .flatMap((r) => r.plugins ?? [])
              .map((p) => [p.id, p]),
          );
          requirePlugins([...refs.values()], `store ${rel(d)}`);
        }
      }
      const out = prepareOutputDir(opts.out ?? dirs[0]);
      const { path } = await withOutput(out, () => writeReport(stores, out.path));
      process.stdout.write(`Report: ${shownPath(path, opts.out ?? dirs[0])}\n`);
    });

  prog
    .command("schema")
    .description("print a JSON Schema (so far: `sweep`, the sweep spec)")
    .argument("<what>", "sweep")
    .action((what: string) => {
      if (what !== "sweep") throw new UsageError(`"schema" takes one of: sweep; got "${what}".`);
      process.stdout.write(`${JSON.stringify(sweepJsonSchema(), null, 2)}\n`);
    });
}
