/**
 * Inference on ragged input: `predict` returns, in caller order, one output per step of each
 * sequence (`out[i]` has `xs[i].length` rows) or one output per sequence — any lengths, including
 * longer than anything seen in training. Batches are formed by length internally so that little
 * work is wasted; `evaluate` reports the loss the same way.
 */
import { RaggedError, describe } from "../core/errors.js";
import { unpackRows, unsortRows } from "../data/packed.js";
import type { Sequential } from "../models/sequential.js";
import { makeBatch, type Samples, toSamples } from "./samples.js";
import { evaluateStep, predictStep } from "./train_step.js";

export interface PredictArgs {
  /** Sequences per internal batch, default 32. */
  batchSize?: number;
}

function batchSizeOf(args: PredictArgs): number {
  const b = args.batchSize ?? 32;
  if (!Number.isInteger(b) || b < 1) throw new RaggedError("INVALID_ARGUMENT", "`batchSize` must be a positive integer.", { received: describe(b) });
  return b;
}

/** Indices grouped into batches of similar length (stable, deterministic). */
export function lengthOrderedBatches(samples: Samples, batchSize: number): number[][] {
  const order = Array.from({ length: samples.count }, (_, i) => i).sort((a, b) => samples.lengths[a] - samples.lengths[b] || a - b);
  const batches: number[][] = [];
  for (let s = 0; s < order.length; s += batchSize) batches.push(order.slice(s, s + batchSize));
  return batches;
}

/**
 * @returns `number[][][]` (per-step outputs, out[i].length === xs[i].length) when the model returns
 *   sequences, else `number[][]` (one output row per sequence), in caller order.
 * @example
 * const out = model.predict([[[0.1, 0.2]], [[0.3, 0.4], [0.5, 0.6]]]);
 */
export function predict(model: Sequential, xs: unknown, args: PredictArgs = {}): number[][][] | number[][] {
  const samples = toSamples(xs, null, { features: model.inputFeatures, target: null });
  const batchSize = batchSizeOf(args);
  const perStep = model.returnsSequences;
  const out: (number[][] | number[])[] = new Array(samples.count);
  for (const indices of lengthOrderedBatches(samples, batchSize)) {
    const batch = makeBatch(samples, indices);
    const y = predictStep(model, batch);
    const rows = perStep ? unpackRows(y.data, y.width, batch.layout) : unsortRows(y.data, y.width, batch.layout);
    indices.forEach((sample, k) => (out[sample] = rows[k]));
  }
  return out as number[][][] | number[][];
}

/**
 * The loss on (xs, ys), averaged over batches weighted by their number of sequences, as Keras does.
 * @example
 * const loss = model.evaluate(xs, ys);
 */
export function evaluate(model: Sequential, xs: unknown, ys: unknown, args: PredictArgs & { sampleWeight?: ArrayLike<number | ArrayLike<number>> } = {}): number {
  const { loss } = model.requireCompiled("evaluate()");
  const samples = toSamples(xs, ys, { features: model.inputFeatures, target: { perStep: model.returnsSequences, width: loss.targetWidth(model.outputWidth) }, sampleWeight: args.sampleWeight });
  let sum = 0;
  let size = 0;
  for (const indices of lengthOrderedBatches(samples, batchSizeOf(args))) {
    const r = evaluateStep(model, makeBatch(samples, indices));
    sum += r.loss * r.size;
    size += r.size;
  }
  return size > 0 ? sum / size : 0;
}
