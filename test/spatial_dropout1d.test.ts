/**
 * SpatialDropout1D (Keras 3): in training each sequence keeps or drops whole channels — the same
 * at every one of its steps — scaled by 1/(1−rate); identity at inference. Checked here: the mask
 * is per (sequence, channel) and independent of batch-mates' lengths in shape, the drop rate,
 * the gradient (finite differences with the training mask held), save/load and TF.js both ways.
 */
import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { Random } from "../src/core/random.js";
import { packBatch } from "../src/data/packed.js";
import { layers, loadModel, memory, sequential } from "../src/index.js";
import type { ForwardContext } from "../src/layers/layer.js";
import type { SequenceValue } from "../src/layers/values.js";
import { checkLayerGradients, maxAbsDiff, randomSequences, refused } from "./harness.js";
import { savedByTfjs } from "./tfjs_saved.js";

beforeAll(async () => {
  await tf.setBackend("cpu");
  await tf.ready();
});

const C = 6;
const LENGTHS = [7, 2, 11, 1, 5];

function sequenceValue(xs: number[][][]): SequenceValue {
  const p = packBatch(xs, { features: C });
  return { kind: "sequence", layout: p.layout, data: p.data, width: C, mask: null };
}

const ctx = (training: boolean, seed = 5): ForwardContext => ({ training, rng: new Random(seed), needsGrad: true, inputNeedsGrad: true });

describe("spatialDropout1D", () => {
  // strictly positive inputs, so a zero in the output is a dropped channel
  const xs = randomSequences(new Random(3), LENGTHS, C).map((s) => s.map((r) => r.map((v) => 1 + Math.abs(v))));
  const input = sequenceValue(xs);

  it("training: every sequence keeps or drops each channel at all of its steps, kept values scaled by 1/(1 − rate)", () => {
    const rate = 0.4;
    const layer = layers.spatialDropout1D({ rate });
    layer.build([null, null, C], new Random(1));
    const out = layer.forward(input, ctx(true)).output;
    const { layout } = input;
    for (let q = 0; q < layout.batch; q++) {
      const L = layout.sortedLengths[q];
      for (let c = 0; c < C; c++) {
        const kept = [];
        for (let t = 0; t < L; t++) {
          const row = layout.offsets[t] + q;
          const y = out.data[row * C + c];
          const x = input.data[row * C + c];
          if (y === 0) kept.push(false);
          else {
            expect(y).toBeCloseTo(x / (1 - rate), 5);
            kept.push(true);
          }
        }
        expect(new Set(kept).size).toBe(1); // the same choice at every step of the sequence
      }
    }
  });

  it("drops about `rate` of the (sequence, channel) pairs, and inference is the identity", () => {
    const many = sequenceValue(randomSequences(new Random(9), Array.from({ length: 400 }, (_, i) => 1 + (i % 4)), C).map((s) => s.map((r) => r.map((v) => 1 + Math.abs(v)))));
    const layer = layers.spatialDropout1D({ rate: 0.25 });
    layer.build([null, null, C], new Random(1));
    const out = layer.forward(many, ctx(true, 7)).output;
    let dropped = 0;
    for (let q = 0; q < many.layout.batch; q++) for (let c = 0; c < C; c++) if (out.data[many.layout.offsets[0] * C + q * C + c] === 0) dropped++;
    expect(dropped / (400 * C)).toBeGreaterThan(0.21);
    expect(dropped / (400 * C)).toBeLessThan(0.29);
    expect(layer.forward(many, ctx(false)).output).toBe(many);
  });

  it("gradient: the same mask scales the output's gradient (finite differences, mask held by the seed)", () => {
    const layer = layers.spatialDropout1D({ rate: 0.5 });
    layer.build([null, null, C], new Random(1));
    expect(checkLayerGradients(layer, input, { training: true, seed: 13 })).toBeGreaterThan(0);
  });

  it("refuses a rate outside [0, 1) and input that is not per step", () => {
    expect(refused(() => layers.spatialDropout1D({ rate: 1 })).code).toBe("INVALID_ARGUMENT");
    expect(refused(() => layers.spatialDropout1D({ rate: -0.1 })).code).toBe("INVALID_ARGUMENT");
    expect(refused(() => sequential([layers.lstm({ units: 3, inputShape: [null, C] }), layers.spatialDropout1D({ rate: 0.2 })])).code).toBe("SHAPE_MISMATCH");
  });

  it("saves and loads (ragged → ragged, ragged → TF.js, TF.js → ragged) with the same predictions", async () => {
    const ours = sequential([layers.conv1d({ filters: 4, kernelSize: 3, padding: "same", inputShape: [null, C] }), layers.spatialDropout1D({ rate: 0.3 }), layers.lstm({ units: 3 })], { seed: 4 });
    const mem = memory();
    await ours.save(mem);
    const again = await loadModel(memory(mem.artifacts!));
    expect(again.layers[1].getConfig()).toEqual({ rate: 0.3 });
    expect(again.predict(xs)).toEqual(ours.predict(xs));
    const theirs = await tf.loadLayersModel(tf.io.fromMemory(mem.artifacts as tf.io.ModelArtifacts));
    expect(theirs.layers[1].getClassName()).toBe("SpatialDropout1D");
    const perSequence = xs.map((x) => ((theirs.predict(tf.tensor3d([x])) as tf.Tensor).arraySync() as number[][])[0]);
    expect(maxAbsDiff(ours.predict(xs), perSequence)).toBeLessThan(1e-5);

    const fromTf = tf.sequential({ layers: [tf.layers.lstm({ units: 4, returnSequences: true, recurrentActivation: "sigmoid", inputShape: [null, C] }), tf.layers.spatialDropout1d({ rate: 0.2 }), tf.layers.dense({ units: 2 })] });
    const loaded = await loadModel(memory(await savedByTfjs(fromTf)));
    expect(loaded.layers.map((l) => l.className)).toEqual(["LSTM", "SpatialDropout1D", "Dense"]);
    const tfOut = xs.map((x) => ((fromTf.predict(tf.tensor3d([x])) as tf.Tensor).arraySync() as number[][][])[0]);
    expect(maxAbsDiff(loaded.predict(xs), tfOut)).toBeLessThan(1e-5);
  });
});
