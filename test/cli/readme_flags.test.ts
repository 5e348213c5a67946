/**
 * Issue 14, "README documents each new flag": every flag of every `ragged` command appears in the
 * README (in backticks), and every data file's doc names its source rather than a path of the
 * machine that made it.
 */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { LAYER_SYNTAX } from "../../src/cli/layer_spec.js";
import { buildProgram } from "../../src/cli/main.js";

const root = join(__dirname, "..", "..");
const readme = readFileSync(join(root, "README.md"), "utf8");

describe("README and the command line", () => {
  it("documents every flag of every command", () => {
    const program = buildProgram();
    const flags = program.commands.flatMap((command) => command.options.map((o) => ({ command: command.name(), flag: o.long as string })));
    expect(flags.length).toBeGreaterThan(40);
    const missing = flags.filter(({ flag }) => !new RegExp("`" + flag + "(?![\\w-])").test(readme)).map(({ command, flag }) => `ragged ${command} ${flag}`);
    expect(missing).toEqual([]);
    expect(readme).toContain("`npx ragged-rnn --version`");
  });
});

describe("README and the --layers items", () => {
  it("documents every item ragged train --layers reads, in the Layers paragraph", () => {
    const paragraph = readme.slice(readme.indexOf("- **Layers** (`--layers`)"), readme.indexOf("- **Targets:**"));
    expect(paragraph.length).toBeGreaterThan(0);
    const missing = Object.keys(LAYER_SYNTAX).filter((kind) => !new RegExp("`" + kind + "(?![\\w])").test(paragraph));
    expect(missing).toEqual([]);
  });
});

describe("README Install section", () => {
  it("says how to install, that the package is ESM-only, and the Node.js version package.json requires", () => {
    const install = readme.slice(readme.indexOf("\n## Install\n"), readme.indexOf("\n## Quick start"));
    const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { name: string; engines: { node: string }; type: string };
    expect(install).toContain(`npm i ${pkg.name}`);
    expect(pkg.type).toBe("module");
    expect(install).toMatch(/\*\*ESM only\.\*\*/);
    expect(install).toMatch(/CommonJS/);
    const node = /^>=(\d+)$/.exec(pkg.engines.node)?.[1];
    expect(node).toBeDefined();
    expect(install).toContain(`**Node.js ≥ ${node}**`);
    expect(install).toMatch(/\*\*TypeScript ≥ \d+\.\d+\*\*/);
  });
});

describe("documentation files of the repository", () => {
  it("name no absolute path of a machine (data/README.md names its source instead)", () => {
    const docs = execFileSync("git", ["ls-files", "*.md"], { cwd: root, encoding: "utf8" }).split("\n").filter(Boolean);
    expect(docs).toContain("data/README.md");
    const machinePath = /(^|[\s`("'])(\/(work|home|Users|root|mnt|tmp|var\/folders)\/[\w.-]+|[A-Z]:\\[\w.-]+)/m;
    const offending = docs.filter((f) => machinePath.test(readFileSync(join(root, f), "utf8")));
    expect(offending).toEqual([]);
    expect(readFileSync(join(root, "data", "README.md"), "utf8")).toMatch(/Source: <https:\/\//);
  });
});
