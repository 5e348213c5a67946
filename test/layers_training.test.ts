/**
 * The layers learn: small generated tasks that need what each model has, trained in the test suite
 * (seeded, a few seconds each) to a stated accuracy on held-out generated data.
 * - a bidirectional LSTM tagger whose tag at step t depends on the steps on both sides of t;
 * - an Embedding(maskZero) → GRU → Dense softmax classifier on padded token ids.
 */
import { describe, expect, it } from "vitest";
import { Random } from "../src/core/random.js";
import { layers, padSequences, sequential } from "../src/index.js";

/** Steps of one feature in [−1, 1); tag t = 1 when x[t−1] + x[t+1] > 0 (missing neighbours count 0). */
function neighbourTagging(rng: Random, count: number): { xs: number[][][]; ys: number[][][] } {
  const xs: number[][][] = [];
  const ys: number[][][] = [];
  for (let i = 0; i < count; i++) {
    const len = rng.int(2, 16);
    const x = Array.from({ length: len }, () => rng.uniformRange(-1, 1));
    xs.push(x.map((v) => [v]));
    ys.push(x.map((_, t) => ((x[t - 1] ?? 0) + (x[t + 1] ?? 0) > 0 ? [0, 1] : [1, 0])));
  }
  return { xs, ys };
}

/** Token ids in [1, 9], post-padded with 0 to 12; class 1 when token 7 occurs. About half of each. */
function containsSeven(rng: Random, count: number): { xs: number[][]; ys: number[][] } {
  const seqs: number[][] = [];
  const ys: number[][] = [];
  for (let i = 0; i < count; i++) {
    const len = rng.int(2, 13);
    const positive = rng.uniform() < 0.5;
    const s = Array.from({ length: len }, () => {
      const v = rng.int(1, 9); // 1..8
      return v === 7 ? 9 : v; // never 7 by chance
    });
    if (positive) s[rng.int(0, len)] = 7;
    seqs.push(s);
    ys.push(positive ? [0, 1] : [1, 0]);
  }
  return { xs: padSequences(seqs.map((s) => s.map((v) => [v])), { maxlen: 12, padding: "post" }).map((s) => s.map((step) => step[0])), ys };
}

describe("training on generated data", () => {
  it("bidirectional(lstm) tagger: tag depends on both neighbours; held-out token accuracy ≥ 0.9", async () => {
    const rng = new Random(1);
    const train = neighbourTagging(rng, 400);
    const test = neighbourTagging(rng, 200);
    const model = sequential(
      [layers.bidirectional({ layer: layers.lstm({ units: 8, returnSequences: true }), inputShape: [null, 1] }), layers.timeDistributed({ layer: layers.dense({ units: 2, activation: "softmax" }) })],
      { seed: 2 },
    );
    model.compile({ loss: "categoricalCrossentropy", optimizer: { name: "adam", learningRate: 0.03 }, metrics: ["accuracy"] });
    const before = model.evaluate(test.xs, test.ys, { returnDict: true });
    const history = await model.fit(train.xs, train.ys, { epochs: 12, batchSize: 32, verbose: 0 });
    const after = model.evaluate(test.xs, test.ys, { returnDict: true });
    expect(before.accuracy).toBeLessThan(0.75);
    expect(after.accuracy).toBeGreaterThanOrEqual(0.9);
    const losses = history.history.loss as number[];
    expect(losses[losses.length - 1]).toBeLessThan(losses[0]);
    // the control: a forward-only lstm cannot see x[t+1] and stays well below
    const forwardOnly = sequential([layers.lstm({ units: 16, returnSequences: true, inputShape: [null, 1] }), layers.timeDistributed({ layer: layers.dense({ units: 2, activation: "softmax" }) })], { seed: 2 });
    forwardOnly.compile({ loss: "categoricalCrossentropy", optimizer: { name: "adam", learningRate: 0.03 }, metrics: ["accuracy"] });
    await forwardOnly.fit(train.xs, train.ys, { epochs: 12, batchSize: 32, verbose: 0 });
    const control = forwardOnly.evaluate(test.xs, test.ys, { returnDict: true }).accuracy;
    expect(control).toBeLessThan(0.85);
  });

  it("embedding(maskZero) → gru → dense softmax: does token 7 occur? held-out accuracy ≥ 0.9", async () => {
    const rng = new Random(3);
    const train = containsSeven(rng, 400);
    const test = containsSeven(rng, 200);
    const model = sequential([layers.embedding({ inputDim: 10, outputDim: 8, maskZero: true, inputShape: [null] }), layers.gru({ units: 8 }), layers.dense({ units: 2, activation: "softmax" })], { seed: 4 });
    model.compile({ loss: "categoricalCrossentropy", optimizer: { name: "adam", learningRate: 0.03 }, metrics: ["accuracy"] });
    const before = model.evaluate(test.xs, test.ys, { returnDict: true });
    await model.fit(train.xs, train.ys, { epochs: 12, batchSize: 32, verbose: 0 });
    const after = model.evaluate(test.xs, test.ys, { returnDict: true });
    expect(before.accuracy).toBeLessThan(0.7);
    expect(after.accuracy).toBeGreaterThanOrEqual(0.9);
  });
});
