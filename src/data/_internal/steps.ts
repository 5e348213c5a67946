/**
 * Boundary checks for nested step arrays (`xs[i][t]` is a number, or an array of feature values),
 * shared by the padding and masking utilities. Private to `src/data/`.
 */
import { RaggedError, describe } from "../../core/errors.js";

/** A step's shape: `"scalar"` for a bare number (a token id), or its feature count. */
export type StepShape = "scalar" | number;

/**
 * Checks that `value` is a list (an array or array-like object with a length).
 * @throws RaggedError `BAD_SEQUENCE` otherwise.
 */
export function checkList(value: unknown, where: string, expected: string): asserts value is ArrayLike<unknown> {
  if (value === null || typeof value !== "object" || typeof (value as ArrayLike<unknown>).length !== "number") {
    throw new RaggedError("BAD_SEQUENCE", `${where} is not a list.`, { expected, received: describe(value) });
  }
}

/**
 * The shape of one step, after checking that every value in it is a number.
 * @throws RaggedError `BAD_SEQUENCE` for anything but a number or a list of numbers.
 */
export function stepShape(step: unknown, where: string): StepShape {
  if (typeof step === "number") return "scalar";
  checkList(step, where, "a number (a token id) or a list of feature values");
  for (let c = 0; c < step.length; c++) {
    if (typeof step[c] !== "number") {
      throw new RaggedError("BAD_SEQUENCE", `${where}[${c}] is not a number.`, {
        expected: "feature values that are numbers",
        received: describe(step[c]),
      });
    }
  }
  return step.length;
}

/** The error for a step whose shape differs from the first step's. */
export function shapeMismatch(expected: StepShape, received: StepShape, where: string): RaggedError {
  return new RaggedError("FEATURE_MISMATCH", "Every step must have the same shape.", {
    expected: `${showShape(expected)} per step (the shape of the first step)`,
    received: `${showShape(received)} at ${where}`,
    help: "token sequences hold one number per step; feature sequences one equal-length list per step",
  });
}

function showShape(shape: StepShape): string {
  return shape === "scalar" ? "one number" : `a list of ${shape} feature${shape === 1 ? "" : "s"}`;
}

/** A fresh copy of a step: numbers are values already, feature lists become new arrays. */
export function copyStep(step: number | ArrayLike<number>): number | number[] {
  return typeof step === "number" ? step : Array.from(step);
}
