// Attention in functional models: an attention seq2seq graph (query from the decoder's input, value
// from the encoder's, different lengths per sample) trains, predicts ragged output in the decoder's
// lengths, gives each sample the result it gets alone, passes a finite-difference check through
// the whole graph, and refuses graphs it cannot run.
import { describe, expect, it } from "vitest";
import { RaggedError } from "../src/core/errors.js";
import { Random } from "../src/core/random.js";
import { input, layers, type LayersModel, model, type SymbolicTensor } from "../src/index.js";
import { checkGradients, modelBatchOf, randomOneHot, randomSequences } from "./harness.js";

type Kind = "attention" | "additive" | "mha";

function seq2seq(kind: Kind, seed = 1): LayersModel {
  const src = input({ shape: [null, 3], name: "src" });
  const tgt = input({ shape: [null, 2], name: "tgt" });
  const [e, h, c] = layers.lstm({ units: 4, returnSequences: true, returnState: true }).apply(src) as SymbolicTensor[];
  const d = layers.lstm({ units: 4, returnSequences: true }).apply(tgt, { initialState: [h, c] }) as SymbolicTensor;
  const att =
    kind === "attention" ? layers.attention({ useScale: true }) :
    kind === "additive" ? layers.additiveAttention({}) :
    layers.multiHeadAttention({ numHeads: 2, keyDim: 2 });
  const ctx = att.apply([d, e]) as SymbolicTensor;
  const both = layers.concatenate({}).apply([d, ctx]) as SymbolicTensor;
  const y = layers.timeDistributed({ layer: layers.dense({ units: 3, activation: "softmax" }) }).apply(both) as SymbolicTensor;
  return model({ inputs: [src, tgt], outputs: y, seed });
}

function data(seed: number, n: number) {
  const rng = new Random(seed);
  const srcLengths = Array.from({ length: n }, () => 1 + rng.int(0, 7));
  const tgtLengths = Array.from({ length: n }, () => 1 + rng.int(0, 5));
  return {
    xs: [randomSequences(rng, srcLengths, 3), randomSequences(rng, tgtLengths, 2)],
    ys: randomOneHot(rng, tgtLengths, 3, true) as number[][][],
    tgtLengths,
  };
}

describe("attention seq2seq graphs", () => {
  for (const kind of ["attention", "additive", "mha"] as const) {
    it(`${kind}: gradients by central differences through the whole graph`, () => {
      const m = seq2seq(kind);
      m.compile({ loss: "categoricalCrossentropy", optimizer: "sgd" });
      const { xs, ys } = data(2, 5);
      expect(checkGradients(m, modelBatchOf(m, xs, ys), { perVariable: 12 })).toBeGreaterThan(60);
    });

    it(`${kind}: predicts in the decoder's lengths; each sample as if alone`, () => {
      const m = seq2seq(kind);
      const { xs, tgtLengths } = data(3, 6);
      const out = m.predict(xs) as number[][][];
      expect(out.map((s) => s.length)).toEqual(tgtLengths);
      for (let i = 0; i < 6; i++) {
        const alone = m.predict([[xs[0][i]], [xs[1][i]]]) as number[][][];
        for (let t = 0; t < tgtLengths[i]; t++) for (let k = 0; k < 3; k++) expect(alone[0][t][k]).toBeCloseTo(out[i][t][k], 6);
      }
    });
  }

  it("trains: the loss falls on a copy-the-aligned-source task", async () => {
    // target step t = the class of the source step t (sources at least as long as targets)
    const rng = new Random(4);
    const n = 64;
    const lengths = Array.from({ length: n }, () => 2 + rng.int(0, 5));
    const cls = lengths.map((L) => Array.from({ length: L }, () => rng.int(0, 3)));
    const src = cls.map((s) => s.map((k, t) => [k === 0 ? 1 : 0, k === 1 ? 1 : 0, t / 6]));
    const tgt = cls.map((s) => s.map((_, t) => [t / 6, 1]));
    const ys = cls.map((s) => s.map((k) => [0, 1, 2].map((j) => (j === k ? 1 : 0))));
    const m = seq2seq("attention", 5);
    m.compile({ loss: "categoricalCrossentropy", optimizer: { name: "adam", learningRate: 0.02 } });
    const h = await m.fit([src, tgt], ys, { epochs: 25, batchSize: 16, verbose: 0 });
    const loss = h.history.loss as number[];
    expect(loss[loss.length - 1]).toBeLessThan(loss[0] * 0.6);
  });

  it("refuses a key of other lengths than the value, and returnAttentionScores inside a model", () => {
    const q = input({ shape: [null, 2], name: "q" });
    const v = input({ shape: [null, 2], name: "v" });
    const k = input({ shape: [null, 2], name: "k" });
    const codeOf = (fn: () => unknown) => {
      try {
        fn();
      } catch (e) {
        expect(e).toBeInstanceOf(RaggedError);
        return (e as RaggedError).code;
      }
      return "no error";
    };
    expect(codeOf(() => layers.attention({}).apply([q, v, k]))).toBe("LENGTH_MISMATCH");
    expect(codeOf(() => layers.attention({ returnAttentionScores: true }).apply([q, v]))).toBe("UNSUPPORTED");
    expect(codeOf(() => layers.attention({}).apply([q, input({ shape: [null, 3], name: "v3" })]))).toBe("SHAPE_MISMATCH");
  });
});
