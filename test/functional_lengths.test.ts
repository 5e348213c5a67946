// Length-changing layers inside functional models: a strided conv1d's per-step output follows its
// own lengths (LengthSource.through), targets line up with them, merges across it are checked,
// and a Sequential model works as a layer inside a graph.
import { describe, expect, it } from "vitest";
import { Random } from "../src/core/random.js";
import { type SymbolicTensor, RaggedError, input, layers, loadModel, memory, model, sequential } from "../src/index.js";
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

  it("a stride-1 `same` / `causal` conv1d or pooling keeps its input's lengths: residual add, WaveNet-style causal stacks and squeeze-and-excite merge with the input", async () => {
    const x = input({ shape: [null, 4], name: "x" });
    const same = layers.conv1d({ filters: 4, kernelSize: 3, padding: "same", name: "same" });
    const causal = layers.conv1d({ filters: 4, kernelSize: 2, dilationRate: 2, padding: "causal", name: "causal" });
    const pool = layers.maxPooling1D({ poolSize: 3, strides: 1, padding: "same", name: "pool" });
    const pointwise = layers.conv1d({ filters: 4, kernelSize: 1, name: "pointwise" }); // valid, one step: lengths kept
    for (const l of [same, causal, pool, pointwise]) expect((l.apply(x) as SymbolicTensor).lengths).toEqual({ kind: "input", input: "x", through: [] });
    // lengths that do change still go through the layer
    const strided = layers.conv1d({ filters: 4, kernelSize: 3, padding: "same", strides: 2, name: "strided" });
    const valid = layers.conv1d({ filters: 4, kernelSize: 3, name: "valid3" });
    expect((strided.apply(x) as SymbolicTensor).lengths).toEqual({ kind: "input", input: "x", through: [strided] });
    expect((valid.apply(x) as SymbolicTensor).lengths).toEqual({ kind: "input", input: "x", through: [valid] });
    let code = "no error";
    try {
      layers.add().apply([x, valid.apply(x) as SymbolicTensor]);
    } catch (e) {
      code = (e as RaggedError).code;
    }
    expect(code).toBe("LENGTH_MISMATCH");

    // residual: y = x + same(x) + causal(x); squeeze-and-excite: y ⊙ σ(dense(mean over steps of y)), repeated over x's steps
    const y = layers.add().apply([x, same.apply(x) as SymbolicTensor, causal.apply(x) as SymbolicTensor]) as SymbolicTensor;
    const squeeze = layers.dense({ units: 4, activation: "sigmoid" }).apply(layers.globalAveragePooling1D().apply(y) as SymbolicTensor) as SymbolicTensor;
    const excited = layers.multiply().apply([y, layers.repeatVector({ n: "inputLength", inputName: "x" }).apply(squeeze) as SymbolicTensor]) as SymbolicTensor;
    const m = model({ inputs: x, outputs: excited, seed: 75 });
    m.compile({ loss: "mse", optimizer: "sgd" });
    const lengths = [5, 1, 8, 3];
    const xs = randomSequences(rng, lengths, 4);
    const out = m.predict(xs) as number[][][];
    expect(out.map((o) => o.length)).toEqual(lengths);
    // the residual sum equals the parts computed by models of their own
    const part = (t: SymbolicTensor) => model({ inputs: x, outputs: t }).predict(xs) as number[][][];
    const ySum = part(y);
    const [sOut, cOut] = [part(same.apply(x) as SymbolicTensor), part(causal.apply(x) as SymbolicTensor)];
    ySum.forEach((seq, i) => seq.forEach((row, t) => row.forEach((v, j) => expect(v).toBeCloseTo(xs[i][t][j] + sOut[i][t][j] + cOut[i][t][j], 5))));
    expect(checkGradients(m, modelBatchOf(m, xs, randomTargets(rng, lengths, 4, true)), { perVariable: 12 })).toBeGreaterThan(30);
    // and the graph saves and loads (the loaded graph is rebuilt through the same length rules)
    const mem = memory();
    await m.save(mem);
    const back = await loadModel(memory(mem.artifacts!));
    expect(back.predict(xs)).toEqual(m.predict(xs));
  });

  it("layers that map lengths alike merge (a 1-D ResNet's strided shortcut): same conv stride 2, one-step valid conv stride 2 and same pooling stride 2 all give ⌈L/2⌉", async () => {
    const x = input({ shape: [null, 4], name: "x" });
    const main = layers.conv1d({ filters: 4, kernelSize: 3, strides: 2, padding: "same" }).apply(x) as SymbolicTensor; // linear: no kink for the finite differences
    const shortcut = layers.conv1d({ filters: 4, kernelSize: 1, strides: 2 }).apply(x) as SymbolicTensor;
    const pooled = layers.maxPooling1D({ poolSize: 2, strides: 2, padding: "same" }).apply(x) as SymbolicTensor;
    const y = layers.add().apply([main, shortcut, pooled]) as SymbolicTensor;
    const m = model({ inputs: x, outputs: y, seed: 76 });
    m.compile({ loss: "mse", optimizer: "sgd" });
    const lengths = [1, 2, 5, 8, 3];
    const xs = randomSequences(rng, lengths, 4);
    const out = m.predict(xs) as number[][][];
    expect(out.map((o) => o.length)).toEqual(lengths.map((L) => Math.ceil(L / 2)));
    const parts = [main, shortcut, pooled].map((t) => model({ inputs: x, outputs: t }).predict(xs) as number[][][]);
    out.forEach((seq, i) => seq.forEach((row, t) => row.forEach((v, j) => expect(v).toBeCloseTo(parts[0][i][t][j] + parts[1][i][t][j] + parts[2][i][t][j], 5))));
    expect(checkGradients(m, modelBatchOf(m, xs, randomTargets(rng, lengths.map((L) => Math.ceil(L / 2)), 4, true)), { perVariable: 12 })).toBeGreaterThan(30);
    // a `valid` pool of 2 gives ⌊L/2⌋: not the same lengths
    let code = "no error";
    try {
      layers.add().apply([main, layers.maxPooling1D({ poolSize: 2 }).apply(x) as SymbolicTensor]);
    } catch (e) {
      code = (e as RaggedError).code;
    }
    expect(code).toBe("LENGTH_MISMATCH");
  });
});
