// The attention layers (Attention, AdditiveAttention, MultiHeadAttention) against PyTorch goldens
// (scripts/golden/attention.py → test/golden/attention.json: padded + masked batches in PyTorch,
// compared at each sequence's real positions), central differences through the layers, and the
// ragged promise: a sequence's result does not depend on its batch-mates' lengths.
import { describe, expect, it } from "vitest";
import { Random } from "../src/core/random.js";
import { Tensor } from "../src/core/tensor.js";
import { packBatch, unpackRows } from "../src/data/packed.js";
import { AdditiveAttention } from "../src/layers/attention/additive_attention.js";
import { Attention } from "../src/layers/attention/attention.js";
import type { BaseAttention } from "../src/layers/attention/base_attention.js";
import { MultiHeadAttention } from "../src/layers/attention/multi_head_attention.js";
import type { ForwardContext } from "../src/layers/layer.js";
import type { LayerValue, SequenceValue } from "../src/layers/values.js";
import { type GoldenCase, loadAttentionGolden } from "../src/core/kernels/attention.test-support.js";
import { GRAD_ATOL, GRAD_RTOL, randomSequences } from "./harness.js";

const TOL = 2e-5;

function seq(xs: number[][][]): SequenceValue {
  const p = packBatch(xs);
  return { kind: "sequence", layout: p.layout, data: p.data, width: p.features };
}

function ctxOf(training = false, seed = 1): ForwardContext {
  return { training, rng: new Random(seed), needsGrad: true, inputNeedsGrad: true };
}

function worst(actual: number[], expected: number[]): number {
  expect(actual.length).toBe(expected.length);
  let w = 0;
  for (let i = 0; i < expected.length; i++) w = Math.max(w, Math.abs(actual[i] - expected[i]) / Math.max(1, Math.abs(expected[i])));
  return w;
}

function layerFor(c: GoldenCase): BaseAttention {
  const causal = c.useCausalMask;
  if (c.layer === "Attention") return new Attention({ ...(c.config as object), useCausalMask: causal });
  if (c.layer === "AdditiveAttention") return new AdditiveAttention({ ...(c.config as object), useCausalMask: causal });
  return new MultiHeadAttention({ ...(c.config as unknown as { numHeads: number; keyDim: number }), useCausalMask: causal });
}

function goldenInputs(c: GoldenCase): number[][][][] {
  if (c.selfAttention) return [c.inputs.query];
  return c.inputs.key ? [c.inputs.query, c.inputs.value!, c.inputs.key] : [c.inputs.query, c.inputs.value!];
}

describe("attention layers against PyTorch goldens", () => {
  for (const c of loadAttentionGolden()) {
    it(`${c.layer}: ${c.name}`, () => {
      const layer = layerFor(c);
      const raw = goldenInputs(c);
      const inputs = raw.map(seq);
      layer.buildMany(inputs.map((v) => [null, null, v.width]), new Random(0));
      expect(layer.weights.map((w) => w.name)).toEqual(c.weights.map((w) => w.name));
      layer.setWeights(c.weights.map((w) => new Tensor(w.shape, Float32Array.from(w.data))));
      const { outputs, backward } = layer.forwardMany(inputs, ctxOf());
      const out = outputs[0] as SequenceValue;
      expect(worst(unpackRows(out.data, out.width, out.layout).flat(2), c.output.flat(2))).toBeLessThan(TOL);
      // scores, ragged, through `call`
      const { scores } = layer.call(raw);
      expect(worst((scores as unknown as number[][][][]).flat(3), (c.scores as unknown as number[][][][]).flat(3))).toBeLessThan(TOL);
      if (c.dScores) return; // a gradient on the scores: checked at the kernel level (attention.test.ts)
      const grads = backward([seq(c.dOut)]) as LayerValue[];
      const expected = [c.grads.query, ...(c.selfAttention ? [] : [c.grads.value!]), ...(c.inputs.key ? [c.grads.key!] : [])];
      grads.forEach((g, i) => {
        expect(worst(unpackRows(g.data, g.width, (g as SequenceValue).layout).flat(2), expected[i].flat(2)), `input ${i}`).toBeLessThan(TOL);
      });
      layer.weights.forEach((w, i) => expect(worst(Array.from(w.grad), c.grads.weights[i]), w.name).toBeLessThan(TOL));
    });
  }
});

/** Central differences of L = Σ out ⊙ G through `forwardMany`, on weights and inputs. */
function checkLayerGradients(layer: BaseAttention, raw: number[][][][], rng: Random, training = false): number {
  const inputs = raw.map(seq);
  layer.buildMany(inputs.map((v) => [null, null, v.width]), rng);
  const first = layer.forwardMany(inputs, ctxOf(training));
  const out0 = first.outputs[0];
  const G = Float32Array.from({ length: out0.data.length }, () => rng.uniformRange(-1, 1));
  const loss = () => {
    const o = layer.forwardMany(inputs, ctxOf(training)).outputs[0].data; // the same seed: the same dropout mask
    let s = 0;
    for (let i = 0; i < o.length; i++) s += o[i] * G[i];
    return s;
  };
  layer.weights.forEach((w) => w.grad.fill(0));
  const dIn = layer.forwardMany(inputs, ctxOf(training)).backward([{ ...out0, data: G }]) as LayerValue[];
  const h = 1e-2;
  let checked = 0;
  const compare = (a: number, arr: Float32Array, e: number, what: string) => {
    const saved = arr[e];
    arr[e] = saved + h;
    const up = loss();
    arr[e] = saved - h;
    const down = loss();
    arr[e] = saved;
    const n = (up - down) / (2 * h);
    const tol = GRAD_RTOL * Math.max(Math.abs(a), Math.abs(n)) + GRAD_ATOL;
    if (Math.abs(a - n) > tol) expect.fail(`${what}: analytic ${a}, numeric ${n}`);
    checked++;
  };
  for (const w of layer.weights) for (let e = 0; e < w.size; e += Math.max(1, Math.floor(w.size / 24))) compare(w.grad[e], w.value, e, `${w.name}[${e}]`);
  inputs.forEach((v, i) => {
    for (let e = 0; e < v.data.length; e += Math.max(1, Math.floor(v.data.length / 24))) compare(dIn[i].data[e], v.data as Float32Array, e, `input ${i}[${e}]`);
  });
  return checked;
}

describe("attention layers: gradients by central differences", () => {
  const rng = new Random(31);
  const q = randomSequences(rng, [3, 1, 4], 4);
  const v = randomSequences(rng, [2, 5, 3], 4);
  const k = randomSequences(rng, [2, 5, 3], 4);
  const v6 = randomSequences(rng, [2, 5, 3], 6);
  it("Attention dot with scale, [query, value, key]", () => {
    expect(checkLayerGradients(new Attention({ useScale: true }), [q, v, k], new Random(1))).toBeGreaterThan(40);
  });
  it("Attention concat, causal self-attention, with dropout in training", () => {
    expect(checkLayerGradients(new Attention({ scoreMode: "concat", useScale: true, useCausalMask: true, dropout: 0.3 }), [q], new Random(2), true)).toBeGreaterThan(20);
  });
  it("AdditiveAttention, [query, value] of another width", () => {
    expect(checkLayerGradients(new AdditiveAttention({}), [q, v6, k], new Random(3))).toBeGreaterThan(40);
  });
  it("MultiHeadAttention: heads, valueDim ≠ keyDim, outputShape, causal, dropout", () => {
    const mha = new MultiHeadAttention({ numHeads: 3, keyDim: 2, valueDim: 3, outputShape: 5, useCausalMask: true, dropout: 0.2 });
    expect(checkLayerGradients(mha, [q, v6, k], new Random(4), true)).toBeGreaterThan(150);
  });
  it("MultiHeadAttention self-attention without bias", () => {
    expect(checkLayerGradients(new MultiHeadAttention({ numHeads: 2, keyDim: 3, useBias: false }), [q], new Random(5))).toBeGreaterThan(80);
  });
});

describe("attention layers: a sequence's result does not depend on its batch-mates", () => {
  const makers: [string, () => BaseAttention][] = [
    ["Attention", () => new Attention({ useScale: true })],
    ["AdditiveAttention", () => new AdditiveAttention({})],
    ["MultiHeadAttention", () => new MultiHeadAttention({ numHeads: 2, keyDim: 3, useCausalMask: true })],
  ];
  for (const [name, make] of makers) {
    it(name, () => {
      const rng = new Random(9);
      const query = randomSequences(rng, [3, 1, 6, 2], 4);
      const value = randomSequences(rng, [5, 2, 1, 7], 4);
      const layer = make();
      const batch = layer.call([query, value], { rng: new Random(1) });
      for (let i = 0; i < query.length; i++) {
        const alone = layer.call([[query[i]], [value[i]]]);
        expect(alone.output[0]).toEqual(batch.output[i]);
        expect(alone.scores[0]).toEqual(batch.scores[i]);
      }
    });
  }
});

describe("attention layers: ragged scores", () => {
  it("scores[i] is Lq_i × Lk_i (heads × Lq_i × Lk_i for multi-head), rows summing to 1", () => {
    const rng = new Random(12);
    const query = randomSequences(rng, [2, 4], 3);
    const value = randomSequences(rng, [5, 1], 3);
    const att = new Attention({}).call([query, value]);
    const s = att.scores as number[][][];
    expect(s.map((m) => [m.length, m[0].length])).toEqual([[2, 5], [4, 1]]);
    for (const m of s) for (const row of m) expect(row.reduce((a, x) => a + x, 0)).toBeCloseTo(1, 5);
    const mha = new MultiHeadAttention({ numHeads: 3, keyDim: 2 }).call([query, value]);
    const sm = mha.scores as number[][][][];
    expect(sm.map((h) => [h.length, h[0].length, h[0][0].length])).toEqual([[3, 2, 5], [3, 4, 1]]);
  });

  it("the same seed gives the same dropout; another seed another", () => {
    const rng = new Random(13);
    const query = randomSequences(rng, [3, 2], 4);
    const value = randomSequences(rng, [4, 3], 4);
    const layer = new Attention({ dropout: 0.5 });
    const a = layer.call([query, value], { training: true, rng: new Random(5) }).output;
    const b = layer.call([query, value], { training: true, rng: new Random(5) }).output;
    const c = layer.call([query, value], { training: true, rng: new Random(6) }).output;
    const inference = layer.call([query, value]).output;
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
    expect(a).not.toEqual(inference);
  });
});
