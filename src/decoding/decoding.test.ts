import { describe, expect, it } from "vitest";
import { RaggedError } from "../core/errors.js";
import { Random } from "../core/random.js";
import { refused } from "../../test/harness.js";
import { beamSearch, type DecoderLanguageModel } from "./beam_search.js";
import type { DecodeStep } from "./decode_step.js";
import { ensembleStep } from "./ensemble_step.js";
import { greedyDecode } from "./greedy_decode.js";

const START = 0;
const END = 1;
const V = 5;
const H = 2;

/**
 * A small recurrent toy decoder with two states (h [R, 2], and a step counter [R, 1]): logits and
 * the next states depend on the row's own states and token only; the end token grows likelier with
 * every step, so sequences end at different lengths.
 */
function toyStep(seed = 7, calls: number[] = []): DecodeStep {
  const rng = new Random(seed);
  const W = Array.from({ length: H * V }, () => rng.normal() * 2);
  const A = Array.from({ length: H * H }, () => rng.normal() * 0.8);
  const E = Array.from({ length: V * H }, () => rng.normal());
  return ({ tokens, states, rows }) => {
    calls.push(rows);
    const [h, n] = states;
    const output = new Float32Array(rows * V);
    const next = new Float32Array(rows * H);
    const count = new Float32Array(rows);
    for (let r = 0; r < rows; r++) {
      count[r] = n[r] + 1;
      for (let j = 0; j < H; j++) {
        let z = E[tokens[r] * H + j];
        for (let k = 0; k < H; k++) z += A[j * H + k] * h[r * H + k];
        next[r * H + j] = Math.tanh(z);
      }
      for (let v = 0; v < V; v++) {
        let z = 0;
        if (v === END) z = 1.5 * count[r] - 5;
        else for (let j = 0; j < H; j++) z += W[j * V + v] * next[r * H + j];
        output[r * V + v] = z;
      }
    }
    return { output, states: [next, count] };
  };
}

function initialStates(n: number, seed = 3): number[][][] {
  const rng = new Random(seed);
  return [Array.from({ length: n }, () => [rng.normal(), rng.normal()]), Array.from({ length: n }, () => [0])];
}

/**
 * Every hypothesis up to maxLength scored exactly: the best by log-probability, or with `fusion` by
 * log p + α·log P_LM + β·(tokens emitted). `score` is log p alone, `lm` Σ log P_LM.
 */
async function bruteForceBest(
  step: DecodeStep, h0: number[][], maxLength: number, fusion?: { model: DecoderLanguageModel; weight: number; bonus: number },
): Promise<{ tokens: number[]; score: number; lm: number }> {
  let best = { tokens: [] as number[], score: -Infinity, lm: 0, fused: -Infinity };
  const walk = async (tokens: number[], h: Float32Array[], score: number, lm: number): Promise<void> => {
    const last = tokens.length ? tokens[tokens.length - 1] : START;
    const out = await step({ tokens: Int32Array.of(last), states: h, rows: 1, sequences: Int32Array.of(0) });
    const logits = Array.from(out.output);
    const m = Math.max(...logits);
    const lse = m + Math.log(logits.reduce((s, z) => s + Math.exp(z - m), 0));
    const row = fusion ? fusion.model.logProbabilities(tokens) : null;
    for (let v = 0; v < V; v++) {
      const s = score + logits[v] - lse;
      const l = lm + (row ? row[v] : 0);
      const emitted = v === END ? tokens.length : tokens.length + 1;
      const fused = fusion ? s + fusion.weight * l + fusion.bonus * emitted : s;
      if (v === END || tokens.length + 1 === maxLength) {
        if (fused > best.fused) best = { tokens: v === END ? [...tokens] : [...tokens, v], score: s, lm: l, fused };
        continue;
      }
      await walk([...tokens, v], out.states, s, l);
    }
  };
  await walk([], h0.map((row) => Float32Array.from(row)), 0, 0);
  return best;
}

/** A random bigram model over the V tokens (the end token's entry ends the sequence; the start token never follows). */
function bigram(seed: number): DecoderLanguageModel {
  const rng = new Random(seed);
  const table = Array.from({ length: V }, () => {
    const z = Array.from({ length: V }, (_, v) => (v === START ? -Infinity : rng.normal() * 1.5));
    const m = Math.max(...z);
    const lse = m + Math.log(z.reduce((s, x) => s + Math.exp(x - m), 0));
    return z.map((x) => x - lse);
  });
  return { logProbabilities: (prefix) => table[prefix.length ? prefix[prefix.length - 1] : START] };
}

describe("greedyDecode", () => {
  it("drops finished rows: the step sees only running rows, and the cost is Σ steps per sequence", async () => {
    const calls: number[] = [];
    const states = initialStates(40);
    const r = await greedyDecode({ step: toyStep(7, calls), initialStates: states, startToken: START, endToken: END, maxLength: 12, fromLogits: true });
    expect(r.sequences).toHaveLength(40);
    const perSequence = r.sequences.map((s, i) => s.length + (r.finished[i] ? 1 : 0));
    expect(r.rowsStepped).toBe(perSequence.reduce((a, b) => a + b, 0));
    expect(calls.reduce((a, b) => a + b, 0)).toBe(r.rowsStepped);
    expect(r.steps).toBe(Math.max(...perSequence));
    for (let t = 1; t < calls.length; t++) expect(calls[t]).toBeLessThanOrEqual(calls[t - 1]);
    // lengths differ, so padding along would have cost more
    expect(r.rowsStepped).toBeLessThan(40 * r.steps);
    expect(new Set(perSequence).size).toBeGreaterThan(1);
  });

  it("gives each sequence the result it gets when decoded alone", async () => {
    const step = toyStep();
    const states = initialStates(25);
    const batched = await greedyDecode({ step, initialStates: states, startToken: START, endToken: END, maxLength: 12, fromLogits: true });
    let alone = 0;
    for (let i = 0; i < 25; i++) {
      const r = await greedyDecode({ step, initialStates: [[states[0][i]], [states[1][i]]], startToken: START, endToken: END, maxLength: 12, fromLogits: true });
      expect(r.sequences[0]).toEqual(batched.sequences[i]);
      expect(r.scores[0]).toBeCloseTo(batched.scores[i], 10);
      expect(r.finished[0]).toBe(batched.finished[i]);
      alone += r.rowsStepped;
    }
    expect(batched.rowsStepped).toBe(alone);
  });

  it("stops at maxLength and marks the sequence unfinished", async () => {
    const never: DecodeStep = ({ rows, states: [...states] }) => ({ output: new Float32Array(rows * 3).map((_, i) => (i % 3 === 2 ? 0.9 : 0.05)), states });
    const r = await greedyDecode({ step: never, initialStates: [], count: 2, startToken: 0, endToken: 1, maxLength: 4 });
    expect(r.sequences).toEqual([[2, 2, 2, 2], [2, 2, 2, 2]]);
    expect(r.finished).toEqual([false, false]);
    expect(r.scores[0]).toBeCloseTo(4 * Math.log(0.9), 5);
    expect(r.rowsStepped).toBe(8);
  });

  it("does not mutate the initial states", async () => {
    const states = initialStates(5);
    const copy = JSON.parse(JSON.stringify(states));
    await greedyDecode({ step: toyStep(), initialStates: states, startToken: START, endToken: END, maxLength: 6, fromLogits: true });
    expect(states).toEqual(copy);
  });
});

describe("beamSearch", () => {
  it("finds the exact best hypothesis when the beam holds every hypothesis", async () => {
    const step = toyStep(11);
    const states = initialStates(6, 5);
    const r = await beamSearch({ step, initialStates: states, startToken: START, endToken: END, maxLength: 5, beamWidth: 256, fromLogits: true });
    for (let i = 0; i < 6; i++) {
      const best = await bruteForceBest(step, [states[0][i], states[1][i]], 5);
      expect(best.tokens.length).toBeGreaterThan(0);
      expect(r.sequences[i]).toEqual(best.tokens);
      expect(r.scores[i]).toBeCloseTo(best.score, 4);
    }
  });

  it("scores at least as well as greedy, and beamWidth 1 is greedy", async () => {
    const step = toyStep(5);
    const states = initialStates(30, 9);
    const common = { step, initialStates: states, startToken: START, endToken: END, maxLength: 10, fromLogits: true };
    const greedy = await greedyDecode(common);
    const one = await beamSearch({ ...common, beamWidth: 1 });
    expect(one.sequences).toEqual(greedy.sequences);
    expect(one.rowsStepped).toBe(greedy.rowsStepped);
    const four = await beamSearch({ ...common, beamWidth: 4 });
    let better = 0;
    for (let i = 0; i < 30; i++) {
      if (greedy.finished[i] && four.finished[i]) expect(four.scores[i]).toBeGreaterThanOrEqual(greedy.scores[i] - 1e-9);
      if (four.scores[i] > greedy.scores[i] + 1e-9) better++;
      expect(four.hypotheses[i].length).toBeLessThanOrEqual(4);
      const ranks = four.hypotheses[i].map((h) => h.rankScore);
      expect([...ranks].sort((a, b) => b - a)).toEqual(ranks);
    }
    expect(better).toBeGreaterThan(0);
  });

  it("gives each sequence the result it gets when decoded alone, and costs the sum of their rows", async () => {
    const step = toyStep(2);
    const states = initialStates(12, 4);
    const common = { step, startToken: START, endToken: END, maxLength: 9, fromLogits: true, beamWidth: 3, lengthPenalty: 0.6 };
    const batched = await beamSearch({ ...common, initialStates: states });
    let alone = 0;
    for (let i = 0; i < 12; i++) {
      const r = await beamSearch({ ...common, initialStates: [[states[0][i]], [states[1][i]]] });
      expect(r.hypotheses[0]).toEqual(batched.hypotheses[i]);
      alone += r.rowsStepped;
    }
    expect(batched.rowsStepped).toBe(alone);
  });

  it("reads probabilities as well as logits", async () => {
    const logitStep = toyStep(3);
    const probStep: DecodeStep = async (input) => {
      const out = await logitStep(input);
      const p = new Float32Array(out.output.length);
      for (let r = 0; r < input.rows; r++) {
        const row = out.output.subarray(r * V, (r + 1) * V);
        const m = Math.max(...row);
        const z = row.reduce((s, x) => s + Math.exp(x - m), 0);
        for (let v = 0; v < V; v++) p[r * V + v] = Math.exp(row[v] - m) / z;
      }
      return { output: p, states: out.states };
    };
    const states = initialStates(8);
    const common = { initialStates: states, startToken: START, endToken: END, maxLength: 8, beamWidth: 3 };
    const a = await beamSearch({ ...common, step: logitStep, fromLogits: true });
    const b = await beamSearch({ ...common, step: probStep });
    expect(b.sequences).toEqual(a.sequences);
    b.scores.forEach((s, i) => expect(s).toBeCloseTo(a.scores[i], 4));
  });
});

describe("beamSearch with a language model (shallow fusion)", () => {
  it("finds the exact best of log p + α·log P_LM + β·|y| when the beam holds every hypothesis", async () => {
    const states = initialStates(6, 5);
    for (const [seed, weight, bonus] of [[1, 1, 0], [2, 0.5, 1], [3, 2, 2.5], [4, 0.3, -0.5]]) {
      const step = toyStep(10 + seed);
      const model = bigram(seed);
      const r = await beamSearch({ step, initialStates: states, startToken: START, endToken: END, maxLength: 5, beamWidth: 256, fromLogits: true, languageModel: model, languageModelWeight: weight, insertionBonus: bonus });
      for (let i = 0; i < 6; i++) {
        const best = await bruteForceBest(step, [states[0][i], states[1][i]], 5, { model, weight, bonus });
        expect(r.sequences[i]).toEqual(best.tokens);
        expect(r.scores[i]).toBeCloseTo(best.score, 4); // the decoder's own log p
        expect(r.hypotheses[i][0].languageModelScore).toBeCloseTo(best.lm, 4);
        expect(r.hypotheses[i][0].rankScore).toBeCloseTo(best.score + weight * best.lm + bonus * best.tokens.length, 4);
      }
    }
  });

  it("with α = 0 and β = 0 decodes as without a model (−∞ entries included), and a strong model steers the search", async () => {
    const step = toyStep(11);
    const states = initialStates(8, 5);
    const args = { step, initialStates: states, startToken: START, endToken: END, maxLength: 6, beamWidth: 3, fromLogits: true };
    const plain = await beamSearch(args);
    const emitted = plain.sequences.flat();
    const banned = [2, 3, 4].reduce((a, b) => (emitted.filter((t) => t === b).length > emitted.filter((t) => t === a).length ? b : a));
    const banning: DecoderLanguageModel = { logProbabilities: () => Array.from({ length: V }, (_, v) => (v === banned ? -Infinity : -Math.log(V - 1))) };
    const zero = await beamSearch({ ...args, languageModel: banning, languageModelWeight: 0 });
    expect(zero.sequences).toEqual(plain.sequences);
    expect(zero.scores).toEqual(plain.scores);
    expect(emitted).toContain(banned); // the token the toy decoder emits most
    const steered = await beamSearch({ ...args, languageModel: banning });
    for (const s of steered.sequences) expect(s).not.toContain(banned);
    // hypotheses the model calls impossible are never kept: one allowing only </s> leaves just []
    const onlyEnd: DecoderLanguageModel = { logProbabilities: () => Array.from({ length: V }, (_, v) => (v === END ? 0 : -Infinity)) };
    const ended = await beamSearch({ ...args, languageModel: onlyEnd });
    for (const h of ended.hypotheses) expect(h.map((x) => [x.tokens, x.finished])).toEqual([[[], true]]);
  });

  it("with β > 0 does not stop at a finished hypothesis that a longer one overtakes", async () => {
    // the decoder: after <s> </s> 0.9 and token 2 0.1, after 2 token 2 0.95; the language model: after
    // <s> </s> or 2 (½ each), after 2 only 2. [] finished ranks −0.80 against the live [2, 2]'s
    // −1.05 after step 2, but [2, 2, 2, 2, 2] (cut at maxLength) ends at +1.80
    const p = (end: number, two: number) => [1e-6, end, two, 1e-6, 1e-6];
    const step: DecodeStep = ({ tokens, states }) => ({ output: Float32Array.from(Array.from(tokens).flatMap((t) => (t === START ? p(0.9, 0.1) : p(0.05, 0.95)))), states: [...states] });
    const lm: DecoderLanguageModel = {
      logProbabilities: (prefix) => [-Infinity, prefix.length ? -Infinity : Math.log(0.5), prefix.length ? 0 : Math.log(0.5), -Infinity, -Infinity],
    };
    const r = await beamSearch({ step, initialStates: [], count: 1, startToken: START, endToken: END, maxLength: 5, beamWidth: 2, languageModel: lm, insertionBonus: 1 });
    expect(r.sequences[0]).toEqual([2, 2, 2, 2, 2]);
    expect(r.finished[0]).toBe(false);
    expect(r.hypotheses[0][0].rankScore).toBeCloseTo(Math.log(0.1) + Math.log(0.5) + 4 * Math.log(0.95) + 5, 4);
    expect(r.hypotheses[0].map((h) => h.tokens)).toEqual([[2, 2, 2, 2, 2], []]); // no hypothesis the model calls impossible
  });

  it("gives each sequence the result it gets when decoded alone", async () => {
    const step = toyStep(5);
    const states = initialStates(5, 9);
    const fusion = { languageModel: bigram(7), languageModelWeight: 0.7, insertionBonus: 1 };
    const args = { step, startToken: START, endToken: END, maxLength: 7, beamWidth: 3, fromLogits: true, ...fusion };
    const all = await beamSearch({ ...args, initialStates: states });
    for (let i = 0; i < 5; i++) {
      const alone = await beamSearch({ ...args, initialStates: [[states[0][i]], [states[1][i]]] });
      expect(all.hypotheses[i]).toEqual(alone.hypotheses[0]);
    }
  });
});

describe("the rows' sequences", () => {
  // a step that adds a per-sequence bias to the toy's logits, read through `sequences`
  const biased = (bias: number[][], seen: number[][] = []): DecodeStep => {
    const inner = toyStep(13);
    return async (input) => {
      seen.push(Array.from(input.sequences));
      const out = await inner(input);
      for (let r = 0; r < input.rows; r++) for (let v = 0; v < V; v++) out.output[r * V + v] += bias[input.sequences[r]][v];
      return out;
    };
  };
  const rng = new Random(21);
  const bias = Array.from({ length: 10 }, () => Array.from({ length: V }, (_, v) => (v === END ? 0 : 3 * rng.normal())));
  const states = initialStates(10, 8);
  const common = { startToken: START, endToken: END, maxLength: 9, fromLogits: true };

  it("greedyDecode and beamSearch tell the step which sequence each row decodes", async () => {
    for (const decode of [greedyDecode, (a: Parameters<typeof greedyDecode>[0]) => beamSearch({ ...a, beamWidth: 3 })]) {
      const seen: number[][] = [];
      const batched = await decode({ ...common, step: biased(bias, seen), initialStates: states });
      expect(seen[0]).toEqual([...Array(10).keys()]);
      for (const rows of seen) for (let r = 1; r < rows.length; r++) expect(rows[r]).toBeGreaterThanOrEqual(rows[r - 1]);
      for (let i = 0; i < 10; i++) {
        // alone, sequence i is sequence 0: give it its own bias there
        const r = await decode({ ...common, step: biased([bias[i]]), initialStates: [[states[0][i]], [states[1][i]]] });
        expect(r.sequences[0]).toEqual(batched.sequences[i]);
        expect(r.scores[0]).toBeCloseTo(batched.scores[i], 8);
      }
    }
  });
});

describe("decoding errors", () => {
  const step = toyStep();
  const base = { step, initialStates: initialStates(2), startToken: START, endToken: END, maxLength: 5, fromLogits: true };
  const code = async (p: Promise<unknown>) => {
    try {
      await p;
    } catch (e) {
      expect(e).toBeInstanceOf(RaggedError);
      return (e as RaggedError).code;
    }
    return "no error";
  };

  it("refuses bad options with coded errors", async () => {
    expect(await code(greedyDecode({ ...base, maxLength: 0 }))).toBe("INVALID_ARGUMENT");
    expect(await code(greedyDecode({ ...base, endToken: -1 }))).toBe("INVALID_ARGUMENT");
    expect(await code(greedyDecode({ ...base, step: undefined as unknown as DecodeStep }))).toBe("INVALID_ARGUMENT");
    expect(await code(beamSearch({ ...base, beamWidth: 0 }))).toBe("INVALID_ARGUMENT");
    expect(await code(beamSearch({ ...base, lengthPenalty: -1 }))).toBe("INVALID_ARGUMENT");
    expect(await code(greedyDecode({ ...base, initialStates: [[[1, 2], [3]]] }))).toBe("SHAPE_MISMATCH");
    expect(await code(greedyDecode({ ...base, initialStates: [[[1, NaN]]] }))).toBe("NON_FINITE");
    expect(await code(greedyDecode({ ...base, initialStates: [] }))).toBe("INVALID_ARGUMENT");
  });

  it("refuses a language model it cannot use with coded errors", async () => {
    const model = bigram(1);
    const row = (r: unknown): DecoderLanguageModel => ({ logProbabilities: () => r as number[] });
    expect(await code(beamSearch({ ...base, languageModelWeight: 0.5 }))).toBe("INVALID_ARGUMENT"); // α without a model
    expect(await code(beamSearch({ ...base, insertionBonus: 1 }))).toBe("INVALID_ARGUMENT");
    expect(await code(beamSearch({ ...base, languageModel: {} as DecoderLanguageModel }))).toBe("INVALID_ARGUMENT");
    expect(await code(beamSearch({ ...base, languageModel: model, languageModelWeight: -1 }))).toBe("INVALID_ARGUMENT");
    expect(await code(beamSearch({ ...base, languageModel: model, insertionBonus: NaN }))).toBe("INVALID_ARGUMENT");
    await expect(beamSearch({ ...base, languageModel: row([0, 0]) })).rejects.toThrow(/one log-probability per output class/);
    await expect(beamSearch({ ...base, languageModel: row([-1, -1, 0.5, -1, -1]) })).rejects.toThrow(/not a log-probability/);
    await expect(beamSearch({ ...base, languageModel: row([-1, -1, NaN, -1, -1]) })).rejects.toThrow(/not a log-probability/);
  });

  it("refuses a step that returns the wrong shapes or non-finite values", async () => {
    const noStates: DecodeStep = ({ rows }) => ({ output: new Float32Array(rows * 3), states: [] });
    expect(await code(greedyDecode({ ...base, step: noStates }))).toBe("SHAPE_MISMATCH");
    const ragged: DecodeStep = ({ rows, states }) => ({ output: new Float32Array(rows * 3 + 1), states: [...states] });
    expect(await code(greedyDecode({ ...base, step: ragged }))).toBe("SHAPE_MISMATCH");
    const nan: DecodeStep = ({ rows, states }) => ({ output: new Float32Array(rows * 3).fill(NaN), states: [...states] });
    expect(await code(beamSearch({ ...base, step: nan }))).toBe("NON_FINITE");
  });
});

describe("ensembleStep", () => {
  /** softmax of one row of logits, float64. */
  const softmax = (z: ArrayLike<number>) => {
    const m = Math.max(...Array.from(z));
    const e = Array.from(z, (x) => Math.exp(x - m));
    const sum = e.reduce((a, b) => a + b, 0);
    return e.map((x) => x / sum);
  };
  /** R random rows: tokens, states [h, n] of toyStep's widths. */
  const rowsOf = (R: number, seed: number) => {
    const rng = new Random(seed);
    return {
      tokens: Int32Array.from({ length: R }, () => Math.floor(rng.uniform() * V)),
      states: [Float32Array.from({ length: R * H }, () => rng.normal()), Float32Array.from({ length: R }, () => Math.floor(rng.uniform() * 4))],
      rows: R,
      sequences: Int32Array.from({ length: R }, (_, r) => r),
    };
  };

  it("mixes the members' distributions (weighted mean, or renormalized weighted product), each member with its own states", async () => {
    const [a, b] = [toyStep(7), toyStep(11)];
    const inA = rowsOf(6, 1);
    const inB = rowsOf(6, 2);
    const outA = await a(inA);
    const outB = await b({ ...inB, tokens: inA.tokens }); // the ensemble feeds both members the same tokens
    for (const combine of ["mean", "geometric"] as const) {
      const step = ensembleStep({ members: [{ step: a, states: 2, weight: 1 }, { step: b, states: 2, weight: 3 }], combine, fromLogits: true });
      const out = await step({ tokens: inA.tokens, states: [...inA.states, ...inB.states], rows: 6, sequences: inA.sequences });
      // each member got its own states (and the same tokens): the states come back in member order
      expect(out.states).toHaveLength(4);
      expect(Array.from(out.states[0])).toEqual(Array.from(outA.states[0]));
      expect(Array.from(out.states[1])).toEqual(Array.from(outA.states[1]));
      expect(Array.from(out.states[2])).toEqual(Array.from(outB.states[0]));
      for (let r = 0; r < 6; r++) {
        const pa = softmax(outA.output.subarray(r * V, (r + 1) * V));
        const pb = softmax(outB.output.subarray(r * V, (r + 1) * V));
        const mixed = pa.map((p, v) => (combine === "mean" ? 0.25 * p + 0.75 * pb[v] : Math.exp(0.25 * Math.log(p) + 0.75 * Math.log(pb[v]))));
        const sum = mixed.reduce((x, y) => x + y, 0);
        const got = Array.from(out.output.subarray(r * V, (r + 1) * V));
        got.forEach((p, v) => expect(p).toBeCloseTo(mixed[v] / sum, 6));
        expect(got.reduce((x, y) => x + y, 0)).toBeCloseTo(1, 6);
      }
    }
  });

  it("one member, or two identical ones, decodes as the member alone, in greedy and beam search", async () => {
    const states = initialStates(8);
    const common = { startToken: START, endToken: END, maxLength: 10 };
    const alone = await beamSearch({ ...common, step: toyStep(7), initialStates: states, beamWidth: 3, fromLogits: true });
    const aloneGreedy = await greedyDecode({ ...common, step: toyStep(7), initialStates: states, fromLogits: true });
    for (const combine of ["mean", "geometric"] as const) {
      const one = ensembleStep({ members: [{ step: toyStep(7), states: 2 }], combine, fromLogits: true });
      const two = ensembleStep({ members: [{ step: toyStep(7), states: 2 }, { step: toyStep(7), states: 2, weight: 2 }], combine, fromLogits: true });
      for (const [step, initial] of [[one, states], [two, [...states, ...states]]] as const) {
        const beam = await beamSearch({ ...common, step, initialStates: initial, beamWidth: 3 });
        expect(beam.sequences).toEqual(alone.sequences);
        beam.scores.forEach((s, i) => expect(s).toBeCloseTo(alone.scores[i], 4)); // probabilities pass through float32
        expect((await greedyDecode({ ...common, step, initialStates: initial })).sequences).toEqual(aloneGreedy.sequences);
      }
    }
  });

  it("lets a confident member outvote an unsure one, and takes probabilities as well as logits", async () => {
    // member A: token 2 then the end token; member B: uniform. The mixture follows A.
    const sure: DecodeStep = ({ tokens, rows, states }) => ({
      output: new Float32Array(rows * V).map((_, i) => ((tokens[Math.floor(i / V)] === 2 ? END : 2) === i % V ? 0.96 : 0.01)),
      states: [...states],
    });
    const unsure: DecodeStep = ({ rows }) => ({ output: new Float32Array(rows * V).fill(1 / V), states: [] });
    const step = ensembleStep({ members: [{ step: sure, states: 0 }, { step: unsure, states: 0 }] });
    const r = await beamSearch({ step, initialStates: [], count: 3, startToken: START, endToken: END, maxLength: 6, beamWidth: 2 });
    expect(r.sequences).toEqual([[2], [2], [2]]);
    expect(r.scores[0]).toBeCloseTo(2 * Math.log((0.96 + 0.2) / 2), 5);
  });

  it("refuses malformed members, weights, combinations and states with coded errors", async () => {
    const code = (f: () => unknown) => refused(f).code;
    const member = { step: toyStep(), states: 2 };
    expect(code(() => ensembleStep({ members: [] }))).toBe("INVALID_ARGUMENT");
    expect(code(() => ensembleStep(undefined as never))).toBe("INVALID_ARGUMENT");
    expect(code(() => ensembleStep({ members: [{ states: 2 } as never] }))).toBe("INVALID_ARGUMENT");
    expect(code(() => ensembleStep({ members: [{ ...member, states: -1 }] }))).toBe("INVALID_ARGUMENT");
    expect(code(() => ensembleStep({ members: [{ ...member, weight: 0 }] }))).toBe("INVALID_ARGUMENT");
    expect(code(() => ensembleStep({ members: [{ ...member, weight: NaN }] }))).toBe("INVALID_ARGUMENT");
    expect(code(() => ensembleStep({ members: [member], combine: "max" as never }))).toBe("INVALID_ARGUMENT");
    const common = { startToken: START, endToken: END, maxLength: 5, fromLogits: false };
    const two = ensembleStep({ members: [member, member], fromLogits: true });
    await expect(greedyDecode({ ...common, step: two, initialStates: initialStates(2) })).rejects.toMatchObject({ code: "SHAPE_MISMATCH", message: /members own 4/ });
    const narrow: DecodeStep = ({ rows, states }) => ({ output: new Float32Array(rows * (V - 1)).fill(0.25), states: [...states] });
    const mixed = ensembleStep({ members: [member, { step: narrow, states: 2 }], fromLogits: true });
    const s = initialStates(2);
    await expect(greedyDecode({ ...common, step: mixed, initialStates: [...s, ...s] })).rejects.toMatchObject({ code: "SHAPE_MISMATCH", message: /member 1's output/ });
    const lost: DecodeStep = ({ rows }) => ({ output: new Float32Array(rows * V).fill(0.2), states: [] });
    const dropping = ensembleStep({ members: [{ step: lost, states: 2 }] });
    await expect(greedyDecode({ ...common, step: dropping, initialStates: s })).rejects.toMatchObject({ code: "SHAPE_MISMATCH", message: /returned 0/ });
  });
});
