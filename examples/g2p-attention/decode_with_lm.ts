/**
 * Decodes a trained g2p-attention model again, with a phoneme n-gram model fused into its beam
 * search (`beamSearch`'s `languageModel`, shallow fusion; see examples/_shared/ngram_model.ts). The
 * decoder already models which phoneme follows which, but only from the 110,000 training words it
 * learned the letters of; the n-gram model adds the same knowledge counted directly. Everything is
 * chosen on held-out words, never on the test words:
 *
 *   npx tsx examples/g2p-attention/main.ts --validation-split 0.02 --save g2p-attention-model …   # train, keep the model
 *   npx tsx examples/g2p-attention/decode_with_lm.ts --model g2p-attention-model --units 256 --attentional 512 [--beam 5]
 *
 * - the validation words are the last 2 % of the training split (what `main.ts --validation-split
 *   0.02` held out of training); the n-gram model is fitted on the pronunciations of the other 98 %;
 * - the order n, the weight α and the per-phoneme bonus β are the grid point with the lowest
 *   validation WER (examples/_shared/choose_fusion.ts);
 * - then the test words are decoded with the same beam without and with the model.
 *
 * The model's shape options (`--units`, `--attentional`, `--bahdanau`, `--embedding-dim`) must be
 * those it was trained with. Several `--model` folders (models of that shape trained on the same
 * split, e.g. with `main.ts --model-seed 2`) decode as an ensemble: every beam step mixes their
 * next-phoneme distributions (`ensembleStep`, `--combine mean | geometric`), with and without the
 * n-gram model. The last line is `test WER: X % → Y % with the n-gram model, PER: …`.
 */
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { type DecoderLanguageModel, errorRates, type LayersModel, loadModel, useFastKernels } from "ragged-rnn";
import { cmudictG2P, type Pronunciation } from "../_shared/cmudict.js";
import { chooseFusion, type FusionResult, reportFusion } from "../_shared/choose_fusion.js";
import { NgramModel } from "../_shared/ngram_model.js";
import { buildModels, decodeWords } from "./main.js";

export interface DecodeOptions {
  /** The folder `main.ts --save` wrote; several folders decode as an ensemble. */
  model: string | readonly string[];
  /** How an ensemble's distributions are combined (default "mean"). */
  combine?: "mean" | "geometric";
  /** The trained model's shape: LSTM units per encoder direction (default 128), attentional units (default 0), Bahdanau attention, embedding width (default 64). */
  units?: number;
  attentional?: number;
  bahdanau?: boolean;
  embeddingDim?: number;
  /** Beam width, the same with and without the model (default 5). */
  beam?: number;
  /** The fraction `main.ts --validation-split` held out (default 0.02). */
  validationSplit?: number;
  /** n-gram orders to try (default [7]: on a 12-minute model n = 6, 7, 8 gave validation WER 32.24, 32.15, 32.10 %). */
  orders?: number[];
  /** α values to try (default 0.2 … 0.7). */
  weights?: number[];
  /** β values to try (default 0 and 0.5; larger β did worse on the 12-minute model). */
  bonuses?: number[];
  /** Use only the first `limit` train and test words (smoke tests). */
  limit?: number;
  /** 0 silent, 1 (default) a line per grid point and the results. */
  verbose?: 0 | 1;
}

/** Test WER / PER without and with the n-gram model, and the grid point chosen on validation. */
export type DecodeResult = FusionResult;

/**
 * The n-gram model seen through the decoder's ids: phonemes 0..P−1 are the model's labels 1..P, and
 * the decoder's end token P asks for the model's end probability. Rows are cached by context.
 */
export function decoderLanguageModel(ngram: NgramModel): DecoderLanguageModel {
  const P = ngram.classes - 1;
  const cache = new Map<string, Float64Array>();
  return {
    logProbabilities(prefix) {
      const labels = prefix.slice(Math.max(0, prefix.length - (ngram.order - 1))).map((p) => p + 1);
      const key = labels.join(",");
      let row = cache.get(key);
      if (!row) {
        const next = ngram.logProbabilities(labels);
        row = new Float64Array(P + 1);
        for (let p = 0; p < P; p++) row[p] = next[p + 1];
        row[P] = ngram.endLogProbability(labels);
        cache.set(key, row);
      }
      return row;
    },
  };
}

export async function main(options: DecodeOptions): Promise<DecodeResult> {
  const beam = options.beam ?? 5;
  const split = options.validationSplit ?? 0.02;
  const log = (options.verbose ?? 1) > 0 ? (s: string) => console.log(s) : () => {};
  useFastKernels();
  const started = performance.now();

  const { train, test, graphemes, phonemes } = cmudictG2P(options.limit ? { limit: options.limit } : {});
  const P = phonemes.size; // the decoder's <s> / </s>
  const cut = Math.floor(train.length * (1 - split)); // what fit's validationSplit held out: the last words
  const fitted = train.slice(0, cut);
  const validation = train.slice(cut);
  const folders = typeof options.model === "string" ? [options.model] : options.model;
  const models: { encoder: LayersModel; decoder: LayersModel }[] = [];
  for (const folder of folders) {
    const { train: m, encoder, decoder } = buildModels({
      letters: graphemes.size, phonemes: P, units: options.units ?? 128, embeddingDim: options.embeddingDim ?? 64, bahdanau: options.bahdanau ?? false,
      attentional: options.attentional, seed: 1,
    });
    m.setWeights((await loadModel(`file://${folder}/model.json`)).getWeights()); // the encoder and decoder share these layers
    models.push({ encoder, decoder });
  }
  if (models.length > 1) log(`an ensemble of ${models.length} models (${options.combine ?? "mean"}): ${folders.join(", ")}`);
  const maxLength = Math.max(...train.map((w) => w.phonemes.length)) + 2; // as main.ts
  const targets = (words: Pronunciation[]) => words.map((w) => phonemes.encode(w.phonemes));
  const decode = (words: Pronunciation[], lm?: { model: NgramModel; weight: number; bonus: number }) =>
    decodeWords({
      models, combine: options.combine, letters: words.map((w) => graphemes.encode(w.letters)), end: P, maxLength, beam,
      ...(lm ? { fusion: { languageModel: decoderLanguageModel(lm.model), languageModelWeight: lm.weight, insertionBonus: lm.bonus } } : {}),
    });

  const valTargets = targets(validation);
  const fittedTargets = fitted.map((w) => phonemes.encode(w.phonemes).map((p) => p + 1)); // the n-gram model's labels 1..P
  const validationWer = errorRates(valTargets, await decode(validation)).sequenceErrorRate;
  log(`validation: ${validation.length} words, beam ${beam} without a language model: WER ${(100 * validationWer).toFixed(2)} %`);
  const best = await chooseFusion({
    orders: options.orders ?? [7], weights: options.weights ?? [0.2, 0.3, 0.4, 0.5, 0.7], bonuses: options.bonuses ?? [0, 0.5], log,
    fit: (order) => NgramModel.fit(fittedTargets, { order, classes: P + 1 }),
    wer: async (lm, weight, bonus) => errorRates(valTargets, await decode(validation, { model: lm, weight, bonus })).sequenceErrorRate,
  });

  const plain = await decode(test);
  const fused = await decode(test, { model: best.lm, weight: best.weight, bonus: best.bonus });
  return reportFusion({ test, phonemes, plain, fused, best, validationWer, started, beam, log });
}

function optionsFromArgs(argv: string[]): DecodeOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      model: { type: "string", multiple: true }, combine: { type: "string" }, units: { type: "string" }, attentional: { type: "string" }, "embedding-dim": { type: "string" }, bahdanau: { type: "boolean" },
      beam: { type: "string" }, "validation-split": { type: "string" }, limit: { type: "string" }, orders: { type: "string" }, weights: { type: "string" }, bonuses: { type: "string" },
    },
  });
  if (values.model === undefined) throw new Error("usage: decode_with_lm.ts --model <folder main.ts --save wrote> [--model <another, for an ensemble>] [--combine mean] [--units 128] [--attentional 0] [--bahdanau] [--beam 5] [--orders 7] …");
  const number = (v: string | undefined) => (v === undefined ? undefined : Number(v));
  const list = (v: string | undefined) => v?.split(",").map(Number);
  return {
    model: values.model, combine: values.combine as DecodeOptions["combine"], units: number(values.units), attentional: number(values.attentional), embeddingDim: number(values["embedding-dim"]),
    bahdanau: values.bahdanau === true, beam: number(values.beam), validationSplit: number(values["validation-split"]), limit: number(values.limit),
    orders: list(values.orders), weights: list(values.weights), bonuses: list(values.bonuses),
  };
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await main(optionsFromArgs(process.argv.slice(2)));
}
