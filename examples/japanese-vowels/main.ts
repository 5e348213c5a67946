/**
 * JapaneseVowels (UCI, via the UEA archive): which of 9 speakers uttered a vowel, from 7–29 frames
 * of 12 LPC cepstrum coefficients. A bidirectional LSTM(64) reads each utterance at its own length
 * (no padding) and a softmax layer names the speaker.
 *
 *   npm run example:japanese-vowels          # or: npx tsx examples/japanese-vowels/main.ts
 *
 * The last two lines of output are the time taken and `test accuracy: 0.xxxx`.
 *
 * Data: `data/uea/JapaneseVowels_TRAIN.ts` and `_TEST.ts` in the repository (UCI Japanese Vowels,
 * CC BY 4.0, in the sktime/UEA `.ts` format; see `data/README.md`). Copied elsewhere, point
 * `dataFile` at your copies of those two files.
 */
import { fileURLToPath, pathToFileURL } from "node:url";
import { kernels, layers, sequential, useFastKernels } from "ragged-rnn";
import { readUeaFile } from "ragged-rnn/node";

export interface Options {
  /** Training epochs (default 60). */
  epochs?: number;
  /** Use only the first `limit` training and test examples (for a quick smoke test). */
  limit?: number;
  /** Seeds initialisation and shuffling (default 1). */
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

const dataFile = (name: string): string => fileURLToPath(new URL(`../../data/uea/${name}`, import.meta.url));

interface Split {
  xs: number[][][];
  labels: string[];
  classLabels: readonly string[];
}

async function load(name: string, limit: number): Promise<Split> {
  const { header, records } = await readUeaFile(dataFile(name));
  const xs: number[][][] = [];
  const labels: string[] = [];
  for await (const { x, y } of records) {
    if (xs.length >= limit) break;
    xs.push(x);
    labels.push(y as string);
  }
  return { xs, labels, classLabels: header.classLabels ?? [] };
}

/** Per-feature mean and standard deviation over every step of every training sequence. */
function featureStats(xs: number[][][]): { mean: number[]; std: number[] } {
  const c = xs[0][0].length;
  const sum = new Array<number>(c).fill(0);
  const sq = new Array<number>(c).fill(0);
  let n = 0;
  for (const seq of xs) {
    for (const step of seq) {
      for (let j = 0; j < c; j++) {
        sum[j] += step[j];
        sq[j] += step[j] * step[j];
      }
      n++;
    }
  }
  const mean = sum.map((s) => s / n);
  const std = sq.map((s, j) => Math.sqrt(Math.max(s / n - mean[j] * mean[j], 0)) || 1);
  return { mean, std };
}

const standardize = (xs: number[][][], mean: number[], std: number[]): number[][][] =>
  xs.map((seq) => seq.map((step) => step.map((v, j) => (v - mean[j]) / std[j])));

/** The JapaneseVowels split, standardised with the training set's statistics, labels as class ids. */
export interface JapaneseVowels {
  xTrain: number[][][];
  yTrain: number[];
  xTest: number[][][];
  yTest: number[];
  classes: readonly string[];
  features: number;
}

/**
 * Reads the UEA train and test files (the first `limit` sequences of each), standardises every
 * feature with the training set's mean and standard deviation, and maps labels to class ids.
 */
export async function loadJapaneseVowels(options: { limit?: number } = {}): Promise<JapaneseVowels> {
  const limit = options.limit ?? Infinity;
  const train = await load("JapaneseVowels_TRAIN.ts", limit);
  const test = await load("JapaneseVowels_TEST.ts", limit);
  const classes = train.classLabels;
  const classId = new Map(classes.map((label, i) => [label, i]));
  const { mean, std } = featureStats(train.xs);
  const xTrain = standardize(train.xs, mean, std);
  return {
    xTrain,
    yTrain: train.labels.map((l) => classId.get(l) as number),
    xTest: standardize(test.xs, mean, std),
    yTest: test.labels.map((l) => classId.get(l) as number),
    classes,
    features: xTrain[0][0].length,
  };
}

export async function main(options: Options = {}): Promise<Result> {
  const epochs = options.epochs ?? 60;
  const seed = options.seed ?? 1;
  const verbose = options.verbose ?? 2;
  const log = verbose > 0 ? (s: string) => console.log(s) : () => {};
  if (options.fastKernels ?? true) useFastKernels();

  const started = performance.now();
  const { xTrain, yTrain, xTest, yTest, classes, features } = await loadJapaneseVowels({ limit: options.limit });
  log(`JapaneseVowels: ${xTrain.length} train / ${xTest.length} test sequences, ${features} features, ${classes.length} classes; kernels: ${kernels().name}`);

  const model = sequential([
    layers.bidirectional({ layer: layers.lstm({ units: 64, dropout: 0.2 }), inputShape: [null, features] }),
    layers.dropout({ rate: 0.3 }),
    layers.dense({ units: classes.length, activation: "softmax" }),
  ], { seed });
  if (verbose > 0) model.summary();
  model.compile({ loss: "sparseCategoricalCrossentropy", optimizer: { name: "adam", learningRate: 0.002 }, metrics: ["accuracy"] });
  await model.fit(xTrain, yTrain, { epochs, batchSize: 32, verbose });

  const [, accuracy] = model.evaluate(xTest, yTest, { batchSize: 64 }) as number[];
  const seconds = (performance.now() - started) / 1000;
  log(`time: ${seconds.toFixed(1)} s (${epochs} epochs, kernels ${kernels().name})`);
  log(`test accuracy: ${accuracy.toFixed(4)}`);
  return { accuracy, seconds, kernels: kernels().name };
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await main();
}
