/**
 * The training loops: `fit` on in-memory ragged arrays and `fitDataset` on (async) iterables of
 * batches, Keras' `fit` and `fit_generator`. Both run the same epoch loop (`runEpochs`) with
 * callbacks, the progress bar and History.
 */
import { RaggedError, describe } from "../core/errors.js";
import type { Sequential } from "../models/sequential.js";
import { type Callback, CallbackList, History, type Logs } from "./callbacks.js";
import { ProgressBar } from "./progress/bar.js";
import { type ProgressOutput, getDefaultProgressOutput } from "./progress/output.js";
import { type Batch, makeBatch, toSamples } from "./samples.js";
import { trainStep } from "./train_step.js";

export interface FitArgs {
  /** Default 1. */
  epochs?: number;
  /** Sequences per batch, default 32. */
  batchSize?: number;
  /** Reshuffle every epoch (default true). */
  shuffle?: boolean;
  /** 0 silent, 1 progress bar (default), 2 one line per epoch. */
  verbose?: 0 | 1 | 2;
  callbacks?: Callback[];
  /** Per sequence (a number) or per step (a list) weights. */
  sampleWeight?: ArrayLike<number | ArrayLike<number>>;
  /** Where progress goes (default: stdout in Node, console elsewhere). */
  progressOutput?: ProgressOutput;
}

export interface FitDatasetArgs {
  epochs?: number;
  /** Batches per epoch; default: one full pass of the dataset. */
  stepsPerEpoch?: number;
  verbose?: 0 | 1 | 2;
  callbacks?: Callback[];
  progressOutput?: ProgressOutput;
}

/** One batch of a dataset: `{ xs, ys, sampleWeight? }`, or a tuple `[xs, ys, sampleWeight?]` as Keras generators yield. */
export type DatasetItem = { xs: unknown; ys: unknown; sampleWeight?: ArrayLike<number | ArrayLike<number>> } | [unknown, unknown] | [unknown, unknown, ArrayLike<number | ArrayLike<number>>];
export type Dataset = Iterable<DatasetItem> | AsyncIterable<DatasetItem>;

function positiveInt(v: unknown, name: string, fallback: number): number {
  if (v === undefined) return fallback;
  if (typeof v !== "number" || !Number.isInteger(v) || v < 1) {
    throw new RaggedError("INVALID_ARGUMENT", `\`${name}\` must be a positive integer.`, { received: `${name} = ${describe(v)}` });
  }
  return v;
}

interface EpochPlan {
  epochs: number;
  steps: number | null;
  verbose: 0 | 1 | 2;
  callbacks: Callback[];
  progressOutput?: ProgressOutput;
  /** Called at the start of each epoch; yields that epoch's batches. */
  batches: (epoch: number) => AsyncIterable<Batch> | Iterable<Batch>;
}

/** The shared epoch loop. */
async function runEpochs(model: Sequential, plan: EpochPlan): Promise<History> {
  model.requireCompiled("training");
  const history = new History();
  const callbacks: Callback[] = [];
  if (plan.verbose > 0) {
    callbacks.push(new ProgressBar({ epochs: plan.epochs, steps: plan.steps, output: plan.progressOutput ?? getDefaultProgressOutput(), verbose: plan.verbose as 1 | 2 }));
  }
  callbacks.push(...plan.callbacks, history);
  const list = new CallbackList(callbacks);
  list.setModel(model);
  model.stopTraining = false;
  await list.trainBegin();
  for (let epoch = 0; epoch < plan.epochs && !model.stopTraining; epoch++) {
    await list.epochBegin(epoch);
    let lossSum = 0;
    let sizeSum = 0;
    let step = 0;
    let logs: Logs = {};
    for await (const batch of plan.batches(epoch)) {
      await list.batchBegin(step, { size: batch.layout.batch });
      const result = trainStep(model, batch);
      lossSum += result.loss * result.size;
      sizeSum += result.size;
      logs = { loss: sizeSum > 0 ? lossSum / sizeSum : 0 };
      await list.batchEnd(step, logs);
      step++;
      if (model.stopTraining) break;
    }
    await list.epochEnd(epoch, logs);
  }
  await list.trainEnd();
  return history;
}

/**
 * Trains on ragged arrays: `xs[i]` is one sequence of any length (a list of steps), `ys[i]` its
 * per-step targets when the model returns sequences, else one target.
 * @returns History with one loss per epoch.
 * @throws RaggedError `NOT_COMPILED`, `BAD_SEQUENCE`, `FEATURE_MISMATCH`, `NON_FINITE`, `TARGET_MISMATCH`.
 * @example
 * const history = await model.fit(xs, ys, { epochs: 5, batchSize: 32, verbose: 0 });
 * history.history.loss; // [0.69, 0.61, …]
 */
export async function fit(model: Sequential, xs: unknown, ys: unknown, args: FitArgs = {}): Promise<History> {
  model.requireCompiled("fit()");
  const epochs = positiveInt(args.epochs, "epochs", 1);
  const batchSize = positiveInt(args.batchSize, "batchSize", 32);
  const samples = toSamples(xs, ys, { ...model.sampleArgs(true), sampleWeight: args.sampleWeight });
  const shuffle = args.shuffle ?? true;
  const steps = Math.ceil(samples.count / batchSize);
  return runEpochs(model, {
    epochs,
    steps,
    verbose: args.verbose ?? 1,
    callbacks: args.callbacks ?? [],
    progressOutput: args.progressOutput,
    batches: function* () {
      const order = shuffle ? Array.from(model.rng.permutation(samples.count)) : Array.from({ length: samples.count }, (_, i) => i);
      for (let s = 0; s < steps; s++) yield makeBatch(samples, order.slice(s * batchSize, (s + 1) * batchSize));
    },
  });
}

/**
 * Trains on a dataset of batches (Keras `fit_generator`): an array, iterable, generator or async
 * iterable whose items are `{ xs, ys }` (or `[xs, ys]`), each one batch; lengths may differ
 * between and within batches. With `stepsPerEpoch`, each epoch takes that many batches and the
 * next epoch continues the same iterator (an endless generator is fine); without it, an epoch is
 * one full pass, and the dataset is iterated afresh each epoch.
 * @throws RaggedError `BAD_DATASET` for an item that is not a batch; `DATASET_EXHAUSTED` when the
 *   dataset ends before `stepsPerEpoch` batches.
 * @example
 * await model.fitDataset(batches(), { stepsPerEpoch: 30, epochs: 10 });
 */
export async function fitDataset(model: Sequential, dataset: Dataset, args: FitDatasetArgs = {}): Promise<History> {
  model.requireCompiled("fitDataset()");
  const epochs = positiveInt(args.epochs, "epochs", 1);
  const stepsPerEpoch = args.stepsPerEpoch === undefined ? null : positiveInt(args.stepsPerEpoch, "stepsPerEpoch", 1);
  if (dataset === null || typeof dataset !== "object" || (!(Symbol.iterator in dataset) && !(Symbol.asyncIterator in dataset))) {
    throw new RaggedError("BAD_DATASET", "fitDataset needs an iterable or async iterable of batches.", {
      expected: "an array, generator or async generator of { xs, ys }",
      received: describe(dataset),
    });
  }
  const toBatch = (item: unknown, index: number): Batch => {
    let xs: unknown, ys: unknown, sw: ArrayLike<number | ArrayLike<number>> | undefined;
    if (Array.isArray(item) && (item.length === 2 || item.length === 3)) [xs, ys, sw] = item as [unknown, unknown, ArrayLike<number>];
    else if (item !== null && typeof item === "object" && "xs" in item && "ys" in item) ({ xs, ys, sampleWeight: sw } = item as { xs: unknown; ys: unknown; sampleWeight?: ArrayLike<number> });
    else {
      throw new RaggedError("BAD_DATASET", `Dataset item ${index} is not a batch.`, {
        expected: "{ xs, ys } or [xs, ys] (or [xs, ys, sampleWeight])",
        received: describe(item),
      });
    }
    const samples = toSamples(xs, ys, { ...model.sampleArgs(true), sampleWeight: sw, xName: `batch ${index} xs`, yName: `batch ${index} ys` });
    return makeBatch(samples, Array.from({ length: samples.count }, (_, i) => i));
  };
  const open = (): Iterator<DatasetItem> | AsyncIterator<DatasetItem> =>
    Symbol.asyncIterator in dataset ? (dataset as AsyncIterable<DatasetItem>)[Symbol.asyncIterator]() : (dataset as Iterable<DatasetItem>)[Symbol.iterator]();
  let iterator = open();
  let consumed = 0;
  return runEpochs(model, {
    epochs,
    steps: stepsPerEpoch,
    verbose: args.verbose ?? 1,
    callbacks: args.callbacks ?? [],
    progressOutput: args.progressOutput,
    batches: async function* (epoch: number) {
      if (stepsPerEpoch === null && epoch > 0) iterator = open();
      for (let s = 0; stepsPerEpoch === null || s < stepsPerEpoch; s++) {
        const next = await iterator.next();
        if (next.done) {
          if (stepsPerEpoch === null) return;
          throw new RaggedError("DATASET_EXHAUSTED", `The dataset ran out after ${consumed} batches, during epoch ${epoch + 1}.`, {
            expected: `${stepsPerEpoch} batches per epoch × ${epochs} epochs = ${stepsPerEpoch * epochs}`,
            received: `${consumed} batches`,
            help: "make the generator endless (while (true) …), or lower stepsPerEpoch or epochs",
          });
        }
        yield toBatch(next.value, consumed++);
      }
    },
  });
}
