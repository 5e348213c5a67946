/**
 * Finite-difference gradient checks for every layer and loss, on packed batches of unequal lengths
 * (including a sequence of length 0). See NOTE [ gradient-check tolerance ] in harness.ts.
 */
import { describe, expect, it } from "vitest";
import { Random } from "../src/core/random.js";
import { layers, sequential } from "../src/index.js";
import { computeGradients } from "../src/training/train_step.js";
import { batchOf, checkGradients, randomOneHot, randomSequences, randomTargets } from "./harness.js";

const LENGTHS = [5, 0, 3, 7, 1, 3];

describe("gradient checks (central differences)", () => {
  it("lstm → lstm → timeDistributed(dense sigmoid) with categoricalCrossentropy, as the seed", () => {
    const rng = new Random(1);
    const model = sequential(
      [
        layers.lstm({ units: 6, returnSequences: true, inputShape: [null, 3] }),
        layers.lstm({ units: 4, returnSequences: true }),
        layers.timeDistributed({ layer: layers.dense({ units: 2, activation: "sigmoid" }) }),
      ],
      { seed: 3 },
    );
    model.compile({ loss: "categoricalCrossentropy", optimizer: "adam" });
    const batch = batchOf(model, randomSequences(rng, LENGTHS, 3), randomOneHot(rng, LENGTHS, 2, true));
    expect(checkGradients(model, batch)).toBeGreaterThan(100);
  });

  it("dense before lstm (so lstm's input gradient is checked) → many-to-one lstm → dense softmax", () => {
    const rng = new Random(2);
    const model = sequential(
      [
        layers.dense({ units: 4, activation: "tanh", inputShape: [null, 3] }),
        layers.lstm({ units: 5 }),
        layers.dense({ units: 3, activation: "softmax" }),
      ],
      { seed: 4 },
    );
    model.compile({ loss: "categoricalCrossentropy", optimizer: "sgd" });
    const batch = batchOf(model, randomSequences(rng, LENGTHS, 3), randomOneHot(rng, LENGTHS, 3, false));
    expect(checkGradients(model, batch)).toBeGreaterThan(60);
  });

  for (const activation of ["linear", "sigmoid", "tanh", "relu", "softmax"] as const) {
    it(`dense with ${activation} activation, meanSquaredError`, () => {
      const rng = new Random(3);
      const model = sequential([layers.dense({ units: 3, activation, inputShape: [null, 4] })], { seed: 5 });
      model.compile({ loss: "meanSquaredError", optimizer: "sgd" });
      const batch = batchOf(model, randomSequences(rng, LENGTHS, 4), randomTargets(rng, LENGTHS, 3, true));
      expect(checkGradients(model, batch)).toBe(15);
    });
  }

  for (const loss of ["categoricalCrossentropy", "binaryCrossentropy", "meanSquaredError"] as const) {
    it(`${loss} on a sigmoid output with per-step sample weights`, () => {
      const rng = new Random(4);
      const model = sequential(
        [layers.lstm({ units: 4, returnSequences: true, inputShape: [null, 2] }), layers.timeDistributed({ layer: layers.dense({ units: 3, activation: "sigmoid" }) })],
        { seed: 6 },
      );
      model.compile({ loss, optimizer: "adam" });
      const ys = loss === "categoricalCrossentropy" ? randomOneHot(rng, LENGTHS, 3, true) : randomTargets(rng, LENGTHS, 3, true);
      const weights = LENGTHS.map((len) => Array.from({ length: len }, () => rng.uniformRange(0.1, 2)));
      const batch = batchOf(model, randomSequences(rng, LENGTHS, 2), ys, weights);
      expect(checkGradients(model, batch)).toBeGreaterThan(50);
    });
  }

  it("dense kernel and bias regularizers add their penalty and its gradient", () => {
    const rng = new Random(6);
    const model = sequential([layers.dense({ units: 2, kernelRegularizer: { l1: 0.01, l2: 0.1 }, biasRegularizer: "l2", biasInitializer: "ones", inputShape: [null, 3] })], { seed: 9 });
    model.compile({ loss: "meanSquaredError", optimizer: "sgd" });
    const batch = batchOf(model, randomSequences(rng, LENGTHS, 3), randomTargets(rng, LENGTHS, 2, true));
    expect(checkGradients(model, batch)).toBe(8);
    const plain = sequential([layers.dense({ units: 2, biasInitializer: "ones", inputShape: [null, 3] })], { seed: 9 });
    plain.compile({ loss: "meanSquaredError", optimizer: "sgd" });
    plain.setWeights(model.getWeights());
    const [k, b] = model.getWeights();
    let penalty = 0;
    k.data.forEach((v) => (penalty += 0.01 * Math.abs(v) + 0.1 * v * v));
    b.data.forEach((v) => (penalty += 0.01 * v * v));
    expect(computeGradients(model, batch).loss - computeGradients(plain, batch).loss).toBeCloseTo(penalty, 5);
  });

  it("lstm with non-default activations and no bias", () => {
    const rng = new Random(5);
    const model = sequential(
      [layers.lstm({ units: 3, activation: "relu", recurrentActivation: "hardSigmoid", useBias: false, returnSequences: true, inputShape: [null, 2] }), layers.dense({ units: 1 })],
      { seed: 8 },
    );
    model.compile({ loss: "meanSquaredError", optimizer: "sgd" });
    const batch = batchOf(model, randomSequences(rng, LENGTHS, 2), randomTargets(rng, LENGTHS, 1, true));
    expect(checkGradients(model, batch)).toBeGreaterThan(20);
  });
});
