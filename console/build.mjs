// Bundles the console (Preact and uPlot included) into dist/console/app.js and app.css: the
// package ships them, and the server serves them; nothing is fetched from anywhere else.
import { build } from "esbuild";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
await build({
  entryPoints: { app: path.join(here, "main.tsx") },
  outdir: path.join(here, "..", "dist", "console"),
  bundle: true,
  minify: true,
  format: "iife",
  target: ["es2022"],
  jsx: "automatic",
  jsxImportSource: "preact",
  legalComments: "none",
  logLevel: "warning",
});
