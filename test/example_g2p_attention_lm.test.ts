/**
 * examples/g2p-attention/decode_with_lm.ts on a tiny model: the n-gram model seen through the
 * decoder's ids, and the whole decode (grid on held-out words, test with and without the model).
 * The full run's figures: README's examples table.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { kernels, setKernels } from "../src/node.js";
import { chooseFusion } from "../examples/_shared/choose_fusion.js";
import { NgramModel } from "../examples/_shared/ngram_model.js";
import { decoderLanguageModel, main as decodeWithLm } from "../examples/g2p-attention/decode_with_lm.js";
import { main as g2pAttention } from "../examples/g2p-attention/main.js";

const initialKernels = kernels();
afterEach(() => void setKernels(initialKernels));

describe("g2p-attention decode_with_lm", () => {
  it("maps the n-gram model onto the decoder's ids: phoneme p is label p + 1, the end token asks for the end", () => {
    const P = 4; // phonemes 0..3, the decoder's end token 4; the n-gram model's labels 1..4
    const ngram = NgramModel.fit([[1, 2, 3], [2, 2, 4], [1, 3]], { order: 3, classes: P + 1 });
    const lm = decoderLanguageModel(ngram);
    for (const prefix of [[], [0], [0, 1], [3, 1, 1, 2]]) {
      const row = Array.from(lm.logProbabilities(prefix));
      const labels = prefix.map((p) => p + 1);
      expect(row).toHaveLength(P + 1);
      expect(row.slice(0, P)).toEqual(Array.from(ngram.logProbabilities(labels)).slice(1));
      expect(row[P]).toBe(ngram.endLogProbability(labels));
      expect(row.reduce((s, x) => s + Math.exp(x), 0)).toBeCloseTo(1, 10);
      expect(Array.from(lm.logProbabilities(prefix))).toEqual(row); // the cached row is the same
    }
  });

  it("chooseFusion takes the grid point with the lowest validation WER, the first on ties, fitting once per order", async () => {
    const fitted: number[] = [];
    const wer = (order: number, weight: number, bonus: number) => Math.abs(weight - 0.3) + Math.abs(bonus - 1) + (order === 3 ? 0 : 0.1);
    const best = await chooseFusion({
      orders: [2, 3], weights: [0.1, 0.3, 0.5], bonuses: [0, 1], log: () => {},
      fit: (order) => (fitted.push(order), NgramModel.fit([[1, 2]], { order, classes: 3 })),
      wer: (lm, weight, bonus) => wer(lm.order, weight, bonus),
    });
    expect([best.order, best.weight, best.bonus, best.lm.order]).toEqual([3, 0.3, 1, 3]);
    expect(fitted).toEqual([2, 3]);
    const tie = await chooseFusion({ orders: [2], weights: [0.1, 0.2], bonuses: [0], log: () => {}, fit: (order) => NgramModel.fit([[1]], { order, classes: 2 }), wer: () => 0.5 });
    expect(tie.weight).toBe(0.1);
  });

  it("decodes a saved model with and without the n-gram model, choosing the grid point on held-out words", async () => {
    const dir = mkdtempSync(join(tmpdir(), "ragged-g2p-attention-"));
    try {
      const shape = { units: 8, embeddingDim: 8 };
      await g2pAttention({ ...shape, limit: 60, epochs: 1, batchSize: 20, threads: 1, verbose: 0, checkedWords: 2, validationSplit: 0.1, save: dir });
      const common = { model: dir, ...shape, limit: 60, validationSplit: 0.1, verbose: 0 as const, beam: 3 };
      const r = await decodeWithLm({ ...common, orders: [2, 3], weights: [0.2, 0.5], bonuses: [1] });
      expect([2, 3]).toContain(r.order);
      expect([0.2, 0.5]).toContain(r.weight);
      for (const v of [r.wer, r.werLm, r.werAnyVariant, r.werAnyVariantLm, r.validationWer, r.validationWerLm]) {
        expect(v).toBeGreaterThanOrEqual(0);
        expect(v).toBeLessThanOrEqual(1);
      }
      for (const v of [r.per, r.perLm]) expect(v).toBeGreaterThan(0); // edit distance / reference length: above 1 with many insertions
      expect(r.werAnyVariant).toBeLessThanOrEqual(r.wer);
      // α = 0, β = 0: fused with no weight, the decoding is the plain beam's
      const zero = await decodeWithLm({ ...common, orders: [2], weights: [0], bonuses: [0] });
      expect([zero.werLm, zero.perLm]).toEqual([zero.wer, zero.per]);
      expect(zero.wer).toBe(r.wer);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("decodes several saved models as an ensemble: a model twice decodes as the model alone", async () => {
    const dirs = [mkdtempSync(join(tmpdir(), "ragged-g2p-attention-a-")), mkdtempSync(join(tmpdir(), "ragged-g2p-attention-b-"))];
    try {
      const shape = { units: 8, embeddingDim: 8 };
      for (const [i, dir] of dirs.entries()) {
        await g2pAttention({ ...shape, limit: 60, epochs: 2, batchSize: 20, threads: 1, verbose: 0, checkedWords: 2, validationSplit: 0.1, save: dir, modelSeed: i + 1 });
      }
      const common = { ...shape, limit: 60, validationSplit: 0.1, verbose: 0 as const, beam: 3, orders: [2], weights: [0.3], bonuses: [0.5] };
      const alone = await decodeWithLm({ ...common, model: dirs[0] });
      for (const combine of ["mean", "geometric"] as const) {
        const twice = await decodeWithLm({ ...common, model: [dirs[0], dirs[0]], combine });
        expect([twice.wer, twice.per, twice.werLm, twice.perLm, twice.validationWer]).toEqual([alone.wer, alone.per, alone.werLm, alone.perLm, alone.validationWer]);
      }
      const both = await decodeWithLm({ ...common, model: dirs }); // two models: each its own encoder outputs and states
      for (const v of [both.wer, both.werLm, both.validationWer]) expect(v).toBeGreaterThanOrEqual(0);
      expect(both.per).toBeGreaterThan(0);
    } finally {
      for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
    }
  });
});
