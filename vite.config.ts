import { defineConfig } from "vite";

/**
 * The web page (src/web/app): `npm run web` serves it, `npm run build:web` writes a static site
 * to dist/web and `npm run serve:web` (vite preview) serves that site. Cross-origin isolation
 * headers give the page SharedArrayBuffer, which the playground's pause uses; both servers send
 * them, and static hosts should send the same two headers (README).
 */
const isolation = {
  "Cross-Origin-Opener-Policy": "same-origin",
  "Cross-Origin-Embedder-Policy": "require-corp",
};

export default defineConfig({
  root: "src/web/app",
  base: "./",
  esbuild: { jsx: "automatic", jsxImportSource: "preact" },
  build: {
    outDir: "../../../dist/web",
    emptyOutDir: true,
    target: "es2022",
    // vega + vega-lite are most of the page; one chunk is fine for a page loaded once.
    chunkSizeWarningLimit: 4096,
    rollupOptions: {
      onwarn(warning, warn) {
        // zod's sources carry explanatory comments next to @__PURE__ that Rollup drops (harmless).
        if (warning.code === "INVALID_ANNOTATION") return;
        warn(warning);
      },
    },
  },
  worker: { format: "es" },
  server: { headers: isolation },
  preview: { headers: isolation },
});
