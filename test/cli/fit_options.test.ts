/**
 * `ragged train` with Keras' fit options (--validation-split, --early-stopping, --class-weight,
 * --threads, --verbose), history.json beside the model (appended on --resume, which remembers
 * --validation), predict lines with the input's id and the classes named, and the loss check.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { Random } from "../../src/index.js";
import { jsonLines, ragged, tempDir, writeJsonl } from "./run.js";

const dir = tempDir();
const rng = new Random(11);

/** Sequences of 2..7 steps of 2 features; "up" when the mean of feature 0 is over 0.6 (a minority). */
function records(n: number, withIds = false) {
  return Array.from({ length: n }, (_, i) => {
    const x = Array.from({ length: rng.int(2, 8) }, () => [rng.uniform(), rng.uniform()]);
    const mean = x.reduce((s, step) => s + step[0], 0) / x.length;
    return { ...(withIds ? { id: `seq-${i}` } : {}), x, y: mean > 0.6 ? "up" : "flat" };
  });
}

interface History {
  epoch: number[];
  history: Record<string, (number | null)[]>;
}
const readHistory = (model: string): History => JSON.parse(readFileSync(join(model, "history.json"), "utf8")) as History;

describe("ragged train: Keras fit options", () => {
  it("--validation-split, --early-stopping (best weights kept), --class-weight balanced, --threads, --verbose 2, history.json", async () => {
    const data = records(48);
    const train = writeJsonl(dir, "train.jsonl", data);
    const model = join(dir, "split");
    const t = await ragged(["train", "--data", train, "--layers", "gru:6", "--epochs", "6", "--validation-split", "0.25", "--early-stopping", "1",
      "--class-weight", "balanced", "--threads", "1", "--verbose", "2", "--learning-rate", "0.05", "--out", model]);
    expect(t.stderr).toBe("");
    expect(t.code).toBe(0);
    const history = readHistory(model);
    const epochs = history.epoch.length;
    expect(history.epoch).toEqual(Array.from({ length: epochs }, (_, i) => i));
    expect(Object.keys(history.history)).toEqual(expect.arrayContaining(["loss", "accuracy", "val_loss", "val_accuracy"]));
    // --verbose 2: "Epoch i/6" and one summary line per epoch, no bar redraws
    expect(t.stdout.match(/^Epoch \d+\/6$/gm)?.length).toBe(epochs);
    expect(t.stdout).not.toContain("\r");
    // early stopping kept the best epoch's weights: they score the best val_loss on the held-out quarter
    const valLoss = history.history.val_loss as number[];
    const best = valLoss.indexOf(Math.min(...valLoss));
    expect(best).toBeLessThan(epochs - 1); // it stopped past the best epoch, so restoring mattered
    expect(t.stdout).toContain(`kept the weights of epoch ${best + 1}`);
    const heldOut = writeJsonl(dir, "held_out.jsonl", data.slice(36)); // validationSplit takes the last 25%, as Keras
    // (class weights apply to training batches only, as in Keras, so val_loss is evaluate's loss)
    const e = await ragged(["evaluate", "--model", model, "--data", heldOut, "--json"]);
    expect(e.code).toBe(0);
    const evaluated = JSON.parse(e.stdout) as { loss: number; accuracy: number };
    expect(evaluated.loss).toBeCloseTo(valLoss[best], 4);
    expect(evaluated.accuracy).toBeCloseTo((history.history.val_accuracy as number[])[best], 4);
  });

  it("--verbose 0 prints no progress; --class-weight JSON by label; a label it does not know is a clear error", async () => {
    const train = writeJsonl(dir, "quiet.jsonl", records(24));
    const model = join(dir, "quiet");
    const q = await ragged(["train", "--data", train, "--layers", "lstm:4", "--epochs", "2", "--verbose", "0", "--class-weight", '{"up": 3, "flat": 1}', "--out", model]);
    expect(q.code).toBe(0);
    expect(q.stdout).not.toMatch(/Epoch \d/);
    expect(readHistory(model).epoch).toEqual([0, 1]);
    const bad = await ragged(["train", "--data", train, "--layers", "lstm:4", "--epochs", "1", "--class-weight", '{"down": 2}', "--out", join(dir, "bad")]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain("INVALID_ARGUMENT");
    expect(bad.stderr).toContain('"down" is not one of the classes');
    const conflict = await ragged(["train", "--data", train, "--layers", "lstm:4", "--validation", train, "--validation-split", "0.2", "--out", join(dir, "bad")]);
    expect(conflict.code).toBe(1);
    expect(conflict.stderr).toMatch(/cannot be used with/);
    const verbose = await ragged(["train", "--data", train, "--layers", "lstm:4", "--verbose", "3", "--out", join(dir, "bad")]);
    expect(verbose.code).toBe(1);
    expect(verbose.stderr).toContain("expected 0, 1 or 2");
  });

  it("--resume appends to history.json and validates on the run's --validation file again", async () => {
    const train = writeJsonl(dir, "r_train.jsonl", records(24));
    const val = writeJsonl(dir, "r_val.jsonl", records(8));
    const model = join(dir, "resumed");
    const first = await ragged(["train", "--data", train, "--validation", val, "--layers", "lstm:4", "--epochs", "2", "--out", model]);
    expect(first.code).toBe(0);
    const before = readHistory(model);
    const second = await ragged(["train", "--data", train, "--resume", model, "--epochs", "3", "--json"]);
    expect(second.code).toBe(0);
    expect(jsonLines(second.stdout)[0]).toHaveProperty("val_loss"); // remembered --validation
    const after = readHistory(model);
    expect(after.epoch).toEqual([0, 1, 2]);
    expect(after.history.loss.slice(0, 2)).toEqual(before.history.loss);
    expect(after.history.val_loss.every((v) => typeof v === "number")).toBe(true);
  });

  it("--loss categorical_crossentropy with class labels says why and what to do, naming the file", async () => {
    const train = writeJsonl(dir, "labels.jsonl", records(12));
    const r = await ragged(["train", "--data", train, "--layers", "lstm:4", "--loss", "categorical_crossentropy", "--out", join(dir, "cce")]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("TARGET_MISMATCH");
    expect(r.stderr).toContain("labels.jsonl");
    expect(r.stderr).toContain("one-hot");
    expect(r.stderr).toContain("drop --loss");
    expect(existsSync(join(dir, "cce", "model.json"))).toBe(false);
  });
});

describe("ragged predict", () => {
  it("echoes each record's id and names the classes of the probabilities", async () => {
    const train = writeJsonl(dir, "p_train.jsonl", records(24));
    const model = join(dir, "p");
    expect((await ragged(["train", "--data", train, "--layers", "lstm:4", "--epochs", "1", "--verbose", "0", "--out", model])).code).toBe(0);
    const input = records(5, true).map(({ id, x }, i) => (i === 2 ? { x } : { id, x })); // one without an id
    const p = await ragged(["predict", "--model", model, "--data", writeJsonl(dir, "p_in.jsonl", input)]);
    expect(p.code).toBe(0);
    const lines = jsonLines(p.stdout);
    expect(lines.map((l) => l.id)).toEqual(["seq-0", "seq-1", undefined, "seq-3", "seq-4"]);
    expect(Object.keys(lines[0])[0]).toBe("id");
    for (const line of lines) {
      expect(line.classes).toEqual(["flat", "up"]);
      const probabilities = line.probabilities as number[];
      expect((line.classes as string[])[probabilities.indexOf(Math.max(...probabilities))]).toBe(line.label);
    }
  });
});
