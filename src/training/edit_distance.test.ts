import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { RaggedError } from "../core/errors.js";
import { editDistance, errorRates } from "./edit_distance.js";

/** Textbook full-table Levenshtein, written independently of the one-row implementation. */
function referenceDistance(a: readonly number[], b: readonly number[]): number {
  const d: number[][] = [];
  for (let i = 0; i <= a.length; i++) {
    d.push([]);
    for (let j = 0; j <= b.length; j++) {
      if (i === 0) d[i].push(j);
      else if (j === 0) d[i].push(i);
      else d[i].push(Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1)));
    }
  }
  return d[a.length][b.length];
}

describe("editDistance", () => {
  it("counts insertions, deletions and substitutions (the doc examples)", () => {
    expect(editDistance(["K", "AE", "T"], ["K", "AA", "T", "S"])).toBe(2);
    expect(editDistance([1, 2, 3], [])).toBe(3);
    expect(editDistance([], [1, 2])).toBe(2);
    expect(editDistance([], [])).toBe(0);
    expect(editDistance("kitten", "sitting")).toBe(3);
    expect(editDistance("flaw", "lawn")).toBe(2);
    expect(editDistance(Int32Array.from([5, 6, 7]), [5, 6, 7])).toBe(0);
  });

  it("equals the full-table recurrence, is symmetric and bounded (property)", () => {
    const seq = fc.array(fc.integer({ min: 0, max: 3 }), { maxLength: 9 });
    fc.assert(
      fc.property(seq, seq, (a, b) => {
        const d = editDistance(a, b);
        expect(d).toBe(referenceDistance(a, b));
        expect(editDistance(b, a)).toBe(d);
        expect(d).toBeGreaterThanOrEqual(Math.abs(a.length - b.length));
        expect(d).toBeLessThanOrEqual(Math.max(a.length, b.length));
      }),
      { numRuns: 300, seed: 11 },
    );
  });

  it("does not mutate its inputs", () => {
    const a = [1, 2, 3];
    const b = [3, 2, 1];
    editDistance(a, b);
    expect(a).toEqual([1, 2, 3]);
    expect(b).toEqual([3, 2, 1]);
  });
});

describe("errorRates", () => {
  it("PER is Σ edits / Σ reference length; WER the share of sequences with any error", () => {
    const r = errorRates(
      [["K", "AE", "T"], ["D", "AO", "G"], ["AY"]],
      [["K", "AE", "T"], ["D", "AA", "G"], []],
    );
    expect(r).toEqual({ edits: 2, referenceLabels: 7, sequenceErrors: 2, sequences: 3, labelErrorRate: 2 / 7, sequenceErrorRate: 2 / 3 });
  });

  it("weighs long references more than a mean of per-word rates would", () => {
    // per-word rates 1/1 and 0/9 average to 0.5; the corpus rate is 1/10.
    const r = errorRates([[1], [1, 2, 3, 4, 5, 6, 7, 8, 9]], [[2], [1, 2, 3, 4, 5, 6, 7, 8, 9]]);
    expect(r.labelErrorRate).toBeCloseTo(0.1, 12);
    expect(r.sequenceErrorRate).toBe(0.5);
  });

  it("handles empty corpora and empty references without NaN", () => {
    expect(errorRates([], [])).toMatchObject({ labelErrorRate: 0, sequenceErrorRate: 0 });
    expect(errorRates([[]], [[]])).toMatchObject({ labelErrorRate: 0, sequenceErrorRate: 0 });
    expect(errorRates([[]], [[1]])).toMatchObject({ labelErrorRate: Infinity, sequenceErrorRate: 1 });
  });

  it("rejects lists of different lengths with BATCH_MISMATCH", () => {
    expect(() => errorRates([[1]], [])).toThrow(RaggedError);
    expect(() => errorRates([[1], [2]], [[1]])).toThrow(expect.objectContaining({ code: "BATCH_MISMATCH", message: expect.stringMatching(/hypotheses.length = 1/) }));
    expect(() => errorRates("ab" as unknown as number[][], [])).toThrow(/arrays of label sequences/);
  });
});
