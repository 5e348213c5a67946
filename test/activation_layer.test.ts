/**
 * layers.activation (Keras' `Activation`): TF.js as the oracle (outputs, and every weight after one
 * SGD step on the mean squared error, within 1e-4, on a single sequence and on vector input);
 * finite-difference gradients for every supported activation; ragged semantics (a sequence's
 * output is its own, a mask passes through); save/load in ragged and both ways with TF.js (within
 * 1e-5); coded errors.
 */
import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { RaggedError } from "../src/core/errors.js";
import { type ActivationName, SUPPORTED_ACTIVATIONS } from "../src/core/kernels/activations.js";
import { Random } from "../src/core/random.js";
import { packBatch } from "../src/data/packed.js";
import { type ModelArtifacts, type SymbolicTensor, input, layers, loadModel, memory, model, padSequences, sequential } from "../src/index.js";
import { isBuiltInLayer } from "../src/io/registry.js";
import type { ForwardContext, Layer } from "../src/layers/layer.js";
import type { LayerValue, SequenceValue } from "../src/layers/values.js";
import { threadBlocker } from "../src/training/parallel/pool.js";
import { batchOf, checkGradients, checkLayerGradients, maxRelDiff, randomOneHot, randomSequences } from "./harness.js";
import { savedByTfjs } from "./tfjs_saved.js";

const ORACLE_TOL = 1e-4;
const INTERCHANGE_TOL = 1e-5;
const LR = 0.1;
const ORACLE_ACTIVATIONS = ["relu", "tanh", "sigmoid", "softmax"] as const;

beforeAll(async () => {
  await tf.setBackend("cpu");
  await tf.ready();
});

const inference = (): ForwardContext => ({ training: false, rng: new Random(1), needsGrad: true, inputNeedsGrad: true });
const flat = (v: unknown): number[] => (v as number[]).flat(3) as number[];

function packedInput(values: number[][][], C: number, mask?: Uint8Array): SequenceValue {
  const p = packBatch(values, { features: C });
  return { kind: "sequence", layout: p.layout, data: p.data, width: C, mask: mask ?? null };
}

function built<T extends Layer>(layer: T, C: number): T {
  layer.build([null, null, C], new Random(3));
  return layer;
}

/** Copies ragged's weights into TF.js layer by layer. */
function copyWeights(ours: { layers: Layer[] }, theirs: tf.LayersModel, theirLayers: tf.layers.Layer[]): void {
  const withWeights = ours.layers.filter((l) => l.weights.length > 0);
  const theirsWithWeights = theirLayers.filter((l) => l.weights.length > 0);
  expect(withWeights.length).toBe(theirsWithWeights.length);
  withWeights.forEach((l, i) => theirsWithWeights[i].setWeights(l.getWeights().map((w) => tf.tensor(w.data, [...w.shape]))));
  expect(theirs.countParams()).toBeGreaterThan(0);
}

/** One SGD step on both sides, then every weight within ORACLE_TOL (and moved by the step). */
async function expectSameSgdStep(ours: ReturnType<typeof sequential> | ReturnType<typeof model>, theirs: tf.LayersModel, x: unknown, xT: tf.Tensor, y: number[][] | number[][][]): Promise<void> {
  ours.compile({ loss: "meanSquaredError", optimizer: { name: "sgd", learningRate: LR } });
  theirs.compile({ loss: "meanSquaredError", optimizer: tf.train.sgd(LR) });
  const before = ours.getWeights().map((w) => Float32Array.from(w.data));
  await ours.trainOnBatch(x as number[][][], y);
  await theirs.trainOnBatch(xT, tf.tensor(y));
  const theirW = theirs.getWeights();
  const ourW = ours.getWeights();
  expect(ourW.length).toBe(theirW.length);
  ourW.forEach((w, i) => {
    expect(maxRelDiff(w.data, theirW[i].dataSync()), `weight ${i} after one SGD step`).toBeLessThan(ORACLE_TOL);
    expect(maxRelDiff(w.data, before[i]), `weight ${i} moved`).toBeGreaterThan(1e-6);
  });
}

describe("TF.js oracle: outputs and one SGD step on the mean squared error", () => {
  for (const activation of ORACLE_ACTIVATIONS) {
    it(`${activation} on a single sequence: conv1d → activation → dense`, async () => {
      const rng = new Random(41);
      const [x] = randomSequences(rng, [9], 3);
      const ours = sequential(
        [layers.conv1d({ filters: 4, kernelSize: 2, biasInitializer: "glorotUniform", inputShape: [null, 3] }), layers.activation({ activation }), layers.dense({ units: 2 })],
        { seed: 5 },
      );
      const theirLayers = [tf.layers.conv1d({ filters: 4, kernelSize: 2, inputShape: [null, 3] }), tf.layers.activation({ activation }), tf.layers.dense({ units: 2 })];
      const theirs = tf.sequential({ layers: theirLayers });
      copyWeights(ours, theirs, theirLayers);
      const xT = tf.tensor3d([x]);
      const ourOut = ours.predict([x]) as number[][][];
      const theirOut = (theirs.predict(xT) as tf.Tensor).arraySync() as number[][][];
      expect(ourOut[0].length).toBe(8);
      expect(maxRelDiff(flat(ourOut[0]), flat(theirOut[0]))).toBeLessThan(ORACLE_TOL);
      // the activation's own output, too (TF.js: the model cut after it)
      const cut = tf.model({ inputs: theirs.inputs, outputs: theirLayers[1].output as tf.SymbolicTensor });
      const conv = ours.layers[0].forward(packedInput([x], 3), inference()).output;
      const hidden = ours.layers[1].forward(conv, inference()).output.data;
      expect(maxRelDiff(hidden, flat((cut.predict(xT) as tf.Tensor).arraySync()))).toBeLessThan(ORACLE_TOL);
      if (activation === "relu") expect(hidden.some((v) => v === 0)).toBe(true); // the kink is exercised
      const y = ourOut[0].map(() => [rng.uniformRange(-1, 1), rng.uniformRange(-1, 1)]);
      await expectSameSgdStep(ours, theirs, [x], xT, [y]);
    });

    it(`${activation} on vector input: dense → activation`, async () => {
      const rng = new Random(43);
      const xs = Array.from({ length: 5 }, () => Array.from({ length: 3 }, () => rng.uniformRange(-1, 1)));
      const v = input({ shape: [3] });
      const ours = model({ inputs: v, outputs: layers.activation({ activation }).apply(layers.dense({ units: 4, biasInitializer: "glorotUniform" }).apply(v) as SymbolicTensor) as SymbolicTensor, seed: 6 });
      const tv = tf.input({ shape: [3] });
      const dense = tf.layers.dense({ units: 4 });
      const act = tf.layers.activation({ activation });
      const theirs = tf.model({ inputs: tv, outputs: act.apply(dense.apply(tv)) as tf.SymbolicTensor });
      copyWeights(ours, theirs, [dense, act]);
      const xT = tf.tensor2d(xs);
      const ourOut = ours.predict(xs) as number[][];
      expect(ourOut.length).toBe(5);
      expect(ourOut[0].length).toBe(4);
      expect(maxRelDiff(flat(ourOut), flat((theirs.predict(xT) as tf.Tensor).arraySync()))).toBeLessThan(ORACLE_TOL);
      const y = xs.map(() => Array.from({ length: 4 }, () => rng.uniformRange(-1, 1)));
      await expectSameSgdStep(ours, theirs, xs, xT, y);
    });
  }
});

/** Values in [−4, 4), at least 0.05 away from every kink (0 for relu, ±2.5 and ±3 for the hard sigmoids). */
function awayFromKinks(rng: Random, lengths: number[], C: number): number[][][] {
  const kinks = [0, -2.5, 2.5, -3, 3];
  return lengths.map((n) =>
    Array.from({ length: n }, () =>
      Array.from({ length: C }, () => {
        let v = rng.uniformRange(-4, 4);
        while (kinks.some((k) => Math.abs(v - k) < 0.05)) v = rng.uniformRange(-4, 4);
        return v;
      }),
    ),
  );
}

describe("finite-difference gradients through the layer", () => {
  for (const activation of SUPPORTED_ACTIVATIONS) {
    it(`${activation}: the layer alone on a ragged batch (input gradient), and a model's weights through it`, () => {
      const layer = built(layers.activation({ activation }), 4);
      const values = awayFromKinks(new Random(51), [5, 1, 3, 0], 4);
      expect(checkLayerGradients(layer, packedInput(values, 4), { perVariable: 64 })).toBe(36);
      // under a mask with holes too (padding rows computed, as Dense does)
      const holed = packedInput(awayFromKinks(new Random(52), [4, 4], 3), 3, Uint8Array.from([1, 0, 1, 1, 1, 1, 0, 1]));
      expect(checkLayerGradients(built(layers.activation({ activation }), 3), holed)).toBe(24);

      const model = sequential(
        [
          layers.dense({ units: 4, biasInitializer: { name: "randomUniform", minval: -1, maxval: 1 }, inputShape: [null, 3] }),
          layers.activation({ activation }),
          layers.timeDistributed({ layer: layers.dense({ units: 3, activation: "softmax" }) }),
        ],
        { seed: 8 },
      );
      model.compile({ loss: "categoricalCrossentropy", optimizer: "sgd" });
      const rng = new Random(53);
      const lengths = [5, 0, 3, 7, 1];
      const batch = batchOf(model, randomSequences(rng, lengths, 3), randomOneHot(rng, lengths, 3, true));
      // a narrow step near the kinks of relu and the hard sigmoids
      const kinked = activation === "relu" || activation.startsWith("hardSigmoid");
      expect(checkGradients(model, batch, kinked ? { step: 1e-3 } : {})).toBe(16 + 15);
    });
  }

  it("backward uses the activation's derivative (a wrong derivative fails the check)", () => {
    const layer = built(layers.activation({ activation: "tanh" }), 2);
    const value = packedInput(awayFromKinks(new Random(54), [3], 2), 2);
    const { backward } = layer.forward(value, inference());
    const ones = { ...value, data: new Float32Array(value.data.length).fill(1) } as LayerValue;
    const dx = backward(ones)!.data;
    value.data.forEach((x, i) => expect(dx[i]).toBeCloseTo(1 - Math.tanh(x) ** 2, 5));
  });
});

describe("ragged semantics", () => {
  it("each sequence's output is unchanged by its batch-mates' lengths", () => {
    for (const activation of ["softmax", "relu"] as const) {
      const m = sequential(
        [layers.conv1d({ filters: 4, kernelSize: 3, padding: "same", inputShape: [null, 3] }), layers.activation({ activation }), layers.gru({ units: 3, returnSequences: true })],
        { seed: 9 },
      );
      const xs = randomSequences(new Random(61), [10, 1, 4, 7], 3);
      const together = m.predict(xs) as number[][][];
      expect(together.map((o) => o.length)).toEqual([10, 1, 4, 7]);
      xs.forEach((x, i) => expect(maxRelDiff(flat(together[i]), flat((m.predict([x]) as number[][][])[0]))).toBeLessThan(1e-6));
    }
  });

  it("the layout and mask pass through unchanged; the input is not written", () => {
    const layer = built(layers.activation({ activation: "softmax" }), 3);
    const mask = Uint8Array.from([1, 1, 0, 1, 1, 1]);
    const value = packedInput(randomSequences(new Random(62), [3, 3], 3), 3, mask);
    const before = Float32Array.from(value.data);
    const { output, backward } = layer.forward(value, inference());
    expect(output.kind).toBe("sequence");
    expect(output.layout).toBe(value.layout);
    expect((output as SequenceValue).mask).toEqual(mask);
    expect(output.width).toBe(3);
    // softmax over each row's features
    for (let r = 0; r < 6; r++) expect(output.data.subarray(3 * r, 3 * r + 3).reduce((s, v) => s + v, 0)).toBeCloseTo(1, 6);
    const dx = backward({ ...output, data: Float32Array.from(output.data, (_, i) => i % 3) } as LayerValue)!;
    expect((dx as SequenceValue).mask).toEqual(mask);
    expect(dx.layout).toBe(value.layout);
    expect(value.data).toEqual(before);
    expect(value.mask).toEqual(Uint8Array.from([1, 1, 0, 1, 1, 1]));
  });

  it("a Keras-style padded, masked input keeps its mask through the layer (holes included)", () => {
    const xs = randomSequences(new Random(63), [5, 3, 6], 3);
    const padded = padSequences(xs, { maxlen: 6, padding: "post" }) as number[][][];
    // a hole inside the first sequence: the general masked path carries the mask through every layer
    padded[0][2] = [0, 0, 0];
    for (const activation of ["sigmoid", "relu"] as const) {
      const m = sequential([layers.masking({ inputShape: [null, 3] }), layers.activation({ activation }), layers.lstm({ units: 3, returnSequences: true })], { seed: 10 });
      const out = m.predict(padded) as number[][][];
      // the masked rows (hole, padding) are skipped by the LSTM: the same as each sequence with
      // its masked steps removed, and zeros at the masked steps
      const real = [[...xs[0].slice(0, 2), ...xs[0].slice(3)], xs[1], xs[2]];
      const alone = m.predict(real) as number[][][];
      const realSteps = [[0, 1, 3, 4], [0, 1, 2], [0, 1, 2, 3, 4, 5]];
      realSteps.forEach((steps, i) => expect(maxRelDiff(flat(steps.map((t) => out[i][t])), flat(alone[i]))).toBeLessThan(1e-6));
      expect(out[0][2]).toEqual([0, 0, 0]);
      expect(out[1][4]).toEqual([0, 0, 0]);
    }
  });

  it("a model with an activation layer trains on threads (a built-in layer)", () => {
    expect(isBuiltInLayer("Activation")).toBe(true);
    const m = sequential([layers.dense({ units: 3, inputShape: [null, 2] }), layers.activation({ activation: "relu" }), layers.dense({ units: 1 })], { seed: 11 });
    m.compile({ loss: "meanSquaredError", optimizer: "sgd" });
    expect(threadBlocker(m)).toBeNull();
  });
});

function expectWithin(ours: unknown, theirs: unknown, tol: number): void {
  const a = flat(ours);
  const b = flat(theirs);
  expect(a.length).toBe(b.length);
  expect(a.length).toBeGreaterThan(0);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i] - b[i]));
  expect(max).toBeLessThan(tol);
}

/** TF.js on each sequence alone (no padding reaches it). */
function tfjsPerSequence(m: tf.LayersModel, xs: number[][][]): unknown[] {
  return xs.map((x) => ((m.predict(tf.tensor3d([x])) as tf.Tensor).arraySync() as unknown[])[0]);
}

describe("save and load", () => {
  const LENGTHS = [6, 2, 9, 4];

  it("ragged → ragged: the same config and identical predictions, every activation", async () => {
    for (const activation of SUPPORTED_ACTIVATIONS) {
      const m = sequential([layers.dense({ units: 3, inputShape: [null, 2] }), layers.activation({ activation }), layers.dense({ units: 2 })], { seed: 12 });
      const mem = memory();
      await m.save(mem);
      const json = mem.artifacts!.modelTopology as { config: { layers: { class_name: string; config: Record<string, unknown> }[] } };
      const entry = json.config.layers.find((l) => l.class_name === "Activation");
      expect(entry?.config.activation).toBe(activation.startsWith("hardSigmoid") ? "hard_sigmoid" : activation);
      const back = await loadModel(memory(mem.artifacts!));
      expect(back.layers[1].className).toBe("Activation");
      expect(back.layers[1].getConfig()).toEqual({ activation });
      const xs = randomSequences(new Random(71), LENGTHS, 2).map((x) => x.map((r) => r.map((v) => 3 * v)));
      expect(back.predict(xs)).toEqual(m.predict(xs));
    }
  });

  it("ragged → TF.js: an LSTM-FCN-style conv1d → batchNormalization → activation(relu) branch opens in TF.js", async () => {
    const ours = sequential(
      [
        layers.conv1d({ filters: 6, kernelSize: 3, padding: "same", inputShape: [null, 3] }),
        layers.batchNormalization(),
        layers.activation({ activation: "relu" }),
        layers.globalAveragePooling1D(),
        layers.dense({ units: 3 }),
        layers.activation({ activation: "softmax" }),
      ],
      { seed: 13 },
    );
    // non-trivial moving statistics
    const rng = new Random(72);
    for (const v of ours.weights) if (!v.trainable) for (let i = 0; i < v.size; i++) v.value[i] = v.name.includes("variance") ? 0.5 + rng.uniform() : rng.uniformRange(-0.3, 0.3);
    const mem = memory();
    await ours.save(mem);
    const theirs = await tf.loadLayersModel(tf.io.fromMemory(mem.artifacts as tf.io.ModelArtifacts));
    expect(theirs.layers.map((l) => l.getClassName())).toEqual(ours.layers.map((l) => l.className));
    const xs = randomSequences(new Random(73), LENGTHS, 3);
    expectWithin(ours.predict(xs), tfjsPerSequence(theirs, xs), INTERCHANGE_TOL);
  });

  it("TF.js → ragged: TF.js' Activation layers load and predict the same", async () => {
    const theirs = tf.sequential({
      layers: [
        tf.layers.conv1d({ filters: 4, kernelSize: 2, inputShape: [null, 3] }),
        tf.layers.activation({ activation: "tanh" }),
        tf.layers.timeDistributed({ layer: tf.layers.activation({ activation: "sigmoid" }) }),
        tf.layers.lstm({ units: 3, returnSequences: true, recurrentActivation: "sigmoid" }),
        tf.layers.activation({ activation: "relu" }),
        tf.layers.dense({ units: 3 }),
        tf.layers.activation({ activation: "softmax" }),
      ],
    });
    const artifacts = await savedByTfjs(theirs);
    const ours = await loadModel(memory(artifacts));
    expect(ours.layers.map((l) => l.className)).toEqual(theirs.layers.map((l) => l.getClassName()));
    expect(ours.layers.filter((l) => l.className === "Activation").map((l) => l.getConfig())).toEqual([{ activation: "tanh" }, { activation: "relu" }, { activation: "softmax" }]);
    const xs = randomSequences(new Random(74), LENGTHS, 3);
    expectWithin(ours.predict(xs), tfjsPerSequence(theirs, xs), INTERCHANGE_TOL);
  });

  it("a saved activation ragged does not have is refused with UNKNOWN_NAME", async () => {
    const mem = memory();
    await sequential([layers.activation({ activation: "relu", inputShape: [null, 2] })], { seed: 14 }).save(mem);
    const text = JSON.stringify(mem.artifacts!.modelTopology).replace('"activation":"relu"', '"activation":"selu"');
    expect(text).toContain("selu");
    const bad = { ...mem.artifacts!, modelTopology: JSON.parse(text) } as ModelArtifacts;
    await expect(loadModel(memory(bad))).rejects.toMatchObject({ code: "UNKNOWN_NAME", message: expect.stringMatching(/unsupported activation/) });
  });
});

describe("coded errors and options", () => {
  const error = (f: () => unknown): RaggedError => {
    try {
      f();
    } catch (e) {
      expect(e).toBeInstanceOf(RaggedError);
      return e as RaggedError;
    }
    throw new Error("expected an error");
  };

  it("an unknown activation name is UNKNOWN_NAME naming the layer; a missing one INVALID_ARGUMENT", () => {
    const e = error(() => layers.activation({ activation: "swish" as ActivationName, name: "act_x" }));
    expect(e.code).toBe("UNKNOWN_NAME");
    expect(e.message).toMatch(/act_x/);
    expect(e.message).toMatch(/"relu"/);
    expect(e.message).toMatch(/"swish"/);
    expect(error(() => layers.activation({} as { activation: ActivationName })).code).toBe("INVALID_ARGUMENT");
    expect(error(() => layers.activation(undefined as unknown as { activation: ActivationName })).code).toBe("INVALID_ARGUMENT");
  });

  it("Keras' snake_case spelling is read; linear is the identity; the output shape is the input's", () => {
    expect(layers.activation({ activation: "hard_sigmoid" as ActivationName }).activation).toBe("hardSigmoid");
    const m = sequential([layers.lstm({ units: 4, returnSequences: true, inputShape: [null, 2] }), layers.activation({ activation: "tanh" })], { seed: 15 });
    expect(m.outputShape).toEqual([null, null, 4]);
    expect(m.layers[1].countParams()).toBe(0);
    const linear = built(layers.activation({ activation: "linear" }), 2);
    const value = packedInput([[[1, -2], [3, -4]]], 2);
    expect(Array.from(linear.forward(value, inference()).output.data)).toEqual([1, -2, 3, -4]);
  });
});
