// Bundles src/widget.js and eventsource-parser into ../assistant/static/widget.js, the file the
// server sends at /widget.js. The built file is committed, so installing Paracite needs no node.
//
//   npm ci && npm run build     # rebuild after changing src/
//   npm run check               # fail if the committed build is not what src/ builds to

import { readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

import * as esbuild from "esbuild";

const here = dirname(fileURLToPath(import.meta.url));
const target = join(here, "..", "assistant", "static", "widget.js");
const check = process.argv.includes("--check");

const result = await esbuild.build({
  entryPoints: [join(here, "src", "widget.js")],
  bundle: true,
  format: "iife", // a classic script: document.currentScript works, and nothing leaks to window
  target: "es2020",
  minify: false, // readable in review; gzip takes most of the difference
  legalComments: "inline",
  charset: "utf8",
  banner: { js: "// Paracite chat widget. Built from widget/src by `npm run build` in widget/; do not edit." },
  write: false,
  logLevel: "warning",
});
const built = result.outputFiles[0].text;

if (check) {
  let committed = "";
  try {
    committed = readFileSync(target, "utf8");
  } catch {
    // missing counts as stale
  }
  if (committed !== built) {
    console.error(`${target} is stale: run \`npm run build\` in widget/`);
    process.exit(1);
  }
  console.log(`${target} is up to date`);
} else {
  writeFileSync(target, built);
  console.log(`wrote ${target} (${built.length} bytes)`);
}
