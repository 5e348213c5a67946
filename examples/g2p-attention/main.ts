/**
 * Grapheme-to-phoneme conversion on CMUdict with attention between encoder and decoder:
 *
 *   letters → embedding → bidirectional(lstm, returnSequences, returnState) = E, [hF, cF, hB, cB]   (the encoder)
 *   <s> + phonemes → embedding → lstm(2·units, initialState [hF‖hB, cF‖cB]) = D  (the decoder, teacher forcing)
 *   attention([D, E]) (Luong, or additiveAttention: Bahdanau)              = C   each decoder step over its own word's letters
 *   concatenate([D, C]) → [timeDistributed(dense tanh), with --attentional N] → timeDistributed(dense softmax) over phonemes + </s>
 *
 *   npm run example:g2p-attention                 # or: npx tsx examples/g2p-attention/main.ts [--epochs N] [--minutes M] [--limit N] [--bahdanau] [--beam K] [--attentional N]
 *                                                 #     [--cosine] [--save folder] [--resume folder] [--validation-split F] [--model-seed N]
 *                                                 #     [--save-best folder]
 *
 * Data: npm `cmu-pronouncing-dictionary` (ISC), through the shared CMUdict split (examples/_shared/cmudict.ts: first pronunciation, stress-less
 * 39 phonemes, seeded 90/10 split by word; 112,428 train / 12,492 test words). Every word is a
 * ragged sequence of letters and its pronunciation another of a different length — no padding
 * anywhere, and each decoder step attends only to its own word's letters.
 *
 * The decoder starts from the encoder's final states (both directions' h and c, concatenated), as
 * in examples/g2p; the attention adds, at every step, a look at the letters themselves.
 *
 * Inference uses an encoder model (letters → E, h, c) and a one-step decoder model
 * ([token, h, c, E] → [probabilities, h, c]) sharing the trained layers; `stepFromModel` gets each
 * word's E as a *context* (the same at every step), and the batched `greedyDecode` (or
 * `beamSearch`) runs one decoder step per output phoneme on the words still running. On a few test
 * words the example also decodes the slow way — re-running the whole teacher-forced graph on every
 * prefix, O(L²) per word — and checks both give the same phonemes.
 * Reports phoneme error rate (PER: edit distance / reference length) and word error rate (WER:
 * share of words with any error); the last line is `test WER: X %, PER: Y %`.
 */
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import {
  beamSearch, type DecoderLanguageModel, ensembleStep, errorRates, greedyDecode, input, kernels, layers, type LayersModel, loadModel, model, modelCheckpoint, stepFromModel,
  type SymbolicTensor, useFastKernels,
} from "ragged-rnn";
import { anyVariantWer, cmudictG2P } from "../_shared/cmudict.js";
import { fitTeacherForced, teacherForcing } from "../_shared/seq2seq_training.js";

export interface Options {
  /** Training epochs (default 30; `minutes` usually ends training first). */
  epochs?: number;
  /** Only the first `limit` train and test words (smoke tests). */
  limit?: number;
  /** Seeds the split, initialisation, shuffling and dropout (default 1). */
  seed?: number;
  /** Seeds initialisation, shuffling and dropout only (default `seed`): a second model of an ensemble, on the same split. */
  modelSeed?: number;
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
  /** Adam's learning rate (default 0.003), halved every `halveEvery` epochs. */
  learningRate?: number;
  /** Epochs between halvings of the learning rate (default 4). */
  halveEvery?: number;
  /** Anneal the learning rate along a cosine to 0 over `minutes` (or the epochs) instead of halving it. */
  cosine?: boolean;
  /** Save the trained (teacher-forced) model here, a folder: model.json + weights.bin. */
  save?: string;
  /** Start from the weights of a model `save` wrote (the same units, attentional, bahdanau, embeddingDim) and train on. */
  resume?: string;
  /** Also save the model of the epoch with the lowest validation loss to this folder (needs `validationSplit`). */
  saveBest?: string;
  /**
   * Hold out the last fraction of the training words from training (default 0: none), reporting their
   * loss every epoch; decode_with_lm.ts chooses its settings on them.
   */
  validationSplit?: number;
  /** Beam width; 1 (default) decodes greedily. */
  beam?: number;
  /**
   * Dropout rate in training (default 0.3) on the encoder's and decoder's LSTM inputs and on the
   * decoder's output before the softmax; 0 turns it off. Without it the model memorises the
   * training words (train loss 0.006 after 29 epochs) and the test WER stalls.
   */
  dropout?: number;
  /** Test words also decoded by re-running the training graph on every prefix, to check and time against (default 100). */
  checkedWords?: number;
  /** Threads per training step (default 2). */
  threads?: number;
  /** Stop training after this many minutes (at the end of the batch running then); default none. */
  minutes?: number;
  /**
   * Units of Luong's "attentional hidden state" tanh(W·[D; C]) between the attention and the
   * softmax (Luong et al. 2015, eq. 5); 0 (default) feeds [D; C] to the softmax directly.
   */
  attentional?: number;
}

export interface Result {
  wer: number;
  /** Test WER scored against every pronunciation CMUdict lists (a word is right if any matches). */
  werAnyVariant: number;
  per: number;
  seconds: number;
  epochs: number;
  /** Whether step-by-step greedy decoding gave the phonemes of re-running every prefix (on `checkedWords` words). */
  sameAsPrefixRerun: boolean;
  /** Seconds per word: step by step (batched) vs re-running prefixes (batched), on the checked words. */
  decodeStepwise: number;
  decodePrefixRerun: number;
  trainWords: number;
  testWords: number;
  kernels: string;
}

/** The teacher-forced training graph, and the encoder / one-step decoder pair sharing its layers. */
export function buildModels(args: { letters: number; phonemes: number; units: number; embeddingDim: number; bahdanau: boolean; dropout?: number; attentional?: number; seed: number }): {
  train: LayersModel;
  encoder: LayersModel;
  decoder: LayersModel;
} {
  const U = args.units;
  const dropout = args.dropout ?? 0;
  const letters = input({ shape: [null], name: "letters" });
  const previous = input({ shape: [null], name: "previous" });
  const e = layers.embedding({ inputDim: args.letters, outputDim: args.embeddingDim, name: "letter_embedding" }).apply(letters) as SymbolicTensor;
  const encoderLstm = layers.lstm({ units: U, returnSequences: true, returnState: true, dropout });
  const [E, hF, cF, hB, cB] = layers.bidirectional({ layer: encoderLstm, name: "encoder" }).apply(e) as SymbolicTensor[];
  const h = layers.concatenate({ name: "h" }).apply([hF, hB]) as SymbolicTensor;
  const c = layers.concatenate({ name: "c" }).apply([cF, cB]) as SymbolicTensor;
  // the decoder's vocabulary: the phonemes, then <s> (its input) / </s> (its output) at id `phonemes`
  const phonemeEmbedding = layers.embedding({ inputDim: args.phonemes + 1, outputDim: args.embeddingDim, name: "phoneme_embedding" });
  const decoderLstm = layers.lstm({ units: 2 * U, returnSequences: true, returnState: true, dropout, name: "decoder" });
  const attention = args.bahdanau ? layers.additiveAttention({ name: "attention" }) : layers.attention({ useScale: true, name: "attention" });
  const both = layers.concatenate({ name: "decoder_and_context" });
  const attentional = (args.attentional ?? 0) > 0
    ? layers.timeDistributed({ layer: layers.dense({ units: args.attentional!, activation: "tanh" }), name: "attentional" })
    : undefined;
  const outputDropout = layers.dropout({ rate: dropout, name: "output_dropout" });
  const toProbs = layers.timeDistributed({ layer: layers.dense({ units: args.phonemes + 1, activation: "softmax" }), name: "probs" });
  /** Decoder steps from `tokens` and `states`, attending to `encoded`: [probabilities, h, c]. */
  const decode = (tokens: SymbolicTensor, states: SymbolicTensor[], encoded: SymbolicTensor): SymbolicTensor[] => {
    const [D, hOut, cOut] = decoderLstm.apply(phonemeEmbedding.apply(tokens) as SymbolicTensor, { initialState: states }) as SymbolicTensor[];
    const C = attention.apply([D, encoded]) as SymbolicTensor;
    const DC = both.apply([D, C]) as SymbolicTensor;
    const features = attentional ? (attentional.apply(DC) as SymbolicTensor) : DC;
    return [toProbs.apply(outputDropout.apply(features) as SymbolicTensor) as SymbolicTensor, hOut, cOut];
  };
  const train = model({ inputs: [letters, previous], outputs: decode(previous, [h, c], E)[0], seed: args.seed, name: "g2p_attention" });

  const encoder = model({ inputs: letters, outputs: [E, h, c], name: "g2p_attention_encoder" });
  const token = input({ shape: [null], name: "token" });
  const hIn = input({ shape: [2 * U], name: "h_in" });
  const cIn = input({ shape: [2 * U], name: "c_in" });
  const encodedIn = input({ shape: [null, 2 * U], name: "encoded" });
  const decoder = model({ inputs: [token, hIn, cIn, encodedIn], outputs: decode(token, [hIn, cIn], encodedIn), name: "g2p_attention_decoder" });
  return { train, encoder, decoder };
}

/**
 * Decodes words (letter ids) step by step: the encoder gives each word's E, h and c; the one-step
 * decoder runs on the words still going, each with its own E as a context. Greedy, or beam search of width `beam`.
 * With several trained models (an ensemble, decode_with_lm.ts), every step mixes their next-phoneme
 * distributions (`ensembleStep`), each model with its own encoder outputs and states.
 */
export async function decodeWords(args: {
  models: ReadonlyArray<{ encoder: LayersModel; decoder: LayersModel }>; letters: number[][]; end: number; maxLength: number; beam: number;
  /** A phoneme language model fused into the beam search (decode_with_lm.ts); needs `beam` > 1. */
  fusion?: { languageModel: DecoderLanguageModel; languageModelWeight: number; insertionBonus: number };
  /** How an ensemble's distributions are combined (`ensembleStep`'s `combine`, default "mean"). */
  combine?: "mean" | "geometric";
}): Promise<number[][]> {
  const members = args.models.map(({ encoder, decoder }) => {
    const [E, h, c] = encoder.predict(args.letters, { batchSize: 512 }) as unknown as [number[][][], number[][], number[][]];
    return { step: stepFromModel({ model: decoder, contexts: [E] }), initialStates: [h, c] };
  });
  const step = members.length === 1 ? members[0].step : ensembleStep({ members: members.map((m) => ({ step: m.step, states: 2 })), combine: args.combine });
  const common = { step, initialStates: members.flatMap((m) => m.initialStates), startToken: args.end, endToken: args.end, maxLength: args.maxLength };
  if (args.fusion && args.beam < 2) throw new Error("a language model needs beam search: give beam ≥ 2");
  const r = args.beam > 1 ? await beamSearch({ ...common, beamWidth: args.beam, ...args.fusion }) : await greedyDecode(common);
  return r.sequences;
}

/**
 * Greedy decoding the slow way, kept as a check: each round re-runs the teacher-forced graph on the
 * prefixes of the words still going (batched) and appends the most likely next phoneme; a word
 * leaves the batch when it emits `end` (or reaches `maxLength`). A word of L phonemes costs
 * 1 + 2 + … + L decoder steps instead of L.
 */
export function prefixRerunDecode(m: LayersModel, letters: number[][], start: number, end: number, maxLength: number): number[][] {
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
  log(`CMUdict: ${train.length} train / ${test.length} test words; ${graphemes.size} letters, ${P} phonemes; kernels: ${kernels().name}; ${options.bahdanau ? "Bahdanau (additive)" : "Luong (dot)"} attention`);

  const built = buildModels({ letters: graphemes.size, phonemes: P, units, embeddingDim: options.embeddingDim ?? 64, bahdanau: options.bahdanau ?? false, dropout: options.dropout ?? 0.3, attentional: options.attentional, seed: options.modelSeed ?? seed });
  const { train: m, encoder, decoder } = built;
  if (options.resume !== undefined) {
    m.setWeights((await loadModel(`file://${options.resume}/model.json`)).getWeights()); // the encoder and decoder share these layers
    log(`weights from ${options.resume}`);
  }
  if (verbose > 0) m.summary();
  const epochsRun = await fitTeacherForced(m, data, {
    learningRate: options.learningRate ?? 0.003, halveEvery: options.halveEvery ?? 4, cosine: options.cosine, minutes: options.minutes, started,
    epochs, batchSize: options.batchSize, verbose, threads: options.threads, validationSplit: options.validationSplit,
    ...(options.saveBest !== undefined ? { callbacks: [modelCheckpoint({ filepath: `file://${options.saveBest}`, monitor: "val_loss", saveBestOnly: true })] } : {}),
  });
  const trained = performance.now();
  if (options.save !== undefined) {
    await m.save(`file://${options.save}`);
    log(`model saved to ${options.save}`);
  }

  const testLetters = test.map((w) => graphemes.encode(w.letters));
  const maxLength = Math.max(...train.map((w) => w.phonemes.length)) + 2;
  const hypotheses = await decodeWords({ models: [{ encoder, decoder }], letters: testLetters, end: P, maxLength, beam });
  const decoded = performance.now();
  const r = errorRates(test.map((w) => phonemes.encode(w.phonemes)), hypotheses);
  const werAnyVariant = anyVariantWer(test, hypotheses.map((h) => phonemes.decode(h)));

  // step-by-step greedy decoding against re-running the training graph on every prefix, on the same words
  const checked = testLetters.slice(0, options.checkedWords ?? 100);
  const t0 = performance.now();
  const stepwise = await decodeWords({ models: [{ encoder, decoder }], letters: checked, end: P, maxLength, beam: 1 });
  const t1 = performance.now();
  const rerun = prefixRerunDecode(m, checked, P, P, maxLength);
  const t2 = performance.now();
  const sameAsPrefixRerun = stepwise.every((s, i) => s.length === rerun[i].length && s.every((p, k) => p === rerun[i][k]));
  const decodeStepwise = (t1 - t0) / 1000 / Math.max(checked.length, 1);
  const decodePrefixRerun = (t2 - t1) / 1000 / Math.max(checked.length, 1);

  const seconds = (performance.now() - started) / 1000;
  log(`examples: ${test.slice(0, 3).map((w, i) => `${w.word} → ${phonemes.decode(hypotheses[i]).join(" ")}`).join("; ")}`);
  log(
    `greedy decoding of ${checked.length} words: step by step ${(decodeStepwise * 1000).toFixed(2)} ms/word, re-running every prefix ${(decodePrefixRerun * 1000).toFixed(2)} ms/word ` +
      `(same phonemes: ${sameAsPrefixRerun})`,
  );
  log(
    `time: ${seconds.toFixed(0)} s (training ${((trained - started) / 1000).toFixed(0)} s, ${epochsRun} epochs${epochsRun < epochs ? ` (time budget ${options.minutes} min; the last one partial)` : ""}; ` +
      `decoding ${test.length} words ${((decoded - trained) / 1000).toFixed(0)} s, ${beam > 1 ? `beam ${beam}` : "greedy"}; kernels ${kernels().name})`,
  );
  log(`test WER against any listed pronunciation: ${(werAnyVariant * 100).toFixed(2)} %`);
  log(`test WER: ${(r.sequenceErrorRate * 100).toFixed(2)} %, PER: ${(r.labelErrorRate * 100).toFixed(2)} %`);
  return {
    wer: r.sequenceErrorRate, per: r.labelErrorRate, werAnyVariant, seconds, epochs: epochsRun, sameAsPrefixRerun, decodeStepwise, decodePrefixRerun,
    trainWords: train.length, testWords: test.length, kernels: kernels().name,
  };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const { values } = parseArgs({
    options: {
      epochs: { type: "string" }, minutes: { type: "string" }, limit: { type: "string" }, seed: { type: "string" }, units: { type: "string" },
      "embedding-dim": { type: "string" }, "batch-size": { type: "string" }, "learning-rate": { type: "string" }, "halve-every": { type: "string" },
      beam: { type: "string" }, dropout: { type: "string" }, threads: { type: "string" }, "checked-words": { type: "string" }, verbose: { type: "string" }, bahdanau: { type: "boolean" }, attentional: { type: "string" },
      cosine: { type: "boolean" }, save: { type: "string" }, resume: { type: "string" }, "validation-split": { type: "string" },
      "model-seed": { type: "string" }, "save-best": { type: "string" },
    },
  });
  const num = (v: string | undefined) => (v === undefined ? undefined : Number(v));
  await main({
    epochs: num(values.epochs), minutes: num(values.minutes), limit: num(values.limit), seed: num(values.seed), units: num(values.units),
    embeddingDim: num(values["embedding-dim"]), batchSize: num(values["batch-size"]), learningRate: num(values["learning-rate"]),
    halveEvery: num(values["halve-every"]), beam: num(values.beam), dropout: num(values.dropout), threads: num(values.threads), checkedWords: num(values["checked-words"]),
    verbose: num(values.verbose) as 0 | 1 | 2 | undefined, bahdanau: values.bahdanau, attentional: num(values.attentional),
    cosine: values.cosine, save: values.save, resume: values.resume, validationSplit: num(values["validation-split"]),
    modelSeed: num(values["model-seed"]), saveBest: values["save-best"],
  });
}
