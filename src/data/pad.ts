/**
 * `padSequences` and its inverse `unpadSequences`: Keras' `keras.utils.pad_sequences` for token
 * sequences (`number[][]`) and feature sequences (`number[][][]`), and the way back to ragged lists.
 *
 * Porting notes (Keras 3 `pad_sequences`):
 * - there is no `dtype`: values are kept as they are (Keras' default `"int32"` truncates floats);
 * - `maxlen: 0` gives empty rows (in Keras the numpy slice `s[-0:]` makes it fail);
 * - options and every step are validated up front, also steps that truncation drops.
 */
import { RaggedError, check, describe } from "../core/errors.js";
import { lengthRun, maskedRun } from "./_internal/mask_run.js";
import { type PaddingSide, parsePaddingSide } from "./_internal/padding_side.js";
import { type StepShape, checkList, copyStep, shapeMismatch, stepShape } from "./_internal/steps.js";
import type { MaskRows } from "./mask.js";

export type { PaddingSide } from "./_internal/padding_side.js";

export interface PadOptions {
  /** Length of every output row. Default: the longest sequence. */
  maxlen?: number;
  /** Where padding goes: `"pre"` (default, as Keras) or `"post"`. */
  padding?: PaddingSide;
  /** Which end is cut from sequences longer than `maxlen`: `"pre"` (default, as Keras) or `"post"`. */
  truncating?: PaddingSide;
  /** The padding value; for feature sequences every feature of a padding step. Default 0. */
  value?: number;
}

/**
 * Pads (and truncates) sequences to one length, as Keras `pad_sequences`.
 * Shapes: B × [lᵢ] → [B, maxlen]; B × [lᵢ, C] → [B, maxlen, C]. Returns new arrays; does not
 * mutate its input.
 * @param sequences - token sequences (`number[][]`) or feature sequences (`number[][][]`).
 * @param options - `maxlen`, `padding`, `truncating`, `value`; see `PadOptions`.
 * @returns the padded rows.
 * @throws RaggedError `INVALID_ARGUMENT` (maxlen not an integer ≥ 0, unknown side, value not a
 *   number), `BAD_SEQUENCE` (not a list of sequences of numbers or feature lists),
 *   `FEATURE_MISMATCH` (steps of different shapes).
 * @example
 * padSequences([[1], [2, 3], [4, 5, 6]]);              // [[0, 0, 1], [0, 2, 3], [4, 5, 6]]
 * padSequences([[1, 2, 3]], { maxlen: 2 });            // [[2, 3]]
 * padSequences([[1, 2, 3]], { maxlen: 2, truncating: "post" }); // [[1, 2]]
 * padSequences([[[1, 2]], []], { maxlen: 2, padding: "post", value: -1 });
 * // [[[1, 2], [-1, -1]], [[-1, -1], [-1, -1]]]
 */
export function padSequences(sequences: ReadonlyArray<ArrayLike<number>>, options?: PadOptions): number[][];
export function padSequences(
  sequences: ReadonlyArray<ArrayLike<ArrayLike<number>>>,
  options?: PadOptions,
): number[][][];
export function padSequences(
  sequences: ReadonlyArray<ArrayLike<number | ArrayLike<number>>>,
  options: PadOptions = {},
): number[][] | number[][][] {
  const padding = parsePaddingSide(options.padding, "padding");
  const truncating = parsePaddingSide(options.truncating, "truncating");
  const value = options.value ?? 0;
  check(typeof value === "number", "The padding value must be a number.", {
    expected: "value: a number (default 0)",
    received: `value: ${describe(value)}`,
  });
  const maxlen = options.maxlen;
  check(maxlen === undefined || (Number.isInteger(maxlen) && maxlen >= 0), "maxlen must be an integer ≥ 0.", {
    expected: "maxlen: a non-negative integer, or undefined for the longest sequence",
    received: `maxlen: ${describe(maxlen)}`,
  });
  const shape = checkSequences(sequences);
  let longest = 0;
  for (let i = 0; i < sequences.length; i++) longest = Math.max(longest, sequences[i].length);
  const width = maxlen ?? longest;
  const padStep = () => (shape === "scalar" ? value : new Array<number>(shape).fill(value));

  const out: (number | number[])[][] = [];
  for (let i = 0; i < sequences.length; i++) {
    const seq = sequences[i];
    const kept = Math.min(seq.length, width);
    const from = truncating === "pre" ? seq.length - kept : 0;
    const row: (number | number[])[] = [];
    if (padding === "pre") for (let t = kept; t < width; t++) row.push(padStep());
    for (let t = 0; t < kept; t++) row.push(copyStep(seq[from + t]));
    if (padding === "post") for (let t = kept; t < width; t++) row.push(padStep());
    out.push(row);
  }
  return out as number[][] | number[][][];
}

/** Checks the nested input; returns the shape every step has ("scalar" when there are none). */
function checkSequences(sequences: unknown): StepShape {
  checkList(sequences, "sequences", "a list of sequences");
  let shape: StepShape | undefined;
  for (let i = 0; i < sequences.length; i++) {
    const seq = sequences[i];
    checkList(seq, `sequences[${i}]`, "a sequence: a list of numbers, or of feature lists");
    for (let t = 0; t < seq.length; t++) {
      const where = `sequences[${i}][${t}]`;
      const s = stepShape(seq[t], where);
      if (shape === undefined) shape = s;
      else if (s !== shape) throw shapeMismatch(shape, s, where);
    }
  }
  return shape ?? "scalar";
}

/** How `unpadSequences` finds the real steps: one length per row, or a mask. */
export type RealSteps = ArrayLike<number> | { readonly mask: MaskRows };

export interface UnpadOptions {
  /** With lengths: which end holds the padding, `"pre"` (default, as `padSequences`) or `"post"`.
   *  With a mask it is not needed: the mask says where the real steps are. */
  padding?: PaddingSide;
}

/**
 * The inverse of `padSequences`: cuts the padding off every row and returns the ragged list.
 * Shapes: [B, T] → B × [lᵢ]; [B, T, C] → B × [lᵢ, C]. Returns new arrays; does not mutate its input.
 * @param padded - padded rows, token (`number[][]`) or feature (`number[][][]`).
 * @param real - `lengths` (one per row), or `{ mask }` (one boolean or 0/1 per step, true = real).
 * @param options - `padding`: which end holds the padding when `real` is lengths.
 * @returns the sequences without padding.
 * @throws RaggedError `BATCH_MISMATCH` (not one length / mask row per row), `INVALID_ARGUMENT`
 *   (length not an integer in [0, row length], unknown side), `SHAPE_MISMATCH` (mask row length ≠
 *   row length), `MASK_NOT_CONTIGUOUS` (mask with holes), `BAD_SEQUENCE`, `FEATURE_MISMATCH`.
 * @example
 * unpadSequences([[0, 0, 1], [0, 2, 3]], [1, 2]);                      // [[1], [2, 3]]
 * unpadSequences([[1, 0, 0], [2, 3, 0]], [1, 2], { padding: "post" }); // [[1], [2, 3]]
 * unpadSequences([[0, 7], [8, 9]], { mask: [[false, true], [true, true]] }); // [[7], [8, 9]]
 */
export function unpadSequences(
  padded: ReadonlyArray<ArrayLike<number>>,
  real: RealSteps,
  options?: UnpadOptions,
): number[][];
export function unpadSequences(
  padded: ReadonlyArray<ArrayLike<ArrayLike<number>>>,
  real: RealSteps,
  options?: UnpadOptions,
): number[][][];
export function unpadSequences(
  padded: ReadonlyArray<ArrayLike<number | ArrayLike<number>>>,
  real: RealSteps,
  options: UnpadOptions = {},
): number[][] | number[][][] {
  const padding = parsePaddingSide(options.padding, "padding");
  checkList(padded, "padded", "a list of padded rows");
  const isMask = real !== null && typeof real === "object" && "mask" in real && !Array.isArray(real);
  const source = isMask ? (real as { mask: MaskRows }).mask : (real as ArrayLike<number>);
  checkList(source, isMask ? "mask" : "lengths", isMask ? "one mask row per padded row" : "one length per row");
  if (source.length !== padded.length) {
    throw new RaggedError("BATCH_MISMATCH", `unpadSequences needs one ${isMask ? "mask row" : "length"} per row.`, {
      expected: `${padded.length} (the number of padded rows)`,
      received: `${source.length}`,
    });
  }
  let shape: StepShape | undefined;
  const out: (number | number[])[][] = [];
  for (let i = 0; i < padded.length; i++) {
    const row = padded[i];
    checkList(row, `padded[${i}]`, "a padded row: a list of steps");
    const { start, length } = isMask
      ? maskedRun(source[i], row.length, i)
      : lengthRun(source[i], row.length, padding, `lengths[${i}]`);
    const seq: (number | number[])[] = [];
    for (let t = start; t < start + length; t++) {
      const where = `padded[${i}][${t}]`;
      const s = stepShape(row[t], where);
      if (shape === undefined) shape = s;
      else if (s !== shape) throw shapeMismatch(shape, s, where);
      seq.push(copyStep(row[t]));
    }
    out.push(seq);
  }
  return out as number[][] | number[][][];
}
