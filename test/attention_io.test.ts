// Attention layers in models: save → load round trips (Keras class names and config keys),
// training in a Sequential (self-attention), and coded errors for bad input.
import { describe, expect, it } from "vitest";
import { RaggedError } from "../src/core/errors.js";
import { Random } from "../src/core/random.js";
import { layers, loadModel, memory, modelToArtifacts, Sequential, sequential } from "../src/index.js";
import { randomSequences, randomTargets } from "./harness.js";

async function roundTrip(m: Sequential): Promise<Sequential> {
  const mem = memory();
  await m.save(mem);
  const loaded = await loadModel(mem);
  expect(loaded).toBeInstanceOf(Sequential);
  return loaded as Sequential;
}

function expectCode(fn: () => unknown, code: string, ...inMessage: string[]): void {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(RaggedError);
    expect((e as RaggedError).code, (e as Error).message).toBe(code);
    for (const s of inMessage) expect((e as Error).message).toContain(s);
    return;
  }
  throw new Error(`expected ${code}`);
}

const attentionModels: [string, () => Sequential, Record<string, unknown>][] = [
  [
    "Attention",
    () => sequential([
      layers.lstm({ units: 5, returnSequences: true, inputShape: [null, 3] }),
      layers.attention({ useScale: true, scoreMode: "concat", dropout: 0.1, useCausalMask: true }),
      layers.timeDistributed({ layer: layers.dense({ units: 2 }) }),
    ], { seed: 3 }),
    { use_scale: true, score_mode: "concat", dropout: 0.1, seed: null, use_causal_mask: true },
  ],
  [
    "AdditiveAttention",
    () => sequential([
      layers.lstm({ units: 4, returnSequences: true, inputShape: [null, 3] }),
      layers.additiveAttention({}),
      layers.timeDistributed({ layer: layers.dense({ units: 2 }) }),
    ], { seed: 4 }),
    { use_scale: true, dropout: 0, seed: null },
  ],
  [
    "MultiHeadAttention",
    () => sequential([
      layers.lstm({ units: 6, returnSequences: true, inputShape: [null, 3] }),
      layers.multiHeadAttention({ numHeads: 2, keyDim: 3, valueDim: 4, outputShape: 5, dropout: 0.1 }),
      layers.timeDistributed({ layer: layers.dense({ units: 2 }) }),
    ], { seed: 5 }),
    {
      num_heads: 2, key_dim: 3, value_dim: 4, dropout: 0.1, use_bias: true, output_shape: [5], attention_axes: null,
      kernel_regularizer: null, bias_regularizer: null, seed: null, activity_regularizer: null,
      kernel_constraint: null, bias_constraint: null, use_gate: false, sliding_window: null,
    },
  ],
];

describe("attention layers: save → load", () => {
  for (const [className, make, keras] of attentionModels) {
    it(`${className}: Keras class name and config keys, identical predictions and weights after a load`, async () => {
      const model = make();
      model.compile({ loss: "mse", optimizer: "adam" });
      const xs = randomSequences(new Random(1), [4, 1, 6, 2], 3);
      await model.fit(xs, randomTargets(new Random(2), [4, 1, 6, 2], 2, true) as number[][][], { epochs: 1, batchSize: 2, verbose: 0 });
      const topo = modelToArtifacts(model).modelTopology as { config: { layers: { class_name: string; config: Record<string, unknown> }[] } };
      const entry = topo.config.layers.find((l) => l.class_name === className)!;
      expect(entry).toBeDefined();
      for (const [k, v] of Object.entries(keras)) expect(entry.config[k], k).toEqual(v);
      const again = await roundTrip(model);
      expect(again.predict(xs)).toEqual(model.predict(xs));
      const w = model.layers[1].getWeights();
      again.layers[1].getWeights().forEach((t, i) => {
        expect(t.shape).toEqual(w[i].shape);
        expect(Array.from(t.data)).toEqual(Array.from(w[i].data));
      });
    });
  }

  it("MultiHeadAttention weights have Keras' names, shapes and order", () => {
    const model = attentionModels[2][1]();
    expect(model.layers[1].weights.map((v) => `${v.name} [${v.shape.join(", ")}]`)).toEqual([
      "query/kernel [6, 2, 3]", "query/bias [2, 3]", "key/kernel [6, 2, 3]", "key/bias [2, 3]",
      "value/kernel [6, 2, 4]", "value/bias [2, 4]", "attention_output/kernel [2, 4, 5]", "attention_output/bias [5]",
    ]);
  });
});

describe("attention layers: training", () => {
  it("self-attention in a Sequential learns (loss falls) and predicts ragged output", async () => {
    const rng = new Random(7);
    const lengths = Array.from({ length: 48 }, () => 1 + rng.int(0, 9));
    const xs = randomSequences(rng, lengths, 2);
    // target at each step: the mean of the sequence's first feature (needs to see the whole sequence)
    const ys = xs.map((s) => {
      const m = s.reduce((a, st) => a + st[0], 0) / s.length;
      return s.map(() => [m]);
    });
    const model = sequential([
      layers.timeDistributed({ layer: layers.dense({ units: 8 }), inputShape: [null, 2] }),
      layers.multiHeadAttention({ numHeads: 2, keyDim: 4 }),
      layers.timeDistributed({ layer: layers.dense({ units: 1 }) }),
    ], { seed: 1 });
    model.compile({ loss: "mse", optimizer: { name: "adam", learningRate: 0.01 } });
    const h = await model.fit(xs, ys, { epochs: 30, batchSize: 16, verbose: 0 });
    const loss = h.history.loss as number[];
    expect(loss[loss.length - 1]).toBeLessThan(loss[0] * 0.5);
    const out = model.predict(xs.slice(0, 3)) as number[][][];
    expect(out.map((s) => s.length)).toEqual(lengths.slice(0, 3));
  });
});

describe("attention layers: coded errors", () => {
  const rng = new Random(8);
  const q = randomSequences(rng, [2, 3], 4);
  const v = randomSequences(rng, [3, 1], 4);

  it("mismatched key and value lengths", () => {
    const k = randomSequences(rng, [3, 2], 4);
    expectCode(() => layers.attention({}).call([q, v, k]), "LENGTH_MISMATCH", "same length");
    expectCode(() => layers.multiHeadAttention({ numHeads: 1, keyDim: 2 }).call([q, v, k]), "LENGTH_MISMATCH");
  });

  it("a different number of query and value sequences", () => {
    expectCode(() => layers.additiveAttention({}).call([q, v.slice(0, 1)]), "BATCH_MISMATCH", "same number of sequences");
  });

  it("query and key of different widths (dot / additive scores need equal widths)", () => {
    expectCode(() => layers.attention({}).call([q, randomSequences(rng, [3, 1], 5)]), "SHAPE_MISMATCH", "same number of features");
  });

  it("attention without the inputs it needs, or with too many", () => {
    expectCode(() => layers.attention({}).call([]), "BAD_INPUT");
    expectCode(() => layers.multiHeadAttention({ numHeads: 1, keyDim: 2 }).call([q, v, v, v]), "BAD_INPUT");
    // one vector per sequence is not a sequence to attend over
    expectCode(() => sequential([layers.dense({ units: 3, inputShape: [4] }), layers.attention({})]), "SHAPE_MISMATCH", "sequence of feature vectors");
  });

  it("bad options", () => {
    expectCode(() => layers.attention({ scoreMode: "bilinear" as "dot" }), "INVALID_ARGUMENT", "scoreMode");
    expectCode(() => layers.attention({ dropout: 1 }), "INVALID_ARGUMENT", "dropout");
    expectCode(() => layers.multiHeadAttention({ numHeads: 0, keyDim: 2 }), "INVALID_ARGUMENT", "numHeads");
    expectCode(() => layers.multiHeadAttention({ numHeads: 2, keyDim: 2, outputShape: [2, 3] }), "UNSUPPORTED", "outputShape");
  });

  it("does not mutate its inputs", () => {
    const before = JSON.stringify([q, v]);
    layers.multiHeadAttention({ numHeads: 2, keyDim: 2, dropout: 0.5 }).call([q, v], { training: true });
    expect(JSON.stringify([q, v])).toBe(before);
  });
});
