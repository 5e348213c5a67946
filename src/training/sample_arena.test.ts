import { describe, expect, it } from "vitest";
import { SampleArena } from "./sample_arena.js";
import { toSamples } from "./samples.js";

describe("SampleArena (NOTE [ one buffer per call ])", () => {
  it("hands out disjoint zeroed views of one buffer sized from the entries, then arrays of their own", () => {
    const arena = SampleArena.for([[[1, 2], [3, 4]], Float32Array.of(1, 2, 3, 4, 5, 6), "not a sequence"], 2);
    const a = arena.take(4);
    const b = arena.take(6);
    expect(a.buffer).toBe(b.buffer);
    expect(a.buffer.byteLength).toBe(40); // 2 rows × 2 + 6 flat values
    a.fill(1);
    expect(Array.from(b)).toEqual([0, 0, 0, 0, 0, 0]);
    const extra = arena.take(3); // the count did not foresee it: its own array
    expect(extra.buffer).not.toBe(a.buffer);
    expect(extra).toHaveLength(3);
  });

  it("one value row per entry when the entries are not sequences (one target per sequence)", () => {
    const arena = SampleArena.for([[1, 0], [0, 1], [1, 1]], 2, false);
    const views = [arena.take(2), arena.take(2), arena.take(2)];
    expect(views.every((v) => v.buffer === views[0].buffer)).toBe(true);
    expect(views[0].buffer.byteLength).toBe(24);
  });
});

describe("toSamples with one buffer per call", () => {
  it("copies nested and flat sequences into views of one buffer, the caller's arrays untouched", () => {
    const nested = [[[1, 2], [3, 4], [5, 6]], [[7, 8]]];
    const flat = [Float32Array.of(1, 2, 3, 4), Float32Array.of(5, 6)];
    for (const xs of [nested, flat]) {
      const before = JSON.stringify(xs, (_, v: unknown) => (v instanceof Float32Array ? Array.from(v) : v));
      const s = toSamples(xs, null, { features: 2, target: null });
      expect(s.xs[0].buffer).toBe(s.xs[1].buffer);
      s.xs[0].fill(0);
      expect(JSON.stringify(xs, (_, v: unknown) => (v instanceof Float32Array ? Array.from(v) : v))).toBe(before);
    }
    const s = toSamples(nested, null, { features: 2, target: null });
    expect(Array.from(s.lengths)).toEqual([3, 1]);
    expect(Array.from(s.xs[0])).toEqual([1, 2, 3, 4, 5, 6]);
    expect(Array.from(s.xs[1])).toEqual([7, 8]);
  });

  it("a flat sequence's non-finite value is still found and named, wherever it is (Infinity, NaN, beyond float32)", () => {
    for (const [bad, at] of [[Infinity, 0], [NaN, 5], [-Infinity, 3]] as const) {
      const seq = new Float32Array(6).fill(0.5);
      seq[at] = bad;
      expect(() => toSamples([Float32Array.of(1, 2), seq], null, { features: 2, target: null })).toThrowError(
        expect.objectContaining({ code: "NON_FINITE", message: expect.stringContaining(`xs[1][${Math.floor(at / 2)}][${at % 2}]`) }),
      );
    }
    const wide = Float64Array.of(1, 2, 3, 1e39);
    expect(() => toSamples([wide], null, { features: 2, target: null })).toThrowError(expect.objectContaining({ code: "NON_FINITE", message: expect.stringContaining("xs[0][1][1]") }));
  });
});
