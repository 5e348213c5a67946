/**
 * Finite-difference gradient checks for every layer, loss and regularizer beyond the seed LSTM, on
 * packed batches of unequal lengths (including a sequence of length 0 where the model allows it).
 * Model-level checks go through `checkGradients` (the loss of `evaluateStep`, regularization
 * penalties included); dropout, which draws a new mask every forward, is checked on the layer
 * alone with a fixed mask (`checkLayerGradients`). See NOTE [ gradient-check tolerance ] in
 * harness.ts.
 */
import { describe, expect, it } from "vitest";
import { Random } from "../src/core/random.js";
import { packLayout } from "../src/data/packed.js";
import { layers, padSequences, sequential, type Layer } from "../src/index.js";
import type { LayerValue } from "../src/layers/values.js";
import type { LossSpec } from "../src/training/losses.js";
import { GRAD_STEP, batchOf, checkGradients, checkLayerGradients, randomOneHot, randomSequences, randomTargets } from "./harness.js";

const LENGTHS = [5, 0, 3, 7, 1, 3];
const SOFTMAX_2 = () => layers.timeDistributed({ layer: layers.dense({ units: 2, activation: "softmax" }) });

/** Compiles with categoricalCrossentropy and checks on random data of LENGTHS. */
function check(model: ReturnType<typeof sequential>, options: { perStep: boolean; classes: number; lengths?: number[]; features?: number; seed?: number }): number {
  const rng = new Random(options.seed ?? 1);
  const lengths = options.lengths ?? LENGTHS;
  model.compile({ loss: "categoricalCrossentropy", optimizer: "sgd" });
  const batch = batchOf(model, randomSequences(rng, lengths, options.features ?? 3), randomOneHot(rng, lengths, options.classes, options.perStep));
  return checkGradients(model, batch);
}

describe("gradient checks: recurrent layers", () => {
  for (const resetAfter of [true, false]) {
    it(`dense → gru (resetAfter ${resetAfter}) → gru many-to-one → dense softmax`, () => {
      const model = sequential(
        [
          layers.dense({ units: 3, activation: "tanh", inputShape: [null, 3] }),
          layers.gru({ units: 4, resetAfter, returnSequences: true }),
          layers.gru({ units: 3, resetAfter }),
          layers.dense({ units: 2, activation: "softmax" }),
        ],
        { seed: 2 },
      );
      expect(check(model, { perStep: false, classes: 2 })).toBeGreaterThan(100);
      const noBias = sequential([layers.dense({ units: 3, activation: "tanh", inputShape: [null, 3] }), layers.gru({ units: 4, resetAfter, useBias: false, returnSequences: true }), SOFTMAX_2()], { seed: 23 });
      expect(check(noBias, { perStep: true, classes: 2 })).toBeGreaterThan(50);
    });
  }

  it("dense → simpleRNN → simpleRNN (relu, no bias) → timeDistributed dense", () => {
    const model = sequential(
      [
        layers.dense({ units: 3, activation: "tanh", inputShape: [null, 3] }),
        layers.simpleRNN({ units: 4, returnSequences: true }),
        layers.simpleRNN({ units: 3, activation: "relu", useBias: false, returnSequences: true }),
        SOFTMAX_2(),
      ],
      { seed: 3 },
    );
    expect(check(model, { perStep: true, classes: 2 })).toBeGreaterThan(50);
  });

  for (const mergeMode of ["concat", "sum", "mul", "ave"] as const) {
    it(`dense → bidirectional(lstm) ${mergeMode}, per-step, and many-to-one bidirectional(gru) ${mergeMode}`, () => {
      const perStep = sequential(
        [layers.dense({ units: 3, activation: "tanh", inputShape: [null, 3] }), layers.bidirectional({ layer: layers.lstm({ units: 3, returnSequences: true }), mergeMode }), SOFTMAX_2()],
        { seed: 4 },
      );
      expect(check(perStep, { perStep: true, classes: 2 })).toBeGreaterThan(100);
      const manyToOne = sequential(
        [layers.dense({ units: 3, activation: "tanh", inputShape: [null, 3] }), layers.bidirectional({ layer: layers.gru({ units: 3 }), mergeMode }), layers.dense({ units: 2, activation: "softmax" })],
        { seed: 5 },
      );
      expect(check(manyToOne, { perStep: false, classes: 2 })).toBeGreaterThan(80);
    });
  }

  it("goBackwards: lstm (per-step) and gru (many-to-one) after a dense", () => {
    const a = sequential([layers.dense({ units: 3, activation: "tanh", inputShape: [null, 3] }), layers.lstm({ units: 4, goBackwards: true, returnSequences: true }), SOFTMAX_2()], { seed: 6 });
    expect(check(a, { perStep: true, classes: 2 })).toBeGreaterThan(60);
    const b = sequential([layers.dense({ units: 3, activation: "tanh", inputShape: [null, 3] }), layers.gru({ units: 4, goBackwards: true }), layers.dense({ units: 2, activation: "softmax" })], { seed: 7 });
    expect(check(b, { perStep: false, classes: 2 })).toBeGreaterThan(60);
  });
});

describe("gradient checks: embedding, masking, pooling, repeatVector", () => {
  for (const maskZero of [false, true]) {
    it(`embedding (maskZero ${maskZero}) → lstm → dense softmax`, () => {
      const rng = new Random(8);
      const lengths = [5, 2, 4, 6];
      // with maskZero: post-padded ids (and one 0 inside a sequence, a hole); without: ids ≥ 0
      const ids = lengths.map((len) => Array.from({ length: 6 }, (_, t) => (t < len ? rng.int(1, 7) : maskZero ? 0 : rng.int(0, 7))));
      if (maskZero) ids[3][2] = 0;
      const model = sequential([layers.embedding({ inputDim: 7, outputDim: 3, maskZero, inputShape: [null] }), layers.lstm({ units: 4 }), layers.dense({ units: 2, activation: "softmax" })], { seed: 9 });
      model.compile({ loss: "categoricalCrossentropy", optimizer: "sgd" });
      expect(checkGradients(model, batchOf(model, ids, randomOneHot(rng, lengths, 2, false)), { perVariable: 21 })).toBeGreaterThan(60);
    });
  }

  for (const holes of [false, true]) {
    it(`masking → lstm → gru → timeDistributed dense on a padded batch ${holes ? "with holes (general masked path)" : "(post- and pre-padded: packed at the edge)"}`, () => {
      const rng = new Random(10);
      const lengths = [5, 3, 6, 1];
      const xs = padSequences(randomSequences(rng, lengths, 3), { maxlen: 6, padding: "post" });
      if (holes) {
        xs[0][1] = [0, 0, 0];
        xs[2][3] = [0, 0, 0];
      }
      const ys = randomOneHot(rng, [6, 6, 6, 6], 2, true);
      const model = sequential([layers.masking({ inputShape: [null, 3] }), layers.lstm({ units: 4, returnSequences: true }), layers.gru({ units: 3, returnSequences: true }), SOFTMAX_2()], { seed: 11 });
      model.compile({ loss: "categoricalCrossentropy", optimizer: "sgd" });
      const batch = batchOf(model, xs, ys);
      expect(batch.mask !== null).toBe(holes);
      expect(checkGradients(model, batch)).toBeGreaterThan(100);
    });
  }

  for (const pooling of ["globalAveragePooling1D", "globalMaxPooling1D"] as const) {
    it(`dense → lstm → ${pooling} → dense softmax (and on a batch with holes)`, () => {
      const build = (masking: boolean) =>
        sequential(
          [
            masking ? layers.masking({ inputShape: [null, 3] }) : layers.dense({ units: 3, activation: "tanh", inputShape: [null, 3] }),
            layers.lstm({ units: 4, returnSequences: true }),
            layers[pooling](),
            layers.dense({ units: 2, activation: "softmax" }),
          ],
          { seed: 12 },
        );
      expect(check(build(false), { perStep: false, classes: 2, lengths: [5, 3, 7, 1, 3] })).toBeGreaterThan(60);
      const rng = new Random(13);
      const xs = padSequences(randomSequences(rng, [5, 4, 3], 3), { maxlen: 5, padding: "post" });
      xs[0][2] = [0, 0, 0];
      const model = build(true);
      model.compile({ loss: "categoricalCrossentropy", optimizer: "sgd" });
      const batch = batchOf(model, xs, randomOneHot(rng, [5, 4, 3], 2, false));
      expect(batch.mask).not.toBeNull();
      expect(checkGradients(model, batch)).toBeGreaterThan(50);
    });
  }

  for (const n of [4, "inputLength"] as const) {
    it(`encoder → repeatVector(n: ${n}) → decoder → timeDistributed dense`, () => {
      const rng = new Random(14);
      const lengths = [5, 3, 6, 1];
      const model = sequential(
        [layers.dense({ units: 3, activation: "tanh", inputShape: [null, 3] }), layers.lstm({ units: 4 }), layers.repeatVector({ n }), layers.gru({ units: 3, returnSequences: true }), SOFTMAX_2()],
        { seed: 15 },
      );
      model.compile({ loss: "categoricalCrossentropy", optimizer: "sgd" });
      const outLengths = n === "inputLength" ? lengths : lengths.map(() => n);
      const batch = batchOf(model, randomSequences(rng, lengths, 3), randomOneHot(rng, outLengths, 2, true));
      expect(checkGradients(model, batch)).toBeGreaterThan(100);
    });
  }
});

describe("gradient checks: dropout with a fixed mask (the layer alone, training mode)", () => {
  const rng = new Random(16);
  const lengths = [4, 2, 3];
  const layout = packLayout(lengths);
  const C = 3;
  const sequence: LayerValue = { kind: "sequence", layout, data: Float32Array.from({ length: layout.totalSteps * C }, () => rng.uniformRange(-1, 1)), width: C, mask: null };

  it("dropout layer: the input gradient is the same mask as the forward", () => {
    const layer = layers.dropout({ rate: 0.4 });
    layer.build([null, null, C], new Random(0));
    expect(checkLayerGradients(layer, sequence, { training: true })).toBe(27);
    // the mask really drops something, and a different seed drops something else
    const ctx = (seed: number) => ({ training: true, rng: new Random(seed), needsGrad: false, inputNeedsGrad: false });
    const a = layer.forward(sequence, ctx(1)).output.data;
    const b = layer.forward(sequence, ctx(2)).output.data;
    expect(a.some((v) => v === 0)).toBe(true);
    expect(Array.from(a)).not.toEqual(Array.from(b));
  });

  for (const make of [() => layers.lstm({ units: 3, dropout: 0.3, returnSequences: true }), () => layers.gru({ units: 3, dropout: 0.3 }), () => layers.simpleRNN({ units: 3, dropout: 0.3, returnSequences: true })]) {
    const layer: Layer = make();
    it(`${layer.className} input dropout: weights and input`, () => {
      layer.build([null, null, C], new Random(17));
      expect(checkLayerGradients(layer, sequence, { training: true })).toBeGreaterThan(40);
    });
  }

  // recurrentDropout: one [B, H] mask on h_{t−1} where it enters h_{t−1}·U (NOTE [ recurrent dropout
  // in the recurrent kernels ]); with input dropout too, and on a padded batch whose mask has holes.
  const holeLayout = packLayout([5, 5, 5]);
  const holey: LayerValue = {
    kind: "sequence", layout: holeLayout, width: C,
    data: Float32Array.from({ length: holeLayout.totalSteps * C }, () => rng.uniformRange(-1, 1)),
    mask: Uint8Array.from({ length: holeLayout.totalSteps }, (_, r) => (r === 1 || r === 7 || r === 8 || r === 14 ? 0 : 1)),
  };
  const recurrent = [
    () => layers.lstm({ units: 3, recurrentDropout: 0.4, returnSequences: true }),
    () => layers.gru({ units: 3, recurrentDropout: 0.4, dropout: 0.3, returnSequences: true }),
    () => layers.gru({ units: 3, recurrentDropout: 0.4, resetAfter: false }),
    () => layers.simpleRNN({ units: 3, recurrentDropout: 0.4, dropout: 0.3, returnSequences: true }),
  ];
  for (const make of recurrent) {
    const layer = make();
    const label = `${layer.className}${layer.getConfig().resetAfter === false ? " (resetAfter false)" : ""}`;
    it(`${label} recurrentDropout: weights and input, unequal lengths and a mask with holes`, () => {
      layer.build([null, null, C], new Random(18));
      expect(checkLayerGradients(layer, sequence, { training: true })).toBeGreaterThan(40);
      expect(checkLayerGradients(layer, holey, { training: true, seed: 19 })).toBeGreaterThan(40);
      // the mask really drops something: training differs from inference
      const ctx = (training: boolean) => ({ training, rng: new Random(1), needsGrad: false, inputNeedsGrad: false });
      expect(Array.from(layer.forward(sequence, ctx(true)).output.data)).not.toEqual(Array.from(layer.forward(sequence, ctx(false)).output.data));
    });
  }
});

describe("gradient checks: losses through a model", () => {
  const cases: { loss: LossSpec; activation: "linear" | "softmax" | "sigmoid"; targets: "sparse" | "oneHot" | "real" }[] = [
    { loss: "sparseCategoricalCrossentropy", activation: "softmax", targets: "sparse" },
    { loss: { name: "sparseCategoricalCrossentropy", fromLogits: true }, activation: "linear", targets: "sparse" },
    { loss: { name: "categoricalCrossentropy", fromLogits: true }, activation: "linear", targets: "oneHot" },
    { loss: { name: "binaryCrossentropy", fromLogits: true }, activation: "linear", targets: "real" },
    { loss: "meanAbsoluteError", activation: "linear", targets: "real" },
    { loss: "huber", activation: "linear", targets: "real" },
    { loss: { name: "huber", delta: 0.3 }, activation: "linear", targets: "real" },
  ];
  for (const c of cases) {
    for (const perStep of [true, false]) {
      it(`${JSON.stringify(c.loss)} on ${c.activation} outputs, ${perStep ? "per-step" : "many-to-one"}, with sample weights`, () => {
        const rng = new Random(18);
        const model = sequential(
          [layers.lstm({ units: 4, returnSequences: perStep, inputShape: [null, 2] }), perStep ? layers.timeDistributed({ layer: layers.dense({ units: 3, activation: c.activation }) }) : layers.dense({ units: 3, activation: c.activation })],
          { seed: 19 },
        );
        model.compile({ loss: c.loss, optimizer: "sgd" });
        const ys =
          c.targets === "sparse"
            ? perStep
              ? LENGTHS.map((len) => Array.from({ length: len }, () => rng.int(0, 3)))
              : LENGTHS.map(() => rng.int(0, 3))
            : c.targets === "oneHot"
              ? randomOneHot(rng, LENGTHS, 3, perStep)
              : // spread targets so that MAE / huber are away from their kinks
                (randomTargets(rng, LENGTHS, 3, perStep) as unknown[]).map((y) => JSON.parse(JSON.stringify(y), (_k, v) => (typeof v === "number" ? v * 4 - 2 : v)));
        const weights = perStep ? LENGTHS.map((len) => Array.from({ length: len }, () => rng.uniformRange(0.1, 2))) : LENGTHS.map(() => rng.uniformRange(0.1, 2));
        const batch = batchOf(model, randomSequences(rng, LENGTHS, 2), ys, weights);
        expect(checkGradients(model, batch)).toBeGreaterThan(50);
      });
    }
  }
});

describe("gradient checks: regularizers (the penalty is part of the loss)", () => {
  /** l1's |w| has a kink at 0: keep every weight further than two difference steps from it. */
  const awayFromZero = (model: ReturnType<typeof sequential>) => {
    for (const v of model.weights) v.value.forEach((x, i) => Math.abs(x) < 2 * GRAD_STEP && (v.value[i] = x < 0 ? x - 2 * GRAD_STEP : x + 2 * GRAD_STEP));
  };
  const specs = ["l1", "l2", { l1: 0.02, l2: 0.03 }] as const;
  for (const spec of specs) {
    it(`${JSON.stringify(spec)} on kernel, recurrent kernel and bias of lstm / gru / simpleRNN, and on embeddings`, () => {
      const reg = { kernelRegularizer: spec, recurrentRegularizer: spec, biasRegularizer: spec, biasInitializer: { name: "randomUniform", minval: -0.5, maxval: 0.5 } } as const;
      const rng = new Random(20);
      const model = sequential(
        [
          layers.dense({ units: 3, activation: "tanh", inputShape: [null, 3] }),
          layers.lstm({ units: 3, returnSequences: true, ...reg }),
          layers.gru({ units: 3, returnSequences: true, ...reg }),
          layers.simpleRNN({ units: 3, ...reg }),
          layers.dense({ units: 2, activation: "softmax" }),
        ],
        { seed: 21 },
      );
      model.compile({ loss: "categoricalCrossentropy", optimizer: "sgd" });
      awayFromZero(model);
      const batch = batchOf(model, randomSequences(rng, LENGTHS, 3), randomOneHot(rng, LENGTHS, 2, false));
      expect(checkGradients(model, batch, { perVariable: 24 })).toBeGreaterThan(150);

      const emb = sequential([layers.embedding({ inputDim: 5, outputDim: 3, embeddingsRegularizer: spec, inputShape: [null] }), layers.lstm({ units: 3 }), layers.dense({ units: 2, activation: "softmax" })], { seed: 22 });
      emb.compile({ loss: "categoricalCrossentropy", optimizer: "sgd" });
      awayFromZero(emb);
      const ids = [[1, 2, 3], [4], [0, 0, 1, 2]];
      expect(checkGradients(emb, batchOf(emb, ids, randomOneHot(rng, [3, 1, 4], 2, false)))).toBeGreaterThan(40);
    });
  }
});
