// The WebAssembly attention kernels against the JS reference (the spec) on random ragged problems:
// lengths including 0, Dk ≠ Dv, sizes that are and are not multiples of 4 and 8, dot and tanh
// scores, causal, dropout, a gradient on the returned probabilities. Tolerance (as wasm.test.ts):
//     |wasm − js| ≤ 2e-5 · (1 + max |js|)   for every element of every output
// (the wasm exp and tanh are polynomial approximations with relative error ≈ 1e-7 to 3e-7).
// Also: the PyTorch goldens and central differences through the wasm kernels themselves.
import { describe, expect, it } from "vitest";
import { Random } from "../random.js";
import { attentionBackward, attentionForward } from "./attention.js";
import { wasmAttentionBackward, wasmAttentionForward, wasmSimdSupported } from "./wasm.js";
import {
  checkAttentionGradients, goldenKernelArgs, loadAttentionGolden, randomArgs, randomDropoutMask, rows,
} from "./attention.test-support.js";
import { loadRaggedWasm, wasmHeap } from "../wasm/loader.js";
import { scaledError } from "./wasm_checks.test-support.js";

const TOL = 2e-5;

const simd = wasmSimdSupported();

describe.runIf(simd)("wasm attention kernels match the reference", () => {
  const shapes: [number, number][] = [[3, 2], [4, 4], [8, 8], [16, 5], [7, 9], [1, 1], [33, 12]];
  for (let variant = 0; variant < 28; variant++) {
    const [Dk, Dv] = shapes[variant % shapes.length];
    const score = variant % 2 === 0 ? "dot" : "tanh";
    const causal = variant % 4 >= 2;
    const dropout = variant % 7 === 3 || variant % 5 === 1;
    const probGrad = variant % 3 === 0;
    it(`Dk=${Dk} Dv=${Dv} ${score}${causal ? " causal" : ""}${dropout ? " dropout" : ""}${probGrad ? " dProbs" : ""}`, () => {
      const rng = new Random(100 + variant);
      const P = 1 + rng.int(0, 6);
      const qLengths = Array.from({ length: P }, () => rng.int(0, 13));
      const kLengths = Array.from({ length: P }, () => rng.int(0, 19));
      const args = randomArgs(rng, qLengths, kLengths, Dk, Dv, score, causal);
      if (dropout) args.dropoutMask = randomDropoutMask(rng, args.problems.totalScores, 0.25);
      const js = attentionForward(args);
      const wa = wasmAttentionForward(args);
      expect(scaledError(wa.out, js.out)).toBeLessThan(TOL);
      expect(scaledError(wa.cache.probs, js.cache.probs)).toBeLessThan(TOL);
      const dOut = Float32Array.from({ length: args.problems.totalQ * Dv }, () => rng.uniformRange(-1, 1));
      const dProbs = probGrad ? Float32Array.from({ length: args.problems.totalScores }, () => rng.uniformRange(-1, 1)) : null;
      const gj = attentionBackward({ cache: js.cache, dOut, dProbs });
      const gw = wasmAttentionBackward({ cache: wa.cache, dOut, dProbs });
      expect(scaledError(gw.dq, gj.dq)).toBeLessThan(TOL);
      expect(scaledError(gw.dk, gj.dk)).toBeLessThan(TOL);
      expect(scaledError(gw.dv, gj.dv)).toBeLessThan(TOL);
      expect(scaledError(gw.dWeights, gj.dWeights)).toBeLessThan(TOL);
      expect(Math.abs(gw.dScale - gj.dScale)).toBeLessThan(TOL * (1 + Math.abs(gj.dScale)) * 10);
    });
  }

  it("reproduces the PyTorch goldens", () => {
    const cases = loadAttentionGolden().filter((c) => c.layer !== "MultiHeadAttention");
    for (const c of cases) {
      const args = goldenKernelArgs(c);
      const { out, cache } = wasmAttentionForward(args);
      expect(scaledError(out, rows(c.output)), c.name).toBeLessThan(TOL);
      const g = wasmAttentionBackward({ cache, dOut: rows(c.dOut), dProbs: c.dScores ? Float32Array.from(c.dScores.flat(2)) : null });
      const dQuery = c.selfAttention ? g.dq.map((x, i) => x + g.dk[i] + g.dv[i]) : g.dq;
      expect(scaledError(dQuery, rows(c.grads.query)), c.name).toBeLessThan(TOL);
    }
  });

  it("passes the central-difference check (dot and tanh, causal, dropout)", () => {
    const rng = new Random(21);
    for (const score of ["dot", "tanh"] as const) {
      const args = randomArgs(rng, [3, 0, 5], [4, 2, 3], 5, 3, score, true);
      args.dropoutMask = randomDropoutMask(rng, args.problems.totalScores, 0.2);
      expect(checkAttentionGradients(wasmAttentionForward, wasmAttentionBackward, args, rng, true)).toBeGreaterThan(60);
    }
  });

  it("leaves no wasm blocks behind and does not mutate its inputs", () => {
    const rng = new Random(8);
    const args = randomArgs(rng, [4, 2], [3, 6], 4, 4, "tanh", false);
    const before = [args.q, args.k, args.v].map((a) => Float32Array.from(a));
    const live = wasmHeap(loadRaggedWasm()!).liveBlocks;
    const { cache } = wasmAttentionForward(args);
    wasmAttentionBackward({ cache, dOut: new Float32Array(args.problems.totalQ * 4).fill(0.5) });
    expect(wasmHeap(loadRaggedWasm()!).liveBlocks).toBe(live);
    [args.q, args.k, args.v].forEach((a, i) => expect(Array.from(a)).toEqual(Array.from(before[i])));
  });

  it("falls back to the reference for arrays shorter than the shapes say", () => {
    const rng = new Random(9);
    const args = randomArgs(rng, [2], [3], 4, 4, "dot", false);
    const short = { ...args, v: args.v.subarray(0, 5) };
    // the reference reads past the end as undefined → NaN; the fallback must be the reference exactly
    expect(Array.from(wasmAttentionForward(short).out)).toEqual(Array.from(attentionForward(short).out));
  });
});
