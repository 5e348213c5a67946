/**
 * Grapheme-to-phoneme conversion on CMUdict with attention between encoder and decoder:
 *
 *   letters → embedding → bidirectional(lstm, returnSequences)            = E   (the encoder)
 *   <s> + phonemes → embedding → lstm(returnSequences)                    = D   (the decoder, teacher forcing)
 *   attention([D, E]) (Luong, or additiveAttention: Bahdanau)            = C   each decoder step over its own word's letters
 *   concatenate([D, C]) → timeDistributed(dense softmax) over phonemes + </s>
 *
 *   npm run example:g2p-attention                 # or: npx tsx examples/g2p-attention/main.ts [--epochs N] [--limit N] [--bahdanau]
 *
 * Data: npm `cmu-pronouncing-dictionary` (ISC), through the shared CMUdict split (examples/_shared/cmudict.ts: first pronunciation, stress-less
 * 39 phonemes, seeded 90/10 split by word; 112,428 train / 12,492 test words). Every word is a
 * ragged sequence of letters and its pronunciation another of a different length — no padding
 * anywhere, and each decoder step attends only to its own word's letters.
 *
 * Decoding is greedy and batched: every test word still running is fed its prefix, the model
 * predicts the next phoneme at the prefix's last step, and words that emit </s> leave the batch.
 * Reports phoneme error rate (PER: edit distance / reference length) and word error rate (WER:
 * share of words with any error); the last line is `test WER: X %, PER: Y %`.
 */
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { errorRates, input, kernels, layers, type LayersModel, model, type SymbolicTensor, useFastKernels } from "ragged-rnn";
import { cmudictG2P } from "../_shared/cmudict.js";

export interface Options {
  /** Training epochs (default 12). */
  epochs?: number;
  /** Only the first `limit` train and test words (smoke tests). */
  limit?: number;
  /** Seeds the split, initialisation, shuffling and dropout (default 1). */
  seed?: number;
  /** 0 silent, 1 progress bar, 2 one line per epoch (default). */
  verbose?: 0 | 1 | 2;
  /** Bahdanau (additive) attention instead of Luong (dot). */
  bahdanau?: boolean;
  /** LSTM units per encoder direction; the decoder has twice as many (default 128). */
  units?: number;
  /** Embedding width (default 64). */
  embeddingDim?: number;
  /** Words per batch (default 64). */
  batchSize?: number;
  /** Adam's learning rate (default 0.003). */
  learningRate?: number;
  /** Threads per training step (default 2). */
  threads?: number;
  /** Stop training after this many minutes (at the end of the batch running then); default none. */
  minutes?: number;
}

export interface Result {
  wer: number;
  per: number;
  seconds: number;
  trainWords: number;
  testWords: number;
  kernels: string;
}

/** The teacher-forced training graph: inputs [letters, decoder input], output phoneme probabilities. */
export function buildModel(args: { letters: number; phonemes: number; units: number; embeddingDim: number; bahdanau: boolean; seed: number }): LayersModel {
  const letters = input({ shape: [null], name: "letters" });
  const previous = input({ shape: [null], name: "previous" });
  const e = layers.embedding({ inputDim: args.letters, outputDim: args.embeddingDim }).apply(letters) as SymbolicTensor;
  const E = layers.bidirectional({ layer: layers.lstm({ units: args.units, returnSequences: true }) }).apply(e) as SymbolicTensor;
  // the decoder's vocabulary: the phonemes, then <s> (its input) / </s> (its output) at id `phonemes`
  const d = layers.embedding({ inputDim: args.phonemes + 1, outputDim: args.embeddingDim }).apply(previous) as SymbolicTensor;
  const D = layers.lstm({ units: 2 * args.units, returnSequences: true }).apply(d) as SymbolicTensor;
  const attention = args.bahdanau ? layers.additiveAttention({}) : layers.attention({ useScale: true });
  const C = attention.apply([D, E]) as SymbolicTensor;
  const both = layers.concatenate({}).apply([D, C]) as SymbolicTensor;
  const out = layers.timeDistributed({ layer: layers.dense({ units: args.phonemes + 1, activation: "softmax" }) }).apply(both) as SymbolicTensor;
  return model({ inputs: [letters, previous], outputs: out, seed: args.seed });
}

/**
 * Greedy decoding, batched: each round runs the words still going on their prefixes and appends
 * the most likely next phoneme; a word leaves the batch when it emits `end` (or reaches `maxLength`).
 */
export function greedyDecode(m: LayersModel, letters: number[][], start: number, end: number, maxLength: number): number[][] {
  const out: number[][] = letters.map(() => []);
  let running = letters.map((_, i) => i);
  for (let step = 0; step < maxLength && running.length > 0; step++) {
    const prefixes = running.map((i) => [start, ...out[i]]);
    const probs = m.predict([running.map((i) => letters[i]), prefixes], { batchSize: 256 }) as number[][][];
    const next: number[] = [];
    running.forEach((i, r) => {
      const last = probs[r][step];
      let best = 0;
      for (let k = 1; k < last.length; k++) if (last[k] > last[best]) best = k;
      if (best === end) return;
      out[i].push(best);
      next.push(i);
    });
    running = next;
  }
  return out;
}

export async function main(options: Options = {}): Promise<Result> {
  const epochs = options.epochs ?? 12;
  const seed = options.seed ?? 1;
  const verbose = options.verbose ?? 2;
  const units = options.units ?? 128;
  const log = verbose > 0 ? (s: string) => console.log(s) : () => {};
  useFastKernels();
  const started = performance.now();
  const { train, test, graphemes, phonemes } = cmudictG2P({ seed, ...(options.limit ? { limit: options.limit } : {}) });
  const P = phonemes.size; // <s> and </s> are both id P (input vs output side)
  const xLetters = train.map((w) => graphemes.encode(w.letters));
  const xPrevious = train.map((w) => [P, ...phonemes.encode(w.phonemes)]);
  const yNext = train.map((w) => [...phonemes.encode(w.phonemes), P]);
  log(`CMUdict: ${train.length} train / ${test.length} test words; ${graphemes.size} letters, ${P} phonemes; kernels: ${kernels().name}; ${options.bahdanau ? "Bahdanau (additive)" : "Luong (dot)"} attention`);

  const m = buildModel({ letters: graphemes.size, phonemes: P, units, embeddingDim: options.embeddingDim ?? 64, bahdanau: options.bahdanau ?? false, seed });
  if (verbose > 0) m.summary();
  m.compile({ loss: "sparseCategoricalCrossentropy", optimizer: { name: "adam", learningRate: options.learningRate ?? 0.003 } });
  const budget = options.minutes === undefined ? Infinity : started + options.minutes * 60_000;
  let epochsRun = 0;
  const callbacks = [{
    onEpochEnd: () => void epochsRun++,
    onBatchEnd: () => {
      if (performance.now() > budget) m.stopTraining = true;
    },
  }];
  await m.fit([xLetters, xPrevious], yNext, { epochs, batchSize: options.batchSize ?? 64, verbose, threads: options.threads ?? 2, callbacks });
  const trained = performance.now();

  const testLetters = test.map((w) => graphemes.encode(w.letters));
  const maxLength = Math.max(...train.map((w) => w.phonemes.length)) + 2;
  const hypotheses = greedyDecode(m, testLetters, P, P, maxLength);
  const r = errorRates(test.map((w) => phonemes.encode(w.phonemes)), hypotheses);
  const seconds = (performance.now() - started) / 1000;
  log(`examples: ${test.slice(0, 3).map((w, i) => `${w.word} → ${phonemes.decode(hypotheses[i]).join(" ")}`).join("; ")}`);
  log(`time: ${seconds.toFixed(0)} s (training ${((trained - started) / 1000).toFixed(0)} s, ${epochsRun} epochs${epochsRun < epochs ? ` (time budget ${options.minutes} min; the last one partial)` : ""}; decoding ${((performance.now() - trained) / 1000).toFixed(0)} s; kernels ${kernels().name})`);
  log(`test WER: ${(r.sequenceErrorRate * 100).toFixed(2)} %, PER: ${(r.labelErrorRate * 100).toFixed(2)} %`);
  return { wer: r.sequenceErrorRate, per: r.labelErrorRate, seconds, trainWords: train.length, testWords: test.length, kernels: kernels().name };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const { values } = parseArgs({
    options: {
      epochs: { type: "string" }, limit: { type: "string" }, seed: { type: "string" }, units: { type: "string" },
      "batch-size": { type: "string" }, "learning-rate": { type: "string" }, threads: { type: "string" }, bahdanau: { type: "boolean" },
      minutes: { type: "string" }, "embedding-dim": { type: "string" },
    },
  });
  const num = (v: string | undefined) => (v === undefined ? undefined : Number(v));
  await main({
    epochs: num(values.epochs), limit: num(values.limit), seed: num(values.seed), units: num(values.units),
    batchSize: num(values["batch-size"]), learningRate: num(values["learning-rate"]), threads: num(values.threads), bahdanau: values.bahdanau,
    minutes: num(values.minutes), embeddingDim: num(values["embedding-dim"]),
  });
}
