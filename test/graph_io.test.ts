/**
 * Saving and loading functional models (issue 9) in the TF.js layers-model format, against the
 * real peer, TensorFlow.js 4.22:
 * - save → load in ragged gives the same predictions, bit for bit, and writes the same topology again;
 * - `tf.loadLayersModel` opens ragged's file as it is (each sample run alone, its own length), and
 *   with masking layers put behind its float inputs runs the padded batch; both agree with
 *   ragged's predictions on the ragged input within 1e-5;
 * - ragged opens a graph built and saved by TF.js (written to model.json + weights.bin) and
 *   predicts on the ragged input what TF.js predicts on the padded, masked batch, within 1e-5;
 * - a malformed graph is a coded error (BAD_FILE) naming the file.
 * The graphs are issue 9's five (test/graphs/cases.ts), a nested model applied to two inputs, an
 * attention seq2seq and a graph of the newer layers (ragged only: TF.js has no attention layers).
 */
import * as tf from "@tensorflow/tfjs";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Random } from "../src/core/random.js";
import { type LayersModel, type ModelArtifacts, RaggedError, type SymbolicTensor, input, layers, loadModel, memory, model, modelToArtifacts } from "../src/node.js";
import { GRAPH_CASES, type GraphData } from "./graphs/cases.js";
import { savedByTfjs } from "./tfjs_saved.js";

const TOL = 1e-5;
const C = 3;
const A = [5, 2, 4, 1, 3];
const B = [2, 4, 1, 3, 3];
const sig = { recurrentActivation: "sigmoid" as const };

interface IoCase {
  name: string;
  ours: (seed: number) => LayersModel;
  /** The same graph built in TF.js (with masking where padding enters); absent when TF.js lacks a layer. */
  theirs?: () => tf.LayersModel;
  data: (rng: Random) => GraphData;
  /** Whether masking layers must be put behind ragged's float inputs for TF.js' padded batch (false: the graph masks inside). */
  insertMasking: boolean;
}

function floats(rng: Random, lengths: number[], width: number): number[][][] {
  return lengths.map((n) => Array.from({ length: n }, () => Array.from({ length: width }, () => rng.uniformRange(-1, 1))));
}

function padFloats(xs: number[][][], width: number): tf.Tensor {
  const T = Math.max(...xs.map((s) => s.length));
  return tf.tensor3d(xs.map((s) => [...s, ...Array.from({ length: T - s.length }, () => new Array(width).fill(0))]));
}

function oneHot(rng: Random, classes: number): number[] {
  const v = new Array(classes).fill(0);
  v[rng.int(0, classes)] = 1;
  return v;
}

/** A model applied as a layer to two inputs (its calls are nodes 1 and 2 in the file); it masks its own input. */
const NESTED: IoCase = {
  name: "a nested model (masking → LSTM) applied to two inputs, concatenated",
  insertMasking: false,
  ours: (seed) => {
    const x = input({ shape: [null, C], name: "enc_x" });
    const h = layers.lstm({ units: 4, name: "enc_lstm" }).apply(layers.masking({ maskValue: 0, name: "enc_masking" }).apply(x) as SymbolicTensor) as SymbolicTensor;
    const encoder = model({ inputs: x, outputs: h, name: "encoder", seed });
    const a = input({ shape: [null, C], name: "in_a" });
    const b = input({ shape: [null, C], name: "in_b" });
    const both = layers.concatenate({ name: "cat" }).apply([encoder.apply(a) as SymbolicTensor, encoder.apply(b) as SymbolicTensor]) as SymbolicTensor;
    const out = layers.dense({ units: 3, activation: "softmax", name: "head" }).apply(both) as SymbolicTensor;
    return model({ inputs: [a, b], outputs: out, seed, name: "nested" });
  },
  theirs: () => {
    const x = tf.input({ shape: [null, C], name: "enc_x" });
    const h = tf.layers.lstm({ units: 4, name: "enc_lstm", ...sig }).apply(tf.layers.masking({ maskValue: 0, name: "enc_masking" }).apply(x)) as tf.SymbolicTensor;
    const encoder = tf.model({ inputs: x, outputs: h, name: "encoder" });
    const a = tf.input({ shape: [null, C], name: "in_a" });
    const b = tf.input({ shape: [null, C], name: "in_b" });
    const both = tf.layers.concatenate({ name: "cat" }).apply([encoder.apply(a) as tf.SymbolicTensor, encoder.apply(b) as tf.SymbolicTensor]) as tf.SymbolicTensor;
    const out = tf.layers.dense({ units: 3, activation: "softmax", name: "head" }).apply(both) as tf.SymbolicTensor;
    return tf.model({ inputs: [a, b], outputs: out, name: "nested" });
  },
  data: (rng) => {
    const xa = floats(rng, A, C);
    const xb = floats(rng, B, C);
    const ys = A.map(() => oneHot(rng, 3));
    return { xs: [xa, xb], padded: [padFloats(xa, C), padFloats(xb, C)], ys: [ys], paddedYs: [tf.tensor2d(ys)], masks: [tf.ones([A.length])], outputLengths: [null] };
  },
};

/** Luong attention between an LSTM encoder and an LSTM decoder started from its states. */
const ATTENTION: IoCase = {
  name: "attention seq2seq: decoder from the encoder's states, attention over the encoder's steps",
  insertMasking: true,
  ours: (seed) => {
    const enc = input({ shape: [null, C], name: "encoder_in" });
    const dec = input({ shape: [null, 2], name: "decoder_in" });
    const [encSeq, h, c] = layers.lstm({ units: 4, returnSequences: true, returnState: true, name: "encoder" }).apply(enc) as SymbolicTensor[];
    const decSeq = layers.lstm({ units: 4, returnSequences: true, name: "decoder" }).apply(dec, { initialState: [h, c] }) as SymbolicTensor;
    const context = layers.attention({ name: "attention" }).apply([decSeq, encSeq]) as SymbolicTensor;
    const both = layers.concatenate({ name: "cat" }).apply([decSeq, context]) as SymbolicTensor;
    const out = layers.timeDistributed({ layer: layers.dense({ units: 3, activation: "softmax" }), name: "probs" }).apply(both) as SymbolicTensor;
    return model({ inputs: [enc, dec], outputs: out, seed, name: "attention_seq2seq" });
  },
  data: (rng) => {
    const xe = floats(rng, A, C);
    const xd = floats(rng, B, 2);
    return { xs: [xe, xd], padded: [], ys: [], paddedYs: [], masks: [], outputLengths: [B] };
  },
};

/** The newer layers and every merge in one graph (ragged only). */
const NEWER_LAYERS: IoCase = {
  name: "conv1d, layer/batch normalization, multi-head and additive attention, pooling, repeatVector, every merge, two outputs",
  insertMasking: true,
  ours: (seed) => {
    const x = input({ shape: [null, C], name: "x" });
    const conv = layers.conv1d({ filters: 4, kernelSize: 2, padding: "same", activation: "relu", name: "conv" }).apply(x) as SymbolicTensor;
    const ln = layers.layerNormalization({ name: "ln" }).apply(conv) as SymbolicTensor;
    const bn = layers.batchNormalization({ name: "bn" }).apply(ln) as SymbolicTensor;
    const mha = layers.multiHeadAttention({ numHeads: 2, keyDim: 2, name: "mha" }).apply([bn, bn]) as SymbolicTensor;
    const additive = layers.additiveAttention({ name: "additive" }).apply([bn, mha]) as SymbolicTensor;
    const sum = layers.add({ name: "sum" }).apply([bn, mha]) as SymbolicTensor;
    const diff = layers.subtract({ name: "diff" }).apply([sum, additive]) as SymbolicTensor;
    const prod = layers.multiply({ name: "prod" }).apply([diff, ln]) as SymbolicTensor;
    const mean = layers.average({ name: "mean" }).apply([prod, conv, sum]) as SymbolicTensor;
    const hi = layers.maximum({ name: "hi" }).apply([mean, diff]) as SymbolicTensor;
    const lo = layers.minimum({ name: "lo" }).apply([hi, prod]) as SymbolicTensor;
    const pooled = layers.maxPooling1D({ poolSize: 2, name: "pool" }).apply(lo) as SymbolicTensor;
    const v = layers.gru({ units: 4, name: "gru" }).apply(layers.dropout({ rate: 0.2, name: "drop" }).apply(pooled) as SymbolicTensor) as SymbolicTensor;
    const g = layers.globalAveragePooling1D({ name: "gap" }).apply(lo) as SymbolicTensor;
    const score = layers.dot({ axes: -1, normalize: true, name: "cosine" }).apply([v, g]) as SymbolicTensor;
    const back = layers.repeatVector({ n: "inputLength", inputName: "x", name: "back" }).apply(v) as SymbolicTensor;
    const steps = layers.concatenate({ name: "cat" }).apply([back, x]) as SymbolicTensor;
    const tags = layers.timeDistributed({ layer: layers.dense({ units: 2, activation: "softmax" }), name: "tags" }).apply(steps) as SymbolicTensor;
    return model({ inputs: x, outputs: [tags, score], seed, name: "newer_layers" });
  },
  data: (rng) => {
    const xs = floats(rng, A.map((n) => n + 2), C);
    return { xs: [xs], padded: [], ys: [], paddedYs: [], masks: [], outputLengths: [A.map((n) => n + 2), null] };
  },
};

const CASES: IoCase[] = [...GRAPH_CASES.map((c) => ({ name: c.name, ours: c.ours, theirs: c.theirs, data: c.data, insertMasking: true })), NESTED, ATTENTION, NEWER_LAYERS];

beforeAll(async () => {
  await tf.setBackend("cpu");
  await tf.ready();
});

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

/** ragged's predictions, one entry per output. */
function ourOutputs(m: LayersModel, d: GraphData): (number[][][] | number[][])[] {
  const out = m.predict(d.xs.length === 1 ? d.xs[0] : d.xs);
  return (m.outputs.length === 1 ? [out] : out) as (number[][][] | number[][])[];
}

/** Compares ragged's outputs with TF.js' padded ones on real steps (per-step outputs) or whole rows; returns how many rows. */
function expectAgree(ours: (number[][][] | number[][])[], theirs: tf.Tensor[], lengths: (number[] | null)[]): void {
  expect(theirs.length).toBe(ours.length);
  ours.forEach((out, k) => {
    const ref = theirs[k].arraySync() as number[][][] | number[][];
    let compared = 0;
    out.forEach((row, i) => {
      const len = lengths[k]?.[i];
      if (len !== undefined) {
        expect((row as number[][]).length).toBe(len);
        (row as number[][]).forEach((step, t) => expectClose(step, (ref as number[][][])[i][t]));
        compared += len;
      } else {
        expectClose(row as number[], (ref as number[][])[i]);
        compared++;
      }
    });
    expect(compared).toBeGreaterThan(0);
  });
}

function expectClose(a: number[], b: number[]): void {
  expect(a.length).toBe(b.length);
  const diff = Math.max(...a.map((v, i) => Math.abs(v - b[i])));
  expect(diff).toBeLessThan(TOL);
}

/** TF.js on each sample alone (batch of one, its own lengths): no padding, so no mask is needed. */
function tfjsPerSample(theirs: tf.LayersModel, d: GraphData, outputs: number): tf.Tensor[][] {
  const samples = (d.xs[0] as unknown[]).length;
  return Array.from({ length: samples }, (_, i) => {
    const xs = d.xs.map((x) => {
      const s = (x as unknown[])[i] as number[] | number[][];
      return Array.isArray(s[0]) ? tf.tensor3d([s as number[][]]) : tf.tensor2d([s as number[]]);
    });
    const out = theirs.predict(xs.length === 1 ? xs[0] : xs);
    const list = Array.isArray(out) ? out : [out];
    expect(list.length).toBe(outputs);
    return list;
  });
}

/** ragged's saved graph with a Masking layer behind each float input (what TF.js needs for a padded batch). */
function withMasking(artifacts: ModelArtifacts): tf.io.ModelArtifacts {
  const topology = JSON.parse(JSON.stringify(artifacts.modelTopology)) as { config: { layers: { name: string; class_name: string; config: Record<string, unknown>; inbound_nodes: [string, number, number, object][][] }[] } };
  const layerList = topology.config.layers;
  const floatInputs = layerList.filter((l) => l.class_name === "InputLayer" && (l.config.batch_input_shape as unknown[]).length === 3).map((l) => l.name);
  for (const l of layerList) for (const node of l.inbound_nodes) for (const ref of node) if (floatInputs.includes(ref[0])) ref[0] = `${ref[0]}_masking`;
  const maskings = floatInputs.map((name) => ({ name: `${name}_masking`, class_name: "Masking", config: { name: `${name}_masking`, trainable: true, mask_value: 0 }, inbound_nodes: [[[name, 0, 0, {}]] as [string, number, number, object][]] }));
  layerList.splice(layerList.filter((l) => l.class_name === "InputLayer").length, 0, ...maskings);
  return { ...(artifacts as tf.io.ModelArtifacts), modelTopology: topology };
}

/** Writes artifacts as TF.js' file handler does (model.json + weights.bin); returns the model.json path. */
function writeFiles(artifacts: ModelArtifacts): string {
  const dir = mkdtempSync(join(tmpdir(), "ragged-graph-io-"));
  dirs.push(dir);
  const json = {
    modelTopology: artifacts.modelTopology,
    format: artifacts.format,
    generatedBy: artifacts.generatedBy,
    convertedBy: artifacts.convertedBy,
    weightsManifest: [{ paths: ["weights.bin"], weights: artifacts.weightSpecs }],
  };
  writeFileSync(join(dir, "model.json"), JSON.stringify(json));
  writeFileSync(join(dir, "weights.bin"), Buffer.from(artifacts.weightData as ArrayBuffer));
  return join(dir, "model.json");
}

describe("ragged → ragged: save → load", () => {
  CASES.forEach((c, n) => {
    it(c.name, async () => {
      const ours = c.ours(60 + n);
      const mem = memory();
      await ours.save(mem);
      const loaded = await loadModel(mem);
      expect(loaded.className).toBe("Functional");
      expect(loaded.name).toBe(ours.name);
      expect(loaded.layers.map((l) => `${l.className}:${l.name}`)).toEqual(ours.layers.map((l) => `${l.className}:${l.name}`));
      expect(loaded.inputNames).toEqual(ours.inputNames);
      expect(loaded.outputNames).toEqual(ours.outputNames);
      const d = c.data(new Random(70 + n));
      expect(ourOutputs(loaded, d)).toEqual(ourOutputs(ours, d));
      // and it writes the same file again
      const again = modelToArtifacts(loaded);
      expect(again.modelTopology).toEqual(mem.artifacts?.modelTopology);
      expect(again.weightSpecs).toEqual(mem.artifacts?.weightSpecs);
    });
  });
});

describe("ragged → TF.js: tf.loadLayersModel opens ragged's graphs", () => {
  CASES.filter((c) => c.theirs).forEach((c, n) => {
    it(c.name, async () => {
      const ours = c.ours(80 + n);
      const mem = memory();
      await ours.save(mem);
      const artifacts = mem.artifacts as ModelArtifacts;
      expect((artifacts.modelTopology as { class_name: string }).class_name).toBe("Model");
      const d = c.data(new Random(90 + n));
      const expected = ourOutputs(ours, d);

      // the file as it is, each sample alone
      const plain = await tf.loadLayersModel(tf.io.fromMemory(artifacts as tf.io.ModelArtifacts));
      expect(plain.layers.map((l) => l.name).sort()).toEqual(ours.layers.map((l) => l.name).sort());
      const perSample = tfjsPerSample(plain, d, expected.length);
      expected.forEach((out, k) => {
        out.forEach((row, i) => {
          const ref = perSample[i][k].arraySync() as number[][][] | number[][];
          if (d.outputLengths[k]) (row as number[][]).forEach((step, t) => expectClose(step, (ref as number[][][])[0][t]));
          else expectClose(row as number[], (ref as number[][])[0]);
        });
      });

      // the padded batch, masked
      const masked = await tf.loadLayersModel(tf.io.fromMemory(c.insertMasking ? withMasking(artifacts) : (artifacts as tf.io.ModelArtifacts)));
      const out = masked.predict(d.padded.length === 1 ? d.padded[0] : d.padded);
      expectAgree(expected, Array.isArray(out) ? out : [out], d.outputLengths);
    });
  });
});

describe("TF.js → ragged: ragged opens graphs saved by TF.js (model.json + weights.bin)", () => {
  CASES.filter((c) => c.theirs).forEach((c, n) => {
    it(c.name, async () => {
      const theirs = (c.theirs as () => tf.LayersModel)();
      const path = writeFiles(await savedByTfjs(theirs));
      const ours = await loadModel(`file://${path}`);
      expect(ours.layers.map((l) => l.name).sort()).toEqual(theirs.layers.map((l) => l.name).sort());
      expect(ours.countParams()).toBe(theirs.countParams());
      const d = c.data(new Random(100 + n));
      const out = theirs.predict(d.padded.length === 1 ? d.padded[0] : d.padded);
      expectAgree(ourOutputs(ours, d), Array.isArray(out) ? out : [out], d.outputLengths);
    });
  });
});

describe("a compiled graph saved with its optimizer", () => {
  it("reloads with its per-output losses, loss weights and metrics, and trains on exactly as before", async () => {
    const c = GRAPH_CASES.find((g) => g.name.startsWith("two outputs")) as (typeof GRAPH_CASES)[number];
    const ours = c.ours(7);
    ours.compile({ loss: c.losses, lossWeights: c.lossWeights, optimizer: { name: "adam", learningRate: 0.01 }, metrics: [["accuracy"], ["mae"]] });
    const d = c.data(new Random(8));
    await ours.trainOnBatch(d.xs[0], d.ys);
    const mem = memory();
    await ours.save(mem, { includeOptimizer: true });
    expect(mem.artifacts?.trainingConfig).toMatchObject({ loss: ["categorical_crossentropy", "mean_squared_error"], metrics: { [ours.outputNames[0]]: "accuracy", [ours.outputNames[1]]: "mae" } });
    expect(mem.artifacts?.trainingConfig?.loss_weights).toBeUndefined(); // TF.js refuses the field
    expect((mem.artifacts?.userDefinedMetadata?.ragged as { lossWeights?: number[] }).lossWeights).toEqual([1, 0.5]);
    const loaded = await loadModel(mem);
    expect(loaded.losses.map((l) => l.name)).toEqual(ours.losses.map((l) => l.name));
    expect(loaded.lossWeights).toEqual([1, 0.5]);
    expect(loaded.outputMetrics).toEqual([["accuracy"], ["mae"]]);
    const before = await ours.trainOnBatch(d.xs[0], d.ys);
    const after = await loaded.trainOnBatch(d.xs[0], d.ys);
    expect(after).toBe(before);
    expect(loaded.getWeights().map((w) => Array.from(w.data))).toEqual(ours.getWeights().map((w) => Array.from(w.data)));
    // TF.js opens the file, optimizer and all
    const theirs = await tf.loadLayersModel(tf.io.fromMemory(mem.artifacts as tf.io.ModelArtifacts));
    expect(theirs.outputs.length).toBe(2);
    expect(theirs.optimizer.getClassName()).toBe("Adam");
  });
});

describe("malformed graph files are coded errors naming the file", () => {
  /** The encoder–decoder graph's topology, to break. */
  async function seq2seqFiles(): Promise<ModelArtifacts> {
    const mem = memory();
    await (GRAPH_CASES.find((g) => g.name.startsWith("encoder–decoder")) as (typeof GRAPH_CASES)[number]).ours(5).save(mem);
    return mem.artifacts as ModelArtifacts;
  }
  type Topology = { config: { layers: { name: string; inbound_nodes: unknown[][][] }[]; input_layers: unknown[]; output_layers: unknown[] } };
  async function loadBroken(edit: (t: Topology) => void): Promise<RaggedError> {
    const artifacts = await seq2seqFiles();
    const topology = JSON.parse(JSON.stringify(artifacts.modelTopology)) as Topology;
    edit(topology);
    const path = writeFiles({ ...artifacts, modelTopology: topology });
    const err = await loadModel(`file://${path}`).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(RaggedError);
    expect((err as Error).message).toContain(path);
    return err as RaggedError;
  }
  const layer = (t: Topology, name: string) => t.config.layers.find((l) => l.name === name) as Topology["config"]["layers"][number];

  it("an unknown layer in inbound_nodes", async () => {
    const err = await loadBroken((t) => (layer(t, "decoder").inbound_nodes[0][0][0] = "nowhere"));
    expect(err.code).toBe("BAD_FILE");
    expect(err.message).toMatch(/"nowhere", which is not in its layers list/);
  });

  it("a cycle (the encoder reads the decoder, which reads the encoder's states)", async () => {
    const err = await loadBroken((t) => (layer(t, "encoder").inbound_nodes = [[["decoder", 0, 0, {}]]]));
    expect(err.code).toBe("BAD_FILE");
    expect(err.message).toMatch(/cycle: layers .*"encoder".*"decoder"|cycle: layers .*"decoder".*"encoder"/);
  });

  it("a missing input (an input of the graph left out of input_layers)", async () => {
    const err = await loadBroken((t) => (t.config.input_layers = [["encoder_in", 0, 0]]));
    expect(err.code).toBe("BAD_FILE");
    expect(err.message).toMatch(/needs input "decoder_in"/);
  });

  it("a reference to a call the graph never makes, and to a tensor a call does not give", async () => {
    const call = await loadBroken((t) => (layer(t, "probs").inbound_nodes[0][0][1] = 3));
    expect(call.code).toBe("BAD_FILE");
    expect(call.message).toMatch(/reads call 3 of layer "decoder", which the graph never makes/);
    const tensor = await loadBroken((t) => (layer(t, "decoder").inbound_nodes[0][1][2] = 7));
    expect(tensor.code).toBe("BAD_FILE");
    expect(tensor.message).toMatch(/tensor 7 of call 0 of layer "encoder", which gives 3/);
  });

  it("an input that is not an input layer", async () => {
    const err = await loadBroken((t) => (t.config.input_layers = [["encoder", 0, 0], ["decoder_in", 0, 0]]));
    expect(err.code).toBe("BAD_FILE");
    expect(err.message).toMatch(/is not a model input/);
  });
});

describe("what cannot be saved", () => {
  it("two weights of one name (a nested model with a layer named as one outside) are refused before anything is written", () => {
    const x = input({ shape: [null, C], name: "inner_x" });
    const inner = model({ inputs: x, outputs: layers.lstm({ units: 2, name: "same" }).apply(x) as SymbolicTensor, name: "inner", seed: 1 });
    const y = input({ shape: [null, C], name: "outer_y" });
    const out = layers.dense({ units: 1, name: "same" }).apply(inner.apply(y) as SymbolicTensor) as SymbolicTensor;
    const outer = model({ inputs: y, outputs: out, name: "outer", seed: 1 });
    expect(() => modelToArtifacts(outer)).toThrow(/two weights named "same\/kernel"/);
  });
});
