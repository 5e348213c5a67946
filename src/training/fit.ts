/**
 * The training loops: `fit` on in-memory ragged arrays and `fitDataset` on (async) iterables of
 * batches, Keras' `fit` and `fit_generator`. Both run the same epoch loop (`runEpochs`) with
 * callbacks, the progress bar, validation and History.
 *
 * `fit` batches by length by default (NOTE [ bucketing strategies ] in data/bucket.ts): sequences of
 * similar length share a batch, the batch order is reshuffled every epoch, and History records how
 * much of each epoch's batches was real data (`paddingEfficiency`: real steps / (batch × longest)).
 */
import { RaggedError, describe } from "../core/errors.js";
import { type Buckets, bucketBatches } from "../data/bucket.js";
import type { ModelInputs, ModelTargets, SampleWeights } from "../data/data_types.js";
import type { LayersModel } from "../models/functional.js";
import { type Callback, CallbackList, History, type Logs } from "./callbacks.js";
import { type Dataset, openDataset, readDatasetSamples } from "./dataset.js";
import { evaluate, evaluateDataset } from "./predict.js";
import { ProgressBar } from "./progress/bar.js";
import { type ProgressOutput, getDefaultProgressOutput } from "./progress/output.js";
import { type ModelBatch, type ModelSamples, isGraphBatch, makeModelBatch, readSamples } from "./graph_samples.js";
import { whileTraining } from "./busy.js";
import { requireData } from "./samples.js";
import { Trackers } from "./trackers.js";
import { evaluateStep } from "./train_step.js";
import { type BatchSource, parallelTrainStep } from "./parallel/pool.js";
import { resolveThreads } from "./parallel/platform.js";
import { EventLoopYielder } from "./yield_event_loop.js";

export type { Dataset, DatasetItem } from "./dataset.js";

/**
 * Validation data: `[xs, ys]`, `[xs, ys, sampleWeight]` or `{ xs, ys, sampleWeight }`, typed as the
 * model's inputs `X` and targets `Y`.
 */
export type ValidationData<X = ModelInputs, Y = ModelTargets> = [X, Y] | [X, Y, SampleWeights] | { xs: X; ys: Y; sampleWeight?: SampleWeights };

/** Options of `fit`; `X` and `Y` are the model's input and target types (for `validationData`). */
export interface FitArgs<X = ModelInputs, Y = ModelTargets> {
  /** Default 1. */
  epochs?: number;
  /** Sequences per batch, default 32. */
  batchSize?: number;
  /** Reshuffle every epoch (default true; false for a stateful model). */
  shuffle?: boolean;
  /**
   * How sequences are grouped into batches: `true` (default) by similar length, `false` in (shuffled)
   * order, or explicit `{ boundaries, batchSizes }` as TF's `bucket_by_sequence_length`.
   * Default true; false for a stateful model.
   */
  bucketing?: boolean | Buckets;
  /** 0 silent, 1 progress bar (default), 2 one line per epoch. */
  verbose?: 0 | 1 | 2;
  callbacks?: Callback[];
  /** Per sequence (a number) or per step (a list) weights; per output for a model with several. */
  sampleWeight?: SampleWeights;
  /** Per class weights, `{ [classIndex]: weight }`, multiplied into the sample weights (Keras). */
  classWeight?: Record<number, number>;
  /** Fraction of the data, taken from the end before shuffling (as Keras), held out for validation. */
  validationSplit?: number;
  validationData?: ValidationData<X, Y>;
  /** Epoch to start counting from (to resume a run). */
  initialEpoch?: number;
  /** Where progress goes (default: stdout in Node, console elsewhere). */
  progressOutput?: ProgressOutput;
  /**
   * Threads to split each batch across (NOTE [ data-parallel training ] in
   * training/parallel/pool.ts): default one per core with "ragged-rnn/node", else 1. Capped at the
   * core count; a batch of n sequences uses at most n / 2 threads.
   */
  threads?: number;
}

/** Options of `fitDataset`; `X` and `Y` are the model's input and target types (for `validationData`). */
export interface FitDatasetArgs<X = ModelInputs, Y = ModelTargets> {
  epochs?: number;
  /** Batches per epoch; default: one full pass of the dataset. */
  stepsPerEpoch?: number;
  verbose?: 0 | 1 | 2;
  callbacks?: Callback[];
  initialEpoch?: number;
  /** Arrays (`[xs, ys]`) or a dataset of batches, evaluated after every epoch. */
  validationData?: ValidationData<X, Y> | Dataset<X, Y>;
  /** Batches of a validation dataset per evaluation. */
  validationSteps?: number;
  progressOutput?: ProgressOutput;
  /** Threads to split each batch across; see `FitArgs.threads`. */
  threads?: number;
}

function positiveInt(v: unknown, name: string, fallback: number): number {
  if (v === undefined) return fallback;
  if (typeof v !== "number" || !Number.isInteger(v) || v < 1) {
    throw new RaggedError("INVALID_ARGUMENT", `\`${name}\` must be a positive integer.`, { received: `${name} = ${describe(v)}` });
  }
  return v;
}

function nonNegativeInt(v: unknown, name: string): number {
  if (v === undefined) return 0;
  if (typeof v !== "number" || !Number.isInteger(v) || v < 0) {
    throw new RaggedError("INVALID_ARGUMENT", `\`${name}\` must be a whole number ≥ 0.`, { received: `${name} = ${describe(v)}` });
  }
  return v;
}

/** Per-epoch figures about the batches themselves, kept in History beside the logs. */
export interface EpochBatchStats {
  /** Real timesteps in the epoch's batches. */
  realSteps: number;
  /** Cells a padded framework would have computed: Σ over batches of size × longest. */
  paddedCells: number;
  /** realSteps / paddedCells. */
  paddingEfficiency: number;
}

/** History with the batch statistics of every epoch. */
export class FitHistory extends History {
  readonly batchStats: EpochBatchStats[] = [];
}

interface EpochPlan {
  epochs: number;
  initialEpoch: number;
  steps: number | null;
  verbose: 0 | 1 | 2;
  callbacks: Callback[];
  progressOutput?: ProgressOutput;
  /** Called at the start of each epoch; yields that epoch's batches (packed by the step). */
  batches: (epoch: number) => AsyncIterable<BatchSource> | Iterable<BatchSource>;
  /** Threads per step (resolved and validated). */
  threads: number;
  /** Validation logs (`val_loss`, …) after an epoch, or null without validation. */
  validate: (() => Promise<Logs>) | null;
  /** Applied to each batch before training (class weights). */
  prepare?: (batch: ModelBatch) => ModelBatch;
}

/** The shared epoch loop. */
async function runEpochs(model: LayersModel, plan: EpochPlan): Promise<FitHistory> {
  model.requireCompiled("training");
  const history = new FitHistory();
  const callbacks: Callback[] = [];
  if (plan.verbose > 0) {
    callbacks.push(new ProgressBar({ epochs: plan.epochs, steps: plan.steps, output: plan.progressOutput ?? getDefaultProgressOutput(), verbose: plan.verbose as 1 | 2 }));
  }
  callbacks.push(...plan.callbacks, history);
  const list = new CallbackList(callbacks);
  list.setModel(model);
  const trackers = new Trackers(model);
  model.stopTraining = false;
  // the workers stay for the next call (NOTE [ worker lifetime ] in parallel/pool.ts)
  await list.trainBegin();
  await epochLoop(model, plan, list, history, trackers);
  await list.trainEnd();
  return history;
}

async function epochLoop(model: LayersModel, plan: EpochPlan, list: CallbackList, history: FitHistory, trackers: Trackers): Promise<void> {
  const yielder = new EventLoopYielder(); // NOTE [ yielding the event loop ]
  for (let epoch = plan.initialEpoch; epoch < plan.epochs && !model.stopTraining; epoch++) {
    await list.epochBegin(epoch);
    trackers.reset();
    const stats: EpochBatchStats = { realSteps: 0, paddedCells: 0, paddingEfficiency: 1 };
    let step = 0;
    for await (const source of plan.batches(epoch)) {
      await list.batchBegin(step, { size: source.indices.length });
      const result = await parallelTrainStep(model, source, trackers.metrics, { threads: plan.threads, prepare: plan.prepare, inLoop: true });
      stats.realSteps += result.realSteps;
      stats.paddedCells += source.indices.length * result.maxLength;
      trackers.add(result);
      await list.batchEnd(step, trackers.logs());
      step++;
      await yielder.maybeYield();
      if (model.stopTraining) break;
    }
    stats.paddingEfficiency = stats.paddedCells > 0 ? stats.realSteps / stats.paddedCells : 1;
    history.batchStats.push(stats);
    const logs = trackers.logs();
    if (plan.validate) Object.assign(logs, await plan.validate());
    await list.epochEnd(epoch, logs);
  }
}

/** Multiplies each target row's weight by its class's weight (class = argmax, or the sparse id). */
function classWeighter(classWeight: Record<number, number> | undefined, yWidth: number, outputs: number): ((batch: ModelBatch) => ModelBatch) | undefined {
  if (!classWeight) return undefined;
  if (outputs > 1) {
    throw new RaggedError("INVALID_ARGUMENT", "`classWeight` is for models with one output.", { help: "give per-output sampleWeight instead (Keras 3 does the same)" });
  }
  for (const [k, w] of Object.entries(classWeight)) {
    if (!Number.isInteger(Number(k)) || typeof w !== "number" || !Number.isFinite(w) || w < 0) {
      throw new RaggedError("INVALID_ARGUMENT", "`classWeight` maps class indices to non-negative weights.", { received: `${k}: ${describe(w)}` });
    }
  }
  const weigh = (y: Float32Array, given: Float32Array | null): Float32Array => {
    const rows = y.length / yWidth;
    const weights = given ? Float32Array.from(given) : new Float32Array(rows).fill(1);
    for (let r = 0; r < rows; r++) {
      let cls = 0;
      if (yWidth === 1) cls = y[r];
      else for (let k = 1; k < yWidth; k++) if (y[r * yWidth + k] > y[r * yWidth + cls]) cls = k;
      weights[r] *= classWeight[cls] ?? 1;
    }
    return weights;
  };
  return (batch) => {
    if (isGraphBatch(batch)) {
      const t = batch.targets[0];
      return t?.y ? { ...batch, targets: [{ y: t.y, weights: weigh(t.y, t.weights) }] } : batch;
    }
    return batch.y ? { ...batch, weights: weigh(batch.y, batch.weights) } : batch;
  };
}

function splitValidation(samples: ModelSamples, fraction: number): { train: number[]; validation: number[] } {
  if (typeof fraction !== "number" || !(fraction > 0 && fraction < 1)) {
    throw new RaggedError("INVALID_ARGUMENT", "`validationSplit` must be a fraction strictly between 0 and 1.", { received: `validationSplit = ${describe(fraction)}` });
  }
  const cut = Math.floor(samples.count * (1 - fraction));
  if (cut === 0 || cut === samples.count) {
    throw new RaggedError("INVALID_ARGUMENT", `validationSplit ${fraction} of ${samples.count} sequences leaves one side empty.`, { help: "use more data or another fraction" });
  }
  const all = Array.from({ length: samples.count }, (_, i) => i);
  return { train: all.slice(0, cut), validation: all.slice(cut) };
}

function unpackValidation(v: ValidationData): { xs: unknown; ys: unknown; sampleWeight?: SampleWeights } {
  if (Array.isArray(v) && (v.length === 2 || v.length === 3)) return { xs: v[0], ys: v[1], sampleWeight: v[2] as SampleWeights | undefined };
  if (v !== null && typeof v === "object" && "xs" in v && "ys" in v) return v as { xs: unknown; ys: unknown; sampleWeight?: SampleWeights };
  throw new RaggedError("INVALID_ARGUMENT", "`validationData` must be [xs, ys] (or [xs, ys, sampleWeight], or { xs, ys }).", { received: describe(v) });
}

/**
 * Trains on ragged arrays: `xs[i]` is one sequence of any length (a list of steps), `ys[i]` its
 * per-step targets when the model returns sequences, else one target.
 * @returns History with one entry per epoch (loss, metrics, val_…), and `batchStats`.
 * @throws RaggedError `NOT_COMPILED`, `BAD_SEQUENCE`, `FEATURE_MISMATCH`, `NON_FINITE`,
 *   `TARGET_MISMATCH`, `INVALID_ARGUMENT` (batchSize < 1, validationSplit outside (0, 1), …).
 * @example
 * const history = await model.fit(xs, ys, { epochs: 5, batchSize: 32, validationSplit: 0.1, verbose: 0 });
 * history.history.loss; // [0.69, 0.61, …]
 */
export function fit(model: LayersModel, xs: unknown, ys: unknown, args: FitArgs = {}): Promise<FitHistory> {
  return whileTraining(model, "fit()", () => fitArrays(model, xs, ys, args));
}

async function fitArrays(model: LayersModel, xs: unknown, ys: unknown, args: FitArgs): Promise<FitHistory> {
  model.requireCompiled("fit()");
  const epochs = positiveInt(args.epochs, "epochs", 1);
  const batchSize = positiveInt(args.batchSize, "batchSize", 32);
  const initialEpoch = nonNegativeInt(args.initialEpoch, "initialEpoch");
  const threads = resolveThreads(args.threads);
  const samples = readSamples(model, xs, ys, true, { sampleWeight: args.sampleWeight });
  requireData(samples, "fit()");
  let trainIndices = Array.from({ length: samples.count }, (_, i) => i);
  let validate: (() => Promise<Logs>) | null = null;
  if (args.validationData !== undefined) {
    const v = unpackValidation(args.validationData);
    readSamples(model, v.xs, v.ys, true, { sampleWeight: v.sampleWeight, xName: "validationData xs", yName: "validationData ys" }); // validate up front
    validate = async () => prefixed(evaluate(model, v.xs, v.ys, { batchSize, sampleWeight: v.sampleWeight, returnDict: true }) as Logs);
  } else if (args.validationSplit !== undefined) {
    const { train, validation } = splitValidation(samples, args.validationSplit);
    trainIndices = train;
    validate = async () => evaluateIndices(model, samples, validation, batchSize);
  }
  // A stateful model keeps one state per batch position: by default keep caller order (Keras asks
  // for shuffle=False there).
  const shuffle = args.shuffle ?? !model.stateful;
  const bucketing = args.bucketing ?? !model.stateful;
  const lengths = trainIndices.map((i) => samples.lengths[i]);
  const plannedSteps = bucketBatches(lengths, { batchSize, shuffle: false, bucketing }).length;
  return runEpochs(model, {
    epochs,
    initialEpoch,
    steps: plannedSteps,
    verbose: args.verbose ?? 1,
    callbacks: args.callbacks ?? [],
    progressOutput: args.progressOutput,
    validate,
    threads,
    prepare: classWeighter(args.classWeight, "kind" in samples ? (samples.targets?.[0]?.yWidth ?? 1) : samples.yWidth, model.outputSpecs().length),
    batches: function* () {
      const batches = bucketBatches(lengths, { batchSize, rng: model.rng, shuffle, bucketing });
      for (const b of batches) yield { samples, indices: b.map((k) => trainIndices[k]) };
    },
  });
}

function prefixed(logs: Logs): Logs {
  const out: Logs = {};
  for (const [k, v] of Object.entries(logs)) out[`val_${k}`] = v;
  return out;
}

async function evaluateIndices(model: LayersModel, samples: ModelSamples, indices: number[], batchSize: number): Promise<Logs> {
  const trackers = new Trackers(model, "val_");
  const sorted = [...indices].sort((a, b) => samples.lengths[a] - samples.lengths[b] || a - b);
  for (let s = 0; s < sorted.length; s += batchSize) trackers.add(evaluateStep(model, makeModelBatch(samples, sorted.slice(s, s + batchSize)), trackers.metrics));
  return trackers.logs();
}

/**
 * Trains on a dataset of batches (Keras `fit_generator`): an array, iterable, generator or async
 * iterable whose items are `{ xs, ys }` (or `[xs, ys]`), each one batch; lengths may differ
 * between and within batches. With `stepsPerEpoch`, each epoch takes that many batches and the
 * next epoch continues the same iterator (an endless generator is fine); without it, an epoch is
 * one full pass, and the dataset is iterated afresh each epoch (an array, or a function returning a
 * fresh iterable: a generator object can be read only once).
 * @throws RaggedError `BAD_DATASET` for an item that is not a batch; `DATASET_EXHAUSTED` when the
 *   dataset ends before `stepsPerEpoch` batches.
 * @example
 * await model.fitDataset(batches(), { stepsPerEpoch: 30, epochs: 10 });
 */
export function fitDataset(model: LayersModel, dataset: Dataset, args: FitDatasetArgs = {}): Promise<FitHistory> {
  return whileTraining(model, "fitDataset()", () => fitBatches(model, dataset, args));
}

async function fitBatches(model: LayersModel, dataset: Dataset, args: FitDatasetArgs): Promise<FitHistory> {
  model.requireCompiled("fitDataset()");
  const epochs = positiveInt(args.epochs, "epochs", 1);
  const initialEpoch = nonNegativeInt(args.initialEpoch, "initialEpoch");
  const stepsPerEpoch = args.stepsPerEpoch === undefined ? null : positiveInt(args.stepsPerEpoch, "stepsPerEpoch", 1);
  const threads = resolveThreads(args.threads);
  let iterator = openDataset(dataset, "fitDataset");
  let validate: (() => Promise<Logs>) | null = null;
  const vd = args.validationData;
  if (vd !== undefined) {
    const isArrays = Array.isArray(vd) ? vd.length >= 2 && vd.length <= 3 && !isBatchItem(vd[0]) : typeof vd === "object" && vd !== null && "xs" in vd;
    validate = isArrays
      ? async () => {
          const v = unpackValidation(vd as ValidationData);
          return prefixed(evaluate(model, v.xs, v.ys, { sampleWeight: v.sampleWeight, returnDict: true }) as Logs);
        }
      : async () => prefixed((await evaluateDataset(model, vd as Dataset, { steps: args.validationSteps, returnDict: true })) as Logs);
  }
  let consumed = 0;
  return runEpochs(model, {
    epochs,
    initialEpoch,
    steps: stepsPerEpoch,
    verbose: args.verbose ?? 1,
    callbacks: args.callbacks ?? [],
    progressOutput: args.progressOutput,
    validate,
    threads,
    batches: async function* (epoch: number) {
      if (stepsPerEpoch === null && epoch > initialEpoch) iterator = openDataset(dataset, "fitDataset");
      for (let s = 0; stepsPerEpoch === null || s < stepsPerEpoch; s++) {
        const next = await iterator.next();
        if (next.done) {
          if (stepsPerEpoch === null && s > 0) return;
          if (stepsPerEpoch === null) {
            throw new RaggedError("DATASET_EXHAUSTED", `The dataset gave no batch in epoch ${epoch + 1}.`, {
              expected: "at least one batch per epoch",
              received: epoch > initialEpoch ? "an iterator already used up by the previous epoch" : "an empty dataset",
              help: "pass a function that returns a fresh iterator (() => batches()), an array, or give stepsPerEpoch with an endless generator",
            });
          }
          throw new RaggedError("DATASET_EXHAUSTED", `The dataset ran out after ${consumed} batches, during epoch ${epoch + 1}.`, {
            expected: `${stepsPerEpoch} batches per epoch × ${epochs - initialEpoch} epochs = ${stepsPerEpoch * (epochs - initialEpoch)}`,
            received: `${consumed} batches`,
            help: "make the generator endless (while (true) …), or lower stepsPerEpoch or epochs",
          });
        }
        const samples = readDatasetSamples(model, next.value, consumed++, true);
        requireData(samples, `fitDataset() batch ${consumed - 1}`);
        yield { samples, indices: Array.from({ length: samples.count }, (_, i) => i) };
      }
    },
  });
}

/** Whether a value looks like one batch item of a dataset rather than a list of sequences. */
function isBatchItem(v: unknown): boolean {
  return v !== null && typeof v === "object" && !Array.isArray(v) && "xs" in v;
}
