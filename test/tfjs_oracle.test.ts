/**
 * TensorFlow.js as a live oracle: the same weights, the same data padded and masked in TF.js
 * versus ragged on the ragged data. Outputs at real timesteps and every weight gradient agree
 * within 1e-4 (absolute, or relative for entries above 1).
 *
 * Porting notes this test relies on:
 * - TF.js LSTM defaults `recurrentActivation: "hardSigmoid"`; Keras 3 and ragged use "sigmoid",
 *   so the TF.js layers are built with "sigmoid" explicitly.
 * - TF.js does not apply the mask to the loss (Keras 3 does); the TF.js side computes Keras'
 *   masked loss Σ ℓ·m / Σ m by hand from the lengths.
 */
import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { Random } from "../src/core/random.js";
import { layers, sequential, type Sequential } from "../src/index.js";
import { computeGradients } from "../src/training/train_step.js";
import { batchOf, randomOneHot, randomSequences } from "./harness.js";

const TOL = 1e-4;

beforeAll(async () => {
  await tf.setBackend("cpu");
  await tf.ready();
});

/** [B, T, C] zero-padded, pre or post, and the [B, T] mask. */
function padded(xs: number[][][], width: number, padding: "pre" | "post"): { x: number[][][]; mask: number[][] } {
  const T = Math.max(...xs.map((s) => s.length));
  const x = xs.map((s) => {
    const pad = Array.from({ length: T - s.length }, () => new Array(width).fill(0));
    return padding === "post" ? [...s, ...pad] : [...pad, ...s];
  });
  const mask = xs.map((s) => {
    const m = Array.from({ length: T }, (_, t) => (padding === "post" ? (t < s.length ? 1 : 0) : t >= T - s.length ? 1 : 0));
    return m;
  });
  return { x, mask };
}

function copyWeights(from: Sequential, to: tf.LayersModel): void {
  to.setWeights(from.getWeights().map((w) => tf.tensor(w.data, [...w.shape])));
}

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]) / Math.max(1, Math.abs(b[i])));
  return m;
}

/** Keras' categorical crossentropy on non-softmax outputs, masked: Σ ℓ·m / Σ m. */
function kerasMaskedCce(pred: tf.Tensor, y: tf.Tensor, mask: tf.Tensor): tf.Scalar {
  const eps = 1e-7;
  const p = tf.clipByValue(tf.div(pred, tf.sum(pred, -1, true)), eps, 1 - eps);
  const perStep = tf.neg(tf.sum(tf.mul(y, tf.log(p)), -1));
  return tf.div(tf.sum(tf.mul(perStep, mask)), tf.sum(mask)) as tf.Scalar;
}

describe("TF.js oracle", () => {
  for (const padding of ["post", "pre"] as const) {
    it(`seed model (lstm 6 → lstm 4 → timeDistributed dense sigmoid), ${padding}-padded + masked in TF.js`, () => {
      const rng = new Random(11);
      const lengths = [7, 3, 5, 1, 6];
      const xs = randomSequences(rng, lengths, 3);
      const ys = randomOneHot(rng, lengths, 2, true) as number[][][];
      const ours = sequential(
        [
          layers.lstm({ units: 6, returnSequences: true, inputShape: [null, 3] }),
          layers.lstm({ units: 4, returnSequences: true }),
          layers.timeDistributed({ layer: layers.dense({ units: 2, activation: "sigmoid" }) }),
        ],
        { seed: 12 },
      );
      ours.compile({ loss: "categoricalCrossentropy", optimizer: "adam" });

      const theirs = tf.sequential({
        layers: [
          tf.layers.masking({ maskValue: 0, inputShape: [null, 3] }),
          tf.layers.lstm({ units: 6, returnSequences: true, recurrentActivation: "sigmoid" }),
          tf.layers.lstm({ units: 4, returnSequences: true, recurrentActivation: "sigmoid" }),
          tf.layers.timeDistributed({ layer: tf.layers.dense({ units: 2, activation: "sigmoid" }) }),
        ],
      });
      copyWeights(ours, theirs);

      // outputs at real timesteps
      const { x, mask } = padded(xs, 3, padding);
      const yPadded = padded(ys, 2, padding).x;
      const theirOut = (theirs.predict(tf.tensor3d(x)) as tf.Tensor).arraySync() as number[][][];
      const ourOut = ours.predict(xs) as number[][][];
      const T = x[0].length;
      lengths.forEach((len, i) => {
        const offset = padding === "post" ? 0 : T - len;
        expect(ourOut[i].length).toBe(len);
        for (let t = 0; t < len; t++) expect(maxDiff(ourOut[i][t], theirOut[i][t + offset])).toBeLessThan(TOL);
      });

      // loss and weight gradients
      const batch = batchOf(ours, xs, ys);
      const ourLoss = computeGradients(ours, batch).loss;
      const xT = tf.tensor3d(x);
      const yT = tf.tensor3d(yPadded);
      const mT = tf.tensor2d(mask);
      const { value, grads } = tf.variableGrads(() => kerasMaskedCce(theirs.apply(xT, { training: true }) as tf.Tensor, yT, mT));
      expect(Math.abs(ourLoss - value.dataSync()[0])).toBeLessThan(TOL);
      const theirWeights = theirs.trainableWeights;
      expect(theirWeights.length).toBe(ours.trainableWeights.length);
      ours.trainableWeights.forEach((v, i) => {
        const g = grads[theirWeights[i].name];
        expect(g, theirWeights[i].name).toBeDefined();
        expect([...g.shape]).toEqual([...v.shape]);
        expect(maxDiff(v.grad, g.dataSync()), `${v.name} of layer ${i}`).toBeLessThan(TOL);
      });
    });
  }

  it("many-to-one lstm → dense softmax, post-padded + masked in TF.js", () => {
    const rng = new Random(21);
    const lengths = [4, 9, 2, 6];
    const xs = randomSequences(rng, lengths, 2);
    const ys = randomOneHot(rng, lengths, 3, false) as number[][];
    const ours = sequential([layers.lstm({ units: 5, inputShape: [null, 2] }), layers.dense({ units: 3, activation: "softmax" })], { seed: 22 });
    ours.compile({ loss: "categoricalCrossentropy", optimizer: "adam" });
    const theirs = tf.sequential({
      layers: [
        tf.layers.masking({ maskValue: 0, inputShape: [null, 2] }),
        tf.layers.lstm({ units: 5, recurrentActivation: "sigmoid" }),
        tf.layers.dense({ units: 3, activation: "softmax" }),
      ],
    });
    copyWeights(ours, theirs);
    const { x } = padded(xs, 2, "post");
    const theirOut = (theirs.predict(tf.tensor3d(x)) as tf.Tensor).arraySync() as number[][];
    const ourOut = ours.predict(xs) as number[][];
    lengths.forEach((_, i) => expect(maxDiff(ourOut[i], theirOut[i])).toBeLessThan(TOL));

    const ourLoss = computeGradients(ours, batchOf(ours, xs, ys)).loss;
    const xT = tf.tensor3d(x);
    const yT = tf.tensor2d(ys);
    const { value, grads } = tf.variableGrads(() => kerasMaskedCce(theirs.apply(xT, { training: true }) as tf.Tensor, yT, tf.ones([lengths.length])));
    expect(Math.abs(ourLoss - value.dataSync()[0])).toBeLessThan(TOL);
    ours.trainableWeights.forEach((v, i) => {
      expect(maxDiff(v.grad, grads[theirs.trainableWeights[i].name].dataSync()), v.name).toBeLessThan(TOL);
    });
  });
});
