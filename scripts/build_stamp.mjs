// The build stamp: a hash of everything `npm run build` reads, written into dist/ after a build, so
// `prepare` can tell that dist/ is already the build of these sources and skip rebuilding.
//
// Why: in a fresh clone, `npm ci` builds (prepare), and then the first `npx ragged demo` builds
// again — npm 11 "installs" the project itself into npx's cache to run its bin, and that install
// runs `prepare` — 12 s of a 31 s first demo (measured 2026-12-04, npm 11.19, Node 20, 2 cores).
//
//   node scripts/build_stamp.mjs write   record the stamp (the last step of `npm run build`)
//   node scripts/build_stamp.mjs check   exit 0 when dist/ holds every output and the stamp matches
//                                        the sources; else exit 1 (then `prepare` builds). It says
//                                        which on stderr: stdout is npm's (`npm pack --json`).
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
export const STAMP = "dist/.build-stamp";

/** What the build reads besides src/ (compiler versions come with the lock file). */
const CONFIG_FILES = ["package.json", "package-lock.json", "tsconfig.json", "tsconfig.build.json"];
/** Outputs every build leaves; a stamp without them is not trusted. */
export const OUTPUTS = ["dist/index.js", "dist/node.js", "dist/cli/main.js", "dist/browser/ragged.js", "dist/browser/ragged.min.js", "dist/browser/ragged-vis.js"];
/** Under src/, what the build does not read: the wasm build's own output directory. */
const SKIPPED_DIRS = new Set(["src/core/wasm/build"]);

/** Every input file, relative to `root`, sorted: src/** and the config files. */
export function inputFiles(root = ROOT) {
  const files = [];
  const walk = (dir) => {
    for (const entry of readdirSync(join(root, dir), { withFileTypes: true })) {
      const path = `${dir}/${entry.name}`;
      if (entry.isDirectory()) {
        if (!SKIPPED_DIRS.has(path)) walk(path);
      } else if (entry.isFile()) files.push(path);
    }
  };
  walk("src");
  for (const f of CONFIG_FILES) if (existsSync(join(root, f))) files.push(f);
  return files.sort();
}

/** sha256 over every input's path and contents. */
export function inputsHash(root = ROOT) {
  const hash = createHash("sha256");
  for (const f of inputFiles(root)) {
    hash.update(f + "\0");
    hash.update(readFileSync(join(root, f)));
    hash.update("\0");
  }
  return hash.digest("hex");
}

/** Why dist/ is not the build of the current sources, or null when it is. */
export function staleReason(root = ROOT) {
  const missing = OUTPUTS.find((f) => !existsSync(join(root, f)));
  if (missing) return `${missing} is missing`;
  if (!existsSync(join(root, STAMP))) return `${STAMP} is missing`;
  const recorded = readFileSync(join(root, STAMP), "utf8").trim();
  return recorded === inputsHash(root) ? null : "the sources changed since the last build";
}

export function writeStamp(root = ROOT) {
  writeFileSync(join(root, STAMP), inputsHash(root) + "\n");
}

if (process.argv[1] && relative(process.argv[1], fileURLToPath(import.meta.url)) === "") {
  const command = process.argv[2];
  if (command === "write") {
    writeStamp();
  } else if (command === "check") {
    const reason = staleReason();
    if (reason !== null) {
      process.stderr.write(`build needed: ${reason}\n`);
      process.exit(1);
    }
    process.stderr.write("dist/ is the build of these sources (build stamp matches): not rebuilding\n");
  } else {
    process.stderr.write("usage: node scripts/build_stamp.mjs write|check\n");
    process.exit(2);
  }
}
