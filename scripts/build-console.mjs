#!/usr/bin/env node
// Builds the web console (console/) into one JSON module the Worker imports:
// dist/console/assets.json maps each URL name under /console/ to its content
// type and text. The script and stylesheet get content-hashed names, so the
// Worker can let browsers cache them for good while the page itself is
// revalidated on every load. The bundle is build output, never committed:
// `npm run build` (and so `npm install`), `npm run typecheck`, the workerd
// tests (their globalSetup) and wrangler (its [build] command) all run this
// first. The same files are written beside it for a person to look at.
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const SOURCE_DIR = path.join(ROOT, "console");
const OUT_DIR = path.join(ROOT, "dist", "console");
/** Hex digits of the content hash in an asset's name. */
const HASH_HEX_DIGITS = 12;

const result = await build({
  entryPoints: [path.join(SOURCE_DIR, "src", "main.tsx")],
  bundle: true,
  format: "esm",
  platform: "browser",
  target: "es2022",
  minify: true,
  legalComments: "none",
  jsx: "automatic",
  jsxImportSource: "preact",
  tsconfig: path.join(SOURCE_DIR, "tsconfig.json"),
  outdir: "out",
  write: false,
  logLevel: "warning",
});
const script = result.outputFiles.find((f) => f.path.endsWith(".js"));
if (script === undefined) throw new Error("build-console: esbuild produced no script");
const style = readFileSync(path.join(SOURCE_DIR, "console.css"), "utf8");

const scriptName = hashedName("console", script.text, "js");
const styleName = hashedName("console", style, "css");
const page = readFileSync(path.join(SOURCE_DIR, "index.html"), "utf8")
  .replace("%SCRIPT%", `/console/${scriptName}`)
  .replace("%STYLE%", `/console/${styleName}`);
const unfilled = /%[A-Z]+%/.exec(page);
if (unfilled !== null) throw new Error(`build-console: index.html has a placeholder this script does not fill: ${unfilled[0]}`);

const assets = {
  "index.html": { contentType: "text/html; charset=utf-8", body: page },
  [scriptName]: { contentType: "text/javascript; charset=utf-8", body: script.text },
  [styleName]: { contentType: "text/css; charset=utf-8", body: style },
};
// Anew each time, so old hashed files do not pile up.
rmSync(OUT_DIR, { recursive: true, force: true });
mkdirSync(OUT_DIR, { recursive: true });
for (const [name, asset] of Object.entries(assets)) writeFileSync(path.join(OUT_DIR, name), asset.body);
writeFileSync(path.join(OUT_DIR, "assets.json"), JSON.stringify(assets));

function hashedName(stem, text, extension) {
  const hash = createHash("sha256").update(text).digest("hex").slice(0, HASH_HEX_DIGITS);
  return `${stem}-${hash}.${extension}`;
}
