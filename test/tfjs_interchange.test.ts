/**
 * Interchange with the real peer, TensorFlow.js 4.22 (`@tensorflow/tfjs`, cpu backend):
 * - a model saved by ragged opens with `tf.loadLayersModel` and predicts the same numbers;
 * - a model built and saved by TF.js (its own defaults: `hardSigmoid` recurrent activation,
 *   `VarianceScaling` initializers, `unit_forget_bias: null`) opens in ragged and predicts the same.
 * Predictions agree within 1e-5. TF.js runs padded tensors without a mask, so each ragged
 * sequence is compared with TF.js on that sequence alone (batch of one, its own length).
 *
 * Adding a layer kind is one entry in `RAGGED_CASES` or `TFJS_CASES`.
 */
import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { Random } from "../src/core/random.js";
import { layers, loadModel, memory, sequential, type ModelArtifacts, type Sequential } from "../src/index.js";

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

interface RaggedCase {
  name: string;
  features: number;
  build: () => Sequential;
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
];

interface TfjsCase {
  name: string;
  features: number;
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
];

async function savedByTfjs(model: tf.LayersModel, includeOptimizer = false): Promise<ModelArtifacts> {
  let saved: ModelArtifacts | null = null;
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      saved = artifacts as unknown as ModelArtifacts;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: "JSON" } };
    }),
    { includeOptimizer },
  );
  if (!saved) throw new Error("TF.js did not save");
  return saved;
}

describe("ragged → TF.js: tf.loadLayersModel opens ragged's files", () => {
  for (const c of RAGGED_CASES) {
    it(c.name, async () => {
      const ours = c.build();
      const mem = memory();
      await ours.save(mem);
      const theirs = await tf.loadLayersModel(tf.io.fromMemory(mem.artifacts as tf.io.ModelArtifacts));
      expect(theirs.layers.map((l) => l.getClassName())).toEqual(ours.layers.map((l) => l.className));
      const xs = seqs(10, LENGTHS, c.features);
      expectClose(ours.predict(xs), tfjsPerSequence(theirs, xs));
      // equal-length sequences as one TF.js batch, too
      const even = seqs(11, [4, 4, 4], c.features);
      expectClose(ours.predict(even), (theirs.predict(tf.tensor3d(even)) as tf.Tensor).arraySync());
    });
  }
});

describe("TF.js → ragged: models saved by TF.js load in ragged", () => {
  for (const c of TFJS_CASES) {
    it(c.name, async () => {
      const theirs = c.build();
      const artifacts = await savedByTfjs(theirs);
      const ours = await loadModel(memory(artifacts));
      expect(ours.layers.map((l) => l.className)).toEqual(theirs.layers.map((l) => l.getClassName()));
      const xs = seqs(12, LENGTHS, c.features);
      expectClose(ours.predict(xs), tfjsPerSequence(theirs, xs));
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
    const artifacts = await savedByTfjs(theirs, true);
    const ours = await loadModel(memory(artifacts));
    expect(ours.optimizer?.className).toBe("Adam");
    expect(ours.optimizer?.learningRate).toBeCloseTo(0.01);
    expect(ours.optimizer?.iterations).toBe(2);
    expect(ours.loss?.name).toBe("categoricalCrossentropy");
  });
});
