/**
 * What ragged input means: a sequence in a mixed batch gives exactly what it gives alone; length 0
 * is valid; inference works on lengths never seen; the same seed gives the same run.
 */
import { describe, expect, it } from "vitest";
import { Random } from "../src/core/random.js";
import { Adam, Tensor, layers, sequential } from "../src/index.js";
import { computeGradients } from "../src/training/train_step.js";
import { batchOf, randomOneHot, randomSequences } from "./harness.js";

function seedLike(seed: number, returnSequences = true) {
  const model = sequential(
    [
      layers.lstm({ units: 8, returnSequences: true, inputShape: [null, 3] }),
      layers.lstm({ units: 4, returnSequences }),
      returnSequences ? layers.timeDistributed({ layer: layers.dense({ units: 2, activation: "sigmoid" }) }) : layers.dense({ units: 2, activation: "sigmoid" }),
    ],
    { seed },
  );
  model.compile({ loss: "categoricalCrossentropy", optimizer: "adam" });
  return model;
}

describe("ragged semantics", () => {
  it("each sequence of a mixed-length batch gets exactly what it gets alone (per-step and many-to-one)", () => {
    const rng = new Random(1);
    const lengths = [9, 2, 5, 5, 1, 12];
    const xs = randomSequences(rng, lengths, 3);
    for (const returnSequences of [true, false]) {
      const model = seedLike(2, returnSequences);
      const together = model.predict(xs);
      xs.forEach((x, i) => {
        const alone = model.predict([x]);
        expect(together[i]).toEqual(alone[0]);
      });
    }
  });

  it("gradients of a batch are the sum of per-sequence gradients weighted by their share of steps", () => {
    const rng = new Random(3);
    const lengths = [4, 2, 6];
    const xs = randomSequences(rng, lengths, 3);
    const ys = randomOneHot(rng, lengths, 2, true);
    const model = seedLike(4);
    computeGradients(model, batchOf(model, xs, ys));
    const batchGrads = model.trainableWeights.map((v) => Float32Array.from(v.grad));
    const total = lengths.reduce((a, b) => a + b, 0);
    const summed = model.trainableWeights.map((v) => new Float64Array(v.size));
    xs.forEach((x, i) => {
      computeGradients(model, batchOf(model, [x], [(ys as number[][][])[i]]));
      model.trainableWeights.forEach((v, k) => v.grad.forEach((g, e) => (summed[k][e] += (g * lengths[i]) / total)));
    });
    batchGrads.forEach((g, k) => g.forEach((value, e) => expect(Math.abs(value - summed[k][e])).toBeLessThan(1e-6)));
  });

  it("a sequence of length 0 is valid: empty per-step output, the initial state's output many-to-one, no loss", () => {
    const rng = new Random(5);
    const perStep = seedLike(6, true);
    const out = perStep.predict([[], ...randomSequences(rng, [3], 3)]) as number[][][];
    expect(out[0]).toEqual([]);
    expect(out[1].length).toBe(3);

    const manyToOne = sequential([layers.lstm({ units: 4, inputShape: [null, 2] }), layers.dense({ units: 2, activation: "softmax" })], { seed: 7 });
    manyToOne.compile({ loss: "categoricalCrossentropy", optimizer: "adam" });
    const [empty] = manyToOne.predict([[]]) as number[][];
    // h = 0 for an empty sequence, so the output is softmax(bias) = softmax(0) = [0.5, 0.5]
    expect(empty[0]).toBeCloseTo(0.5, 6);
    expect(empty[1]).toBeCloseTo(0.5, 6);
    const xs = randomSequences(rng, [4, 3], 2);
    const lossWithout = manyToOne.evaluate(xs, [[1, 0], [0, 1]]);
    const lossWith = computeGradients(manyToOne, batchOf(manyToOne, [[], ...xs], [[0, 1], [1, 0], [0, 1]])).loss;
    const lossAlone = computeGradients(manyToOne, batchOf(manyToOne, xs, [[1, 0], [0, 1]])).loss;
    expect(lossWith).toBeCloseTo(lossAlone, 6);
    expect(lossWithout).toBeCloseTo(lossAlone, 6);
  });

  it("predicts on sequences far longer than anything trained on", async () => {
    const rng = new Random(8);
    const model = seedLike(9);
    const lengths = [3, 5, 4];
    await model.fit(randomSequences(rng, lengths, 3), randomOneHot(rng, lengths, 2, true), { epochs: 2, verbose: 0 });
    const [long] = model.predict(randomSequences(rng, [500], 3)) as number[][][];
    expect(long.length).toBe(500);
    for (const step of long) for (const v of step) expect(Number.isFinite(v)).toBe(true);
  });

  it("the same seed gives bit-identical weights after fit; another seed does not", async () => {
    const run = async (seed: number) => {
      const rng = new Random(10);
      const lengths = [3, 7, 2, 5, 6];
      const model = seedLike(seed);
      await model.fit(randomSequences(rng, lengths, 3), randomOneHot(rng, lengths, 2, true), { epochs: 3, batchSize: 2, verbose: 0 });
      return model.getWeights().map((w) => Array.from(w.data));
    };
    const a = await run(11);
    expect(await run(11)).toEqual(a);
    expect(await run(12)).not.toEqual(a);
  });

  it("fit lowers the loss and returns one History entry per epoch", async () => {
    const rng = new Random(13);
    const lengths = Array.from({ length: 40 }, () => rng.int(1, 12));
    const xs = randomSequences(rng, lengths, 3);
    // target: is the running sum of feature 0 positive?
    const ys = xs.map((s) => {
      let acc = 0;
      return s.map((step) => ((acc += step[0]) > 0 ? [0, 1] : [1, 0]));
    });
    const model = seedLike(14);
    model.compile({ loss: "categoricalCrossentropy", optimizer: new Adam({ learningRate: 0.02 }) });
    const history = await model.fit(xs, ys, { epochs: 15, batchSize: 8, verbose: 0 });
    expect(history.epoch).toEqual(Array.from({ length: 15 }, (_, i) => i));
    const loss = history.history.loss;
    expect(loss.length).toBe(15);
    expect(loss[14]).toBeLessThan(loss[0] * 0.8);
  });

  it("getWeights/setWeights move weights between models in Keras order and shapes, as copies", () => {
    const a = seedLike(15);
    const b = seedLike(16);
    const w = a.getWeights();
    expect(w.map((t) => t.shape)).toEqual([[3, 32], [8, 32], [32], [8, 16], [4, 16], [16], [4, 2], [2]]);
    b.setWeights(w);
    const xs = randomSequences(new Random(17), [4, 2], 3);
    expect(b.predict(xs)).toEqual(a.predict(xs));
    w[0].data[0] += 1; // the model kept a copy
    expect(b.getWeights()[0].data[0]).not.toBe(w[0].data[0]);
    expect(() => b.setWeights(w.slice(1))).toThrowError(expect.objectContaining({ code: "SHAPE_MISMATCH" }));
    expect(() => b.setWeights([new Tensor([2, 2]), ...w.slice(1)])).toThrowError(/\[3, 32\]/);
  });

  it("fitDataset trains from a generator whose batches all have different lengths", async () => {
    const model = seedLike(18);
    const rng = new Random(19);
    function* batches() {
      for (;;) {
        const lengths = Array.from({ length: 4 }, () => rng.int(1, 9));
        yield { xs: randomSequences(rng, lengths, 3), ys: randomOneHot(rng, lengths, 2, true) };
      }
    }
    let seenBatches = 0;
    const history = await model.fitDataset(batches(), { epochs: 2, stepsPerEpoch: 3, verbose: 0, callbacks: [{ onBatchEnd: () => void seenBatches++ }] });
    expect(seenBatches).toBe(6);
    expect(history.history.loss.length).toBe(2);
  });

  it("fit does not mutate its inputs", async () => {
    const rng = new Random(20);
    const xs = randomSequences(rng, [3, 2], 3);
    const ys = randomOneHot(rng, [3, 2], 2, true);
    const xCopy = JSON.parse(JSON.stringify(xs));
    const yCopy = JSON.parse(JSON.stringify(ys));
    const model = seedLike(21);
    await model.fit(xs, ys, { epochs: 1, verbose: 0 });
    model.predict(xs);
    expect(xs).toEqual(xCopy);
    expect(ys).toEqual(yCopy);
  });
});
