/**
 * The package as an outside user gets it: `npm pack --json` (which runs `prepare`, the build) must
 * print only JSON; the tarball ships what its docs point to, source maps that resolve and no tests;
 * a project made with `npm init -y` installs the tarball and runs the README's Install and API
 * sections as written (strict tsc, no casts), and `npx ragged-rnn --version | --help | demo` work.
 *
 * Slow (a build and an `npm install`, about a minute): kept in this file of its own. It needs the
 * npm registry (or npm's cache) for commander, typescript and @types/node, and nothing else.
 */
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { name: string; version: string };
const work = mkdtempSync(join(tmpdir(), "ragged-pack-"));
const extracted = join(work, "extracted", "package");
const consumer = join(work, "consumer");

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command without blocking the event loop; resolves with its exit code and output. */
function run(command: string, args: string[], cwd: string, timeoutMs = 300_000): Promise<Run> {
  return new Promise((done, fail) => {
    const child = spawn(command, args, { cwd, stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, npm_config_fund: "false", npm_config_audit: "false", npm_config_update_notifier: "false" } });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (s: string) => (stdout += s));
    child.stderr.setEncoding("utf8").on("data", (s: string) => (stderr += s));
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.on("error", fail);
    child.on("close", (code) => {
      clearTimeout(timer);
      done({ code, stdout, stderr });
    });
  });
}

async function ok(command: string, args: string[], cwd: string): Promise<Run> {
  const r = await run(command, args, cwd);
  if (r.code !== 0) throw new Error(`${command} ${args.join(" ")} exited ${r.code}\n${r.stderr}\n${r.stdout}`);
  return r;
}

/** Every file under `dir`, as paths relative to it with forward slashes. */
function filesUnder(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else out.push(relative(dir, p).split("\\").join("/"));
    }
  };
  walk(dir);
  return out;
}

/** The `nth` (from 0) fenced block of `lang` after the heading line `heading` in the README. */
function readmeBlock(readme: string, heading: string, lang: string, nth = 0): string {
  const at = readme.indexOf(`\n${heading}\n`);
  if (at < 0) throw new Error(`README has no "${heading}" heading`);
  let open = readme.indexOf("```" + lang + "\n", at);
  for (let k = 0; k < nth; k++) open = readme.indexOf("```" + lang + "\n", open + 1);
  const close = readme.indexOf("\n```", open + 4 + lang.length);
  return readme.slice(open + 4 + lang.length, close + 1);
}

let packJson: { name: string; version: string; filename: string; files: { path: string }[] }[];
let packStdout = "";
let shipped: Set<string>;

beforeAll(async () => {
  const packed = await ok("npm", ["pack", "--json", "--pack-destination", work], root);
  packStdout = packed.stdout;
  packJson = JSON.parse(packed.stdout) as typeof packJson;
  const tarball = join(work, packJson[0].filename);
  await ok("mkdir", ["-p", join(work, "extracted")], work);
  await ok("tar", ["-xzf", tarball, "-C", join(work, "extracted")], work);
  shipped = new Set(filesUnder(extracted));
}, 600_000);

afterAll(() => rmSync(work, { recursive: true, force: true }));

describe("npm pack", () => {
  it("prints only JSON on stdout (prepare's build output goes to stderr)", () => {
    expect(packStdout.trimStart().startsWith("[")).toBe(true);
    expect(() => JSON.parse(packStdout)).not.toThrow();
    expect(packJson[0].name).toBe("ragged-rnn");
    expect(packJson[0].version).toBe(pkg.version);
  });

  it("ships LICENSE, a CHANGELOG with a section for this version, README, both browser bundles with maps, the sources, and no tests", () => {
    for (const f of ["LICENSE", "CHANGELOG.md", "README.md", "package.json", "dist/index.js", "dist/index.d.ts", "dist/node.js", "dist/cli/main.js",
      "dist/browser/ragged.js", "dist/browser/ragged.js.map", "dist/browser/ragged.min.js", "dist/browser/ragged.min.js.map", "src/index.ts"]) {
      expect(shipped.has(f), f).toBe(true);
    }
    expect(readFileSync(join(extracted, "LICENSE"), "utf8")).toMatch(/^MIT License/);
    expect(readFileSync(join(extracted, "CHANGELOG.md"), "utf8")).toContain(`## [${pkg.version}]`);
    const tests = [...shipped].filter((f) => /\.test\.|test-support|(^|\/)test\//.test(f));
    expect(tests).toEqual([]);
    const manifest = JSON.parse(readFileSync(join(extracted, "package.json"), "utf8")) as { bin: Record<string, string>; license: string };
    expect(manifest.bin).toEqual({ ragged: "dist/cli/main.js", "ragged-rnn": "dist/cli/main.js" });
    expect(manifest.license).toBe("MIT");
  });

  it("every source map's sources are in the package (or embedded in the map)", () => {
    const maps = [...shipped].filter((f) => f.endsWith(".map"));
    expect(maps.length).toBeGreaterThan(50);
    const missing: string[] = [];
    for (const m of maps) {
      const map = JSON.parse(readFileSync(join(extracted, m), "utf8")) as { sources: string[]; sourcesContent?: (string | null)[] };
      map.sources.forEach((s, i) => {
        if (typeof map.sourcesContent?.[i] === "string") return;
        const target = relative(extracted, resolve(dirname(join(extracted, m)), s)).split("\\").join("/");
        if (!shipped.has(target)) missing.push(`${m} → ${s}`);
      });
    }
    expect(missing).toEqual([]);
  });

  // 10%: the bundles grow as features land; past that, update the README's table.
  it("the README states the browser bundles' sizes (within 10%)", () => {
    const readme = readFileSync(join(extracted, "README.md"), "utf8");
    for (const file of ["dist/browser/ragged.js", "dist/browser/ragged.min.js"]) {
      const row = readme.split("\n").find((l) => l.startsWith(`| \`${file}\` |`));
      expect(row, file).toBeDefined();
      const kB = Number(/\| (\d+) kB \|/.exec(row!)![1]);
      const actual = statSync(join(extracted, file)).size / 1000;
      expect(Math.abs(kB - actual) / actual, `${file}: README ${kB} kB, actual ${actual.toFixed(0)} kB: update the README's table`).toBeLessThan(0.1);
    }
  });

  it("docs never point into files the package does not ship", () => {
    // A path such as `src/x.ts`, `dist/…`, `test/…` in shipped docs and TSDoc must resolve inside the
    // package (from its root, or from src/ for the TSDoc's own `data/packed.ts`-style references).
    // README paragraphs and sections, and TSDoc lines, that say "repository" are about a clone and
    // may name more. A failure here: ship the file, or say "the repository's …" where it is named.
    const pathRef = /(?:^|[\s`("'])((?:src|dist|test|tests|bench|examples|data|scripts|\.ci)\/[\w./*-]*[\w*/])/g;
    const resolves = (ref: string, from: string[]): boolean => {
      const clean = ref.replace(/[.,;:]+$/, "");
      return from.some((base) => {
        const path = base + clean;
        if (shipped.has(path)) return true;
        const prefix = path.replace(/\*.*$/, "").replace(/\/?$/, "/");
        return [...shipped].some((f) => f.startsWith(prefix)); // a directory or a glob
      });
    };
    const bad: string[] = [];
    const readme = readFileSync(join(extracted, "README.md"), "utf8");
    let sectionIsRepo = false;
    let previous = "";
    for (const block of readme.split(/\n(?=#{2,} )|\n\s*\n/)) {
      if (/^#{2} /.test(block)) sectionIsRepo = /repository/i.test(block.split("\n")[0]);
      const introducedAsRepo = block.startsWith("```") && /repository/i.test(previous); // "The commands below run in a clone of the repository:"
      previous = block;
      if (sectionIsRepo || introducedAsRepo || /repository/i.test(block)) continue;
      for (const m of block.matchAll(pathRef)) if (!resolves(m[1], [""])) bad.push(`README.md: ${m[1]}`);
    }
    for (const f of shipped) {
      if (!f.startsWith("dist/") || f.startsWith("dist/browser/") || !/\.(d\.ts|js)$/.test(f)) continue;
      const text = readFileSync(join(extracted, f), "utf8").replace(/\/\/# sourceMappingURL=.*/g, "");
      for (const line of text.split("\n")) {
        if (/repository/i.test(line)) continue; // "the repository's bench/x.ts": says it is not in the package
        for (const m of line.matchAll(pathRef)) if (!resolves(m[1], ["", "src/"])) bad.push(`${f}: ${m[1]}`);
      }
    }
    expect(bad).toEqual([]);
  });

  it("holds no absolute path of the machine that built it", () => {
    const home = process.env.HOME ?? "/nonexistent-home";
    const bad: string[] = [];
    for (const f of shipped) {
      const text = readFileSync(join(extracted, f), "utf8");
      if (text.includes(root) || text.includes(home + "/") || /\/work\/(shared|main|i\d+)/.test(text)) bad.push(f);
    }
    expect(bad).toEqual([]);
  });
});

describe("a consumer project (npm init -y) with the tarball installed", () => {
  beforeAll(async () => {
    const tarball = join(work, packJson[0].filename);
    await ok("mkdir", ["-p", consumer], work);
    await ok("npm", ["init", "-y"], consumer);
    await ok("npm", ["pkg", "set", "type=module"], consumer);
    const ts = (JSON.parse(readFileSync(join(root, "node_modules/typescript/package.json"), "utf8")) as { version: string }).version;
    const types = (JSON.parse(readFileSync(join(root, "node_modules/@types/node/package.json"), "utf8")) as { version: string }).version;
    await ok("npm", ["i", "--prefer-offline", "--no-audit", "--no-fund", tarball], consumer);
    await ok("npm", ["i", "-D", "--prefer-offline", "--no-audit", "--no-fund", `typescript@${ts}`, `@types/node@${types}`], consumer);
  }, 600_000);

  it("compiles the README's API section with the README's strict tsconfig and runs it", async () => {
    const readme = readFileSync(join(root, "README.md"), "utf8");
    writeFileSync(join(consumer, "tsconfig.json"), readmeBlock(readme, "## Install", "json"));
    const api = readmeBlock(readme, "## API", "ts");
    expect(api).toContain('from "ragged-rnn"');
    expect(api).not.toMatch(/\bas (?!const\b)[A-Za-z[]/); // no casts
    writeFileSync(join(consumer, "main.ts"), api);
    const tsc = await run(join(consumer, "node_modules/.bin/tsc"), ["-p", "."], consumer);
    expect(tsc.stdout + tsc.stderr).toBe("");
    expect(tsc.code).toBe(0);
    const r = await run(process.execPath, ["main.js"], consumer);
    expect(r.stderr).not.toMatch(/Error/);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("Total params: 6,194");
    expect(r.stdout).toMatch(/^40 2$/m);
    expect(r.stdout).toMatch(/^5$/m);
    expect(r.stdout).toMatch(/^40$/m);
    expect(existsSync(join(consumer, "model", "model.json"))).toBe(true);
    expect(readdirSync(join(consumer, "model")).sort()).toEqual(["model.json", "weights.bin"]);
  });

  it("compiles the README's Functional models and Custom layers sections with strict tsc (the package's exports suffice) and runs them", async () => {
    const readme = readFileSync(join(root, "README.md"), "utf8");
    writeFileSync(join(consumer, "functional.ts"), readmeBlock(readme, "## Functional models", "ts"));
    writeFileSync(join(consumer, "scale.ts"), readmeBlock(readme, "## Custom layers", "ts", 0));
    writeFileSync(join(consumer, "custom.ts"), readmeBlock(readme, "## Custom layers", "ts", 1));
    const tsc = await run(join(consumer, "node_modules/.bin/tsc"), ["-p", "."], consumer);
    expect(tsc.stdout + tsc.stderr).toBe("");
    expect(tsc.code).toBe(0);
    const functional = await run(process.execPath, ["functional.js"], consumer);
    expect(functional.code, functional.stderr).toBe(0);
    expect(functional.stdout.trim().split("\n").at(-1)).toMatch(/^accuracy /);
    const custom = await run(process.execPath, ["custom.js"], consumer);
    expect(custom.code, custom.stderr).toBe(0);
    expect(custom.stdout.trim()).toBe("true Scale true");
    expect(readdirSync(join(consumer, "scaled")).sort()).toEqual(["model.json", "weights.bin"]);
  });

  it("a CommonJS file loads it with dynamic import(), as the README says", async () => {
    writeFileSync(join(consumer, "cjs.cjs"), 'import("ragged-rnn").then((r) => console.log(typeof r.sequential, r.kernels().name));\n');
    const r = await run(process.execPath, ["cjs.cjs"], consumer);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toMatch(/^function (wasm-simd|wasm-relaxed-simd|js)/);
  });

  it("npx ragged-rnn --version, --help and demo work, and so does the ragged bin", async () => {
    const version = await run("npx", ["--offline", "ragged-rnn", "--version"], consumer);
    expect(version.code).toBe(0);
    expect(version.stdout.trim()).toBe(pkg.version);
    const help = await run("npx", ["--offline", "ragged-rnn", "--help"], consumer);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain("Usage: ragged");
    for (const command of ["demo", "train", "predict", "evaluate", "summary"]) expect(help.stdout).toContain(command);
    const demo = await run("npx", ["--offline", "ragged-rnn", "demo", "--epochs", "1", "--steps", "2", "--batch-size", "16", "--json"], consumer);
    expect(demo.stderr).not.toMatch(/internal error/);
    expect(demo.code).toBe(0);
    const epoch = JSON.parse(demo.stdout.trim().split("\n")[0]) as { loss: number };
    expect(Number.isFinite(epoch.loss)).toBe(true);
    const same = await run("npx", ["--offline", "ragged", "--version"], consumer);
    expect(same.stdout.trim()).toBe(pkg.version);
  });
});
