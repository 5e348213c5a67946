/**
 * Interchange with the real peer, TensorFlow.js 4.22 (`@tensorflow/tfjs`, cpu backend):
 * - a model saved by ragged opens with `tf.loadLayersModel` and predicts the same numbers;
 * - a model built and saved by TF.js (its own defaults: `hardSigmoid` recurrent activation,
 *   `VarianceScaling` initializers, `unit_forget_bias: null`) opens in ragged and predicts the same.
 * Predictions agree within 1e-5. Unmasked models: TF.js runs padded tensors without a mask, so
 * each ragged sequence is compared with TF.js on that sequence alone (batch of one, its own
 * length). Masked models (a first `masking` or `embedding` with `maskZero`): both run the same
 * post-padded batch, and only real steps are compared (ragged returns zeros at padding steps,
 * TF.js carries the last real output there).
 *
 * Adding a layer kind is one entry in `RAGGED_CASES` or `TFJS_CASES`.
 */
import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { Random } from "../src/core/random.js";
import { type LayersModel, layers, loadModel, memory, sequential, type Sequential } from "../src/index.js";
import { savedByTfjs } from "./tfjs_saved.js";

const TOL = 1e-5;

beforeAll(async () => {
  await tf.setBackend("cpu");
  await tf.ready();
});

function seqs(seed: number, lengths: number[], features: number): number[][][] {
  const rng = new Random(seed);
  return lengths.map((n) => Array.from({ length: n }, () => Array.from({ length: features }, () => rng.uniformRange(-1, 1))));
}

/** TF.js' prediction for each sequence on its own. */
function tfjsPerSequence(model: tf.LayersModel, xs: number[][][]): number[][] | number[][][] {
  return xs.map((x) => {
    const out = model.predict(tf.tensor3d([x])) as tf.Tensor;
    const v = out.arraySync() as number[][] | number[][][];
    out.dispose();
    return v[0];
  }) as number[][] | number[][][];
}

function expectClose(ours: unknown, theirs: unknown): void {
  const a = (ours as number[]).flat(3) as number[];
  const b = (theirs as number[]).flat(3) as number[];
  expect(a.length).toBe(b.length);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i] - b[i]));
  expect(max).toBeLessThan(TOL);
}

const LENGTHS = [5, 1, 8, 3];

/** How a case's inputs look: float features (`features` wide), or token ids below `vocab`. */
interface CaseInput {
  features: number;
  /** The model's first layer masks padding: compare on a padded batch (see the file doc). */
  masked?: boolean;
  /** Token ids in [1, vocab) instead of float features (an embedding first). */
  vocab?: number;
}

interface RaggedCase extends CaseInput {
  name: string;
  build: () => Sequential;
}

function tokenSeqs(seed: number, lengths: number[], vocab: number): number[][] {
  const rng = new Random(seed);
  return lengths.map((n) => Array.from({ length: n }, () => 1 + Math.floor(rng.uniform() * (vocab - 1))));
}

/** Each sequence padded at the end to the longest, with zeros (ids or feature rows). */
function postPad<T>(xs: T[][], zero: () => T): T[][] {
  const max = Math.max(...xs.map((x) => x.length));
  return xs.map((x) => [...x, ...Array.from({ length: max - x.length }, zero)]);
}

/**
 * Runs the model saved by one side (`ours`) and its copy on the other (`theirs`) on the case's
 * inputs and checks they agree (see the file doc for masked models).
 */
function expectSamePredictions(c: CaseInput, ours: LayersModel, theirs: tf.LayersModel, seed: number): void {
  if (c.vocab !== undefined) {
    const ids = tokenSeqs(seed, LENGTHS, c.vocab);
    const padded = postPad(ids, () => 0);
    const theirsOut = (theirs.predict(tf.tensor2d(padded)) as tf.Tensor).arraySync();
    expectCloseOnRealSteps(ours.predict(padded), theirsOut, LENGTHS);
    return;
  }
  const xs = seqs(seed, LENGTHS, c.features);
  if (c.masked) {
    const padded = postPad(xs, () => new Array(c.features).fill(0));
    const theirsOut = (theirs.predict(tf.tensor3d(padded)) as tf.Tensor).arraySync();
    expectCloseOnRealSteps(ours.predict(padded), theirsOut, LENGTHS);
    return;
  }
  expectClose(ours.predict(xs), tfjsPerSequence(theirs, xs));
  // equal-length sequences as one TF.js batch, too
  const even = seqs(seed + 1, [4, 4, 4], c.features);
  expectClose(ours.predict(even), (theirs.predict(tf.tensor3d(even)) as tf.Tensor).arraySync());
}

/** Per-step outputs compared on each sequence's first `lengths[i]` steps; one row per sequence compared whole. */
function expectCloseOnRealSteps(ours: unknown, theirs: unknown, lengths: number[]): void {
  const a = ours as number[][] | number[][][];
  const b = theirs as number[][] | number[][][];
  expect(a.length).toBe(b.length);
  const perStep = Array.isArray(a[0]?.[0]);
  expectClose(
    perStep ? (a as number[][][]).map((seq, i) => seq.slice(0, lengths[i])) : a,
    perStep ? (b as number[][][]).map((seq, i) => seq.slice(0, lengths[i])) : b,
  );
}

const RAGGED_CASES: RaggedCase[] = [
  {
    name: "seed model: lstm → lstm → timeDistributed(dense sigmoid)",
    features: 3,
    build: () =>
      sequential(
        [
          layers.lstm({ units: 6, returnSequences: true, inputShape: [null, 3] }),
          layers.lstm({ units: 4, returnSequences: true }),
          layers.timeDistributed({ layer: layers.dense({ units: 2, activation: "sigmoid" }) }),
        ],
        { seed: 1 },
      ),
  },
  {
    name: "many-to-one: lstm → dense softmax",
    features: 2,
    build: () => sequential([layers.lstm({ units: 5, inputShape: [null, 2] }), layers.dense({ units: 3, activation: "softmax" })], { seed: 2 }),
  },
  {
    name: "TF.js' hard sigmoid (hardSigmoidTfjs), no bias, relu dense",
    features: 2,
    build: () =>
      sequential(
        [
          layers.lstm({ units: 4, returnSequences: true, recurrentActivation: "hardSigmoidTfjs", useBias: false, inputShape: [null, 2] }),
          layers.dense({ units: 3, activation: "relu" }),
        ],
        { seed: 3 },
      ),
  },
  {
    name: "gru (resetAfter false) → simpleRNN → dense",
    features: 3,
    build: () =>
      sequential(
        [
          layers.gru({ units: 5, returnSequences: true, resetAfter: false, inputShape: [null, 3] }),
          layers.simpleRNN({ units: 4, activation: "relu" }),
          layers.dense({ units: 2 }),
        ],
        { seed: 4 },
      ),
  },
  {
    name: "bidirectional(lstm) concat → bidirectional(gru resetAfter false) sum",
    features: 2,
    build: () =>
      sequential(
        [
          layers.bidirectional({ layer: layers.lstm({ units: 3, returnSequences: true }), inputShape: [null, 2] }),
          layers.bidirectional({ layer: layers.gru({ units: 4, resetAfter: false }), mergeMode: "sum" }),
        ],
        { seed: 5 },
      ),
  },
  {
    name: "bidirectional(simpleRNN) ave and mul, per step",
    features: 2,
    build: () =>
      sequential(
        [
          layers.bidirectional({ layer: layers.simpleRNN({ units: 3, returnSequences: true }), mergeMode: "ave", inputShape: [null, 2] }),
          layers.bidirectional({ layer: layers.lstm({ units: 2, returnSequences: true }), mergeMode: "mul" }),
        ],
        { seed: 6 },
      ),
  },
  {
    name: "goBackwards lstm (per step) → goBackwards gru → dense",
    features: 2,
    build: () =>
      sequential(
        [
          layers.lstm({ units: 4, returnSequences: true, goBackwards: true, inputShape: [null, 2] }),
          layers.gru({ units: 3, goBackwards: true, resetAfter: false }),
          layers.dense({ units: 2 }),
        ],
        { seed: 7 },
      ),
  },
  {
    name: "dropout, regularizers, input and recurrent dropout (training-only) → identical inference",
    features: 3,
    build: () =>
      sequential(
        [
          layers.lstm({ units: 4, returnSequences: true, dropout: 0.3, recurrentDropout: 0.2, kernelRegularizer: { l1: 0.01, l2: 0.02 }, recurrentRegularizer: "l2", inputShape: [null, 3] }),
          layers.dropout({ rate: 0.5 }),
          layers.timeDistributed({ layer: layers.dense({ units: 2, activation: "tanh" }) }),
        ],
        { seed: 8 },
      ),
  },
  {
    name: "lstm → repeatVector(3) → lstm → timeDistributed(dense)",
    features: 2,
    build: () =>
      sequential(
        [
          layers.lstm({ units: 4, inputShape: [null, 2] }),
          layers.repeatVector({ n: 3 }),
          layers.lstm({ units: 3, returnSequences: true }),
          layers.timeDistributed({ layer: layers.dense({ units: 2 }) }),
        ],
        { seed: 9 },
      ),
  },
  {
    name: "simpleRNN → globalAveragePooling1D → repeatVector(2) → gru",
    features: 2,
    build: () =>
      sequential(
        [
          layers.simpleRNN({ units: 4, returnSequences: true, inputShape: [null, 2] }),
          layers.globalAveragePooling1D(),
          layers.repeatVector({ n: 2 }),
          layers.gru({ units: 3, returnSequences: true, resetAfter: false }),
        ],
        { seed: 10 },
      ),
  },
  {
    name: "lstm → globalMaxPooling1D → dense",
    features: 3,
    build: () =>
      sequential([layers.lstm({ units: 4, returnSequences: true, inputShape: [null, 3] }), layers.globalMaxPooling1D(), layers.dense({ units: 2 })], { seed: 14 }),
  },
  {
    name: "masking → lstm → timeDistributed(dense), padded batch",
    features: 3,
    masked: true,
    build: () =>
      sequential(
        [
          layers.masking({ maskValue: 0, inputShape: [null, 3] }),
          layers.lstm({ units: 4, returnSequences: true }),
          layers.timeDistributed({ layer: layers.dense({ units: 2 }) }),
        ],
        { seed: 11 },
      ),
  },
  {
    name: "masking → bidirectional(lstm) → gru (resetAfter false), padded batch",
    features: 2,
    masked: true,
    build: () =>
      sequential(
        [
          layers.masking({ maskValue: 0, inputShape: [null, 2] }),
          layers.bidirectional({ layer: layers.lstm({ units: 3, returnSequences: true }) }),
          layers.gru({ units: 2, resetAfter: false }),
        ],
        { seed: 12 },
      ),
  },
  {
    name: "embedding maskZero → lstm → dense softmax, padded ids",
    features: 1,
    masked: true,
    vocab: 7,
    build: () =>
      sequential(
        [layers.embedding({ inputDim: 7, outputDim: 3, maskZero: true }), layers.lstm({ units: 4 }), layers.dense({ units: 3, activation: "softmax" })],
        { seed: 13 },
      ),
  },
];

interface TfjsCase extends CaseInput {
  name: string;
  build: () => tf.Sequential;
}

const TFJS_CASES: TfjsCase[] = [
  {
    name: "TF.js defaults: lstm (hardSigmoid) → lstm → timeDistributed(dense)",
    features: 3,
    build: () =>
      tf.sequential({
        layers: [
          tf.layers.lstm({ units: 6, returnSequences: true, inputShape: [null, 3] }),
          tf.layers.lstm({ units: 4, returnSequences: true }),
          tf.layers.timeDistributed({ layer: tf.layers.dense({ units: 2, activation: "sigmoid" }) }),
        ],
      }),
  },
  {
    name: "TF.js lstm (unitForgetBias, sigmoid, glorotUniform) → dense softmax",
    features: 2,
    build: () =>
      tf.sequential({
        layers: [
          tf.layers.lstm({ units: 5, unitForgetBias: true, recurrentActivation: "sigmoid", kernelInitializer: "glorotUniform", inputShape: [null, 2] }),
          tf.layers.dense({ units: 3, activation: "softmax", kernelInitializer: "heNormal" }),
        ],
      }),
  },
  {
    name: "TF.js defaults: gru (hardSigmoid, reset_after false) → simpleRNN → dense",
    features: 3,
    build: () =>
      tf.sequential({
        layers: [
          tf.layers.gru({ units: 5, returnSequences: true, inputShape: [null, 3] }),
          tf.layers.simpleRNN({ units: 4 }),
          tf.layers.dense({ units: 2 }),
        ],
      }),
  },
  {
    name: "TF.js bidirectional(lstm) concat → bidirectional(gru) ave",
    features: 2,
    build: () =>
      tf.sequential({
        layers: [
          tf.layers.bidirectional({ layer: tf.layers.lstm({ units: 3, returnSequences: true }) as tf.RNN, inputShape: [null, 2] }),
          tf.layers.bidirectional({ layer: tf.layers.gru({ units: 2 }) as tf.RNN, mergeMode: "ave" }),
        ],
      }),
  },
  {
    name: "TF.js bidirectional(simpleRNN) sum and mul, goBackwards lstm",
    features: 2,
    build: () =>
      tf.sequential({
        layers: [
          tf.layers.bidirectional({ layer: tf.layers.simpleRNN({ units: 3, returnSequences: true }) as tf.RNN, mergeMode: "sum", inputShape: [null, 2] }),
          tf.layers.bidirectional({ layer: tf.layers.gru({ units: 2, returnSequences: true }) as tf.RNN, mergeMode: "mul" }),
          tf.layers.lstm({ units: 3, goBackwards: true }),
        ],
      }),
  },
  {
    name: "TF.js dropout, recurrent dropout, L1L2 regularizer, repeatVector, pooling",
    features: 2,
    build: () =>
      tf.sequential({
        layers: [
          tf.layers.lstm({ units: 4, returnSequences: true, recurrentDropout: 0.3, kernelRegularizer: tf.regularizers.l1l2({ l1: 0.01, l2: 0.001 }), inputShape: [null, 2] }),
          tf.layers.dropout({ rate: 0.25 }),
          tf.layers.globalAveragePooling1d({}),
          tf.layers.repeatVector({ n: 3 }),
          tf.layers.simpleRNN({ units: 3, returnSequences: true, recurrentDropout: 0.2 }),
          tf.layers.timeDistributed({ layer: tf.layers.dense({ units: 2, activation: "sigmoid" }) }),
        ],
      }),
  },
  {
    name: "TF.js gru → globalMaxPooling1D → dense",
    features: 2,
    build: () =>
      tf.sequential({
        layers: [tf.layers.gru({ units: 4, returnSequences: true, inputShape: [null, 2] }), tf.layers.globalMaxPooling1d({}), tf.layers.dense({ units: 3 })],
      }),
  },
  {
    name: "TF.js masking → lstm → timeDistributed(dense), padded batch",
    features: 3,
    masked: true,
    build: () =>
      tf.sequential({
        layers: [
          tf.layers.masking({ maskValue: 0, inputShape: [null, 3] }),
          tf.layers.lstm({ units: 4, returnSequences: true }),
          tf.layers.timeDistributed({ layer: tf.layers.dense({ units: 2 }) }),
        ],
      }),
  },
  {
    name: "TF.js embedding maskZero → bidirectional(gru) → dense, padded ids",
    features: 1,
    masked: true,
    vocab: 9,
    build: () =>
      tf.sequential({
        layers: [
          tf.layers.embedding({ inputDim: 9, outputDim: 4, maskZero: true, inputShape: [null] }),
          tf.layers.bidirectional({ layer: tf.layers.gru({ units: 3 }) as tf.RNN }),
          tf.layers.dense({ units: 2, activation: "softmax" }),
        ],
      }),
  },
];

describe("ragged → TF.js: tf.loadLayersModel opens ragged's files", () => {
  for (const c of RAGGED_CASES) {
    it(c.name, async () => {
      const ours = c.build();
      const mem = memory();
      await ours.save(mem);
      const theirs = await tf.loadLayersModel(tf.io.fromMemory(mem.artifacts as tf.io.ModelArtifacts));
      expect(theirs.layers.map((l) => l.getClassName())).toEqual(ours.layers.map((l) => l.className));
      expectSamePredictions(c, ours, theirs, 10);
    });
  }
});

describe("ragged files TF.js cannot run (porting notes in io/registry.ts and io/topology.ts)", () => {
  it("a GRU with resetAfter true (Keras 3's default) saves, and TF.js refuses it by name", async () => {
    const mem = memory();
    await sequential([layers.gru({ units: 3, inputShape: [null, 2] })], { seed: 20 }).save(mem);
    await expect(tf.loadLayersModel(tf.io.fromMemory(mem.artifacts as tf.io.ModelArtifacts))).rejects.toThrow(/reset_after/);
  });

  it('repeatVector n: "inputLength" is written n: null: TF.js loads the file but cannot predict', async () => {
    const ours = sequential([layers.lstm({ units: 3, inputShape: [null, 2] }), layers.repeatVector({ n: "inputLength" }), layers.simpleRNN({ units: 2, returnSequences: true })], { seed: 21 });
    const mem = memory();
    await ours.save(mem);
    const theirs = await tf.loadLayersModel(tf.io.fromMemory(mem.artifacts as tf.io.ModelArtifacts));
    expect(() => theirs.predict(tf.tensor3d([[[1, 2], [3, 4]]]))).toThrow();
  });
});

describe("TF.js → ragged: models saved by TF.js load in ragged", () => {
  for (const c of TFJS_CASES) {
    it(c.name, async () => {
      const theirs = c.build();
      const artifacts = await savedByTfjs(theirs);
      const ours = await loadModel(memory(artifacts));
      expect(ours.layers.map((l) => l.className)).toEqual(theirs.layers.map((l) => l.getClassName()));
      expectSamePredictions(c, ours, theirs, 12);
    });
  }

  it("TF.js' default LSTM reads back with TF.js' hard sigmoid and unit_forget_bias null → false", async () => {
    const artifacts = await savedByTfjs(TFJS_CASES[0].build());
    const ours = await loadModel(memory(artifacts));
    expect(ours.layers[0].getConfig()).toMatchObject({ recurrentActivation: "hardSigmoidTfjs", unitForgetBias: false, kernelInitializer: { name: "glorotNormal" } });
  });

  it("a TF.js model saved with its Adam state compiles in ragged with that state", async () => {
    const theirs = TFJS_CASES[1].build();
    theirs.compile({ loss: "categoricalCrossentropy", optimizer: tf.train.adam(0.01) });
    await theirs.fit(tf.randomUniform([4, 3, 2]), tf.oneHot(tf.tensor1d([0, 1, 2, 1], "int32"), 3), { epochs: 2, verbose: 0 });
    const artifacts = await savedByTfjs(theirs, { includeOptimizer: true });
    const ours = await loadModel(memory(artifacts));
    expect(ours.optimizer?.className).toBe("Adam");
    expect(ours.optimizer?.learningRate).toBeCloseTo(0.01);
    expect(ours.optimizer?.iterations).toBe(2);
    expect(ours.loss?.name).toBe("categoricalCrossentropy");
  });

  it("TF.js' RMSProp (decay → rho) and Adagrad states load into ragged's RMSprop and Adagrad", async () => {
    const cases = [
      { make: () => tf.train.rmsprop(0.01, 0.8), className: "RMSprop", slot: "rms", config: { rho: 0.8 } },
      { make: () => tf.train.adagrad(0.05, 0.2), className: "Adagrad", slot: "accumulator", config: { initialAccumulatorValue: 0.2 } },
    ];
    for (const c of cases) {
      const theirs = TFJS_CASES[1].build();
      theirs.compile({ loss: "meanSquaredError", optimizer: c.make() });
      await theirs.fit(tf.randomUniform([4, 3, 2]), tf.randomUniform([4, 3]), { epochs: 2, verbose: 0 });
      const artifacts = await savedByTfjs(theirs, { includeOptimizer: true });
      const ours = await loadModel(memory(artifacts));
      const optimizer = ours.optimizer;
      expect(optimizer?.className).toBe(c.className);
      expect(optimizer?.getConfig()).toMatchObject(c.config);
      expect(optimizer?.iterations).toBe(2);
      // the restored state is TF.js' state, weight by weight
      const kernel = ours.layers[0].weights[0];
      const saved = await tf.loadLayersModel(tf.io.fromMemory(artifacts as tf.io.ModelArtifacts));
      const tfjsState = (await saved.optimizer.getWeights()).find((w) => w.name === `${theirs.layers[0].name}/kernel/${c.slot}`);
      expect(tfjsState).toBeDefined();
      expectClose(Array.from(optimizer?.getSlots().get(kernel)?.[0] ?? []), Array.from(tfjsState?.tensor.dataSync() ?? []));
    }
  });
});
