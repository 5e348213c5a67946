/**
 * A functional model whose input of shape `[T]` feeds an embedding reads T token ids per sample, as
 * Keras' `Input((T,))` → `Embedding` gives (batch, T, dim) (NOTE [ token ids of a fixed count ] in
 * src/models/functional.ts):
 * - predict gives T rows per sample, each the embedding of its id;
 * - everything downstream (LSTM, timeDistributed, pooling, per-step targets, a second input,
 *   maskZero, nested models) gives the numbers of the same graph on `input({ shape: [null] })`
 *   whose samples all have T ids, and of the Sequential with the embedding on `inputShape: [T]`,
 *   on one thread and on two;
 * - a sample of another length is a SHAPE_MISMATCH naming it; the caller's arrays are not changed;
 * - what cannot be read one way is refused when the model is built, with a coded error: the input
 *   also read as a vector (a dense layer, a model output), ids from a vector made inside the
 *   graph, and layers Keras refuses on a 2-D input (recurrent, convolution, pooling,
 *   timeDistributed, attention; masking);
 * - TF.js as the oracle: the same graph and weights, the same outputs and weights after one SGD
 *   step (within 1e-4); save → load in ragged, and both ways with TF.js (within 1e-5).
 * Before the fix the input was read as one vector per sample: the embedding looked up its first id
 * only and `predict([[1, 2, 3, 4]])` returned one row.
 */
import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { Random } from "../src/core/random.js";
import { type Layer, type LayersModel, type ModelArtifacts, type SymbolicTensor, input, layers, loadModel, memory, model, sequential } from "../src/node.js";
import { maxAbsDiff, maxRelDiff, randomVectors, refused } from "./harness.js";
import { savedByTfjs } from "./tfjs_saved.js";
import { expectTwoThreadsFitAsOne } from "./two_threads.js";

const ORACLE_TOL = 1e-4;
const INTERCHANGE_TOL = 1e-5;
const LR = 0.1;
/** Large enough that every weight moves well beyond ORACLE_TOL in one step, so the comparison can tell. */
const ORACLE_LR = 1;
const T = 4;
const VOCAB = 10;
const DIM = 3;
const sig = { recurrentActivation: "sigmoid" as const };

beforeAll(async () => {
  await tf.setBackend("cpu");
  await tf.ready();
});

function tokenIds(seed: number, count: number, length = T, vocab = VOCAB): number[][] {
  const rng = new Random(seed);
  return Array.from({ length: count }, () => Array.from({ length }, () => rng.int(0, vocab)));
}

/** `shape` (`[T]` or `[null]`) through fresh copies of the layers. */
function chain(shape: [number | null], make: () => Layer[], seed: number): LayersModel {
  const x = input({ shape, name: "ids" });
  let h: SymbolicTensor = x;
  for (const layer of make()) h = layer.apply(h) as SymbolicTensor;
  return model({ inputs: x, outputs: h, seed });
}

/** embedding → LSTM → dense: one row per sample. */
const lastState = (): Layer[] => [layers.embedding({ inputDim: VOCAB, outputDim: DIM }), layers.lstm({ units: 4 }), layers.dense({ units: 2 })];
/** embedding → LSTM (per step) → timeDistributed dense: one row per id. */
const perStep = (): Layer[] => [
  layers.embedding({ inputDim: VOCAB, outputDim: DIM }),
  layers.lstm({ units: 4, returnSequences: true }),
  layers.timeDistributed({ layer: layers.dense({ units: 2 }) }),
];
/** embedding → global average pooling → dense. */
const pooled = (): Layer[] => [layers.embedding({ inputDim: VOCAB, outputDim: DIM }), layers.globalAveragePooling1D(), layers.dense({ units: 2, activation: "tanh" })];

describe("functional input({ shape: [T] }) → embedding: T token ids per sample", () => {
  it("predicts T rows per sample, each the embedding of its id (the bug: one row, the first id's)", () => {
    const x = input({ shape: [T] });
    const e = layers.embedding({ inputDim: VOCAB, outputDim: DIM }).apply(x) as SymbolicTensor;
    expect(e.shape).toEqual([null, T, DIM]);
    const m = model({ inputs: x, outputs: e, seed: 1 });
    const table = Array.from(m.getWeights()[0].data);
    const xs = [[1, 2, 3, 4], [9, 0, 0, 7]];
    const row = (id: number) => table.slice(id * DIM, (id + 1) * DIM);
    const expected = xs.map((s) => s.map(row));
    expect(m.predict(xs)).toEqual(expected);
    expect(m.predict(xs, { perStep: true })).toEqual(expected);
    const lines: string[] = [];
    m.summary({ print: (l) => lines.push(l) });
    expect(lines.join("\n")).toContain(`(None, ${T}, ${DIM})`);
  });

  for (const [name, make, ys] of [
    ["embedding → LSTM → dense", lastState, randomVectors(3, 10, 2)],
    ["embedding → LSTM → timeDistributed(dense), per-step targets", perStep, randomVectors(4, 10, 2 * T).map((r) => Array.from({ length: T }, (_, t) => r.slice(2 * t, 2 * t + 2)))],
    ["embedding → globalAveragePooling1D → dense", pooled, randomVectors(5, 10, 2)],
  ] as const) {
    it(`${name}: predict, evaluate and fit give the numbers of the same graph on input({ shape: [null] })`, async () => {
      const xs = tokenIds(2, 10);
      const fixed = chain([T], make, 7);
      const free = chain([null], make, 7);
      free.setWeights(fixed.getWeights());
      const initial = fixed.getWeights().map((w) => Float32Array.from(w.data));
      expect(maxAbsDiff(fixed.predict(xs), free.predict(xs))).toBe(0);
      for (const m of [fixed, free]) m.compile({ loss: "meanSquaredError", optimizer: { name: "sgd", learningRate: LR } });
      const before = fixed.evaluate(xs, ys as number[][]) as number;
      expect(before).toBe(free.evaluate(xs, ys as number[][]));
      const args = { epochs: 2, batchSize: 4, shuffle: false, verbose: 0 as const, threads: 1 };
      const hFixed = await fixed.fit(xs, ys as number[][], args);
      const hFree = await free.fit(xs, ys as number[][], args);
      expect(hFixed.history.loss).toEqual(hFree.history.loss);
      const wFree = free.getWeights();
      fixed.getWeights().forEach((w, k) => {
        expect(maxRelDiff(w.data, wFree[k].data), `weight ${k}`).toBe(0);
        expect(maxRelDiff(w.data, initial[k]), `weight ${k} trained`).toBeGreaterThan(1e-6);
      });
      expect(fixed.evaluate(xs, ys as number[][])).toBe(free.evaluate(xs, ys as number[][]));
    });
  }

  it("gives the numbers of the Sequential with the embedding on inputShape [T]", async () => {
    const xs = tokenIds(6, 8);
    const ys = randomVectors(7, 8, 2);
    const s = sequential([layers.embedding({ inputDim: VOCAB, outputDim: DIM, inputShape: [T] }), layers.lstm({ units: 4 }), layers.dense({ units: 2 })], { seed: 3 });
    const f = chain([T], lastState, 3);
    f.setWeights(s.getWeights());
    expect(f.predict(xs)).toEqual(s.predict(xs));
    for (const m of [s, f]) m.compile({ loss: "meanSquaredError", optimizer: { name: "sgd", learningRate: LR } });
    const args = { epochs: 2, batchSize: 3, shuffle: false, verbose: 0 as const, threads: 1 };
    expect((await f.fit(xs, ys, args)).history.loss).toEqual((await s.fit(xs, ys, args)).history.loss);
    expect(f.predict(xs)).toEqual(s.predict(xs));
  });

  it("two inputs: ids [T] through an LSTM and a feature vector [2] through a dense layer, as with ids [null]", async () => {
    const build = (shape: [number | null], seed: number) => {
      const ids = input({ shape, name: "ids" });
      const feats = input({ shape: [2], name: "feats" });
      const h = layers.lstm({ units: 3 }).apply(layers.embedding({ inputDim: VOCAB, outputDim: DIM }).apply(ids) as SymbolicTensor) as SymbolicTensor;
      const g = layers.dense({ units: 2, activation: "tanh" }).apply(feats) as SymbolicTensor;
      const out = layers.dense({ units: 1 }).apply(layers.concatenate().apply([h, g]) as SymbolicTensor) as SymbolicTensor;
      return model({ inputs: [ids, feats], outputs: out, seed });
    };
    const xs = { ids: tokenIds(8, 6), feats: randomVectors(9, 6, 2) };
    const ys = randomVectors(10, 6, 1);
    const fixed = build([T], 4);
    const free = build([null], 4);
    free.setWeights(fixed.getWeights());
    expect(fixed.predict(xs)).toEqual(free.predict(xs));
    for (const m of [fixed, free]) m.compile({ loss: "meanSquaredError", optimizer: { name: "sgd", learningRate: LR } });
    const args = { epochs: 2, batchSize: 4, shuffle: false, verbose: 0 as const, threads: 1 };
    expect((await fixed.fit(xs, ys, args)).history.loss).toEqual((await free.fit(xs, ys, args)).history.loss);
    expect(fixed.predict(xs)).toEqual(free.predict(xs));
  });

  it("maskZero on [T]: padding ids are dropped, as for the unpadded ids on [null] and the Sequential on inputShape [T]", () => {
    const padded = [[3, 4, 0, 0, 0], [5, 6, 7, 8, 9], [1, 0, 0, 0, 0]];
    const unpadded = [[3, 4], [5, 6, 7, 8, 9], [1]];
    const masked = () => [layers.embedding({ inputDim: VOCAB, outputDim: DIM, maskZero: true }), layers.lstm({ units: 3 })];
    const fixed = chain([5], masked, 5);
    const free = chain([null], () => [layers.embedding({ inputDim: VOCAB, outputDim: DIM }), layers.lstm({ units: 3 })], 5);
    free.setWeights(fixed.getWeights());
    const s = sequential([layers.embedding({ inputDim: VOCAB, outputDim: DIM, maskZero: true, inputShape: [5] }), layers.lstm({ units: 3 })], { seed: 5 });
    s.setWeights(fixed.getWeights());
    const ours = fixed.predict(padded);
    expect(maxAbsDiff(ours, free.predict(unpadded))).toBeLessThan(1e-6);
    expect(ours).toEqual(s.predict(padded));
  });

  it("a nested model (or Sequential) on ids [T] applied to an input [T] reads ids too", () => {
    const xs = tokenIds(11, 5);
    const flatModel = chain([T], lastState, 6);
    const inner = chain([T], () => lastState().slice(0, 2), 6);
    const outer = (encoder: LayersModel) => {
      const x = input({ shape: [T], name: "outer_ids" });
      return model({ inputs: x, outputs: layers.dense({ units: 2 }).apply(encoder.apply(x) as SymbolicTensor) as SymbolicTensor, seed: 6 });
    };
    const viaModel = outer(inner);
    viaModel.setWeights(flatModel.getWeights());
    expect(viaModel.predict(xs)).toEqual(flatModel.predict(xs));
    const innerSeq = sequential([layers.embedding({ inputDim: VOCAB, outputDim: DIM, inputShape: [T] }), layers.lstm({ units: 4 })]);
    const viaSequential = outer(innerSeq);
    viaSequential.setWeights(flatModel.getWeights());
    expect(viaSequential.predict(xs)).toEqual(flatModel.predict(xs));
    expect(refused(() => viaModel.predict([[1, 2, 3]])).code).toBe("SHAPE_MISMATCH");
  });

  it("a sample of another length: SHAPE_MISMATCH naming it, in predict, evaluate and fit", async () => {
    const m = chain([T], lastState, 1);
    m.compile({ loss: "meanSquaredError", optimizer: "sgd" });
    const e = refused(() => m.predict([[1, 2, 3, 4], [1, 2, 3]]));
    expect(e.code).toBe("SHAPE_MISMATCH");
    expect(e.message).toContain(`xs[1] has 3 token ids, but the model's input "ids" fixes ${T} per sample`);
    expect(e.expected).toContain(`${T} token ids at xs[1]`);
    expect(e.help).toContain("padSequences");
    expect(refused(() => m.evaluate([[1, 2, 3, 4, 5]], [[0, 0]])).code).toBe("SHAPE_MISMATCH");
    await expect(m.fit([[1, 2]], [[0, 0]], { epochs: 1, verbose: 0 })).rejects.toMatchObject({ code: "SHAPE_MISMATCH" });
  });

  it("an id outside the vocabulary: BAD_INPUT naming the sample and the step", () => {
    const m = chain([T], lastState, 1);
    const e = refused(() => m.predict([[1, 2, 3, 4], [1, 2, VOCAB, 4]]));
    expect(e.code).toBe("BAD_INPUT");
    expect(e.message).toContain("xs[1][2]");
  });

  it("does not change the caller's arrays", async () => {
    const xs = { ids: tokenIds(12, 6), other: tokenIds(13, 6) };
    const ys = randomVectors(14, 6, 2);
    const [xCopy, yCopy] = [structuredClone(xs), structuredClone(ys)];
    const ids = input({ shape: [T], name: "ids" });
    const other = input({ shape: [null], name: "other" });
    const embed = layers.embedding({ inputDim: VOCAB, outputDim: DIM });
    const both = layers.concatenate().apply([
      layers.lstm({ units: 2 }).apply(embed.apply(ids) as SymbolicTensor) as SymbolicTensor,
      layers.lstm({ units: 2 }).apply(embed.apply(other) as SymbolicTensor) as SymbolicTensor,
    ]) as SymbolicTensor;
    const m = model({ inputs: [ids, other], outputs: layers.dense({ units: 2 }).apply(both) as SymbolicTensor, seed: 2 });
    m.compile({ loss: "meanSquaredError", optimizer: "sgd" });
    await m.fit(xs, ys, { epochs: 1, batchSize: 3, verbose: 0, threads: 1 });
    m.evaluate(xs, ys);
    m.predict(xs);
    expect(xs).toEqual(xCopy);
    expect(ys).toEqual(yCopy);
  });
});

describe("functional ids [T] on two threads", () => {
  it("fits as on one thread, per-step targets", async () => {
    const xs = tokenIds(15, 24);
    const ys = randomVectors(16, 24, 2 * T).map((r) => Array.from({ length: T }, (_, t) => r.slice(2 * t, 2 * t + 2)));
    const make = () => {
      const m = chain([T], perStep, 3);
      m.compile({ loss: "meanSquaredError", optimizer: { name: "sgd", learningRate: LR } });
      return m;
    };
    await expectTwoThreadsFitAsOne({ make, xs, ys });
  });
});

describe("refused when the model is built: coded errors, never wrong numbers", () => {
  it("the input [T] also read as a vector by a dense layer: UNSUPPORTED saying both readings and the fix", () => {
    const x = input({ shape: [T], name: "mixed" });
    const h = layers.lstm({ units: 2 }).apply(layers.embedding({ inputDim: VOCAB, outputDim: DIM }).apply(x) as SymbolicTensor) as SymbolicTensor;
    const g = layers.dense({ units: 2, name: "features_dense" }).apply(x) as SymbolicTensor;
    const e = refused(() => model({ inputs: x, outputs: layers.concatenate().apply([h, g]) as SymbolicTensor }));
    expect(e.code).toBe("UNSUPPORTED");
    expect(e.message).toContain(`input "mixed" (shape [${T}]) feeds an embedding, which reads it as ${T} token ids per sample`);
    expect(e.message).toContain('Dense "features_dense"');
    expect(e.help).toContain("two inputs");
  });

  it("the input [T] also a model output: UNSUPPORTED", () => {
    const x = input({ shape: [T] });
    const e = layers.embedding({ inputDim: VOCAB, outputDim: DIM }).apply(x) as SymbolicTensor;
    const err = refused(() => model({ inputs: x, outputs: [e, x] }));
    expect(err.code).toBe("UNSUPPORTED");
    expect(err.received).toContain("the model's outputs");
  });

  it("ids from a vector made inside the graph: UNSUPPORTED naming the layer that made it", () => {
    const x = input({ shape: [3] });
    const v = layers.dense({ units: T, name: "makes_vector" }).apply(x) as SymbolicTensor;
    const e = refused(() => model({ inputs: x, outputs: layers.embedding({ inputDim: VOCAB, outputDim: DIM }).apply(v) as SymbolicTensor }));
    expect(e.code).toBe("UNSUPPORTED");
    expect(e.message).toContain('Dense "makes_vector"');
    const inner = chain([T], lastState, 1);
    const viaNested = refused(() => model({ inputs: x, outputs: inner.apply(layers.dense({ units: T }).apply(x) as SymbolicTensor) as SymbolicTensor }));
    expect(viaNested.code).toBe("UNSUPPORTED");
  });

  const vectorIn = (): SymbolicTensor => input({ shape: [T] });
  for (const [name, make] of [
    ["lstm", () => layers.lstm({ units: 2 })],
    ["gru", () => layers.gru({ units: 2 })],
    ["simpleRNN", () => layers.simpleRNN({ units: 2 })],
    ["bidirectional", () => layers.bidirectional({ layer: layers.lstm({ units: 2 }) })],
    ["conv1d", () => layers.conv1d({ filters: 2, kernelSize: 2 })],
    ["maxPooling1D", () => layers.maxPooling1D({ poolSize: 2 })],
    ["globalAveragePooling1D", () => layers.globalAveragePooling1D()],
    ["timeDistributed", () => layers.timeDistributed({ layer: layers.dense({ units: 2 }) })],
    ["attention", () => layers.attention()],
  ] as const) {
    it(`${name} on a vector input [${T}]: SHAPE_MISMATCH, as Keras refuses a 2-D input`, () => {
      expect(refused(() => (make() as Layer).apply(vectorIn())).code).toBe("SHAPE_MISMATCH");
    });
  }

  it("masking on a vector input: UNSUPPORTED (a vector has no padding steps)", () => {
    const e = refused(() => layers.masking().apply(vectorIn()));
    expect(e.code).toBe("UNSUPPORTED");
    expect(e.help).toContain("drop the masking layer");
  });

  it("still allowed: one input [T] read by two embeddings, and a dense layer on a vector input", () => {
    const x = input({ shape: [T] });
    const a = layers.embedding({ inputDim: VOCAB, outputDim: DIM }).apply(x) as SymbolicTensor;
    const b = layers.embedding({ inputDim: VOCAB + 2, outputDim: DIM }).apply(x) as SymbolicTensor;
    const m = model({ inputs: x, outputs: layers.add().apply([a, b]) as SymbolicTensor });
    expect((m.predict([[1, 2, 3, 4]]) as number[][][])[0].length).toBe(T);
    const e = refused(() => m.predict([[1, 2, 3, VOCAB]]));
    expect(e.code).toBe("BAD_INPUT"); // checked against the smaller vocabulary, when the data is read
    expect(e.message).toContain("xs[0][3]");
    const v = input({ shape: [T] });
    expect(model({ inputs: v, outputs: layers.dense({ units: 1 }).apply(v) as SymbolicTensor }).predict([[1, 2, 3, 4]])).toHaveLength(1);
  });
});

/** embedding → LSTM → dense in TF.js, on `tf.input({ shape: [T] })`. */
function tfjsLastState(): tf.LayersModel {
  const x = tf.input({ shape: [T], name: "ids" });
  const e = tf.layers.embedding({ inputDim: VOCAB, outputDim: DIM }).apply(x) as tf.SymbolicTensor;
  const h = tf.layers.lstm({ units: 4, ...sig }).apply(e) as tf.SymbolicTensor;
  return tf.model({ inputs: x, outputs: tf.layers.dense({ units: 2 }).apply(h) as tf.SymbolicTensor });
}

/** embedding → LSTM (per step) → timeDistributed dense in TF.js. */
function tfjsPerStep(): tf.LayersModel {
  const x = tf.input({ shape: [T], name: "ids" });
  const e = tf.layers.embedding({ inputDim: VOCAB, outputDim: DIM }).apply(x) as tf.SymbolicTensor;
  const h = tf.layers.lstm({ units: 4, returnSequences: true, ...sig }).apply(e) as tf.SymbolicTensor;
  return tf.model({ inputs: x, outputs: tf.layers.timeDistributed({ layer: tf.layers.dense({ units: 2 }) }).apply(h) as tf.SymbolicTensor });
}

describe("TF.js oracle: the same graph and weights, the same outputs and weights after one SGD step", () => {
  for (const [name, ours, theirs, ys] of [
    ["input [T] → embedding → LSTM → dense", lastState, tfjsLastState, randomVectors(21, 6, 2).map((r) => r.map((v) => 4 * v))],
    ["input [T] → embedding → LSTM → timeDistributed(dense), per-step targets", perStep, tfjsPerStep, randomVectors(22, 6, 2 * T).map((r) => Array.from({ length: T }, (_, t) => r.slice(2 * t, 2 * t + 2).map((v) => 4 * v)))],
  ] as const) {
    it(name, async () => {
      const xs = tokenIds(20, 6);
      const m = chain([T], ours, 8);
      const t = theirs();
      t.setWeights(m.getWeights().map((w) => tf.tensor(w.data, [...w.shape])));
      const xT = tf.tensor2d(xs);
      expect(maxAbsDiff(m.predict(xs), (t.predict(xT) as tf.Tensor).arraySync())).toBeLessThan(ORACLE_TOL);
      m.compile({ loss: "meanSquaredError", optimizer: { name: "sgd", learningRate: ORACLE_LR } });
      t.compile({ loss: "meanSquaredError", optimizer: tf.train.sgd(ORACLE_LR) });
      const before = m.getWeights().map((w) => Float32Array.from(w.data));
      await m.trainOnBatch(xs, ys as number[][]);
      await t.trainOnBatch(xT, tf.tensor(ys as number[][]));
      const theirW = t.getWeights();
      m.getWeights().forEach((w, k) => {
        expect(maxRelDiff(w.data, theirW[k].dataSync()), `weight ${k} after one SGD step`).toBeLessThan(ORACLE_TOL);
        expect(maxRelDiff(w.data, before[k]), `weight ${k} moved`).toBeGreaterThan(10 * ORACLE_TOL);
      });
    });
  }
});

function inputLayerConfig(artifacts: ModelArtifacts): Record<string, unknown> {
  const topology = artifacts.modelTopology as { model_config?: { config: { layers: { class_name: string; config: Record<string, unknown> }[] } }; config?: { layers: { class_name: string; config: Record<string, unknown> }[] } };
  const config = (topology.model_config?.config ?? topology.config) as { layers: { class_name: string; config: Record<string, unknown> }[] };
  return (config.layers.find((l) => l.class_name === "InputLayer") as { config: Record<string, unknown> }).config;
}

describe("save and load (TF.js layers-model format)", () => {
  const xs = tokenIds(30, 5);

  it("round-trips in ragged: batch_input_shape [null, T], the same predictions, ids still read per step", async () => {
    const m = chain([T], perStep, 9);
    const handler = memory();
    await m.save(handler);
    expect(inputLayerConfig(handler.artifacts as ModelArtifacts).batch_input_shape).toEqual([null, T]);
    const back = await loadModel(handler);
    const out = back.predict(xs) as number[][][];
    expect(out.map((r) => r.length)).toEqual(xs.map(() => T));
    expect(out).toEqual(m.predict(xs));
  });

  it("ragged's file opens in TF.js and predicts the same", async () => {
    const m = chain([T], lastState, 10);
    const handler = memory();
    await m.save(handler);
    const theirs = await tf.loadLayersModel(tf.io.fromMemory(handler.artifacts as tf.io.ModelArtifacts));
    const expected = (theirs.predict(tf.tensor2d(xs)) as tf.Tensor).arraySync();
    expect(maxAbsDiff(m.predict(xs), expected)).toBeLessThan(INTERCHANGE_TOL);
  });

  it("a TF.js tf.model on tf.input({ shape: [T] }) → embedding → LSTM → dense loads in ragged and predicts the same", async () => {
    const theirs = tfjsLastState();
    const ours = await loadModel(memory(await savedByTfjs(theirs)));
    const expected = (theirs.predict(tf.tensor2d(xs)) as tf.Tensor).arraySync();
    expect(maxAbsDiff(ours.predict(xs), expected)).toBeLessThan(INTERCHANGE_TOL);
    const perStepTheirs = tfjsPerStep();
    const perStepOurs = await loadModel(memory(await savedByTfjs(perStepTheirs)));
    const expectedSteps = (perStepTheirs.predict(tf.tensor2d(xs)) as tf.Tensor).arraySync();
    expect(maxAbsDiff(perStepOurs.predict(xs), expectedSteps)).toBeLessThan(INTERCHANGE_TOL);
  });
});
