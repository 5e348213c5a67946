/**
 * The training loop on ragged data: bucketing with shuffling, validation, metrics, callbacks,
 * datasets, determinism.
 */
import { describe, expect, it } from "vitest";
import { Random } from "../src/core/random.js";
import { Adam, earlyStopping, layers, sequential, type Callback } from "../src/index.js";
import { randomOneHot, randomSequences } from "./harness.js";

function tagger(seed: number) {
  const model = sequential(
    [layers.lstm({ units: 6, returnSequences: true, inputShape: [null, 3] }), layers.timeDistributed({ layer: layers.dense({ units: 2, activation: "softmax" }) })],
    { seed },
  );
  model.compile({ loss: "categoricalCrossentropy", optimizer: new Adam({ learningRate: 0.01 }), metrics: ["accuracy"] });
  return model;
}

/** Records the caller indices of every batch the loop trains on. */
function batchRecorder(model: ReturnType<typeof tagger>) {
  const epochs: number[][][] = [];
  const original = model.run.bind(model);
  model.run = (input, options) => {
    if (options.training) epochs[epochs.length - 1].push(Array.from(input.layout.lengths));
    return original(input, options);
  };
  return { epochs, callback: { onEpochBegin: () => void epochs.push([]) } as Callback };
}

describe("fit on ragged arrays", () => {
  const rng = new Random(1);
  const lengths = Array.from({ length: 600 }, () => rng.int(10, 100));
  // give every sequence a unique first value so batches can be traced back to examples
  const xs = randomSequences(rng, lengths, 3).map((s, i) => s.map((step, t) => (t === 0 ? [i, step[1], step[2]] : step)));
  const ys = randomOneHot(rng, lengths, 2, true);

  it("sees every example exactly once per epoch, in a different batch order each epoch, with ≥ 0.9 padding efficiency at batch 32", async () => {
    const model = tagger(2);
    const seen: number[][] = [];
    const original = model.run.bind(model);
    model.run = (input, options) => {
      if (options.training) {
        const { layout, data, width } = input;
        const firsts: number[] = [];
        for (let j = 0; j < layout.batch; j++) firsts.push(data[(layout.offsets[0] + j) * width]);
        seen[seen.length - 1].push(...firsts);
      }
      return original(input, options);
    };
    const order: number[][] = [];
    const history = await model.fit(xs, ys, {
      epochs: 3,
      batchSize: 32,
      verbose: 0,
      callbacks: [{ onEpochBegin: () => void seen.push([]) }, { onEpochEnd: () => void order.push(seen[seen.length - 1].slice(0, 32)) }],
    });
    for (const epoch of seen) expect([...epoch].sort((a, b) => a - b)).toEqual(Array.from({ length: 600 }, (_, i) => i));
    expect(seen[0]).not.toEqual(seen[1]);
    expect(seen[1]).not.toEqual(seen[2]);
    for (const s of history.batchStats) expect(s.paddingEfficiency).toBeGreaterThanOrEqual(0.9);
    expect(history.batchStats[0].realSteps).toBe(lengths.reduce((a, b) => a + b, 0));

    const plain = await tagger(2).fit(xs, ys, { epochs: 1, batchSize: 32, verbose: 0, bucketing: false });
    expect(plain.batchStats[0].paddingEfficiency).toBeLessThan(0.8);
  });

  it("same seed, same weights, bit for bit", async () => {
    const run = async () => {
      const m = tagger(3);
      await m.fit(xs.slice(0, 40), ys.slice(0, 40), { epochs: 2, batchSize: 8, verbose: 0 });
      return m.getWeights().map((w) => Array.from(w.data));
    };
    expect(await run()).toEqual(await run());
  });

  it("reports metrics and validation metrics per epoch; validationSplit holds out the last fraction", async () => {
    const model = tagger(4);
    const rec = batchRecorder(model);
    const history = await model.fit(xs.slice(0, 50), ys.slice(0, 50), { epochs: 2, batchSize: 10, validationSplit: 0.2, verbose: 0, callbacks: [rec.callback] });
    expect(Object.keys(history.history).sort()).toEqual(["accuracy", "loss", "val_accuracy", "val_loss"]);
    const trained = rec.epochs[0].flat().length;
    expect(trained).toBe(40);
    for (const v of history.history.val_accuracy) expect(v).toBeGreaterThanOrEqual(0);
    const evaluated = model.evaluate(xs.slice(40, 50), ys.slice(40, 50), { returnDict: true });
    expect(evaluated.loss).toBeCloseTo(history.history.val_loss[1], 6);
    expect(evaluated.accuracy).toBeCloseTo(history.history.val_accuracy[1], 6);
  });

  it("early stopping restores the best weights", async () => {
    const model = tagger(5);
    const weightsAt: number[][][] = [];
    const fakeVal = [1, 0.5, 0.7, 0.8, 0.9, 0.95];
    const inject: Callback = {
      onEpochEnd: (epoch, logs) => {
        if (logs) logs.val_loss = fakeVal[epoch];
        weightsAt.push(model.getWeights().map((w) => Array.from(w.data)));
      },
    };
    const stopper = earlyStopping({ monitor: "val_loss", patience: 2, restoreBestWeights: true });
    const history = await model.fit(xs.slice(0, 20), ys.slice(0, 20), { epochs: 6, batchSize: 10, verbose: 0, callbacks: [inject, stopper] });
    expect(history.epoch).toEqual([0, 1, 2, 3]);
    expect(model.getWeights().map((w) => Array.from(w.data))).toEqual(weightsAt[1]);
  });

  it("predict returns outputs in caller order with each output's length equal to its input's", () => {
    const model = tagger(6);
    const some = xs.slice(0, 37);
    const out = model.predict(some, { batchSize: 8 }) as number[][][];
    expect(out.map((o) => o.length)).toEqual(some.map((s) => s.length));
    some.forEach((s, i) => expect(out[i]).toEqual((model.predict([s]) as number[][][])[0]));
  });

  it("classWeight scales each target row's contribution by its class", async () => {
    const model = tagger(7);
    const a = model.evaluate(xs.slice(0, 5), ys.slice(0, 5)) as number;
    const b = model.evaluate(xs.slice(0, 5), ys.slice(0, 5), { sampleWeight: ys.slice(0, 5).map((s) => (s as number[][]).map((r) => (r[1] === 1 ? 3 : 1))) }) as number;
    expect(b).not.toBeCloseTo(a, 3);
    // one fit step with classWeight {1: 3} equals one with the equivalent per-step sample weights
    const m1 = tagger(8);
    const m2 = tagger(8);
    await m1.fit(xs.slice(0, 5), ys.slice(0, 5), { epochs: 1, batchSize: 5, shuffle: false, verbose: 0, classWeight: { 1: 3 } });
    await m2.fit(xs.slice(0, 5), ys.slice(0, 5), { epochs: 1, batchSize: 5, shuffle: false, verbose: 0, sampleWeight: ys.slice(0, 5).map((s) => (s as number[][]).map((r) => (r[1] === 1 ? 3 : 1))) });
    expect(m1.getWeights().map((w) => Array.from(w.data))).toEqual(m2.getWeights().map((w) => Array.from(w.data)));
  });

  it("initialEpoch counts epochs from where a run stopped", async () => {
    const model = tagger(9);
    const history = await model.fit(xs.slice(0, 10), ys.slice(0, 10), { epochs: 5, initialEpoch: 3, verbose: 0 });
    expect(history.epoch).toEqual([3, 4]);
  });

  it("bad options get clear errors", async () => {
    const model = tagger(10);
    await expect(model.fit(xs.slice(0, 10), ys.slice(0, 10), { validationSplit: 1.5, verbose: 0 })).rejects.toMatchObject({ code: "INVALID_ARGUMENT", message: expect.stringContaining("validationSplit") });
    await expect(model.fit(xs.slice(0, 10), ys.slice(0, 10), { validationSplit: 0, verbose: 0 })).rejects.toMatchObject({ code: "INVALID_ARGUMENT" });
    await expect(model.fit(xs.slice(0, 10), ys.slice(0, 10), { batchSize: 0, verbose: 0 })).rejects.toMatchObject({ code: "INVALID_ARGUMENT", message: expect.stringContaining("batchSize") });
  });
});

describe("fitDataset / predictDataset / evaluateDataset", () => {
  it("a generator with a different length every batch trains, validates and predicts raggedly", async () => {
    const rng = new Random(11);
    const model = tagger(12);
    function* batches() {
      for (;;) {
        const lengths = Array.from({ length: 6 }, () => rng.int(1, 30));
        yield { xs: randomSequences(rng, lengths, 3), ys: randomOneHot(rng, lengths, 2, true) };
      }
    }
    const val = Array.from({ length: 2 }, () => {
      const lengths = [rng.int(1, 9), rng.int(10, 20)];
      return { xs: randomSequences(rng, lengths, 3), ys: randomOneHot(rng, lengths, 2, true) };
    });
    const history = await model.fitDataset(batches(), { epochs: 2, stepsPerEpoch: 4, verbose: 0, validationData: val });
    expect(history.history.loss.length).toBe(2);
    expect(history.history.val_loss.length).toBe(2);
    const out = (await model.predictDataset(val.map((b) => ({ xs: b.xs })))) as number[][][];
    expect(out.map((o) => o.length)).toEqual(val.flatMap((b) => b.xs.map((s) => s.length)));
    const ev = (await model.evaluateDataset(val, { returnDict: true })) as Record<string, number>;
    expect(ev.loss).toBeCloseTo(history.history.val_loss[1], 6);
  });

  it("an async generator works too, and a bad item or an early end is a clear error", async () => {
    const model = tagger(13);
    async function* two() {
      yield { xs: [[[1, 2, 3]]], ys: [[[1, 0]]] };
      yield { xs: [[[1, 2, 3], [0, 0, 1]]], ys: [[[1, 0], [0, 1]]] };
    }
    await expect(model.fitDataset(two(), { epochs: 2, stepsPerEpoch: 2, verbose: 0 })).rejects.toMatchObject({ code: "DATASET_EXHAUSTED" });
    const h = await model.fitDataset(two(), { epochs: 1, verbose: 0 });
    expect(h.history.loss.length).toBe(1);
    await expect(model.fitDataset([42 as never], { verbose: 0 })).rejects.toMatchObject({ code: "BAD_DATASET", message: expect.stringContaining("Dataset item 0 is not a batch") });
  });
});
