/**
 * Save/load for conv1d, maxPooling1D, averagePooling1D, layerNormalization and batchNormalization:
 * ragged → ragged round trips give identical predictions, `tf.loadLayersModel` opens ragged's
 * files and predicts the same, and ragged opens files TF.js saved (TensorFlow.js 4.22, cpu).
 * TF.js runs unmasked padded tensors, so each sequence is compared with TF.js on that sequence
 * alone; predictions agree within 1e-5.
 */
import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { Random } from "../src/core/random.js";
import { layers, loadModel, memory, sequential, type ModelArtifacts, type Sequential } from "../src/index.js";
import type { Layer } from "../src/layers/layer.js";
import { maxAbsDiff, randomSequences } from "./harness.js";
import { savedByTfjs } from "./tfjs_saved.js";

const TOL = 1e-5;
const LENGTHS = [9, 4, 12, 6];

beforeAll(async () => {
  await tf.setBackend("cpu");
  await tf.ready();
});

function tfjsPerSequence(model: tf.LayersModel, xs: number[][][]): unknown[] {
  return xs.map((x) => (model.predict(tf.tensor3d([x])) as tf.Tensor).arraySync() as unknown[]).map((v) => v[0]);
}

/** Makes the non-trainable statistics of batch normalization non-trivial before saving. */
function perturbStatistics(model: Sequential): void {
  const rng = new Random(99);
  for (const v of model.weights) if (!v.trainable) for (let i = 0; i < v.size; i++) v.value[i] = v.name.includes("variance") ? 0.5 + rng.uniform() : rng.uniformRange(-0.5, 0.5);
}

const C = 3;
const RAGGED_CASES: { name: string; layers: () => Layer[] }[] = [
  { name: "conv1d valid relu → maxPooling1D → lstm", layers: () => [layers.conv1d({ filters: 4, kernelSize: 3, activation: "relu", inputShape: [null, C] }), layers.maxPooling1D({ poolSize: 2 }), layers.lstm({ units: 3 })] },
  { name: "conv1d same strides 2 → averagePooling1D same → dense", layers: () => [layers.conv1d({ filters: 4, kernelSize: 4, strides: 2, padding: "same", inputShape: [null, C] }), layers.averagePooling1D({ poolSize: 3, strides: 1, padding: "same" }), layers.dense({ units: 2 })] },
  { name: "conv1d dilation 2 (no bias) → globalAveragePooling1D", layers: () => [layers.conv1d({ filters: 5, kernelSize: 2, dilationRate: 2, useBias: false, inputShape: [null, C] }), layers.globalAveragePooling1D()] },
  { name: "batchNormalization → conv1d → layerNormalization → gru", layers: () => [layers.batchNormalization({ momentum: 0.9, epsilon: 1e-2, inputShape: [null, C] }), layers.conv1d({ filters: 4, kernelSize: 3, padding: "same" }), layers.layerNormalization({ gammaInitializer: { name: "constant", value: 1.5 } }), layers.gru({ units: 3, resetAfter: false })] },
  { name: "lstm → batchNormalization (no scale) → layerNormalization (no center) → dense", layers: () => [layers.lstm({ units: 4, returnSequences: true, inputShape: [null, C] }), layers.batchNormalization({ scale: false }), layers.layerNormalization({ center: false }), layers.dense({ units: 2 })] },
];

describe("conv1d / pooling save and load", () => {
  for (const c of RAGGED_CASES) {
    it(`ragged → ragged: ${c.name}`, async () => {
      const ours = sequential(c.layers(), { seed: 5 });
      perturbStatistics(ours);
      const mem = memory();
      await ours.save(mem);
      const again = await loadModel(memory(mem.artifacts as ModelArtifacts));
      expect(again.layers.map((l) => l.getConfig())).toEqual(ours.layers.map((l) => l.getConfig()));
      const xs = randomSequences(new Random(1), LENGTHS, C);
      expect(again.predict(xs)).toEqual(ours.predict(xs));
    });

    it(`ragged → TF.js: ${c.name}`, async () => {
      const ours = sequential(c.layers(), { seed: 6 });
      perturbStatistics(ours);
      const mem = memory();
      await ours.save(mem);
      const theirs = await tf.loadLayersModel(tf.io.fromMemory(mem.artifacts as tf.io.ModelArtifacts));
      expect(theirs.layers.map((l) => l.getClassName())).toEqual(ours.layers.map((l) => l.className));
      const xs = randomSequences(new Random(2), LENGTHS, C);
      expect(maxAbsDiff(ours.predict(xs), tfjsPerSequence(theirs, xs))).toBeLessThan(TOL);
    });
  }

  it("a causal conv1d saves with padding \"causal\": ragged reads it back; TF.js 4.22 refuses it", async () => {
    const ours = sequential([layers.conv1d({ filters: 2, kernelSize: 3, padding: "causal", inputShape: [null, C] })], { seed: 7 });
    const mem = memory();
    await ours.save(mem);
    const again = await loadModel(memory(mem.artifacts as ModelArtifacts));
    const xs = randomSequences(new Random(3), LENGTHS, C);
    expect(again.predict(xs)).toEqual(ours.predict(xs));
    const load = async () => {
      const theirs = await tf.loadLayersModel(tf.io.fromMemory(mem.artifacts as tf.io.ModelArtifacts));
      theirs.predict(tf.tensor3d([xs[0]]));
    };
    await expect(load()).rejects.toThrow(/causal/i);
  });

  const TFJS_CASES: { name: string; build: () => tf.Sequential }[] = [
    {
      name: "TF.js conv1d same → maxPooling1d → gru",
      build: () => tf.sequential({ layers: [tf.layers.conv1d({ filters: 4, kernelSize: 3, padding: "same", activation: "relu", inputShape: [null, C] }), tf.layers.maxPooling1d({ poolSize: 2 }), tf.layers.gru({ units: 3 })] }),
    },
    {
      name: "TF.js conv1d strides 2 → averagePooling1d strides 1 → dense",
      build: () => tf.sequential({ layers: [tf.layers.conv1d({ filters: 3, kernelSize: 2, strides: 2, inputShape: [null, C] }), tf.layers.averagePooling1d({ poolSize: 2, strides: 1 }), tf.layers.dense({ units: 2, activation: "softmax" })] }),
    },
    {
      name: "TF.js batchNormalization → conv1d → layerNormalization → lstm",
      build: () => {
        const m = tf.sequential({ layers: [tf.layers.batchNormalization({ inputShape: [null, C] }), tf.layers.conv1d({ filters: 4, kernelSize: 2 }), tf.layers.layerNormalization(), tf.layers.lstm({ units: 3 })] });
        const bn = m.layers[0];
        bn.setWeights([tf.tensor1d([1.2, 0.8, 1.1]), tf.tensor1d([0.1, -0.2, 0.3]), tf.tensor1d([0.2, -0.1, 0.05]), tf.tensor1d([1.5, 0.7, 1.2])]);
        return m;
      },
    },
  ];
  for (const c of TFJS_CASES) {
    it(`TF.js → ragged: ${c.name}`, async () => {
      const theirs = c.build();
      const ours = await loadModel(memory(await savedByTfjs(theirs)));
      expect(ours.layers.map((l) => l.className)).toEqual(theirs.layers.map((l) => l.getClassName()));
      const xs = randomSequences(new Random(4), LENGTHS, C);
      expect(maxAbsDiff(ours.predict(xs), tfjsPerSequence(theirs, xs))).toBeLessThan(TOL);
    });
  }

  it("TF.js → ragged and back: a functional residual block, add([x, conv1d same(x)]) → maxPooling1d same stride 1 → add → lstm (merges that needed a same conv to keep lengths)", async () => {
    const x = tf.input({ shape: [null, C] });
    const conv = tf.layers.conv1d({ filters: C, kernelSize: 3, padding: "same", activation: "relu" }).apply(x) as tf.SymbolicTensor;
    const r1 = tf.layers.add().apply([x, conv]) as tf.SymbolicTensor;
    const pooled = tf.layers.maxPooling1d({ poolSize: 3, strides: 1, padding: "same" }).apply(r1) as tf.SymbolicTensor;
    const r2 = tf.layers.add().apply([r1, pooled]) as tf.SymbolicTensor;
    const theirs = tf.model({ inputs: x, outputs: tf.layers.lstm({ units: 3 }).apply(r2) as tf.SymbolicTensor });
    const ours = await loadModel(memory(await savedByTfjs(theirs)));
    const xs = randomSequences(new Random(5), LENGTHS, C);
    expect(maxAbsDiff(ours.predict(xs), tfjsPerSequence(theirs, xs))).toBeLessThan(TOL);
    const mem = memory();
    await ours.save(mem);
    const back = await tf.loadLayersModel(tf.io.fromMemory(mem.artifacts as tf.io.ModelArtifacts));
    expect(maxAbsDiff(ours.predict(xs), tfjsPerSequence(back, xs))).toBeLessThan(TOL);
  });
});
