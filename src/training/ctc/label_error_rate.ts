/**
 * Metrics for models trained with CTC: the predictions of each sequence are decoded greedily (best
 * path: argmax per step, repeats merged, blanks dropped — `ctcGreedyDecode`) and compared with the
 * sample's label sequence by edit distance (`editDistance`).
 *
 * - `labelErrorRate` (PER/CER): Σ edits / Σ reference length over the epoch — each sequence
 *   contributes its edits to the numerator and its reference length to the denominator, so long
 *   references weigh more (the corpus rate of `errorRates`, not a mean of per-word rates);
 * - `sequenceErrorRate` (WER for G2P): the share of sequences whose decoding is not exactly right;
 * - `sequenceAccuracy`: 1 − that, what "accuracy" means with a ctc loss.
 *
 * pred: [N, K] packed rows (scores whose per-step argmax is the best path: probabilities or
 * logits alike), labels: per sequence class ids → per sequence (numerator, denominator).
 *
 * Sample weights multiply both: Σ w·edits / Σ w·length, Σ w·wrong / Σ w. Names in logs are those
 * given ("labelErrorRate", "label_error_rate", "ler"…). The blank is the compiled ctc loss's
 * (`blankIndex`), or 0.
 */
import { RaggedError } from "../../core/errors.js";
import type { Metric, MetricArgs } from "../metrics.js";
import { editDistance } from "../edit_distance.js";
import { blankClass } from "./ctc_loss.js";
import { ctcGreedyDecode } from "./ctc_decode.js";

/** Options of the CTC metrics. */
export interface LabelErrorRateOptions {
  /** The blank class (default 0; negative counts from the end). Take it from the ctc loss. */
  blankIndex?: number;
  /** Name in logs (default "label_error_rate" / "sequence_error_rate"). */
  name?: string;
}

/** Per-sequence (numerator, denominator) pairs of a metric over label sequences. */
export interface SequenceMetricValues {
  numerators: Float32Array;
  denominators: Float32Array;
}

/**
 * Label error rate of greedy CTC decoding: Σ edit distance / Σ reference length.
 * @param options - `blankIndex` (0), `name`.
 * @returns a Metric over label sequences (`compile({ metrics: ["labelErrorRate"] })` builds it with
 *   the loss's blank).
 * @example
 * model.compile({ loss: "ctc", optimizer: "adam", metrics: ["labelErrorRate", "sequenceErrorRate"] });
 * // the progress bar shows label_error_rate / sequence_error_rate as named
 */
export function labelErrorRate(options: LabelErrorRateOptions = {}): Metric {
  return sequenceMetric(options.name ?? "label_error_rate", options.blankIndex ?? 0, (edits, length) => [edits, length]);
}

/**
 * Sequence error rate of greedy CTC decoding: the share of sequences decoded with any error (the
 * word error rate of grapheme-to-phoneme).
 * @param options - `blankIndex` (0), `name`.
 * @returns a Metric over label sequences.
 * @example
 * model.compile({ loss: "ctc", optimizer: "adam", metrics: ["sequenceErrorRate"] });
 */
export function sequenceErrorRate(options: LabelErrorRateOptions = {}): Metric {
  return sequenceMetric(options.name ?? "sequence_error_rate", options.blankIndex ?? 0, (edits) => [edits > 0 ? 1 : 0, 1]);
}

/**
 * Sequence accuracy of greedy CTC decoding: the share of sequences decoded exactly (1 − the
 * sequence error rate). What "accuracy" resolves to with a ctc loss.
 * @param options - `blankIndex` (0), `name` (default "sequence_accuracy").
 * @returns a Metric over label sequences.
 * @example
 * model.compile({ loss: "ctc", optimizer: "adam", metrics: ["accuracy"] });
 */
export function sequenceAccuracy(options: LabelErrorRateOptions = {}): Metric {
  return sequenceMetric(options.name ?? "sequence_accuracy", options.blankIndex ?? 0, (edits) => [edits === 0 ? 1 : 0, 1]);
}

function sequenceMetric(name: string, blankIndex: number, ratio: (edits: number, referenceLength: number) => [number, number]): Metric {
  return {
    name,
    targets: "labelSequences",
    compute(): Float32Array {
      throw new RaggedError("TARGET_MISMATCH", `Metric "${name}" compares decoded label sequences and needs a loss with label-sequence targets.`, {
        expected: 'compile({ loss: "ctc", metrics: ["' + name + '"] })',
        received: "a loss with one target row per output row",
      });
    },
    computeSequences(args: MetricArgs): SequenceMetricValues {
      const { pred, width: K, layout, labelOffsets, target } = args;
      if (!layout || !labelOffsets) return this.compute(args) as never;
      const blank = blankClass(blankIndex, K);
      const B = layout.batch;
      const numerators = new Float32Array(B);
      const denominators = new Float32Array(B);
      for (let j = 0; j < B; j++) {
        const decoded = ctcGreedyDecode(pred, layout.sortedLengths[j], K, blank, true, (t) => (layout.offsets[t] + j) * K).labels;
        const reference = target.subarray(labelOffsets[j], labelOffsets[j + 1]);
        [numerators[j], denominators[j]] = ratio(editDistance(reference, decoded), reference.length);
      }
      return { numerators, denominators };
    },
  };
}
