/**
 * JapaneseVowels (UCI, via the UEA archive) with a convolutional + recurrent model in the spirit of
 * LSTM-FCN (Karim et al. 2017/2019): convolution blocks (conv1d → batchNormalization) read each
 * utterance at its own length — `same` padding at the utterance's own edges, statistics over real
 * frames only — and a bidirectional LSTM summarises the convolved frames; a softmax names the
 * speaker out of 9. The training set is augmented (augment.ts): three extra copies of every
 * utterance, each a random 75–100 % stretch of its frames with a little noise — ragged copies,
 * shorter sequences rather than padded ones. Adam's learning rate follows a cosine from 0.002 to 0
 * over the 30 epochs.
 *
 *   npm run example:japanese-vowels-conv     # or: npx tsx examples/japanese-vowels-conv/main.ts
 *
 * The last two lines of output are the time taken and `test accuracy: 0.xxxx`.
 *
 * Data: `data/uea/JapaneseVowels_TRAIN.ts` and `_TEST.ts` in the repository (UCI Japanese Vowels,
 * CC BY 4.0, in the sktime/UEA `.ts` format; see `data/README.md`), read and standardised by
 * `loadJapaneseVowels` from examples/japanese-vowels/main.ts. Copied elsewhere, copy that file too
 * and point its `dataFile` at your copies of the two data files.
 */
import { pathToFileURL } from "node:url";
import { kernels, layers, learningRateScheduler, sequential, useFastKernels } from "ragged-rnn";
import { loadJapaneseVowels } from "../japanese-vowels/main.js";
import { augment, type AugmentOptions } from "./augment.js";

export interface Options {
  /** Training epochs (default 30). */
  epochs?: number;
  /** The training set's augmentation (default: 3 copies, noise 0.1, 75–100 % of the frames; `{ copies: 0 }` for none). */
  augmentation?: Omit<AugmentOptions, "seed">;
  /** Use only the first `limit` training and test examples (for a quick smoke test). */
  limit?: number;
  /** Seeds initialisation, shuffling and the augmentation (default 1). */
  seed?: number;
  /** 0 silent, 2 one line per epoch (default). */
  verbose?: 0 | 2;
  /** Try the WebAssembly SIMD kernels (default true). */
  fastKernels?: boolean;
}

export interface Result {
  accuracy: number;
  seconds: number;
  kernels: string;
}

export async function main(options: Options = {}): Promise<Result> {
  const epochs = options.epochs ?? 30;
  const seed = options.seed ?? 1;
  const verbose = options.verbose ?? 2;
  const log = verbose > 0 ? (s: string) => console.log(s) : () => {};
  if (options.fastKernels ?? true) useFastKernels();

  const started = performance.now();
  const data = await loadJapaneseVowels({ limit: options.limit });
  const { xTest, yTest, classes, features } = data;
  const { xs: xTrain, ys: yTrain } = augment(data.xTrain, data.yTrain, { ...options.augmentation, seed });
  log(`JapaneseVowels: ${data.xTrain.length} train sequences (${xTrain.length} with the augmented copies) / ${xTest.length} test, ${features} features, ${classes.length} classes; kernels: ${kernels().name}`);

  const model = sequential([
    layers.conv1d({ filters: 64, kernelSize: 5, padding: "same", activation: "relu", inputShape: [null, features] }),
    layers.batchNormalization(),
    layers.conv1d({ filters: 64, kernelSize: 3, padding: "same", activation: "relu" }),
    layers.batchNormalization(),
    layers.bidirectional({ layer: layers.lstm({ units: 64 }) }),
    layers.dropout({ rate: 0.3 }),
    layers.dense({ units: classes.length, activation: "softmax" }),
  ], { seed });
  if (verbose > 0) model.summary();
  const learningRate = 0.002;
  model.compile({ loss: "sparseCategoricalCrossentropy", optimizer: { name: "adam", learningRate }, metrics: ["accuracy"] });
  const cosine = learningRateScheduler((epoch) => learningRate * 0.5 * (1 + Math.cos((Math.PI * epoch) / epochs)));
  await model.fit(xTrain, yTrain, { epochs, batchSize: 32, verbose, callbacks: [cosine] });

  const [, accuracy] = model.evaluate(xTest, yTest, { batchSize: 64 }) as number[];
  const seconds = (performance.now() - started) / 1000;
  log(`time: ${seconds.toFixed(1)} s (${epochs} epochs, kernels ${kernels().name})`);
  log(`test accuracy: ${accuracy.toFixed(4)}`);
  return { accuracy, seconds, kernels: kernels().name };
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const seedArg = process.argv.indexOf("--seed");
  await main(seedArg > 0 ? { seed: Number(process.argv[seedArg + 1]) } : {});
}
