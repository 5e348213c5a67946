/**
 * stepFromModel with `contexts`: a one-step attention decoder takes the encoder's per-step outputs
 * of its own word at every step. Decoding with it (greedy and beam search, batched) must give what
 * the teacher-forced graph gives when it is re-run on each prefix, and each word what it gets
 * alone — so a row never reads another word's encoder outputs.
 */
import { describe, expect, it } from "vitest";
import { RaggedError } from "../src/core/errors.js";
import { Random } from "../src/core/random.js";
import { beamSearch, greedyDecode, input, layers, type LayersModel, model, stepFromModel, type SymbolicTensor } from "../src/index.js";

const V = 6; // output tokens; V − 1 is both <s> (input side) and </s> (output side)
const END = V - 1;
const U = 3;

/** Teacher-forced attention seq2seq, and its encoder / one-step decoder (inputs [token, h, c, E]). */
function models(): { train: LayersModel; encoder: LayersModel; decoder: LayersModel } {
  const src = input({ shape: [null], name: "src" });
  const prev = input({ shape: [null], name: "prev" });
  const e = layers.embedding({ inputDim: 7, outputDim: 4 }).apply(src) as SymbolicTensor;
  const [E, hF, cF, hB, cB] = layers.bidirectional({ layer: layers.lstm({ units: U, returnSequences: true, returnState: true }) }).apply(e) as SymbolicTensor[];
  const h = layers.concatenate({}).apply([hF, hB]) as SymbolicTensor;
  const c = layers.concatenate({}).apply([cF, cB]) as SymbolicTensor;
  const embed = layers.embedding({ inputDim: V, outputDim: 4 });
  const lstm = layers.lstm({ units: 2 * U, returnSequences: true, returnState: true });
  const attention = layers.attention({ useScale: true });
  const merge = layers.concatenate({});
  const probs = layers.timeDistributed({ layer: layers.dense({ units: V, activation: "softmax" }) });
  const decode = (tokens: SymbolicTensor, states: SymbolicTensor[], enc: SymbolicTensor): SymbolicTensor[] => {
    const [D, hOut, cOut] = lstm.apply(embed.apply(tokens) as SymbolicTensor, { initialState: states }) as SymbolicTensor[];
    const C = attention.apply([D, enc]) as SymbolicTensor;
    return [probs.apply(merge.apply([D, C]) as SymbolicTensor) as SymbolicTensor, hOut, cOut];
  };
  const train = model({ inputs: [src, prev], outputs: decode(prev, [h, c], E)[0], seed: 3 });
  const encoder = model({ inputs: src, outputs: [E, h, c] });
  const token = input({ shape: [null], name: "token" });
  const hIn = input({ shape: [2 * U], name: "h_in" });
  const cIn = input({ shape: [2 * U], name: "c_in" });
  const eIn = input({ shape: [null, 2 * U], name: "encoded" });
  const decoder = model({ inputs: [token, hIn, cIn, eIn], outputs: decode(token, [hIn, cIn], eIn) });
  return { train, encoder, decoder };
}

function words(n: number, seed: number): number[][] {
  const rng = new Random(seed);
  return Array.from({ length: n }, () => Array.from({ length: 1 + rng.int(0, 7) }, () => rng.int(0, 7)));
}

/** Greedy decoding by re-running the teacher-forced graph on every prefix, one word at a time. */
function prefixGreedy(train: LayersModel, word: number[], maxLength: number): number[] {
  const out: number[] = [];
  while (out.length < maxLength) {
    const p = train.predict([[word], [[END, ...out]]]) as number[][][];
    const last = p[0][out.length];
    let best = 0;
    for (let k = 1; k < V; k++) if (last[k] > last[best]) best = k;
    if (best === END) break;
    out.push(best);
  }
  return out;
}

describe("stepFromModel with contexts (attention decoding)", () => {
  const { train, encoder, decoder } = models();
  const src = words(12, 4);
  const [E, h, c] = encoder.predict(src) as unknown as [number[][][], number[][], number[][]];
  const common = { initialStates: [h, c], startToken: END, endToken: END, maxLength: 6 };

  it("greedy: equals re-running the training graph on each prefix", async () => {
    const r = await greedyDecode({ ...common, step: stepFromModel({ model: decoder, contexts: [E] }) });
    const lengths = new Set(r.sequences.map((s) => s.length));
    expect(lengths.size).toBeGreaterThan(1); // words leave the batch at different steps
    src.forEach((w, i) => expect(r.sequences[i]).toEqual(prefixGreedy(train, w, 6)));
  });

  it("beam search: each word gets what it gets alone", async () => {
    const step = stepFromModel({ model: decoder, contexts: [E] });
    const batched = await beamSearch({ ...common, step, beamWidth: 3 });
    for (let i = 0; i < src.length; i++) {
      const alone = await beamSearch({ ...common, initialStates: [[h[i]], [c[i]]], step: stepFromModel({ model: decoder, contexts: [[E[i]]] }), beamWidth: 3 });
      expect(alone.sequences[0]).toEqual(batched.sequences[i]);
      expect(alone.scores[0]).toBeCloseTo(batched.scores[i], 4);
    }
  });

  it("refuses a model whose inputs do not match states + contexts, and a context without an entry for a sequence", async () => {
    const code = async (fn: () => unknown) => {
      try {
        await fn();
      } catch (e) {
        expect(e).toBeInstanceOf(RaggedError);
        return (e as RaggedError).code;
      }
      return "no error";
    };
    expect(await code(() => stepFromModel({ model: decoder }))).toBe("INVALID_ARGUMENT");
    expect(await code(() => stepFromModel({ model: decoder, contexts: [E, E] }))).toBe("INVALID_ARGUMENT");
    expect(await code(() => stepFromModel({ model: decoder, contexts: "E" as unknown as number[][][] }))).toBe("INVALID_ARGUMENT");
    expect(await code(() => greedyDecode({ ...common, step: stepFromModel({ model: decoder, contexts: [E.slice(0, 3)] }) }))).toBe("SHAPE_MISMATCH");
  });

  it("a context is validated once, naming the sequence (NON_FINITE), and the caller's arrays are left alone", async () => {
    const bad = structuredClone(E);
    bad[7][0][1] = NaN;
    const before = JSON.stringify(bad);
    let error: RaggedError | null = null;
    try {
      await greedyDecode({ ...common, step: stepFromModel({ model: decoder, contexts: [bad] }) });
    } catch (e) {
      error = e as RaggedError;
    }
    expect(error?.code).toBe("NON_FINITE");
    expect(error?.message).toContain("contexts[0][7][0][1]");
    expect(JSON.stringify(bad)).toBe(before);
  });

  it("a state that is not finite is refused (NON_FINITE) by the step, as predict refuses it", async () => {
    const step = stepFromModel({ model: decoder, contexts: [E] });
    const H = 2 * U;
    const hs = Float32Array.from(h.slice(0, 2).flat());
    const cs = Float32Array.from(c.slice(0, 2).flat());
    const good = await step({ tokens: Int32Array.of(END, END), states: [hs, cs], rows: 2, sequences: Int32Array.of(0, 1) });
    expect(good.output.length).toBe(2 * V);
    expect(good.states.map((x) => x.length)).toEqual([2 * H, 2 * H]);
    cs[H + 1] = Number.NaN; // row 1's cell state
    let error: RaggedError | null = null;
    try {
      await step({ tokens: Int32Array.of(END, END), states: [hs, cs], rows: 2, sequences: Int32Array.of(0, 1) });
    } catch (e) {
      error = e as RaggedError;
    }
    expect(error?.code).toBe("NON_FINITE");
    expect(error?.message).toMatch(/^stepFromModel: state 1 of row 1 is NaN\./);
  });

});
