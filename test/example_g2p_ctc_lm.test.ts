import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { kernels, setKernels } from "../src/node.js";
import { resumeDifferences } from "./saved_weights.js";
import { main as g2pCtc } from "../examples/g2p-ctc/main.js";
import { main as decodeWithLm } from "../examples/g2p-ctc/decode_with_lm.js";
import { NgramModel } from "../examples/_shared/ngram_model.js";

const initialKernels = kernels();
afterEach(() => void setKernels(initialKernels));

describe("g2p-ctc n-gram model", () => {
  const K = 5; // blank 0, labels 1..4, end = 5 internally
  const sequences = [[1, 2, 3], [1, 2, 4], [2, 3], [4, 4, 1, 2], [3], [1, 2, 3, 4, 1]];

  it("gives a distribution over the labels and the end after any context, for every order", () => {
    for (const order of [1, 2, 3, 4]) {
      const lm = NgramModel.fit(sequences, { order, classes: K });
      for (const prefix of [[], [1], [1, 2], [4, 4], [3, 3, 3], [2, 1, 4, 3]]) {
        const row = lm.logProbabilities(prefix);
        expect(row[0]).toBe(-Infinity); // the blank is never a label
        const total = [...row.slice(1)].reduce((s, v) => s + Math.exp(v), 0) + Math.exp(lm.endLogProbability(prefix));
        expect(total).toBeCloseTo(1, 12);
      }
    }
  });

  it("prefers what it saw: a seen continuation beats an unseen one, more so at higher orders", () => {
    const bigram = NgramModel.fit(sequences, { order: 2, classes: K });
    const unigram = NgramModel.fit(sequences, { order: 1, classes: K });
    expect(bigram.logProbabilities([1])[2]).toBeGreaterThan(bigram.logProbabilities([1])[3]); // "1 2" seen 4 times, "1 3" never
    expect(bigram.logProbabilities([1])[2]).toBeGreaterThan(unigram.logProbabilities([1])[2]);
    expect(bigram.sequenceLogProbability([1, 2, 3])).toBeGreaterThan(bigram.sequenceLogProbability([3, 2, 1]));
    // unigram: context-free, so the row after any prefix is the same
    expect([...unigram.logProbabilities([1])]).toEqual([...unigram.logProbabilities([4, 4])]);
  });

  it("leaves the caller's sequences alone and rejects labels outside 1..K−1", () => {
    const copy = JSON.stringify(sequences);
    NgramModel.fit(sequences, { order: 3, classes: K });
    expect(JSON.stringify(sequences)).toBe(copy);
    expect(() => NgramModel.fit([[1, 0]], { order: 2, classes: K })).toThrow(/ids in 1..4/);
    expect(() => NgramModel.fit([[5]], { order: 2, classes: K })).toThrow(/ids in 1..4/);
    expect(() => NgramModel.fit(sequences, { order: 0, classes: K })).toThrow(/order/);
  });
});

describe("g2p-ctc decode_with_lm", () => {
  it("decodes a saved model with and without the n-gram model, choosing the grid point on held-out words", async () => {
    const dir = mkdtempSync(join(tmpdir(), "ragged-g2p-ctc-"));
    try {
      await g2pCtc({ epochs: 1, limit: 60, verbose: 0, units: 8, depth: 1, embeddingDim: 8, batchSize: 20, save: dir });
      const r = await decodeWithLm({ model: dir, limit: 60, verbose: 0, beamWidth: 3, orders: [2, 3], weights: [0, 0.5], bonuses: [1] });
      expect([2, 3]).toContain(r.order);
      expect([0, 0.5]).toContain(r.weight);
      expect(r.bonus).toBe(1);
      expect(r.validationWerLm).toBeLessThanOrEqual(1);
      for (const v of [r.wer, r.per, r.werLm, r.perLm, r.werAnyVariant, r.werAnyVariantLm]) expect(v).toBeGreaterThanOrEqual(0);
      expect(r.werAnyVariant).toBeLessThanOrEqual(r.wer);
      // α = 0, β = 0: the model is fused with no weight, so the decoding is the plain beam's
      const zero = await decodeWithLm({ model: dir, limit: 60, verbose: 0, beamWidth: 3, orders: [2], weights: [0], bonuses: [0] });
      expect([zero.werLm, zero.perLm]).toEqual([zero.wer, zero.per]);
      expect(zero.wer).toBe(r.wer);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("g2p-ctc --save / --resume", () => {
  it("resumes from the saved weights: a resumed run at a negligible learning rate saves the same weights, a fresh one does not", async () => {
    const small = { epochs: 1, limit: 40, verbose: 0 as const, units: 8, depth: 1, embeddingDim: 8, batchSize: 20 };
    const d = await resumeDifferences(({ save, resume, fresh }) => g2pCtc({ ...small, save, resume, ...(resume || fresh ? { learningRate: 1e-12 } : {}), ...(fresh ? { seed: 2 } : {}) }));
    expect(d.resumed).toBeLessThan(1e-6);
    expect(d.fresh).toBeGreaterThan(1e-2);
  });
});
