/**
 * `ragged train --layers conv1d:…,batchnorm,activation:relu,lstm:…` end to end: the CLI trains the
 * LSTM-FCN-like stack on a small JSONL file, saves it, and the saved model reloads — by `ragged
 * summary`, `ragged predict`, `--resume`, and `loadModel` in process, which finds the batch
 * normalization's trained moving statistics and predicts what the CLI predicted.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadModel, Random } from "../../src/node.js";
import { jsonLines, ragged, tempDir, writeJsonl } from "./run.js";

const dir = tempDir();
const rng = new Random(21);

/** Sequences of 1..12 steps of 2 features; "rise" when feature 0 ends higher than it starts. */
function records(n: number) {
  return Array.from({ length: n }, () => {
    const x = Array.from({ length: rng.int(1, 13) }, () => [rng.uniform(), rng.uniform()]);
    return { x, y: x[x.length - 1][0] > x[0][0] ? "rise" : "fall" };
  });
}

describe("ragged train with conv1d, batchnorm and activation layers", () => {
  it("trains conv1d → batchnorm → activation relu → lstm, saves, and reloads with the same predictions", async () => {
    const train = writeJsonl(dir, "train.jsonl", records(40));
    const test = records(6).map(({ x }) => ({ x }));
    const input = writeJsonl(dir, "test.jsonl", test);
    const model = join(dir, "fcn");
    const layers = "conv1d:6:3,batchnorm,activation:relu,lstm:5";
    const t = await ragged(["train", "--data", train, "--layers", layers, "--epochs", "2", "--batch-size", "8", "--seed", "3", "--out", model, "--json"]);
    expect(t.code, t.stderr).toBe(0);
    expect(jsonLines(t.stdout)).toHaveLength(2);

    const saved = JSON.parse(readFileSync(join(model, "model.json"), "utf8"));
    const configs = saved.modelTopology.config.layers as { class_name: string; config: Record<string, unknown> }[];
    expect(configs.map((l) => l.class_name)).toEqual(["Conv1D", "BatchNormalization", "Activation", "LSTM", "Dense"]);
    expect(configs[0].config).toMatchObject({ filters: 6, kernel_size: [3], padding: "same", activation: "linear" });
    expect(configs[2].config).toMatchObject({ activation: "relu" });

    const [summary, predicted] = await Promise.all([ragged(["summary", "--model", model]), ragged(["predict", "--model", model, "--data", input])]);
    expect(summary.code).toBe(0);
    expect(summary.stdout).toMatch(/\(Conv1D\)[\s\S]*\(BatchNormalization\)[\s\S]*\(Activation\)[\s\S]*\(LSTM\)[\s\S]*\(Dense\)/);
    expect(predicted.code).toBe(0);
    const lines = jsonLines(predicted.stdout);
    expect(lines).toHaveLength(test.length);
    for (const line of lines) expect(["fall", "rise"]).toContain(line.label);

    const reloaded = await loadModel(`file://${model}`);
    const movingMean = reloaded.layers[1].weights.find((w) => w.name.endsWith("moving_mean"));
    expect(movingMean?.value.some((v) => v !== 0)).toBe(true); // trained statistics, not the zeros a new layer starts from
    const probabilities = reloaded.predict(test.map(({ x }) => x)) as number[][];
    probabilities.forEach((p, i) => p.forEach((v, c) => expect(v).toBeCloseTo((lines[i].probabilities as number[])[c], 5)));

    const resumed = await ragged(["train", "--data", train, "--resume", model, "--epochs", "3", "--batch-size", "8", "--json"]);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(jsonLines(resumed.stdout)).toHaveLength(1); // epoch 3 of 3: the saved model went on training
  }, 120_000);
});
