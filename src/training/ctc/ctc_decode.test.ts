import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ctcDecode, type CTCLanguageModel } from "./ctc_decode.js";
import { ctcForward } from "./ctc_kernel.js";

/** Softmax rows from arbitrary scores. */
function softmaxRows(scores: number[][]): number[][] {
  return scores.map((row) => {
    const m = Math.max(...row);
    const e = row.map((v) => Math.exp(v - m));
    const s = e.reduce((a, b) => a + b);
    return e.map((v) => v / s);
  });
}

/** Collapse a path: merge repeats, drop blanks. */
function collapse(path: number[], blank: number): number[] {
  return path.filter((k, t) => k !== blank && (t === 0 || k !== path[t - 1]));
}

/** Every path of length T over K classes (K^T of them). */
function allPaths(T: number, K: number): number[][] {
  let paths: number[][] = [[]];
  for (let t = 0; t < T; t++) paths = paths.flatMap((p) => Array.from({ length: K }, (_, k) => [...p, k]));
  return paths;
}

/** log p(labels | x) by the forward recursion (itself checked against PyTorch in ctc_loss.test.ts). */
function labellingLogProb(probs: number[][], labels: number[], blank: number): number {
  const T = probs.length;
  const K = probs[0].length;
  const lp = Float64Array.from(probs.flat().map(Math.log));
  return ctcForward(new Float64Array(T * (2 * labels.length + 1)), lp, T, K, labels, blank);
}

const probsArb = (maxT: number, K: number) =>
  fc.integer({ min: 1, max: maxT }).chain((T) => fc.array(fc.array(fc.double({ min: -3, max: 3, noNaN: true }), { minLength: K, maxLength: K }), { minLength: T, maxLength: T }).map(softmaxRows));

describe("ctcDecode greedy", () => {
  it("equals the collapsed brute-force best path on small cases (property)", () => {
    fc.assert(
      fc.property(probsArb(5, 3), fc.integer({ min: 0, max: 2 }), (probs, blank) => {
        let best: number[] = [];
        let bestLog = -Infinity;
        for (const path of allPaths(probs.length, 3)) {
          const l = path.reduce((s, k, t) => s + Math.log(probs[t][k]), 0);
          if (l > bestLog) [best, bestLog] = [path, l];
        }
        const r = ctcDecode([probs], { blankIndex: blank });
        expect(r.paths[0][0]).toEqual(collapse(best, blank));
        expect(r.logProbabilities[0][0]).toBeCloseTo(bestLog, 9);
      }),
      { numRuns: 200, seed: 11 },
    );
  });

  it("merges repeats unless mergeRepeated is false; takes logits with fromLogits", () => {
    const probs = [
      [0.1, 0.8, 0.1],
      [0.1, 0.8, 0.1],
      [0.8, 0.1, 0.1],
      [0.2, 0.7, 0.1],
    ];
    expect(ctcDecode([probs]).paths).toEqual([[[1, 1]]]);
    expect(ctcDecode([probs], { mergeRepeated: false }).paths).toEqual([[[1, 1, 1]]]);
    expect(ctcDecode([probs.map((r) => r.map(Math.log))], { fromLogits: true }).paths).toEqual([[[1, 1]]]);
    expect(ctcDecode([probs], { blankIndex: -1 }).paths).toEqual([[[1, 0, 1]]]);
    expect(ctcDecode([[], probs]).paths).toEqual([[[]], [[1, 1]]]); // an empty sequence decodes to nothing
  });
});

describe("ctcDecode beam search", () => {
  it("with a wide beam equals exhaustive search over all label sequences (tiny alphabets, property)", () => {
    fc.assert(
      fc.property(probsArb(5, 3), (probs) => {
        const T = probs.length;
        // all labellings of length ≤ T over labels {1, 2} (blank 0)
        let labellings: number[][] = [[]];
        let frontier: number[][] = [[]];
        for (let l = 1; l <= T; l++) {
          frontier = frontier.flatMap((p) => [[...p, 1], [...p, 2]]);
          labellings = labellings.concat(frontier);
        }
        const scored = labellings.map((l) => ({ l, lp: labellingLogProb(probs, l, 0) })).sort((a, b) => b.lp - a.lp);
        const r = ctcDecode([probs], { strategy: "beamSearch", beamWidth: 200, topPaths: 3 });
        for (let p = 0; p < 3; p++) {
          expect(r.logProbabilities[0][p]).toBeCloseTo(scored[p].lp, 9);
          // ties in probability may order differently: the labelling must have the same probability
          expect(labellingLogProb(probs, r.paths[0][p], 0)).toBeCloseTo(scored[p].lp, 9);
        }
      }),
      { numRuns: 150, seed: 7 },
    );
  });

  it("labelling probabilities of the top paths sum to at most 1, best first; beam_search alias", () => {
    const probs = softmaxRows([[1, 0.5, 0.2], [0.3, 1.2, 0], [0.1, 0.2, 1.5], [1, 1, 1]]);
    const r = ctcDecode([probs], { strategy: "beam_search", beamWidth: 50, topPaths: 5 });
    const ps = r.logProbabilities[0].map(Math.exp);
    for (let p = 1; p < ps.length; p++) expect(ps[p]).toBeLessThanOrEqual(ps[p - 1]);
    expect(ps.reduce((a, b) => a + b)).toBeLessThanOrEqual(1 + 1e-12);
  });

  it("rejects bad options and predictions with coded errors", () => {
    const probs = [[[0.5, 0.5]]];
    expect(() => ctcDecode(probs, { strategy: "viterbi" as "greedy" })).toThrow(expect.objectContaining({ code: "INVALID_ARGUMENT" }));
    expect(() => ctcDecode(probs, { topPaths: 2 })).toThrow(/topPaths/);
    expect(() => ctcDecode(probs, { strategy: "beamSearch", beamWidth: 2, topPaths: 3 })).toThrow(/topPaths/);
    expect(() => ctcDecode(probs, { blankIndex: 2 })).toThrow(/blankIndex/);
    expect(() => ctcDecode([[[0.5, 0.5], [0.2]]])).toThrow(expect.objectContaining({ code: "BAD_INPUT", message: expect.stringMatching(/predictions\[0\]\[1\] does not have 2 class scores/) }));
    expect(() => ctcDecode([[[0.5, -0.5]]])).toThrow(/is not a probability/);
    expect(() => ctcDecode([[[1]]])).toThrow(/at least two classes/);
    expect(() => ctcDecode(null as unknown as number[][][])).toThrow(expect.objectContaining({ code: "BAD_INPUT" }));
  });

  it("does not mutate its input", () => {
    const probs = [softmaxRows([[1, 2, 3], [3, 2, 1]])];
    const copy = JSON.stringify(probs);
    ctcDecode(probs, { strategy: "beamSearch" });
    expect(JSON.stringify(probs)).toBe(copy);
  });
});

/** A bigram model over labels {1, 2} (blank 0) with an end symbol: P(next | last), P(end | last). */
function bigram(table: number[][]): CTCLanguageModel & { logP(labels: number[]): number } {
  // table[last + 1 (0 = start)] = unnormalised weights of [1, 2, end]
  const norm = table.map((row) => row.map((w) => Math.log(w / row.reduce((a, b) => a + b))));
  const lastOf = (prefix: readonly number[]) => (prefix.length === 0 ? 0 : prefix[prefix.length - 1]);
  return {
    logProbabilities: (prefix) => [0, norm[lastOf(prefix)][0], norm[lastOf(prefix)][1]],
    endLogProbability: (labels) => norm[lastOf(labels)][2],
    logP(labels) {
      let s = 0;
      labels.forEach((k, i) => (s += norm[i === 0 ? 0 : labels[i - 1]][k - 1]));
      return s + norm[lastOf(labels)][2];
    },
  };
}

describe("ctcDecode beam search with a language model", () => {
  const rowArb = fc.array(fc.double({ min: 0.05, max: 1, noNaN: true }), { minLength: 3, maxLength: 3 });

  it("with a wide beam finds the labelling that maximises log p(l|x) + α·log P_LM(l) + β·|l| (exhaustive, property)", () => {
    fc.assert(
      fc.property(probsArb(5, 3), fc.array(rowArb, { minLength: 3, maxLength: 3 }), fc.double({ min: 0, max: 2, noNaN: true }), fc.double({ min: -1, max: 1, noNaN: true }), (probs, table, alpha, beta) => {
        const lm = bigram(table);
        let labellings: number[][] = [[]];
        let frontier: number[][] = [[]];
        for (let l = 1; l <= probs.length; l++) {
          frontier = frontier.flatMap((p) => [[...p, 1], [...p, 2]]);
          labellings = labellings.concat(frontier);
        }
        const fused = (l: number[]) => labellingLogProb(probs, l, 0) + alpha * lm.logP(l) + beta * l.length;
        const best = Math.max(...labellings.map(fused));
        const r = ctcDecode([probs], { strategy: "beamSearch", beamWidth: 200, languageModel: lm, languageModelWeight: alpha, insertionBonus: beta });
        expect(fused(r.paths[0][0])).toBeCloseTo(best, 9);
        // logProbabilities stay the network's own log p(l | x)
        expect(r.logProbabilities[0][0]).toBeCloseTo(labellingLogProb(probs, r.paths[0][0], 0), 9);
      }),
      { numRuns: 150, seed: 5 },
    );
  });

  it("a model that scores nothing changes nothing; one that forbids a label keeps it out", () => {
    const probs = [softmaxRows([[0, 2, 1], [0, 0.5, 2], [1, 0, 0], [0, 2, 2.1]])];
    const plain = ctcDecode(probs, { strategy: "beamSearch", beamWidth: 8, topPaths: 3 });
    const flat = ctcDecode(probs, { strategy: "beamSearch", beamWidth: 8, topPaths: 3, languageModel: { logProbabilities: () => [0, 0, 0] }, languageModelWeight: 3 });
    expect(flat).toEqual(plain);
    expect(plain.paths[0][0]).toContain(2);
    const no2 = ctcDecode(probs, { strategy: "beamSearch", beamWidth: 8, languageModel: { logProbabilities: () => [0, 0, -Infinity] } });
    expect(no2.paths[0][0].length).toBeGreaterThan(0);
    expect(no2.paths[0][0]).not.toContain(2);
  });

  it("rejects a language model it cannot use with coded errors", () => {
    const probs = [[[0.5, 0.3, 0.2]]];
    const lm: CTCLanguageModel = { logProbabilities: () => [0, -1, -1] };
    const code = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        return (e as { code?: string }).code;
      }
      return "none";
    };
    expect(() => ctcDecode(probs, { languageModel: lm })).toThrow(/beamSearch/);
    expect(code(() => ctcDecode(probs, { strategy: "beamSearch", languageModelWeight: 0.5 }))).toBe("INVALID_ARGUMENT");
    expect(code(() => ctcDecode(probs, { strategy: "beamSearch", languageModel: lm, languageModelWeight: -1 }))).toBe("INVALID_ARGUMENT");
    expect(code(() => ctcDecode(probs, { strategy: "beamSearch", languageModel: lm, insertionBonus: NaN }))).toBe("INVALID_ARGUMENT");
    expect(() => ctcDecode(probs, { strategy: "beamSearch", languageModel: { logProbabilities: () => [0, -1] } })).toThrow(/one log-probability per output class/);
    expect(() => ctcDecode(probs, { strategy: "beamSearch", languageModel: { logProbabilities: () => [0, NaN, -1] } })).toThrow(/not a log-probability/);
    expect(() => ctcDecode(probs, { strategy: "beamSearch", languageModel: { logProbabilities: () => [0, 0.5, -1] } })).toThrow(/not a log-probability/);
    expect(() => ctcDecode(probs, { strategy: "beamSearch", languageModel: { ...lm, endLogProbability: () => 2 } })).toThrow(/endLogProbability/);
  });
});

describe("ctcDecode beam search keys", () => {
  it("tells apart class ids beyond one UTF-16 unit (≥ 0xFFFF) and their low halves", () => {
    // 70,001 classes: blank 0; only classes 1, 0xFFFF, 0x10001 and 0x10001 & 0xFFFF = 1 matter
    const K = 0x10002;
    const row = (hot: Record<number, number>) => {
      const r = new Float64Array(K).fill(1e-12);
      for (const [k, p] of Object.entries(hot)) r[Number(k)] = p;
      return Array.from(r);
    };
    const probs = [row({ 0x10001: 0.6, 1: 0.3 }), row({ 0: 0.5, 0xffff: 0.4 })];
    const r = ctcDecode([probs], { strategy: "beamSearch", beamWidth: 4, topPaths: 4 });
    const keys = r.paths[0].map((p) => p.join(","));
    expect(keys[0]).toBe(String(0x10001));
    expect(new Set(keys).size).toBe(keys.length); // no two labellings merged into one
    expect(keys).toContain(`${0x10001},${0xffff}`);
    expect(keys).toContain("1");
  });
});

describe("ctcDecode beam search on long sequences", () => {
  it("decodes 30,000 steps into 30,000 labels (no recursion over the prefix)", () => {
    const T = 30000;
    const probs = Array.from({ length: T }, (_, t) => (t % 2 === 0 ? [0.1, 0.8, 0.1] : [0.1, 0.1, 0.8]));
    const r = ctcDecode([probs], { strategy: "beamSearch", beamWidth: 2 });
    expect(r.paths[0][0].length).toBe(T);
    expect(r.paths[0][0].slice(0, 4)).toEqual([1, 2, 1, 2]);
  });
});
