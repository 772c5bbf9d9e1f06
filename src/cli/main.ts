import { join, relative, resolve } from "node:path";
import { Command, CommanderError, Option } from "commander";
import { MetarepError } from "../errors.js";
import { parseSetValue } from "../experiments/params.js";
import { getExperiment, listExperiments } from "../experiments/registry.js";
import { checkSize, resolveParams, SIZE_NAMES } from "../experiments/resolve.js";
import type { Experiment, RunRecord, SizeName } from "../experiments/types.js";
import { experimentFigures } from "../report/experimentFigures.js";
import { type ReportSection, reportHtml } from "../report/html.js";
import { writeFigure } from "../report/render.js";
import { formatTable, summaryRows } from "../report/summaryTable.js";
import { runRecord } from "../sweep/record.js";
import { METAREP_VERSION } from "../version.js";
import { COMMAND_MODULES } from "./commands.js";
import { getDatasetLoader } from "./datasets.js";
import { writeFileAtomic } from "./io.js";
import { makeProgress } from "./progress.js";

/** A usage error: printed as one line, exit code 2, nothing written. */
class UsageError extends MetarepError {
  override name = "UsageError";
}

function parseIntFlag(flag: string, text: string, min: number): number {
  if (!/^\d+$/.test(text.trim()) || Number(text) < min || !Number.isSafeInteger(Number(text))) {
    throw new UsageError(`"${flag}" must be an integer ≥ ${min}; got "${text}".`);
  }
  return Number(text);
}

function parseSets(sets: string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const s of sets) {
    const eq = s.indexOf("=");
    if (eq <= 0) throw new UsageError(`"--set" must be name=value; got "${s}".`);
    out[s.slice(0, eq).trim()] = parseSetValue(s.slice(eq + 1));
  }
  return out;
}

interface RunPlan {
  exp: Experiment;
  /** Path given with --data, for experiments that declare a dataset. */
  data?: string;
  size: SizeName;
  params: Record<string, unknown>;
  seeds: number;
  seed: number;
  command: string;
}

/** Validate everything about a run before anything is computed or written. */
function plan(
  id: string,
  opts: { size: string; seeds?: string; seed: string; set: string[]; data?: string },
): RunPlan {
  const exp = getExperiment(id);
  if (exp.dataset && opts.data === undefined) {
    throw new UsageError(`"--data" is required by ${id}: ${exp.dataset.description}.`);
  }
  if (!exp.dataset && opts.data !== undefined) {
    throw new UsageError(`"--data" is not taken by ${id} (it generates its own data); got "${opts.data}".`);
  }
  const size = checkSize(opts.size);
  const overrides = parseSets(opts.set);
  const params = resolveParams(exp, size, overrides) as Record<string, unknown>;
  const seeds = opts.seeds === undefined ? exp.seeds[size] : parseIntFlag("--seeds", opts.seeds, 1);
  const seed = parseIntFlag("--seed", opts.seed, 0);
  const sets = opts.set.map((s) => ` --set ${s}`).join("");
  const data = opts.data === undefined ? "" : ` --data ${JSON.stringify(opts.data)}`;
  const command = `metarep run ${id} --size ${size} --seeds ${seeds} --seed ${seed}${sets}${data}`;
  return { exp, size, params, seeds, seed, command, data: opts.data };
}

async function execute(p: RunPlan, quiet: boolean): Promise<RunRecord> {
  let dataset: { data: unknown; info: { kind: string; path: string; digest: string } } | undefined;
  if (p.exp.dataset && p.data !== undefined) {
    const loaded = await getDatasetLoader(p.exp.dataset.kind).load(p.data);
    dataset = { data: loaded.data, info: { kind: p.exp.dataset.kind, path: p.data, digest: loaded.digest } };
  }
  const progress = makeProgress(`${p.exp.id} (${p.seeds} seeds)`, quiet);
  try {
    return runRecord({
      experiment: p.exp,
      params: p.params,
      size: p.size,
      seed: p.seed,
      seedIndices: Array.from({ length: p.seeds }, (_, i) => i),
      command: p.command,
      ctx: {
        progress: progress.update,
        warn: (m) => process.stderr.write(`warning: ${m}\n`),
        dataset: dataset?.data,
      },
      dataset: dataset?.info,
    });
  } finally {
    progress.stop();
  }
}

/** Write the record and its figures under `dir/<id>/`; returns the figure paths. */
async function writeOutputs(p: RunPlan, record: RunRecord, dir: string): Promise<string[]> {
  const sub = join(dir, p.exp.id);
  writeFileAtomic(join(sub, "record.json"), `${JSON.stringify(record)}\n`);
  const paths: string[] = [];
  for (const fig of experimentFigures(p.exp, record)) {
    const out = await writeFigure(fig.spec, sub, fig.name);
    paths.push(out.png);
  }
  return paths;
}

function theoryNotes(record: RunRecord): string[] {
  const notes: string[] = [];
  for (const row of summaryRows(record)) {
    if (row.rate === undefined) continue;
    const mu = /mu=([^ ]+)/.exec(row.condition)?.[1];
    const theory = record.result.seeds[0]?.scalars[`theoryRate[mu=${mu}]`];
    if (theory === undefined || theory === null) continue;
    const measured = row.rate === null ? "no fit" : row.rate.toFixed(5);
    notes.push(`${row.method} at µ=${mu}: fitted rate ${measured}, theory 1 − αβµ² = ${theory.toFixed(5)}`);
  }
  return notes;
}

function program(): Command {
  const prog = new Command("metarep")
    .description("A lab bench for the theory of multi-task representation learning and meta-learning")
    .version(METAREP_VERSION)
    .exitOverride()
    .showSuggestionAfterError(true);

  prog
    .command("list")
    .description("list the registered experiments")
    .option("--json", "print as JSON")
    .action((opts: { json?: boolean }) => {
      const rows = listExperiments().map((e) => ({
        id: e.id,
        title: e.title,
        "seeds (smoke/paper)": `${e.seeds.smoke}/${e.seeds.paper}`,
      }));
      if (opts.json) {
        const full = listExperiments().map((e) => ({
          id: e.id,
          title: e.title,
          paper: e.paper,
          description: e.description,
          sizes: e.sizes,
          seeds: e.seeds,
        }));
        process.stdout.write(`${JSON.stringify(full, null, 2)}\n`);
      } else process.stdout.write(`${formatTable(rows)}\n`);
    });

  const collect = (v: string, acc: string[]) => [...acc, v];
  const sizeOpt = () =>
    new Option("--size <size>", `experiment size (${SIZE_NAMES.join("|")})`).default("paper");

  prog
    .command("run")
    .description("run one experiment: print a summary, write the record and the figures")
    .argument("<id>", "experiment id (see `metarep list`)")
    .addOption(sizeOpt())
    .option("--seeds <N>", "number of seeds (default: the size's)")
    .option("--seed <S>", "root seed", "0")
    .option("--set <name=value>", "override a parameter (repeatable; lists as a,b,c; inf for ∞)", collect, [])
    .option("--out <dir>", "output directory", "results")
    .option("--json", "print the record as JSON on stdout")
    .option("--data <path>", "real data set, for experiments that take one (see `metarep list`)")
    .action(
      async (
        id: string,
        opts: {
          size: string;
          seeds?: string;
          seed: string;
          set: string[];
          out: string;
          json?: boolean;
          data?: string;
        },
      ) => {
        const p = plan(id, opts);
        const record = await execute(p, Boolean(opts.json));
        const figs = await writeOutputs(p, record, resolve(opts.out));
        if (opts.json) {
          process.stdout.write(`${JSON.stringify(record)}\n`);
          return;
        }
        process.stdout.write(`${p.exp.title}\n${p.command}\n\n${formatTable(summaryRows(record))}\n`);
        for (const n of theoryNotes(record)) process.stdout.write(`${n}\n`);
        process.stdout.write(
          `\nrecord: ${relative(process.cwd(), join(resolve(opts.out), p.exp.id, "record.json"))}\nfigures: ${figs
            .map((f) => relative(process.cwd(), f))
            .join(", ")}\n`,
        );
      },
    );

  prog
    .command("reproduce")
    .description("run every registered experiment (or the given ones) and write figures and a report")
    .argument("[ids...]", "experiment ids (default: all)")
    .addOption(sizeOpt())
    .option("--seeds <N>", "number of seeds per experiment (default: each size's)")
    .option("--seed <S>", "root seed", "0")
    .option("--out <dir>", "output directory", "results")
    .action(async (ids: string[], opts: { size: string; seeds?: string; seed: string; out: string }) => {
      // Experiments on real data need files we cannot ship; `run <id> --data PATH` runs them.
      const chosen = ids.length
        ? ids
        : listExperiments()
            .filter((e) => !e.dataset)
            .map((e) => e.id);
      const plans = chosen.map((id) => plan(id, { ...opts, set: [] }));
      const out = resolve(opts.out);
      const sections: ReportSection[] = [];
      const t0 = performance.now();
      for (const p of plans) {
        const record = await execute(p, false);
        const figs = await writeOutputs(p, record, out);
        const rows = summaryRows(record);
        sections.push({
          id: p.exp.id,
          title: p.exp.title,
          paper: p.exp.paper,
          record,
          rows,
          images: figs.map((f) => relative(out, f)),
          notes: theoryNotes(record),
        });
        process.stdout.write(
          `\n== ${p.exp.id}: ${p.exp.title} (${record.seconds.toFixed(1)} s)\n${formatTable(rows)}\n`,
        );
        for (const n of theoryNotes(record)) process.stdout.write(`${n}\n`);
      }
      const report = join(out, "report.html");
      writeFileAtomic(report, reportHtml(sections, new Date().toISOString()));
      process.stdout.write(
        `\nDone in ${((performance.now() - t0) / 1000).toFixed(1)} s. Report: ${relative(process.cwd(), report)}; figures and records under ${relative(process.cwd(), out) || "."}/<experiment>/\n`,
      );
    });

  for (const add of COMMAND_MODULES) add(prog);
  return prog;
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
    if (e instanceof MetarepError) {
      process.stderr.write(`metarep: ${e.message}\n`);
      return 2;
    }
    throw e;
  }
}
