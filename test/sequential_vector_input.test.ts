/**
 * A Sequential model whose first layer has a vector inputShape `[d]` (Keras' `Sequential([Input((d,)),
 * Dense(…)])`, batch shape `(batch, d)`) takes one vector of d numbers per sample, exactly as the
 * functional model on `input({ shape: [d] })` (NOTE [ vector input ] in src/models/sequential.ts):
 * - predict, evaluate and fit give the functional model's numbers (same weights → same outputs, and
 *   the same weights after fit), on one thread and on two, from arrays and from datasets;
 * - `[null, d]`, `[T, d]` and an embedding's `[T]` (T token ids) read sequences as before;
 * - a vector of the wrong width, a sequence or a bare number is a FEATURE_MISMATCH saying what
 *   was expected, what arrived and what to do; a masking layer on vectors is UNSUPPORTED;
 * - the caller's arrays are not changed;
 * - save → load round-trips (`batch_input_shape: [null, 3]`), both ways with TF.js;
 * - TF.js as the oracle: same weights, same outputs and weights after one SGD step (within 1e-4).
 * Before the fix the Sequential read `[[1, 2, 3]]` as 3 steps of 1 feature and multiplied by the
 * kernel's first row only.
 */
import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { type Layer, type LayersModel, type ModelArtifacts, Sequential, type SymbolicTensor, input, layers, loadModel, memory, model, sequential } from "../src/node.js";
import { maxAbsDiff, maxRelDiff, randomVectors, refused } from "./harness.js";
import { savedByTfjs } from "./tfjs_saved.js";
import { expectTwoThreadsFitAsOne } from "./two_threads.js";

const ORACLE_TOL = 1e-4;
const INTERCHANGE_TOL = 1e-5;
const LR = 0.1;

beforeAll(async () => {
  await tf.setBackend("cpu");
  await tf.ready();
});

/** The functional twin of a stack: `input({ shape: [d] })` through fresh copies of the layers. */
function functionalTwin(d: number, make: () => Layer[], seed: number): LayersModel {
  const x = input({ shape: [d] });
  let h: SymbolicTensor = x;
  for (const layer of make()) h = layer.apply(h) as SymbolicTensor;
  return model({ inputs: x, outputs: h, seed });
}

/** A vector stack: dense → dropout → activation → dense, one row per sample. */
const denseStack = (withShape: boolean): Layer[] => [
  layers.dense({ units: 4, ...(withShape ? { inputShape: [3] } : {}) }),
  layers.dropout({ rate: 0.3 }),
  layers.activation({ activation: "tanh" }),
  layers.dense({ units: 2 }),
];

/** A vector repeated into steps: dense → repeatVector → LSTM (per step) → timeDistributed dense. */
const repeatStack = (withShape: boolean): Layer[] => [
  layers.dense({ units: 4, activation: "relu", ...(withShape ? { inputShape: [3] } : {}) }),
  layers.repeatVector({ n: 3 }),
  layers.lstm({ units: 3, returnSequences: true }),
  layers.timeDistributed({ layer: layers.dense({ units: 1 }) }),
];

describe("Sequential with inputShape [d]: one vector per sample", () => {
  it("predicts x·W + b for a dense layer, as the functional model on input({ shape: [3] })", () => {
    const s = sequential([layers.dense({ units: 2, inputShape: [3] })], { seed: 1 });
    expect(s.takesVectors).toBe(true);
    const [W, b] = s.getWeights().map((w) => Array.from(w.data));
    const xs = [[1, 2, 3], [-0.5, 0, 2]];
    const expected = xs.map((x) => [0, 1].map((j) => x.reduce((sum, v, i) => sum + v * W[i * 2 + j], b[j])));
    const ours = s.predict(xs) as number[][];
    expect(ours.length).toBe(2);
    expect(ours.map((r) => r.length)).toEqual([2, 2]);
    expect(maxAbsDiff(ours, expected)).toBeLessThan(1e-6);
    const f = functionalTwin(3, () => [layers.dense({ units: 2 })], 1);
    f.setWeights(s.getWeights());
    expect(f.predict(xs)).toEqual(ours);
  });

  for (const [name, stack, ys] of [
    ["dense → dropout → activation → dense", denseStack, randomVectors(5, 10, 2)],
    ["dense → repeatVector → LSTM → timeDistributed(dense)", repeatStack, randomVectors(6, 10, 3).map((r) => r.map((v) => [v]))],
  ] as const) {
    it(`${name}: predict, evaluate and fit give the functional model's numbers`, async () => {
      const xs = randomVectors(4, 10, 3);
      const s = sequential(stack(true), { seed: 7 });
      const f = functionalTwin(3, () => stack(false), 7);
      f.setWeights(s.getWeights());
      expect(maxAbsDiff(s.predict(xs), f.predict(xs))).toBe(0);
      for (const m of [s, f]) m.compile({ loss: "meanSquaredError", optimizer: { name: "sgd", learningRate: LR } });
      const before = s.evaluate(xs, ys as number[][]) as number;
      expect(before).toBe(f.evaluate(xs, ys as number[][]));
      const args = { epochs: 2, batchSize: 4, shuffle: false, verbose: 0 as const, threads: 1 };
      const hs = await s.fit(xs, ys as number[][], args);
      const hf = await f.fit(xs, ys as number[][], args);
      expect(hs.history.loss).toEqual(hf.history.loss);
      const ws = s.getWeights();
      const wf = f.getWeights();
      expect(ws.length).toBe(wf.length);
      ws.forEach((w, k) => expect(maxRelDiff(w.data, wf[k].data), `weight ${k}`).toBe(0));
      expect(s.evaluate(xs, ys as number[][]) as number).toBeLessThan(before);
    });
  }

  it("fitDataset, predictDataset, validation data and sample weights: the functional model's numbers", async () => {
    const xs = randomVectors(15, 8, 3);
    const ys = randomVectors(16, 8, 2);
    const s = sequential([layers.dense({ units: 2, inputShape: [3] })], { seed: 9 });
    const f = functionalTwin(3, () => [layers.dense({ units: 2 })], 9);
    f.setWeights(s.getWeights());
    for (const m of [s, f]) m.compile({ loss: "meanSquaredError", optimizer: { name: "sgd", learningRate: LR } });
    const batches = [{ xs: xs.slice(0, 3), ys: ys.slice(0, 3) }, { xs: xs.slice(3), ys: ys.slice(3) }];
    const fitArgs = { epochs: 2, verbose: 0 as const, validationData: [xs.slice(0, 2), ys.slice(0, 2)] as [number[][], number[][]] };
    const hs = await s.fitDataset(batches, fitArgs);
    expect(hs.history).toEqual((await f.fitDataset(batches, fitArgs)).history);
    const weighted = { epochs: 1, batchSize: 3, shuffle: false, verbose: 0 as const, threads: 1, sampleWeight: [1, 2, 0, 1, 1, 0.5, 1, 1], validationSplit: 0.25 };
    expect((await s.fit(xs, ys, weighted)).history).toEqual((await f.fit(xs, ys, weighted)).history);
    const perBatch = [{ xs: xs.slice(0, 5) }, { xs: xs.slice(5) }];
    const predicted = await s.predictDataset(perBatch);
    expect((predicted as number[][]).length).toBe(8);
    expect(predicted).toEqual(await f.predictDataset(perBatch));
  });

  it("does not change the caller's arrays", async () => {
    const xs = randomVectors(8, 6, 3);
    const ys = randomVectors(9, 6, 2);
    const [xCopy, yCopy] = [structuredClone(xs), structuredClone(ys)];
    const s = sequential(denseStack(true), { seed: 2 });
    s.compile({ loss: "meanSquaredError", optimizer: "sgd" });
    await s.fit(xs, ys, { epochs: 1, batchSize: 3, verbose: 0, threads: 1 });
    s.evaluate(xs, ys);
    s.predict(xs);
    expect(xs).toEqual(xCopy);
    expect(ys).toEqual(yCopy);
  });
});

describe("Sequential with inputShape [d] on two threads", () => {
  it("fits as on one thread", async () => {
    const xs = randomVectors(10, 24, 3);
    const ys = randomVectors(11, 24, 2);
    const make = () => {
      const s = sequential([layers.dense({ units: 4, activation: "tanh", inputShape: [3] }), layers.dense({ units: 2 })], { seed: 3 });
      s.compile({ loss: "meanSquaredError", optimizer: { name: "sgd", learningRate: LR } });
      return s;
    };
    await expectTwoThreadsFitAsOne({ make, xs, ys });
  });
});

describe("sequence inputShapes read as before", () => {
  const seqs = [[[1, 2, 3], [0, -1, 0.5]], [[0.2, 0.3, -0.4]], [[1, 1, 1], [2, 2, 2], [-1, 0, 1]]];

  it("[null, d]: sequences of any length, as the functional model on input({ shape: [null, d] })", () => {
    const s = sequential([layers.lstm({ units: 2, inputShape: [null, 3] }), layers.dense({ units: 1 })], { seed: 4 });
    expect(s.takesVectors).toBe(false);
    const x = input({ shape: [null, 3] });
    const f = model({ inputs: x, outputs: layers.dense({ units: 1 }).apply(layers.lstm({ units: 2 }).apply(x)) as SymbolicTensor });
    f.setWeights(s.getWeights());
    const ours = s.predict(seqs) as number[][];
    expect(ours.length).toBe(3);
    expect(ours).toEqual(f.predict(seqs));
  });

  it("[T, d]: sequences of exactly T steps", () => {
    const s = sequential([layers.lstm({ units: 2, inputShape: [2, 3] }), layers.dense({ units: 1 })], { seed: 4 });
    expect(s.takesVectors).toBe(false);
    expect((s.predict([seqs[0], seqs[0]]) as number[][]).length).toBe(2);
    expect(() => s.predict(seqs)).toThrowError(expect.objectContaining({ code: "SHAPE_MISMATCH" }));
  });

  it("an embedding's [T]: T token ids per sample, one output row per id", () => {
    const s = sequential([layers.embedding({ inputDim: 5, outputDim: 2, inputShape: [4] })], { seed: 4 });
    expect(s.takesVectors).toBe(false);
    const table = Array.from(s.getWeights()[0].data);
    const out = s.predict([[1, 2, 3, 4]], { perStep: true });
    expect(out).toEqual([[1, 2, 3, 4].map((id) => [table[id * 2], table[id * 2 + 1]])]);
  });
});

describe("coded errors, never wrong numbers", () => {
  const s = sequential([layers.dense({ units: 2, inputShape: [3] })], { seed: 1 });
  s.compile({ loss: "meanSquaredError", optimizer: "sgd" });

  it("a vector of another width: FEATURE_MISMATCH naming the sample, both widths and the fix", async () => {
    const e = refused(() => s.predict([[1, 2, 3], [1, 2]]));
    expect(e.code).toBe("FEATURE_MISMATCH");
    expect(e.message).toContain("xs[1] is not a vector of 3 numbers");
    expect(e.expected).toBe("xs[1] = 3 numbers");
    expect(e.received).toBe("2 numbers");
    expect(e.help).toContain("give every sample 3 numbers");
    expect(refused(() => s.evaluate([[1, 2]], [[0, 0]])).code).toBe("FEATURE_MISMATCH");
    await expect(s.fit([[1, 2, 3, 4]], [[0, 0]], { epochs: 1, verbose: 0 })).rejects.toMatchObject({ code: "FEATURE_MISMATCH", received: "4 numbers" });
  });

  it("sequences given to a vector model: FEATURE_MISMATCH pointing to inputShape [null, d]", () => {
    const e = refused(() => s.predict([[[1, 2, 3], [4, 5, 6], [7, 8, 9]]] as unknown as number[][]));
    expect(e.code).toBe("FEATURE_MISMATCH");
    expect(e.received).toBe("a list of 3 steps (a sequence)");
    expect(e.help).toContain("inputShape: [null, 3]");
  });

  it("one vector not wrapped in a list of samples: FEATURE_MISMATCH showing the wrapping", () => {
    const e = refused(() => s.predict([1, 2, 3] as unknown as number[][]));
    expect(e.code).toBe("FEATURE_MISMATCH");
    expect(e.received).toBe("a single number");
    expect(e.help).toContain("[[x0, x1, x2]]");
  });

  it("targets of another width: TARGET_MISMATCH", () => {
    expect(refused(() => s.evaluate([[1, 2, 3]], [[0, 0, 0]])).code).toBe("TARGET_MISMATCH");
  });

  it("a masking layer on vector input: UNSUPPORTED (a vector has no padding steps)", () => {
    const e = refused(() => sequential([layers.masking({ inputShape: [3] }), layers.dense({ units: 1 })]));
    expect(e.code).toBe("UNSUPPORTED");
    expect(e.received).toBe("inputShape (3,)");
    expect(e.help).toContain("drop the masking layer");
    expect(sequential([layers.masking({ inputShape: [null, 3] }), layers.dense({ units: 1 })]).takesVectors).toBe(false);
  });
});

function firstLayerConfig(artifacts: ModelArtifacts): Record<string, unknown> {
  const topology = artifacts.modelTopology as { model_config?: { config: { layers: { config: Record<string, unknown> }[] } }; config?: { layers: { config: Record<string, unknown> }[] } };
  const config = topology.model_config?.config ?? topology.config;
  return (config as { layers: { config: Record<string, unknown> }[] }).layers[0].config;
}

describe("save and load (TF.js layers-model format)", () => {
  const xs = randomVectors(12, 5, 3);

  it("round-trips in ragged: batch_input_shape [null, 3], a Sequential on vectors, the same predictions", async () => {
    const s = sequential(denseStack(true), { seed: 5 });
    const handler = memory();
    await s.save(handler);
    expect(firstLayerConfig(handler.artifacts as ModelArtifacts).batch_input_shape).toEqual([null, 3]);
    const back = await loadModel(handler);
    expect(back).toBeInstanceOf(Sequential);
    expect((back as Sequential).takesVectors).toBe(true);
    expect(back.predict(xs)).toEqual(s.predict(xs));
    const f = functionalTwin(3, () => denseStack(false), 5);
    f.setWeights(back.getWeights());
    expect(back.predict(xs)).toEqual(f.predict(xs));
  });

  it("a TF.js tf.sequential with inputShape [3] loads in ragged and predicts the same", async () => {
    const theirs = tf.sequential({ layers: [tf.layers.dense({ units: 4, activation: "tanh", inputShape: [3] }), tf.layers.dense({ units: 2 })] });
    const ours = await loadModel(memory(await savedByTfjs(theirs)));
    expect(ours).toBeInstanceOf(Sequential);
    const expected = (theirs.predict(tf.tensor2d(xs)) as tf.Tensor).arraySync();
    expect(maxAbsDiff(ours.predict(xs), expected)).toBeLessThan(INTERCHANGE_TOL);
  });

  it("ragged's file opens in TF.js and predicts the same", async () => {
    const s = sequential([layers.dense({ units: 4, activation: "tanh", inputShape: [3] }), layers.dense({ units: 2 })], { seed: 6 });
    const handler = memory();
    await s.save(handler);
    const theirs = await tf.loadLayersModel(tf.io.fromMemory(handler.artifacts as tf.io.ModelArtifacts));
    const expected = (theirs.predict(tf.tensor2d(xs)) as tf.Tensor).arraySync();
    expect(maxAbsDiff(s.predict(xs), expected)).toBeLessThan(INTERCHANGE_TOL);
  });
});

describe("TF.js oracle: same weights, same outputs and the same weights after one SGD step", () => {
  it("dense(tanh) → dense on vectors, mean squared error", async () => {
    const xs = randomVectors(13, 6, 3);
    const ys = randomVectors(14, 6, 2);
    const ours = sequential([layers.dense({ units: 4, activation: "tanh", inputShape: [3] }), layers.dense({ units: 2 })], { seed: 8 });
    const theirs = tf.sequential({ layers: [tf.layers.dense({ units: 4, activation: "tanh", inputShape: [3] }), tf.layers.dense({ units: 2 })] });
    theirs.setWeights(ours.getWeights().map((w) => tf.tensor(w.data, [...w.shape])));
    const xT = tf.tensor2d(xs);
    expect(maxAbsDiff(ours.predict(xs), (theirs.predict(xT) as tf.Tensor).arraySync())).toBeLessThan(ORACLE_TOL);
    ours.compile({ loss: "meanSquaredError", optimizer: { name: "sgd", learningRate: LR } });
    theirs.compile({ loss: "meanSquaredError", optimizer: tf.train.sgd(LR) });
    const before = ours.getWeights().map((w) => Float32Array.from(w.data));
    await ours.trainOnBatch(xs, ys);
    await theirs.trainOnBatch(xT, tf.tensor2d(ys));
    const theirW = theirs.getWeights();
    ours.getWeights().forEach((w, k) => {
      expect(maxRelDiff(w.data, theirW[k].dataSync()), `weight ${k} after one SGD step`).toBeLessThan(ORACLE_TOL);
      expect(maxRelDiff(w.data, before[k]), `weight ${k} moved`).toBeGreaterThan(1e-4);
    });
  });
});
