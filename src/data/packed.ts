/**
 * NOTE [ the packed layout ]
 * A batch of sequences of different lengths is held time-major and padding-free, as PyTorch's
 * PackedSequence: the sequences are ordered by length, longest first (ties keep caller order), and
 * the rows are step 0 of every sequence, then step 1 of every sequence still running, and so on.
 * `batchSizes[t]` is how many sequences are still running at step t, `offsets[t]` the first row of
 * step t. The sequence at sorted position j has its step t at row `offsets[t] + j` (when j <
 * batchSizes[t]), so the rows of step t form one contiguous block, and so do the rows of step t−1
 * that feed it: an RNN step is a GEMM on a block, never a gather.
 *
 * Example: sequences a = [a0 a1 a2], x = [x0], b = [b0 b1] (caller order a, x, b):
 *   sorted order a, b, x;  rows: a0 b0 x0 | a1 b1 | a2;  batchSizes = [3, 2, 1];
 *   offsets = [0, 3, 5, 6];  sortedIndices = [0, 2, 1];  unsortedIndices = [0, 2, 1].
 *
 * A sequence of length 0 is valid: it sits at the end of the sorted order and owns no rows.
 * Layouts are immutable and built only by `packLayout` / `packBatch` (and by the padded→packed
 * conversion in `mask.ts`), so their invariants hold everywhere they are read.
 */
import { RaggedError, describe } from "../core/errors.js";

import type { PackedLayout } from "../core/packed_layout.js";
export type { PackedLayout };

/** A packed batch: `data` is [N, features] in the rows of `layout`. Built by `packBatch`. */
export interface PackedBatch {
  readonly layout: PackedLayout;
  /** [N, features] row-major. */
  readonly data: Float32Array;
  readonly features: number;
}

/**
 * Builds the layout for sequences of the given lengths (caller order).
 * @param lengths - one non-negative integer per sequence.
 * @returns the immutable layout; see NOTE [ the packed layout ].
 * @throws RaggedError `INVALID_ARGUMENT` for a negative or non-integer length.
 * @example
 * const l = packLayout([3, 1, 2]);
 * l.batchSizes; // Int32Array [3, 2, 1]
 */
export function packLayout(lengths: ArrayLike<number>): PackedLayout {
  const batch = lengths.length;
  const lens = new Int32Array(batch);
  for (let i = 0; i < batch; i++) {
    const n = lengths[i];
    if (!Number.isInteger(n) || n < 0) {
      throw new RaggedError("INVALID_ARGUMENT", `Sequence lengths must be non-negative integers.`, {
        expected: "an integer ≥ 0 for every sequence",
        received: `lengths[${i}] = ${describe(n)}`,
      });
    }
    lens[i] = n;
  }
  const order = Array.from({ length: batch }, (_, i) => i);
  order.sort((a, b) => lens[b] - lens[a] || a - b); // longest first; ties keep caller order
  const sortedIndices = Int32Array.from(order);
  const unsortedIndices = new Int32Array(batch);
  const sortedLengths = new Int32Array(batch);
  for (let j = 0; j < batch; j++) {
    unsortedIndices[sortedIndices[j]] = j;
    sortedLengths[j] = lens[sortedIndices[j]];
  }
  const maxLength = batch > 0 ? sortedLengths[0] : 0;
  const batchSizes = new Int32Array(maxLength);
  let running = batch;
  for (let t = 0; t < maxLength; t++) {
    while (running > 0 && sortedLengths[running - 1] <= t) running--;
    batchSizes[t] = running;
  }
  const offsets = new Int32Array(maxLength + 1);
  for (let t = 0; t < maxLength; t++) offsets[t + 1] = offsets[t] + batchSizes[t];
  return Object.freeze({
    batch,
    lengths: lens,
    sortedLengths,
    sortedIndices,
    unsortedIndices,
    batchSizes,
    offsets,
    maxLength,
    totalSteps: offsets[maxLength],
  });
}

/** The row of step `t` of the sequence at sorted position `j` (requires t < its length). */
export function rowOf(layout: PackedLayout, j: number, t: number): number {
  return layout.offsets[t] + j;
}

/** One step of a sequence: its features, or a single number when there is one feature. */
export type Step = ArrayLike<number> | number;
/** One sequence: a list of steps. */
export type Sequence = ArrayLike<Step>;

export interface PackBatchOptions {
  /** Features per step. Inferred from the first step when omitted. */
  features?: number;
  /** How the input is named in error messages (default `"xs"`). */
  name?: string;
}

/**
 * Packs a list of sequences of any lengths into one padding-free batch.
 * Validates at the boundary: every step must have `features` finite numbers.
 * Does not mutate its input.
 * @param sequences - `sequences[i][t]` is step t of sequence i: an array of features, or a number
 *   when there is one feature.
 * @returns the packed batch (see NOTE [ the packed layout ]).
 * @throws RaggedError `BAD_SEQUENCE` (not a list of steps), `FEATURE_MISMATCH` (wrong number of
 *   features), `NON_FINITE` (NaN or ±Infinity).
 * @example
 * const p = packBatch([[[1], [2], [3]], [[4]], [[5], [6]]]);
 * p.data;              // Float32Array [1, 5, 4, 2, 6, 3]
 * p.layout.batchSizes; // Int32Array [3, 2, 1]
 */
export function packBatch(sequences: ArrayLike<Sequence>, options: PackBatchOptions = {}): PackedBatch {
  const name = options.name ?? "xs";
  if (sequences === null || typeof sequences !== "object" || typeof sequences.length !== "number") {
    throw new RaggedError("BAD_SEQUENCE", `${name} must be a list of sequences.`, {
      expected: `${name}[i] = one sequence, a list of steps`,
      received: describe(sequences),
    });
  }
  const batch = sequences.length;
  const lengths = new Int32Array(batch);
  let features = options.features ?? -1;
  if (options.features !== undefined && (!Number.isInteger(options.features) || options.features < 1)) {
    throw new RaggedError("INVALID_ARGUMENT", "packBatch `features` must be a positive integer.", { received: `features = ${describe(options.features)}` });
  }
  for (let i = 0; i < batch; i++) {
    const seq = sequences[i];
    if (seq === null || typeof seq !== "object" || typeof (seq as ArrayLike<Step>).length !== "number") {
      throw new RaggedError("BAD_SEQUENCE", `${name}[${i}] is not a sequence (a list of steps).`, {
        expected: "a list of steps, each a list of numbers (or a number when there is one feature)",
        received: describe(seq),
        help: `to pass one sequence, wrap it: [${name}[${i}]]`,
      });
    }
    lengths[i] = seq.length;
    if (features < 0 && seq.length > 0) features = stepWidth(seq[0], `${name}[${i}][0]`);
  }
  if (features < 0) features = 1; // every sequence empty: the width does not matter
  const layout = packLayout(lengths);
  const data = new Float32Array(layout.totalSteps * features);
  for (let j = 0; j < batch; j++) {
    const i = layout.sortedIndices[j];
    const seq = sequences[i];
    for (let t = 0; t < seq.length; t++) {
      const row = layout.offsets[t] + j;
      writeStep(data, row * features, seq[t], features, name, i, t);
    }
  }
  return Object.freeze({ layout, data, features });
}

function stepWidth(step: Step, where: string): number {
  if (typeof step === "number") return 1;
  if (step !== null && typeof step === "object" && typeof step.length === "number") return step.length;
  throw new RaggedError("BAD_SEQUENCE", `${where} is not a step.`, {
    expected: "a list of feature values, or one number",
    received: describe(step),
  });
}

function writeStep(
  out: Float32Array,
  at: number,
  step: Step,
  features: number,
  name: string,
  i: number,
  t: number,
): void {
  if (typeof step === "number") {
    if (features !== 1) throw featureMismatch(features, 1, name, i, t);
    if (!Number.isFinite(step)) throw nonFinite(step, `${name}[${i}][${t}]`);
    out[at] = step;
    return;
  }
  if (step === null || typeof step !== "object" || typeof step.length !== "number") {
    throw new RaggedError("BAD_SEQUENCE", `${name}[${i}][${t}] is not a step.`, {
      expected: `a list of ${features} numbers`,
      received: describe(step),
    });
  }
  if (step.length !== features) throw featureMismatch(features, step.length, name, i, t);
  for (let c = 0; c < features; c++) {
    const v = step[c];
    if (typeof v !== "number" || !Number.isFinite(v)) throw nonFinite(v, `${name}[${i}][${t}][${c}]`);
    out[at + c] = v;
  }
}

function featureMismatch(expected: number, got: number, name: string, i: number, t: number): RaggedError {
  return new RaggedError("FEATURE_MISMATCH", `Every step of ${name} must have the same number of features.`, {
    expected: `${expected} feature${expected === 1 ? "" : "s"} per step`,
    received: `${got} at ${name}[${i}][${t}]`,
    help: "check how the sequence was built; the model's inputShape fixes the feature count",
  });
}

function nonFinite(v: unknown, where: string): RaggedError {
  return new RaggedError("NON_FINITE", `${where} is not a finite number.`, {
    expected: "finite numbers (no NaN, Infinity or non-numbers)",
    received: describe(v),
    help: "clean or impute missing values before training",
  });
}

/**
 * Unpacks rows of width `width` laid out by `layout` back into caller order: `out[i][t]` is the
 * row of step t of sequence i. The inverse of `packBatch` (a round trip gives the input back).
 * @example
 * unpackBatch(packBatch([[[1], [2]], [[3]]])); // [[[1], [2]], [[3]]]
 */
export function unpackBatch(packed: PackedBatch): number[][][] {
  return unpackRows(packed.data, packed.features, packed.layout);
}

/**
 * `data[at .. at + width)` as a plain array. A copying loop: `Array.from(data.subarray(…))` makes a
 * view object and walks an iterator per row, and was 15 % of a one-sequence `predict`.
 */
export function rowToArray(data: Float32Array, at: number, width: number): number[] {
  const row: number[] = [];
  for (let k = 0; k < width; k++) row.push(data[at + k]);
  return row;
}

/** `unpackBatch` on bare rows: [N, width] → out[i][t] (caller order). */
export function unpackRows(data: Float32Array, width: number, layout: PackedLayout): number[][][] {
  const out: number[][][] = new Array(layout.batch);
  for (let i = 0; i < layout.batch; i++) {
    const j = layout.unsortedIndices[i];
    const len = layout.lengths[i];
    const seq: number[][] = new Array(len);
    for (let t = 0; t < len; t++) {
      const at = (layout.offsets[t] + j) * width;
      seq[t] = rowToArray(data, at, width);
    }
    out[i] = seq;
  }
  return out;
}

/** Rows per sequence [B, width] held in sorted order → out[i] in caller order. */
export function unsortRows(data: Float32Array, width: number, layout: PackedLayout): number[][] {
  const out: number[][] = new Array(layout.batch);
  for (let i = 0; i < layout.batch; i++) {
    const at = layout.unsortedIndices[i] * width;
    out[i] = rowToArray(data, at, width);
  }
  return out;
}
