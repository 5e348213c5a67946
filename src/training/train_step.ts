/**
 * One batch through the model: the training step (forward, masked/weighted loss, backward,
 * optimizer update), the evaluation step (loss only) and the prediction step (outputs only).
 * Each step also hands its metrics the rows that count (NOTE [ metric reduction ]).
 */
import type { Random } from "../core/random.js";
import type { LayerValue } from "../layers/values.js";
import type { Sequential } from "../models/sequential.js";
import { regularize } from "../layers/regularizers.js";
import type { MetricAccumulator } from "./metrics.js";
import { reduceLoss } from "./reduction.js";
import type { Batch } from "./samples.js";

export interface StepResult {
  /** The batch loss (Σ ℓ·w·m / Σ m, plus regularization penalties). */
  loss: number;
  /** Sequences in the batch (Keras weights epoch averages by batch size). */
  size: number;
}

/** The model's input value for a batch: packed sequences. */
export function inputValue(batch: Batch): LayerValue {
  return { kind: "sequence", layout: batch.layout, data: batch.x, width: batch.features, mask: batch.mask };
}

/**
 * Which output rows count in the loss: padding rows of a mask with holes do not; for one output per
 * sequence, sequences of length 0 have nothing to predict from and do not count either.
 */
function outputMask(output: LayerValue): Float32Array | null {
  if (output.kind === "sequence") return output.mask ? Float32Array.from(output.mask) : null;
  const { sortedLengths, batch } = output.layout;
  if (batch === 0 || sortedLengths[batch - 1] > 0) return null;
  const m = new Float32Array(batch);
  for (let j = 0; j < batch; j++) m[j] = sortedLengths[j] > 0 ? 1 : 0;
  return m;
}

function rowsOf(out: LayerValue): number {
  return out.kind === "sequence" ? out.layout.totalSteps : out.layout.batch;
}

function updateMetrics(metrics: readonly MetricAccumulator[], out: LayerValue, batch: Batch, mask: Float32Array | null): void {
  for (const m of metrics) m.updateFrom({ pred: out.data, target: batch.y as Float32Array, rows: rowsOf(out), width: out.width, mask, weights: batch.weights });
}

/** The data part of a batch's loss, before regularization: what one thread's share returns. */
export interface ShardResult extends StepResult {
  /** Σ m, the rows that counted (the loss's denominator, NOTE [ loss reduction ]). */
  count: number;
}

/**
 * Forward and backward on a batch without the regularization penalties: fills every trainable
 * variable's `grad` with the gradient of the batch's data loss Σ ℓ·w·m / Σ m (zeroing it first)
 * and returns that loss and Σ m. Data-parallel training (training/parallel/) runs this on each
 * share of a batch and adds the penalties once, after combining. Changes no weight.
 * @param rng - the random stream for dropout (default: the model's).
 */
export function shardGradients(model: Sequential, batch: Batch, metrics: readonly MetricAccumulator[] = [], rng?: Random): ShardResult {
  const { loss } = model.requireCompiled("computing gradients");
  for (const v of model.trainableWeights) v.grad.fill(0);
  const pass = model.run(inputValue(batch), { training: true, needsGrad: true, rng });
  const out = pass.output;
  const mask = outputMask(out);
  const reduced = reduceLoss({ loss, pred: out.data, target: batch.y as Float32Array, rows: rowsOf(out), width: out.width, mask, weights: batch.weights, withGrad: true });
  updateMetrics(metrics, out, batch, mask);
  pass.backward({ ...out, data: reduced.grad as Float32Array } as LayerValue);
  return { loss: reduced.value, count: reduced.count, size: batch.layout.batch };
}

/**
 * Forward and backward on a batch: fills every trainable variable's `grad` with the gradient of the
 * batch loss (zeroing it first) and returns the loss. Changes no weight.
 */
export function computeGradients(model: Sequential, batch: Batch, metrics: readonly MetricAccumulator[] = []): StepResult {
  const shard = shardGradients(model, batch, metrics);
  return { loss: shard.loss + regularization(model, true), size: shard.size };
}

/** Σ of the weight regularizers' penalties (Keras adds them to the training loss); adds their gradients when asked. */
export function regularization(model: Sequential, withGrad: boolean): number {
  let penalty = 0;
  for (const v of model.trainableWeights) if (v.regularizer) penalty += regularize(v.regularizer, v.value, withGrad ? v.grad : null);
  return penalty;
}

/** One optimizer step on a batch; returns its loss (before the update). */
export function trainStep(model: Sequential, batch: Batch, metrics: readonly MetricAccumulator[] = []): StepResult {
  const { optimizer } = model.requireCompiled("training");
  const result = computeGradients(model, batch, metrics);
  optimizer.apply(model.trainableWeights);
  return result;
}

export function evaluateStep(model: Sequential, batch: Batch, metrics: readonly MetricAccumulator[] = []): StepResult {
  const { loss } = model.requireCompiled("evaluation");
  const out = model.run(inputValue(batch), { training: false, needsGrad: false }).output;
  const mask = outputMask(out);
  const reduced = reduceLoss({ loss, pred: out.data, target: batch.y as Float32Array, rows: rowsOf(out), width: out.width, mask, weights: batch.weights, withGrad: false });
  updateMetrics(metrics, out, batch, mask);
  return { loss: reduced.value + regularization(model, false), size: batch.layout.batch };
}

export function predictStep(model: Sequential, batch: Batch): LayerValue {
  return model.run(inputValue(batch), { training: false, needsGrad: false }).output;
}
