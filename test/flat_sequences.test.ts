/** NOTE [ flat sequences ]: a typed array per sequence is the same data as nested arrays. */
import { describe, expect, it } from "vitest";
import { Random } from "../src/core/random.js";
import { layers, sequential } from "../src/index.js";
import { randomOneHot, randomSequences } from "./harness.js";

describe("flat typed-array sequences", () => {
  it("train and predict exactly as the nested arrays they flatten", async () => {
    const rng = new Random(1);
    const lengths = [4, 0, 7, 2];
    const xs = randomSequences(rng, lengths, 3);
    const ys = randomOneHot(rng, lengths, 2, true) as number[][][];
    const make = () => {
      const m = sequential([layers.lstm({ units: 4, returnSequences: true, inputShape: [null, 3] }), layers.timeDistributed({ layer: layers.dense({ units: 2, activation: "softmax" }) })], { seed: 2 });
      m.compile({ loss: "categoricalCrossentropy", optimizer: "adam" });
      return m;
    };
    const nested = make();
    const flat = make();
    await nested.fit(xs, ys, { epochs: 2, verbose: 0, threads: 1 });
    await flat.fit(xs.map((s) => Float32Array.from(s.flat())), ys.map((s) => Float32Array.from(s.flat())), { epochs: 2, verbose: 0, threads: 1 });
    expect(flat.getWeights().map((w) => Array.from(w.data))).toEqual(nested.getWeights().map((w) => Array.from(w.data)));
    expect(flat.predict(xs.map((s) => new Float64Array(s.flat())))).toEqual(nested.predict(xs));
  });

  it("rejects partial steps and non-finite values with their position", () => {
    const m = sequential([layers.lstm({ units: 2, inputShape: [null, 3] })]);
    expect(() => m.predict([new Float32Array(7)])).toThrowError(expect.objectContaining({ code: "FEATURE_MISMATCH", message: expect.stringContaining("multiple of 3") }));
    expect(() => m.predict([Float32Array.from([1, 2, 3, 4, NaN, 6])])).toThrowError(expect.objectContaining({ code: "NON_FINITE", message: expect.stringContaining("xs[0][1][1]") }));
  });
});
