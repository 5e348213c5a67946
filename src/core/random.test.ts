import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Random } from "./random.js";

/** The definition fillDropoutScale must reproduce: one uniform() per element. */
function dropoutByUniform(rng: Random, n: number, rate: number): Float32Array {
  const keep = 1 / (1 - rate);
  const m = new Float32Array(n);
  for (let i = 0; i < n; i++) m[i] = rng.uniform() < rate ? 0 : keep;
  return m;
}

describe("Random.fillDropoutScale", () => {
  it("draws exactly what one uniform() per element draws, and leaves the stream at the same place", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffffffff }), fc.integer({ min: 0, max: 3000 }), fc.double({ min: 0, max: 0.999, noNaN: true }), (seed, n, rate) => {
        const a = new Random(seed);
        const b = new Random(seed);
        a.normal(); // a spare normal draw is cached: it must survive untouched
        b.normal();
        const expected = dropoutByUniform(a, n, rate);
        const got = new Float32Array(n);
        b.fillDropoutScale(got, rate);
        expect(got).toEqual(expected);
        expect(b.getState()).toEqual(a.getState());
        expect(b.nextUint32()).toBe(a.nextUint32());
      }),
      { numRuns: 200 },
    );
  });

  it("agrees at the edges: a rate equal to one of the draws (kept) or one step above it (dropped)", () => {
    // Draws are multiples of 2^-53; one off by its lowest bits flips `u < rate` here and nowhere else.
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffffffff }), fc.integer({ min: 1, max: 500 }), fc.nat(), fc.boolean(), (seed, n, pick, above) => {
        const probe = new Random(seed);
        const draws = Array.from({ length: n }, () => probe.uniform());
        const u = draws[pick % n];
        fc.pre(u < 0.99);
        const rate = above ? u + 2 ** -53 : u;
        const expected = dropoutByUniform(new Random(seed), n, rate);
        const got = new Float32Array(n);
        new Random(seed).fillDropoutScale(got, rate);
        expect(got[pick % n] === 0).toBe(above);
        expect(got).toEqual(expected);
      }),
      { numRuns: 300 },
    );
  });

  it("drops about `rate` of the values and scales the rest by 1/(1 − rate)", () => {
    const m = new Float32Array(100_000);
    new Random(7).fillDropoutScale(m, 0.3);
    const kept = m.filter((v) => v !== 0);
    expect(Math.abs(1 - kept.length / m.length - 0.3)).toBeLessThan(0.01);
    expect(new Set(kept)).toEqual(new Set([Math.fround(1 / 0.7)]));
  });
});
