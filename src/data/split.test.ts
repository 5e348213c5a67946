import { describe, expect, it } from "vitest";
import { RaggedError } from "../core/errors.js";
import { trainTestSplit } from "./split.js";

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    if (e instanceof RaggedError) return e.code;
    throw e;
  }
  return undefined;
}

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

describe("trainTestSplit", () => {
  it("runs the doc examples", () => {
    expect(trainTestSplit([1, 2, 3, 4], ["a", "b", "c", "d"], { testSize: 0.25, shuffle: false })).toEqual({
      xTrain: [1, 2, 3],
      yTrain: ["a", "b", "c"],
      xTest: [4],
      yTest: ["d"],
    });
    const s = trainTestSplit([1, 2, 3, 4], [1, 2, 3, 4], { testSize: 2, seed: 42 });
    expect(s.xTest.length).toBe(2);
    expect(s.xTest).toEqual(s.yTest);
  });

  it("rounds a fractional test size up, as scikit-learn (ceil(0.25 · 10) = 3)", () => {
    const s = trainTestSplit(range(10), range(10), { testSize: 0.25, seed: 1 });
    expect([s.xTrain.length, s.xTest.length]).toEqual([7, 3]);
  });

  it("partitions the samples, keeps pairs together, and is shuffled by the seed", () => {
    const xs = range(50).map((i) => [i, i + 1]);
    const ys = range(50).map((i) => `y${i}`);
    const s = trainTestSplit(xs, ys, { testSize: 0.2, seed: 7 });
    const all = [...s.xTrain, ...s.xTest].map((x) => x[0]).sort((a, b) => a - b);
    expect(all).toEqual(range(50));
    s.xTrain.forEach((x, k) => expect(s.yTrain[k]).toBe(`y${x[0]}`));
    s.xTest.forEach((x, k) => expect(s.yTest[k]).toBe(`y${x[0]}`));
    expect(s.xTest.map((x) => x[0])).not.toEqual(range(50).slice(40)); // shuffled
  });

  it("gives the same split for the same seed and a different one for another seed", () => {
    const a = trainTestSplit(range(100), range(100), { testSize: 10, seed: 3 });
    const b = trainTestSplit(range(100), range(100), { testSize: 10, seed: 3 });
    const c = trainTestSplit(range(100), range(100), { testSize: 10, seed: 4 });
    expect(b).toEqual(a);
    expect(c.xTest).not.toEqual(a.xTest);
  });

  it("does not mutate its inputs; returns new arrays holding the caller's elements", () => {
    const xs = [[1], [2], [3]];
    const ys = [0, 1, 0];
    const s = trainTestSplit(xs, ys, { testSize: 1, seed: 0 });
    expect(xs).toEqual([[1], [2], [3]]);
    expect(ys).toEqual([0, 1, 0]);
    expect(s.xTrain).not.toBe(xs);
    expect(xs).toContain(s.xTest[0]); // same element object, not a copy
  });

  it("rejects bad arguments with stable codes", () => {
    expect(codeOf(() => trainTestSplit([1, 2], [1], { testSize: 1, seed: 0 }))).toBe("BATCH_MISMATCH");
    expect(codeOf(() => trainTestSplit([1, 2, 3], [1, 2, 3], { testSize: 0, seed: 0 }))).toBe("INVALID_ARGUMENT");
    expect(codeOf(() => trainTestSplit([1, 2, 3], [1, 2, 3], { testSize: 1.5, seed: 0 }))).toBe("INVALID_ARGUMENT");
    expect(codeOf(() => trainTestSplit([1, 2, 3], [1, 2, 3], { testSize: 3, seed: 0 }))).toBe("INVALID_ARGUMENT");
    expect(codeOf(() => trainTestSplit([1], [1], { testSize: 0.5, seed: 0 }))).toBe("INVALID_ARGUMENT");
    expect(codeOf(() => trainTestSplit([1, 2, 3], [1, 2, 3], { testSize: 1 }))).toBe("INVALID_ARGUMENT");
    expect(() => trainTestSplit([1, 2, 3], [1, 2, 3], { testSize: 3, seed: 0 })).toThrow(
      /Expected: between 1 and 2 test samples \(of 3\)/,
    );
  });
});
