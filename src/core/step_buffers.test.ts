import { afterEach, describe, expect, it, vi } from "vitest";
import { dropStepBuffers, stepArray, stepBufferCount, stepCopy, stepZeros, withStepBuffers } from "./step_buffers.js";

afterEach(() => {
  dropStepBuffers();
  vi.useRealTimers();
});

describe("step buffers (NOTE [ step buffers ])", () => {
  it("outside a scope: a plain copy, new every time, nothing pooled", () => {
    const src = Float32Array.of(1, 2, 3);
    const a = stepCopy(src);
    const b = stepCopy(src);
    expect(Array.from(a)).toEqual([1, 2, 3]);
    expect(a).not.toBe(src);
    expect(a.buffer).not.toBe(b.buffer);
    expect(stepBufferCount()).toBe(0);
  });

  it("stepZeros: zeros even from a recycled array (a loss's gradient may skip rows)", () => {
    expect(Array.from(stepZeros(3))).toEqual([0, 0, 0]);
    expect(stepBufferCount()).toBe(0);
    const used = withStepBuffers(() => stepArray(5).fill(7).buffer);
    withStepBuffers(() => {
      const z = stepZeros(4);
      expect(z.buffer).toBe(used); // the same array, recycled
      expect(Array.from(z)).toEqual([0, 0, 0, 0]);
    });
    expect(stepBufferCount()).toBe(1);
  });

  it("stepArray: outside a scope a new zeroed array; in one, distinct pooled arrays shared with stepCopy's and recycled by the next scope", () => {
    const loose = stepArray(4);
    expect(Array.from(loose)).toEqual([0, 0, 0, 0]);
    expect(stepBufferCount()).toBe(0);
    const first = withStepBuffers(() => {
      const a = stepArray(3);
      const b = stepArray(3);
      const c = stepCopy(Float32Array.of(1, 2, 3));
      expect(a.length).toBe(3);
      expect(new Set([a.buffer, b.buffer, c.buffer]).size).toBe(3); // never one array twice in a scope
      a.fill(9);
      return [a.buffer, b.buffer, c.buffer];
    });
    expect(stepBufferCount()).toBe(3);
    withStepBuffers(() => {
      const d = stepArray(2); // the smallest free array that holds it: one of the three, recycled
      expect(first).toContain(d.buffer);
      expect(d.length).toBe(2);
    });
  });

  it("in a scope: copies into distinct arrays; the next scope gets the same arrays back, refilled", () => {
    const first = withStepBuffers(() => {
      const a = stepCopy(Float32Array.of(1, 2, 3));
      const b = stepCopy(Float32Array.of(4, 5, 6)); // same length, same scope: never the same array
      expect(a.buffer).not.toBe(b.buffer);
      expect(Array.from(a)).toEqual([1, 2, 3]);
      expect(Array.from(b)).toEqual([4, 5, 6]);
      return [a.buffer, b.buffer];
    });
    expect(stepBufferCount()).toBe(2);
    withStepBuffers(() => {
      const c = stepCopy(Float32Array.of(7, 8, 9));
      const d = stepCopy(Float32Array.of(0, 0, 1));
      expect(new Set([c.buffer, d.buffer])).toEqual(new Set(first)); // recycled, not allocated
      expect(Array.from(c)).toEqual([7, 8, 9]);
      expect(Array.from(d)).toEqual([0, 0, 1]);
      const third = stepCopy(Float32Array.of(1, 2)); // both pooled arrays are lent: a new one
      expect(first).not.toContain(third.buffer);
    });
  });

  it("a smaller request gets a view of the smallest pooled array that holds it (batches differ in Σ length)", () => {
    const [big, small] = withStepBuffers(() => [stepCopy(new Float32Array(100)).buffer, stepCopy(new Float32Array(10)).buffer]);
    withStepBuffers(() => {
      const a = stepCopy(Float32Array.of(1, 2, 3, 4, 5, 6, 7, 8)); // fits both: takes the smaller
      expect(a.buffer).toBe(small);
      expect(a.length).toBe(8);
      expect(Array.from(a)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
      const b = stepCopy(new Float32Array(50).fill(2)); // only the big one holds it
      expect(b.buffer).toBe(big);
      expect(b.length).toBe(50);
      const c = stepCopy(new Float32Array(11)); // nothing free: new, with headroom for a larger next batch
      expect(c.buffer).not.toBe(big);
      expect(c.buffer.byteLength).toBeGreaterThan(11 * 4);
    });
  });

  it("a nested scope returns nothing early: only the outermost scope's end recycles", () => {
    withStepBuffers(() => {
      const outer = stepCopy(Float32Array.of(1));
      withStepBuffers(() => {
        stepCopy(Float32Array.of(2));
      });
      const again = stepCopy(Float32Array.of(3));
      expect(again.buffer).not.toBe(outer.buffer);
      expect(outer[0]).toBe(1);
    });
    expect(stepBufferCount()).toBe(3);
  });

  it("keeps what the last four lending scopes used (recycling after a throw too), not aged by scopes that lend nothing, and drops the pool when idle", () => {
    vi.useFakeTimers();
    withStepBuffers(() => {
      stepCopy(new Float32Array(4));
      stepCopy(new Float32Array(500));
    });
    expect(() =>
      withStepBuffers(() => {
        stepCopy(new Float32Array(4));
        throw new Error("a failed step");
      }),
    ).toThrow("a failed step");
    for (let k = 0; k < 5; k++) withStepBuffers(() => {}); // steps on the JS kernels: nothing lent, nothing aged
    withStepBuffers(() => void stepCopy(new Float32Array(4)));
    withStepBuffers(() => void stepCopy(new Float32Array(4)));
    expect(stepBufferCount()).toBe(2); // the 500 was last used four lending scopes ago: kept
    withStepBuffers(() => void stepCopy(new Float32Array(4)));
    expect(stepBufferCount()).toBe(1); // five: let go
    vi.advanceTimersByTime(1999);
    expect(stepBufferCount()).toBe(1);
    vi.advanceTimersByTime(1);
    expect(stepBufferCount()).toBe(0);
  });

  it("a step in time cancels the idle drop", () => {
    vi.useFakeTimers();
    withStepBuffers(() => void stepCopy(new Float32Array(4)));
    vi.advanceTimersByTime(1500);
    withStepBuffers(() => void stepCopy(new Float32Array(4)));
    vi.advanceTimersByTime(1500);
    expect(stepBufferCount()).toBe(1);
  });
});
