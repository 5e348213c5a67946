/**
 * Smoke test of `npm run example:japanese-vowels-conv` on a tiny subset (the full run and its
 * figure are in examples/japanese-vowels-conv/README.md): it trains and evaluates, prints the
 * measured figure last, and is reproducible for a seed.
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import { kernels, setKernels } from "../src/index.js";
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
