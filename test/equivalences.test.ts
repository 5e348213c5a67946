/**
 * The equivalences of variable-length data: ragged input ≡ the same data padded "pre" + masking ≡
 * padded "post" + masking ≡ each sequence run alone — for outputs at real steps, loss and every
 * gradient; for stacked, bidirectional and many-to-one models. And padding changes nothing.
 */
import { describe, expect, it } from "vitest";
import { Random } from "../src/core/random.js";
import { layers, padSequences, sequential, type Sequential } from "../src/index.js";
import { computeGradients } from "../src/training/train_step.js";
import { batchOf, randomOneHot, randomSequences } from "./harness.js";

type Build = (masking: boolean) => Sequential;

const builds: Record<string, { build: Build; perStep: boolean }> = {
  "stacked lstm tagger": {
    perStep: true,
    build: (masking) =>
      sequential(
        [
          ...(masking ? [layers.masking({ maskValue: 0, inputShape: [null, 3] })] : []),
          layers.lstm({ units: 5, returnSequences: true, ...(masking ? {} : { inputShape: [null, 3] }) }),
          layers.lstm({ units: 4, returnSequences: true }),
          layers.timeDistributed({ layer: layers.dense({ units: 2, activation: "softmax" }) }),
        ],
        { seed: 5 },
      ),
  },
  "bidirectional lstm tagger": {
    perStep: true,
    build: (masking) =>
      sequential(
        [
          ...(masking ? [layers.masking({ maskValue: 0, inputShape: [null, 3] })] : []),
          layers.bidirectional({ layer: layers.lstm({ units: 4, returnSequences: true }), ...(masking ? {} : { inputShape: [null, 3] }) }),
          layers.timeDistributed({ layer: layers.dense({ units: 2, activation: "softmax" }) }),
        ],
        { seed: 6 },
      ),
  },
  "bidirectional many-to-one (sum)": {
    perStep: false,
    build: (masking) =>
      sequential(
        [
          ...(masking ? [layers.masking({ maskValue: 0, inputShape: [null, 3] })] : []),
          layers.bidirectional({ layer: layers.lstm({ units: 4 }), mergeMode: "sum", ...(masking ? {} : { inputShape: [null, 3] }) }),
          layers.dense({ units: 2, activation: "softmax" }),
        ],
        { seed: 7 },
      ),
  },
  "lstm → global average pooling": {
    perStep: false,
    build: (masking) =>
      sequential(
        [
          ...(masking ? [layers.masking({ maskValue: 0, inputShape: [null, 3] })] : []),
          layers.lstm({ units: 4, returnSequences: true, ...(masking ? {} : { inputShape: [null, 3] }) }),
          layers.globalAveragePooling1D(),
          layers.dense({ units: 2, activation: "softmax" }),
        ],
        { seed: 8 },
      ),
  },
};

function grads(model: Sequential, xs: unknown, ys: unknown) {
  const loss = computeGradients(model, batchOf(model, xs, ys)).loss;
  return { loss, grads: model.trainableWeights.map((v) => Array.from(v.grad)) };
}

function expectClose(a: number[][], b: number[][], tol: number) {
  expect(a.length).toBe(b.length);
  a.forEach((row, i) => row.forEach((v, k) => expect(Math.abs(v - b[i][k])).toBeLessThan(tol)));
}

describe("ragged ≡ padded pre + masking ≡ padded post + masking ≡ alone", () => {
  for (const [name, { build, perStep }] of Object.entries(builds)) {
    it(name, () => {
      const rng = new Random(1);
      const lengths = [6, 2, 4, 1, 6, 3];
      const xs = randomSequences(rng, lengths, 3);
      const ys = randomOneHot(rng, lengths, 2, perStep);
      const ragged = build(false);
      ragged.compile({ loss: "categoricalCrossentropy", optimizer: "sgd" });
      const reference = grads(ragged, xs, ys);
      const out = ragged.predict(xs);

      for (const padding of ["pre", "post"] as const) {
        const masked = build(true);
        masked.compile({ loss: "categoricalCrossentropy", optimizer: "sgd" });
        masked.setWeights(ragged.getWeights());
        const px = padSequences(xs, { padding, maxlen: 8 });
        const py = perStep ? padSequences(ys as number[][][], { padding, maxlen: 8 }) : ys;
        const g = grads(masked, px, py);
        expect(Math.abs(g.loss - reference.loss)).toBeLessThan(1e-6);
        g.grads.forEach((gv, k) => gv.forEach((v, e) => expect(Math.abs(v - reference.grads[k][e])).toBeLessThan(1e-6)));
        const pout = masked.predict(px);
        lengths.forEach((len, i) => {
          if (!perStep) return expectClose([(pout as number[][])[i]], [(out as number[][])[i]], 1e-6);
          const seq = (pout as number[][][])[i];
          expect(seq.length).toBe(8);
          const offset = padding === "pre" ? 8 - len : 0;
          expectClose(seq.slice(offset, offset + len), (out as number[][][])[i], 1e-6);
          for (const [t, row] of seq.entries()) if (t < offset || t >= offset + len) expect(row.every((v) => v === 0)).toBe(true);
        });
      }
      xs.forEach((x, i) => expect(ragged.predict([x])[0]).toEqual(out[i]));
    });
  }

  it("padding changes nothing: loss of a batch is the same padded to any longer length", () => {
    const rng = new Random(2);
    const lengths = [5, 3, 1];
    const xs = randomSequences(rng, lengths, 3);
    const ys = randomOneHot(rng, lengths, 2, true) as number[][][];
    const model = builds["stacked lstm tagger"].build(true);
    model.compile({ loss: "categoricalCrossentropy", optimizer: "sgd" });
    const losses = [5, 9, 20].map((maxlen) => <number>model.evaluate(padSequences(xs, { maxlen, padding: "post" }), padSequences(ys, { maxlen, padding: "post" })));
    expect(Math.abs(losses[1] - losses[0])).toBeLessThan(1e-7);
    expect(Math.abs(losses[2] - losses[0])).toBeLessThan(1e-7);
  });
});
