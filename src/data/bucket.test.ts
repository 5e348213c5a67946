import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { RaggedError } from "../core/errors.js";
import { Random } from "../core/random.js";
import { type BucketOptions, bucketBatches, paddingEfficiency } from "./bucket.js";

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    if (e instanceof RaggedError) return e.code;
    throw e;
  }
  return undefined;
}

function uniformLengths(n: number, seed: number): number[] {
  const rng = new Random(seed);
  return Array.from({ length: n }, () => rng.int(10, 100));
}

const sorted = (batches: number[][]) => batches.flat().sort((a, b) => a - b);
const range = (n: number) => Array.from({ length: n }, (_, i) => i);

describe("bucketBatches", () => {
  it("runs the doc examples", () => {
    expect(bucketBatches([5, 1, 4, 2, 3, 6], { batchSize: 2, shuffle: false })).toEqual([[1, 3], [4, 2], [0, 5]]);
    expect(bucketBatches([5, 1, 4, 2], { batchSize: 2, rng: new Random(7) }).flat().sort((a, b) => a - b)).toEqual([
      0, 1, 2, 3,
    ]);
  });

  it("covers every index exactly once, batches no larger than asked (property)", () => {
    const bucketing = fc.oneof(
      fc.boolean(),
      fc.constant({ boundaries: [3, 8], batchSizes: [5, 3, 2] }),
      fc.constant({ boundaries: [], batchSizes: [4] }),
    );
    fc.assert(
      fc.property(
        fc.array(fc.nat({ max: 20 }), { maxLength: 300 }),
        fc.integer({ min: 1, max: 17 }),
        fc.integer({ min: 1, max: 4 }),
        fc.boolean(),
        bucketing,
        fc.nat(),
        (lengths, batchSize, poolSize, shuffle, bucketing, seed) => {
          const batches = bucketBatches(lengths, { batchSize, poolSize, shuffle, bucketing, rng: new Random(seed) });
          expect(sorted(batches)).toEqual(range(lengths.length));
          const limit = typeof bucketing === "object" ? Math.max(...bucketing.batchSizes) : batchSize;
          for (const b of batches) expect(b.length >= 1 && b.length <= limit).toBe(true);
        },
      ),
    );
  });

  it("draws a different batch order each epoch from one rng, and repeats it from the same seed", () => {
    const lengths = uniformLengths(2000, 1);
    const options = (rng: Random): BucketOptions => ({ batchSize: 32, rng });
    const rng = new Random(5);
    const epoch1 = bucketBatches(lengths, options(rng));
    const epoch2 = bucketBatches(lengths, options(rng));
    expect(epoch2).not.toEqual(epoch1);
    expect(sorted(epoch2)).toEqual(sorted(epoch1));
    const again = new Random(5);
    expect(bucketBatches(lengths, options(again))).toEqual(epoch1);
    expect(bucketBatches(lengths, options(again))).toEqual(epoch2);
  });

  it("wastes little padding with bucketing, much more without (lengths uniform in [10, 100))", () => {
    const lengths = uniformLengths(5000, 2);
    const bucketed = paddingEfficiency(lengths, bucketBatches(lengths, { batchSize: 32, rng: new Random(3) }));
    const plain = paddingEfficiency(
      lengths,
      bucketBatches(lengths, { batchSize: 32, rng: new Random(3), bucketing: false }),
    );
    expect(bucketed).toBeGreaterThanOrEqual(0.9);
    expect(plain).toBeLessThan(0.7); // ≈ mean / E[max of 32] ≈ 54.5 / 97
    expect(bucketed - plain).toBeGreaterThan(0.25);
  });

  it("keeps the caller's order with bucketing false and shuffle false", () => {
    expect(bucketBatches([9, 1, 5, 3, 7], { batchSize: 2, shuffle: false, bucketing: false })).toEqual([
      [0, 1],
      [2, 3],
      [4],
    ]);
  });

  it("buckets by explicit boundaries as TF bucket_by_sequence_length: [b[i−1], b[i])", () => {
    const lengths = [1, 2, 3, 4, 5, 6, 7, 8];
    const bucketing = { boundaries: [3, 6], batchSizes: [2, 3, 2] };
    expect(bucketBatches(lengths, { batchSize: 1, shuffle: false, bucketing })).toEqual([
      [0, 1], // lengths 1, 2 (< 3)
      [2, 3, 4], // 3, 4, 5 (in [3, 6))
      [5, 6], // 6, 7 (≥ 6)
      [7], // 8
    ]);
    const shuffled = bucketBatches(lengths, { batchSize: 1, rng: new Random(0), bucketing });
    for (const batch of shuffled) {
      const buckets = new Set(batch.map((i) => (lengths[i] < 3 ? 0 : lengths[i] < 6 ? 1 : 2)));
      expect(buckets.size).toBe(1);
    }
    expect(sorted(shuffled)).toEqual(range(8));
  });

  it("does not mutate its input", () => {
    const lengths = [4, 2, 9, 1];
    const buckets = { boundaries: [3], batchSizes: [1, 2] };
    bucketBatches(lengths, { batchSize: 2, rng: new Random(1) });
    bucketBatches(lengths, { batchSize: 2, rng: new Random(1), bucketing: buckets });
    expect(lengths).toEqual([4, 2, 9, 1]);
    expect(buckets).toEqual({ boundaries: [3], batchSizes: [1, 2] });
  });

  it("rejects bad arguments with stable codes", () => {
    const rng = new Random(0);
    expect(codeOf(() => bucketBatches([1], { batchSize: 0, rng }))).toBe("INVALID_ARGUMENT");
    expect(codeOf(() => bucketBatches([1], { batchSize: 2.5, rng }))).toBe("INVALID_ARGUMENT");
    expect(codeOf(() => bucketBatches([1], { batchSize: 2, rng, poolSize: 0 }))).toBe("INVALID_ARGUMENT");
    expect(codeOf(() => bucketBatches([1], { batchSize: 2 }))).toBe("INVALID_ARGUMENT"); // shuffle needs rng
    expect(codeOf(() => bucketBatches([-1], { batchSize: 2, rng }))).toBe("INVALID_ARGUMENT");
    const bad = (boundaries: number[], batchSizes: number[]) =>
      codeOf(() => bucketBatches([1], { batchSize: 2, rng, bucketing: { boundaries, batchSizes } }));
    expect(bad([5, 3], [1, 1, 1])).toBe("INVALID_ARGUMENT");
    expect(bad([3, 3], [1, 1, 1])).toBe("INVALID_ARGUMENT");
    expect(bad([3, NaN], [1, 1, 1])).toBe("INVALID_ARGUMENT");
    expect(bad([3, 5], [1, 1])).toBe("INVALID_ARGUMENT");
    expect(bad([3], [1, 0])).toBe("INVALID_ARGUMENT");
    expect(() => bucketBatches([1], { batchSize: 2, rng, bucketing: { boundaries: [3, 5], batchSizes: [1, 1] } })).toThrow(
      /batchSizes.length = boundaries.length \+ 1 = 3\n- Received: batchSizes.length = 2/,
    );
  });
});

describe("paddingEfficiency", () => {
  it("runs the doc example", () => {
    expect(paddingEfficiency([2, 4, 3, 3], [[0, 1], [2, 3]])).toBeCloseTo(12 / 14, 12);
  });

  it("is 1 without padding or without steps", () => {
    expect(paddingEfficiency([3, 3, 1], [[0, 1], [2]])).toBe(1);
    expect(paddingEfficiency([0, 0], [[0, 1]])).toBe(1);
    expect(paddingEfficiency([], [])).toBe(1);
  });

  it("rejects indices out of range", () => {
    expect(codeOf(() => paddingEfficiency([1, 2], [[0, 2]]))).toBe("INVALID_ARGUMENT");
    expect(codeOf(() => paddingEfficiency([1, 2], [[0.5]]))).toBe("INVALID_ARGUMENT");
  });
});
