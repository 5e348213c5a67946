// Length-changing layers inside functional models: a strided conv1d's per-step output follows its
// own lengths (LengthSource.through), targets line up with them, merges across it are checked,
// and a Sequential model works as a layer inside a graph.
import { describe, expect, it } from "vitest";
import { Random } from "../src/core/random.js";
import { type SymbolicTensor, RaggedError, input, layers, model, sequential } from "../src/index.js";
import { checkGradients, modelBatchOf, randomSequences, randomTargets } from "./harness.js";

const rng = new Random(71);

describe("lengths through length-changing layers in graphs", () => {
  it("conv1d (strides 2, valid) → per-step head: targets follow the conv's lengths; merging with the input's steps is LENGTH_MISMATCH", async () => {
    const x = input({ shape: [null, 3], name: "x" });
    const conv = layers.conv1d({ filters: 4, kernelSize: 3, strides: 2 });
    const steps = conv.apply(x) as SymbolicTensor;
    expect(steps.lengths).toEqual({ kind: "input", input: "x", through: [conv] });
    let code = "no error";
    try {
      layers.concatenate([steps, layers.lstm({ units: 4, returnSequences: true }).apply(x) as SymbolicTensor]);
    } catch (e) {
      code = (e as RaggedError).code;
    }
    expect(code).toBe("LENGTH_MISMATCH");
    const out = layers.timeDistributed({ layer: layers.dense({ units: 2 }) }).apply(layers.lstm({ units: 5, returnSequences: true }).apply(steps) as SymbolicTensor) as SymbolicTensor;
    const m = model({ inputs: x, outputs: out, seed: 72 });
    m.compile({ loss: "mse", optimizer: "adam" });
    const lengths = [9, 3, 6, 12, 5];
    const convLengths = lengths.map((n) => Math.floor((n - 3) / 2) + 1);
    const xs = randomSequences(rng, lengths, 3);
    const ys = randomTargets(rng, convLengths, 2, true);
    expect(checkGradients(m, modelBatchOf(m, xs, ys), { perVariable: 12 })).toBeGreaterThan(30);
    const history = await m.fit(xs, ys, { epochs: 2, batchSize: 2, verbose: 0 });
    expect(history.history.loss).toHaveLength(2);
    expect((m.predict(xs) as number[][][]).map((o) => o.length)).toEqual(convLengths);
    let wrong = "no error";
    try {
      m.evaluate(xs, randomTargets(rng, lengths, 2, true));
    } catch (e) {
      wrong = (e as RaggedError).code;
    }
    expect(wrong).toBe("TARGET_MISMATCH");
  });

  it("a Sequential model applied as a layer inside a graph shares its weights and trains end to end", () => {
    const encoder = sequential([layers.lstm({ units: 4, returnSequences: true, inputShape: [null, 3] }), layers.gru({ units: 3 })], { seed: 73 });
    const a = input({ shape: [null, 3], name: "a" });
    const b = input({ shape: [null, 3], name: "b" });
    const both = layers.concatenate([encoder.apply(a) as SymbolicTensor, encoder.apply(b) as SymbolicTensor]);
    const m = model({ inputs: [a, b], outputs: layers.dense({ units: 1 }).apply(both) as SymbolicTensor, seed: 74 });
    expect(m.weights.length).toBe(encoder.weights.length + 2);
    m.compile({ loss: "mse", optimizer: "sgd" });
    const la = [4, 2, 5];
    const xs = [randomSequences(rng, la, 3), randomSequences(rng, [1, 6, 3], 3)];
    expect(checkGradients(m, modelBatchOf(m, xs, randomTargets(rng, la, 1, false)), { perVariable: 12 })).toBeGreaterThan(30);
    // the nested Sequential computes what it computes on its own
    const own = encoder.predict(xs[0]) as number[][];
    const viaGraph = model({ inputs: a, outputs: encoder.apply(a) as SymbolicTensor }).predict(xs[0]) as number[][];
    expect(viaGraph).toEqual(own);
  });
});
