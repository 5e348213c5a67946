/**
 * TensorFlow.js as an oracle for `recurrentDropout` in training, with a known mask: TF.js draws
 * its own, so the TF.js layer is given ours through its test hook `dropoutFunc` (the cell calls it
 * with a [B, H] tensor of ones and the rate; we return our mask, scaled by 1/(1 − rate)). The
 * ragged layer draws its mask from the `Random` it is given; the test draws the same mask from the
 * same seed and hands it to TF.js in caller order. Outputs at every step and the gradients of
 * Σ r ⊙ output w.r.t. every weight and the input agree within 1e-4 (absolute, or relative above 1).
 *
 * LSTM and SimpleRNN only: TF.js LSTM and SimpleRNN apply one mask to h_{t−1} where it meets the
 * recurrent kernel, as ragged does (TF.js' LSTM draws four and uses the first). TF.js' GRU also
 * multiplies the state it carries (z ⊙ h_{t−1}) by the mask, which Keras does not; ragged follows
 * Keras there, so the GRU is checked against the float64 reference in
 * src/core/kernels/recurrent_dropout.test.ts instead.
 */
import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { Random } from "../src/core/random.js";
import { packBatch } from "../src/data/packed.js";
import { layers } from "../src/index.js";
import { dropoutMask, type RNN } from "../src/layers/rnn/rnn.js";
import type { LayerValue } from "../src/layers/values.js";
import { maxRelDiff, randomSequences } from "./harness.js";

const TOL = 1e-4;
const B = 3;
const T = 5;
const C = 3;
const H = 4;
const RATE = 0.4;

beforeAll(async () => {
  await tf.setBackend("cpu");
  await tf.ready();
});

const kinds = {
  lstm: {
    ragged: () => layers.lstm({ units: H, returnSequences: true, recurrentDropout: RATE }),
    tfjs: (dropoutFunc: (ones: tf.Tensor) => tf.Tensor) =>
      tf.layers.lstm({ units: H, returnSequences: true, recurrentActivation: "sigmoid", recurrentDropout: RATE, dropoutFunc, inputShape: [T, C] }),
  },
  simpleRNN: {
    ragged: () => layers.simpleRNN({ units: H, returnSequences: true, recurrentDropout: RATE }),
    tfjs: (dropoutFunc: (ones: tf.Tensor) => tf.Tensor) => tf.layers.simpleRNN({ units: H, returnSequences: true, recurrentDropout: RATE, dropoutFunc, inputShape: [T, C] }),
  },
};

describe("TF.js oracle: recurrentDropout in training with a known mask", () => {
  for (const [name, kind] of Object.entries(kinds)) {
    it(`${name}: outputs and gradients (weights, input) match TF.js given the same mask`, () => {
      const rng = new Random(60);
      const xs = randomSequences(rng, [T, T, T], C);
      const packed = packBatch(xs, { features: C });
      const { layout } = packed;
      const layer = kind.ragged() as RNN;
      layer.build([null, null, C], new Random(61));
      const seed = 62;
      const input: LayerValue = { kind: "sequence", layout, data: packed.data, width: C, mask: null };
      const { output, backward } = layer.forward(input, { training: true, rng: new Random(seed), needsGrad: true, inputNeedsGrad: true });
      const r = Float32Array.from(output.data, () => rng.uniformRange(-1, 1));
      for (const v of layer.trainableWeights) v.grad.fill(0);
      const dInput = backward({ ...output, data: r } as LayerValue);

      // the mask the layer drew (sorted order), moved to caller order for TF.js
      const sorted = dropoutMask(B, H, RATE, new Random(seed));
      expect(sorted.some((v) => v === 0)).toBe(true);
      const callerMask = new Float32Array(B * H);
      for (let i = 0; i < B; i++) callerMask.set(sorted.subarray(layout.unsortedIndices[i] * H, (layout.unsortedIndices[i] + 1) * H), i * H);
      let calls = 0;
      const dropoutFunc = (ones: tf.Tensor): tf.Tensor => {
        expect(ones.shape).toEqual([B, H]); // only the recurrent mask is drawn (no input dropout)
        calls++;
        return tf.tensor2d(callerMask, [B, H]);
      };
      const tfLayer = kind.tfjs(dropoutFunc);
      const model = tf.sequential({ layers: [tfLayer] });
      model.setWeights(layer.weights.map((v) => tf.tensor(v.value, [...v.shape])));

      // packed row offsets[t] + j is step t of sorted sequence j; TF.js [B, T, H] is caller order
      const toPacked = (btw: Float32Array | Int32Array | Uint8Array, width: number): Float32Array => {
        const out = new Float32Array(layout.totalSteps * width);
        for (let i = 0; i < B; i++) {
          const j = layout.unsortedIndices[i];
          for (let t = 0; t < T; t++) out.set(btw.subarray((i * T + t) * width, (i * T + t + 1) * width), (layout.offsets[t] + j) * width);
        }
        return out;
      };
      const fromPacked = (rows: Float32Array, width: number): Float32Array => {
        const out = new Float32Array(B * T * width);
        for (let i = 0; i < B; i++) {
          const j = layout.unsortedIndices[i];
          for (let t = 0; t < T; t++) out.set(rows.subarray((layout.offsets[t] + j) * width, (layout.offsets[t] + j + 1) * width), (i * T + t) * width);
        }
        return out;
      };
      const x = tf.variable(tf.tensor3d(xs));
      const rT = tf.tensor3d(fromPacked(r, H), [B, T, H]);
      const { value, grads } = tf.variableGrads(() => {
        const out = tfLayer.apply(x, { training: true }) as tf.Tensor;
        return tf.sum(tf.mul(out, rT)) as tf.Scalar;
      });
      expect(calls).toBeGreaterThan(0);

      // forward: the loss and every output (the output itself, once more, in training)
      const tfOut = (tfLayer.apply(x, { training: true }) as tf.Tensor).dataSync() as Float32Array;
      expect(maxRelDiff(output.data, toPacked(tfOut, H))).toBeLessThan(TOL);
      let loss = 0;
      for (let k = 0; k < r.length; k++) loss += r[k] * output.data[k];
      expect(Math.abs(loss - value.dataSync()[0])).toBeLessThan(TOL * Math.max(1, Math.abs(loss)));
      // without the mask (inference) the outputs differ: the mask really dropped something
      const tfInference = (tfLayer.apply(x, { training: false }) as tf.Tensor).dataSync() as Float32Array;
      expect(maxRelDiff(tfOut, tfInference)).toBeGreaterThan(1e-3);

      // gradients: weights in the same order (kernel, recurrent_kernel, bias), and the input
      const tfWeights = tfLayer.trainableWeights;
      expect(tfWeights.length).toBe(layer.trainableWeights.length);
      layer.trainableWeights.forEach((v, k) => {
        const g = grads[tfWeights[k].originalName];
        expect(g, tfWeights[k].originalName).toBeDefined();
        expect(maxRelDiff(v.grad, g.dataSync()), `${name} d${v.name}`).toBeLessThan(TOL);
      });
      const dx = grads[x.name].dataSync() as Float32Array;
      expect(maxRelDiff(dInput!.data, toPacked(dx, C))).toBeLessThan(TOL);
      tf.dispose([x, rT, value, ...Object.values(grads)]);
      model.dispose();
    });
  }
});
