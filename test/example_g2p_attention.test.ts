/**
 * The attention G2P example end to end on a tiny subset (the full run and its figures: README's
 * examples table and examples/g2p-attention/main.ts): the one-step decoder with the encoder's
 * outputs as a context decodes every test word as re-running the training graph on each prefix does.
 */
import { afterEach, describe, expect, it } from "vitest";
import { kernels, setKernels } from "../src/node.js";
import { resumeDifferences } from "./saved_weights.js";
import { main as g2pAttention } from "../examples/g2p-attention/main.js";

const initialKernels = kernels();
afterEach(() => void setKernels(initialKernels));

describe("example g2p-attention", () => {
  for (const [bahdanau, attentional] of [[false, 0], [true, 0], [false, 12]] as const) {
    it(`trains, decodes step by step as re-running every prefix would, and scores a subset (${bahdanau ? "Bahdanau" : "Luong"}${attentional ? ", attentional tanh layer" : ""})`, async () => {
      const r = await g2pAttention({ limit: 40, epochs: 1, units: 8, embeddingDim: 8, batchSize: 16, threads: 1, verbose: 0, bahdanau, attentional, checkedWords: 40 });
      expect(r.sameAsPrefixRerun).toBe(true);
      expect(r.trainWords).toBe(40);
      expect(r.testWords).toBe(40);
      expect(r.wer).toBeGreaterThanOrEqual(0);
      expect(r.wer).toBeLessThanOrEqual(1);
      expect(r.per).toBeGreaterThan(0);
    });
  }

  it("--save / --resume: a resumed run at a negligible learning rate keeps the saved weights, a fresh one does not; --cosine trains", async () => {
    const small = { limit: 30, epochs: 1, units: 8, embeddingDim: 8, batchSize: 15, threads: 1, verbose: 0 as const, checkedWords: 2 };
    const d = await resumeDifferences(({ save, resume, fresh }) =>
      g2pAttention({ ...small, save, resume, ...(resume || fresh ? { learningRate: 1e-12 } : { cosine: true }), ...(fresh ? { seed: 2 } : {}) }),
    );
    expect(d.resumed).toBeLessThan(1e-6);
    expect(d.fresh).toBeGreaterThan(1e-2);
  });
});
