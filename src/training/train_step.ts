/**
 * One batch through the model: the training step (forward, masked/weighted loss, backward,
 * optimizer update), the evaluation step (loss only) and the prediction step (outputs only).
 * Each step also hands its metrics the rows that count (NOTE [ metric reduction ]).
 */
import type { Random } from "../core/random.js";
import { withStepBuffers } from "../core/step_buffers.js";
import { type LayerValue, nestedValue } from "../layers/values.js";
import type { LayersModel, ModelRun } from "../models/functional.js";
import { regularize } from "../layers/regularizers.js";
import type { Variable } from "../layers/layer.js";
import type { MetricAccumulator } from "./metrics.js";
import { reduceLoss } from "./reduction.js";
import type { Batch } from "./samples.js";
import { type ModelBatch, type TargetBatch, isGraphBatch } from "./graph_samples.js";

export interface StepResult {
  /** The batch loss (Σ_k w_k · Σ ℓ·w·m / Σ m over outputs k, plus regularization penalties). */
  loss: number;
  /** Sequences in the batch (Keras weights epoch averages by batch size). */
  size: number;
  /** Each output's own loss (before its loss weight), for models with several outputs. */
  outputLosses?: number[];
}

/** The model's input value for a batch: packed sequences (or, nested, packed sequences of sequences). */
export function inputValue(batch: Batch): LayerValue {
  if (batch.nested) return nestedValue(batch.layout, { kind: "sequence", layout: batch.nested.layout, data: batch.nested.x, width: batch.features, mask: null });
  return { kind: "sequence", layout: batch.layout, data: batch.x, width: batch.features, mask: batch.mask };
}

/** The model's input values for a batch of either kind (a vector input: one row per sample). */
export function inputValues(batch: ModelBatch): LayerValue[] {
  if (!isGraphBatch(batch)) return [inputValue(batch)];
  return batch.inputs.map((b, k) => (batch.vectorInputs[k] ? { kind: "vector", layout: b.layout, data: b.x, width: b.features } : inputValue(b)));
}

/** Each output's targets and weights. */
function targetsOf(batch: ModelBatch): TargetBatch[] {
  return isGraphBatch(batch) ? batch.targets : [{ y: batch.y, weights: batch.weights, labelOffsets: batch.labelOffsets }];
}

/**
 * Runs the model on a batch. A single-input batch goes through the model's `run` (a Sequential's
 * door, which tests and tools may wrap), a graph batch through `runMany`.
 */
function runModel(model: LayersModel, batch: ModelBatch, options: { training: boolean; needsGrad: boolean; rng?: Random }): ModelRun {
  const single = model as LayersModel & { run?: (input: LayerValue, o: typeof options) => { output: LayerValue; backward: (d: LayerValue) => void } };
  if (!isGraphBatch(batch) && typeof single.run === "function") {
    const pass = single.run(inputValue(batch), options);
    return { outputs: [pass.output], backward: ([d]) => (d ? pass.backward(d) : undefined) };
  }
  return model.runMany(inputValues(batch), options);
}

function sizeOf(batch: ModelBatch): number {
  return isGraphBatch(batch) ? batch.indices.length : batch.layout.batch;
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

function updateMetrics(metrics: readonly MetricAccumulator[], k: number, out: LayerValue, target: TargetBatch, mask: Float32Array | null): void {
  for (const m of metrics) if (m.outputIndex === k) m.updateFrom({ pred: out.data, target: target.y as Float32Array, rows: rowsOf(out), width: out.width, mask, weights: target.weights, layout: out.kind === "sequence" ? out.layout : undefined, labelOffsets: target.labelOffsets });
}

/**
 * Every output's loss on a batch (Σ ℓ·w·m / Σ m each), their weighted sum, and — with `withGrad` —
 * the gradient of the weighted sum for every output. Updates the metrics.
 */
function outputLosses(model: LayersModel, outputs: LayerValue[], batch: ModelBatch, metrics: readonly MetricAccumulator[], withGrad: boolean, denominators?: readonly number[]) {
  const targets = targetsOf(batch);
  let total = 0;
  const values: number[] = [];
  const counts: number[] = [];
  const grads = outputs.map((out, k) => {
    const mask = outputMask(out);
    const target = targets[k];
    const reduced = reduceLoss({ loss: model.losses[k], pred: out.data, target: target.y as Float32Array, rows: rowsOf(out), width: out.width, mask, weights: target.weights, withGrad, denominator: denominators?.[k], layout: out.kind === "sequence" ? out.layout : undefined, labelOffsets: target.labelOffsets });
    updateMetrics(metrics, k, out, target, mask);
    const w = model.lossWeights[k] ?? 1;
    total += w * reduced.value;
    values.push(reduced.value);
    counts.push(reduced.count);
    const grad = reduced.grad;
    if (grad && w !== 1) for (let i = 0; i < grad.length; i++) grad[i] *= w;
    return grad ? ({ ...out, data: grad } as LayerValue) : null;
  });
  return { total, values, counts, grads };
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
 * @param denominators - per output, the Σ m of the whole batch this is a share of (a model with
 *   several outputs split across threads: the shares' results then add up).
 */
export function shardGradients(model: LayersModel, batch: ModelBatch, metrics: readonly MetricAccumulator[] = [], rng?: Random, denominators?: readonly number[]): ShardResult {
  model.requireCompiled("computing gradients");
  for (const v of model.trainableWeights) v.grad.fill(0);
  // the step's activations and input gradients live in recycled arrays (NOTE [ step buffers ]): none leaves this scope
  return withStepBuffers(() => {
    const pass = runModel(model, batch, { training: true, needsGrad: true, rng });
    const reduced = outputLosses(model, pass.outputs, batch, metrics, true, denominators);
    pass.backward(reduced.grads);
    return { loss: reduced.total, count: reduced.counts[0], size: sizeOf(batch), ...(reduced.values.length > 1 ? { outputLosses: reduced.values } : {}) };
  });
}

/** The trainable variables' gradients, concatenated in `model.trainableWeights` order (a copy). */
export function trainableGrads(model: LayersModel): Float32Array {
  return concatenated(model.trainableWeights, "grad");
}

/** Every variable's `value` (or `grad`), concatenated in order (a copy). */
export function concatenated(variables: readonly Variable[], field: "value" | "grad"): Float32Array {
  const out = new Float32Array(variables.reduce((n, v) => n + v.size, 0));
  let at = 0;
  for (const v of variables) {
    out.set(v[field], at);
    at += v.size;
  }
  return out;
}

/**
 * Forward and backward on a batch: fills every trainable variable's `grad` with the gradient of the
 * batch loss (zeroing it first) and returns the loss. Changes no weight.
 */
export function computeGradients(model: LayersModel, batch: ModelBatch, metrics: readonly MetricAccumulator[] = []): StepResult {
  const shard = shardGradients(model, batch, metrics);
  return { loss: shard.loss + regularization(model, true), size: shard.size, ...(shard.outputLosses ? { outputLosses: shard.outputLosses } : {}) };
}

/** Σ of the weight regularizers' penalties (Keras adds them to the training loss); adds their gradients when asked. */
export function regularization(model: LayersModel, withGrad: boolean): number {
  let penalty = 0;
  for (const v of model.trainableWeights) if (v.regularizer) penalty += regularize(v.regularizer, v.value, withGrad ? v.grad : null);
  return penalty;
}

/** One optimizer step on a batch; returns its loss (before the update). */
export function trainStep(model: LayersModel, batch: ModelBatch, metrics: readonly MetricAccumulator[] = []): StepResult {
  const { optimizer } = model.requireCompiled("training");
  const result = computeGradients(model, batch, metrics);
  optimizer.apply(model.trainableWeights);
  return result;
}

export function evaluateStep(model: LayersModel, batch: ModelBatch, metrics: readonly MetricAccumulator[] = []): StepResult {
  model.requireCompiled("evaluation");
  const outputs = runModel(model, batch, { training: false, needsGrad: false }).outputs;
  const reduced = outputLosses(model, outputs, batch, metrics, false);
  return { loss: reduced.total + regularization(model, false), size: sizeOf(batch), ...(reduced.values.length > 1 ? { outputLosses: reduced.values } : {}) };
}

/** The first output (the only one of most models). */
export function predictStep(model: LayersModel, batch: ModelBatch): LayerValue {
  return predictOutputs(model, batch)[0];
}

/** Every output's value on a batch. */
export function predictOutputs(model: LayersModel, batch: ModelBatch): LayerValue[] {
  return runModel(model, batch, { training: false, needsGrad: false }).outputs;
}
