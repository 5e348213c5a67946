/**
 * Grapheme-to-phoneme conversion on CMUdict with an encoder–decoder (seq2seq, teacher forcing):
 *
 *   letters → embedding → bidirectional(lstm, returnState) → [hF, cF, hB, cB]           (the encoder)
 *   h = concatenate([hF, hB]), c = concatenate([cF, cB])
 *   <s> + phonemes → embedding → lstm(2·units, initialState [h, c]) → dense softmax     (the decoder)
 *
 *   npm run example:g2p            # or: npx tsx examples/g2p/main.ts [--epochs N] [--minutes M] [--beam K] [--limit N]
 *
 * Data: npm `cmu-pronouncing-dictionary` (ISC), through the shared CMUdict split
 * (examples/_shared/cmudict.ts: first pronunciation, 39 stress-less phonemes, seeded 90/10 split by
 * word; 112,428 train / 12,492 test words). Every word is a ragged sequence of letters and its
 * pronunciation another of a different length: the two inputs of one sample are packed on their
 * own, with no padding anywhere.
 *
 * Inference is the classic pair: an encoder model (letters → h, c) and a one-step decoder model
 * ([token, h, c] → [probabilities, h, c]) sharing the trained layers, driven by the batched
 * `greedyDecode` (or `beamSearch` with `--beam K`), in which words that emit </s> leave the batch.
 * Reports phoneme error rate (PER: edit distance / reference length) and word error rate (WER:
 * share of words with any error), and the batched decoder's time against decoding one word at a
 * time; the last line is `test WER: X %, PER: Y %`.
 */
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import {
  beamSearch, errorRates, greedyDecode, input, kernels, layers, type LayersModel, model, stepFromModel,
  type SymbolicTensor, useFastKernels,
} from "ragged-rnn";
import { anyVariantWer, cmudictG2P } from "../_shared/cmudict.js";
import { fitTeacherForced, teacherForcing } from "../_shared/seq2seq_training.js";

export interface Options {
  /** Training epochs (default 30; `minutes` usually ends training first). */
  epochs?: number;
  /** Stop training after this many minutes (at the end of the batch running then); default none. */
  minutes?: number;
  /** Only the first `limit` train and test words (smoke tests). */
  limit?: number;
  /** Seeds the split, initialisation and shuffling (default 1). */
  seed?: number;
  /** 0 silent, 1 progress bar, 2 one line per epoch (default). */
  verbose?: 0 | 1 | 2;
  /** LSTM units per encoder direction; the decoder has twice as many (default 128). */
  units?: number;
  /** Embedding width (default 64). */
  embeddingDim?: number;
  /** Words per batch (default 64). */
  batchSize?: number;
  /** Adam's learning rate (default 0.003), halved every `halveEvery` epochs. */
  learningRate?: number;
  /** Epochs between halvings of the learning rate (default 4). */
  halveEvery?: number;
  /** Beam width; 1 (default) decodes greedily. */
  beam?: number;
  /**
   * Dropout rate in training (default 0.3) on the encoder's and decoder's LSTM inputs and on the
   * decoder's output before the softmax; 0 turns it off. Without it the model memorises the
   * training words (train loss 0.006 after 29 epochs) and the test WER stalls.
   */
  dropout?: number;
  /** Threads per training step (default 2). */
  threads?: number;
  /** Test words also decoded one at a time, to time the batched decoder against (default 200). */
  timedWords?: number;
}

export interface Result {
  wer: number;
  /** Test WER scored against every pronunciation CMUdict lists (a word is right if any matches). */
  werAnyVariant: number;
  per: number;
  seconds: number;
  epochs: number;
  trainWords: number;
  testWords: number;
  /** Seconds per word, batched vs one word at a time, on the same `timedWords` test words. */
  decodeBatched: number;
  decodeOneByOne: number;
  /** Whether one-at-a-time decoding gave the same phonemes as the batched decoder. */
  sameAsOneByOne: boolean;
  kernels: string;
}

/** The teacher-forced training graph, and the encoder / one-step decoder pair sharing its layers. */
export function buildModels(args: { letters: number; phonemes: number; units: number; embeddingDim: number; dropout?: number; seed: number }): {
  train: LayersModel;
  encoder: LayersModel;
  decoder: LayersModel;
} {
  const U = args.units;
  const dropout = args.dropout ?? 0;
  const letters = input({ shape: [null], name: "letters" });
  const previous = input({ shape: [null], name: "previous" });
  const e = layers.embedding({ inputDim: args.letters, outputDim: args.embeddingDim, name: "letter_embedding" }).apply(letters) as SymbolicTensor;
  const [, hF, cF, hB, cB] = layers.bidirectional({ layer: layers.lstm({ units: U, returnState: true, dropout }), name: "encoder" }).apply(e) as SymbolicTensor[];
  const h = layers.concatenate({ name: "h" }).apply([hF, hB]) as SymbolicTensor;
  const c = layers.concatenate({ name: "c" }).apply([cF, cB]) as SymbolicTensor;
  // the decoder's vocabulary: the phonemes, then <s> (its input) / </s> (its output) at id `phonemes`
  const phonemeEmbedding = layers.embedding({ inputDim: args.phonemes + 1, outputDim: args.embeddingDim, name: "phoneme_embedding" });
  const decoderLstm = layers.lstm({ units: 2 * U, returnSequences: true, returnState: true, dropout, name: "decoder" });
  const outputDropout = layers.dropout({ rate: dropout, name: "output_dropout" });
  const toProbs = layers.timeDistributed({ layer: layers.dense({ units: args.phonemes + 1, activation: "softmax" }), name: "probs" });
  const [decoded] = decoderLstm.apply(phonemeEmbedding.apply(previous) as SymbolicTensor, { initialState: [h, c] }) as SymbolicTensor[];
  const train = model({ inputs: [letters, previous], outputs: toProbs.apply(outputDropout.apply(decoded) as SymbolicTensor) as SymbolicTensor, seed: args.seed, name: "g2p" });

  const encoder = model({ inputs: letters, outputs: [h, c], name: "g2p_encoder" });
  const token = input({ shape: [null], name: "token" });
  const hIn = input({ shape: [2 * U], name: "h_in" });
  const cIn = input({ shape: [2 * U], name: "c_in" });
  const [step, hOut, cOut] = decoderLstm.apply(phonemeEmbedding.apply(token) as SymbolicTensor, { initialState: [hIn, cIn] }) as SymbolicTensor[];
  const decoder = model({ inputs: [token, hIn, cIn], outputs: [toProbs.apply(outputDropout.apply(step) as SymbolicTensor) as SymbolicTensor, hOut, cOut], name: "g2p_decoder" });
  return { train, encoder, decoder };
}

/** Decodes words (letter ids) with the encoder / one-step decoder pair: greedy, or beam search of width `beam`. */
export async function decodeWords(args: { encoder: LayersModel; decoder: LayersModel; letters: number[][]; end: number; maxLength: number; beam: number }): Promise<number[][]> {
  const [h, c] = args.encoder.predict(args.letters, { batchSize: 512 }) as unknown as [number[][], number[][]];
  const common = { step: stepFromModel({ model: args.decoder }), initialStates: [h, c], startToken: args.end, endToken: args.end, maxLength: args.maxLength };
  const r = args.beam > 1 ? await beamSearch({ ...common, beamWidth: args.beam }) : await greedyDecode(common);
  return r.sequences;
}

export async function main(options: Options = {}): Promise<Result> {
  const epochs = options.epochs ?? 30;
  const seed = options.seed ?? 1;
  const verbose = options.verbose ?? 2;
  const units = options.units ?? 128;
  const beam = options.beam ?? 1;
  const log = verbose > 0 ? (s: string) => console.log(s) : () => {};
  useFastKernels();
  const started = performance.now();
  const { train, test, graphemes, phonemes } = cmudictG2P({ seed, ...(options.limit ? { limit: options.limit } : {}) });
  const data = teacherForcing(train, graphemes, phonemes);
  const P = data.P; // <s> and </s> are both id P (input vs output side)
  log(`CMUdict: ${train.length} train / ${test.length} test words; ${graphemes.size} letters, ${P} phonemes; kernels: ${kernels().name}`);

  const { train: m, encoder, decoder } = buildModels({ letters: graphemes.size, phonemes: P, units, embeddingDim: options.embeddingDim ?? 64, dropout: options.dropout ?? 0.3, seed });
  if (verbose > 0) m.summary();
  const epochsRun = await fitTeacherForced(m, data, {
    learningRate: options.learningRate ?? 0.003, halveEvery: options.halveEvery ?? 4, minutes: options.minutes, started,
    epochs, batchSize: options.batchSize, verbose, threads: options.threads,
  });
  const trained = performance.now();

  const testLetters = test.map((w) => graphemes.encode(w.letters));
  const maxLength = Math.max(...train.map((w) => w.phonemes.length)) + 2;
  const hypotheses = await decodeWords({ encoder, decoder, letters: testLetters, end: P, maxLength, beam });
  const decoded = performance.now();
  const r = errorRates(test.map((w) => phonemes.encode(w.phonemes)), hypotheses);
  const werAnyVariant = anyVariantWer(test, hypotheses.map((h) => phonemes.decode(h)));

  // the batched decoder against one word at a time, on the same words
  const timed = testLetters.slice(0, options.timedWords ?? 200);
  const t0 = performance.now();
  const batched = await decodeWords({ encoder, decoder, letters: timed, end: P, maxLength, beam });
  const t1 = performance.now();
  const oneByOne: number[][] = [];
  for (const word of timed) oneByOne.push(...(await decodeWords({ encoder, decoder, letters: [word], end: P, maxLength, beam })));
  const t2 = performance.now();
  const sameAsOneByOne = batched.every((s, i) => s.length === oneByOne[i].length && s.every((p, k) => p === oneByOne[i][k]));
  const decodeBatched = (t1 - t0) / 1000 / timed.length;
  const decodeOneByOne = (t2 - t1) / 1000 / timed.length;

  const seconds = (performance.now() - started) / 1000;
  log(`examples: ${test.slice(0, 3).map((w, i) => `${w.word} → ${phonemes.decode(hypotheses[i]).join(" ")}`).join("; ")}`);
  log(
    `decoding ${timed.length} words: batched ${(decodeBatched * 1000).toFixed(2)} ms/word, one at a time ${(decodeOneByOne * 1000).toFixed(2)} ms/word ` +
      `(${(decodeOneByOne / decodeBatched).toFixed(1)}× slower; same phonemes: ${sameAsOneByOne})`,
  );
  log(
    `time: ${seconds.toFixed(0)} s (training ${((trained - started) / 1000).toFixed(0)} s, ${epochsRun} epochs${epochsRun < epochs ? ` (time budget ${options.minutes} min; the last one partial)` : ""}; ` +
      `decoding ${test.length} words ${((decoded - trained) / 1000).toFixed(0)} s, ${beam > 1 ? `beam ${beam}` : "greedy"}; kernels ${kernels().name})`,
  );
  log(`test WER against any listed pronunciation: ${(werAnyVariant * 100).toFixed(2)} %`);
  log(`test WER: ${(r.sequenceErrorRate * 100).toFixed(2)} %, PER: ${(r.labelErrorRate * 100).toFixed(2)} %`);
  return {
    wer: r.sequenceErrorRate, per: r.labelErrorRate, werAnyVariant, seconds, epochs: epochsRun, trainWords: train.length, testWords: test.length,
    decodeBatched, decodeOneByOne, sameAsOneByOne, kernels: kernels().name,
  };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const { values } = parseArgs({
    options: {
      epochs: { type: "string" }, minutes: { type: "string" }, limit: { type: "string" }, seed: { type: "string" }, units: { type: "string" },
      "embedding-dim": { type: "string" }, "batch-size": { type: "string" }, "learning-rate": { type: "string" }, "halve-every": { type: "string" },
      beam: { type: "string" }, dropout: { type: "string" }, threads: { type: "string" }, "timed-words": { type: "string" }, verbose: { type: "string" },
    },
  });
  const num = (v: string | undefined) => (v === undefined ? undefined : Number(v));
  await main({
    epochs: num(values.epochs), minutes: num(values.minutes), limit: num(values.limit), seed: num(values.seed), units: num(values.units),
    embeddingDim: num(values["embedding-dim"]), batchSize: num(values["batch-size"]), learningRate: num(values["learning-rate"]),
    halveEvery: num(values["halve-every"]), beam: num(values.beam), dropout: num(values.dropout), threads: num(values.threads), timedWords: num(values["timed-words"]),
    verbose: num(values.verbose) as 0 | 1 | 2 | undefined,
  });
}
