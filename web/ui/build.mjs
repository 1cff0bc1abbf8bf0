// Builds the command centre into dist/: one JS bundle and one CSS file named
// by their content hash (served as immutable), index.html that names them,
// and gzipped copies that the Go handler serves to clients that take gzip.
// Usage: node build.mjs [--dev]   (--dev: no minification, inline source map)

import * as esbuild from "esbuild";
import { readFile, writeFile, rm, mkdir, readdir, copyFile } from "node:fs/promises";
import { gzipSync } from "node:zlib";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const dist = path.join(here, "dist");
const dev = process.argv.includes("--dev");

// Keep dist/README (committed, so that go:embed always has a file).
await mkdir(dist, { recursive: true });
for (const f of await readdir(dist)) if (f !== "README") await rm(path.join(dist, f), { recursive: true });

const result = await esbuild.build({
  entryPoints: { app: path.join(here, "src/main.js"), style: path.join(here, "src/style.css") },
  bundle: true,
  format: "esm",
  target: ["chrome110", "firefox115", "safari16"],
  minify: !dev,
  sourcemap: dev ? "inline" : false,
  entryNames: "[name]-[hash]",
  outdir: dist,
  metafile: true,
  legalComments: "linked",
  logLevel: "warning",
  define: { "process.env.NODE_ENV": dev ? '"development"' : '"production"' },
  // Fonts (style.css imports Inter's): copied into dist under hashed names.
  loader: { ".woff": "file", ".woff2": "file" },
});
// The font's licence (SIL OFL 1.1) goes with the font files.
await copyFile(path.join(here, "node_modules/@fontsource/inter/LICENSE"), path.join(dist, "inter-OFL.txt"));

const outs = Object.keys(result.metafile.outputs).map((p) => path.basename(p));
const js = outs.find((f) => f.startsWith("app-") && f.endsWith(".js"));
const css = outs.find((f) => f.startsWith("style-") && f.endsWith(".css"));
if (!js || !css) throw new Error(`build: missing outputs in ${outs.join(", ")}`);
const html = (await readFile(path.join(here, "src/index.html"), "utf8")).replace("{{JS}}", js).replace("{{CSS}}", css);
await writeFile(path.join(dist, "index.html"), html);

let total = 0;
for (const f of await readdir(dist)) {
  if (!/\.(js|css|html|txt)$/.test(f)) continue;
  const b = await readFile(path.join(dist, f));
  const z = gzipSync(b, { level: 9 });
  if (z.length < b.length * 0.9) await writeFile(path.join(dist, f + ".gz"), z);
  total += b.length;
}
console.log(`ui: built ${js} and ${css} (${(total / 1024).toFixed(0)} KiB) in ${path.relative(process.cwd(), dist) || "."}`);
