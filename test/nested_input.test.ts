/**
 * Nested ragged input (issue 10): `input({ shape: [null, null], sameLengthsAs })` of sentence →
 * word → character ids, and `timeDistributed` applying a sequence layer or model to every word
 * (NOTE [ nested values ] in src/layers/values.ts, NOTE [ inputs with the same steps ] in
 * src/layers/input_layer.ts). Checked here: a sentence's result does not depend on its
 * batch-mates; central differences through the nested path; coded errors for bad nested data.
 * TF.js: test/nested_input_oracle.test.ts.
 */
import { describe, expect, it } from "vitest";
import { RaggedError } from "../src/core/errors.js";
import { Random } from "../src/core/random.js";
import { input, layers, model, sequential, type SymbolicTensor } from "../src/index.js";
import type { LayersModel } from "../src/models/functional.js";
import { checkGradients, maxRelDiff, modelBatchOf } from "./harness.js";

const CHARS = 12;
const WORDS = 15;
const TAGS = 4;
const SPREAD = { name: "randomUniform", minval: -1, maxval: 1 } as const;

/**
 * words → embedding, chars → [TD(embedding) → TD(conv1d same) → TD(globalMaxPool)] and
 * [TD(sequential(embedding → lstm))], concatenated per word → bidirectional LSTM → per-step softmax.
 */
function tagger(seed: number): LayersModel {
  const words = input({ shape: [null], name: "words" });
  const chars = input({ shape: [null, null], name: "chars", sameLengthsAs: words });
  const w = layers.embedding({ inputDim: WORDS, outputDim: 3 }).apply(words) as SymbolicTensor;
  // Embeddings drawn from ±1 (not Keras' ±0.05), so the pooled maxima stand apart.
  const e = layers.timeDistributed({ layer: layers.embedding({ inputDim: CHARS, outputDim: 3, embeddingsInitializer: SPREAD }) }).apply(chars) as SymbolicTensor;
  const c = layers.timeDistributed({ layer: layers.conv1d({ filters: 4, kernelSize: 3, padding: "same", activation: "tanh" }) }).apply(e) as SymbolicTensor;
  const pooled = layers.timeDistributed({ layer: layers.globalMaxPooling1D() }).apply(c) as SymbolicTensor;
  const charLstm = sequential([layers.embedding({ inputDim: CHARS, outputDim: 3, inputShape: [null] }), layers.lstm({ units: 3 })]);
  const last = layers.timeDistributed({ layer: charLstm }).apply(chars) as SymbolicTensor;
  const features = layers.concatenate().apply([w, pooled, last]) as SymbolicTensor;
  const h = layers.bidirectional({ layer: layers.lstm({ units: 3, returnSequences: true }) }).apply(features) as SymbolicTensor;
  const out = layers.timeDistributed({ layer: layers.dense({ units: TAGS, activation: "softmax" }) }).apply(h) as SymbolicTensor;
  return model({ inputs: [words, chars], outputs: out, seed });
}

/** Sentences of the given word counts, words of 1–7 characters, and a tag per word. */
function sentences(rng: Random, wordCounts: number[]): { words: number[][]; chars: number[][][]; tags: number[][] } {
  const chars = wordCounts.map((n) => Array.from({ length: n }, () => Array.from({ length: rng.int(1, 8) }, () => rng.int(1, CHARS))));
  const words = wordCounts.map((n) => Array.from({ length: n }, () => rng.int(1, WORDS)));
  const tags = wordCounts.map((n) => Array.from({ length: n }, () => rng.int(0, TAGS)));
  return { words, chars, tags };
}

describe("nested input: shapes", () => {
  it("gives nested tensors through row-wise and sequence layers, and one vector per word from pooling or a model", () => {
    const words = input({ shape: [null], name: "words" });
    const chars = input({ shape: [null, null], name: "chars", sameLengthsAs: words });
    expect(chars.kind).toBe("nested");
    expect(chars.shape).toEqual([null, null, null]);
    const e = layers.timeDistributed({ layer: layers.embedding({ inputDim: 5, outputDim: 2 }) }).apply(chars) as SymbolicTensor;
    expect(e.shape).toEqual([null, null, null, 2]);
    expect(e.kind).toBe("nested");
    const p = layers.timeDistributed({ layer: layers.globalMaxPooling1D() }).apply(e) as SymbolicTensor;
    expect(p.shape).toEqual([null, null, 2]);
    expect(p.kind).toBe("sequence");
    expect(p.lengths).toEqual(words.lengths);
  });

  it("lets the per-word features meet the word features only through sameLengthsAs (LENGTH_MISMATCH otherwise)", () => {
    const words = input({ shape: [null], name: "words" });
    const chars = input({ shape: [null, null], name: "chars" });
    const w = layers.embedding({ inputDim: 5, outputDim: 2 }).apply(words) as SymbolicTensor;
    const e = layers.timeDistributed({ layer: layers.embedding({ inputDim: 5, outputDim: 2 }) }).apply(chars) as SymbolicTensor;
    const p = layers.timeDistributed({ layer: layers.globalMaxPooling1D() }).apply(e) as SymbolicTensor;
    expect(() => layers.concatenate().apply([w, p])).toThrow(expect.objectContaining({ code: "LENGTH_MISMATCH" }));
  });
});

describe("nested input: a sentence's result does not depend on its batch-mates", () => {
  it("predicts each sentence alone exactly as in a batch of other lengths (words and characters)", () => {
    const m = tagger(3);
    const d = sentences(new Random(5), [4, 1, 9, 0, 6, 2]);
    const together = m.predict({ words: d.words, chars: d.chars }) as number[][][];
    d.words.forEach((_, i) => {
      const alone = m.predict({ words: [d.words[i]], chars: [d.chars[i]] }) as number[][][];
      expect(together[i].length).toBe(d.words[i].length);
      for (let t = 0; t < d.words[i].length; t++) expect(maxRelDiff(together[i][t], alone[0][t])).toBeLessThan(1e-6);
    });
  });

  it("gives a word the same features whatever the other words' lengths", () => {
    const words = input({ shape: [null], name: "words" });
    const chars = input({ shape: [null, null], name: "chars", sameLengthsAs: words });
    const e = layers.timeDistributed({ layer: layers.embedding({ inputDim: CHARS, outputDim: 3 }) }).apply(chars) as SymbolicTensor;
    const c = layers.timeDistributed({ layer: layers.conv1d({ filters: 4, kernelSize: 3, padding: "same" }) }).apply(e) as SymbolicTensor;
    const perWord = layers.timeDistributed({ layer: layers.globalMaxPooling1D() }).apply(c) as SymbolicTensor;
    const m = model({ inputs: [words, chars], outputs: perWord, seed: 9 });
    const word = [3, 7, 1, 5];
    const short = m.predict({ words: [[1]], chars: [[word]] }) as number[][][];
    const mixed = m.predict({ words: [[1, 2, 3], [4]], chars: [[[2], Array(11).fill(4), word], [[6, 6]]] }) as number[][][];
    expect(maxRelDiff(mixed[0][2], short[0][0])).toBe(0);
  });
});

describe("nested input: gradients by central differences", () => {
  it("every weight of the tagger (conv + pooling, a nested LSTM model, the word path)", async () => {
    const m = tagger(7);
    m.compile({ loss: "sparseCategoricalCrossentropy", optimizer: "sgd" });
    const d = sentences(new Random(8), [3, 1, 5, 2]);
    // step 1e-3: the default 1e-2 moves some characters' conv outputs past another step's, so the
    // max switches inside the difference (a kink of max, not a wrong gradient).
    const checked = checkGradients(m, modelBatchOf(m, { words: d.words, chars: d.chars }, d.tags), { perVariable: 12, step: 1e-3 });
    expect(checked).toBeGreaterThan(100);
  });

  it("a row-wise layer between nested layers (TD(dense) on characters) and a valid conv that shortens words", () => {
    const words = input({ shape: [null], name: "words" });
    const chars = input({ shape: [null, null], name: "chars", sameLengthsAs: words });
    const e = layers.timeDistributed({ layer: layers.embedding({ inputDim: CHARS, outputDim: 3 }) }).apply(chars) as SymbolicTensor;
    const dense = layers.timeDistributed({ layer: layers.dense({ units: 3, activation: "tanh" }) }).apply(e) as SymbolicTensor;
    const conv = layers.timeDistributed({ layer: layers.conv1d({ filters: 2, kernelSize: 2 }) }).apply(dense) as SymbolicTensor;
    const pooled = layers.timeDistributed({ layer: layers.globalAveragePooling1D() }).apply(conv) as SymbolicTensor;
    const out = layers.timeDistributed({ layer: layers.dense({ units: TAGS, activation: "softmax" }) }).apply(pooled) as SymbolicTensor;
    const m = model({ inputs: [words, chars], outputs: out, seed: 4 });
    m.compile({ loss: "sparseCategoricalCrossentropy", optimizer: "sgd" });
    const chars2 = [[[1, 2, 3], [4, 5]], [[6, 7, 8, 9, 10]], [[2, 2], [3, 4, 5, 6], [1, 1, 1]]];
    const checked = checkGradients(m, modelBatchOf(m, { words: [[1, 2], [3], [4, 5, 6]], chars: chars2 }, [[0, 1], [2], [3, 0, 1]]));
    expect(checked).toBeGreaterThan(40);
  });
});

describe("nested input: coded errors for bad data", () => {
  const m = tagger(1);
  const ok = { words: [[1, 2]], chars: [[[1, 2], [3]]] };
  const codeOf = (xs: unknown): string => {
    try {
      m.predict(xs as never);
    } catch (e) {
      expect(e).toBeInstanceOf(RaggedError);
      return (e as RaggedError).code;
    }
    return "no error";
  };

  it("accepts well-formed data", () => {
    expect(codeOf(ok)).toBe("no error");
  });

  it("a word with no characters is BAD_SEQUENCE naming it", () => {
    expect(codeOf({ words: [[1, 2]], chars: [[[1, 2], []]] })).toBe("BAD_SEQUENCE");
    expect(() => m.predict({ words: [[1, 2]], chars: [[[1, 2], []]] } as never)).toThrow(/chars\[0\]\[1\] has no ids/);
  });

  it("a sentence whose word and character lists differ in length is LENGTH_MISMATCH naming the sample", () => {
    expect(codeOf({ words: [[1, 2], [3]], chars: [[[1, 2], [3]], [[1], [2]]] })).toBe("LENGTH_MISMATCH");
    expect(() => m.predict({ words: [[1, 2], [3]], chars: [[[1, 2], [3]], [[1], [2]]] } as never)).toThrow(/chars\[1\] and xs\.words\[1\]/);
  });

  it("the wrong depth is BAD_SEQUENCE: ids where words belong, lists where ids belong, a sample that is not a list", () => {
    expect(codeOf({ words: [[1, 2]], chars: [[1, 2]] })).toBe("BAD_SEQUENCE");
    expect(codeOf({ words: [[1, 2]], chars: [[[[1], [2]], [3]]] })).toBe("BAD_SEQUENCE");
    expect(() => m.predict({ words: [[1, 2]], chars: [[[[1], [2]], [3]]] } as never)).toThrow(/one level too deep|not an id/);
    expect(codeOf({ words: [[1, 2]], chars: [5] })).toBe("BAD_SEQUENCE");
    expect(codeOf({ words: [[1, 2]], chars: 5 })).toBe("BAD_INPUT");
  });

  it("a non-finite id is NON_FINITE, an id beyond the character embedding BAD_INPUT", () => {
    expect(codeOf({ words: [[1, 2]], chars: [[[1, NaN], [3]]] })).toBe("NON_FINITE");
    expect(codeOf({ words: [[1, 2]], chars: [[[1, CHARS], [3]]] })).toBe("BAD_INPUT");
  });

  it("never changes the caller's arrays", () => {
    const xs = { words: [[1, 2], [3]], chars: [[[1, 2], [3]], [[4, 5, 6]]] };
    const copy = JSON.parse(JSON.stringify(xs));
    m.predict(xs);
    expect(xs).toEqual(copy);
  });
});

describe("nested input: coded errors for bad graphs", () => {
  it("sameLengthsAs must name a model input, which the model must have (GRAPH_DISCONNECTED)", () => {
    const words = input({ shape: [null], name: "w" });
    const chars = input({ shape: [null, null], name: "c", sameLengthsAs: words });
    const p = layers.timeDistributed({ layer: layers.globalMaxPooling1D() }).apply(layers.timeDistributed({ layer: layers.embedding({ inputDim: 4, outputDim: 2 }) }).apply(chars) as SymbolicTensor) as SymbolicTensor;
    expect(() => model({ inputs: chars, outputs: p })).toThrow(expect.objectContaining({ code: "GRAPH_DISCONNECTED" }));
    const notInput = layers.embedding({ inputDim: 4, outputDim: 2 }).apply(words) as SymbolicTensor;
    expect(() => input({ shape: [null, null], sameLengthsAs: notInput })).toThrow(expect.objectContaining({ code: "INVALID_ARGUMENT" }));
    expect(() => input({ shape: [null, null], sameLengthsAs: input({ shape: [3] }) })).toThrow(expect.objectContaining({ code: "INVALID_ARGUMENT" }));
  });

  it("inputs related by sameLengthsAs cannot be masked (UNSUPPORTED): a mask would pack them to different steps", () => {
    const words = input({ shape: [null], name: "words" });
    const chars = input({ shape: [null, null], name: "chars", sameLengthsAs: words });
    const w = layers.embedding({ inputDim: 5, outputDim: 2, maskZero: true }).apply(words) as SymbolicTensor;
    const e = layers.timeDistributed({ layer: layers.embedding({ inputDim: 5, outputDim: 2 }) }).apply(chars) as SymbolicTensor;
    const p = layers.timeDistributed({ layer: layers.globalMaxPooling1D() }).apply(e) as SymbolicTensor;
    const m = model({ inputs: [words, chars], outputs: layers.concatenate().apply([w, p]) as SymbolicTensor });
    expect(() => m.predict({ words: [[0, 1]], chars: [[[1], [2]]] })).toThrow(expect.objectContaining({ code: "UNSUPPORTED" }));
  });

  it("a sequence layer in timeDistributed over plain sequences is INVALID_ARGUMENT; a nested tensor into a plain layer SHAPE_MISMATCH", () => {
    const x = input({ shape: [null, 3] });
    expect(() => layers.timeDistributed({ layer: layers.lstm({ units: 2 }) }).apply(x)).toThrow(expect.objectContaining({ code: "INVALID_ARGUMENT" }));
    const chars = input({ shape: [null, null] });
    expect(() => layers.embedding({ inputDim: 4, outputDim: 2 }).apply(chars)).toThrow(expect.objectContaining({ code: "SHAPE_MISMATCH" }));
    const e = layers.timeDistributed({ layer: layers.embedding({ inputDim: 4, outputDim: 2 }) }).apply(chars) as SymbolicTensor;
    expect(() => layers.lstm({ units: 2 }).apply(e)).toThrow(expect.objectContaining({ code: "SHAPE_MISMATCH" }));
  });
});
