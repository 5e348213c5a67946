/**
 * The examples run end to end on a tiny subset (one epoch, a few dozen sequences), so a change that
 * breaks them fails CI. The full runs and their figures are in each example's README.
 */
import { afterEach, describe, expect, it } from "vitest";
import { kernels, setKernels } from "../src/index.js";
import { main as japaneseVowels } from "../examples/japanese-vowels/main.js";
import { main as posTagging, readBrownNews } from "../examples/pos-tagging/main.js";
import { main as g2pCtc, upsampleLetters } from "../examples/g2p-ctc/main.js";
import { cosineAnneal } from "../examples/_shared/cosine_anneal.js";
import { GRAPHEMES, Vocabulary } from "../examples/_shared/cmudict.js";

const initialKernels = kernels();
afterEach(() => void setKernels(initialKernels));

describe("examples", () => {
  it("japanese-vowels trains and evaluates on a subset", async () => {
    const r = await japaneseVowels({ epochs: 1, limit: 50, verbose: 0 });
    expect(r.accuracy).toBeGreaterThanOrEqual(0);
    expect(r.accuracy).toBeLessThanOrEqual(1);
  });

  it("japanese-vowels is reproducible with the same seed", async () => {
    const a = await japaneseVowels({ epochs: 2, limit: 40, verbose: 0, seed: 3 });
    const b = await japaneseVowels({ epochs: 2, limit: 40, verbose: 0, seed: 3 });
    expect(b.accuracy).toBe(a.accuracy);
  });

  it("pos-tagging reads the Brown news genre as NLTK does", () => {
    const sentences = readBrownNews();
    expect(sentences.length).toBe(4623);
    expect(sentences.reduce((n, s) => n + s.words.length, 0)).toBe(100554);
    expect(sentences[0].words.slice(0, 3)).toEqual(["The", "Fulton", "County"]);
    expect(sentences[0].tags.slice(0, 3)).toEqual(["at", "np-tl", "nn-tl"]);
  });

  it("pos-tagging trains and evaluates on a subset", async () => {
    const r = await posTagging({ epochs: 1, limit: 50, verbose: 0, embeddingDim: 16, units: 16 });
    expect(r.trainSentences).toBe(50);
    expect(r.testSentences).toBe(50);
    expect(r.accuracy).toBeGreaterThanOrEqual(0);
    expect(r.accuracy).toBeLessThanOrEqual(1);
  });

  it("g2p-ctc trains with the ctc loss and reports WER and PER on a subset", async () => {
    const r = await g2pCtc({ epochs: 1, limit: 40, verbose: 0, units: 8, depth: 1, embeddingDim: 8, batchSize: 20 });
    expect([r.trainWords, r.testWords, r.epochs]).toEqual([40, 40, 1]);
    expect(r.wer).toBeGreaterThanOrEqual(0);
    expect(r.wer).toBeLessThanOrEqual(1);
    expect(r.per).toBeGreaterThanOrEqual(0);
  });

  it("g2p-ctc feeds each letter `copies` times, copy k with id + 27·k", async () => {
    const graphemes = new Vocabulary(GRAPHEMES, { reserved: ["<pad>"] });
    const [a, b] = [graphemes.id("a"), graphemes.id("b")];
    expect(upsampleLetters(["a", "b"], graphemes)).toEqual([a, a + 27, b, b + 27]);
    expect(upsampleLetters(["a", "b"], graphemes, 3)).toEqual([a, a + 27, a + 54, b, b + 27, b + 54]);
    const r = await g2pCtc({ epochs: 1, limit: 30, verbose: 0, units: 8, depth: 1, embeddingDim: 8, batchSize: 15, copies: 3 });
    expect(r.epochs).toBe(1);
    expect(r.per).toBeGreaterThanOrEqual(0);
  });

  it("g2p-ctc's cosine anneal follows the wall clock to the deadline, or the epochs without one", async () => {
    const optimizer = { learningRate: 1 };
    const model = { stopTraining: false, optimizer, getWeights: () => [], setWeights: () => undefined };
    let clock = 100;
    const byTime = cosineAnneal({ learningRate: 0.004, epochs: 30, deadline: 300, now: () => clock });
    byTime.setModel?.(model);
    const rates: number[] = [];
    for (const t of [100, 150, 200, 300, 400]) {
      clock = t;
      await byTime.onBatchBegin?.(0);
      rates.push(optimizer.learningRate);
    }
    // the clock starts at the first batch (t = 100): a quarter, half, all of the 200 ms to the deadline, then past it
    const expected = [0, 0.25, 0.5, 1, 1].map((f) => 0.002 * (1 + Math.cos(Math.PI * f)));
    rates.forEach((r, i) => expect(r).toBeCloseTo(expected[i], 12));
    const byEpoch = cosineAnneal({ learningRate: 0.004, epochs: 4, deadline: Infinity });
    byEpoch.setModel?.(model);
    optimizer.learningRate = 1;
    await byEpoch.onBatchBegin?.(0);
    expect(optimizer.learningRate).toBe(1); // no deadline: batches leave the rate alone
    await byEpoch.onEpochBegin?.(2);
    expect(optimizer.learningRate).toBeCloseTo(0.002, 12);
  });

  it("g2p-ctc trains with --cosine under a time limit", async () => {
    const r = await g2pCtc({ epochs: 2, limit: 30, verbose: 0, units: 8, depth: 1, embeddingDim: 8, batchSize: 15, cosine: true, maxMinutes: 10 });
    expect(r.epochs).toBe(2);
    expect(r.per).toBeGreaterThanOrEqual(0);
  });
});
