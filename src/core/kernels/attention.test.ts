import { describe, expect, it } from "vitest";
import { Random } from "../random.js";
import { attentionBackward, attentionForward, attentionProblems } from "./attention.js";
import {
  checkAttentionGradients, goldenKernelArgs, loadAttentionGolden, randomArgs, randomDropoutMask, rows,
} from "./attention.test-support.js";

const TOL = 2e-5;

function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: number, what: string): void {
  expect(actual.length, `${what} length`).toBe(expected.length);
  let worst = 0;
  for (let i = 0; i < expected.length; i++) worst = Math.max(worst, Math.abs(actual[i] - expected[i]) / Math.max(1, Math.abs(expected[i])));
  expect(worst, what).toBeLessThan(tol);
}

describe("attention kernel (reference) against PyTorch goldens", () => {
  const cases = loadAttentionGolden().filter((c) => c.layer !== "MultiHeadAttention");
  it("covers Luong dot / concat and Bahdanau, causal, score gradients", () => {
    expect(cases.length).toBe(7);
  });
  for (const c of cases) {
    it(c.name, () => {
      const args = goldenKernelArgs(c);
      const { out, cache } = attentionForward(args);
      expectClose(out, rows(c.output), TOL, "output");
      expectClose(cache.probs, (c.scores as number[][][]).flat(2), TOL, "scores");
      const g = attentionBackward({ cache, dOut: rows(c.dOut), dProbs: c.dScores ? Float32Array.from(c.dScores.flat(2)) : null });
      if (c.selfAttention) {
        // query, key and value are one tensor: its gradient is the sum of the three
        const sum = g.dq.map((x, i) => x + g.dk[i] + g.dv[i]);
        expectClose(sum, rows(c.grads.query), TOL, "d(query = key = value)");
      } else {
        expectClose(g.dq, rows(c.grads.query), TOL, "dQuery");
        if (c.inputs.key) {
          expectClose(g.dk, rows(c.grads.key!), TOL, "dKey");
          expectClose(g.dv, rows(c.grads.value!), TOL, "dValue");
        } else {
          expectClose(g.dk.map((x, i) => x + g.dv[i]), rows(c.grads.value!), TOL, "d(value = key)");
        }
      }
      // score parameters, Keras order
      const wg = c.grads.weights;
      const names = c.weights.map((w) => w.name);
      if (c.layer === "AdditiveAttention") {
        if (names.includes("scale")) expectClose(g.dWeights, wg[0], TOL, "dScale");
      } else if (c.config.scoreMode === "concat") {
        const dCsw = g.dWeights.reduce((a, b) => a + b, 0);
        expectClose([dCsw], wg[names.indexOf("concat_score_weight")], TOL, "dConcatScoreWeight");
        if (names.includes("scale")) expectClose([g.dScale], wg[names.indexOf("scale")], TOL, "dScale");
      } else if (names.includes("scale")) {
        expectClose([g.dScale], wg[0], TOL, "dScale");
      }
    });
  }
});

describe("attention kernel (reference): gradients by central differences", () => {
  const variants: { name: string; score: "dot" | "tanh"; causal: boolean; dropout: boolean; probGrad: boolean }[] = [
    { name: "dot", score: "dot", causal: false, dropout: false, probGrad: false },
    { name: "dot, causal, dropout, score gradient", score: "dot", causal: true, dropout: true, probGrad: true },
    { name: "tanh", score: "tanh", causal: false, dropout: false, probGrad: true },
    { name: "tanh, causal, dropout", score: "tanh", causal: true, dropout: true, probGrad: false },
  ];
  for (const v of variants) {
    it(v.name, () => {
      const rng = new Random(11);
      // an empty value sequence and an empty query sequence among the problems; Dk ≠ Dv
      const args = randomArgs(rng, [3, 1, 0, 2, 4], [2, 3, 2, 0, 4], 3, 2, v.score, v.causal);
      if (v.dropout) args.dropoutMask = randomDropoutMask(rng, args.problems.totalScores, 0.3);
      const checked = checkAttentionGradients(attentionForward, attentionBackward, args, rng, v.probGrad);
      expect(checked).toBeGreaterThan(60);
    });
  }
});

describe("attention kernel (reference): ragged semantics", () => {
  it("a problem's result does not depend on the other problems' lengths", () => {
    const rng = new Random(3);
    for (const kind of ["dot", "tanh"] as const) {
      const alone = randomArgs(rng, [3], [4], 4, 5, kind, false);
      const { out: outAlone, cache: cacheAlone } = attentionForward(alone);
      // the same problem between two others of different lengths
      const mixed = randomArgs(rng, [6, 3, 1], [2, 4, 7], 4, 5, kind, false);
      const p = mixed.problems;
      mixed.q.set(alone.q, p.qStarts[1] * 4);
      mixed.k.set(alone.k, p.kStarts[1] * 4);
      mixed.v.set(alone.v, p.kStarts[1] * 5);
      if (kind === "tanh" && alone.score.kind === "tanh" && mixed.score.kind === "tanh") mixed.score = alone.score;
      if (kind === "dot") mixed.score = alone.score;
      const { out, cache } = attentionForward(mixed);
      expect(Array.from(out.subarray(p.qStarts[1] * 5, (p.qStarts[1] + 3) * 5))).toEqual(Array.from(outAlone));
      expect(Array.from(cache.probs.subarray(p.sStarts[1], p.sStarts[1] + 12))).toEqual(Array.from(cacheAlone.probs));
    }
  });

  it("rows sum to 1 over the allowed keys and are 0 beyond them (causal)", () => {
    const rng = new Random(4);
    const args = randomArgs(rng, [4, 2], [3, 5], 3, 3, "dot", true);
    const { cache } = attentionForward(args);
    const p = args.problems;
    for (let b = 0; b < 2; b++) {
      const Lq = p.qLengths[b], Lk = p.kLengths[b];
      for (let i = 0; i < Lq; i++) {
        const row = Array.from(cache.probs.subarray(p.sStarts[b] + i * Lk, p.sStarts[b] + (i + 1) * Lk));
        const allowed = Math.min(Lk, i + 1);
        expect(row.slice(0, allowed).reduce((a, x) => a + x, 0)).toBeCloseTo(1, 6);
        expect(row.slice(allowed).every((x) => x === 0)).toBe(true);
      }
    }
  });

  it("an empty value sequence gives zeros, never NaN", () => {
    const rng = new Random(5);
    const args = randomArgs(rng, [2], [0], 3, 2, "dot", false);
    const { out } = attentionForward(args);
    expect(Array.from(out)).toEqual([0, 0, 0, 0]);
  });

  it("does not mutate its inputs", () => {
    const rng = new Random(6);
    const args = randomArgs(rng, [2, 3], [3, 1], 2, 2, "tanh", false);
    const before = [args.q, args.k, args.v].map((a) => Float32Array.from(a));
    const { cache } = attentionForward(args);
    attentionBackward({ cache, dOut: new Float32Array(args.problems.totalQ * 2).fill(1) });
    [args.q, args.k, args.v].forEach((a, i) => expect(Array.from(a)).toEqual(Array.from(before[i])));
  });

  it("attentionProblems lays problems out contiguously", () => {
    const p = attentionProblems([2, 1], [3, 0]);
    expect(Array.from(p.qStarts)).toEqual([0, 2]);
    expect(Array.from(p.kStarts)).toEqual([0, 3]);
    expect(Array.from(p.sStarts)).toEqual([0, 6]);
    expect([p.totalQ, p.totalK, p.totalScores]).toEqual([3, 3, 6]);
  });
});
