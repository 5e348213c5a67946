/**
 * examples/pos-tagging-chars' `--pretrained`: word vectors from unlabeled text (PPMI + truncated
 * SVD, word_vectors.ts) and the tagger's ids for them (pretrained_words.ts).
 */
import { describe, expect, it } from "vitest";
import { Random } from "../src/index.js";
import { jacobiEigen, wordVectors } from "../examples/pos-tagging-chars/word_vectors.js";
import { pretrainedWords } from "../examples/pos-tagging-chars/pretrained_words.js";
import { dropWords } from "../examples/pos-tagging-chars/main.js";
import type { WordVectors } from "../examples/pos-tagging-chars/word_vectors.js";

const cosine = (v: WordVectors, a: string, b: string): number => {
  const i = v.index.get(a)!;
  const j = v.index.get(b)!;
  let s = 0;
  for (let k = 0; k < v.dim; k++) s += v.vectors[i * v.dim + k] * v.vectors[j * v.dim + k];
  return s;
};

describe("word vectors (PPMI + truncated SVD)", () => {
  it("jacobiEigen: S = V·diag(λ)·Vᵀ with V orthogonal, on a random symmetric matrix", () => {
    const n = 9;
    const rng = new Random(2);
    const S = new Float64Array(n * n);
    for (let i = 0; i < n; i++) for (let j = i; j < n; j++) S[i * n + j] = S[j * n + i] = rng.normal();
    const { values, vectors } = jacobiEigen(S, n);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        let rebuilt = 0;
        let gram = 0;
        for (let k = 0; k < n; k++) {
          rebuilt += vectors[i * n + k] * values[k] * vectors[j * n + k];
          gram += vectors[k * n + i] * vectors[k * n + j];
        }
        expect(rebuilt).toBeCloseTo(S[i * n + j], 9);
        expect(gram).toBeCloseTo(i === j ? 1 : 0, 9);
      }
    }
  });

  it("words used in the same places get the same vector; words used elsewhere do not; rows have unit length", () => {
    // "cat" and "dog" always appear between the same words; "ran" / "sat" and "the" / "a" likewise
    const rng = new Random(1);
    const sentences: string[][] = [];
    for (let k = 0; k < 300; k++) {
      const pick = <T,>(xs: T[]) => xs[Math.floor(rng.uniform() * xs.length)];
      sentences.push([pick(["The", "a"]), pick(["cat", "dog"]), pick(["sat", "ran"]), pick(["on", "under"]), "the", pick(["mat", "rug", "bed"]), "."]);
    }
    const before = JSON.stringify(sentences);
    const v = wordVectors(sentences, { dim: 4, window: 2 });
    expect(JSON.stringify(sentences)).toBe(before);
    expect(v.index.has("the")).toBe(true); // lowercased
    expect(v.index.has("The")).toBe(false);
    expect(cosine(v, "cat", "dog")).toBeGreaterThan(0.95);
    expect(cosine(v, "sat", "ran")).toBeGreaterThan(0.95);
    expect(cosine(v, "cat", "sat")).toBeLessThan(0.5);
    expect(cosine(v, "cat", "mat")).toBeLessThan(0.5);
    for (const w of v.index.keys()) expect(cosine(v, w, w)).toBeCloseTo(1, 5);
  });

  it("a word seen fewer than minCount times gets no vector; too few words for the width is an error", () => {
    const sentences = [["a", "b", "c", "d", "e", "f"], ["a", "b", "c", "d", "e", "rare"], ["a", "b", "c", "d", "e", "f"]];
    const v = wordVectors(sentences, { dim: 2, minCount: 2 });
    expect(v.index.has("rare")).toBe(false);
    expect(v.index.size).toBe(6);
    expect(() => wordVectors(sentences, { dim: 6 })).toThrow(/too few/);
  });
});

describe("pretrainedWords: the tagger's ids with word vectors", () => {
  // training vocabulary: ids 1 "the", 2 "cat"; shape ids 3, 4; vocabulary 5
  const data = {
    train: [{ words: ["The", "cat", "purred"], tags: ["at", "nn", "vbd"] }],
    test: [{ words: ["the", "lynx", "xyzzy"], tags: ["at", "nn", "nn"] }],
    xTrain: [[1, 2, 3]],
    xTest: [[1, 4, 3]],
    firstUnknown: 3,
    vocabulary: 5,
  };
  const dim = 2;
  const vectors: WordVectors = {
    index: new Map([["the", 0], ["cat", 1], ["purred", 2], ["lynx", 3]]),
    vectors: Float32Array.from([1, 0, 0, 1, 0.6, 0.8, 0.8, 0.6]),
    dim,
  };

  it("keeps training-vocabulary ids, gives other words with a vector ids from `vocabulary` up, leaves the rest their shape ids", () => {
    const before = JSON.stringify(data);
    const p = pretrainedWords(data, vectors);
    expect(p.extraWords).toBe(2); // purred, lynx
    expect(p.vocabulary).toBe(7);
    expect(p.xTrain).toEqual([[1, 2, 5]]); // purred: a training word below minCount, with a vector
    expect(p.xTest).toEqual([[1, 6, 3]]); // lynx has a vector; xyzzy keeps its shape id
    expect([0, 1, 2, 3, 4, 5, 6].map(p.isWord)).toEqual([false, true, true, false, false, true, true]);
    expect(JSON.stringify(data)).toBe(before);
  });

  it("the initial embedding holds each word's vector in its row and the given rows elsewhere", () => {
    const p = pretrainedWords(data, vectors);
    const initial = Float32Array.from({ length: 7 * dim }, (_, k) => 100 + k);
    const e = p.embedding(initial);
    const row = (id: number) => Array.from(e.subarray(id * dim, (id + 1) * dim));
    expect(row(1)).toEqual([1, 0]); // the
    expect(row(2)).toEqual([0, 1]); // cat
    expect(row(5).map((x) => +x.toFixed(6))).toEqual([0.6, 0.8]); // purred
    expect(row(6).map((x) => +x.toFixed(6))).toEqual([0.8, 0.6]); // lynx
    for (const id of [0, 3, 4]) expect(row(id)).toEqual([100 + 2 * id, 101 + 2 * id]);
    expect(initial[2]).toBe(102); // the caller's array is untouched
  });

  it("word dropout on these ids drops words (training-vocabulary and vector ids alike) to their shape id, never a shape id", () => {
    const p = pretrainedWords(data, vectors);
    const tagging = { ...data, trainCounts: new Map([["the", 1], ["cat", 1], ["purred", 1]]), unknownIdOf: (w: string) => (w === "purred" ? 3 : 4) };
    const rng = new Random(3);
    const seen = new Set<string>();
    for (let d = 0; d < 200; d++) {
      const [ids] = dropWords(tagging, 1, rng, { xTrain: p.xTrain, isWord: p.isWord });
      expect([1, 4]).toContain(ids[0]); // the → its shape id 4
      expect([2, 4]).toContain(ids[1]);
      expect([5, 3]).toContain(ids[2]); // purred (vector id 5) → shape id 3
      seen.add(ids.join(","));
    }
    expect(seen.has("1,2,5")).toBe(true);
    expect(seen.has("4,4,3")).toBe(true);
    expect(p.xTrain).toEqual([[1, 2, 5]]);
  });
});
