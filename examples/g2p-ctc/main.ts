/**
 * Grapheme-to-phoneme conversion with CTC on CMUdict: the spelling goes in, one softmax over the 39
 * phonemes plus the blank comes out per (upsampled) letter, and the CTC loss sums over every
 * alignment of the pronunciation to those steps — no alignment, no decoder, no padding:
 *
 *   embedding → bidirectional(lstm, returnSequences) × layers → timeDistributed(dense softmax, 40) — ctc
 *
 *   npm run example:g2p-ctc                   # or: npx tsx examples/g2p-ctc/main.ts [--epochs 20] [--limit 500] …
 *
 * Data: the shared CMUdict split (examples/_shared/cmudict.ts: first pronunciation, stress removed,
 * seeded 90/10 split by word, 112,428 train / 12,492 test words) — the same test words as
 * `example:g2p`.
 *
 * Upsampling (why and how): CTC emits at most one phoneme per step, and a pronunciation can be
 * longer than its spelling ("x" → EH K S, "ax" → AE K S). Each letter is therefore fed twice; the
 * second copy has its own id (letter + 27), so the network knows which half of a letter it is at.
 * With two steps per letter, 25 of the 124,920 words still cannot be aligned (they need more than
 * 2·letters steps counting the blank between repeated phonemes); `zeroInfinity: true` skips them in
 * training and they count as errors in the test.
 *
 * The model is scored on the test words by greedy (best-path) decoding, or beam search with
 * `--beam-width`: word error rate (a word is wrong if any phoneme is) and phoneme error rate
 * (Σ edit distance / Σ reference length). The last line is `test WER: X, PER: Y`.
 */
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { ctcDecode, errorRates, kernels, layers, loadModel, reduceLROnPlateau, sequential, useFastKernels, type Callback } from "ragged-rnn";
import { anyVariantWer, GRAPHEMES, PHONEMES, Vocabulary, cmudictG2P, type Pronunciation } from "../_shared/cmudict.js";
import { cosineAnneal } from "../_shared/cosine_anneal.js";

export interface Options {
  /** Training epochs (default 30; training also stops after `maxMinutes`). */
  epochs?: number;
  /** Stop training after this many minutes of wall time (default: no limit). */
  maxMinutes?: number;
  /** Use only the first `limit` train and test words of the split (smoke tests). */
  limit?: number;
  /** Seeds the split's permutation is fixed (seed 1); this seeds initialisation, shuffling and dropout (default 1). */
  seed?: number;
  /** 0 silent, 1 progress bar, 2 one line per epoch (default). */
  verbose?: 0 | 1 | 2;
  /** Embedding width (default 64). */
  embeddingDim?: number;
  /** LSTM units per direction (default 192). */
  units?: number;
  /** Stacked bidirectional LSTM layers (default 2). */
  depth?: number;
  /** Dropout between layers (default 0.2). */
  dropout?: number;
  /** Adam's learning rate (default 0.003), halved when the validation loss stalls (unless `cosine`). */
  learningRate?: number;
  /**
   * Anneal the learning rate along a cosine to 0 instead of halving it on plateaus (default false):
   * over the wall time up to `maxMinutes` when that is set (every batch), else over the epochs.
   */
  cosine?: boolean;
  /** Sequences per batch (default 64). */
  batchSize?: number;
  /** Training threads (default: one per core). */
  threads?: number;
  /** Beam width for decoding the test words; 1 (default) decodes greedily. */
  beamWidth?: number;
  /** Try the WebAssembly SIMD kernels (default true). */
  fastKernels?: boolean;
  /** Save the trained model here (a folder: model.json + weights.bin), to decode it again later. */
  save?: string;
  /**
   * Start from the weights of a model `save` wrote (the same units, depth, embeddingDim and copies)
   * and train on: a session's budget can continue where another's ended.
   */
  resume?: string;
  /** Steps per letter (default 2): copy k of a letter has its own id, so the network knows which part of the letter a step is. */
  copies?: number;
}

export interface Result {
  /** Test word error rate (share of words with any phoneme wrong). */
  wer: number;
  /** Test WER scored against every pronunciation CMUdict lists (a word is right if any matches). */
  werAnyVariant: number;
  /** Test phoneme error rate (Σ edits / Σ reference phonemes). */
  per: number;
  seconds: number;
  epochs: number;
  trainWords: number;
  testWords: number;
  kernels: string;
}

/** Letter ids, each letter `copies` times (default 2): copy k of letter id is id + 27·k, so 1..27, 28..54, … (0 stays unused). */
export function upsampleLetters(letters: readonly string[], graphemes: Vocabulary, copies = 2): number[] {
  const out: number[] = [];
  for (const c of letters) {
    const id = graphemes.id(c);
    for (let k = 0; k < copies; k++) out.push(id + k * GRAPHEMES.length);
  }
  return out;
}

export async function main(options: Options = {}): Promise<Result> {
  const epochs = options.epochs ?? 30;
  const verbose = options.verbose ?? 2;
  const seed = options.seed ?? 1;
  const units = options.units ?? 192;
  const depth = options.depth ?? 2;
  const dropout = options.dropout ?? 0.2;
  const beamWidth = options.beamWidth ?? 1;
  const copies = options.copies ?? 2;
  if (!Number.isInteger(copies) || copies < 1) throw new Error(`copies must be a whole number ≥ 1, got ${copies}`);
  const log = verbose > 0 ? (s: string) => console.log(s) : () => {};
  if (options.fastKernels ?? true) useFastKernels();
  const started = performance.now();

  const data = cmudictG2P({ limit: options.limit });
  const graphemes = new Vocabulary(GRAPHEMES, { reserved: ["<pad>"] }); // letters 1..27
  const phonemes = new Vocabulary(PHONEMES, { reserved: ["<blank>"] }); // blank 0, phonemes 1..39
  const encode = (words: Pronunciation[]) => ({ xs: words.map((w) => upsampleLetters(w.letters, graphemes, copies)), ys: words.map((w) => phonemes.encode(w.phonemes)) });
  const train = encode(data.train);
  const test = encode(data.test);
  log(`CMUdict: ${data.train.length} train / ${data.test.length} test words; ${GRAPHEMES.length} letters ×${copies} steps each, ${PHONEMES.length} phonemes + blank; kernels: ${kernels().name}`);

  const stack = [];
  for (let d = 0; d < depth; d++) {
    stack.push(layers.bidirectional({ layer: layers.lstm({ units, returnSequences: true }) }));
    if (dropout > 0) stack.push(layers.dropout({ rate: dropout }));
  }
  const model = sequential(
    [
      layers.embedding({ inputDim: 1 + copies * GRAPHEMES.length, outputDim: options.embeddingDim ?? 64 }),
      ...stack,
      layers.timeDistributed({ layer: layers.dense({ units: phonemes.size, activation: "softmax" }) }),
    ],
    { seed },
  );
  if (options.resume !== undefined) {
    model.setWeights((await loadModel(`file://${options.resume}/model.json`)).getWeights());
    log(`weights from ${options.resume}`);
  }
  if (verbose > 0) model.summary();
  const learningRate = options.learningRate ?? 0.003;
  model.compile({
    loss: { name: "ctc", zeroInfinity: true },
    optimizer: { name: "adam", learningRate },
    metrics: ["labelErrorRate", "sequenceErrorRate"],
  });
  const deadline = options.maxMinutes === undefined ? Infinity : started + options.maxMinutes * 60_000;
  const schedule = options.cosine ? [cosineAnneal({ learningRate, epochs, deadline })] : options.limit === undefined ? [reduceLROnPlateau({ monitor: "val_loss", factor: 0.5, patience: 1, verbose: verbose > 0 ? 1 : 0 })] : [];
  let trainedEpochs = 0;
  const timeLimit: Callback & { model?: { stopTraining: boolean } } = {
    setModel(m) {
      this.model = m;
    },
    onEpochEnd(epoch) {
      trainedEpochs = epoch + 1;
    },
    onBatchEnd() {
      if (performance.now() > deadline && this.model) this.model.stopTraining = true;
    },
  };
  await model.fit(train.xs, train.ys, {
    epochs,
    batchSize: options.batchSize ?? 64,
    verbose,
    threads: options.threads,
    validationSplit: options.limit === undefined ? 0.02 : undefined,
    callbacks: [timeLimit, ...schedule],
  });

  if (options.save !== undefined) {
    await model.save(`file://${options.save}`);
    log(`model saved to ${options.save}`);
  }
  const predictions = model.predict(test.xs, { batchSize: 256 }) as number[][][];
  const decoded = ctcDecode(predictions, beamWidth > 1 ? { strategy: "beamSearch", beamWidth } : {}).paths.map((p) => p[0]);
  const rates = errorRates(test.ys, decoded);
  const werAnyVariant = anyVariantWer(data.test, decoded.map((d) => phonemes.decode(d)));
  for (let i = 0; i < Math.min(5, decoded.length); i++) log(`  ${data.test[i].word}: ${phonemes.decode(decoded[i]).join(" ")}  (reference ${data.test[i].phonemes.join(" ")})`);
  const seconds = (performance.now() - started) / 1000;
  log(`time: ${seconds.toFixed(0)} s (${trainedEpochs} epochs, ${beamWidth > 1 ? `beam ${beamWidth}` : "greedy"} decoding, kernels ${kernels().name})`);
  log(`test WER against any listed pronunciation: ${(100 * werAnyVariant).toFixed(2)} %`);
  log(`test WER: ${(100 * rates.sequenceErrorRate).toFixed(2)} %, PER: ${(100 * rates.labelErrorRate).toFixed(2)} %`);
  return { wer: rates.sequenceErrorRate, per: rates.labelErrorRate, werAnyVariant, seconds, epochs: trainedEpochs, trainWords: data.train.length, testWords: data.test.length, kernels: kernels().name };
}

/** The command line's `--name value` options (see the file comment and README.md). */
function optionsFromArgs(argv: string[]): Options {
  const names = ["epochs", "max-minutes", "limit", "seed", "verbose", "embedding-dim", "units", "depth", "dropout", "learning-rate", "batch-size", "threads", "beam-width", "copies"] as const;
  const { values } = parseArgs({
    args: argv,
    options: { ...Object.fromEntries(names.map((n) => [n, { type: "string" as const }])), cosine: { type: "boolean" }, "fast-kernels": { type: "string" }, save: { type: "string" }, resume: { type: "string" } },
  });
  const out: Record<string, unknown> = { cosine: values.cosine, save: values.save, resume: values.resume };
  for (const n of names) {
    const v = (values as Record<string, string | undefined>)[n];
    if (v === undefined) continue;
    const x = Number(v);
    if (!Number.isFinite(x)) throw new Error(`expected --${n} <number>, got ${v}`);
    out[n.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase())] = x;
  }
  if (values["fast-kernels"] !== undefined) out.fastKernels = values["fast-kernels"] !== "false" && values["fast-kernels"] !== "0";
  return out as Options;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await main(optionsFromArgs(process.argv.slice(2)));
}
