/** The seed's answer: train, then move the weights into a model built for other lengths (or batch sizes). */
import { describe, expect, it } from "vitest";
import { Random } from "../src/core/random.js";
import { layers, memory, sequential } from "../src/index.js";
import { randomOneHot, randomSequences } from "./harness.js";

describe("loadWeights", () => {
  it("from a model in memory and from a saved one, into a model built with another input length and batch size", async () => {
    const rng = new Random(1);
    const build = (inputShape: [number | null, number], batch?: number) =>
      sequential([
        layers.lstm({ units: 6, returnSequences: true, ...(batch ? { batchInputShape: [batch, ...inputShape] } : { inputShape }) }),
        layers.timeDistributed({ layer: layers.dense({ units: 2, activation: "softmax" }) }),
      ], { seed: batch ?? 3 });
    const trained = build([20, 3]);
    trained.compile({ loss: "categoricalCrossentropy", optimizer: "adam" });
    const lengths = [20, 20, 20];
    await trained.fit(randomSequences(rng, lengths, 3), randomOneHot(rng, lengths, 2, true), { epochs: 2, verbose: 0, threads: 1 });

    // The trained model takes exactly 20 steps (Keras enforces inputShape's timesteps too) ...
    const test = randomSequences(rng, [50, 7, 90, 3], 3);
    expect(() => trained.predict(test)).toThrow(expect.objectContaining({ code: "SHAPE_MISMATCH" }));
    const same = randomSequences(rng, [20, 20], 3);
    // ... and its weights, moved into a model built for any length, give the same answers at 20 steps
    const longer = build([null, 3], 4);
    await longer.loadWeights(trained);
    expect(longer.predict(same)).toEqual(trained.predict(same));
    const anyLength = longer.predict(test) as number[][][];
    expect(anyLength.map((o) => o.length)).toEqual([50, 7, 90, 3]);

    const handler = memory();
    await trained.save(handler);
    const fromSaved = build([null, 3]);
    await fromSaved.loadWeights(handler);
    expect(fromSaved.predict(same)).toEqual(trained.predict(same));
    expect(fromSaved.predict(test)).toEqual(anyLength);

    const wider = sequential([layers.lstm({ units: 7, returnSequences: true, inputShape: [null, 3] }), layers.timeDistributed({ layer: layers.dense({ units: 2 }) })]);
    await expect(wider.loadWeights(trained)).rejects.toMatchObject({ code: "SHAPE_MISMATCH" });
  });
});
