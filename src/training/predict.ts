/**
 * Inference on ragged input: `predict` returns, in caller order, one output per step of each
 * sequence (`out[i]` has `xs[i].length` rows) or one output per sequence — any lengths, including
 * longer than anything seen in training. Batches are formed by length internally so that little
 * work is wasted. `evaluate` reports the loss and metrics the same way; `predictDataset` and
 * `evaluateDataset` do the same on (async) iterables of batches, and return a ragged result
 * instead of failing to concatenate batches of different lengths (the seed's complaint).
 */
import { RaggedError, describe } from "../core/errors.js";
import { unpackRows, unsortRows } from "../data/packed.js";
import type { SampleWeights } from "../data/data_types.js";
import type { LayerValue } from "../layers/values.js";
import type { LayersModel } from "../models/functional.js";
import type { Logs } from "./callbacks.js";
import type { Batch } from "./samples.js";
import { type ModelBatch, type ModelSamples, isGraphBatch, makeModelBatch, readSamples } from "./graph_samples.js";
import { leanPredict } from "./lean_predict.js";
import { Trackers } from "./trackers.js";
import { evaluateStep, predictOutputs } from "./train_step.js";
import { type Dataset, type DatasetItem, openDataset, readDatasetItem } from "./dataset.js";

/** Per-step predictions of one output: `out[i][t]` is the output row of step t of sample i. */
export type StepPredictions = number[][][];
/** Per-sequence predictions of one output: `out[i]` is the output row of sample i. */
export type SequencePredictions = number[][];
/** The predictions of one output: per step, or per sequence. */
export type Predictions = StepPredictions | SequencePredictions;

/**
 * What `predict` returns for a `perStep` option: `true` → `number[][][]`, `false` → `number[][]`,
 * a list → a tuple with one entry per output (`[true, false]` → `[number[][][], number[][]]`).
 */
export type PredictionsFor<P> = P extends true
  ? StepPredictions
  : P extends false
    ? SequencePredictions
    : P extends readonly unknown[]
      ? { -readonly [K in keyof P]: PredictionsFor<P[K]> }
      : Predictions;

export interface PredictArgs {
  /** Sequences per internal batch, default 32. */
  batchSize?: number;
  /**
   * What the model outputs, stated by the caller and checked against the model: `true` for one row
   * per step (the last layer returns sequences), `false` for one row per sequence; a list, one
   * entry per output in `outputs` order, for a model with several (the result is then a list too).
   * The return type follows (`number[][][]`, `number[][]`, or a tuple of them), so strict code
   * needs no cast. Without it the result is typed as either.
   * @throws RaggedError `SHAPE_MISMATCH` when the model's output is of the other kind, or the list
   *   does not have one entry per output.
   */
  perStep?: boolean | readonly boolean[];
}

export interface EvaluateArgs {
  /** Sequences per internal batch, default 32. */
  batchSize?: number;
  /** Per sample (a number) or per step (a list) weights; per output for a model with several. */
  sampleWeight?: SampleWeights;
  /** Return `{ loss, <metric>: … }` instead of a number (no metrics) or [loss, …metrics]. */
  returnDict?: boolean;
}

export type EvaluateResult = number | number[] | Logs;

function batchSizeOf(args: PredictArgs): number {
  const b = args.batchSize ?? 32;
  if (!Number.isInteger(b) || b < 1) throw new RaggedError("INVALID_ARGUMENT", "`batchSize` must be a positive integer.", { received: describe(b) });
  return b;
}

/**
 * Indices grouped into batches of similar length (stable, deterministic). With `keepOrder` (a
 * stateful model, which keeps one state per batch position), batches are consecutive in caller order.
 */
export function lengthOrderedBatches(samples: Pick<ModelSamples, "count" | "lengths">, batchSize: number, keepOrder = false): number[][] {
  const order = Array.from({ length: samples.count }, (_, i) => i);
  if (!keepOrder) order.sort((a, b) => samples.lengths[a] - samples.lengths[b] || a - b);
  const batches: number[][] = [];
  for (let s = 0; s < order.length; s += batchSize) batches.push(order.slice(s, s + batchSize));
  return batches;
}

/**
 * Per-step outputs in batch order. NOTE [ masks with holes ]: padding positions hold zeros, and
 * input that was padded (and packed at the edge) gets its padding back, as zeros.
 */
function perStepOutputs(y: LayerValue, batch: Batch): number[][][] {
  const rows = unpackRows(y.data, y.width, y.layout);
  if (batch.mask && y.layout === batch.layout) {
    const masked = unpackRows(Float32Array.from(batch.mask), 1, batch.layout);
    rows.forEach((seq, k) => seq.forEach((_, t) => (masked[k][t][0] === 0 ? (seq[t] = new Array(y.width).fill(0)) : null)));
  }
  if (batch.padding && y.layout === batch.layout) {
    const { start, paddedLength } = batch.padding;
    return rows.map((seq, k) => {
      const out: number[][] = Array.from({ length: paddedLength[k] }, () => new Array(y.width).fill(0));
      seq.forEach((row, t) => (out[start[k] + t] = row));
      return out;
    });
  }
  return rows;
}


/**
 * Outputs of one batch, in the batch's order: per output, one entry per sample. A per-step output
 * whose steps are those of an input gets that input's padding back (NOTE [ masks with holes ]).
 */
function predictBatch(model: LayersModel, batch: ModelBatch): (number[][] | number[])[][] {
  const outputs = predictOutputs(model, batch);
  const specs = model.outputSpecs();
  return outputs.map((y, k) => {
    if (y.kind !== "sequence") return unsortRows(y.data, y.width, y.layout);
    const source = specs[k].lengths;
    const from: Batch | undefined = !isGraphBatch(batch) ? batch : source.kind === "input" ? batch.inputs[model.inputNames.indexOf(source.input)] : undefined;
    return from ? perStepOutputs(y, from) : unpackRows(y.data, y.width, y.layout);
  });
}

/**
 * One output's results, or a list of them for a model with several outputs (Keras); always a list
 * when `perStep` is one.
 */
function perModel<T>(model: LayersModel, outs: T[], perStep: PredictArgs["perStep"]): T | T[] {
  return model.outputSpecs().length === 1 && !Array.isArray(perStep) ? outs[0] : outs;
}

/** Checks the caller's `perStep` against the model's outputs (see `PredictArgs.perStep`). */
export function checkPerStep(model: LayersModel, perStep: unknown): void {
  if (perStep === undefined) return;
  const specs = model.outputSpecs();
  const kinds = specs.map((s) => s.kind === "sequence");
  const names = model.outputNames;
  const say = (b: boolean) => (b ? "one row per step (perStep: true)" : "one row per sequence (perStep: false)");
  const expected = specs.length === 1 ? `perStep: ${kinds[0]}` : `perStep: [${kinds.join(", ")}] (outputs ${names.map((n) => `"${n}"`).join(", ")})`;
  if (typeof perStep === "boolean" && specs.length > 1) {
    throw new RaggedError("SHAPE_MISMATCH", `Model "${model.name}" has ${specs.length} outputs: perStep must list one kind per output.`, { expected, received: `perStep: ${perStep}` });
  }
  const given = typeof perStep === "boolean" ? [perStep] : perStep;
  if (!Array.isArray(given) || given.some((b) => typeof b !== "boolean")) {
    throw new RaggedError("INVALID_ARGUMENT", "`perStep` must be true, false, or a list of them (one per output).", { expected, received: describe(perStep) });
  }
  if (given.length !== specs.length) {
    throw new RaggedError("SHAPE_MISMATCH", `perStep lists ${given.length} kinds, but model "${model.name}" has ${specs.length} output${specs.length === 1 ? "" : "s"}.`, { expected, received: `perStep: [${given.join(", ")}]` });
  }
  const wrong = given.findIndex((b, k) => b !== kinds[k]);
  if (wrong >= 0) {
    const where = specs.length === 1 ? `Model "${model.name}"` : `Output "${names[wrong]}" of model "${model.name}"`;
    throw new RaggedError("SHAPE_MISMATCH", `${where} returns ${say(kinds[wrong])}, but predict was told ${say(given[wrong] as boolean)}.`, {
      expected,
      received: typeof perStep === "boolean" ? `perStep: ${perStep}` : `perStep: [${given.join(", ")}]`,
      help: kinds[wrong]
        ? "the last layer returns sequences; use perStep: true (or returnSequences: false on the last recurrent layer to predict per sequence)"
        : "the model returns one row per sequence; use perStep: false (or returnSequences: true on the last recurrent layer to predict per step)",
    });
  }
}

/**
 * @returns `number[][][]` (per-step outputs, out[i].length === xs[i].length) when the model returns
 *   sequences, else `number[][]` (one output row per sequence), in caller order.
 * @example
 * const out = model.predict([[[0.1, 0.2]], [[0.3, 0.4], [0.5, 0.6]]]);
 */
export function predict(model: LayersModel, xs: unknown, args: PredictArgs = {}): Predictions | Predictions[] {
  checkPerStep(model, args.perStep);
  if (!Array.isArray(args.perStep)) {
    const lean = leanPredict(model, xs, batchSizeOf(args), lengthOrderedBatches); // NOTE [ lean predict ]
    if (lean !== null) return lean;
  }
  return predictSamples(model, readSamples(model, xs, null, false), args);
}

/** `predict` on samples already read (and checked): batches by length, caller order back. */
export function predictSamples(model: LayersModel, samples: ModelSamples, args: PredictArgs = {}): Predictions | Predictions[] {
  const outs: (number[][] | number[])[][] = model.outputSpecs().map(() => new Array(samples.count));
  for (const indices of lengthOrderedBatches(samples, batchSizeOf(args), model.stateful)) {
    const rows = predictBatch(model, makeModelBatch(samples, indices));
    rows.forEach((perOutput, o) => indices.forEach((sample, k) => (outs[o][sample] = perOutput[k])));
  }
  return perModel(model, outs, args.perStep) as Predictions | Predictions[];
}

function result(trackers: Trackers, returnDict: boolean | undefined): EvaluateResult {
  const logs = trackers.logs();
  if (returnDict) return logs;
  const values = Object.values(logs);
  return values.length === 1 ? values[0] : values;
}

/**
 * The loss (and compiled metrics) on (xs, ys): batches weighted by their number of sequences for
 * the loss, as Keras does; metrics over every real row (NOTE [ metric reduction ]).
 * @returns the loss as a number when no metrics are compiled, else [loss, …metrics]; with
 *   `returnDict`, `{ loss, accuracy, … }`.
 * @example
 * const loss = model.evaluate(xs, ys);
 */
export function evaluate(model: LayersModel, xs: unknown, ys: unknown, args: EvaluateArgs = {}): EvaluateResult {
  model.requireCompiled("evaluate()");
  const samples = readSamples(model, xs, ys, true, { sampleWeight: args.sampleWeight });
  const trackers = new Trackers(model);
  for (const indices of lengthOrderedBatches(samples, batchSizeOf(args), model.stateful)) trackers.add(evaluateStep(model, makeModelBatch(samples, indices), trackers.metrics));
  return result(trackers, args.returnDict);
}

export interface EvaluateDatasetArgs {
  /** Batches to read; default: the whole dataset. */
  steps?: number;
  /** Return `{ loss, <metric>: … }` instead of a number (no metrics) or [loss, …metrics]. */
  returnDict?: boolean;
}

export interface PredictDatasetArgs {
  /** Batches to read; default: the whole dataset. */
  steps?: number;
  /** What the model outputs, checked; the return type follows (see `PredictArgs.perStep`). */
  perStep?: boolean | readonly boolean[];
}

/**
 * The batches `predictDataset` takes: items `{ xs }`, `[xs]` or plain `xs`, from an array, a
 * (async) generator, or a function returning a fresh one.
 */
export type PredictDataset<X> = Iterable<PredictItem<X>> | AsyncIterable<PredictItem<X>> | (() => Iterable<PredictItem<X>> | AsyncIterable<PredictItem<X>>);
/** One batch of a `PredictDataset`; targets, when the items carry them, are ignored. */
export type PredictItem<X> = { xs: X; ys?: unknown; sampleWeight?: unknown } | X | [X];

/** `evaluate` over an (async) iterable of batches `{ xs, ys }`; `steps` limits how many are read. */
export async function evaluateDataset(model: LayersModel, dataset: Dataset, args: EvaluateDatasetArgs = {}): Promise<EvaluateResult> {
  model.requireCompiled("evaluateDataset()");
  const trackers = new Trackers(model);
  const iterator = openDataset(dataset, "evaluateDataset");
  for (let k = 0; args.steps === undefined || k < args.steps; k++) {
    const next = await iterator.next();
    if (next.done) break;
    trackers.add(evaluateStep(model, readDatasetItem(model, next.value as DatasetItem, k, true), trackers.metrics));
  }
  return result(trackers, args.returnDict);
}

/**
 * `predict` over an (async) iterable of batches (items `{ xs }`, `[xs]` or plain `xs`): the outputs
 * of every batch in order, one entry per sequence, whatever the lengths — ragged, never concatenated
 * into one padded array.
 * @example
 * const out = await model.predictDataset(testBatches());
 */
export async function predictDataset(model: LayersModel, dataset: unknown, args: PredictDatasetArgs = {}): Promise<Predictions | Predictions[]> {
  checkPerStep(model, args.perStep);
  const outs: (number[][] | number[])[][] = model.outputSpecs().map(() => []);
  const iterator = openDataset(dataset as Dataset, "predictDataset");
  for (let k = 0; args.steps === undefined || k < args.steps; k++) {
    const next = await iterator.next();
    if (next.done) break;
    const batch = readDatasetItem(model, next.value as DatasetItem, k, false);
    predictBatch(model, batch).forEach((rows, o) => outs[o].push(...rows));
  }
  return perModel(model, outs, args.perStep) as Predictions | Predictions[];
}
