// `predict`'s lean path (NOTE [ lean predict ]) and the wasm inference chain that every inference
// pass of a Sequential model starting with LSTM / GRU layers runs them on (NOTE [ inference chains ]
// in core/kernels/wasm/inference_chain.ts; models/chained_inference.ts) must give exactly what
// running the layers one by one gives — bit for bit, for every model they take — and hand
// everything else to the general path (same results, same errors).
import { afterEach, describe, expect, it } from "vitest";
import { input, jsKernels, kernels, layers, model, RaggedError, Random, sequential, setKernels, Tensor, useFastKernels, type Kernels, type Layer, type LayersModel, type Sequential, type SymbolicTensor } from "../index.js";
import { readSamples } from "./graph_samples.js";
import { predictSamples } from "./predict.js";

const initial = kernels();
afterEach(() => setKernels(initial));

/** `count` sequences of 1…maxLength steps of `features` numbers. */
function ragged(rng: Random, count: number, features: number, maxLength: number): number[][][] {
  return Array.from({ length: count }, () =>
    Array.from({ length: 1 + Math.floor(rng.uniform() * maxLength) }, () => Array.from({ length: features }, () => rng.uniform() * 2 - 1)),
  );
}

/** What the general path returns for `xs` (readSamples → batches → the model's `run`). */
function general(model: Sequential, xs: unknown, batchSize = 32): unknown {
  return predictSamples(model, readSamples(model, xs, null, false), { batchSize });
}

/**
 * `f()` with the layers run one by one: the same wasm kernels behind other function objects, so no
 * layer offers itself as a chain link (`chainLink` checks the kernels are the wasm ones).
 */
function layerByLayer<T>(f: () => T): T {
  const fast = kernels();
  const wrapped: Kernels = { ...fast, lstmForward: (a) => fast.lstmForward(a), gruForward: (a) => fast.gruForward(a), simpleRnnForward: (a) => fast.simpleRnnForward(a), gemm: (a) => fast.gemm(a) };
  setKernels(wrapped);
  try {
    return f();
  } finally {
    setKernels(fast);
  }
}

/** Counts the calls of each layer's own forward (the chain runs its layers without them). */
function countForwards(model: LayersModel): Map<string, number> {
  const calls = new Map<string, number>();
  for (const layer of model.layers as Layer[]) {
    const own = layer.forwardMany.bind(layer);
    calls.set(layer.name, 0);
    layer.forwardMany = (inputs, ctx) => {
      calls.set(layer.name, (calls.get(layer.name) ?? 0) + 1);
      return own(inputs, ctx);
    };
  }
  return calls;
}

const C = 5;
/** Models, and how many of their first layers the chain runs. */
const MODELS: { name: string; chained: number; build: () => Sequential }[] = [
  {
    name: "the seed's: lstm → lstm → timeDistributed(dense)",
    chained: 3,
    build: () => sequential([layers.lstm({ units: 32, returnSequences: true, inputShape: [null, C] }), layers.lstm({ units: 8, returnSequences: true }), layers.timeDistributed({ layer: layers.dense({ units: 2, activation: "sigmoid" }) })], { seed: 1 }),
  },
  {
    name: "gru (resetAfter) → gru (resetAfter false, last step) → dense softmax",
    chained: 2,
    build: () => sequential([layers.gru({ units: 16, returnSequences: true, inputShape: [null, C] }), layers.gru({ units: 7, resetAfter: false }), layers.dense({ units: 3, activation: "softmax" })], { seed: 2 }),
  },
  {
    name: "one lstm (last step, other activations, no bias) alone",
    chained: 1,
    build: () => sequential([layers.lstm({ units: 9, activation: "relu", recurrentActivation: "hardSigmoid", useBias: false, inputShape: [null, C] })], { seed: 3 }),
  },
  {
    name: "gru → lstm with goBackwards (the chain stops before it) → lstm",
    chained: 1,
    build: () => sequential([layers.gru({ units: 6, returnSequences: true, inputShape: [null, C] }), layers.lstm({ units: 5, returnSequences: true, goBackwards: true }), layers.lstm({ units: 4 })], { seed: 4 }),
  },
  {
    name: "simpleRNN → lstm",
    chained: 2,
    build: () => sequential([layers.simpleRNN({ units: 6, returnSequences: true, inputShape: [null, C] }), layers.lstm({ units: 3 })], { seed: 5 }),
  },
  {
    name: "simpleRNN (relu, no bias, last step) → dense",
    chained: 1,
    build: () => sequential([layers.simpleRNN({ units: 5, activation: "relu", useBias: false, inputShape: [null, C] }), layers.dense({ units: 2 })], { seed: 12 }),
  },
  {
    name: "bidirectional lstm (concat) → dense",
    chained: 2,
    build: () => sequential([layers.bidirectional({ layer: layers.lstm({ units: 4, returnSequences: true }), inputShape: [null, C] }), layers.dense({ units: 2 })], { seed: 6 }),
  },
  {
    name: "bidirectional gru (sum) → bidirectional lstm (ave, last step) → dense softmax",
    chained: 2,
    build: () =>
      sequential(
        [
          layers.bidirectional({ layer: layers.gru({ units: 5, returnSequences: true }), mergeMode: "sum", inputShape: [null, C] }),
          layers.bidirectional({ layer: layers.lstm({ units: 3 }), mergeMode: "ave" }),
          layers.dense({ units: 3, activation: "softmax" }),
        ],
        { seed: 13 },
      ),
  },
  {
    name: "lstm → bidirectional simpleRNN (mul) → dropout → bidirectional gru (resetAfter false, concat, last step)",
    chained: 4,
    build: () =>
      sequential(
        [
          layers.lstm({ units: 6, returnSequences: true, inputShape: [null, C] }),
          layers.bidirectional({ layer: layers.simpleRNN({ units: 4, returnSequences: true }), mergeMode: "mul" }),
          layers.dropout({ rate: 0.5 }),
          layers.bidirectional({ layer: layers.gru({ units: 3, resetAfter: false }) }),
        ],
        { seed: 14 },
      ),
  },
  {
    name: "bidirectional over a goBackwards lstm (its directions swapped: layer by layer) → lstm",
    chained: 0,
    build: () => sequential([layers.bidirectional({ layer: layers.lstm({ units: 4, returnSequences: true, goBackwards: true }), inputShape: [null, C] }), layers.lstm({ units: 3 })], { seed: 15 }),
  },
  {
    name: "lstm with dropout and recurrentDropout (off in predict) → dense",
    chained: 2,
    build: () => sequential([layers.lstm({ units: 6, dropout: 0.3, recurrentDropout: 0.4, returnSequences: true, inputShape: [null, C] }), layers.dense({ units: 2 })], { seed: 7 }),
  },
  {
    name: 'encoder–decoder: lstm (last step) → repeatVector("inputLength") → lstm → timeDistributed(dense)',
    chained: 1,
    build: () => sequential([layers.lstm({ units: 6, inputShape: [null, C] }), layers.repeatVector({ n: "inputLength" }), layers.lstm({ units: 5, returnSequences: true }), layers.timeDistributed({ layer: layers.dense({ units: 2 }) })], { seed: 8 }),
  },
  {
    name: "gru (last step) → repeatVector(3) → gru",
    chained: 1,
    build: () => sequential([layers.gru({ units: 4, inputShape: [null, C] }), layers.repeatVector({ n: 3 }), layers.gru({ units: 3, returnSequences: true })], { seed: 9 }),
  },
  {
    name: "lstm → dropout → gru → spatialDropout1D → timeDistributed(dense): the chain steps over dropout",
    chained: 5,
    build: () => sequential([layers.lstm({ units: 8, returnSequences: true, inputShape: [null, C] }), layers.dropout({ rate: 0.5 }), layers.gru({ units: 6, returnSequences: true }), layers.spatialDropout1D({ rate: 0.3 }), layers.timeDistributed({ layer: layers.dense({ units: 2 }) })], { seed: 10 }),
  },
];

describe("lean predict", () => {
  it("is useFastKernels' wasm here (the chain runs only on it)", () => {
    expect(useFastKernels()).toBe(true);
  });

  for (const m of MODELS) {
    it(`gives the general path's result bit for bit: ${m.name}`, () => {
      const rng = new Random(11);
      const model = m.build();
      const calls = countForwards(model);
      for (const [count, maxLength, batchSize] of [[1, 100, 32], [7, 30, 32], [45, 40, 8], [3, 1, 2]] as const) {
        const xs = ragged(rng, count, C, maxLength);
        const copy = structuredClone(xs);
        calls.forEach((_, k) => calls.set(k, 0));
        const lean = model.predict(xs, { batchSize });
        const batches = Math.ceil(count / batchSize);
        // the chained layers' own forwards did not run; every other layer's ran once per batch
        model.layers.forEach((layer, k) => expect(calls.get(layer.name), `${layer.name}, ${count} sequences`).toBe(k < m.chained ? 0 : batches));
        expect(lean).toEqual(general(model, xs, batchSize));
        expect(lean).toEqual(layerByLayer(() => general(model, xs, batchSize)));
        expect(xs).toEqual(copy); // the caller's arrays are only read
      }
    });
  }

  it("runs the chain in every inference pass of the model — evaluate, predictDataset, validation — with the layer-by-layer result", async () => {
    const rng = new Random(16);
    for (const m of [MODELS[0], MODELS[1], MODELS[7]]) {
      const model = m.build();
      const xs = ragged(rng, 40, C, 30);
      const flat = xs.map((s) => Float32Array.from(s.flat())); // typed arrays: the general reader, then the model's run
      const out = model.predict(xs) as number[][][] | number[][];
      const ys = out.map((o) => (Array.isArray(o[0]) ? (o as number[][]).map((r) => r.map((v) => (v > 0 ? 1 : 0))) : (o as number[]).map((v) => (v > 0 ? 1 : 0))));
      model.compile({ loss: "meanSquaredError", optimizer: "adam", metrics: ["mae"] });
      const calls = countForwards(model);
      const chained = { flat: model.predict(flat, { batchSize: 16 }), evaluate: model.evaluate(xs, ys, { returnDict: true }), dataset: await model.predictDataset([{ xs: xs.slice(0, 7) }, { xs: xs.slice(7) }]) };
      model.layers.forEach((layer, k) => expect(calls.get(layer.name), `${m.name}: ${layer.name}`).toBe(k < m.chained ? 0 : 3 + 2 + 2));
      const plain = layerByLayer(() => ({ flat: model.predict(flat, { batchSize: 16 }), evaluate: model.evaluate(xs, ys, { returnDict: true }) }));
      expect(chained.flat).toEqual(plain.flat);
      expect(chained.evaluate).toEqual(plain.evaluate);
      expect(chained.dataset).toEqual([...out.slice(0, 7), ...out.slice(7)]);
      const history = await model.fit(xs, ys, { epochs: 1, batchSize: 20, validationData: [xs, ys], verbose: 0 });
      expect(history.history.val_loss[0]).toBeCloseTo(layerByLayer(() => model.evaluate(xs, ys, { batchSize: 20, returnDict: true }).loss), 6);
    }
  });

  for (const [name, build] of [
    ["lstm → gru", () => sequential([layers.masking({ maskValue: 0, inputShape: [null, C] }), layers.lstm({ units: 7, returnSequences: true }), layers.gru({ units: 3 }), layers.dense({ units: 2 })], { seed: 11 })],
    [
      "bidirectional lstm → bidirectional gru (sum)",
      () =>
        sequential(
          [
            layers.masking({ maskValue: 0, inputShape: [null, C] }),
            layers.bidirectional({ layer: layers.lstm({ units: 4, returnSequences: true }) }),
            layers.bidirectional({ layer: layers.gru({ units: 3 }), mergeMode: "sum" }),
            layers.dense({ units: 2 }),
          ],
          { seed: 16 },
        ),
    ],
  ] as const)
  it(`runs a masking model's padded input through the chain when the padding is at the edges, and layer by layer when it has holes: ${name}`, () => {
    const model = build();
    const rng = new Random(17);
    const padded = ragged(rng, 20, C, 25).map((s, i) => {
      const pad = Array.from({ length: 30 - s.length }, () => new Array(C).fill(0));
      return i % 2 ? [...pad, ...s] : [...s, ...pad]; // pre- and post-padding
    });
    const withHoles = padded.map((s) => s.map((row, t) => (t === 2 ? new Array(C).fill(0) : row)));
    for (const [xs, through] of [[padded, 0], [withHoles, 1]] as const) {
      const calls = countForwards(model);
      const out = model.predict(xs);
      // through the chain: masking, lstm and gru not called; with holes: every layer once
      model.layers.forEach((layer, k) => expect(calls.get(layer.name), layer.name).toBe(k < 3 ? through : 1));
      expect(out).toEqual(layerByLayer(() => model.predict(xs)));
    }
  });

  it("reads the weights at every call (after setWeights and after training)", async () => {
    const model = MODELS[0].build();
    model.compile({ loss: "meanSquaredError", optimizer: "adam" });
    const rng = new Random(12);
    const xs = ragged(rng, 6, C, 20);
    const before = model.predict(xs);
    model.setWeights(model.getWeights().map((w) => new Tensor(w.shape, w.data.map((v) => v * 0.5))));
    const halved = model.predict(xs);
    expect(halved).not.toEqual(before);
    expect(halved).toEqual(general(model, xs));
    await model.fit(xs, xs.map((s) => s.map(() => [0.2, 0.8])), { epochs: 1, verbose: 0 });
    const trained = model.predict(xs);
    expect(trained).not.toEqual(halved);
    expect(trained).toEqual(general(model, xs));
  });

  it("runs the JavaScript kernels' layers when they are set (no chain), with the same result", () => {
    const model = MODELS[1].build();
    const xs = ragged(new Random(13), 9, C, 25);
    const fast = model.predict(xs);
    setKernels(jsKernels);
    const calls = countForwards(model);
    const js = model.predict(xs);
    expect(calls.get(model.layers[0].name)).toBe(1);
    expect(js).toEqual(general(model, xs));
    for (let i = 0; i < fast.length; i++) for (let k = 0; k < 7; k++) expect((js as number[][])[i][k] ?? 0).toBeCloseTo((fast as number[][])[i][k] ?? 0, 5);
  });

  it("hands what it does not take to the general path: typed arrays, empty sequences, numbers as steps", () => {
    const model = MODELS[0].build();
    const rng = new Random(14);
    const xs = ragged(rng, 4, C, 10);
    const flat = xs.map((s) => Float32Array.from(s.flat()));
    expect(model.predict(flat)).toEqual(general(model, flat));
    const withEmpty = [...xs, []];
    const out = model.predict(withEmpty) as number[][][];
    expect(out).toEqual(general(model, withEmpty));
    expect(out[4]).toEqual([]);
    const one = sequential([layers.gru({ units: 3, inputShape: [null, 1] })], { seed: 8 });
    const scalars = [[0.5, -1, 2], [1]];
    expect(one.predict(scalars)).toEqual(general(one, scalars));
  });

  it("refuses bad input with the general path's errors, whichever batch it is in", () => {
    const model = MODELS[0].build();
    const rng = new Random(15);
    const cases: [string, (xs: unknown[][]) => void, string][] = [
      ["NaN", (xs) => ((xs[40][0] as number[])[2] = NaN), "NON_FINITE"],
      ["1e39 (Infinity as float32)", (xs) => ((xs[40][0] as number[])[2] = 1e39), "NON_FINITE"],
      ["a string", (xs) => ((xs[40][0] as unknown[])[2] = "0.5"), "NON_FINITE"],
      ["a short step", (xs) => (xs[40][0] = [1, 2]), "FEATURE_MISMATCH"],
      ["a step that is not a list", (xs) => (xs[40][0] = null), "BAD_SEQUENCE"],
      ["a sequence that is not a list", (xs) => (xs[40] = 7 as unknown as unknown[]), "BAD_SEQUENCE"],
    ];
    for (const [what, spoil, code] of cases) {
      const xs: unknown[][] = ragged(rng, 45, C, 12);
      spoil(xs);
      const expected = (() => {
        try {
          general(model, xs, 8);
        } catch (e) {
          return e as RaggedError;
        }
        throw new Error(`the general path took ${what}`);
      })();
      expect(expected.code, what).toBe(code);
      expect(() => model.predict(xs as number[][][], { batchSize: 8 }), what).toThrow(expected.message);
    }
  });
});

describe("inference chains after an embedding", () => {
  const V = 50;
  /** `count` sentences of 1…maxLength token ids in [1, V). */
  function sentences(rng: Random, count: number, maxLength: number): number[][] {
    return Array.from({ length: count }, () => Array.from({ length: 1 + Math.floor(rng.uniform() * maxLength) }, () => 1 + Math.floor(rng.uniform() * (V - 1))));
  }
  const TAGGERS: { name: string; chained: number; build: () => Sequential }[] = [
    {
      name: "embedding (maskZero) → dropout → bidirectional lstm → timeDistributed(dense softmax)",
      chained: 4,
      build: () =>
        sequential(
          [
            layers.embedding({ inputDim: V, outputDim: 8, maskZero: true }),
            layers.dropout({ rate: 0.25 }),
            layers.bidirectional({ layer: layers.lstm({ units: 5, returnSequences: true }) }),
            layers.timeDistributed({ layer: layers.dense({ units: 4, activation: "softmax" }) }),
          ],
          { seed: 21 },
        ),
    },
    {
      name: "embedding → gru (last step) → dense",
      chained: 2,
      build: () => sequential([layers.embedding({ inputDim: V, outputDim: 6 }), layers.gru({ units: 4 }), layers.dense({ units: 2 })], { seed: 22 }),
    },
    {
      name: "embedding → lstm with goBackwards (no chain: a lookup alone is not one) → dense",
      chained: 0,
      build: () => sequential([layers.embedding({ inputDim: V, outputDim: 6 }), layers.lstm({ units: 4, goBackwards: true }), layers.dense({ units: 2 })], { seed: 23 }),
    },
  ];

  for (const m of TAGGERS) {
    it(`gives the layer-by-layer result bit for bit: ${m.name}`, async () => {
      const rng = new Random(19);
      const model = m.build();
      const calls = countForwards(model);
      for (const [count, maxLength, batchSize] of [[1, 60, 32], [9, 20, 32], [45, 30, 8]] as const) {
        const xs = sentences(rng, count, maxLength);
        const copy = structuredClone(xs);
        calls.forEach((_, k) => calls.set(k, 0));
        const out = model.predict(xs, { batchSize });
        const batches = Math.ceil(count / batchSize);
        model.layers.forEach((layer, k) => expect(calls.get(layer.name), `${layer.name}, ${count} sentences`).toBe(k < m.chained ? 0 : batches));
        expect(out).toEqual(layerByLayer(() => model.predict(xs, { batchSize })));
        expect(xs).toEqual(copy);
      }
      // evaluate too (validation runs the same pass)
      const xs = sentences(rng, 12, 15);
      const ys = xs.map((s) => (m.chained === 4 ? s.map((w) => w % 4) : w0(s)));
      model.compile({ loss: "sparseCategoricalCrossentropy", optimizer: "adam" });
      expect(await model.evaluate(xs, ys)).toEqual(await layerByLayer(() => model.evaluate(xs, ys)));
    });
  }

  it("runs padded ids through the chain when the padding (id 0, maskZero) is at the edges, and layer by layer when it has holes", () => {
    const model = TAGGERS[0].build();
    const rng = new Random(20);
    const padded = sentences(rng, 16, 20).map((s, i) => {
      const pad = new Array(24 - s.length).fill(0);
      return i % 2 ? [...pad, ...s] : [...s, ...pad];
    });
    const withHoles = padded.map((s) => s.map((w, t) => (t === 1 ? 0 : w)));
    for (const [xs, through] of [[padded, 0], [withHoles, 1]] as const) {
      const calls = countForwards(model);
      const out = model.predict(xs);
      model.layers.forEach((layer, k) => expect(calls.get(layer.name), layer.name).toBe(k < 4 ? through : 1));
      expect(out).toEqual(layerByLayer(() => model.predict(xs)));
    }
  });
});

/** One class per sentence (for the last-step models). */
function w0(s: number[]): number {
  return s[0] % 2;
}

describe("functional models that are one line of layers chain as Sequential ones (isLinearGraph)", () => {
  const rng = new Random(71);
  const xs = ragged(rng, 9, C, 30);

  /** input → lstm → dropout → gru → timeDistributed(dense): a Sequential model written as a graph. */
  function line(seed: number): LayersModel {
    const x = input({ shape: [null, C], name: "steps" });
    let h = layers.lstm({ units: 12, returnSequences: true }).apply(x) as SymbolicTensor;
    h = layers.dropout({ rate: 0.3 }).apply(h) as SymbolicTensor;
    h = layers.gru({ units: 6, returnSequences: true }).apply(h) as SymbolicTensor;
    const y = layers.timeDistributed({ layer: layers.dense({ units: 3, activation: "softmax" }) }).apply(h) as SymbolicTensor;
    return model({ inputs: x, outputs: y, seed });
  }

  it("predict runs the recurrent layers and the dense head as one chain: bit-identical to layer by layer", () => {
    useFastKernels();
    const m = line(5);
    const expected = layerByLayer(() => m.predict(xs));
    const calls = countForwards(m);
    const got = m.predict(xs);
    expect(got).toEqual(expected);
    for (const layer of m.layers as Layer[]) if (layer.className !== "InputLayer" && layer.className !== "Dropout") expect(calls.get(layer.name), layer.name).toBe(0);
  });

  it("a graph that branches runs layer by layer", () => {
    useFastKernels();
    const x = input({ shape: [null, C], name: "steps" });
    const a = layers.lstm({ units: 8, returnSequences: true }).apply(x) as SymbolicTensor;
    const b = layers.gru({ units: 8, returnSequences: true }).apply(x) as SymbolicTensor;
    const y = layers.timeDistributed({ layer: layers.dense({ units: 2 }) }).apply(layers.add([a, b]) as SymbolicTensor) as SymbolicTensor;
    const m = model({ inputs: x, outputs: y, seed: 6 });
    const calls = countForwards(m);
    const got = m.predict(xs);
    for (const layer of m.layers as Layer[]) if (layer.className !== "InputLayer") expect(calls.get(layer.name), layer.name).toBe(1);
    expect(got).toEqual(layerByLayer(() => m.predict(xs)));
  });

  it("masked input: edge padding (packed away) runs through the chain, a mask with holes layer by layer, as a Sequential model's", () => {
    useFastKernels();
    const x = input({ shape: [null, C], name: "steps" });
    const masked = layers.masking({ maskValue: 0 }).apply(x) as SymbolicTensor;
    const h = layers.lstm({ units: 7 }).apply(masked) as SymbolicTensor;
    const m = model({ inputs: x, outputs: layers.dense({ units: 2 }).apply(h) as SymbolicTensor, seed: 8 });
    const lstm = (m.layers as Layer[]).find((l) => l.className === "LSTM") as Layer;
    const padded = xs.map((s) => [...s, ...Array.from({ length: 30 - s.length }, () => new Array<number>(C).fill(0))]);
    const holes = padded.map((s) => s.map((row, t) => (t === 1 ? row.map(() => 0) : row)));
    for (const [data, through] of [[padded, 0], [holes, 1]] as const) {
      const calls = countForwards(m);
      const got = m.predict(data);
      expect(calls.get(lstm.name)).toBe(through);
      expect(got).toEqual(layerByLayer(() => m.predict(data)));
    }
    expect(m.predict(padded)).toEqual(m.predict(xs)); // edge padding changes nothing
  });

  it("training is never chained, and the chain sees the weights training left", async () => {
    useFastKernels();
    const m = line(7);
    m.compile({ loss: "categoricalCrossentropy", optimizer: "adam" });
    const ys = xs.map((s) => s.map((_, t) => [t % 3 === 0 ? 1 : 0, t % 3 === 1 ? 1 : 0, t % 3 === 2 ? 1 : 0]));
    const calls = countForwards(m);
    await m.fit(xs, ys, { epochs: 1, batchSize: 4, verbose: 0 });
    expect(calls.get((m.layers as Layer[])[1].name)).toBe(3); // 9 sequences in batches of 4
    expect(m.predict(xs)).toEqual(layerByLayer(() => m.predict(xs)));
  });
});
