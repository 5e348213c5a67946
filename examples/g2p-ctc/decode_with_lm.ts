/**
 * Decodes a trained g2p-ctc model again, with a phoneme n-gram model fused into the beam search
 * (`ctcDecode`'s `languageModel`; see examples/_shared/ngram_model.ts): CTC scores each step's phoneme on its own, the
 * n-gram model adds which phonemes follow which. Everything is chosen on held-out words, never on
 * the test words:
 *
 *   npx tsx examples/g2p-ctc/main.ts --save g2p-ctc-model …            # train and keep the model
 *   npx tsx examples/g2p-ctc/decode_with_lm.ts --model g2p-ctc-model [--beam-width 8] [--orders 5,6,7]
 *
 * - the validation words are the last 2 % of the training split (what `main.ts` held out with
 *   `validationSplit: 0.02`); the n-gram model is fitted on the pronunciations of the other 98 %;
 * - the order n, the weight α and the per-phoneme bonus β are the grid point with the lowest
 *   validation WER (ties: the smaller α);
 * - then the test words are decoded with the same beam without and with the model.
 *
 * The last line is `test WER: X % → Y % with the n-gram model, PER: …`.
 */
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { ctcDecode, errorRates, loadModel, useFastKernels } from "ragged-rnn";
import { PHONEMES, Vocabulary, cmudictG2P, GRAPHEMES, type Pronunciation } from "../_shared/cmudict.js";
import { upsampleLetters } from "./main.js";
import { chooseFusion, type FusionResult, reportFusion } from "../_shared/choose_fusion.js";
import { NgramModel } from "../_shared/ngram_model.js";

export interface DecodeOptions {
  /** The folder `main.ts --save` wrote. */
  model: string;
  /** Beam width, the same with and without the model (default 8). */
  beamWidth?: number;
  /** n-gram orders to try (default [5, 6, 7]). */
  orders?: number[];
  /** α values to try (default 0.2 … 0.7). */
  weights?: number[];
  /** β values to try (default 0.5, 1, 1.5). */
  bonuses?: number[];
  /** Steps per letter the model was trained with (default 2). */
  copies?: number;
  /** Use only the first `limit` train and test words (smoke tests). */
  limit?: number;
  /** 0 silent, 1 (default) a line per grid point and the results. */
  verbose?: 0 | 1;
}

/** Test WER / PER without and with the n-gram model, and the grid point chosen on validation. */
export type DecodeResult = FusionResult;

export async function main(options: DecodeOptions): Promise<DecodeResult> {
  const beamWidth = options.beamWidth ?? 8;
  const orders = options.orders ?? [5, 6, 7];
  const weights = options.weights ?? [0.2, 0.3, 0.4, 0.5, 0.7];
  const bonuses = options.bonuses ?? [0.5, 1, 1.5];
  const log = (options.verbose ?? 1) > 0 ? (s: string) => console.log(s) : () => {};
  useFastKernels();
  const started = performance.now();

  const data = cmudictG2P({ limit: options.limit });
  const graphemes = new Vocabulary(GRAPHEMES, { reserved: ["<pad>"] });
  const phonemes = new Vocabulary(PHONEMES, { reserved: ["<blank>"] });
  const cut = Math.floor(data.train.length * 0.98); // fit's validationSplit: 0.02 holds out the last 2 %
  const fitted = data.train.slice(0, cut);
  const validation = data.train.slice(cut);
  const model = await loadModel(`file://${options.model}/model.json`);
  const predict = (words: Pronunciation[]) => model.predict(words.map((w) => upsampleLetters(w.letters, graphemes, options.copies ?? 2)), { batchSize: 256 }) as number[][][];
  const decode = (probs: number[][][], lm?: { model: NgramModel; weight: number; bonus: number }) =>
    ctcDecode(probs, { strategy: "beamSearch", beamWidth, ...(lm ? { languageModel: lm.model, languageModelWeight: lm.weight, insertionBonus: lm.bonus } : {}) }).paths.map((p) => p[0]);
  const targets = (words: Pronunciation[]) => words.map((w) => phonemes.encode(w.phonemes));

  const valProbs = predict(validation);
  const valTargets = targets(validation);
  const fittedTargets = targets(fitted);
  const validationWer = errorRates(valTargets, decode(valProbs)).sequenceErrorRate;
  log(`validation: ${validation.length} words, beam ${beamWidth} without a language model: WER ${(100 * validationWer).toFixed(2)} %`);
  const best = await chooseFusion({
    orders, weights, bonuses, log,
    fit: (order) => NgramModel.fit(fittedTargets, { order, classes: phonemes.size }),
    wer: (lm, weight, bonus) => errorRates(valTargets, decode(valProbs, { model: lm, weight, bonus })).sequenceErrorRate,
  });

  const testProbs = predict(data.test);
  const plain = decode(testProbs);
  const fused = decode(testProbs, { model: best.lm, weight: best.weight, bonus: best.bonus });
  return reportFusion({ test: data.test, phonemes, plain, fused, best, validationWer, started, beam: beamWidth, log });
}

/** `--model folder`, `--beam-width n`, `--copies n`, `--limit n`, `--orders a,b`, `--weights a,b`, `--bonuses a,b`. */
function optionsFromArgs(argv: string[]): DecodeOptions {
  const { values } = parseArgs({
    args: argv,
    options: Object.fromEntries(["model", "beam-width", "copies", "limit", "orders", "weights", "bonuses"].map((n) => [n, { type: "string" as const }])),
  });
  if (values.model === undefined) throw new Error("usage: decode_with_lm.ts --model <folder main.ts --save wrote> [--beam-width 8] [--orders 5,6,7] …");
  const number = (v: string | undefined) => (v === undefined ? undefined : Number(v));
  const list = (v: string | undefined) => v?.split(",").map(Number);
  return {
    model: values.model, beamWidth: number(values["beam-width"]), copies: number(values.copies), limit: number(values.limit),
    orders: list(values.orders), weights: list(values.weights), bonuses: list(values.bonuses),
  };
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await main(optionsFromArgs(process.argv.slice(2)));
}
