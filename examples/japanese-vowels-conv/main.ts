/**
 * JapaneseVowels (UCI, via the UEA archive) with a convolutional + recurrent model in the spirit of
 * LSTM-FCN (Karim et al. 2017/2019): convolution blocks (conv1d → batchNormalization) read each
 * utterance at its own length — `same` padding at the utterance's own edges, statistics over real
 * frames only — and a bidirectional LSTM summarises the convolved frames; a softmax names the
 * speaker out of 9. The training set is augmented (augment.ts): three extra copies of every
 * utterance, each a random 75–100 % stretch of its frames with a little noise — ragged copies,
 * shorter sequences rather than padded ones. Each frame is read with its delta (deltas.ts: the change
 * of its coefficients since the previous frame of the same utterance). Adam's learning rate follows
 * a cosine from 0.002 to 0 over the 30 epochs. `--ensemble N` trains N models (seeds seed … seed+N−1)
 * and names the speaker from their averaged softmax.
 *
 *   npm run example:japanese-vowels-conv     # or: npx tsx examples/japanese-vowels-conv/main.ts
 *   npm run example:japanese-vowels-conv -- --ensemble 3 [--seed N] [--no-deltas]
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
import { withDeltas } from "./deltas.js";

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
  /** Append each frame's delta to its coefficients (default true; deltas.ts). */
  deltas?: boolean;
  /** Train this many models (seeds seed, seed + 1, …) and classify by their averaged softmax (default 1). */
  ensemble?: number;
}

export interface Result {
  accuracy: number;
  /** Each model's own test accuracy (one entry without `ensemble`). */
  members: number[];
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
  const { yTest, classes } = data;
  const deltas = options.deltas ?? true;
  const frames = (xs: number[][][]) => (deltas ? withDeltas(xs) : xs);
  const xTest = frames(data.xTest);
  const features = xTest[0][0].length;
  const members = options.ensemble ?? 1;
  log(`JapaneseVowels: ${data.xTrain.length} train sequences / ${xTest.length} test, ${features} features${deltas ? ` (${data.features} coefficients and their deltas)` : ""}, ${classes.length} classes; kernels: ${kernels().name}`);

  /** Trains one model from `modelSeed` (its augmentation too); returns its test softmax. */
  const trainOne = async (modelSeed: number): Promise<number[][]> => {
    const augmented = augment(data.xTrain, data.yTrain, { ...options.augmentation, seed: modelSeed });
    if (modelSeed === seed) log(`training on ${augmented.xs.length} sequences: the originals and their augmented copies`);
    const model = sequential([
      layers.conv1d({ filters: 64, kernelSize: 5, padding: "same", activation: "relu", inputShape: [null, features] }),
      layers.batchNormalization(),
      layers.conv1d({ filters: 64, kernelSize: 3, padding: "same", activation: "relu" }),
      layers.batchNormalization(),
      layers.bidirectional({ layer: layers.lstm({ units: 64 }) }),
      layers.dropout({ rate: 0.3 }),
      layers.dense({ units: classes.length, activation: "softmax" }),
    ], { seed: modelSeed });
    if (verbose > 0 && modelSeed === seed) model.summary();
    const learningRate = 0.002;
    model.compile({ loss: "sparseCategoricalCrossentropy", optimizer: { name: "adam", learningRate }, metrics: ["accuracy"] });
    const cosine = learningRateScheduler((epoch) => learningRate * 0.5 * (1 + Math.cos((Math.PI * epoch) / epochs)));
    await model.fit(frames(augmented.xs), augmented.ys, { epochs, batchSize: 32, verbose, callbacks: [cosine] });
    return model.predict(xTest, { batchSize: 64 }) as number[][];
  };

  const accuracyOf = (p: number[][]) => p.filter((row, i) => argmax(row) === yTest[i]).length / p.length;
  const memberAccuracies: number[] = [];
  let summed: number[][] = [];
  for (let k = 0; k < members; k++) {
    if (members > 1) log(`ensemble member ${k + 1}/${members} (seed ${seed + k})`);
    const p = await trainOne(seed + k);
    memberAccuracies.push(accuracyOf(p));
    if (members > 1) log(`member ${k + 1}: test accuracy ${memberAccuracies[k].toFixed(4)}`);
    summed = k === 0 ? p : summed.map((row, i) => row.map((v, j) => v + p[i][j]));
  }
  const accuracy = accuracyOf(summed);
  const seconds = (performance.now() - started) / 1000;
  log(`time: ${seconds.toFixed(1)} s (${epochs} epochs${members > 1 ? ` × ${members} models` : ""}, kernels ${kernels().name})`);
  log(`test accuracy: ${accuracy.toFixed(4)}`);
  return { accuracy, members: memberAccuracies, seconds, kernels: kernels().name };
}

function argmax(row: readonly number[]): number {
  let best = 0;
  for (let k = 1; k < row.length; k++) if (row[k] > row[best]) best = k;
  return best;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const arg = (name: string): number | undefined => {
    const k = process.argv.indexOf(`--${name}`);
    return k > 0 ? Number(process.argv[k + 1]) : undefined;
  };
  await main({ seed: arg("seed"), ensemble: arg("ensemble"), deltas: !process.argv.includes("--no-deltas") });
}
