/**
 * Smoke test of `npm run example:japanese-vowels-conv` on a tiny subset (the full run and its
 * figure are in examples/japanese-vowels-conv/README.md): it trains and evaluates, prints the
 * measured figure last, and is reproducible for a seed.
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import { kernels, setKernels } from "../src/index.js";
import { augment } from "../examples/japanese-vowels-conv/augment.js";
import { main } from "../examples/japanese-vowels-conv/main.js";

const initialKernels = kernels();
afterEach(() => {
  setKernels(initialKernels);
  vi.restoreAllMocks();
});

describe("example: japanese-vowels-conv", () => {
  it("trains on a subset and prints `test accuracy: …` last", async () => {
    const lines: string[] = [];
    vi.spyOn(console, "log").mockImplementation((s: unknown) => void lines.push(String(s)));
    const r = await main({ epochs: 1, limit: 40, verbose: 2 });
    expect(r.accuracy).toBeGreaterThanOrEqual(0);
    expect(r.accuracy).toBeLessThanOrEqual(1);
    expect(lines[lines.length - 1]).toBe(`test accuracy: ${r.accuracy.toFixed(4)}`);
  });

  it("is reproducible with the same seed", async () => {
    const a = await main({ epochs: 2, limit: 30, verbose: 0, seed: 3 });
    const b = await main({ epochs: 2, limit: 30, verbose: 0, seed: 3 });
    expect(b.accuracy).toBe(a.accuracy);
  });
});

describe("japanese-vowels-conv augmentation", () => {
  it("adds cropped copies after the originals, each a contiguous 75–100 % of its utterance, and leaves the input alone", () => {
    const xs = Array.from({ length: 5 }, (_, i) => Array.from({ length: 8 + i }, (_, t) => [i, t, i * 100 + t]));
    const ys = [0, 1, 2, 3, 4];
    const before = JSON.stringify(xs);
    const { xs: out, ys: outY } = augment(xs, ys, { copies: 3, noise: 0, seed: 5 });
    expect(JSON.stringify(xs)).toBe(before);
    expect(out).toHaveLength(20);
    expect(outY).toEqual([...ys, ...ys, ...ys, ...ys]);
    expect(out.slice(0, 5)).toEqual(xs);
    const lengths = new Set<number>();
    out.slice(5).forEach((copy, k) => {
      const i = k % 5;
      const original = xs[i];
      expect(copy.length).toBeGreaterThanOrEqual(Math.round(0.75 * original.length));
      expect(copy.length).toBeLessThanOrEqual(original.length);
      const start = copy[0][1];
      expect(copy).toEqual(original.slice(start, start + copy.length)); // contiguous frames of its own utterance
      lengths.add(copy.length - original.length);
    });
    expect(lengths.size).toBeGreaterThan(1); // crops differ
    const noisy = augment(xs, ys, { copies: 1, noise: 0.1, seed: 5 }).xs.slice(5);
    const zero = augment(xs, ys, { copies: 1, noise: 0, seed: 5 }).xs.slice(5);
    expect(noisy).not.toEqual(zero);
  });
});
