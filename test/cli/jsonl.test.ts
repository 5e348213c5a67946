/** `ragged` on JSON Lines: string labels, per-step targets, regression, and user errors (exit 1, file and line named). */
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { Random } from "../../src/index.js";
import { jsonLines, ragged, tempDir, writeJsonl } from "./run.js";

const dir = tempDir();
const rng = new Random(7);

/** Sequences of 1..10 steps of 2 features; per-step tag "hi"/"lo" from feature 0. */
function taggedRecords(n: number) {
  return Array.from({ length: n }, () => {
    const x = Array.from({ length: rng.int(1, 11) }, () => [rng.uniform(), rng.uniform()]);
    return { x, y: x.map((s) => (s[0] > 0.5 ? "hi" : "lo")) };
  });
}

describe("ragged on JSON Lines", () => {
  it("trains on string labels per step and predicts one label per step", async () => {
    const train = writeJsonl(dir, "tags.jsonl", taggedRecords(48));
    const records = taggedRecords(7).map(({ x }) => ({ x })); // no "y": predict ignores targets anyway
    const input = writeJsonl(dir, "tags_x.jsonl", records);
    const model = join(dir, "tags");
    const t = await ragged(["train", "--data", train, "--layers", "lstm:8,dense:2", "--epochs", "2", "--out", model, "--json"]);
    expect(t.code).toBe(0);
    expect(jsonLines(t.stdout).length).toBe(2);
    expect(t.stderr).toContain("(None, None, 2)"); // the LSTM returns sequences for per-step targets
    const saved = JSON.parse(readFileSync(join(model, "model.json"), "utf8"));
    expect(saved.userDefinedMetadata.ragged.labels).toEqual(["hi", "lo"]);
    // checkpointed every epoch, saved by the file handler as the API saves: the same two names
    expect(readdirSync(model).filter((f) => f !== "history.json").sort()).toEqual(["model.json", "weights.bin"]);
    expect(saved.weightsManifest[0].paths).toEqual(["weights.bin"]);
    const p = await ragged(["predict", "--model", model, "--data", input]);
    expect(p.code).toBe(0);
    const lines = jsonLines(p.stdout);
    expect(lines.length).toBe(records.length);
    lines.forEach((line, i) => {
      const labels = line.label as string[];
      expect(labels.length).toBe(records[i].x.length); // ragged: one label per step of each input
      for (const l of labels) expect(["hi", "lo"]).toContain(l);
      expect((line.probabilities as number[][]).length).toBe(records[i].x.length);
    });
  });

  it("trains a per-sequence regressor and predicts numbers", async () => {
    const recs = Array.from({ length: 30 }, () => {
      const x = Array.from({ length: rng.int(1, 9) }, () => rng.uniform());
      return { x, y: x.reduce((a, b) => a + b, 0) / x.length + 0.5 };
    });
    const data = writeJsonl(dir, "reg.jsonl", recs);
    const model = join(dir, "reg");
    const t = await ragged(["train", "--data", data, "--layers", "lstm:4", "--epochs", "2", "--out", model]);
    expect(t.code).toBe(0);
    expect(t.stdout).toMatch(/dense(_\d+)? \(Dense\)\s+\(None, 1\)/); // the output layer was added
    const [p, e] = await Promise.all([ragged(["predict", "--model", model, "--data", data]), ragged(["evaluate", "--model", model, "--data", data, "--json"])]);
    expect(p.code).toBe(0);
    const lines = jsonLines(p.stdout);
    expect(lines.length).toBe(30);
    for (const l of lines) expect(typeof l.y).toBe("number");
    expect(e.code).toBe(0);
    expect(Object.keys(JSON.parse(e.stdout))).toEqual(["loss"]);
  });

  it("reports user errors with exit code 1, the file and the line, and no stack trace", async () => {
    const good = { x: [[1, 2]], y: "a" };
    const malformed = join(dir, "malformed.jsonl");
    const text = [JSON.stringify(good), JSON.stringify({ x: [[1, 2]], y: "b" }), '{"x": [[1, 2], "y": "a"}'].join("\n") + "\n";
    (await import("node:fs")).writeFileSync(malformed, text);
    const features = writeJsonl(dir, "features.jsonl", [good, { x: [[1, 2]], y: "b" }, { x: [[1, 2, 3]], y: "a" }]);
    const noY = writeJsonl(dir, "no_y.jsonl", [good, { x: [[3, 4]] }]);
    const runs = await Promise.all([
      ragged(["train", "--data", malformed, "--layers", "lstm:4", "--out", join(dir, "x1")]),
      ragged(["train", "--data", features, "--layers", "lstm:4", "--out", join(dir, "x2")]),
      ragged(["train", "--data", noY, "--layers", "lstm:4", "--out", join(dir, "x3")]),
    ]);
    expect(runs[0].stderr).toContain(`${malformed}:3: malformed JSON`);
    expect(runs[1].stderr).toContain(`${features}:3: field "x"[0]: wrong number of features`);
    expect(runs[2].stderr).toContain(`${noY}:2: field "y": missing`);
    for (const r of runs) {
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/^ragged: error \[[A-Z_]+\]: /);
      expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
    }
  });

  it("rejects an unknown or malformed layer spec with exit code 1 and the syntax", async () => {
    const data = writeJsonl(dir, "two.jsonl", [
      { x: [[1]], y: 0 },
      { x: [[2], [3]], y: 1 },
    ]);
    const [unknown, badUnits, noRnn] = await Promise.all([
      ragged(["train", "--data", data, "--layers", "lstn:8,dense:2", "--out", join(dir, "y1")]),
      ragged(["train", "--data", data, "--layers", "lstm:many", "--out", join(dir, "y2")]),
      ragged(["train", "--data", data, "--layers", "dense:4", "--out", join(dir, "y3")]),
    ]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('--layers item 1 "lstn:8": unknown layer "lstn"');
    expect(unknown.stderr).toContain('did you mean "lstm"?');
    expect(unknown.stderr).toContain("bilstm:UNITS");
    expect(badUnits.code).toBe(1);
    expect(badUnits.stderr).toContain('UNITS must be a positive integer, not "many"');
    expect(noRnn.code).toBe(1);
    expect(noRnn.stderr).toContain("no recurrent, conv1d or pooling layer");
  });

  it("names the file and line of a label the model does not know, and of a missing model", async () => {
    const train = writeJsonl(dir, "ab.jsonl", [
      { x: [1, 2], y: "a" },
      { x: [3], y: "b" },
      { x: [4, 5, 6], y: "a" },
    ]);
    const model = join(dir, "ab");
    expect((await ragged(["train", "--data", train, "--layers", "lstm:3", "--epochs", "1", "--out", model])).code).toBe(0);
    const test = writeJsonl(dir, "abc.jsonl", [
      { x: [1], y: "b" },
      { x: [2], y: "c" },
    ]);
    const [unknownLabel, missingModel, badExtension] = await Promise.all([
      ragged(["evaluate", "--model", model, "--data", test]),
      ragged(["predict", "--model", join(dir, "nowhere"), "--data", test]),
      ragged(["predict", "--model", model, "--data", join(dir, "data.csv")]),
    ]);
    expect(unknownLabel.code).toBe(1);
    expect(unknownLabel.stderr).toContain(`${test}:2: field "y": unknown label "c"`);
    expect(missingModel.code).toBe(1);
    expect(missingModel.stderr).toContain("nowhere");
    expect(badExtension.code).toBe(1);
    expect(badExtension.stderr).toContain("cannot tell the data format");
  });

  it("prints help with examples for every command", async () => {
    const helps = await Promise.all(["train", "predict", "evaluate", "summary"].map((c) => ragged([c, "--help"])));
    for (const h of helps) {
      expect(h.code).toBe(0);
      expect(h.stdout).toContain("Examples:");
      expect(h.stdout).toContain("--model");
    }
    expect(helps[0].stdout).toContain("embedding:VOCAB:DIM");
  });
});
