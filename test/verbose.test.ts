/** fit's `verbose` as Keras: 2 writes one line per epoch even on a terminal, 1 redraws a bar there, 0 nothing. */
import { describe, expect, it } from "vitest";
import { Random } from "../src/core/random.js";
import { layers, sequential } from "../src/index.js";
import { randomSequences } from "./harness.js";

async function progress(verbose: 0 | 1 | 2): Promise<string> {
  const rng = new Random(2);
  const model = sequential([layers.gru({ units: 3, inputShape: [null, 2] }), layers.dense({ units: 1 })], { seed: 1 });
  model.compile({ loss: "meanSquaredError", optimizer: "sgd" });
  let text = "";
  const xs = randomSequences(rng, [3, 4, 5, 6, 7, 8], 2);
  await model.fit(xs, xs.map(() => [0.5]), { epochs: 2, batchSize: 2, verbose, threads: 1, bucketing: false, progressOutput: { isTTY: true, write: (s) => void (text += s) } });
  return text;
}

describe("fit verbose on a terminal", () => {
  it("2: 'Epoch i/n' and one finished line per epoch, no redraws", async () => {
    const text = await progress(2);
    expect(text).not.toContain("\r");
    expect(text.trim().split("\n")).toHaveLength(4);
    expect(text).toMatch(/^Epoch 1\/2\n3\/3 \[=+\] - .*loss: /);
  });

  it("1: the bar is redrawn in place; 0: silent", async () => {
    expect(await progress(1)).toContain("\r");
    expect(await progress(0)).toBe("");
  });
});
