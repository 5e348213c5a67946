/**
 * Smoke test of `npm run example:pos-tagging-chars` on a tiny subset (the full run and its figure
 * are in README's examples table): it trains the word + character tagger on nested ragged input,
 * prints the measured figure last, is reproducible for a seed, and scores with pos-tagging's code.
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import { Random, kernels, setKernels } from "../src/index.js";
import { brownTaggingData, scoreTags } from "../examples/pos-tagging/main.js";
import { dropWords, main } from "../examples/pos-tagging-chars/main.js";

const initialKernels = kernels();
afterEach(() => {
  setKernels(initialKernels);
  vi.restoreAllMocks();
});

describe("example: pos-tagging-chars", () => {
  it("trains on a subset and prints `test accuracy: …` last", async () => {
    const lines: string[] = [];
    vi.spyOn(console, "log").mockImplementation((s: unknown) => void lines.push(String(s)));
    const r = await main({ epochs: 1, limit: 40, verbose: 2, embeddingDim: 8, charDim: 4, filters: 6, units: 8 });
    expect([r.trainSentences, r.testSentences]).toEqual([40, 40]);
    expect(r.accuracy).toBeGreaterThanOrEqual(0);
    expect(r.accuracy).toBeLessThanOrEqual(1);
    expect(lines[lines.length - 1]).toBe(`test accuracy: ${r.accuracy.toFixed(4)}`);
  });

  it("--pretrained starts the word embedding from vectors of unlabeled text and gives their words ids", async () => {
    const lines: string[] = [];
    vi.spyOn(console, "log").mockImplementation((s: unknown) => void lines.push(String(s)));
    const r = await main({ epochs: 1, limit: 40, verbose: 2, embeddingDim: 8, charDim: 4, filters: 6, units: 8, pretrained: true });
    const vectorsLine = lines.find((l) => l.startsWith("word vectors from unlabeled Brown text"));
    expect(vectorsLine).toMatch(/: \d+ words beyond the training vocabulary get ids \(\d+ embedding rows\)/);
    expect(Number(/: (\d+) words/.exec(vectorsLine!)![1])).toBeGreaterThan(100);
    expect(lines[lines.length - 1]).toBe(`test accuracy: ${r.accuracy.toFixed(4)}`);
  });

  it("is reproducible with the same seed", async () => {
    const options = { epochs: 1, limit: 30, verbose: 0, seed: 3, embeddingDim: 8, charDim: 4, filters: 6, units: 8 } as const;
    const a = await main(options);
    const b = await main(options);
    expect(b.accuracy).toBe(a.accuracy);
  });

  it("--ensemble N trains seeds seed…seed+N−1 (each member as a run with that seed) and tags with their averaged softmax; --depth stacks BiLSTMs", async () => {
    const options = { epochs: 1, limit: 30, seed: 3, embeddingDim: 8, charDim: 4, filters: 6, units: 8, depth: 2 } as const;
    const lines: string[] = [];
    vi.spyOn(console, "log").mockImplementation((s: unknown) => void lines.push(String(s)));
    const both = await main({ ...options, verbose: 2, ensemble: 2 });
    vi.restoreAllMocks();
    const members = lines.filter((l) => l.startsWith("member ")).map((l) => Number(l.split(" ").pop()));
    const alone = [await main({ ...options, verbose: 0 }), await main({ ...options, seed: 4, verbose: 0 })].map((r) => r.accuracy);
    expect(members).toEqual(alone.map((a) => Number(a.toFixed(4))));
    expect(lines[lines.length - 1]).toBe(`test accuracy: ${both.accuracy.toFixed(4)}`);
    expect(both.accuracy).toBeGreaterThanOrEqual(0);
  });

  it("word dropout: a word seen n times becomes its unknown-word id with probability α/(α+n); unknown ids stay; the data is untouched", () => {
    const data = brownTaggingData({ limit: 400 });
    const before = JSON.stringify(data.xTrain);
    const alpha = 1;
    const draws = 40;
    const rng = new Random(5);
    const dropped = new Map<number, { tries: number; hits: number }>(); // by training count n
    for (let d = 0; d < draws; d++) {
      const words = dropWords(data, alpha, rng);
      words.forEach((ids, i) =>
        ids.forEach((id, t) => {
          const original = data.xTrain[i][t];
          const word = data.train[i].words[t];
          if (original >= data.firstUnknown) return expect(id).toBe(original);
          expect(id === original || id === data.unknownIdOf(word)).toBe(true);
          const n = data.trainCounts.get(word.toLowerCase()) ?? 0;
          const e = dropped.get(n) ?? { tries: 0, hits: 0 };
          e.tries++;
          if (id !== original) e.hits++;
          dropped.set(n, e);
        }),
      );
    }
    expect(JSON.stringify(data.xTrain)).toBe(before);
    for (const n of [2, 3, 10]) {
      const e = dropped.get(n);
      expect(e && e.tries).toBeGreaterThan(1000);
      const p = alpha / (alpha + n);
      expect(Math.abs(e!.hits / e!.tries - p)).toBeLessThan(4 * Math.sqrt((p * (1 - p)) / e!.tries));
    }
  });

  it("scores as examples/pos-tagging does (shared data code): a perfect prediction scores 1", () => {
    const data = brownTaggingData({ limit: 20 });
    const perfect = data.yTest.map((s) => s.map((tag) => Array.from({ length: data.tagId.size }, (_, k) => (k === tag ? 1 : 0))));
    const seen = data.yTest.flat().filter((t) => t >= 0).length;
    expect(scoreTags(perfect, data).accuracy).toBeCloseTo(seen / data.testTokens, 10);
  });
});
