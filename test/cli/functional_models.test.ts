/**
 * `ragged summary`, `predict` and `evaluate` take a functional model saved from code when it has
 * one per-step input and one output (a residual conv + LSTM classifier here): the same numbers as
 * the model in code. Several inputs or outputs are refused with UNSUPPORTED saying what the model
 * has; `ragged train --resume` still takes only what it builds (a Sequential).
 */
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { Random, type SymbolicTensor, input, layers, model } from "../../src/node.js";
import { jsonLines, ragged, tempDir, writeJsonl } from "./run.js";

const dir = tempDir();
const rng = new Random(8);
const records = Array.from({ length: 12 }, (_, i) => ({ id: `s${i}`, x: Array.from({ length: rng.int(1, 7) }, () => [rng.uniform(), rng.uniform(), rng.uniform()]), y: i % 2 }));
const data = writeJsonl(dir, "data.jsonl", records);

/** x [null, 3] → causal conv1d, added back to x → LSTM → softmax over 2. */
function residualClassifier() {
  const x = input({ shape: [null, 3], name: "frames" });
  const c = layers.conv1d({ filters: 3, kernelSize: 3, padding: "causal" }).apply(x) as SymbolicTensor;
  const h = layers.lstm({ units: 4 }).apply(layers.add().apply([x, c]) as SymbolicTensor) as SymbolicTensor;
  const m = model({ inputs: x, outputs: layers.dense({ units: 2, activation: "softmax" }).apply(h) as SymbolicTensor, seed: 3, name: "residual" });
  m.compile({ loss: "sparseCategoricalCrossentropy", optimizer: "adam", metrics: ["accuracy"] });
  return m;
}

describe("the command line on functional models", () => {
  it("summary, predict and evaluate a one-input, one-output graph saved from code, with its numbers", async () => {
    const m = residualClassifier();
    const path = join(dir, "residual");
    await m.save(`file://${path}`, { includeOptimizer: true });

    const summary = await ragged(["summary", "--model", path]);
    expect(summary.code, summary.stderr).toBe(0);
    expect(summary.stdout).toContain('Model: "residual"');
    expect(summary.stdout).toMatch(/add \(Add\)\s+\(None, None, 3\)\s+0\s+frames\[0\]\[0\]/);
    const json = JSON.parse((await ragged(["summary", "--model", path, "--json"])).stdout);
    expect(json.inputShape).toEqual([null, null, 3]);
    expect(json.totalParams).toBe(m.countParams());

    const predicted = await ragged(["predict", "--model", path, "--data", data]);
    expect(predicted.code, predicted.stderr).toBe(0);
    const lines = jsonLines(predicted.stdout) as { id: string; y: number[] }[];
    const inCode = m.predict(records.map((r) => r.x)) as number[][];
    expect(lines.map((l) => l.id)).toEqual(records.map((r) => r.id));
    lines.forEach((l, i) => l.y.forEach((v, j) => expect(v).toBeCloseTo(inCode[i][j], 5)));

    const evaluated = await ragged(["evaluate", "--model", path, "--data", data, "--json"]);
    expect(evaluated.code, evaluated.stderr).toBe(0);
    const logs = JSON.parse(evaluated.stdout) as { loss: number; accuracy: number };
    const [loss, accuracy] = m.evaluate(records.map((r) => r.x), records.map((r) => r.y)) as number[];
    expect(logs.loss).toBeCloseTo(loss, 3);
    expect(logs.accuracy).toBeCloseTo(accuracy, 3);

    const resumed = await ragged(["train", "--data", data, "--resume", path, "--epochs", "2"]);
    expect(resumed.code).toBe(1);
    expect(resumed.stderr).toContain("UNSUPPORTED");
    expect(resumed.stderr).toContain("ragged train trains Sequential models");
  });

  it("refuses a graph with two inputs, saying what it has", async () => {
    const a = input({ shape: [null, 3], name: "a" });
    const b = input({ shape: [null, 3], name: "b" });
    const h = layers.concatenate().apply([layers.lstm({ units: 2 }).apply(a) as SymbolicTensor, layers.lstm({ units: 2 }).apply(b) as SymbolicTensor]) as SymbolicTensor;
    const path = join(dir, "two_inputs");
    await model({ inputs: [a, b], outputs: h, name: "two" }).save(`file://${path}`);
    const r = await ragged(["predict", "--model", path, "--data", data]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("UNSUPPORTED");
    expect(r.stderr).toContain('the functional model "two" has 2 inputs ("a": per step, "b": per step) and 1 output');
  });
});
