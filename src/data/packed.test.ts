import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { RaggedError } from "../core/errors.js";
import { packBatch, packLayout, unpackBatch } from "./packed.js";

describe("packLayout", () => {
  it("orders longest first and counts running sequences per step (the doc example)", () => {
    const l = packLayout([3, 1, 2]);
    expect([...l.batchSizes]).toEqual([3, 2, 1]);
    expect([...l.offsets]).toEqual([0, 3, 5, 6]);
    expect([...l.sortedIndices]).toEqual([0, 2, 1]);
    expect([...l.unsortedIndices]).toEqual([0, 2, 1]);
    expect(l.totalSteps).toBe(6);
    expect(l.maxLength).toBe(3);
  });

  it("keeps caller order among equal lengths and puts empty sequences last", () => {
    const l = packLayout([2, 0, 2, 5]);
    expect([...l.sortedIndices]).toEqual([3, 0, 2, 1]);
    expect([...l.batchSizes]).toEqual([3, 3, 1, 1, 1]);
  });

  it("rejects negative and fractional lengths", () => {
    expect(() => packLayout([1, -1])).toThrowError(/lengths\[1\] = -1/);
    expect(() => packLayout([1.5])).toThrow(RaggedError);
  });
});

describe("packBatch / unpackBatch", () => {
  it("packs the doc example time-major", () => {
    const p = packBatch([[[1], [2], [3]], [[4]], [[5], [6]]]);
    expect([...p.data]).toEqual([1, 5, 4, 2, 6, 3]);
    expect([...p.layout.batchSizes]).toEqual([3, 2, 1]);
  });

  it("round-trips any ragged batch, including empty sequences", () => {
    fc.assert(
      fc.property(fc.array(fc.array(fc.array(fc.float({ noNaN: true, noDefaultInfinity: true, min: -100, max: 100 }), { minLength: 2, maxLength: 2 }), { maxLength: 6 }), { maxLength: 7 }), (seqs) => {
        const back = unpackBatch(packBatch(seqs, { features: 2 }));
        expect(back).toEqual(seqs.map((s) => s.map((step) => step.map((v) => Math.fround(v)))));
      }),
    );
  });

  it("accepts single numbers as one-feature steps", () => {
    const p = packBatch([[1, 2], [3]]);
    expect(p.features).toBe(1);
    expect([...p.data]).toEqual([1, 3, 2]);
  });

  it("does not mutate its input", () => {
    const seqs = [[[3, 1]], [[1, 2], [5, 6]]];
    const copy = JSON.parse(JSON.stringify(seqs));
    packBatch(seqs);
    expect(seqs).toEqual(copy);
  });

  it("reports the wrong number of features with its position", () => {
    try {
      packBatch([[[1, 2]], [[1, 2], [3]]]);
      expect.fail("should throw");
    } catch (e) {
      expect((e as RaggedError).code).toBe("FEATURE_MISMATCH");
      expect((e as Error).message).toMatch(/2 features per step[\s\S]*1 at xs\[1\]\[1\]/);
    }
  });

  it("rejects NaN, Infinity and non-sequences with codes", () => {
    expect(() => packBatch([[[1], [NaN]]])).toThrowError(expect.objectContaining({ code: "NON_FINITE" }));
    expect(() => packBatch([[[Infinity]]])).toThrowError(expect.objectContaining({ code: "NON_FINITE" }));
    expect(() => packBatch([5 as unknown as number[]])).toThrowError(expect.objectContaining({ code: "BAD_SEQUENCE" }));
    expect(() => packBatch(null as unknown as number[][])).toThrowError(expect.objectContaining({ code: "BAD_SEQUENCE" }));
  });
});
