import { describe, expect, it } from "vitest";
import { RaggedError } from "../core/errors.js";
import { toCategorical } from "./categorical.js";

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    if (e instanceof RaggedError) return e.code;
    throw e;
  }
  return undefined;
}

describe("toCategorical", () => {
  it("runs the doc examples", () => {
    expect(toCategorical([0, 2, 1])).toEqual([[1, 0, 0], [0, 0, 1], [0, 1, 0]]);
    expect(toCategorical([1], 4)).toEqual([[0, 1, 0, 0]]);
    expect(toCategorical([[0, 1], [1]])).toEqual([[[1, 0], [0, 1]], [[0, 1]]]);
  });

  // keras.utils.to_categorical([0, 1, 2, 3], num_classes=4) is the 4×4 identity.
  it("matches Keras to_categorical", () => {
    expect(toCategorical([0, 1, 2, 3], 4)).toEqual([
      [1, 0, 0, 0],
      [0, 1, 0, 0],
      [0, 0, 1, 0],
      [0, 0, 0, 1],
    ]);
    expect(toCategorical(Int32Array.of(3, 3))).toEqual([[0, 0, 0, 1], [0, 0, 0, 1]]);
  });

  it("encodes ragged per-step labels with one class count for all steps", () => {
    expect(toCategorical([[2], [], [0, 0, 1]])).toEqual([[[0, 0, 1]], [], [[1, 0, 0], [1, 0, 0], [0, 1, 0]]]);
    expect(toCategorical([[1], [0]], 2)).toEqual([[[0, 1]], [[1, 0]]]); // no squeeze (porting note)
  });

  it("handles empty input", () => {
    expect(toCategorical([])).toEqual([]);
    expect(toCategorical([], 3)).toEqual([]);
  });

  it("does not mutate its input and returns fresh rows", () => {
    const labels = [[1, 0]];
    const out = toCategorical(labels);
    expect(labels).toEqual([[1, 0]]);
    out[0][0][0] = 7;
    expect(out[0][1]).toEqual([1, 0]);
  });

  it("rejects bad labels and class counts with stable codes", () => {
    expect(codeOf(() => toCategorical([-1]))).toBe("BAD_INPUT");
    expect(codeOf(() => toCategorical([1.5]))).toBe("BAD_INPUT");
    expect(codeOf(() => toCategorical([3], 3))).toBe("BAD_INPUT");
    expect(codeOf(() => toCategorical([[0], [NaN]]))).toBe("BAD_INPUT");
    expect(codeOf(() => toCategorical([0, [1]] as unknown as number[]))).toBe("BAD_INPUT");
    expect(codeOf(() => toCategorical([[0], 1] as unknown as number[][]))).toBe("BAD_SEQUENCE");
    expect(codeOf(() => toCategorical([0], 0))).toBe("INVALID_ARGUMENT");
    expect(codeOf(() => toCategorical([0], 2.5))).toBe("INVALID_ARGUMENT");
    expect(() => toCategorical([[0, 4]], 3)).toThrow(/labels\[0\]\[1\] is out of range[\s\S]*Expected: a class id in \[0, 3\)/);
  });
});
