/**
 * Examples are meant to be copied into a project: they import the package by its name ("ragged-rnn",
 * resolved to the sources in this repository by tsconfig paths and the vitest alias), never a
 * relative path into src/, and each says where its data comes from. The streaming, regression and
 * stateful-streaming examples run here on small settings (a few seconds each).
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { main as regression } from "../examples/regression/main.js";
import { main as statefulStreaming } from "../examples/stateful-streaming/main.js";
import { main as streaming } from "../examples/streaming/main.js";

const examplesDir = new URL("../examples/", import.meta.url);

function sourcesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sourcesUnder(path) : name.endsWith(".ts") ? [path] : [];
  });
}

describe("examples that can be copied", () => {
  it("import ragged-rnn by name, never ../src, and say where their data comes from", () => {
    const root = examplesDir.pathname;
    const files = sourcesUnder(root);
    expect(files.length).toBeGreaterThanOrEqual(5);
    for (const file of files) {
      const text = readFileSync(file, "utf8");
      expect(text, file).not.toMatch(/from\s+["'](\.\.\/)+src\//);
      if (file.endsWith("main.ts")) {
        expect(text, file).toMatch(/from "ragged-rnn(\/node)?"/);
        expect(text, `${file} says where its data comes from`).toMatch(/^ \* Data: /m);
      }
    }
  });

  it('run by tsx (as `npm run example:…` does), "ragged-rnn" is the Node entry, so `--threads 2` gets worker threads', () => {
    // The installed package resolves "ragged-rnn" in Node to dist/node.js (the "node" condition);
    // tsconfig paths must do the same, or an example's threads option silently ran on one thread.
    const dir = mkdtempSync(join(tmpdir(), "ragged-probe-"));
    try {
      const probe = join(dir, "probe.ts");
      writeFileSync(probe, 'import * as ragged from "ragged-rnn";\nconsole.log(JSON.stringify({ nodeEntry: "nodeLogFiles" in ragged && "fileHandler" in ragged }));\n');
      const root = fileURLToPath(new URL("..", import.meta.url));
      const run = spawnSync(process.execPath, ["--import", "tsx", probe], { cwd: root, encoding: "utf8", timeout: 60_000 });
      expect(run.stderr).toBe("");
      expect(JSON.parse(run.stdout.trim())).toEqual({ nodeEntry: true });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("streaming: fitDataset reads a JSONL file larger than a batch, batch by batch, every epoch", async () => {
    const r = await streaming({ sequences: 150, batchSize: 32, epochs: 2, verbose: 0 });
    expect(r.batchesPerEpoch).toBe(Math.ceil(150 / 32));
    expect(r.accuracy).toBeGreaterThanOrEqual(0);
    expect(r.accuracy).toBeLessThanOrEqual(1);
  });

  it("regression: learns frequencies better than answering the mean", async () => {
    const r = await regression({ sequences: 400, epochs: 8, verbose: 0 });
    expect(Number.isFinite(r.mae)).toBe(true);
    expect(r.mae).toBeLessThan(r.baselineMae);
  });

  it("stateful streaming: chunk-by-chunk outputs equal one pass over the whole streams", async () => {
    const r = await statefulStreaming({ streamLength: 40, chunk: 10, epochs: 2, verbose: 0 });
    expect(r.chunkedVsWhole).toBeLessThan(1e-5);
    expect(r.carriedMse).not.toBe(r.resetMse); // resetting every chunk changes the answers
  });
});
