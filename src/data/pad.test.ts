import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { RaggedError } from "../core/errors.js";
import { padSequences, unpadSequences } from "./pad.js";

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    if (e instanceof RaggedError) return e.code;
    throw e;
  }
  return undefined;
}

describe("padSequences", () => {
  it("runs its doc examples", () => {
    expect(padSequences([[1], [2, 3], [4, 5, 6]])).toEqual([[0, 0, 1], [0, 2, 3], [4, 5, 6]]);
    expect(padSequences([[1, 2, 3]], { maxlen: 2 })).toEqual([[2, 3]]);
    expect(padSequences([[1, 2, 3]], { maxlen: 2, truncating: "post" })).toEqual([[1, 2]]);
    expect(padSequences([[[1, 2]], []], { maxlen: 2, padding: "post", value: -1 })).toEqual([
      [[1, 2], [-1, -1]],
      [[-1, -1], [-1, -1]],
    ]);
  });

  // Expected values are what keras.utils.pad_sequences returns for the same calls (Keras 3).
  it("matches Keras pad_sequences on token sequences", () => {
    const seqs = [[1], [2, 3], [4, 5, 6]];
    expect(padSequences(seqs, { padding: "post" })).toEqual([[1, 0, 0], [2, 3, 0], [4, 5, 6]]);
    expect(padSequences(seqs, { maxlen: 2 })).toEqual([[0, 1], [2, 3], [5, 6]]);
    expect(padSequences(seqs, { maxlen: 2, truncating: "post" })).toEqual([[0, 1], [2, 3], [4, 5]]);
    expect(padSequences(seqs, { maxlen: 2, padding: "post", truncating: "post" })).toEqual([[1, 0], [2, 3], [4, 5]]);
    expect(padSequences(seqs, { maxlen: 4, value: 9 })).toEqual([[9, 9, 9, 1], [9, 9, 2, 3], [9, 4, 5, 6]]);
    expect(padSequences([[], [7]])).toEqual([[0], [7]]);
  });

  it("pads feature sequences with steps full of `value`", () => {
    const out = padSequences([[[1, 2], [3, 4]], [[5, 6]]], { value: 0.5 });
    expect(out).toEqual([[[1, 2], [3, 4]], [[0.5, 0.5], [5, 6]]]);
    const post = padSequences([[[1, 2, 3]]], { maxlen: 3, padding: "post" });
    expect(post).toEqual([[[1, 2, 3], [0, 0, 0], [0, 0, 0]]]);
    post[0][1][0] = 42; // padding steps are separate arrays
    expect(post[0][2][0]).toBe(0);
  });

  it("handles empty input and maxlen 0", () => {
    expect(padSequences([])).toEqual([]);
    expect(padSequences([[1, 2], [3]], { maxlen: 0 })).toEqual([[], []]);
  });

  it("does not mutate its input, and returns fresh arrays", () => {
    const seqs = [[[1, 2]], [[3, 4], [5, 6]]];
    const copy = structuredClone(seqs);
    const out = padSequences(seqs, { maxlen: 1, truncating: "post", padding: "post" });
    expect(seqs).toEqual(copy);
    out[1][0][0] = 99;
    expect(seqs[1][0][0]).toBe(3);
  });

  it("rejects bad options and inconsistent input with stable codes", () => {
    expect(codeOf(() => padSequences([[1]], { maxlen: -1 }))).toBe("INVALID_ARGUMENT");
    expect(codeOf(() => padSequences([[1]], { maxlen: 1.5 }))).toBe("INVALID_ARGUMENT");
    expect(codeOf(() => padSequences([[1]], { padding: "middle" as "pre" }))).toBe("INVALID_ARGUMENT");
    expect(codeOf(() => padSequences([[1]], { truncating: "both" as "pre" }))).toBe("INVALID_ARGUMENT");
    expect(codeOf(() => padSequences([[1]], { value: "x" as unknown as number }))).toBe("INVALID_ARGUMENT");
    expect(codeOf(() => padSequences([[[1, 2]], [[3]]]))).toBe("FEATURE_MISMATCH");
    expect(codeOf(() => padSequences([[1, [2]]] as unknown as number[][]))).toBe("FEATURE_MISMATCH");
    expect(codeOf(() => padSequences([1] as unknown as number[][]))).toBe("BAD_SEQUENCE");
    expect(codeOf(() => padSequences([["a"]] as unknown as number[][]))).toBe("BAD_SEQUENCE");
  });

  it("says what was expected and received", () => {
    expect(() => padSequences([[1]], { padding: "middle" as "pre" })).toThrow(
      /Expected: padding: "pre" or "post"\n- Received: padding: "middle"/,
    );
    expect(() => padSequences([[[1, 2]], [[3]]])).toThrow(/Received: a list of 1 feature at sequences\[1\]\[0\]/);
  });
});

describe("unpadSequences", () => {
  it("runs its doc examples", () => {
    expect(unpadSequences([[0, 0, 1], [0, 2, 3]], [1, 2])).toEqual([[1], [2, 3]]);
    expect(unpadSequences([[1, 0, 0], [2, 3, 0]], [1, 2], { padding: "post" })).toEqual([[1], [2, 3]]);
    expect(unpadSequences([[0, 7], [8, 9]], { mask: [[false, true], [true, true]] })).toEqual([[7], [8, 9]]);
  });

  it("unpads feature rows with lengths or a 0/1 mask (either side per row)", () => {
    const padded = [[[0, 0], [1, 2]], [[3, 4], [0, 0]]];
    expect(unpadSequences(padded, { mask: [Uint8Array.of(0, 1), Uint8Array.of(1, 0)] })).toEqual([[[1, 2]], [[3, 4]]]);
    expect(unpadSequences(padded, [2, 0], { padding: "post" })).toEqual([[[0, 0], [1, 2]], []]);
  });

  it("round-trips padSequences (no truncation), both sides, tokens and features", () => {
    const token = fc.array(fc.array(fc.integer({ min: 1, max: 50 }), { maxLength: 8 }), { maxLength: 6 });
    const features = fc.integer({ min: 1, max: 3 }).chain((c) =>
      fc.array(fc.array(fc.array(fc.double({ noNaN: true }), { minLength: c, maxLength: c }), { maxLength: 6 }), {
        maxLength: 5,
      }),
    );
    const side = fc.constantFrom("pre" as const, "post" as const);
    fc.assert(
      fc.property(token, side, fc.integer({ min: 0, max: 3 }), (seqs, padding, extra) => {
        const lengths = seqs.map((s) => s.length);
        const maxlen = Math.max(0, ...lengths) + extra;
        const padded = padSequences(seqs, { padding, maxlen });
        expect(unpadSequences(padded, lengths, { padding })).toEqual(seqs);
      }),
    );
    fc.assert(
      fc.property(features, side, (seqs, padding) => {
        const padded = padSequences(seqs, { padding, value: 0 });
        expect(unpadSequences(padded, seqs.map((s) => s.length), { padding })).toEqual(seqs);
      }),
    );
  });

  it("round-trips with truncation when lengths are cut to maxlen", () => {
    const seqs = [[1, 2, 3, 4], [5], [6, 7]];
    const padded = padSequences(seqs, { maxlen: 2, truncating: "post", padding: "post" });
    const lengths = seqs.map((s) => Math.min(s.length, 2));
    expect(unpadSequences(padded, lengths, { padding: "post" })).toEqual([[1, 2], [5], [6, 7]]);
  });

  it("does not mutate its input, and returns fresh arrays", () => {
    const padded = [[[0, 0], [1, 2]]];
    const mask = [[false, true]];
    const out = unpadSequences(padded, { mask });
    expect(padded).toEqual([[[0, 0], [1, 2]]]);
    expect(mask).toEqual([[false, true]]);
    out[0][0][0] = 99;
    expect(padded[0][1][0]).toBe(1);
  });

  it("rejects mismatched or impossible lengths and masks with stable codes", () => {
    expect(codeOf(() => unpadSequences([[1, 2]], [1, 1]))).toBe("BATCH_MISMATCH");
    expect(codeOf(() => unpadSequences([[1, 2]], [3]))).toBe("INVALID_ARGUMENT");
    expect(codeOf(() => unpadSequences([[1, 2]], [-1]))).toBe("INVALID_ARGUMENT");
    expect(codeOf(() => unpadSequences([[1, 2]], { mask: [[true]] }))).toBe("SHAPE_MISMATCH");
    expect(codeOf(() => unpadSequences([[1, 2, 3]], { mask: [[1, 0, 1]] }))).toBe("MASK_NOT_CONTIGUOUS");
    expect(codeOf(() => unpadSequences([[1, 2]], [1], { padding: "up" as "pre" }))).toBe("INVALID_ARGUMENT");
  });
});
