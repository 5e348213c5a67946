/**
 * Nested input beyond one process (issue 10): a model with `input({ shape: [null, null],
 * sameLengthsAs })` and timeDistributed sequence layers saves and loads (the relation kept as the
 * input's `same_lengths_as`), and trains on 2 threads as on one — the replicas are rebuilt from the
 * saved graph and get the nested batches.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { Random } from "../src/core/random.js";
import { SGD, input, type LayersModel, layers, loadModel, memory, model, type SymbolicTensor } from "../src/node.js";
import { InputLayer } from "../src/layers/input_layer.js";
import { setThreadPlatform, threadPlatform, type ThreadPlatform } from "../src/training/parallel/platform.js";
import { DEFAULT_MIN_SHARD_FLOPS, setMinShardFlops } from "../src/training/parallel/shards.js";

const nodePlatform = threadPlatform() as ThreadPlatform;
let started = 0;
beforeEach(() => {
  setMinShardFlops(0); // a toy model: split it anyway
  started = 0;
  setThreadPlatform({ defaultThreads: () => 2, createWorker: () => (started++, nodePlatform.createWorker()) });
});
afterEach(() => {
  setThreadPlatform(nodePlatform);
  setMinShardFlops(DEFAULT_MIN_SHARD_FLOPS);
});

/** Characters listed first, so a loader must make "words" before "chars" whatever the order. */
function tagger(seed: number): LayersModel {
  const words = input({ shape: [null], name: "words" });
  const chars = input({ shape: [null, null], name: "chars", sameLengthsAs: words });
  const e = layers.timeDistributed({ layer: layers.embedding({ inputDim: 9, outputDim: 3 }), name: "char_emb" }).apply(chars) as SymbolicTensor;
  const c = layers.timeDistributed({ layer: layers.conv1d({ filters: 4, kernelSize: 2, padding: "same", activation: "tanh" }), name: "char_conv" }).apply(e) as SymbolicTensor;
  const p = layers.timeDistributed({ layer: layers.globalAveragePooling1D(), name: "char_pool" }).apply(c) as SymbolicTensor;
  const l = layers.timeDistributed({ layer: layers.lstm({ units: 2 }), name: "char_lstm" }).apply(e) as SymbolicTensor;
  const w = layers.embedding({ inputDim: 12, outputDim: 3, name: "word_emb" }).apply(words) as SymbolicTensor;
  const h = layers.lstm({ units: 4, returnSequences: true, name: "tagger_lstm" }).apply(layers.concatenate().apply([w, p, l]) as SymbolicTensor) as SymbolicTensor;
  const out = layers.timeDistributed({ layer: layers.dense({ units: 3, activation: "softmax" }), name: "tags" }).apply(h) as SymbolicTensor;
  const m = model({ inputs: [chars, words], outputs: out, seed, name: "nested_tagger" });
  m.compile({ loss: "sparseCategoricalCrossentropy", optimizer: new SGD({ learningRate: 0.3 }), metrics: ["accuracy"] });
  return m;
}

const rng = new Random(31);
const counts = Array.from({ length: 40 }, () => rng.int(1, 9));
const data = {
  words: counts.map((n) => Array.from({ length: n }, () => rng.int(1, 12))),
  chars: counts.map((n) => Array.from({ length: n }, () => Array.from({ length: rng.int(1, 7) }, () => rng.int(1, 9)))),
};
const tags = counts.map((n) => Array.from({ length: n }, () => rng.int(0, 3)));

describe("nested input: save, load and threads", () => {
  it("saves and loads: same predictions, the character input still has the words' lengths", async () => {
    const m = tagger(3);
    const handler = memory();
    await m.save(handler);
    const back = (await loadModel(handler)) as LayersModel;
    expect((back.getLayer("chars") as InputLayer).sameLengthsAs).toBe("words");
    expect(back.predict(data)).toEqual(m.predict(data));
  });

  it("fit on 2 threads: the same history and weights as on one", async () => {
    const one = tagger(5);
    const two = tagger(5);
    const args = { epochs: 2, batchSize: 16, verbose: 0 as const };
    const h1 = await one.fit(data, tags, { ...args, threads: 1 });
    expect(started).toBe(0);
    const h2 = await two.fit(data, tags, { ...args, threads: 2 });
    expect(started).toBe(1); // really on two threads
    for (const key of Object.keys(h1.history)) {
      (h2.history[key] as number[]).forEach((v, e) => expect(Math.abs(v - (h1.history[key] as number[])[e]), key).toBeLessThan(1e-6));
    }
    const w1 = one.getWeights();
    two.getWeights().forEach((w, k) => w.data.forEach((v, i) => expect(Math.abs(v - w1[k].data[i])).toBeLessThan(1e-5)));
  });
});
