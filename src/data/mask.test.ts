import { describe, expect, it } from "vitest";
import { RaggedError } from "../core/errors.js";
import {
  lengthsFromMask,
  maskFromLengths,
  maskFromValue,
  maskIsContiguous,
  maskPaddingSide,
  packPadded,
} from "./mask.js";
import { type PackedBatch, packBatch, unpackBatch } from "./packed.js";
import { padSequences } from "./pad.js";

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    if (e instanceof RaggedError) return e.code;
    throw e;
  }
  return undefined;
}

/** Plain-array view of a packed batch, so toEqual compares every field. */
function plain(p: PackedBatch) {
  const l = p.layout;
  return {
    features: p.features,
    data: Array.from(p.data),
    lengths: Array.from(l.lengths),
    sortedLengths: Array.from(l.sortedLengths),
    sortedIndices: Array.from(l.sortedIndices),
    unsortedIndices: Array.from(l.unsortedIndices),
    batchSizes: Array.from(l.batchSizes),
    offsets: Array.from(l.offsets),
    maxLength: l.maxLength,
    totalSteps: l.totalSteps,
  };
}

describe("maskFromLengths / lengthsFromMask", () => {
  it("runs the doc examples", () => {
    expect(maskFromLengths([1, 3], { maxlen: 3 })).toEqual([[false, false, true], [true, true, true]]);
    expect(maskFromLengths([1, 3], { maxlen: 3, padding: "post" })).toEqual([[true, false, false], [true, true, true]]);
    expect(lengthsFromMask([[false, true, true], [true, false, false]])).toEqual([2, 1]);
    expect(codeOf(() => lengthsFromMask([[true, false, true]]))).toBe("MASK_NOT_CONTIGUOUS");
  });

  it("defaults maxlen to the longest and cuts longer lengths as padSequences does", () => {
    expect(maskFromLengths([0, 2])).toEqual([[false, false], [true, true]]);
    expect(maskFromLengths([4], { maxlen: 2 })).toEqual([[true, true]]);
    expect(maskFromLengths([])).toEqual([]);
  });

  it("round-trips lengths → mask → lengths on both sides", () => {
    const lengths = [0, 3, 1, 5, 5];
    for (const padding of ["pre", "post"] as const) {
      expect(lengthsFromMask(maskFromLengths(lengths, { padding, maxlen: 6 }))).toEqual(lengths);
    }
  });

  it("matches the mask of padSequences' output", () => {
    const seqs = [[3], [4, 5, 6], [7, 8]];
    const padded = padSequences(seqs, { padding: "post" });
    expect(maskFromValue(padded)).toEqual(maskFromLengths([1, 3, 2], { padding: "post" }));
  });

  it("reads 0/1 and typed-array rows, and mixed sides per row", () => {
    expect(lengthsFromMask([Uint8Array.of(0, 1, 1), [1, 0, 0], [0, 0, 0]])).toEqual([2, 1, 0]);
  });

  it("rejects bad lengths and mask values with stable codes", () => {
    expect(codeOf(() => maskFromLengths([-1]))).toBe("INVALID_ARGUMENT");
    expect(codeOf(() => maskFromLengths([1.5]))).toBe("INVALID_ARGUMENT");
    expect(codeOf(() => maskFromLengths([1], { maxlen: -2 }))).toBe("INVALID_ARGUMENT");
    expect(codeOf(() => maskFromLengths([1], { padding: "x" as "pre" }))).toBe("INVALID_ARGUMENT");
    expect(codeOf(() => lengthsFromMask([["yes"]] as unknown as boolean[][]))).toBe("BAD_INPUT");
    expect(codeOf(() => lengthsFromMask([[0, 1, 0]]))).toBe("MASK_NOT_CONTIGUOUS");
  });

  it("explains a mask with holes", () => {
    expect(() => lengthsFromMask([[1, 1], [1, 0, 1]])).toThrow(/mask\[1\] has padding between[\s\S]*mask\[1\] = \[1,0,1\]/);
  });
});

describe("maskPaddingSide / maskIsContiguous", () => {
  it("runs the doc examples", () => {
    expect(maskPaddingSide([0, 1, 1])).toBe("pre");
    expect(maskPaddingSide([1, 1, 0])).toBe("post");
    expect(maskPaddingSide([1, 1, 1])).toBe("either");
    expect(maskPaddingSide([1, 0, 1])).toBe("holes");
    expect(maskIsContiguous([[0, 1], [1, 0]])).toBe(true);
    expect(maskIsContiguous([[1, 0, 1]])).toBe(false);
  });

  it("classifies the edge cases", () => {
    expect(maskPaddingSide([])).toBe("either");
    expect(maskPaddingSide([false, false])).toBe("either");
    expect(maskPaddingSide([false, true, false])).toBe("holes"); // padding on both sides
    expect(maskPaddingSide([true, false, false, true, true])).toBe("holes");
    expect(maskPaddingSide([false, true])).toBe("pre");
  });
});

describe("maskFromValue", () => {
  it("runs the doc examples", () => {
    expect(maskFromValue([[0, 0, 5], [3, 0, 4]])).toEqual([[false, false, true], [true, false, true]]);
    expect(maskFromValue([[[0, 0], [0, 1]]], 0)).toEqual([[false, true]]);
    expect(maskFromValue([[[-1, -1], [2, -1]]], -1)).toEqual([[false, true]]);
  });

  it("masks a feature step only when ALL features equal maskValue (Keras Masking)", () => {
    expect(maskFromValue([[[0, 0, 0], [0, 0, 1e-9], [1, 0, 0]]])).toEqual([[false, true, true]]);
  });

  it("masks nothing for a NaN maskValue, as Keras (NaN ≠ NaN)", () => {
    expect(maskFromValue([[NaN, 1]], NaN)).toEqual([[true, true]]);
  });

  it("rejects non-numeric steps", () => {
    expect(codeOf(() => maskFromValue([["a"]] as unknown as number[][]))).toBe("BAD_SEQUENCE");
    expect(codeOf(() => maskFromValue([[1]], "0" as unknown as number))).toBe("INVALID_ARGUMENT");
  });
});

describe("packPadded", () => {
  it("runs the doc example", () => {
    const p = packPadded([[0, 0, 1], [0, 2, 3]], { maskValue: 0 });
    expect(Array.from(p.data)).toEqual([2, 1, 3]);
    expect(Array.from(p.layout.lengths)).toEqual([1, 2]);
  });

  const ragged = [[[1, 2], [3, 4], [5, 6]], [[7, 8]], [], [[9, 10], [11, 12]]];
  const lengths = ragged.map((s) => s.length);
  const expected = plain(packBatch(ragged, { features: 2 }));

  it("pre and post padding give the same PackedBatch as packBatch on the ragged data", () => {
    for (const padding of ["pre", "post"] as const) {
      const padded = padSequences(ragged, { padding, value: 0 });
      expect(plain(packPadded(padded, { maskValue: 0 }))).toEqual(expected);
      expect(plain(packPadded(padded, { lengths, padding }))).toEqual(expected);
      expect(plain(packPadded(padded, { mask: maskFromLengths(lengths, { padding }) }))).toEqual(expected);
    }
  });

  it("accepts a different padding side per row, and NaN padding the mask hides", () => {
    const padded = [[[1, 2], [3, 4], [5, 6]], [[7, 8], [NaN, NaN], [NaN, NaN]], [[0, 0], [0, 0], [0, 0]], [[0, 0], [9, 10], [11, 12]]];
    const mask = [[1, 1, 1], [1, 0, 0], [0, 0, 0], [0, 1, 1]];
    expect(plain(packPadded(padded, { mask }))).toEqual(expected);
    expect(unpackBatch(packPadded(padded, { mask }))).toEqual(ragged);
  });

  it("packs token ids (Embedding maskZero) as one feature", () => {
    const p = packPadded(padSequences([[5, 6], [7]]), { maskValue: 0 });
    expect(plain(p)).toEqual(plain(packBatch([[5, 6], [7]])));
  });

  it("gives an all-masked sequence length 0 and keeps the feature width", () => {
    const p = packPadded([[[0, 0, 0], [0, 0, 0]], [[0, 0, 0], [1, 2, 3]]], { maskValue: 0 });
    expect(Array.from(p.layout.lengths)).toEqual([0, 1]);
    expect(p.features).toBe(3);
    expect(unpackBatch(p)).toEqual([[], [[1, 2, 3]]]);
    const empty = packPadded([[[0, 0]]], { maskValue: 0 });
    expect([empty.features, empty.layout.totalSteps]).toEqual([2, 0]);
  });

  it("rejects masks with holes, saying so", () => {
    const padded = [[[1], [0], [2]]];
    expect(codeOf(() => packPadded(padded, { maskValue: 0 }))).toBe("MASK_NOT_CONTIGUOUS");
    expect(codeOf(() => packPadded(padded, { mask: [[1, 0, 1]] }))).toBe("MASK_NOT_CONTIGUOUS");
    expect(() => packPadded(padded, { maskValue: 0 })).toThrow(/padding between or around its real steps/);
  });

  it("rejects ambiguous or mismatched options with stable codes", () => {
    const padded = [[1, 2]];
    expect(codeOf(() => packPadded(padded, {}))).toBe("INVALID_ARGUMENT");
    expect(codeOf(() => packPadded(padded, { maskValue: 0, lengths: [2] }))).toBe("INVALID_ARGUMENT");
    expect(codeOf(() => packPadded(padded, { lengths: [1, 1] }))).toBe("BATCH_MISMATCH");
    expect(codeOf(() => packPadded(padded, { lengths: [3] }))).toBe("INVALID_ARGUMENT");
    expect(codeOf(() => packPadded(padded, { mask: [[1, 1, 1]] }))).toBe("SHAPE_MISMATCH");
    expect(codeOf(() => packPadded(padded, { lengths: [2], features: 0 }))).toBe("INVALID_ARGUMENT");
    expect(codeOf(() => packPadded(padded, { lengths: [2], features: 2 }))).toBe("FEATURE_MISMATCH");
    expect(codeOf(() => packPadded([[[1, 2], [3]]], { lengths: [2] }))).toBe("FEATURE_MISMATCH");
    expect(codeOf(() => packPadded([[0, Infinity]], { lengths: [1] }))).toBe("NON_FINITE");
  });

  it("does not mutate its input", () => {
    const padded = [[[0, 0], [1, 2]], [[3, 4], [0, 0]]];
    const mask = [[false, true], [true, false]];
    const before = structuredClone([padded, mask]);
    packPadded(padded, { mask });
    packPadded(padded, { maskValue: 0 });
    maskFromValue(padded);
    lengthsFromMask(mask);
    expect([padded, mask]).toEqual(before);
  });
});
