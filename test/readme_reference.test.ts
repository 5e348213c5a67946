/**
 * The README's reference tables against the code they describe: every error code (and only those),
 * every option of every optimizer with its default, the losses and metrics `compile` lists; and
 * TSDoc on each error code, each optimizer option and each `compile` option.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { RaggedError, getLoss, getOptimizer, optimizerNames, resolveMetric } from "../src/index.js";

const root = join(__dirname, "..");
const readme = readFileSync(join(root, "README.md"), "utf8");
const source = (file: string) => readFileSync(join(root, "src", file), "utf8");

/** The rows of the first Markdown table after `heading` whose header row starts with `firstColumn`. */
function table(heading: string, firstColumn: string): string[][] {
  const from = readme.indexOf(`\n${heading}\n`);
  expect(from, heading).toBeGreaterThan(0);
  const lines = readme.slice(from).split("\n");
  const start = lines.findIndex((l) => l.startsWith(`| ${firstColumn} |`));
  expect(start, `${heading}: table "${firstColumn}"`).toBeGreaterThan(0);
  const rows: string[][] = [];
  for (const line of lines.slice(start + 2)) {
    if (!line.startsWith("|")) break;
    rows.push(line.slice(1, -1).split(" | ").map((c) => c.trim()));
  }
  return rows;
}

const unquote = (cell: string) => cell.replace(/`/g, "");

/** Each member of a string-literal union type in `text`, and whether a TSDoc comment precedes it. */
function unionMembers(text: string, typeName: string): { name: string; documented: boolean }[] {
  const body = text.slice(text.indexOf(`export type ${typeName} =`)).split("\n\n")[0];
  const lines = body.split("\n");
  return lines.flatMap((line, k) => {
    const m = /^\s*\| "([A-Z_]+)"/.exec(line);
    return m ? [{ name: m[1], documented: /\*\/\s*$/.test(lines[k - 1] ?? "") }] : [];
  });
}

/** The properties of `export interface name` in `text`, and whether each has a TSDoc comment. */
function interfaceProperties(text: string, name: string): { name: string; documented: boolean }[] {
  const from = text.indexOf(`export interface ${name}`);
  expect(from, name).toBeGreaterThanOrEqual(0);
  const body = text.slice(text.indexOf("{", from) + 1);
  const lines: string[] = [];
  let depth = 0;
  for (const line of body.split("\n")) {
    if (depth === 0 && /^}/.test(line)) break;
    lines.push(line);
    depth += (line.match(/{/g) ?? []).length - (line.match(/}/g) ?? []).length;
  }
  return lines.flatMap((line, k) => {
    const m = /^ {2}(\w+)\??:/.exec(line);
    return m ? [{ name: m[1], documented: /\*\/\s*$/.test(lines[k - 1] ?? "") }] : [];
  });
}

describe("README Errors section", () => {
  it("lists every error code, and only those; each has TSDoc", () => {
    const codes = unionMembers(source("core/errors.ts"), "ErrorCode");
    expect(codes.length).toBeGreaterThan(20);
    expect(table("### Errors", "Code").map((r) => unquote(r[0])).sort()).toEqual(codes.map((c) => c.name).sort());
    expect(codes.filter((c) => !c.documented).map((c) => c.name)).toEqual([]);
  });

  it("names the properties a RaggedError carries", () => {
    const props = table("### Errors", "Property").map((r) => unquote(r[0]));
    const e = new RaggedError("FEATURE_MISMATCH", "x", { expected: "3", received: "2", help: "h" });
    for (const p of ["code", "expected", "received", "help"]) {
      expect(props).toContain(p);
      expect(e[p as keyof RaggedError]).toBeDefined();
    }
  });
});

describe("README optimizer table", () => {
  const rows = table("### Losses, metrics, optimizers, callbacks", "Optimizer");
  const forOptimizer = (name: string) => rows.filter((r) => r[0] === "all" || unquote(r[0]).split(", ").includes(name));

  /** A default cell for one optimizer: `0.9`, `false`, `none`, `0.01 (SGD), 0.001 (others)`, `none (AdamW: 0.004)`. */
  function defaultFor(cell: string, optimizer: string): unknown {
    const value = (v: string) => (v === "none" ? undefined : v === "true" || v === "false" ? v === "true" : Number(v));
    const special = /^(\S+) \((\w+): (\S+)\)$/.exec(cell);
    if (special) return special[2].toLowerCase() === optimizer ? value(special[3]) : value(special[1]);
    if (cell.includes("(")) {
      const parts = cell.split(", ").map((p) => /^(\S+) \((\w+)\)$/.exec(p) as RegExpExecArray);
      const own = parts.find((p) => p[2].toLowerCase() === optimizer) ?? parts.find((p) => p[2] === "others");
      return value((own as RegExpExecArray)[1]);
    }
    return value(cell);
  }

  it("lists exactly the options each optimizer takes", () => {
    expect(optimizerNames().sort()).toEqual(["adagrad", "adam", "adamw", "rmsprop", "sgd"]);
    for (const name of optimizerNames()) {
      let allowed: string[] = [];
      try {
        getOptimizer({ name, notAnOption: 1 });
      } catch (e) {
        allowed = [...((e as RaggedError).expected ?? "").matchAll(/`(\w+)`/g)].map((m) => m[1]);
      }
      expect(allowed.length, name).toBeGreaterThan(4);
      expect(forOptimizer(name).map((r) => unquote(r[1])).sort(), name).toEqual(allowed.sort());
    }
  });

  it("states each option's default as the optimizer has it", () => {
    for (const name of optimizerNames()) {
      const config = getOptimizer(name).getConfig();
      for (const row of forOptimizer(name)) {
        const option = unquote(row[1]);
        expect(config[option], `${name}.${option}`).toEqual(defaultFor(row[2], name));
      }
    }
  });

  it("every option has TSDoc on its exported type", () => {
    const files: Record<string, string> = {
      OptimizerArgs: "training/optimizers/optimizer.ts", AdamArgs: "training/optimizers/adam.ts", SGDArgs: "training/optimizers/sgd.ts",
      RMSpropArgs: "training/optimizers/rmsprop.ts", AdagradArgs: "training/optimizers/adagrad.ts",
      ExponentialDecayArgs: "training/optimizers/schedules.ts", PiecewiseConstantDecayArgs: "training/optimizers/schedules.ts", CosineDecayArgs: "training/optimizers/schedules.ts",
      CompileArgs: "models/functional.ts",
    };
    const undocumented = Object.entries(files).flatMap(([type, file]) => {
      const props = interfaceProperties(source(file), type);
      expect(props.length, type).toBeGreaterThan(0);
      return props.filter((p) => !p.documented).map((p) => `${type}.${p.name}`);
    });
    expect(undocumented).toEqual([]);
  });
});

describe("README compile table", () => {
  const rows = table("### Losses, metrics, optimizers, callbacks", "Option");

  it("names every CompileArgs option", () => {
    const props = interfaceProperties(source("models/functional.ts"), "CompileArgs").map((p) => p.name);
    expect(rows.map((r) => unquote(r[0])).sort()).toEqual(props.sort());
  });

  it("every loss and metric it names resolves", () => {
    const quoted = (cell: string) => [...cell.matchAll(/`"(\w+)"`/g)].map((m) => m[1]);
    const losses = quoted(rows.find((r) => r[0] === "`loss`")![2]);
    expect(losses.length).toBeGreaterThanOrEqual(9);
    for (const l of losses) expect(() => getLoss(l), l).not.toThrow();
    const metrics = quoted(rows.find((r) => r[0] === "`metrics`")![2]);
    expect(metrics.length).toBeGreaterThanOrEqual(9);
    for (const m of metrics) expect(() => resolveMetric(m, { loss: "categoricalCrossentropy", outputWidth: 3 }), m).not.toThrow();
  });
});
