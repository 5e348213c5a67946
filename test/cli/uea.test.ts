/** `ragged train → summary → evaluate → predict` end to end on the JapaneseVowels .ts files. */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { loadModel } from "../../src/node.js";
import { jsonLines, ragged, tempDir } from "./run.js";

const TRAIN = "data/uea/JapaneseVowels_TRAIN.ts";
const TEST = "data/uea/JapaneseVowels_TEST.ts";
const LABELS = ["1", "2", "3", "4", "5", "6", "7", "8", "9"];

describe("ragged on JapaneseVowels (UEA .ts)", () => {
  const dir = tempDir();
  const model = join(dir, "vowels");

  beforeAll(async () => {
    const r = await ragged(["train", "--data", TRAIN, "--validation", TEST, "--layers", "lstm:16,dense:9:softmax", "--epochs", "2", "--batch-size", "64", "--out", model, "--json"]);
    expect(r.stderr).toContain("Total params:");
    expect(r.code).toBe(0);
    const epochs = jsonLines(r.stdout);
    expect(epochs.map((e) => e.epoch)).toEqual([1, 2]);
    for (const e of epochs) expect(Object.keys(e).sort()).toEqual(["accuracy", "epoch", "loss", "val_accuracy", "val_loss"]);
  });

  it("saves a TF.js layers model with the class labels and the epoch count", () => {
    const json = JSON.parse(readFileSync(join(model, "model.json"), "utf8"));
    expect(json.format).toBe("layers-model");
    expect(json.userDefinedMetadata.ragged).toMatchObject({ labels: LABELS, epochsTrained: 2 });
    expect(json.trainingConfig.loss).toBe("sparse_categorical_crossentropy");
    expect(json.weightsManifest[0].weights.some((w: { group?: string }) => w.group === "optimizer")).toBe(true);
  });

  it("summary prints the Keras table and the labels; --json gives the same as data", async () => {
    const [text, json] = await Promise.all([ragged(["summary", "--model", model]), ragged(["summary", "--model", join(model, "model.json"), "--json"])]);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/lstm(_\d+)? \(LSTM\)\s+\(None, 16\)\s+1856/);
    expect(text.stdout).toMatch(/dense(_\d+)? \(Dense\)\s+\(None, 9\)\s+153/);
    expect(text.stdout).toContain("Classes (9): 1 2 3 4 5 6 7 8 9");
    expect(json.code).toBe(0);
    const s = JSON.parse(json.stdout);
    expect(s.totalParams).toBe(2009);
    expect(s.inputShape).toEqual([null, null, 12]);
    expect(s.labels).toEqual(LABELS);
  });

  it("evaluate prints loss and accuracy over all 370 test sequences", async () => {
    const [text, json] = await Promise.all([ragged(["evaluate", "--model", model, "--data", TEST]), ragged(["evaluate", "--model", model, "--data", TEST, "--json"])]);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^370 sequences - loss: \d+\.\d{4} - accuracy: 0\.\d{4}\n$/);
    expect(json.code).toBe(0);
    const logs = JSON.parse(json.stdout);
    expect(Object.keys(logs).sort()).toEqual(["accuracy", "loss"]);
    expect(logs.loss).toBeGreaterThan(0);
    expect(logs.accuracy).toBeGreaterThanOrEqual(0);
  });

  it("predict streams one labelled line per sequence, to stdout or to --out, in small chunks", async () => {
    const out = join(dir, "predictions.jsonl");
    const [toStdout, toFile] = await Promise.all([
      ragged(["predict", "--model", model, "--data", TEST, "--batch-size", "50"]),
      ragged(["predict", "--model", model, "--data", TEST, "--out", out]),
    ]);
    expect(toStdout.code).toBe(0);
    expect(toFile.code).toBe(0);
    expect(toFile.stdout).toBe("");
    const lines = jsonLines(toStdout.stdout);
    expect(lines.length).toBe(370);
    for (const p of lines) {
      expect(LABELS).toContain(p.label);
      const probabilities = p.probabilities as number[];
      expect(probabilities.length).toBe(9);
      expect(probabilities.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 4);
      expect(LABELS[probabilities.indexOf(Math.max(...probabilities))]).toBe(p.label);
    }
    expect(jsonLines(readFileSync(out, "utf8"))).toEqual(lines); // chunking does not change the answers
    expect(existsSync(`${out}.tmp-${process.pid}`)).toBe(false);
  });

  it("--resume continues from the checkpoint: epochs 3..4, optimizer state and labels kept", async () => {
    const before = (await loadModel(`file://${model}`)).optimizer?.iterations ?? 0;
    expect(before).toBeGreaterThan(0);
    const r = await ragged(["train", "--data", TRAIN, "--resume", model, "--out", join(dir, "more"), "--epochs", "4", "--batch-size", "64", "--json"]);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain("Epoch 3/4");
    expect(jsonLines(r.stdout).map((e) => e.epoch)).toEqual([3, 4]);
    const json = JSON.parse(readFileSync(join(dir, "more", "model.json"), "utf8"));
    expect(json.userDefinedMetadata.ragged).toMatchObject({ labels: LABELS, epochsTrained: 4 });
    expect((await loadModel(`file://${join(dir, "more")}`)).optimizer?.iterations).toBe(2 * before); // Adam's step count went on
    const again = await ragged(["train", "--data", TRAIN, "--resume", join(dir, "more"), "--epochs", "4"]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain("already trained 4 epochs");
  });
});
