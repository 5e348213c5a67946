// The bench's two-thread ceilings (bench/parallel_ceiling.ts): steps whose pieces this thread and
// one worker claim from a shared counter (GEMMs, or the seed step's chunks). Every piece runs
// exactly once, whoever runs it, and a two-thread step returns only after the worker is done too.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CeilingPair, CHUNKS, runPieces } from "../bench/parallel_ceiling.js";
import { loadRaggedWasm } from "../src/core/wasm/loader.js";

describe("runPieces", () => {
  it("claims every piece once: two claimants on one counter split the count between them", () => {
    const control = new Int32Array(new SharedArrayBuffer(24));
    control[3] = 25; // COUNT; KIND 0: gemm pieces
    const seen: number[] = [];
    const other = { gemm: (k: number) => void seen.push(k), chunks: () => expect.unreachable() };
    const first = runPieces(control, {
      gemm: (k) => {
        seen.push(k);
        if (seen.length === 10) expect(runPieces(control, other)).toBe(15); // a second claimant takes the rest
      },
      chunks: () => expect.unreachable(),
    });
    expect(first).toBe(10);
    expect([...seen].sort((a, b) => a - b)).toEqual(Array.from({ length: 25 }, (_, k) => k)); // each piece once
    expect(runPieces(control, other)).toBe(0); // none left
  });
});

// the GEMM pieces need WebAssembly SIMD (the no-SIMD suite has none)
describe.runIf(typeof SharedArrayBuffer === "function" && loadRaggedWasm() !== null)("CeilingPair", () => {
  let pair: CeilingPair;
  beforeAll(async () => {
    pair = await CeilingPair.start({ pieces: 60 });
  }, 60_000);
  afterAll(async () => {
    await pair?.close();
  });

  it("one thread runs every piece itself; two threads run them between them, each once, and the step waits for both", () => {
    const one = pair.step(1);
    expect(one).toMatchObject({ mine: 60, theirs: 0 });
    for (let k = 0; k < 5; k++) {
      const two = pair.step(2);
      expect(two.mine + two.theirs).toBe(60);
      expect(two.ms).toBeGreaterThan(0);
    }
    expect(pair.step(1)).toMatchObject({ mine: 60, theirs: 0 }); // the worker sat out
  });

  it("a step of the seed step's chunks: CHUNKS pieces between the two threads", () => {
    expect(pair.step(1, "chunks")).toMatchObject({ mine: CHUNKS, theirs: 0 });
    const two = pair.step(2, "chunks");
    expect(two.mine + two.theirs).toBe(CHUNKS);
  });
});
