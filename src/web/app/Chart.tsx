import { useEffect, useRef, useState } from "preact/hooks";
import type { View } from "vega";
import embed, { type Result } from "vega-embed";
import type { TopLevelSpec } from "vega-lite";
import { type Fit, fitSpec, nextFit, readableSpec } from "./pageSpec.js";

/**
 * A drawn figure's element; `vegaView` is its live Vega view (for the tests and the console). The
 * element has `aria-busy="true"` from the moment its spec or its width changes until it is drawn,
 * and `data-room` is the width (px) it was last drawn for.
 */
export type ChartElement = HTMLElement & { vegaView?: View };

/** Re-layouts tried before a figure that still does not fit is left to scroll in its box. */
const MAX_FITS = 5;

/** Width available to a figure: its container's content box. */
function roomOf(el: HTMLElement): number {
  const parent = el.parentElement ?? el;
  const cs = getComputedStyle(parent);
  return Math.floor(
    parent.clientWidth - Number.parseFloat(cs.paddingLeft) - Number.parseFloat(cs.paddingRight),
  );
}

/**
 * One Vega-Lite figure, embedded as it is built by `src/report` (the CLI renders the same spec
 * to SVG/PNG) with the page's text sizes (`readableSpec`). A figure wider than its container is
 * laid out again, more compactly (`nextFit`), until it fits; the layout found is kept for the
 * next redraw of a live figure at the same width. The export menu offers SVG and PNG; the online
 * editor is left out (no network).
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
  const box = useRef<HTMLElement>(null);
  const ref = useRef<HTMLDivElement>(null);
  const [error, setError] = useState<string | null>(null);
  const [room, setRoom] = useState<number | null>(null);
  /** The spec and room last drawn (or failed): the figure is busy until they are the current ones. */
  const [drawn, setDrawn] = useState<{ spec: TopLevelSpec; room: number } | null>(null);
  const busy = drawn === null || drawn.spec !== spec || drawn.room !== room;
  const fitted = useRef<{ room: number; fit: Fit }>({ room: -1, fit: {} });

  useEffect(() => {
    const el = box.current;
    const parent = el?.parentElement;
    if (!el || !parent) return;
    setRoom(roomOf(el));
    const observer = new ResizeObserver(() => setRoom(roomOf(el)));
    observer.observe(parent);
    return () => observer.disconnect();
  }, []);

  useEffect(() => {
    const el = ref.current;
    const figure = box.current as ChartElement | null;
    if (!el || !figure || room === null) return;
    let result: Result | null = null;
    let cancelled = false;
    const t0 = performance.now();
    const readable = readableSpec(spec);
    // Titles wrap to the room left of vega-embed's menu (38 px) and the view's padding.
    let fit: Fit = fitted.current.room === room ? fitted.current.fit : { wrap: Math.max(200, room - 60) };
    const draw = async () => {
      let drawnResult: Result;
      for (let attempt = 0; ; attempt++) {
        const r = await embed(el, fitSpec(readable, fit), {
          renderer: "svg",
          actions: { export: true, source: false, compiled: false, editor: false },
          downloadFileName: name,
        });
        if (cancelled) {
          r.finalize();
          // Still reported: live redraws are paced by the time drawing takes, drawn or not.
          onRendered?.(performance.now() - t0);
          return;
        }
        // The drawn width: the SVG plus the room vega-embed keeps right of it for its menu.
        const svg = el.querySelector("svg");
        const drawn = svg
          ? svg.getBoundingClientRect().right -
            el.getBoundingClientRect().left +
            Number.parseFloat(getComputedStyle(el).paddingRight)
          : 0;
        const next = attempt < MAX_FITS ? nextFit(readable, fit, drawn, room) : null;
        if (next === null) {
          drawnResult = r;
          break;
        }
        r.finalize();
        fit = next;
      }
      result = drawnResult;
      fitted.current = { room, fit };
      figure.vegaView = result.view;
      setError(null);
      setDrawn({ spec, room });
      onRendered?.(performance.now() - t0);
    };
    draw().catch((e: unknown) => {
      if (cancelled) return;
      setError(e instanceof Error ? e.message : String(e));
      setDrawn({ spec, room });
    });
    return () => {
      cancelled = true;
      if (figure.vegaView === result?.view) figure.vegaView = undefined;
      result?.finalize();
    };
  }, [spec, name, room]);

  return (
    <figure
      class="chart"
      data-figure={name}
      ref={box}
      aria-busy={busy ? "true" : undefined}
      data-room={drawn?.room}
    >
      <div ref={ref} />
      {error && (
        <p class="error">
          figure {name}: {error}
        </p>
      )}
    </figure>
  );
}
