/**
 * layerNormalization and batchNormalization: TF.js oracle on single sequences (outputs in training
 * and inference, and every weight — moving statistics included — after one SGD step, within
 * 1e-4), finite-difference gradients on ragged batches (training mode, a mask with holes
 * included), statistics over real steps only, batch-mate independence, coded errors.
 *
 * Porting note: TF.js 4.22 cannot train these layers with `center: false` or `scale: false` (its
 * training step reads the missing beta/gamma and throws), so the oracle cases keep both; those
 * options are checked by finite differences here.
 */
import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { RaggedError } from "../src/core/errors.js";
import { batchNormStatistics } from "../src/core/kernels/batch_norm.js";
import { Random } from "../src/core/random.js";
import { packBatch } from "../src/data/packed.js";
import { layers, sequential } from "../src/index.js";
import type { Layer } from "../src/layers/layer.js";
import type { LayerValue } from "../src/layers/values.js";
import { builtLayer, checkLayerGradients, maxRelDiff, randomPackedInput, randomSequences } from "./harness.js";

const TOL = 1e-4;

beforeAll(async () => {
  await tf.setBackend("cpu");
  await tf.ready();
});

describe("TF.js oracle on a single sequence: outputs and one SGD step", () => {
  const cases: { name: string; ours: () => Layer[]; theirs: () => tf.layers.Layer[] }[] = [
    {
      name: "conv1d → layerNormalization → dense",
      ours: () => [layers.conv1d({ filters: 5, kernelSize: 2, inputShape: [null, 3] }), layers.layerNormalization({ gammaInitializer: { name: "randomUniform", minval: 0.5, maxval: 1.5 }, betaInitializer: { name: "randomUniform", minval: -0.5, maxval: 0.5 } }), layers.dense({ units: 2 })],
      theirs: () => [tf.layers.conv1d({ filters: 5, kernelSize: 2, inputShape: [null, 3] }), tf.layers.layerNormalization(), tf.layers.dense({ units: 2 })],
    },
    {
      name: "lstm → layerNormalization (epsilon 1e-2)",
      ours: () => [layers.lstm({ units: 4, returnSequences: true, inputShape: [null, 3] }), layers.layerNormalization({ epsilon: 1e-2 })],
      theirs: () => [tf.layers.lstm({ units: 4, returnSequences: true, recurrentActivation: "sigmoid", inputShape: [null, 3] }), tf.layers.layerNormalization({ epsilon: 1e-2 })],
    },
    {
      name: "conv1d (no bias) → batchNormalization (momentum 0.9) → dense",
      ours: () => [layers.conv1d({ filters: 4, kernelSize: 3, padding: "same", useBias: false, inputShape: [null, 3] }), layers.batchNormalization({ momentum: 0.9 }), layers.dense({ units: 2 })],
      theirs: () => [tf.layers.conv1d({ filters: 4, kernelSize: 3, padding: "same", useBias: false, inputShape: [null, 3] }), tf.layers.batchNormalization({ momentum: 0.9 }), tf.layers.dense({ units: 2 })],
    },
    {
      name: "batchNormalization first (epsilon 1e-2) → lstm",
      ours: () => [layers.batchNormalization({ epsilon: 1e-2, inputShape: [null, 3] }), layers.lstm({ units: 3, returnSequences: true })],
      theirs: () => [tf.layers.batchNormalization({ epsilon: 1e-2, inputShape: [null, 3] }), tf.layers.lstm({ units: 3, returnSequences: true, recurrentActivation: "sigmoid" })],
    },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const rng = new Random(17);
      const [x] = randomSequences(rng, [8], 3);
      const ours = sequential(c.ours(), { seed: 4 });
      // non-trivial moving statistics
      for (const v of ours.weights) if (!v.trainable) for (let i = 0; i < v.size; i++) v.value[i] = v.name.includes("variance") ? 0.5 + rng.uniform() : rng.uniformRange(-0.3, 0.3);
      const theirs = tf.sequential({ layers: c.theirs() });
      // layer by layer: TF.js' model-level weight list puts every trainable weight first
      const copyInto = () => ours.layers.forEach((l, i) => theirs.layers[i].setWeights(l.getWeights().map((w) => tf.tensor(w.data, [...w.shape]))));
      copyInto();
      const xT = tf.tensor3d([x]);
      const flat = (v: unknown) => (v as number[]).flat(3) as number[];
      // inference
      expect(maxRelDiff(flat(ours.predict([x])), flat((theirs.predict(xT) as tf.Tensor).arraySync()))).toBeLessThan(TOL);
      // training mode forward (batch statistics)
      const pass = ours.run({ kind: "sequence", ...(() => { const p = packBatch([x], { features: 3 }); return { layout: p.layout, data: p.data, width: 3, mask: null }; })() }, { training: true, needsGrad: false, rng: new Random(1) });
      const theirTrain = (theirs.apply(xT, { training: true }) as tf.Tensor).dataSync();
      expect(maxRelDiff(pass.output.data, theirTrain)).toBeLessThan(TOL);
      copyInto(); // the same moving statistics again on both sides (TF.js' apply does not update them)
      // one SGD step
      const width = ours.outputWidth;
      const y = (pass.output.layout.totalSteps === x.length ? x : x.slice(0, pass.output.layout.totalSteps)).map(() => Array.from({ length: width }, () => rng.uniformRange(-1, 1)));
      ours.compile({ loss: "meanSquaredError", optimizer: { name: "sgd", learningRate: 0.1 } });
      theirs.compile({ loss: "meanSquaredError", optimizer: tf.train.sgd(0.1) });
      const before = ours.getWeights();
      await ours.trainOnBatch([x], [y]);
      await theirs.trainOnBatch(xT, tf.tensor3d([y]));
      const theirW = theirs.layers.flatMap((l) => l.getWeights());
      const ourW = ours.getWeights();
      expect(ourW.length).toBe(theirW.length);
      ourW.forEach((w, i) => {
        expect(maxRelDiff(w.data, theirW[i].dataSync()), `weight ${i} (${ours.weights[i].name})`).toBeLessThan(TOL);
        expect(maxRelDiff(w.data, before[i].data), `weight ${i} moved`).toBeGreaterThan(1e-7);
      });
    });
  }
});

describe("finite-difference gradients on a ragged batch", () => {
  it("layerNormalization without center, and batchNormalization without scale", () => {
    const ln = builtLayer(layers.layerNormalization({ center: false }), 3);
    expect(checkLayerGradients(ln, randomPackedInput(12, [4, 2], 3))).toBeGreaterThan(20);
    const bn = builtLayer(layers.batchNormalization({ scale: false }), 3);
    expect(checkLayerGradients(bn, randomPackedInput(13, [4, 2], 3), { training: true })).toBeGreaterThan(20);
  });
  it("layerNormalization on steps", () => {
    const layer = builtLayer(layers.layerNormalization({ gammaInitializer: { name: "randomUniform", minval: 0.5, maxval: 1.5 } }), 4);
    expect(checkLayerGradients(layer, randomPackedInput(2, [5, 1, 3, 0], 4))).toBeGreaterThan(40);
  });
  it("batchNormalization in training (batch statistics over the real rows)", () => {
    const layer = builtLayer(layers.batchNormalization({ gammaInitializer: { name: "randomUniform", minval: 0.5, maxval: 1.5 }, betaInitializer: { name: "randomUniform", minval: -1, maxval: 1 } }), 3);
    expect(checkLayerGradients(layer, randomPackedInput(3, [6, 2, 4, 1], 3), { training: true })).toBeGreaterThan(40);
  });
  it("batchNormalization in training under a mask with holes (masked rows normalized, not counted)", () => {
    const input = randomPackedInput(4, [5, 5, 5], 3);
    const mask = new Uint8Array(input.layout.totalSteps).fill(1);
    mask[1] = mask[4] = mask[11] = 0;
    const layer = builtLayer(layers.batchNormalization({ gammaInitializer: { name: "randomUniform", minval: 0.5, maxval: 1.5 } }), 3);
    expect(checkLayerGradients(layer, { ...input, mask } as LayerValue, { training: true })).toBeGreaterThan(40);
  });
  it("batchNormalization in inference (moving statistics are constants)", () => {
    const layer = builtLayer(layers.batchNormalization({ movingVarianceInitializer: { name: "constant", value: 2 } }), 3);
    expect(checkLayerGradients(layer, randomPackedInput(5, [4, 3], 3), { training: false })).toBeGreaterThan(20);
  });
});

describe("statistics over real steps only", () => {
  it("a masked (hole) row changes neither the batch statistics nor the moving ones", () => {
    const input = randomPackedInput(6, [4, 4], 2);
    const mask = Uint8Array.from([1, 1, 1, 0, 1, 1, 1, 1]);
    const data = Float32Array.from(input.data);
    data[3 * 2] = 1000; // the hole row's value must not matter
    const withHole = builtLayer(layers.batchNormalization(), 2);
    withHole.forward({ ...input, data, mask } as LayerValue, { training: true, rng: new Random(1), needsGrad: false, inputNeedsGrad: false });
    const real = Float32Array.from([...input.data.subarray(0, 6), ...input.data.subarray(8)]);
    const mean = new Float32Array(2);
    const variance = new Float32Array(2);
    batchNormStatistics({ mean, variance, x: real, rowMask: null, M: 7, C: 2 });
    const [, , movingMean, movingVariance] = withHole.getWeights();
    expect(maxRelDiff(movingMean.data, Float32Array.from(mean, (m) => 0.01 * m))).toBeLessThan(1e-6);
    expect(maxRelDiff(movingVariance.data, Float32Array.from(variance, (v) => 0.99 + 0.01 * v))).toBeLessThan(1e-6);
  });

  it("training statistics equal those of the real steps concatenated, whatever the lengths", () => {
    const xs = randomSequences(new Random(7), [9, 2, 5], 3);
    const model = sequential([layers.batchNormalization({ momentum: 0, inputShape: [null, 3] })], { seed: 1 });
    model.compile({ loss: "meanSquaredError", optimizer: { name: "sgd", learningRate: 1e-3 } });
    return model.trainOnBatch(xs, xs, { threads: 1 }).then(() => {
      const rows = xs.flat();
      const mean = [0, 1, 2].map((c) => rows.reduce((s, r) => s + r[c], 0) / rows.length);
      const variance = [0, 1, 2].map((c) => rows.reduce((s, r) => s + (r[c] - mean[c]) ** 2, 0) / rows.length);
      const w = model.getWeights();
      expect(maxRelDiff(w[2].data, mean)).toBeLessThan(1e-5);
      expect(maxRelDiff(w[3].data, variance)).toBeLessThan(1e-5);
    });
  });

  it("inference: each sequence's output is independent of its batch-mates (both layers)", () => {
    const model = sequential([layers.conv1d({ filters: 4, kernelSize: 3, padding: "same", inputShape: [null, 3] }), layers.batchNormalization(), layers.layerNormalization(), layers.gru({ units: 3, returnSequences: true })], { seed: 2 });
    for (const v of model.weights) if (!v.trainable) v.value.fill(v.name.includes("variance") ? 1.5 : 0.2);
    const xs = randomSequences(new Random(8), [10, 1, 4, 7], 3);
    const together = model.predict(xs) as number[][][];
    xs.forEach((x, i) => expect(maxRelDiff(together[i].flat(), (model.predict([x]) as number[][][])[0].flat())).toBeLessThan(1e-6));
  });

  it("trainable: false runs batchNormalization in inference mode even in training (Keras 3)", () => {
    const layer = builtLayer(layers.batchNormalization({ trainable: false }), 2);
    const input = randomPackedInput(9, [3, 2], 2);
    const before = layer.getWeights().map((w) => Float32Array.from(w.data));
    const train = layer.forward(input, { training: true, rng: new Random(1), needsGrad: false, inputNeedsGrad: false }).output.data;
    const infer = layer.forward(input, { training: false, rng: new Random(1), needsGrad: false, inputNeedsGrad: false }).output.data;
    expect(train).toEqual(infer);
    layer.getWeights().forEach((w, i) => expect(w.data).toEqual(before[i]));
  });

  it("fit with threads runs a batchNormalization model on one thread, the same as threads: 1", async () => {
    const xs = randomSequences(new Random(10), [6, 3, 5, 2, 7, 4, 3, 5], 2);
    const ys = xs.map((x) => x.map(() => [0.5]));
    const run = async (threads: number) => {
      const m = sequential([layers.batchNormalization({ inputShape: [null, 2] }), layers.simpleRNN({ units: 1, returnSequences: true })], { seed: 3 });
      m.compile({ loss: "meanSquaredError", optimizer: "sgd" });
      await m.fit(xs, ys, { epochs: 2, batchSize: 8, shuffle: false, verbose: 0, threads });
      return m.getWeights().map((w) => Array.from(w.data));
    };
    expect(await run(2)).toEqual(await run(1));
  });
});

describe("coded errors", () => {
  const code = (f: () => unknown) => {
    try {
      f();
    } catch (e) {
      expect(e).toBeInstanceOf(RaggedError);
      return (e as RaggedError).code;
    }
    return "no error";
  };
  it("axes other than the features, bad epsilon and momentum", () => {
    expect(code(() => layers.layerNormalization({ axis: 1 }).build([null, null, 3], new Random(1)))).toBe("UNSUPPORTED");
    expect(code(() => layers.batchNormalization({ axis: [0, 2] }))).toBe("UNSUPPORTED");
    expect(code(() => layers.layerNormalization({ epsilon: 0 }))).toBe("INVALID_ARGUMENT");
    expect(code(() => layers.batchNormalization({ momentum: 1.5 }))).toBe("INVALID_ARGUMENT");
    expect(code(() => sequential([layers.batchNormalization({ axis: 2, inputShape: [null, 3] })]))).toBe("no error");
    expect(code(() => sequential([layers.layerNormalization({ axis: [2], inputShape: [null, 3] })]))).toBe("no error");
  });
});
