import { describe, expect, it } from "vitest";
import { RaggedError } from "../core/errors.js";
import { Random } from "../core/random.js";
import { type InputData, layers, loadModel, memory, modelFromArtifacts, modelToArtifacts, Sequential, sequential } from "../index.js";
import type { ModelArtifacts } from "./artifacts.js";

function seqs(seed: number, lengths: number[], features: number): number[][][] {
  const rng = new Random(seed);
  return lengths.map((n) => Array.from({ length: n }, () => Array.from({ length: features }, () => rng.uniformRange(-1, 1))));
}

function seedModel(seed = 1, recurrentActivation: "sigmoid" | "hardSigmoid" | "hardSigmoidTfjs" = "sigmoid"): Sequential {
  return sequential(
    [
      layers.lstm({ units: 6, returnSequences: true, inputShape: [null, 3], recurrentActivation }),
      layers.lstm({ units: 4, returnSequences: true, kernelInitializer: { name: "randomUniform", minval: -0.2, maxval: 0.2 } }),
      layers.timeDistributed({ layer: layers.dense({ units: 2, activation: "sigmoid" }) }),
    ],
    { seed },
  );
}

const configs = (m: Sequential) => m.layers.map((l) => ({ className: l.className, name: l.name, config: l.getConfig() }));

async function roundTrip(m: Sequential): Promise<Sequential> {
  const mem = memory();
  await m.save(mem);
  const loaded = await loadModel(mem);
  expect(loaded).toBeInstanceOf(Sequential);
  return loaded as Sequential;
}

function expectCode(fn: () => unknown, code: string, ...inMessage: string[]): RaggedError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(RaggedError);
    expect((e as RaggedError).code, (e as Error).message).toBe(code);
    for (const s of inMessage) expect((e as Error).message).toContain(s);
    return e as RaggedError;
  }
  throw new Error(`expected ${code}`);
}

describe("save → load in memory", () => {
  it("gives bitwise-identical predictions, configs and summary", async () => {
    const model = seedModel(3);
    const again = await roundTrip(model);
    const xs = seqs(4, [5, 1, 9, 3], 3);
    expect(again.predict(xs)).toEqual(model.predict(xs));
    expect(configs(again)).toEqual(configs(model));
    expect(again.name).toBe(model.name);
    expect(again.summary({ print: () => undefined })).toBe(model.summary({ print: () => undefined }));
  });

  it("writes the TF.js layers-model artifacts: format, Keras class names, snake_case config, every field", () => {
    const model = seedModel(5);
    const a = modelToArtifacts(model);
    expect(a.format).toBe("layers-model");
    expect(a.convertedBy).toBeNull();
    const topo = a.modelTopology as { class_name: string; config: { layers: { class_name: string; config: Record<string, unknown> }[] }; keras_version: string; backend: string };
    expect(topo.class_name).toBe("Sequential");
    expect(topo.backend).toBe("tensor_flow.js");
    const [l0, l1, td] = topo.config.layers;
    expect(l0.class_name).toBe("LSTM");
    expect(l0.config).toMatchObject({
      name: model.layers[0].name,
      trainable: true,
      batch_input_shape: [null, null, 3],
      dtype: "float32",
      units: 6,
      activation: "tanh",
      recurrent_activation: "sigmoid",
      use_bias: true,
      kernel_initializer: { class_name: "GlorotUniform", config: { seed: null } },
      recurrent_initializer: { class_name: "Orthogonal", config: { gain: 1, seed: null } },
      bias_initializer: { class_name: "Zeros", config: {} },
      unit_forget_bias: true,
      kernel_regularizer: null,
      recurrent_regularizer: null,
      bias_regularizer: null,
      activity_regularizer: null,
      kernel_constraint: null,
      recurrent_constraint: null,
      bias_constraint: null,
      dropout: 0,
      recurrent_dropout: 0,
      return_sequences: true,
      return_state: false,
      go_backwards: false,
      stateful: false,
      unroll: false,
      implementation: 2,
    });
    expect(l1.config).not.toHaveProperty("batch_input_shape");
    expect(l1.config.kernel_initializer).toEqual({ class_name: "RandomUniform", config: { minval: -0.2, maxval: 0.2, seed: null } });
    expect(td.class_name).toBe("TimeDistributed");
    expect(td.config.layer).toMatchObject({ class_name: "Dense", config: { units: 2, activation: "sigmoid", use_bias: true, kernel_constraint: null } });
    const names = (a.weightSpecs ?? []).map((s) => s.name);
    const [n0, n1, n2] = model.layers.map((l) => l.name);
    expect(names).toEqual([`${n0}/kernel`, `${n0}/recurrent_kernel`, `${n0}/bias`, `${n1}/kernel`, `${n1}/recurrent_kernel`, `${n1}/bias`, `${n2}/kernel`, `${n2}/bias`]);
    expect((a.weightData as ArrayBuffer).byteLength).toBe(model.countParams() * 4);
  });

  it("keeps Keras 3's hard sigmoid apart from TF.js' (NOTE [ hard_sigmoid in saved files ])", async () => {
    for (const act of ["hardSigmoid", "hardSigmoidTfjs"] as const) {
      const model = seedModel(6, act);
      const a = modelToArtifacts(model);
      const l0 = (a.modelTopology as { config: { layers: { config: Record<string, unknown> }[] } }).config.layers[0];
      expect(l0.config.recurrent_activation).toBe("hard_sigmoid");
      if (act === "hardSigmoid") expect(a.userDefinedMetadata).toEqual({ ragged: { keras3HardSigmoid: [`${model.layers[0].name}/recurrent_activation`] } });
      else expect(a.userDefinedMetadata).toBeUndefined();
      const again = modelFromArtifacts(a);
      expect((again.layers[0].getConfig() as { recurrentActivation: string }).recurrentActivation).toBe(act);
      const xs = seqs(7, [4, 2], 3);
      expect(again.predict(xs)).toEqual(model.predict(xs));
    }
  });

  it("weights move into a model built for another input length (ragged models are length-free)", async () => {
    const fixed = sequential([layers.lstm({ units: 5, inputShape: [12, 2] }), layers.dense({ units: 1 })], { seed: 8 });
    const free = sequential([layers.lstm({ units: 5, inputShape: [null, 2] }), layers.dense({ units: 1 })], { seed: 9 });
    free.setWeights(fixed.getWeights());
    const twelve = seqs(10, [12, 12], 2);
    expect(free.predict(twelve)).toEqual(fixed.predict(twelve));
    expect(() => fixed.predict(seqs(10, [3, 12, 20], 2))).toThrow(expect.objectContaining({ code: "SHAPE_MISMATCH" })); // as Keras
    expect((free.predict(seqs(10, [3, 12, 20], 2)) as number[][]).length).toBe(3);
    const again = await roundTrip(fixed);
    expect(again.predict(twelve)).toEqual(fixed.predict(twelve));
    expect(again.inputShape).toEqual([null, 12, 2]);
  });

  it("resuming from a save with includeOptimizer trains exactly as training straight through", async () => {
    const optimizers = [
      { spec: "adam", slots: ["m", "v"] },
      { spec: "sgd", slots: [] },
      { spec: { name: "sgd", momentum: 0.9 }, slots: ["momentum"] },
      { spec: { name: "adam", amsgrad: true }, slots: ["m", "v", "vhat"] },
      { spec: "adamw", slots: ["m", "v"] },
      { spec: "rmsprop", slots: ["rms"] },
      { spec: { name: "rmsprop", momentum: 0.5, centered: true }, slots: ["rms", "momentum", "mg"] },
      { spec: { name: "adagrad", learningRate: 0.05 }, slots: ["accumulator"] },
    ];
    for (const { spec: optimizer, slots } of optimizers) {
      const xs = seqs(11, [4, 7, 2, 5, 3, 6], 3);
      const ys = xs.map((s) => s.map((step) => [step[0] > 0 ? 1 : 0, step[0] > 0 ? 0 : 1]));
      const make = () => {
        const m = seedModel(12);
        m.compile({ loss: "categoricalCrossentropy", optimizer });
        return m;
      };
      const fitArgs = { batchSize: 2, shuffle: false, verbose: 0 } as const;
      const straight = make();
      await straight.fit(xs, ys, { ...fitArgs, epochs: 5 });

      const first = make();
      await first.fit(xs, ys, { ...fitArgs, epochs: 2 });
      const mem = memory();
      await first.save(mem, { includeOptimizer: true });
      const specs = mem.artifacts?.weightSpecs ?? [];
      expect(specs.find((s) => s.name === "iter")).toEqual({ name: "iter", shape: [], dtype: "int32", group: "optimizer" });
      const kernel = `${first.layers[0].name}/kernel`;
      const optimizerNames = specs.filter((s) => s.group === "optimizer").map((s) => s.name);
      expect(optimizerNames.filter((n) => n.startsWith(`${kernel}/`)), JSON.stringify(optimizer)).toEqual(slots.map((slot) => `${kernel}/${slot}`));
      expect(optimizerNames.length).toBe(1 + slots.length * first.trainableWeights.length);
      expect(mem.artifacts?.trainingConfig?.loss).toBe("categorical_crossentropy");
      const resumed = await loadModel(mem);
      expect(resumed.optimizer?.iterations).toBe(first.optimizer?.iterations);
      await resumed.fit(xs, ys, { ...fitArgs, epochs: 3 });
      const a = straight.getWeights();
      const b = resumed.getWeights();
      a.forEach((w, i) => expect(Array.from(b[i].data), `${JSON.stringify(optimizer)} weight ${i}`).toEqual(Array.from(w.data)));
    }
  });
});

interface RoundTripCase {
  name: string;
  build: () => Sequential;
  /** Inputs to predict on (default: float sequences of 3 features). */
  inputs?: () => InputData;
  batchSize?: number;
}

const tokens = () => [[3, 1, 4, 1, 5], [2, 6], [5, 3, 5, 8, 9, 7, 9]];
const padded = () => [[[0.5, -1, 0.25], [0.1, 0.2, 0.3], [0, 0, 0]], [[0.7, 0.1, -0.3], [0, 0, 0], [0, 0, 0]]];

const ROUND_TRIP_CASES: RoundTripCase[] = [
  { name: "gru resetAfter true", build: () => sequential([layers.gru({ units: 4, returnSequences: true, inputShape: [null, 3] }), layers.dense({ units: 2 })], { seed: 30 }) },
  {
    name: "gru resetAfter false, simpleRNN relu no bias",
    build: () =>
      sequential([layers.gru({ units: 4, returnSequences: true, resetAfter: false, recurrentActivation: "hardSigmoid", inputShape: [null, 3] }), layers.simpleRNN({ units: 3, activation: "relu", useBias: false })], { seed: 31 }),
  },
  {
    name: "goBackwards lstm, gru, simpleRNN",
    build: () =>
      sequential(
        [
          layers.lstm({ units: 3, returnSequences: true, goBackwards: true, inputShape: [null, 3] }),
          layers.gru({ units: 3, returnSequences: true, goBackwards: true }),
          layers.simpleRNN({ units: 2, goBackwards: true }),
        ],
        { seed: 32 },
      ),
  },
  {
    name: "stateful lstm with batchInputShape",
    build: () => sequential([layers.lstm({ units: 3, stateful: true, returnSequences: true, batchInputShape: [2, null, 3] }), layers.gru({ units: 2, stateful: true, batchInputShape: [2, null, 3] })], { seed: 33 }),
    inputs: () => seqs(34, [4, 2], 3),
    batchSize: 2,
  },
  {
    name: "masking → stateful gru (batchInputShape on a later layer)",
    build: () => sequential([layers.masking({ inputShape: [null, 3] }), layers.gru({ units: 3, stateful: true, batchInputShape: [2, null, 3] })], { seed: 35 }),
    inputs: padded,
    batchSize: 2,
  },
  {
    name: "regularizers on every recurrent weight and on embeddings",
    build: () =>
      sequential(
        [
          layers.embedding({ inputDim: 10, outputDim: 3, embeddingsRegularizer: { l2: 0.001 } }),
          layers.lstm({ units: 3, returnSequences: true, kernelRegularizer: { l1: 0.01, l2: 0.02 }, recurrentRegularizer: "l2", biasRegularizer: "l1l2" }),
          layers.gru({ units: 2, kernelRegularizer: "l1" }),
        ],
        { seed: 36 },
      ),
    inputs: tokens,
  },
  {
    name: "input and recurrent dropout on recurrent layers and a dropout layer",
    build: () =>
      sequential(
        [
          layers.simpleRNN({ units: 3, returnSequences: true, dropout: 0.2, recurrentDropout: 0.1, inputShape: [null, 3] }),
          layers.dropout({ rate: 0.4 }),
          layers.gru({ units: 3, returnSequences: true, recurrentDropout: 0.3 }),
          layers.lstm({ units: 2, dropout: 0.5, recurrentDropout: 0.25 }),
        ],
        { seed: 37 },
      ),
  },
  ...(["concat", "sum", "mul", "ave"] as const).map((mergeMode, i) => ({
    name: `bidirectional mergeMode ${mergeMode}`,
    build: () =>
      sequential(
        [
          // Keras 3's hard sigmoid inside a wrapper is noted by its path, too
          layers.bidirectional({ layer: layers.lstm({ units: 3, returnSequences: true, recurrentActivation: "hardSigmoid" }), mergeMode, inputShape: [null, 3] }),
          layers.bidirectional({ layer: layers.gru({ units: 2, resetAfter: i % 2 === 0 }), mergeMode }),
        ],
        { seed: 38 + i },
      ),
  })),
  {
    name: "bidirectional with its own backwardLayer",
    build: () =>
      sequential(
        [layers.bidirectional({ layer: layers.simpleRNN({ units: 3 }), backwardLayer: layers.simpleRNN({ units: 2, goBackwards: true, activation: "relu" }), inputShape: [null, 3] })],
        { seed: 42 },
      ),
  },
  {
    name: 'repeatVector n: "inputLength" (encoder–decoder)',
    build: () =>
      sequential(
        [layers.lstm({ units: 4, inputShape: [null, 3] }), layers.repeatVector({ n: "inputLength" }), layers.lstm({ units: 3, returnSequences: true }), layers.timeDistributed({ layer: layers.dense({ units: 3 }) })],
        { seed: 43 },
      ),
  },
  {
    name: "repeatVector n, pooling",
    build: () =>
      sequential(
        [layers.gru({ units: 4, returnSequences: true, inputShape: [null, 3] }), layers.globalMaxPooling1D(), layers.repeatVector({ n: 3 }), layers.simpleRNN({ units: 2, returnSequences: true }), layers.globalAveragePooling1D()],
        { seed: 44 },
      ),
  },
  {
    name: "masking (maskValue -1) on padded input",
    build: () => sequential([layers.masking({ maskValue: -1, inputShape: [null, 3] }), layers.lstm({ units: 3 })], { seed: 45 }),
    inputs: () => [[[0.5, 0.1, 0.2], [-1, -1, -1]], [[0.3, 0.3, 0.3], [0.2, 0.1, 0]]],
  },
  {
    name: "embedding maskZero",
    build: () => sequential([layers.embedding({ inputDim: 10, outputDim: 4, maskZero: true, embeddingsInitializer: "glorotUniform" }), layers.gru({ units: 3 })], { seed: 46 }),
    inputs: () => [[3, 1, 4, 0, 0], [2, 6, 0, 0, 0], [5, 3, 5, 8, 9]],
  },
];

describe("save → load round-trips every layer type and option", () => {
  for (const c of ROUND_TRIP_CASES) {
    it(c.name, async () => {
      const model = c.build();
      const again = await roundTrip(model);
      expect(configs(again)).toEqual(configs(model));
      expect(again.getWeights().map((w) => Array.from(w.data))).toEqual(model.getWeights().map((w) => Array.from(w.data)));
      const xs = c.inputs ? c.inputs() : seqs(47, [5, 1, 9, 3], 3);
      const args = c.batchSize ? { batchSize: c.batchSize } : {};
      expect(again.predict(xs, args)).toEqual(model.predict(xs, args));
    });
  }

  it("writes TF.js' Bidirectional: layer and merge_mode, no default backward_layer, weights per direction", () => {
    const model = ROUND_TRIP_CASES.find((c) => c.name === "bidirectional mergeMode sum")?.build() as Sequential;
    const a = modelToArtifacts(model);
    const [bi] = (a.modelTopology as { config: { layers: { class_name: string; config: Record<string, unknown> }[] } }).config.layers;
    const inner = (model.layers[0] as unknown as { forwardLayer: { name: string } }).forwardLayer.name.replace(/^forward_/, "");
    expect(bi.class_name).toBe("Bidirectional");
    expect(bi.config).toMatchObject({ merge_mode: "sum", batch_input_shape: [null, null, 3], layer: { class_name: "LSTM", config: { name: inner, go_backwards: false, return_sequences: true } } });
    expect(bi.config).not.toHaveProperty("backward_layer");
    const names = (a.weightSpecs ?? []).map((s) => s.name).slice(0, 6);
    const n = model.layers[0].name;
    expect(names).toEqual(["kernel", "recurrent_kernel", "bias"].flatMap((w) => [`${n}/forward_${inner}/${w}`]).concat(["kernel", "recurrent_kernel", "bias"].map((w) => `${n}/backward_${inner}/${w}`)));
    const own = modelToArtifacts(ROUND_TRIP_CASES.find((c) => c.name === "bidirectional with its own backwardLayer")?.build() as Sequential);
    const ownBi = (own.modelTopology as { config: { layers: { config: Record<string, unknown> }[] } }).config.layers[0];
    expect(ownBi.config.backward_layer).toMatchObject({ class_name: "SimpleRNN", config: { units: 2, go_backwards: true, activation: "relu" } });
  });

  it("writes the recurrent options with Keras keys: reset_after, regularizers as L1L2, stateful batch_input_shape", () => {
    const reg = modelToArtifacts(ROUND_TRIP_CASES.find((c) => c.name.startsWith("regularizers"))?.build() as Sequential);
    const [emb, lstm] = (reg.modelTopology as { config: { layers: { config: Record<string, unknown> }[] } }).config.layers;
    expect(emb.config).toMatchObject({ input_dim: 10, output_dim: 3, mask_zero: false, input_length: null, embeddings_regularizer: { class_name: "L1L2", config: { l1: 0, l2: 0.001 } } });
    expect(lstm.config).toMatchObject({
      kernel_regularizer: { class_name: "L1L2", config: { l1: 0.01, l2: 0.02 } },
      recurrent_regularizer: { class_name: "L1L2", config: { l1: 0, l2: 0.01 } },
      bias_regularizer: { class_name: "L1L2", config: { l1: 0.01, l2: 0.01 } },
      activity_regularizer: null,
    });
    const gru = modelToArtifacts(ROUND_TRIP_CASES[0].build());
    expect((gru.modelTopology as { config: { layers: { config: Record<string, unknown> }[] } }).config.layers[0].config).toMatchObject({ reset_after: true, implementation: 2 });
    const stateful = modelToArtifacts(ROUND_TRIP_CASES.find((c) => c.name.startsWith("masking → stateful"))?.build() as Sequential);
    const [, sGru] = (stateful.modelTopology as { config: { layers: { config: Record<string, unknown> }[] } }).config.layers;
    expect(sGru.config).toMatchObject({ stateful: true, batch_input_shape: [2, null, 3] });
  });

  it('writes repeatVector n: "inputLength" as n: null with a note ragged reads back (NOTE [ values with no Keras form ])', async () => {
    const model = ROUND_TRIP_CASES.find((c) => c.name.startsWith("repeatVector n: "))?.build() as Sequential;
    const a = modelToArtifacts(model);
    const rv = (a.modelTopology as { config: { layers: { config: Record<string, unknown> }[] } }).config.layers[1];
    expect(rv.config.n).toBeNull();
    expect(a.userDefinedMetadata).toEqual({ ragged: { repeatVectorInputLength: [model.layers[1].name] } });
    delete a.userDefinedMetadata;
    expectCode(() => modelFromArtifacts(a, "m.json"), "INVALID_ARGUMENT", model.layers[1].name, "m.json");
  });

  it("writes recurrent_dropout and reads it back (a real field, as TF.js and Keras write it)", () => {
    const model = ROUND_TRIP_CASES.find((c) => c.name.startsWith("input and recurrent dropout"))?.build() as Sequential;
    const a = modelToArtifacts(model);
    expect(topoLayers(a).map((l) => l.config.recurrent_dropout)).toEqual([0.1, undefined, 0.3, 0.25]);
    topoLayers(a)[2].config.recurrent_dropout = 0.6;
    const loaded = modelFromArtifacts(a, "m.json");
    expect(loaded.layers.map((l) => (l as unknown as { recurrentDropout?: number }).recurrentDropout)).toEqual([0.1, undefined, 0.6, 0.25]);
    topoLayers(a)[0].config.recurrent_dropout = 1;
    expectCode(() => modelFromArtifacts(a, "m.json"), "INVALID_ARGUMENT", "recurrentDropout");
  });

  it("refuses what ragged does not implement: merge_mode null, Dropout noise_shape", () => {
    const bi = modelToArtifacts(ROUND_TRIP_CASES.find((c) => c.name === "bidirectional mergeMode concat")?.build() as Sequential);
    topoLayers(bi)[0].config.merge_mode = null;
    expectCode(() => modelFromArtifacts(bi, "m.json"), "UNSUPPORTED", "mergeMode");
    const drop = modelToArtifacts(ROUND_TRIP_CASES.find((c) => c.name.startsWith("input and recurrent dropout"))?.build() as Sequential);
    topoLayers(drop)[1].config.noise_shape = [null, 1, 3];
    expectCode(() => modelFromArtifacts(drop, "m.json"), "UNSUPPORTED", "noiseShape");
  });
});

const topoLayers = (a: ModelArtifacts) => (a.modelTopology as { config: { layers: { class_name: string; config: Record<string, unknown> }[] } }).config.layers;

describe("load errors name the problem and never return a half-built model", () => {
  const base = () => modelToArtifacts(seedModel(20));
  const topo = (a: ModelArtifacts) => a.modelTopology as { config: { layers: { class_name: string; config: Record<string, unknown> }[] } };

  it("unknown layer class → UNKNOWN_NAME naming the class and the source", () => {
    const a = base();
    topo(a).config.layers[1].class_name = "ConvLSTM2D";
    expectCode(() => modelFromArtifacts(a, "my/model.json"), "UNKNOWN_NAME", "ConvLSTM2D", "my/model.json");
  });

  it("a field ragged does not implement → UNSUPPORTED naming it", () => {
    const a = base();
    topo(a).config.layers[0].config.kernel_constraint = { class_name: "MaxNorm", config: { max_value: 2 } };
    expectCode(() => modelFromArtifacts(a, "m.json"), "UNSUPPORTED", "kernelConstraint", "m.json");
  });

  it("a weight shape that disagrees with the topology → SHAPE_MISMATCH naming the weight", () => {
    const a = base();
    topo(a).config.layers[1].config.units = 5;
    expectCode(() => modelFromArtifacts(a, "m.json"), "SHAPE_MISMATCH", "/kernel", "m.json");
  });

  it("a weight missing from the manifest → SHAPE_MISMATCH naming it", () => {
    const a = base();
    const specs = a.weightSpecs ?? [];
    const last = specs.pop();
    a.weightData = (a.weightData as ArrayBuffer).slice(0, (a.weightData as ArrayBuffer).byteLength - 4 * (last?.shape.reduce((x, y) => x * y, 1) ?? 0));
    expectCode(() => modelFromArtifacts(a, "m.json"), "SHAPE_MISMATCH", String(last?.name));
  });

  it("truncated weight data → BAD_FILE with expected and received bytes", () => {
    const a = base();
    const n = (a.weightData as ArrayBuffer).byteLength;
    a.weightData = (a.weightData as ArrayBuffer).slice(0, n - 10);
    const e = expectCode(() => modelFromArtifacts(a, "w.bin"), "BAD_FILE", "w.bin", "truncated");
    expect(e.expected).toContain(String(n));
    expect(e.received).toContain(String(n - 10));
  });

  it("a non-float32 weight → UNSUPPORTED", () => {
    const a = base();
    (a.weightSpecs ?? [])[0].dtype = "int32";
    expectCode(() => modelFromArtifacts(a, "m.json"), "UNSUPPORTED", "dtype");
  });
});
