/**
 * The five functional graphs of issue 9's TF.js oracle (and a sixth: a Bidirectional encoder's states start the decoder), built twice — in ragged and in TF.js, with
 * the same layer names, so weights copy layer by layer — plus their data (ragged for ragged,
 * post-padded and masked for TF.js) and Keras' masked loss written out in TF.js.
 * Used by test/functional_oracle.test.ts (outputs, and weights after one SGD step) and by the
 * TF.js interchange tests of graph save/load.
 *
 * Porting notes the TF.js side relies on:
 * - TF.js LSTM defaults `recurrentActivation: "hardSigmoid"`; ragged (Keras 3) uses "sigmoid", so the
 *   TF.js layers get "sigmoid" explicitly.
 * - TF.js does not mask the loss (Keras 3 does); `theirLoss` computes Σ ℓ·m / Σ m per output from
 *   the masks, times the loss weights.
 * - TF.js' GRU has only `resetAfter: false` (Keras 3 defaults to true), so the GRUs here set it.
 * - Padding: TF.js gets zero post-padding behind a `masking` layer (float inputs) or token id 0
 *   behind `embedding({ maskZero: true })` (ids; real ids are ≥ 1). ragged gets the ragged lists.
 */
import * as tf from "@tensorflow/tfjs";
import { Random } from "../../src/core/random.js";
import { type LayersModel, type SymbolicTensor, input, layers, model } from "../../src/index.js";

export type LossName = "categoricalCrossentropy" | "meanSquaredError";

export interface GraphData {
  /** Per input, ragged (ragged's form). */
  xs: number[][][][] | (number[][] | number[][][])[];
  /** Per input, post-padded ([B, T, C] floats or [B, T] ids) for TF.js. */
  padded: tf.Tensor[];
  /** Per output, ragged targets. */
  ys: (number[][][] | number[][])[];
  /** Per output, targets as TF.js tensors (per-step ones post-padded). */
  paddedYs: tf.Tensor[];
  /** Per output, [B, T] (per-step) or [B] (per-sequence) loss masks. */
  masks: tf.Tensor[];
  /** Per output: the lengths of its steps (per-step outputs), for comparing real steps only. */
  outputLengths: (number[] | null)[];
}

export interface GraphCase {
  name: string;
  /** The ragged model (layers named as in `theirs`). */
  ours: (seed: number) => LayersModel;
  /** The same graph in TF.js. */
  theirs: () => tf.LayersModel;
  losses: LossName[];
  lossWeights: number[];
  data: (rng: Random) => GraphData;
}

const sig = { recurrentActivation: "sigmoid" as const };

function floats(rng: Random, lengths: number[], width: number): number[][][] {
  return lengths.map((n) => Array.from({ length: n }, () => Array.from({ length: width }, () => rng.uniformRange(-1, 1))));
}

function ids(rng: Random, lengths: number[], vocab: number): number[][] {
  return lengths.map((n) => Array.from({ length: n }, () => rng.int(1, vocab)));
}

function oneHots(rng: Random, lengths: number[], classes: number): number[][][] {
  return lengths.map((n) => Array.from({ length: n }, () => oneHot(rng, classes)));
}

function oneHot(rng: Random, classes: number): number[] {
  const v = new Array(classes).fill(0);
  v[rng.int(0, classes)] = 1;
  return v;
}

function padFloats(xs: number[][][], width: number): tf.Tensor {
  const T = Math.max(...xs.map((s) => s.length));
  return tf.tensor3d(xs.map((s) => [...s, ...Array.from({ length: T - s.length }, () => new Array(width).fill(0))]));
}

function padIds(xs: number[][]): tf.Tensor {
  const T = Math.max(...xs.map((s) => s.length));
  return tf.tensor2d(xs.map((s) => [...s, ...new Array(T - s.length).fill(0)]));
}

function stepMask(lengths: number[]): tf.Tensor {
  const T = Math.max(...lengths);
  return tf.tensor2d(lengths.map((n) => Array.from({ length: T }, (_, t) => (t < n ? 1 : 0))));
}

/** Keras 3's masked loss of one output, Σ ℓ·m / Σ m (categorical CE renormalised and clipped as Keras). */
export function maskedLoss(loss: LossName, pred: tf.Tensor, y: tf.Tensor, mask: tf.Tensor): tf.Scalar {
  let perRow: tf.Tensor;
  if (loss === "categoricalCrossentropy") {
    const eps = 1e-7;
    const p = tf.clipByValue(tf.div(pred, tf.sum(pred, -1, true)), eps, 1 - eps);
    perRow = tf.neg(tf.sum(tf.mul(y, tf.log(p)), -1));
  } else perRow = tf.mean(tf.square(tf.sub(pred, y)), -1);
  return tf.div(tf.sum(tf.mul(perRow, mask)), tf.sum(mask)) as tf.Scalar;
}

/** Σ_k w_k · masked loss of output k, on TF.js outputs. */
export function theirLoss(c: GraphCase, outputs: tf.Tensor[], d: GraphData): tf.Scalar {
  return outputs.map((o, k) => tf.mul(maskedLoss(c.losses[k], o, d.paddedYs[k], d.masks[k]), c.lossWeights[k])).reduce((a, b) => tf.add(a, b)) as tf.Scalar;
}

/** Copies every weight of `ours` into the TF.js layer of the same name. */
export function copyWeightsByName(ours: LayersModel, theirs: tf.LayersModel): void {
  for (const layer of ours.layers) {
    if (layer.weights.length === 0) continue;
    theirs.getLayer(layer.name).setWeights(layer.getWeights().map((w) => tf.tensor(w.data, [...w.shape])));
  }
}

const A = [5, 2, 4, 1, 3];
const B = [2, 4, 1, 3, 3];
const C = 3;

/** Encoder inputs of lengths A (C features), decoder inputs of lengths B (2 features), per-step one-hot targets of 3 classes. */
function seq2seqData(rng: Random): GraphData {
  const xe = floats(rng, A, C);
  const xd = floats(rng, B, 2);
  const ys = oneHots(rng, B, 3);
  return { xs: [xe, xd], padded: [padFloats(xe, C), padFloats(xd, 2)], ys: [ys], paddedYs: [padFloats(ys, 3)], masks: [stepMask(B)], outputLengths: [B] };
}

export const GRAPH_CASES: GraphCase[] = [
  {
    name: "two ragged inputs of different lengths, each through its own LSTM, concatenated (per-sequence)",
    ours: (seed) => {
      const a = input({ shape: [null, C], name: "in_a" });
      const b = input({ shape: [null, 2], name: "in_b" });
      const ha = layers.lstm({ units: 4, name: "lstm_a" }).apply(a) as SymbolicTensor;
      const hb = layers.lstm({ units: 3, name: "lstm_b" }).apply(b) as SymbolicTensor;
      const both = layers.concatenate({ name: "cat" }).apply([ha, hb]) as SymbolicTensor;
      const out = layers.dense({ units: 3, activation: "softmax", name: "head" }).apply(both) as SymbolicTensor;
      return model({ inputs: [a, b], outputs: out, seed, name: "two_inputs" });
    },
    theirs: () => {
      const a = tf.input({ shape: [null, C], name: "in_a" });
      const b = tf.input({ shape: [null, 2], name: "in_b" });
      const ha = tf.layers.lstm({ units: 4, name: "lstm_a", ...sig }).apply(tf.layers.masking({ maskValue: 0 }).apply(a)) as tf.SymbolicTensor;
      const hb = tf.layers.lstm({ units: 3, name: "lstm_b", ...sig }).apply(tf.layers.masking({ maskValue: 0 }).apply(b)) as tf.SymbolicTensor;
      const both = tf.layers.concatenate({ name: "cat" }).apply([ha, hb]) as tf.SymbolicTensor;
      const out = tf.layers.dense({ units: 3, activation: "softmax", name: "head" }).apply(both) as tf.SymbolicTensor;
      return tf.model({ inputs: [a, b], outputs: out });
    },
    losses: ["categoricalCrossentropy"],
    lossWeights: [1],
    data: (rng) => {
      const xa = floats(rng, A, C);
      const xb = floats(rng, B, 2);
      const ys = A.map(() => oneHot(rng, 3));
      return { xs: [xa, xb], padded: [padFloats(xa, C), padFloats(xb, 2)], ys: [ys], paddedYs: [tf.tensor2d(ys)], masks: [tf.ones([A.length])], outputLengths: [null] };
    },
  },
  {
    name: "a shared embedding (maskZero) used by two inputs of token ids",
    ours: (seed) => {
      const a = input({ shape: [null], name: "ids_a" });
      const b = input({ shape: [null], name: "ids_b" });
      const embed = layers.embedding({ inputDim: 9, outputDim: 4, maskZero: true, name: "shared_embedding" });
      const ha = layers.lstm({ units: 5, name: "lstm_a" }).apply(embed.apply(a) as SymbolicTensor) as SymbolicTensor;
      const hb = layers.gru({ units: 5, name: "gru_b", resetAfter: false }).apply(embed.apply(b) as SymbolicTensor) as SymbolicTensor;
      const sum = layers.add({ name: "sum" }).apply([ha, hb]) as SymbolicTensor;
      const out = layers.dense({ units: 2, activation: "softmax", name: "head" }).apply(sum) as SymbolicTensor;
      return model({ inputs: [a, b], outputs: out, seed, name: "shared_embedding" });
    },
    theirs: () => {
      const a = tf.input({ shape: [null], name: "ids_a" });
      const b = tf.input({ shape: [null], name: "ids_b" });
      const embed = tf.layers.embedding({ inputDim: 9, outputDim: 4, maskZero: true, name: "shared_embedding" });
      const ha = tf.layers.lstm({ units: 5, name: "lstm_a", ...sig }).apply(embed.apply(a)) as tf.SymbolicTensor;
      const hb = tf.layers.gru({ units: 5, name: "gru_b", ...sig }).apply(embed.apply(b)) as tf.SymbolicTensor;
      const sum = tf.layers.add({ name: "sum" }).apply([ha, hb]) as tf.SymbolicTensor;
      const out = tf.layers.dense({ units: 2, activation: "softmax", name: "head" }).apply(sum) as tf.SymbolicTensor;
      return tf.model({ inputs: [a, b], outputs: out });
    },
    losses: ["categoricalCrossentropy"],
    lossWeights: [1],
    data: (rng) => {
      const xa = ids(rng, A, 9);
      const xb = ids(rng, B, 9);
      const ys = A.map(() => oneHot(rng, 2));
      return { xs: [xa, xb], padded: [padIds(xa), padIds(xb)], ys: [ys], paddedYs: [tf.tensor2d(ys)], masks: [tf.ones([A.length])], outputLengths: [null] };
    },
  },
  {
    name: "encoder–decoder: the decoder LSTM starts from the encoder's final states (initialState)",
    ours: (seed) => {
      const enc = input({ shape: [null, C], name: "encoder_in" });
      const dec = input({ shape: [null, 2], name: "decoder_in" });
      const [, h, c] = layers.lstm({ units: 4, returnState: true, name: "encoder" }).apply(enc) as SymbolicTensor[];
      const seq = layers.lstm({ units: 4, returnSequences: true, name: "decoder" }).apply(dec, { initialState: [h, c] }) as SymbolicTensor;
      const out = layers.timeDistributed({ layer: layers.dense({ units: 3, activation: "softmax" }), name: "probs" }).apply(seq) as SymbolicTensor;
      return model({ inputs: [enc, dec], outputs: out, seed, name: "seq2seq" });
    },
    theirs: () => {
      const enc = tf.input({ shape: [null, C], name: "encoder_in" });
      const dec = tf.input({ shape: [null, 2], name: "decoder_in" });
      const [, h, c] = tf.layers.lstm({ units: 4, returnState: true, name: "encoder", ...sig }).apply(tf.layers.masking({ maskValue: 0 }).apply(enc)) as tf.SymbolicTensor[];
      const seq = tf.layers.lstm({ units: 4, returnSequences: true, name: "decoder", ...sig }).apply(tf.layers.masking({ maskValue: 0 }).apply(dec), { initialState: [h, c] }) as tf.SymbolicTensor;
      const out = tf.layers.timeDistributed({ layer: tf.layers.dense({ units: 3, activation: "softmax" }), name: "probs" }).apply(seq) as tf.SymbolicTensor;
      return tf.model({ inputs: [enc, dec], outputs: out });
    },
    losses: ["categoricalCrossentropy"],
    lossWeights: [1],
    data: seq2seqData,
  },
  {
    name: "bidirectional encoder–decoder: a Bidirectional LSTM's final states (returnState) start a decoder of twice the units",
    ours: (seed) => {
      const enc = input({ shape: [null, C], name: "encoder_in" });
      const dec = input({ shape: [null, 2], name: "decoder_in" });
      const [, hF, cF, hB, cB] = layers.bidirectional({ layer: layers.lstm({ units: 3, returnState: true }), name: "encoder" }).apply(enc) as SymbolicTensor[];
      const h = layers.concatenate({ name: "h" }).apply([hF, hB]) as SymbolicTensor;
      const c = layers.concatenate({ name: "c" }).apply([cF, cB]) as SymbolicTensor;
      const seq = layers.lstm({ units: 6, returnSequences: true, name: "decoder" }).apply(dec, { initialState: [h, c] }) as SymbolicTensor;
      const out = layers.timeDistributed({ layer: layers.dense({ units: 3, activation: "softmax" }), name: "probs" }).apply(seq) as SymbolicTensor;
      return model({ inputs: [enc, dec], outputs: out, seed, name: "bidirectional_seq2seq" });
    },
    theirs: () => {
      const enc = tf.input({ shape: [null, C], name: "encoder_in" });
      const dec = tf.input({ shape: [null, 2], name: "decoder_in" });
      const encoder = tf.layers.bidirectional({ layer: tf.layers.lstm({ units: 3, returnState: true, ...sig }) as tf.RNN, name: "encoder" });
      const [, hF, cF, hB, cB] = encoder.apply(tf.layers.masking({ maskValue: 0 }).apply(enc)) as tf.SymbolicTensor[];
      const h = tf.layers.concatenate({ name: "h" }).apply([hF, hB]) as tf.SymbolicTensor;
      const c = tf.layers.concatenate({ name: "c" }).apply([cF, cB]) as tf.SymbolicTensor;
      const seq = tf.layers.lstm({ units: 6, returnSequences: true, name: "decoder", ...sig }).apply(tf.layers.masking({ maskValue: 0 }).apply(dec), { initialState: [h, c] }) as tf.SymbolicTensor;
      const out = tf.layers.timeDistributed({ layer: tf.layers.dense({ units: 3, activation: "softmax" }), name: "probs" }).apply(seq) as tf.SymbolicTensor;
      return tf.model({ inputs: [enc, dec], outputs: out });
    },
    losses: ["categoricalCrossentropy"],
    lossWeights: [1],
    data: seq2seqData,
  },
  {
    name: "a residual add around an LSTM (per-step)",
    ours: (seed) => {
      const x = input({ shape: [null, C], name: "x" });
      const seq = layers.lstm({ units: C, returnSequences: true, name: "lstm" }).apply(x) as SymbolicTensor;
      const res = layers.add({ name: "residual" }).apply([x, seq]) as SymbolicTensor;
      const out = layers.timeDistributed({ layer: layers.dense({ units: 2, activation: "softmax" }), name: "probs" }).apply(res) as SymbolicTensor;
      return model({ inputs: x, outputs: out, seed, name: "residual" });
    },
    theirs: () => {
      const x = tf.input({ shape: [null, C], name: "x" });
      const masked = tf.layers.masking({ maskValue: 0 }).apply(x) as tf.SymbolicTensor;
      const seq = tf.layers.lstm({ units: C, returnSequences: true, name: "lstm", ...sig }).apply(masked) as tf.SymbolicTensor;
      const res = tf.layers.add({ name: "residual" }).apply([masked, seq]) as tf.SymbolicTensor;
      const out = tf.layers.timeDistributed({ layer: tf.layers.dense({ units: 2, activation: "softmax" }), name: "probs" }).apply(res) as tf.SymbolicTensor;
      return tf.model({ inputs: x, outputs: out });
    },
    losses: ["categoricalCrossentropy"],
    lossWeights: [1],
    data: (rng) => {
      const xs = floats(rng, A, C);
      const ys = oneHots(rng, A, 2);
      return { xs: [xs], padded: [padFloats(xs, C)], ys: [ys], paddedYs: [padFloats(ys, 2)], masks: [stepMask(A)], outputLengths: [A] };
    },
  },
  {
    name: "two outputs (per-step tags and a per-sequence score) with lossWeights",
    ours: (seed) => {
      const x = input({ shape: [null, C], name: "x" });
      const seq = layers.lstm({ units: 4, returnSequences: true, name: "lstm" }).apply(x) as SymbolicTensor;
      const tags = layers.timeDistributed({ layer: layers.dense({ units: 2, activation: "softmax" }), name: "tags" }).apply(seq) as SymbolicTensor;
      const last = layers.gru({ units: 3, name: "gru", resetAfter: false }).apply(seq) as SymbolicTensor;
      const score = layers.dense({ units: 1, name: "score" }).apply(last) as SymbolicTensor;
      return model({ inputs: x, outputs: [tags, score], seed, name: "two_outputs" });
    },
    theirs: () => {
      const x = tf.input({ shape: [null, C], name: "x" });
      const seq = tf.layers.lstm({ units: 4, returnSequences: true, name: "lstm", ...sig }).apply(tf.layers.masking({ maskValue: 0 }).apply(x)) as tf.SymbolicTensor;
      const tags = tf.layers.timeDistributed({ layer: tf.layers.dense({ units: 2, activation: "softmax" }), name: "tags" }).apply(seq) as tf.SymbolicTensor;
      const last = tf.layers.gru({ units: 3, name: "gru", ...sig }).apply(seq) as tf.SymbolicTensor;
      const score = tf.layers.dense({ units: 1, name: "score" }).apply(last) as tf.SymbolicTensor;
      return tf.model({ inputs: x, outputs: [tags, score] });
    },
    losses: ["categoricalCrossentropy", "meanSquaredError"],
    lossWeights: [1, 0.5],
    data: (rng) => {
      const xs = floats(rng, A, C);
      const tags = oneHots(rng, A, 2);
      const score = A.map(() => [rng.uniformRange(-1, 1)]);
      return {
        xs: [xs],
        padded: [padFloats(xs, C)],
        ys: [tags, score],
        paddedYs: [padFloats(tags, 2), tf.tensor2d(score)],
        masks: [stepMask(A), tf.ones([A.length])],
        outputLengths: [A, null],
      };
    },
  },
];
