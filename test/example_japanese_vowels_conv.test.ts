/**
 * Smoke test of `npm run example:japanese-vowels-conv` on a tiny subset (the full run and its
 * figure are in examples/japanese-vowels-conv/README.md): it trains and evaluates, prints the
 * measured figure last, and is reproducible for a seed.
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import { kernels, setKernels } from "../src/index.js";
import { augment } from "../examples/japanese-vowels-conv/augment.js";
import { withDeltas } from "../examples/japanese-vowels-conv/deltas.js";
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

describe("japanese-vowels-conv ensemble and deltas", () => {
  it("--ensemble N trains seeds seed…seed+N−1 (each member as a run with that seed) and classifies by their averaged softmax", async () => {
    const options = { epochs: 1, limit: 30, seed: 3, verbose: 0 } as const;
    const both = await main({ ...options, ensemble: 2 });
    const alone = [await main(options), await main({ ...options, seed: 4 })];
    expect(both.members).toEqual(alone.map((r) => r.accuracy));
    expect(both.accuracy).toBeGreaterThanOrEqual(0);
    expect(both.accuracy).toBeLessThanOrEqual(1);
  });

  it("withDeltas appends x_t − x_{t−1} per utterance (zeros at its first frame) and leaves the input alone", () => {
    const xs = [[[1, 2], [4, 3], [4, 5]], [[7, 7]]];
    const before = JSON.stringify(xs);
    expect(withDeltas(xs)).toEqual([[[1, 2, 0, 0], [4, 3, 3, 1], [4, 5, 0, 2]], [[7, 7, 0, 0]]]);
    expect(JSON.stringify(xs)).toBe(before);
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
