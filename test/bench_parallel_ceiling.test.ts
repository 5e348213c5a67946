// The bench's parallel ceiling (bench/parallel_ceiling.ts): a GEMM-only step whose pieces this
// thread and one worker claim from a shared counter. Every piece runs exactly once, whoever runs
// it, and a two-thread step returns only after the worker has run out too.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CeilingPair, runPieces } from "../bench/parallel_ceiling.js";

describe("runPieces", () => {
  it("claims every piece once: two claimants on one counter split the count between them", () => {
    const control = new Int32Array(new SharedArrayBuffer(20));
    control[3] = 25; // COUNT
    let calls = 0;
    const first = runPieces(control, () => {
      calls++;
      if (calls === 10) expect(runPieces(control, () => calls++)).toBe(15); // a second claimant takes the rest
    });
    expect(first).toBe(10);
    expect(calls).toBe(25);
    expect(runPieces(control, () => calls++)).toBe(0); // none left
  });
});

describe.runIf(typeof SharedArrayBuffer === "function")("CeilingPair", () => {
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
});
