/**
 * The attention G2P example end to end on a tiny subset (the full run and its figures: README's
 * examples table and examples/g2p-attention/main.ts): the one-step decoder with the encoder's
 * outputs as a context decodes every test word as re-running the training graph on each prefix does.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { kernels, loadModel, setKernels } from "../src/node.js";
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
    const dirs = [0, 1, 2].map(() => mkdtempSync(join(tmpdir(), "ragged-g2p-attention-")));
    try {
      const small = { limit: 30, epochs: 1, units: 8, embeddingDim: 8, batchSize: 15, threads: 1, verbose: 0 as const, checkedWords: 2 };
      await g2pAttention({ ...small, cosine: true, save: dirs[0] });
      await g2pAttention({ ...small, resume: dirs[0], learningRate: 1e-12, save: dirs[1] });
      await g2pAttention({ ...small, seed: 2, learningRate: 1e-12, save: dirs[2] });
      const [saved, resumed, fresh] = await Promise.all(dirs.map(async (d) => (await loadModel(`file://${d}/model.json`)).getWeights().map((w) => Array.from(w.data))));
      const maxDiff = (a: number[][], b: number[][]) => Math.max(...a.map((w, i) => Math.max(...w.map((v, j) => Math.abs(v - b[i][j])))));
      expect(maxDiff(saved, resumed)).toBeLessThan(1e-6);
      expect(maxDiff(saved, fresh)).toBeGreaterThan(1e-2);
    } finally {
      for (const d of dirs) rmSync(d, { recursive: true, force: true });
    }
  });
});
