/**
 * `toCategorical`: integer class labels → one-hot rows, as Keras `keras.utils.to_categorical`, for
 * one label per sequence (`number[]`) and for per-step labels of ragged sequences (`number[][]`).
 *
 * Porting notes (Keras 3 `to_categorical`):
 * - labels must be integers in [0, numClasses): Keras casts to int64 (1.7 → 1) and numpy reads a
 *   negative label from the end (−1 → the last class); both hide bugs, so both throw here;
 * - a trailing dimension of 1 is not squeezed: `[[1], [2]]` is two one-step sequences → [2, 1, C]
 *   (Keras gives [2, C]), so per-step labels keep their shape whatever the lengths;
 * - `numClasses: 0` is an error, not "infer" as in Keras.
 */
import { RaggedError, check, describe } from "../core/errors.js";
import { checkList } from "./_internal/steps.js";

/**
 * One-hot encodes class labels. Shapes: [B] → [B, C]; B × [lᵢ] → B × [lᵢ, C].
 * @param labels - integer class ids, one per sample or one per step of each sequence.
 * @param numClasses - C; default: the largest label + 1.
 * @returns new rows of 0s with a 1 at each label.
 * @throws RaggedError `BAD_INPUT` (a label negative, non-integer or ≥ numClasses),
 *   `INVALID_ARGUMENT` (numClasses not a positive integer), `BAD_SEQUENCE` (not a list).
 * @example
 * toCategorical([0, 2, 1]);       // [[1, 0, 0], [0, 0, 1], [0, 1, 0]]
 * toCategorical([1], 4);          // [[0, 1, 0, 0]]
 * toCategorical([[0, 1], [1]]);   // [[[1, 0], [0, 1]], [[0, 1]]]
 */
export function toCategorical(labels: ArrayLike<number>, numClasses?: number): number[][];
export function toCategorical(labels: ReadonlyArray<ArrayLike<number>>, numClasses?: number): number[][][];
export function toCategorical(
  labels: ArrayLike<number> | ReadonlyArray<ArrayLike<number>>,
  numClasses?: number,
): number[][] | number[][][] {
  check(numClasses === undefined || (Number.isInteger(numClasses) && numClasses >= 1), "numClasses must be a positive integer.", {
    expected: "numClasses: an integer ≥ 1, or undefined for the largest label + 1",
    received: `numClasses: ${describe(numClasses)}`,
  });
  checkList(labels, "labels", "a list of class ids, or a list of sequences of class ids");
  const perStep = labels.length > 0 && typeof labels[0] === "object";
  const rows: ArrayLike<unknown>[] = [];
  if (perStep) {
    for (let i = 0; i < labels.length; i++) {
      checkList(labels[i], `labels[${i}]`, "a sequence of class ids (every entry a list, as labels[0])");
      rows.push(labels[i] as ArrayLike<unknown>);
    }
  } else {
    rows.push(labels);
  }
  let largest = -1;
  rows.forEach((row, i) => {
    for (let t = 0; t < row.length; t++) {
      const v = row[t];
      const where = perStep ? `labels[${i}][${t}]` : `labels[${t}]`;
      if (typeof v !== "number" || !Number.isInteger(v) || v < 0) {
        throw new RaggedError("BAD_INPUT", `${where} is not a class id.`, {
          expected: "an integer ≥ 0",
          received: describe(v),
          help: typeof v === "object" && v !== null ? "labels[0] is a number, so every label must be; for per-step labels make every entry a list" : undefined,
        });
      }
      if (numClasses !== undefined && v >= numClasses) {
        throw new RaggedError("BAD_INPUT", `${where} is out of range.`, {
          expected: `a class id in [0, ${numClasses}) (numClasses = ${numClasses})`,
          received: `${v}`,
          help: "raise numClasses, or leave it out to use the largest label + 1",
        });
      }
      largest = Math.max(largest, v);
    }
  });
  const classes = numClasses ?? largest + 1;
  const encode = (row: ArrayLike<unknown>) =>
    Array.from({ length: row.length }, (_, t) => {
      const oneHot = new Array<number>(classes).fill(0);
      oneHot[row[t] as number] = 1;
      return oneHot;
    });
  return perStep ? rows.map(encode) : encode(rows[0]);
}
