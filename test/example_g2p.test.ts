/**
 * The encoder–decoder G2P example (issue 9) end to end on a subset: it trains, decodes the test
 * words with the encoder / one-step decoder pair, and the batched decoder gives exactly what
 * decoding one word at a time gives (the full run and its figures: README's examples table).
 */
import { afterEach, describe, expect, it } from "vitest";
import { kernels, setKernels } from "../src/index.js";
import { main as g2p } from "../examples/g2p/main.js";

const initialKernels = kernels();
afterEach(() => void setKernels(initialKernels));

describe("example g2p", () => {
  for (const beam of [1, 3]) {
    it(`trains, decodes ${beam > 1 ? `with beam ${beam}` : "greedily"} and scores a subset`, async () => {
      const r = await g2p({ limit: 60, epochs: 2, units: 8, embeddingDim: 8, batchSize: 16, threads: 1, verbose: 0, beam, timedWords: 12 });
      expect(r.trainWords).toBe(60);
      expect(r.testWords).toBe(60);
      expect(r.epochs).toBe(2);
      expect(r.wer).toBeGreaterThanOrEqual(0);
      expect(r.wer).toBeLessThanOrEqual(1);
      expect(r.per).toBeGreaterThan(0);
      expect(r.sameAsOneByOne).toBe(true);
      expect(r.decodeBatched).toBeGreaterThan(0);
    });
  }
});
