/**
 * Issue 15, the training boundary: values that are finite in float64 but not in float32, targets and
 * token ids checked before the first step (with their position), empty data, a second `fit` on a
 * model that is training (MODEL_BUSY), and `fit` yielding the event loop between batches.
 */
import { describe, expect, it } from "vitest";
import { layers, RaggedError, sequential, type Sequential } from "../src/index.js";

function classifier(seed = 1): Sequential {
  const m = sequential([layers.lstm({ units: 3, inputShape: [null, 2] }), layers.dense({ units: 2, activation: "softmax" })], { seed });
  m.compile({ loss: "sparseCategoricalCrossentropy", optimizer: "adam" });
  return m;
}

function tagger(seed = 1): Sequential {
  const m = sequential(
    [layers.embedding({ inputDim: 5, outputDim: 3, inputShape: [null] }), layers.lstm({ units: 3, returnSequences: true }), layers.timeDistributed({ layer: layers.dense({ units: 3, activation: "softmax" }) })],
    { seed },
  );
  m.compile({ loss: "sparseCategoricalCrossentropy", optimizer: "adam" });
  return m;
}

function weights(m: Sequential): number[][] {
  return m.getWeights().map((w) => Array.from(w.data));
}

async function rejection(run: () => unknown): Promise<RaggedError> {
  try {
    await run();
  } catch (e) {
    expect(e).toBeInstanceOf(RaggedError);
    return e as RaggedError;
  }
  throw new Error("expected a RaggedError");
}

describe("values beyond float32 (issue 15, defect 1)", () => {
  it("rejects a value finite in float64 but infinite in float32, naming its position", async () => {
    const m = classifier();
    const before = weights(m);
    const e = await rejection(() => m.fit([[[1, 1]], [[1e39, 1]]], [0, 1], { verbose: 0 }));
    expect(e.code).toBe("NON_FINITE");
    expect(e.message).toContain("xs[1][0][0]");
    expect(e.message).toContain("exceeds float32");
    expect(weights(m)).toEqual(before);
  });

  it("in flat Float64Array sequences, targets, sample weights and predict input too", async () => {
    const m = classifier();
    const flat = await rejection(() => m.fit([Float64Array.of(1, 1), Float64Array.of(1, -1e39)], [0, 1], { verbose: 0 }));
    expect(flat.code).toBe("NON_FINITE");
    expect(flat.message).toContain("xs[1][0][1]");
    expect(flat.message).toContain("exceeds float32");
    const mse = sequential([layers.lstm({ units: 2, inputShape: [null, 1] }), layers.dense({ units: 1 })], { seed: 1 });
    mse.compile({ loss: "mse", optimizer: "sgd" });
    const y = await rejection(() => mse.fit([[[1]], [[2]]], [[1], [4e38]], { verbose: 0 }));
    expect(y.code).toBe("NON_FINITE");
    expect(y.message).toContain("ys[1][0]");
    const w = await rejection(() => mse.fit([[[1]], [[2]]], [[1], [2]], { verbose: 0, sampleWeight: [1, 1e40] }));
    expect(w.code).toBe("INVALID_ARGUMENT");
    expect(w.message).toContain("sampleWeight[1]");
    const p = await rejection(() => m.predict([[[3.5e38, 0]]]));
    expect(p.code).toBe("NON_FINITE");
    expect(p.message).toContain("xs[0][0][0]");
  });

  it("accepts the largest float32 value itself", async () => {
    const m = classifier();
    expect(() => m.predict([[[3.4028234663852886e38, 0]]])).not.toThrow();
  });
});

describe("targets and ids checked before the first step (issue 15, defect 7)", () => {
  const xs = [[[0, 1]], [[1, 0]], [[1, 1]], [[0, 0]]];
  for (const bad of [3, 2, -1, 1.5]) {
    it(`a sparse label ${bad} in ys[2] is rejected up front, naming ys[2]`, async () => {
      const m = classifier();
      const before = weights(m);
      // batchSize 1 without shuffling: today ys[2] is reached only after two steps changed the weights
      const e = await rejection(() => m.fit(xs, [0, 1, bad, 0], { verbose: 0, batchSize: 1, shuffle: false, bucketing: false }));
      expect(e.code).toBe("TARGET_MISMATCH");
      expect(e.message).toContain("ys[2]");
      expect(e.message).toContain("[0, 2)");
      expect(weights(m)).toEqual(before);
    });
  }

  it("per-step sparse labels name ys[i][t]", async () => {
    const m = tagger();
    const e = await rejection(() => m.fit([[1, 2], [3, 4, 1]], [[0, 1], [2, 7, 0]], { verbose: 0 }));
    expect(e.code).toBe("TARGET_MISMATCH");
    expect(e.message).toContain("ys[1][1]");
  });

  for (const bad of [-1, 1.5, 5, 2.0000000001]) {
    it(`an embedding id ${bad} at xs[2][1] is rejected up front, naming xs[2][1]`, async () => {
      const m = tagger();
      const before = weights(m);
      const e = await rejection(() => m.fit([[1, 2], [3], [4, bad, 0]], [[0, 1], [2], [0, 1, 2]], { verbose: 0, batchSize: 1, shuffle: false, bucketing: false }));
      expect(e.code).toBe("BAD_INPUT");
      expect(e.message).toContain("xs[2][1]");
      expect(e.message).toContain("[0, 5)");
      expect(weights(m)).toEqual(before);
    });
  }

  it("predict checks ids the same way", async () => {
    const e = await rejection(() => tagger().predict([[1, 2.0000000001]]));
    expect(e.code).toBe("BAD_INPUT");
    expect(e.message).toContain("xs[0][1]");
  });

  it("ids in flat typed arrays are checked too", async () => {
    const e = await rejection(() => tagger().fit([Float64Array.of(1, 2), Float64Array.of(3, 9)], [[0, 1], [2, 0]], { verbose: 0 }));
    expect(e.code).toBe("BAD_INPUT");
    expect(e.message).toContain("xs[1][1]");
  });
});

describe("empty data is said, not trained on (issue 15, defect 8)", () => {
  it("no sequences at all", async () => {
    const e = await rejection(() => classifier().fit([], [], { verbose: 0 }));
    expect(e.code).toBe("EMPTY_DATA");
  });

  it("only sequences of length 0 (per-step targets: nothing to learn from)", async () => {
    const e = await rejection(() => tagger().fit([[], []], [[], []], { verbose: 0 }));
    expect(e.code).toBe("EMPTY_DATA");
    expect(e.message).toMatch(/length 0/);
  });

  it("an empty batch in fitDataset", async () => {
    const e = await rejection(() => classifier().fitDataset([{ xs: [], ys: [] }], { verbose: 0 }));
    expect(e.code).toBe("EMPTY_DATA");
  });

  it("a sequence typed as BigInt64Array is a coded error", async () => {
    // @ts-expect-error: BigInt arrays are refused by the types too; this is the run-time check
    const e = await rejection(() => classifier().fit([new BigInt64Array(2)], [0], { verbose: 0 }));
    expect(e.code).toBe("BAD_SEQUENCE");
  });
});

describe("one fit at a time (issue 15, defect 4)", () => {
  it("a second fit while the first runs is MODEL_BUSY; the first completes; predict/evaluate work meanwhile", async () => {
    const m = classifier();
    const xs = Array.from({ length: 64 }, (_, i) => [[i % 3, 1], [1, (i * 7) % 5]]);
    const ys = xs.map((_, i) => i % 2);
    const first = m.fit(xs, ys, { verbose: 0, epochs: 20, batchSize: 4, threads: 1 });
    const second = await rejection(() => m.fit(xs, ys, { verbose: 0, threads: 1 }));
    expect(second.code).toBe("MODEL_BUSY");
    expect(() => m.predict([[[1, 1]]])).not.toThrow();
    expect(Number.isFinite(m.evaluate(xs, ys) as number)).toBe(true);
    const busyDataset = await rejection(() => m.fitDataset([{ xs, ys }], { verbose: 0 }));
    expect(busyDataset.code).toBe("MODEL_BUSY");
    const busyBatch = await rejection(() => m.trainOnBatch(xs, ys));
    expect(busyBatch.code).toBe("MODEL_BUSY");
    const history = await first;
    expect(history.history.loss).toHaveLength(20);
    // free again afterwards, also after a fit that failed
    await rejection(() => m.fit([[[NaN, 1]]], [0], { verbose: 0 }));
    await expect(m.fit(xs, ys, { verbose: 0, threads: 1 })).resolves.toBeDefined();
  });
});

describe("fit yields the event loop (issue 15, defect 9)", () => {
  it("a timer set before fit runs during it, and can stop training from outside", async () => {
    const m = classifier();
    const xs = Array.from({ length: 8 }, (_, i) => [[i % 3, 1]]);
    const ys = xs.map((_, i) => i % 2);
    let fired = false;
    setTimeout(() => {
      fired = true;
      m.stopTraining = true;
    }, 0);
    const history = await m.fit(xs, ys, { verbose: 0, epochs: 3000, batchSize: 4, threads: 1 });
    expect(fired).toBe(true);
    expect(history.history.loss.length).toBeLessThan(3000);
  });
});
