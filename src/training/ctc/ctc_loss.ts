/**
 * Connectionist Temporal Classification loss (Graves et al. 2006), Keras 3 semantics
 * (`keras.losses.CTC`, `keras.ops.ctc_loss`): for each sample, −log p(labels | predictions), summed
 * over every alignment of the label sequence to the prediction's steps, then averaged over the
 * samples of the batch ("sum_over_batch_size": Σ ℓᵢ·wᵢ / B).
 *
 * pred: [N, K] packed rows (N = Σ Tᵢ steps, K classes including the blank), labels: per sample a
 * list of class ids of any length Lᵢ → per-sample values: [B]; grad: [N, K].
 *
 * The targets are label sequences, not per-step rows (NOTE [ label-sequence targets ] in
 * training/samples.ts): `ys[i]` is a plain list of class ids, `[7, 3, 3, 12]`, shorter than (or as
 * long as) `xs[i]`, with no padding and no length tensors.
 *
 * Options:
 * - `blankIndex` (default 0): the class that means "no label". 0 as in Keras 3 (`mask_index=0` in
 *   `ops.ctc_loss`, `losses.CTC` and `ops.ctc_decode`) and PyTorch (`nn.CTCLoss(blank=0)`); a
 *   negative value counts from the end (−1 = the last class, the blank of Keras 2's
 *   `ctc_batch_cost` and TensorFlow 1's `ctc_loss`). Real labels are then the other K − 1 classes.
 * - `fromLogits` (default false): predictions are logits (log-softmax is applied) rather than
 *   probabilities (log(p + ε), ε = 1e-7, as Keras 2's `ctc_batch_cost` did on softmax outputs).
 * - `zeroInfinity` (default false): see NOTE [ impossible alignments ].
 *
 * Porting note: `keras.losses.CTC` always takes logits and has no option for it; ragged's `ctc`
 * takes probabilities unless `fromLogits: true`, like every other ragged (and Keras) loss with a
 * `fromLogits` option, so a softmax output layer works as it does with crossentropy. A mismatch is
 * detected from the values: with `fromLogits: false` every row must be a probability distribution
 * (entries ≥ 0 summing to 1 within 1e-3); with `fromLogits: true` a batch whose rows all are one
 * is taken as a softmax output passed as logits. Both are `PREDICTION_MISMATCH` errors.
 *
 * NOTE [ impossible alignments ]
 * A label sequence needs at least L + (number of adjacent repeats) steps (a blank must separate
 * "A A"); with fewer steps — including an empty prediction with a non-empty label — no alignment
 * exists and p = 0. As PyTorch's `nn.CTCLoss` (and TensorFlow, which returns inf), that sample's
 * loss is +Infinity by default and its gradient is zero (PyTorch's would be NaN; ragged never
 * returns NaN), so the epoch loss shows Infinity and `terminateOnNaN` stops on it. With
 * `zeroInfinity: true` (PyTorch's `zero_infinity`) the sample's loss is 0 instead: it is skipped,
 * and the others train. A sample with sample weight 0 adds 0 either way.
 */
import { RaggedError, describe } from "../../core/errors.js";
import type { PackedLayout } from "../../data/packed.js";
import type { Loss, LossArgs } from "../losses.js";
import { ctcBackward, ctcForward, ctcGradLogProbs } from "./ctc_kernel.js";

/** The ε added to probabilities before the log (Keras' `backend.epsilon()`, as in losses.ts). */
const EPSILON = 1e-7;
/** How far a probability row's sum may be from 1 (float32 softmax rounds to ~1e-7 per entry). */
const SUM_TOLERANCE = 1e-3;

/** Options of the `ctc` loss. */
export interface CTCOptions {
  /** The blank class (default 0, as Keras 3 and PyTorch); negative counts from the end (−1 = last). */
  blankIndex?: number;
  /** Predictions are logits (default false: probabilities, e.g. a softmax output). */
  fromLogits?: boolean;
  /** An impossible alignment gives loss 0 instead of +Infinity (default false). */
  zeroInfinity?: boolean;
}

/** What a loss over label sequences receives (NOTE [ label-sequence targets ]). */
export interface SequenceLossArgs {
  /** [N, width] packed prediction rows. */
  pred: Float32Array;
  /** The prediction's layout: sequence j (sorted order) has rows offsets[t] + j, t < sortedLengths[j]. */
  layout: PackedLayout;
  /** All samples' label ids, concatenated in the layout's sorted order. */
  labels: Float32Array;
  /** [B + 1]: the labels of sorted sequence j are labels[labelOffsets[j] … labelOffsets[j+1]). */
  labelOffsets: Int32Array;
  width: number;
  /** Where to write d(Σ_j scale_j·ℓ_j)/dpred ([N, width]); null for the values only. */
  grad: Float32Array | null;
  /** [B] per-sequence factor for the gradient (sorted order). */
  scale: Float32Array | null;
}

/** The resolved blank class for `width` classes. */
export function blankClass(blankIndex: number, width: number): number {
  return blankIndex < 0 ? width + blankIndex : blankIndex;
}

/**
 * The CTC loss. Use it by name (`compile({ loss: "ctc" })`, `{ name: "ctc", fromLogits: true }`)
 * or build it here.
 * @param options - `blankIndex` (0), `fromLogits` (false), `zeroInfinity` (false); see the file comment.
 * @returns a Loss over label sequences (`targets: "labelSequences"`).
 * @throws RaggedError `INVALID_ARGUMENT` for a non-integer `blankIndex` or non-boolean flags.
 * @example
 * const model = sequential([
 *   layers.embedding({ inputDim: 28, outputDim: 32, inputShape: [null] }),
 *   layers.bidirectional({ layer: layers.lstm({ units: 64, returnSequences: true }) }),
 *   layers.timeDistributed({ layer: layers.dense({ units: 40, activation: "softmax" }) }), // 39 phonemes + blank 0
 * ]);
 * model.compile({ loss: "ctc", optimizer: "adam" });
 * await model.fit(spellings, pronunciations); // pronunciations[i]: class ids 1..39, any length ≤ the input's
 */
export function ctc(options: CTCOptions = {}): Loss {
  const blankIndex = options.blankIndex ?? 0;
  const fromLogits = options.fromLogits ?? false;
  const zeroInfinity = options.zeroInfinity ?? false;
  if (!Number.isInteger(blankIndex)) {
    throw new RaggedError("INVALID_ARGUMENT", "CTC `blankIndex` must be an integer class id.", {
      expected: "an integer: 0 (default), or negative to count from the last class (−1)",
      received: `blankIndex = ${describe(blankIndex)}`,
    });
  }
  for (const [key, value] of [["fromLogits", fromLogits], ["zeroInfinity", zeroInfinity]] as const) {
    if (typeof value !== "boolean") throw new RaggedError("INVALID_ARGUMENT", `CTC option \`${key}\` must be a boolean.`, { received: `${key} = ${describe(value)}` });
  }
  return {
    name: "ctc",
    options: { blankIndex, fromLogits, zeroInfinity },
    targets: "labelSequences",
    targetWidth: () => 0,
    compute(_args: LossArgs): Float32Array {
      throw new RaggedError("UNSUPPORTED", "The ctc loss takes label sequences, not per-row targets.", {
        expected: "ctc used through compile/fit/evaluate, or loss.computeSequences({ pred, layout, labels, labelOffsets, … })",
        received: "loss.compute({ pred, target, rows, … })",
      });
    },
    readLabels: (value, where, width) => readLabels(value, where, width, blankClass(blankIndex, width)),
    computeSequences: (args) => ctcLossValues(args, { blank: blankClass(blankIndex, args.width), fromLogits, zeroInfinity }),
  };
}

/**
 * Copies one sample's label sequence, checking every id: an integer in [0, width) other than the
 * blank. Accepts a list of numbers or a typed array.
 * @throws RaggedError `TARGET_MISMATCH` naming the position of the first bad id.
 */
function readLabels(value: unknown, where: string, width: number, blank: number): Float32Array {
  if (value === null || typeof value !== "object" || typeof (value as ArrayLike<unknown>).length !== "number") {
    throw new RaggedError("TARGET_MISMATCH", `${where} must be a label sequence (a list of class ids).`, {
      expected: `a list of class ids in [0, ${width}) other than the blank ${blank}, of any length up to the prediction's`,
      received: describe(value),
      help: "ctc targets are one list of labels per sample, not one target per step",
    });
  }
  const list = value as ArrayLike<unknown>;
  const out = new Float32Array(list.length);
  for (let k = 0; k < list.length; k++) {
    const v = list[k];
    if (typeof v !== "number" || !Number.isInteger(v) || v < 0 || v >= width) {
      throw new RaggedError("TARGET_MISMATCH", `${where}[${k}] is not a class id of the model's ${width} outputs.`, {
        expected: `an integer in [0, ${width}) other than the blank ${blank}`,
        received: describe(v),
        help: `the model's last layer has ${width} units: one per label plus the blank`,
      });
    }
    if (v === blank) {
      throw new RaggedError("TARGET_MISMATCH", `${where}[${k}] is the blank index ${blank}, which cannot be a label.`, {
        expected: `labels in [0, ${width}) other than ${blank}`,
        received: `${v}`,
        help: blank === 0 ? "number your labels from 1 (0 is the blank), or pass blankIndex: -1 to use the last class as the blank" : "choose a blankIndex that no label uses",
      });
    }
    out[k] = v;
  }
  return out;
}

interface CTCSettings {
  blank: number;
  fromLogits: boolean;
  zeroInfinity: boolean;
}

/** Per-sequence CTC values [B] (sorted order) and, when asked, the gradient; see the file comment. */
export function ctcLossValues(args: SequenceLossArgs, settings: CTCSettings): Float32Array {
  const { pred, layout, labels, labelOffsets, width: K, grad, scale } = args;
  const { blank, fromLogits, zeroInfinity } = settings;
  checkBlank(blank, K);
  checkPredictions(pred, layout.totalSteps, K, fromLogits);
  const B = layout.batch;
  const out = new Float32Array(B);
  const maxT = layout.maxLength;
  let maxS = 1;
  for (let j = 0; j < B; j++) maxS = Math.max(maxS, 2 * (labelOffsets[j + 1] - labelOffsets[j]) + 1);
  const logProbs = new Float64Array(maxT * K);
  const alpha = new Float64Array(maxT * maxS);
  const beta = grad ? new Float64Array(maxT * maxS) : null;
  const dLogProbs = grad ? new Float64Array(maxT * K) : null;
  for (let j = 0; j < B; j++) {
    const T = layout.sortedLengths[j];
    const seqLabels = labels.subarray(labelOffsets[j], labelOffsets[j + 1]);
    gatherLogProbs(logProbs, pred, layout, j, T, K, fromLogits);
    const logLikelihood = ctcForward(alpha, logProbs, T, K, seqLabels, blank);
    const possible = logLikelihood > -Infinity;
    out[j] = possible ? 0 - logLikelihood : zeroInfinity ? 0 : Infinity; // 0 − x: never −0
    if (!grad || !beta || !dLogProbs) continue;
    const s = scale ? scale[j] : 1;
    if (!possible || s === 0) {
      for (let t = 0; t < T; t++) grad.fill(0, (layout.offsets[t] + j) * K, (layout.offsets[t] + j + 1) * K);
      continue;
    }
    ctcBackward(beta, logProbs, T, K, seqLabels, blank);
    ctcGradLogProbs(dLogProbs, alpha, beta, logProbs, T, K, seqLabels, blank, logLikelihood);
    scatterGrad(grad, dLogProbs, logProbs, pred, layout, j, T, K, fromLogits, s);
  }
  return out;
}

function checkBlank(blank: number, K: number): void {
  if (blank < 0 || blank >= K) {
    throw new RaggedError("INVALID_ARGUMENT", "The CTC blank index is not one of the model's classes.", {
      expected: `blankIndex in [−${K}, ${K}) for ${K} outputs`,
      received: `blank class ${blank}`,
    });
  }
}

/**
 * NOTE [ fromLogits from the values ]: probabilities must be rows of non-negative numbers summing to 1;
 * logits that all look like such rows are almost surely a softmax output passed with fromLogits.
 */
function checkPredictions(pred: Float32Array, rows: number, K: number, fromLogits: boolean): void {
  let allDistributions = rows > 0 && K > 1;
  for (let r = 0; r < rows; r++) {
    let sum = 0;
    let nonNegative = true;
    for (let k = 0; k < K; k++) {
      const p = pred[r * K + k];
      if (!(p >= 0)) nonNegative = false;
      sum += p;
    }
    const distribution = nonNegative && Math.abs(sum - 1) <= SUM_TOLERANCE;
    if (!fromLogits && !distribution) {
      throw new RaggedError("PREDICTION_MISMATCH", "The ctc loss expected probabilities, but a prediction row is not a probability distribution.", {
        expected: "rows of non-negative numbers summing to 1 (a softmax output)",
        received: `a row with sum ${sum.toPrecision(6)}${nonNegative ? "" : " and a negative or NaN entry"} (packed row ${r})`,
        help: 'for a linear output layer use { name: "ctc", fromLogits: true }; else end the model with a softmax',
      });
    }
    if (!distribution) allDistributions = false;
  }
  if (fromLogits && allDistributions) {
    throw new RaggedError("PREDICTION_MISMATCH", "The ctc loss expected logits, but every prediction row is a probability distribution.", {
      expected: "logits (a linear output layer) with fromLogits: true",
      received: `${rows} rows that are all non-negative and sum to 1 (a softmax output)`,
      help: 'drop fromLogits (use "ctc") for a softmax output, or remove the softmax',
    });
  }
}

/** logProbs[t] = log-softmax (logits) or log(p + ε) (probabilities) of packed row offsets[t] + j. */
function gatherLogProbs(logProbs: Float64Array, pred: Float32Array, layout: PackedLayout, j: number, T: number, K: number, fromLogits: boolean): void {
  for (let t = 0; t < T; t++) {
    const o = (layout.offsets[t] + j) * K;
    const lp = t * K;
    if (fromLogits) {
      let max = -Infinity;
      for (let k = 0; k < K; k++) if (pred[o + k] > max) max = pred[o + k];
      let sum = 0;
      for (let k = 0; k < K; k++) sum += Math.exp(pred[o + k] - max);
      const lse = max + Math.log(sum);
      for (let k = 0; k < K; k++) logProbs[lp + k] = pred[o + k] - lse;
    } else {
      for (let k = 0; k < K; k++) logProbs[lp + k] = Math.log(pred[o + k] + EPSILON);
    }
  }
}

/**
 * Chains d(−log p)/d logProbs back to the predictions, scaled by s:
 * logits: dz_k = g_k − softmax_k·Σ_j g_j; probabilities: dp_k = g_k / (p_k + ε).
 */
function scatterGrad(grad: Float32Array, g: Float64Array, logProbs: Float64Array, pred: Float32Array, layout: PackedLayout, j: number, T: number, K: number, fromLogits: boolean, s: number): void {
  for (let t = 0; t < T; t++) {
    const o = (layout.offsets[t] + j) * K;
    const lp = t * K;
    if (fromLogits) {
      let gSum = 0;
      for (let k = 0; k < K; k++) gSum += g[lp + k];
      for (let k = 0; k < K; k++) grad[o + k] = s * (g[lp + k] - Math.exp(logProbs[lp + k]) * gSum);
    } else {
      for (let k = 0; k < K; k++) grad[o + k] = s * (g[lp + k] / (pred[o + k] + EPSILON));
    }
  }
}
