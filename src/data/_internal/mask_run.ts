/**
 * Where the real steps of one mask row are: the classification behind `maskPaddingSide`,
 * `lengthsFromMask`, `unpadSequences(…, {mask})` and `packPadded`. Private to `src/data/`.
 *
 * NOTE [ contiguous masks ]
 * A mask row is contiguous when its real steps form one block that touches an end of the row:
 * `[0,0,1,1]` (pre-padding), `[1,1,0,0]` (post-padding), `[1,1,1]` or `[0,0,0]` (either). Such a
 * row is fully described by a length and a side, so it packs and unpads losslessly. Anything else
 * has "holes": padding between real steps (`[1,0,1]`) or on both sides of them (`[0,1,0]`); neither
 * `padSequences` nor Keras pre/post padding produces those, and they are rejected with
 * `MASK_NOT_CONTIGUOUS` (a general masked loop, not the packed one, is the place for them).
 */
import { RaggedError, describe } from "../../core/errors.js";
import { checkList } from "./steps.js";

/** Where the padding of a mask row sits; see NOTE [ contiguous masks ]. */
export type MaskSide = "pre" | "post" | "either" | "holes";

/** One row's classification: `start` and `length` of its real steps (meaningful unless holes). */
export interface MaskRun {
  readonly side: MaskSide;
  readonly start: number;
  readonly length: number;
}

/**
 * Classifies one mask row (`true`/non-zero = real step, `false`/0 = padding).
 * @throws RaggedError `BAD_INPUT` when the row is not a list of booleans or numbers.
 */
export function maskRun(row: unknown, where: string): MaskRun {
  checkList(row, where, "a mask row: one boolean (or 0/1) per step");
  const n = row.length;
  let first = -1;
  let last = -1;
  let count = 0;
  for (let t = 0; t < n; t++) {
    const v = row[t];
    if (typeof v !== "boolean" && typeof v !== "number") {
      throw new RaggedError("BAD_INPUT", `${where}[${t}] is not a mask value.`, {
        expected: "true/false, or a number (non-zero = real step, 0 = padding)",
        received: describe(v),
      });
    }
    if (!v) continue;
    if (first < 0) first = t;
    last = t;
    count++;
  }
  if (count === 0) return { side: "either", start: 0, length: 0 };
  if (count === n) return { side: "either", start: 0, length: n };
  const contiguous = last - first + 1 === count;
  if (contiguous && first === 0) return { side: "post", start: 0, length: count };
  if (contiguous && last === n - 1) return { side: "pre", start: first, length: count };
  return { side: "holes", start: first, length: count };
}

/**
 * `maskRun`, but a row with holes is an error.
 * @throws RaggedError `MASK_NOT_CONTIGUOUS` for a row with holes; `BAD_INPUT` as `maskRun`.
 */
export function contiguousRun(row: unknown, where: string): MaskRun {
  const run = maskRun(row, where);
  if (run.side === "holes") {
    throw new RaggedError("MASK_NOT_CONTIGUOUS", `${where} has padding between or around its real steps.`, {
      expected: "real steps in one block at the start (post-padding) or at the end (pre-padding) of the row",
      received: `${where} = [${showRow(row as ArrayLike<unknown>)}]`,
      help: "pad with padSequences (padding \"pre\" or \"post\"), or pass the ragged sequences themselves",
    });
  }
  return run;
}

function showRow(row: ArrayLike<unknown>): string {
  const shown = Array.from({ length: Math.min(row.length, 24) }, (_, t) => (row[t] ? "1" : "0"));
  return shown.join(",") + (row.length > 24 ? ",…" : "");
}

/**
 * The real steps of a padded row of `width` steps holding `length` real ones on the given side.
 * @throws RaggedError `INVALID_ARGUMENT` unless `length` is an integer in [0, width].
 */
export function lengthRun(length: unknown, width: number, padding: "pre" | "post", where: string): MaskRun {
  if (typeof length !== "number" || !Number.isInteger(length) || length < 0 || length > width) {
    throw new RaggedError("INVALID_ARGUMENT", "Each length must fit its padded row.", {
      expected: `an integer in [0, ${width}] (the row's length)`,
      received: `${where} = ${describe(length)}`,
    });
  }
  const side: MaskSide = length === 0 || length === width ? "either" : padding;
  return { side, start: padding === "pre" ? width - length : 0, length };
}

/**
 * `contiguousRun` of `mask[i]`, checked against the length of the padded row it describes.
 * @throws RaggedError `SHAPE_MISMATCH` when the lengths differ; as `contiguousRun` otherwise.
 */
export function maskedRun(maskRow: unknown, width: number, i: number): MaskRun {
  const run = contiguousRun(maskRow, `mask[${i}]`);
  const n = (maskRow as ArrayLike<unknown>).length;
  if (n !== width) {
    throw new RaggedError("SHAPE_MISMATCH", `mask[${i}] and padded[${i}] differ in length.`, {
      expected: `${width} mask values (one per step of padded[${i}])`,
      received: `${n}`,
    });
  }
  return run;
}
