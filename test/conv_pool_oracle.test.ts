/**
 * TensorFlow.js as the oracle for conv1d, maxPooling1D and averagePooling1D, on single sequences
 * (where Keras, TF.js and ragged must agree exactly): the same weights, the same sequence; the
 * outputs, and every weight after one SGD step on the mean squared error, agree within 1e-4.
 *
 * Porting notes this test relies on:
 * - TF.js 4.22 throws on `padding: "causal"`; causal is compared against TF.js `valid` on the
 *   sequence left-padded with (k − 1)·d zero steps (Keras' own definition of causal).
 * - TF.js has no gradient for a dilated convolution: dilated outputs are compared with TF.js, their
 *   gradients by finite differences (conv_pool_gradients.test.ts).
 * - TF.js' average-pooling gradient (tfjs-backend-cpu AvgPoolGrad) divides by the full window
 *   even where its forward divides by the steps present (`same` padding at the edges), so its
 *   SGD step disagrees with its own forward there. TensorFlow (Keras) and ragged divide both by
 *   the steps present; that case compares outputs with TF.js and gradients by finite differences.
 */
import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { Random } from "../src/core/random.js";
import { layers, sequential, type Sequential } from "../src/index.js";
import type { Layer } from "../src/layers/layer.js";
import { maxRelDiff, randomSequences } from "./harness.js";

const TOL = 1e-4;
const LR = 0.1;

beforeAll(async () => {
  await tf.setBackend("cpu");
  await tf.ready();
});

interface Case {
  name: string;
  /** ragged's layers (the first takes inputShape [null, C]). */
  ours: () => Layer[];
  /** TF.js' layers (the first takes inputShape [null, C]). */
  theirs: () => tf.layers.Layer[];
  C: number;
  L: number;
  /** Zero steps to put before the sequence on the TF.js side (causal vs valid). */
  leftPad?: number;
  /** Compare the SGD step too (false where TF.js has no gradient). */
  sgd?: boolean;
}

function conv(args: Record<string, unknown>, C: number): { ours: () => Layer[]; theirs: () => tf.layers.Layer[] } {
  const theirsArgs = { ...args, padding: args.padding === "causal" ? "valid" : args.padding };
  return {
    ours: () => [layers.conv1d({ ...(args as { filters: number; kernelSize: number }), inputShape: [null, C] })],
    theirs: () => [tf.layers.conv1d({ ...(theirsArgs as unknown as { filters: number; kernelSize: number }), inputShape: [null, C] })],
  };
}

const CASES: Case[] = [
  { name: "conv1d valid k3", ...conv({ filters: 4, kernelSize: 3, biasInitializer: "glorotUniform" }, 3), C: 3, L: 9, sgd: true },
  { name: "conv1d valid k3 strides 2, relu", ...conv({ filters: 4, kernelSize: 3, strides: 2, activation: "relu", biasInitializer: "glorotUniform" }, 3), C: 3, L: 10, sgd: true },
  { name: "conv1d same k3", ...conv({ filters: 5, kernelSize: 3, padding: "same", activation: "tanh" }, 2), C: 2, L: 7, sgd: true },
  { name: "conv1d same k4 (even kernel) strides 3", ...conv({ filters: 3, kernelSize: 4, strides: 3, padding: "same" }, 2), C: 2, L: 11, sgd: true },
  { name: "conv1d same k2 strides 2, no bias", ...conv({ filters: 3, kernelSize: 2, strides: 2, padding: "same", useBias: false }, 3), C: 3, L: 7, sgd: true },
  { name: "conv1d causal k3 (TF.js: valid on (k−1) left zeros)", ...conv({ filters: 4, kernelSize: 3, padding: "causal", biasInitializer: "glorotUniform" }, 3), C: 3, L: 8, leftPad: 2, sgd: true },
  { name: "conv1d causal k2 strides 2", ...conv({ filters: 2, kernelSize: 2, strides: 2, padding: "causal" }, 3), C: 3, L: 9, leftPad: 1, sgd: true },
  { name: "conv1d valid k3 dilation 2 (outputs)", ...conv({ filters: 4, kernelSize: 3, dilationRate: 2 }, 3), C: 3, L: 11 },
  { name: "conv1d same k3 dilation 2 (outputs)", ...conv({ filters: 4, kernelSize: 3, dilationRate: 2, padding: "same" }, 2), C: 2, L: 8 },
  { name: "conv1d causal k3 dilation 3 (outputs)", ...conv({ filters: 3, kernelSize: 3, dilationRate: 3, padding: "causal" }, 2), C: 2, L: 9, leftPad: 6 },
  {
    name: "conv1d same → maxPooling1D 2 (valid)",
    ours: () => [layers.conv1d({ filters: 4, kernelSize: 3, padding: "same", inputShape: [null, 3] }), layers.maxPooling1D({ poolSize: 2 })],
    theirs: () => [tf.layers.conv1d({ filters: 4, kernelSize: 3, padding: "same", inputShape: [null, 3] }), tf.layers.maxPooling1d({ poolSize: 2 })],
    C: 3, L: 9, sgd: true,
  },
  {
    name: "conv1d → maxPooling1D 3 strides 2 same",
    ours: () => [layers.conv1d({ filters: 4, kernelSize: 2, inputShape: [null, 3] }), layers.maxPooling1D({ poolSize: 3, strides: 2, padding: "same" })],
    theirs: () => [tf.layers.conv1d({ filters: 4, kernelSize: 2, inputShape: [null, 3] }), tf.layers.maxPooling1d({ poolSize: 3, strides: 2, padding: "same" })],
    C: 3, L: 10, sgd: true,
  },
  {
    name: "conv1d → averagePooling1D 2 (valid)",
    ours: () => [layers.conv1d({ filters: 4, kernelSize: 3, inputShape: [null, 2] }), layers.averagePooling1D({ poolSize: 2 })],
    theirs: () => [tf.layers.conv1d({ filters: 4, kernelSize: 3, inputShape: [null, 2] }), tf.layers.averagePooling1d({ poolSize: 2 })],
    C: 2, L: 10, sgd: true,
  },
  {
    name: "conv1d → averagePooling1D 3 strides 2 same (edges average the steps present; outputs)",
    ours: () => [layers.conv1d({ filters: 3, kernelSize: 2, inputShape: [null, 2] }), layers.averagePooling1D({ poolSize: 3, strides: 2, padding: "same" })],
    theirs: () => [tf.layers.conv1d({ filters: 3, kernelSize: 2, inputShape: [null, 2] }), tf.layers.averagePooling1d({ poolSize: 3, strides: 2, padding: "same" })],
    C: 2, L: 9,
  },
  {
    name: "averagePooling1D 4 same alone, on raw input",
    ours: () => [layers.averagePooling1D({ poolSize: 4, strides: 1, padding: "same", inputShape: [null, 2] }), layers.dense({ units: 2 })],
    theirs: () => [tf.layers.averagePooling1d({ poolSize: 4, strides: 1, padding: "same", inputShape: [null, 2] }), tf.layers.dense({ units: 2 })],
    C: 2, L: 6, sgd: true,
  },
];

function flat(x: unknown): number[] {
  return (x as number[]).flat(3) as number[];
}

async function runCase(c: Case): Promise<void> {
  const rng = new Random(c.L * 31 + c.C);
  const [x] = randomSequences(rng, [c.L], c.C);
  const ours: Sequential = sequential(c.ours(), { seed: c.L + 7 });
  const theirs = tf.sequential({ layers: c.theirs() });
  theirs.setWeights(ours.getWeights().map((w) => tf.tensor(w.data, [...w.shape])));
  const xT = tf.tensor3d([[...Array.from({ length: c.leftPad ?? 0 }, () => new Array(c.C).fill(0)), ...x]]);

  const theirOut = (theirs.predict(xT) as tf.Tensor).arraySync() as number[][][];
  const ourOut = ours.predict([x]) as number[][][];
  expect(ourOut[0].length, "output length").toBe(theirOut[0].length);
  expect(ourOut[0].length).toBeGreaterThan(0);
  expect(maxRelDiff(flat(ourOut[0]), flat(theirOut[0]))).toBeLessThan(TOL);

  if (!c.sgd) return;
  const outLen = ourOut[0].length;
  const width = ourOut[0][0].length;
  const y = Array.from({ length: outLen }, () => Array.from({ length: width }, () => rng.uniformRange(-1, 1)));
  ours.compile({ loss: "meanSquaredError", optimizer: { name: "sgd", learningRate: LR } });
  theirs.compile({ loss: "meanSquaredError", optimizer: tf.train.sgd(LR) });
  const before = ours.getWeights().map((w) => Float32Array.from(w.data));
  await ours.trainOnBatch([x], [y]);
  await theirs.trainOnBatch(xT, tf.tensor3d([y]));
  const theirW = theirs.getWeights();
  const ourW = ours.getWeights();
  expect(ourW.length).toBe(theirW.length);
  ourW.forEach((w, i) => {
    expect(maxRelDiff(w.data, theirW[i].dataSync()), `weight ${i} after one SGD step`).toBeLessThan(TOL);
    // the step moved the weights (the comparison is not of untouched copies)
    expect(maxRelDiff(w.data, before[i])).toBeGreaterThan(1e-6);
  });
}

describe("conv1d and 1-D pooling: TF.js oracle on single sequences", () => {
  for (const c of CASES) {
    it(c.name, async () => {
      await runCase(c);
    });
  }
});
