import { useEffect, useRef, useState } from "preact/hooks";
import embed, { type Result } from "vega-embed";
import type { TopLevelSpec } from "vega-lite";

/**
 * One Vega-Lite figure, embedded as it is built by `src/report` (the CLI renders the same spec
 * to SVG/PNG). The export menu offers SVG and PNG; the online editor is left out (no network).
 */
export function Chart({
  spec,
  name,
  onRendered,
}: {
  spec: TopLevelSpec;
  name: string;
  /** Called with the milliseconds the embedding took (compile, parse, render), for pacing live redraws. */
  onRendered?: (ms: number) => void;
}) {
  const ref = useRef<HTMLDivElement>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    let result: Result | null = null;
    let cancelled = false;
    const t0 = performance.now();
    embed(el, spec, {
      renderer: "svg",
      actions: { export: true, source: false, compiled: false, editor: false },
      downloadFileName: name,
    })
      .then((r) => {
        if (cancelled) r.finalize();
        else {
          result = r;
          setError(null);
        }
        onRendered?.(performance.now() - t0);
      })
      .catch((e: unknown) => setError(e instanceof Error ? e.message : String(e)));
    return () => {
      cancelled = true;
      result?.finalize();
    };
  }, [spec, name]);
  return (
    <figure class="chart" data-figure={name}>
      <div ref={ref} />
      {error && (
        <p class="error">
          figure {name}: {error}
        </p>
      )}
    </figure>
  );
}
