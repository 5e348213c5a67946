/**
 * NOTE [ loss reduction ]
 * Keras 3 reduces a masked, weighted loss as Σ ℓ·w·m / Σ m ("sum_over_batch_size" with the mask
 * folded into the weights), where m marks real entries and w is the sample weight. On packed rows
 * every row is real, so m = 1 on every row and the loss of a batch is Σ_r ℓ_r·w_r / (rows counted).
 * For one output per sequence, a sequence of length 0 has m = 0: it adds nothing to the loss.
 * A loss over label sequences (CTC) has one value per sequence and divides by B, every sequence
 * counting (`reduceSequenceLoss`).
 * Porting note: Keras adds ε = 1e-7 to the denominator; ragged divides by Σ m exactly and returns 0
 * for a batch with nothing real in it (a difference below 1e-7 relative on any real batch).
 */
import { RaggedError } from "../core/errors.js";
import type { PackedLayout } from "../data/packed.js";
import type { Loss } from "./losses.js";
import { stepArray, stepZeros } from "../core/step_buffers.js";

export interface ReducedLoss {
  /** The batch loss, Σ ℓ·w·m / Σ m. */
  value: number;
  /** d value / d pred, [rows, width]. */
  grad: Float32Array | null;
  /** Σ m (the denominator), for averaging across batches. */
  count: number;
}

export interface ReduceArgs {
  loss: Loss;
  pred: Float32Array;
  target: Float32Array;
  rows: number;
  width: number;
  /** [rows] 1 for real rows, 0 for rows that must not count; all real when null. */
  mask: Float32Array | null;
  /** [rows] sample weights; all 1 when null. */
  weights: Float32Array | null;
  withGrad: boolean;
  /**
   * Divide by this instead of this batch's Σ m: the Σ m of a whole batch when this is one thread's
   * share of it (NOTE [ data-parallel training ]), so the shares' losses and gradients simply add up.
   */
  denominator?: number;
  /** The prediction's layout; needed by label-sequence losses (NOTE [ label-sequence targets ]). */
  layout?: PackedLayout;
  /** [B + 1] label offsets of a label-sequence batch (`Batch.labelOffsets`); `target` holds the labels. */
  labelOffsets?: Int32Array | null;
}

export function reduceLoss(args: ReduceArgs): ReducedLoss {
  if (args.loss.targets === "labelSequences") return reduceSequenceLoss(args);
  const { loss, pred, target, rows, width, mask, weights, withGrad } = args;
  let count = 0;
  for (let r = 0; r < rows; r++) count += mask ? mask[r] : 1;
  const divisor = args.denominator ?? count;
  const scale = stepArray(rows); // written below; recycled inside a training step (NOTE [ step buffers ])
  for (let r = 0; r < rows; r++) {
    const m = mask ? mask[r] : 1;
    const w = weights ? weights[r] : 1;
    scale[r] = divisor > 0 ? (m * w) / divisor : 0;
  }
  const grad = withGrad ? stepZeros(rows * width) : null;
  const perRow = loss.compute({ pred, target, rows, width, grad, scale });
  let value = 0;
  for (let r = 0; r < rows; r++) value += perRow[r] * scale[r];
  return { value, grad, count };
}

/**
 * A label-sequence loss (CTC) reduced as Keras' "sum_over_batch_size": Σ ℓⱼ·wⱼ / B over the B
 * sequences of the batch. A sequence with weight 0 adds nothing, even when its loss is Infinity
 * (an impossible alignment), so the batch loss is never NaN.
 */
function reduceSequenceLoss(args: ReduceArgs): ReducedLoss {
  const { loss, pred, target, width, mask, weights, withGrad, layout, labelOffsets } = args;
  if (!layout || !labelOffsets || !loss.computeSequences || layout.batch + 1 !== labelOffsets.length) {
    throw new RaggedError("TARGET_MISMATCH", `The ${loss.name} loss needs per-step predictions and label-sequence targets.`, {
      expected: "a model that returns sequences (returnSequences: true on the last recurrent layer), trained on one label list per sample",
      received: layout ? "targets without label sequences" : "one prediction per sequence",
    });
  }
  if (mask) {
    throw new RaggedError("UNSUPPORTED", `The ${loss.name} loss cannot read predictions with masked steps inside a sequence.`, {
      expected: "ragged input, or padding only at the start or the end of each sequence",
      received: "a padding mask with holes",
    });
  }
  const B = layout.batch;
  const scale = stepArray(B); // written below
  const divisor = args.denominator ?? B; // a thread's share divides by the whole batch's B
  for (let j = 0; j < B; j++) scale[j] = divisor > 0 ? (weights ? weights[j] : 1) / divisor : 0;
  const grad = withGrad ? stepZeros(layout.totalSteps * width) : null;
  const perSequence = loss.computeSequences({ pred, layout, labels: target, labelOffsets, width, grad, scale });
  let value = 0;
  for (let j = 0; j < B; j++) if (scale[j] !== 0) value += perSequence[j] * scale[j];
  return { value, grad, count: B };
}
