/**
 * The tagger's word ids when its embedding starts from word vectors (`--pretrained`): the vectors
 * come from unlabeled text (word_vectors.ts) — the words of Brown's 14 other genres and of the news
 * training split, tags dropped, never the test split — and every word that has a vector gets an
 * id, so a test word the training split never showed is still a word to the model, not just its
 * shape. Words without a vector keep examples/pos-tagging's unknown-word (shape) ids.
 *
 *   ids 1 … known            the training vocabulary (as examples/pos-tagging numbers it)
 *   ids known+1 … vocabulary−1   the unknown-word shape ids (as there)
 *   ids vocabulary … total−1     words with a vector that the training vocabulary lacks
 */
import { readBrownFiles, type TaggingData } from "../pos-tagging/main.js";
import { wordVectors, type WordVectors } from "./word_vectors.js";

export interface PretrainedWords {
  xTrain: number[][];
  xTest: number[][];
  /** Embedding rows: the ids above. */
  vocabulary: number;
  /** Whether an id is a word (not padding, not a shape id): what word dropout may drop. */
  isWord: (id: number) => boolean;
  /** Words given an id beyond the training vocabulary. */
  extraWords: number;
  /** The embedding's initial [vocabulary, dim] matrix: a word's vector where it has one, else `initial`'s row. */
  embedding: (initial: Float32Array) => Float32Array;
}

/**
 * Word vectors from the unlabeled text described above (the news split is `data`'s, whose test
 * part is left out). `otherSentences` keeps only that many sentences of the other genres (smoke tests).
 */
export function brownWordVectors(data: Pick<TaggingData, "train">, dim: number, otherSentences = Infinity): WordVectors {
  const otherGenres = readBrownFiles((name) => !name.startsWith("ca")).slice(0, otherSentences);
  return wordVectors([...otherGenres.map((s) => s.words), ...data.train.map((s) => s.words)], { dim });
}

export function pretrainedWords(data: Pick<TaggingData, "train" | "test" | "xTrain" | "xTest" | "firstUnknown" | "vocabulary">, vectors: WordVectors): PretrainedWords {
  // the training vocabulary's words, by id, from the encoded training split
  const wordOfId = new Map<number, string>();
  data.train.forEach((s, i) => s.words.forEach((w, t) => data.xTrain[i][t] < data.firstUnknown && wordOfId.set(data.xTrain[i][t], w.toLowerCase())));
  const known = new Set(wordOfId.values());
  const extraId = new Map<string, number>();
  for (const w of vectors.index.keys()) if (!known.has(w)) extraId.set(w, data.vocabulary + extraId.size);
  const encode = (sentences: TaggingData["train"], ids: number[][]) =>
    sentences.map((s, i) => s.words.map((w, t) => (ids[i][t] < data.firstUnknown ? ids[i][t] : extraId.get(w.toLowerCase()) ?? ids[i][t])));
  const vocabulary = data.vocabulary + extraId.size;
  const { dim } = vectors;
  return {
    xTrain: encode(data.train, data.xTrain),
    xTest: encode(data.test, data.xTest),
    vocabulary,
    isWord: (id) => id >= 1 && (id < data.firstUnknown || id >= data.vocabulary),
    extraWords: extraId.size,
    embedding: (initial) => {
      const out = Float32Array.from(initial);
      const put = (id: number, word: string) => {
        const row = vectors.index.get(word);
        if (row !== undefined) out.set(vectors.vectors.subarray(row * dim, (row + 1) * dim), id * dim);
      };
      for (const [id, w] of wordOfId) put(id, w);
      for (const [w, id] of extraId) put(id, w);
      return out;
    },
  };
}
