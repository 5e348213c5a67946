/**
 * A fixed timestep count in inputShape (`[20, 3]`) is enforced as Keras enforces `(None, 20, 3)`:
 * fit, evaluate and predict refuse other lengths with SHAPE_MISMATCH naming the sequence and the
 * fix; `[null, 3]` takes any length.
 */
import { describe, expect, it } from "vitest";
import { Random } from "../src/core/random.js";
import { RaggedError, layers, sequential } from "../src/index.js";
import { randomSequences } from "./harness.js";

describe("inputShape with a fixed timestep count", () => {
  const rng = new Random(4);
  const model = sequential([layers.lstm({ units: 3, inputShape: [5, 2] }), layers.dense({ units: 1 })], { seed: 1 });
  model.compile({ loss: "meanSquaredError", optimizer: "sgd" });

  it("takes sequences of exactly that length", async () => {
    const xs = randomSequences(rng, [5, 5, 5], 2);
    await model.fit(xs, [[0], [1], [0]], { epochs: 1, verbose: 0, threads: 1 });
    expect((model.predict(xs) as number[][]).length).toBe(3);
  });

  it("refuses another length in fit, evaluate and predict, saying where and what to do", async () => {
    const xs = randomSequences(rng, [5, 4, 5], 2);
    const refused = (f: () => unknown): RaggedError => {
      try {
        f();
      } catch (e) {
        return e as RaggedError;
      }
      throw new Error("no error");
    };
    const p = refused(() => model.predict(xs));
    expect(p).toBeInstanceOf(RaggedError);
    expect(p.code).toBe("SHAPE_MISMATCH");
    expect(p.message).toContain("xs[1] has 4 steps, but the model's inputShape fixes 5");
    expect(p.message).toContain("inputShape: [null, 2]");
    expect(refused(() => model.evaluate(xs, [[0], [1], [0]])).code).toBe("SHAPE_MISMATCH");
    await expect(model.fit(xs, [[0], [1], [0]], { epochs: 1, verbose: 0 })).rejects.toMatchObject({ code: "SHAPE_MISMATCH" });
  });

  it("[null, C] takes any length", () => {
    const free = sequential([layers.lstm({ units: 3, inputShape: [null, 2] })], { seed: 1 });
    expect((free.predict(randomSequences(rng, [1, 9, 30], 2)) as number[][]).length).toBe(3);
  });
});
