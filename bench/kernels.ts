/**
 * Bench suite "kernels": the WebAssembly SIMD kernel module (src/linalg/wasm) on square GEMMs,
 * n = 512 and 1024, in Node and in Chromium (the compiled linalg folder served to a page and
 * imported there: the same module, so the same bits), beside NumPy's figure with one thread and
 * with its default threads (`bench/reference/gemm_ref.py`, fair environment). Also: the share
 * of a call spent copying operands into and out of the module's memory, and the weighted
 * rank-k update behind the method of moments. Best of `--repeat` after a warm-up.
 */
import { cpSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { gemm, strided, syrkWeighted } from "../src/linalg/gemm.js";
import { gemmJs } from "../src/linalg/gemmJs.js";
import { type Mat, zeros } from "../src/linalg/mat.js";
import { launchChromium } from "../src/web/browser.js";
import { serveStatic } from "../src/web/staticServer.js";
import { type BenchOptions, benchReference, REF_THREADS, runReference } from "./common.js";

const SIZES = [512, 1024];

/** Deterministic entries in [−0.5, 0.5) (no Math.random: the lint rule holds in the bench too). */
function filled(rows: number, cols: number, seed: number): Mat {
  const M = zeros(rows, cols);
  for (let i = 0; i < M.data.length; i++) M.data[i] = (((i + seed) * 7919) % 1009) / 1009 - 0.5;
  return M;
}

function gflops(n: number, seconds: number): number {
  return (2 * n * n * n) / seconds / 1e9;
}

function bestOf(repeat: number, f: () => void): number {
  f();
  let best = Number.POSITIVE_INFINITY;
  for (let r = 0; r < Math.max(1, repeat); r++) {
    const t0 = performance.now();
    f();
    best = Math.min(best, (performance.now() - t0) / 1000);
  }
  return best;
}

/** GFLOP/s of the same kernel in Chromium: the compiled linalg folder, imported by a blank page. */
async function chromiumGflops(repeat: number): Promise<number[] | null> {
  const here = dirname(fileURLToPath(import.meta.url));
  const linalg = resolve(here, "..", "src", "linalg");
  const root = mkdtempSync(join(tmpdir(), "metarep-bench-kernels-"));
  let chromium: Awaited<ReturnType<typeof launchChromium>> | null = null;
  let site: Awaited<ReturnType<typeof serveStatic>> | null = null;
  try {
    cpSync(linalg, join(root, "linalg"), { recursive: true });
    // linalg/errors.js imports ../errors.js (the package's error classes), which imports
    // ./suggest.js (did-you-mean).
    for (const f of ["errors.js", "suggest.js"]) cpSync(resolve(here, "..", "src", f), join(root, f));
    writeFileSync(join(root, "index.html"), "<!doctype html><title>kernels</title>");
    site = await serveStatic(root);
    chromium = await launchChromium();
    const page = await chromium.browser.newPage();
    await page.goto(site.url);
    return await page.evaluate(
      async ({ sizes, repeat }) => {
        const url = "./linalg/gemm.js";
        const { gemm } = (await import(url)) as typeof import("../src/linalg/gemm.js");
        const out: number[] = [];
        for (const n of sizes) {
          const mk = (seed: number) => {
            const data = new Float64Array(n * n);
            for (let i = 0; i < data.length; i++) data[i] = (((i + seed) * 7919) % 1009) / 1009 - 0.5;
            return { rows: n, cols: n, data };
          };
          const A = mk(1);
          const B = mk(2);
          const C = mk(3);
          gemm(false, false, 1, A, B, 0, C);
          let best = Number.POSITIVE_INFINITY;
          for (let r = 0; r < Math.max(1, repeat); r++) {
            const t0 = performance.now();
            gemm(false, false, 1, A, B, 0, C);
            best = Math.min(best, (performance.now() - t0) / 1000);
          }
          out.push((2 * n * n * n) / best / 1e9);
        }
        return out;
      },
      { sizes: SIZES, repeat },
    );
  } catch (e) {
    console.log(`(Chromium run failed: ${(e as Error).message.split("\n")[0]})`);
    return null;
  } finally {
    await chromium?.close();
    await site?.close();
    rmSync(root, { recursive: true, force: true });
  }
}

export async function benchKernels({ only, repeat }: BenchOptions): Promise<void> {
  if (only.length > 0 && !only.some((o) => "kernels gemm wasm".includes(o))) return;
  const rep = Math.max(repeat, 5);
  const node = SIZES.map((n) => {
    const A = filled(n, n, 1);
    const B = filled(n, n, 2);
    const C = zeros(n, n);
    return gflops(
      n,
      bestOf(rep, () => gemm(false, false, 1, A, B, 0, C)),
    );
  });
  const js = gflops(
    512,
    bestOf(2, () => gemmJs(false, false, 1, filled(512, 512, 1), filled(512, 512, 2), 0, zeros(512, 512))),
  );
  const browser = await chromiumGflops(rep);
  const numpy = REF_THREADS.map((t) => {
    try {
      return JSON.parse(runReference(benchReference("gemm_ref.py"), ["--sizes", SIZES.join(",")], t)) as {
        gflops: number[];
      };
    } catch {
      return null;
    }
  });
  const f = (x: number | undefined) => (x === undefined || !Number.isFinite(x) ? "—" : x.toFixed(2));
  console.log(
    "GEMM n×n | wasm Node GFLOP/s | wasm Chromium GFLOP/s | NumPy 1 thread | NumPy default threads | Node / NumPy 1 thread | goal (512²)",
  );
  SIZES.forEach((n, i) => {
    const one = numpy[1]?.gflops[i];
    console.log(
      `${n}² | ${f(node[i])} | ${f(browser?.[i])} | ${f(one)} | ${f(numpy[0]?.gflops[i])} | ${one ? `${(node[i] / one).toFixed(2)}×` : "—"} | ${n === 512 ? "Node ≥ 15, Chromium ≥ 12" : ""}`,
    );
  });
  console.log(`former JS kernel (gemmJs), 512²: ${f(js)} GFLOP/s`);

  // Copy cost: a whole call against the module's own time, at the CNN's forward shape (the
  // smallest hot product: 1000 × 400 times 400 × 40) — memcpy of A, B, C in and C out.
  const X = filled(1000, 400, 4);
  const W = filled(40, 400, 5);
  const Z = zeros(1000, 40);
  const whole = bestOf(rep * 4, () => gemm(false, true, 1, X, W, 0, Z));
  // The same moves as a call makes, without the product.
  const tmp = new Float64Array(X.data.length + W.data.length + Z.data.length);
  const copy = bestOf(rep * 4, () => {
    tmp.set(X.data, 0);
    tmp.set(W.data, X.data.length);
    tmp.set(Z.data, X.data.length + W.data.length);
    Z.data.set(tmp.subarray(0, Z.data.length));
  });
  console.log(
    `copy share at 1000×400·(40×400)ᵀ: call ${(whole * 1e3).toFixed(3)} ms, of which copies ≈ ${(copy * 1e3).toFixed(3)} ms (${((100 * copy) / whole).toFixed(0)}%)`,
  );

  // The method of moments' update: 4096 rows × d=100, weighted.
  const R = filled(4096, 100, 6);
  const w = filled(4096, 1, 7).data;
  const M = zeros(100, 100);
  const t = bestOf(rep * 4, () => syrkWeighted(1, strided(R), w, 1, M));
  console.log(
    `weighted rank-k update (4096 rows, d=100): ${(t * 1e3).toFixed(3)} ms, ${((4096 * 100 * 100) / t / 1e9).toFixed(2)} GFLOP/s (k·d² flops, half of a GEMM's)`,
  );
}
