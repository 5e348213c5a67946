/**
 * Masks for padded batches (Keras' `mask`: true = real step, false = padding), the way between masks
 * and lengths, and `packPadded`: the padded+masked → packed conversion at the model's edge, so
 * Keras-style padded input runs on the packed engine (see NOTE [ the packed layout ] in packed.ts).
 * Which masks can be converted is stated once in NOTE [ contiguous masks ] (`_internal/mask_run.ts`).
 */
import { RaggedError, check, describe } from "../core/errors.js";
import { type MaskRun, type MaskSide, contiguousRun, lengthRun, maskRun, maskedRun } from "./_internal/mask_run.js";
import { type PaddingSide, parsePaddingSide } from "./_internal/padding_side.js";
import { type StepShape, checkList, shapeMismatch, stepShape } from "./_internal/steps.js";
import { type PackedBatch, type Step, packBatch } from "./packed.js";

export type { MaskSide } from "./_internal/mask_run.js";

/** A mask: `mask[i][t]` is true (or non-zero) when step t of row i is real, false (or 0) for padding. */
export type MaskRows = ReadonlyArray<ArrayLike<boolean | number>>;

export interface MaskFromLengthsOptions {
  /** Steps per row. Default: the longest length. Longer lengths are cut to it, as `padSequences` does. */
  maxlen?: number;
  /** Where the padding is: `"pre"` (default, as `padSequences`) or `"post"`. */
  padding?: PaddingSide;
}

/**
 * The mask of rows padded to `maxlen` (TF's `sequence_mask`, with a padding side).
 * Shapes: lengths [B] → mask [B, maxlen].
 * @param lengths - real steps per row, non-negative integers.
 * @param options - `maxlen` and `padding`; see `MaskFromLengthsOptions`.
 * @returns a new `boolean[][]`.
 * @throws RaggedError `INVALID_ARGUMENT` (negative or non-integer length or maxlen, unknown side).
 * @example
 * maskFromLengths([1, 3], { maxlen: 3 });                    // [[false, false, true], [true, true, true]]
 * maskFromLengths([1, 3], { maxlen: 3, padding: "post" });   // [[true, false, false], [true, true, true]]
 */
export function maskFromLengths(lengths: ArrayLike<number>, options: MaskFromLengthsOptions = {}): boolean[][] {
  const padding = parsePaddingSide(options.padding, "padding");
  checkList(lengths, "lengths", "one length per row");
  let longest = 0;
  for (let i = 0; i < lengths.length; i++) {
    const n = lengths[i];
    check(Number.isInteger(n) && n >= 0, "Lengths must be non-negative integers.", {
      expected: "an integer ≥ 0 for every row",
      received: `lengths[${i}] = ${describe(n)}`,
    });
    longest = Math.max(longest, n);
  }
  const maxlen = options.maxlen ?? longest;
  check(Number.isInteger(maxlen) && maxlen >= 0, "maxlen must be an integer ≥ 0.", {
    expected: "maxlen: a non-negative integer, or undefined for the longest length",
    received: `maxlen: ${describe(maxlen)}`,
  });
  const out: boolean[][] = [];
  for (let i = 0; i < lengths.length; i++) {
    const real = Math.min(lengths[i], maxlen);
    const row = new Array<boolean>(maxlen).fill(false);
    const start = padding === "pre" ? maxlen - real : 0;
    row.fill(true, start, start + real);
    out.push(row);
  }
  return out;
}

/**
 * Real steps per row of a contiguous mask (either padding side, per row).
 * @param mask - see `MaskRows`.
 * @returns a new array of lengths.
 * @throws RaggedError `MASK_NOT_CONTIGUOUS` when a row has holes (NOTE [ contiguous masks ]);
 *   `BAD_INPUT` when a value is not a boolean or number.
 * @example
 * lengthsFromMask([[false, true, true], [true, false, false]]); // [2, 1]
 * lengthsFromMask([[true, false, true]]); // throws MASK_NOT_CONTIGUOUS
 */
export function lengthsFromMask(mask: MaskRows): number[] {
  checkList(mask, "mask", "one mask row per sequence");
  return Array.from({ length: mask.length }, (_, i) => contiguousRun(mask[i], `mask[${i}]`).length);
}

/**
 * Where the padding of one mask row sits: `"pre"` (before the real steps), `"post"` (after them),
 * `"either"` (no padding, or nothing but padding: both readings agree), or `"holes"` (padding
 * between real steps or on both sides of them; see NOTE [ contiguous masks ]).
 * @param row - one mask row.
 * @returns the side.
 * @throws RaggedError `BAD_INPUT` when a value is not a boolean or number.
 * @example
 * maskPaddingSide([0, 1, 1]); // "pre"
 * maskPaddingSide([1, 1, 0]); // "post"
 * maskPaddingSide([1, 1, 1]); // "either"
 * maskPaddingSide([1, 0, 1]); // "holes"
 */
export function maskPaddingSide(row: ArrayLike<boolean | number>): MaskSide {
  return maskRun(row, "row").side;
}

/**
 * Whether every row of `mask` is contiguous (has no holes), i.e. whether `lengthsFromMask` and
 * `packPadded` accept it.
 * @param mask - see `MaskRows`.
 * @returns true when no row's side is `"holes"`.
 * @throws RaggedError `BAD_INPUT` when a value is not a boolean or number.
 * @example
 * maskIsContiguous([[0, 1], [1, 0]]); // true (one row pre-, one post-padded)
 * maskIsContiguous([[1, 0, 1]]);      // false
 */
export function maskIsContiguous(mask: MaskRows): boolean {
  checkList(mask, "mask", "one mask row per sequence");
  for (let i = 0; i < mask.length; i++) if (maskRun(mask[i], `mask[${i}]`).side === "holes") return false;
  return true;
}

/**
 * The mask Keras computes from padded values. Feature rows ([B, T, C]): a step is padding when ALL
 * its features equal `maskValue` (`layers.Masking`). Token rows ([B, T]): a step is padding when it
 * equals `maskValue`; 0 gives `layers.Embedding({ maskZero: true })`. A NaN `maskValue` masks
 * nothing, as in Keras (NaN ≠ NaN).
 * @param padded - padded rows, token or feature.
 * @param maskValue - the padding value, default 0 (Keras' default for both layers).
 * @returns a new `boolean[][]`, true = real step.
 * @throws RaggedError `BAD_SEQUENCE` when a row or step is not numbers / lists of numbers.
 * @example
 * maskFromValue([[0, 0, 5], [3, 0, 4]]);              // [[false, false, true], [true, false, true]]
 * maskFromValue([[[0, 0], [0, 1]]], 0);               // [[false, true]]
 * maskFromValue([[[-1, -1], [2, -1]]], -1);           // [[false, true]]
 */
export function maskFromValue(
  padded: ReadonlyArray<ArrayLike<number>> | ReadonlyArray<ArrayLike<ArrayLike<number>>>,
  maskValue: number = 0,
): boolean[][] {
  check(typeof maskValue === "number", "maskValue must be a number.", {
    expected: "maskValue: a number (default 0)",
    received: `maskValue: ${describe(maskValue)}`,
  });
  checkList(padded, "padded", "a list of padded rows");
  const out: boolean[][] = [];
  for (let i = 0; i < padded.length; i++) {
    const row: ArrayLike<number | ArrayLike<number>> = padded[i];
    checkList(row, `padded[${i}]`, "a padded row: a list of steps");
    const flags: boolean[] = [];
    for (let t = 0; t < row.length; t++) {
      const step = row[t];
      stepShape(step, `padded[${i}][${t}]`);
      flags.push(typeof step === "number" ? step !== maskValue : Array.prototype.some.call(step, (v) => v !== maskValue));
    }
    out.push(flags);
  }
  return out;
}

export interface PackPaddedOptions {
  /** The mask, true = real step (e.g. from `maskFromValue` or `maskFromLengths`). */
  mask?: MaskRows;
  /** Real steps per row; where they sit is given by `padding`. */
  lengths?: ArrayLike<number>;
  /** With `lengths`: `"pre"` (default, as `padSequences`) or `"post"`. Masks say it themselves. */
  padding?: PaddingSide;
  /** Derive the mask with `maskFromValue(padded, maskValue)`: 0 for `maskZero` token ids. */
  maskValue?: number;
  /** Features per step. Default: the width of the first step (1 for token rows). */
  features?: number;
}

/**
 * Converts a padded, masked batch into the packed batch of its real steps, kept in order: the same
 * `PackedBatch` that `packBatch` gives for the unpadded sequences. Each row may be padded on either
 * side. Give exactly one of `mask`, `lengths` (+ `padding`) or `maskValue`.
 * Shapes: [B, T] or [B, T, C] → data [Σlᵢ, C]. Does not mutate its input.
 * @param padded - padded rows, token (`number[][]`) or feature (`number[][][]`).
 * @param options - where the real steps are, and `features`; see `PackPaddedOptions`.
 * @returns the packed batch (see NOTE [ the packed layout ]); an all-padding row has length 0.
 * @throws RaggedError `MASK_NOT_CONTIGUOUS` (a row with holes: NOTE [ contiguous masks ]),
 *   `INVALID_ARGUMENT` (not exactly one of mask/lengths/maskValue; bad length), `BATCH_MISMATCH`,
 *   `SHAPE_MISMATCH` (mask row length ≠ row length), `FEATURE_MISMATCH`, `NON_FINITE`, `BAD_SEQUENCE`.
 * @example
 * const p = packPadded([[0, 0, 1], [0, 2, 3]], { maskValue: 0 });
 * p.data;              // Float32Array [2, 1, 3]
 * p.layout.lengths;    // Int32Array [1, 2]
 */
export function packPadded(
  padded: ReadonlyArray<ArrayLike<number>> | ReadonlyArray<ArrayLike<ArrayLike<number>>>,
  options: PackPaddedOptions,
): PackedBatch {
  const given = (["mask", "lengths", "maskValue"] as const).filter((k) => options[k] !== undefined);
  check(given.length === 1, "packPadded needs exactly one way to find the real steps.", {
    expected: "one of { mask }, { lengths, padding } or { maskValue }",
    received: given.length === 0 ? "none of them" : `${given.join(" and ")}`,
    help: "for Keras Masking / Embedding(maskZero) input, pass { maskValue: 0 }",
  });
  const padding = parsePaddingSide(options.padding, "padding");
  const f = options.features;
  check(f === undefined || (Number.isInteger(f) && f >= 1), "features must be a positive integer.", {
    expected: "features: an integer ≥ 1, or undefined to read it from the first step",
    received: `features: ${describe(f)}`,
  });
  checkList(padded, "padded", "a list of padded rows");
  const rows: ArrayLike<number | ArrayLike<number>>[] = [];
  for (let i = 0; i < padded.length; i++) {
    checkList(padded[i], `padded[${i}]`, "a padded row: a list of steps");
    rows.push(padded[i]);
  }
  const source = options.mask ?? options.lengths;
  if (source !== undefined) {
    checkList(source, options.mask ? "mask" : "lengths", "one entry per padded row");
    if (source.length !== rows.length) {
      throw new RaggedError("BATCH_MISMATCH", `packPadded needs one ${options.mask ? "mask row" : "length"} per row.`, {
        expected: `${rows.length} (the number of padded rows)`,
        received: `${source.length}`,
      });
    }
  }
  const valueMask = options.maskValue !== undefined ? maskFromValue(padded, options.maskValue) : undefined;
  const runOf = (i: number): MaskRun => {
    if (options.mask) return maskedRun(options.mask[i], rows[i].length, i);
    if (options.lengths) return lengthRun(options.lengths[i], rows[i].length, padding, `lengths[${i}]`);
    return contiguousRun((valueMask as boolean[][])[i], `mask[${i}] (from maskValue ${options.maskValue})`);
  };
  let shape: StepShape | undefined;
  const sequences: Step[][] = [];
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i];
    if (shape === undefined && row.length > 0) shape = stepShape(row[0], `padded[${i}][0]`);
    const { start, length } = runOf(i);
    const seq: Step[] = [];
    for (let t = start; t < start + length; t++) {
      const where = `padded[${i}][${t}]`;
      const s = stepShape(row[t], where);
      if (s !== shape) throw shapeMismatch(shape as StepShape, s, where);
      checkFinite(row[t], where);
      seq.push(row[t]);
    }
    sequences.push(seq);
  }
  const features = options.features ?? (shape === undefined || shape === "scalar" ? 1 : shape);
  return packBatch(sequences, { features, name: "padded" });
}

function checkFinite(step: number | ArrayLike<number>, where: string): void {
  const values = typeof step === "number" ? [step] : step;
  for (let c = 0; c < values.length; c++) {
    if (!Number.isFinite(values[c])) {
      throw new RaggedError("NON_FINITE", `${where} is a real step but not finite.`, {
        expected: "finite numbers in every real (unmasked) step",
        received: describe(values[c]),
        help: "NaN or Infinity may be used as padding only where the mask marks it as padding",
      });
    }
  }
}
