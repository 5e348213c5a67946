/**
 * Inference on ragged input: `predict` returns, in caller order, one output per step of each
 * sequence (`out[i]` has `xs[i].length` rows) or one output per sequence — any lengths, including
 * longer than anything seen in training. Batches are formed by length internally so that little
 * work is wasted; `evaluate` reports the loss the same way.
 */
import { RaggedError, describe } from "../core/errors.js";
import { unpackRows, unsortRows } from "../data/packed.js";
import type { Sequential } from "../models/sequential.js";
import { type Batch, makeBatch, type Samples, toSamples } from "./samples.js";
import type { LayerValue } from "../layers/values.js";
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
  const samples = toSamples(xs, null, model.sampleArgs(false));
  const batchSize = batchSizeOf(args);
  const perStep = model.returnsSequences;
  const out: (number[][] | number[])[] = new Array(samples.count);
  for (const indices of lengthOrderedBatches(samples, batchSize)) {
    const batch = makeBatch(samples, indices);
    const y = predictStep(model, batch);
    const rows = perStep ? perStepOutputs(y, batch) : unsortRows(y.data, y.width, batch.layout);
    indices.forEach((sample, k) => (out[sample] = rows[k]));
  }
  return out as number[][][] | number[][];
}

/**
 * Per-step outputs in batch order. NOTE [ masks with holes ]: padding positions hold zeros, and
 * input that was padded (and packed at the edge) gets its padding back, as zeros.
 */
function perStepOutputs(y: LayerValue, batch: Batch): number[][][] {
  const rows = unpackRows(y.data, y.width, y.layout);
  if (batch.mask && y.layout === batch.layout) {
    const zeros = new Array(y.width).fill(0);
    const masked = unpackRows(Float32Array.from(batch.mask), 1, batch.layout);
    rows.forEach((seq, k) => seq.forEach((_, t) => (masked[k][t][0] === 0 ? (seq[t] = [...zeros]) : null)));
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
 * The loss on (xs, ys), averaged over batches weighted by their number of sequences, as Keras does.
 * @example
 * const loss = model.evaluate(xs, ys);
 */
export function evaluate(model: Sequential, xs: unknown, ys: unknown, args: PredictArgs & { sampleWeight?: ArrayLike<number | ArrayLike<number>> } = {}): number {
  model.requireCompiled("evaluate()");
  const samples = toSamples(xs, ys, { ...model.sampleArgs(true), sampleWeight: args.sampleWeight });
  let sum = 0;
  let size = 0;
  for (const indices of lengthOrderedBatches(samples, batchSizeOf(args))) {
    const r = evaluateStep(model, makeBatch(samples, indices));
    sum += r.loss * r.size;
    size += r.size;
  }
  return size > 0 ? sum / size : 0;
}
