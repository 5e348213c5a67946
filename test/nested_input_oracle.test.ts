/**
 * TF.js as the oracle for nested input (issue 10): the same weights; ragged gets sentence → word →
 * character ids as ragged lists, TF.js a 4-D padded tensor (`tf.input({ shape: [null, null] })`
 * → `timeDistributed(embedding)` → `timeDistributed(conv1d | lstm)` → …). Outputs agree within
 * 1e-4 at every real word.
 *
 * Porting notes this test relies on (where Keras 3, TF.js and ragged differ):
 * - ragged runs the inner layers on each word at its own length. Keras 3's TimeDistributed hands
 *   the inner layer the characters' mask; TF.js 4.22's does not (its inner LSTM runs over the
 *   padding characters, and the mask of `embedding({ maskZero })` inside timeDistributed is
 *   dropped), and neither Conv1D nor GlobalMaxPooling1D honours masks in either. So:
 *   · conv1d + globalMaxPooling1D over words of different lengths is compared with TF.js run on
 *     each word alone (a [1, 1, length] tensor), which is what ragged computes;
 *   · the LSTM's last state is compared on a 4-D batch whose words are *pre*-padded with id 0,
 *     whose embedding row is zero, and an LSTM whose cell-candidate bias is zero: from a zero
 *     state, zero inputs keep h = c = 0, so the padded words' last states are exact;
 *   · the whole tagger (outer masks from the word ids' `maskZero`, which TF.js honours) is compared
 *     on words of one length, where no character is padding.
 * - TF.js' LSTM defaults to `recurrentActivation: "hardSigmoid"`; Keras 3 and ragged use "sigmoid".
 */
import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { Random } from "../src/core/random.js";
import { input, layers, model, type SymbolicTensor } from "../src/index.js";
import type { LayersModel } from "../src/models/functional.js";
import { maxRelDiff } from "./harness.js";

const TOL = 1e-4;
const CHARS = 9;
const WORDS = 11;
const SPREAD = { name: "randomUniform", minval: -0.5, maxval: 0.5 } as const;

beforeAll(async () => {
  await tf.setBackend("cpu");
  await tf.ready();
});

/** Copies every weight of ragged's layers to the TF.js layers of the same names. */
function copyWeights(ours: LayersModel, theirs: tf.LayersModel): void {
  for (const layer of ours.layers) {
    if (layer.weights.length === 0) continue;
    theirs.getLayer(layer.name).setWeights(layer.getWeights().map((w) => tf.tensor(Array.from(w.data), [...w.shape])));
  }
}

/** Character ids ≥ 1 (0 is TF.js' padding) for words of the given lengths. */
function randomChars(rng: Random, wordLengths: number[][]): number[][][] {
  return wordLengths.map((s) => s.map((n) => Array.from({ length: n }, () => rng.int(1, CHARS))));
}

/** [B, T, C] zeros around the ids: words after the sentence's last are all padding; `pre` pads characters on the left. */
function pad4(chars: number[][][], pre: boolean): tf.Tensor {
  const T = Math.max(...chars.map((s) => s.length));
  const C = Math.max(...chars.flat().map((w) => w.length));
  const out = chars.map((s) => Array.from({ length: T }, (_, t) => {
    const w = s[t] ?? [];
    const zeros = new Array(C - w.length).fill(0);
    return pre ? [...zeros, ...w] : [...w, ...zeros];
  }));
  return tf.tensor3d(out);
}

/** Compares ragged's per-word rows with TF.js' [B, T, F] at every real word. */
function expectRealWordsAgree(ours: number[][][], theirs: number[][][]): number {
  let compared = 0;
  ours.forEach((sentence, i) => sentence.forEach((row, t) => {
    expect(maxRelDiff(row, theirs[i][t])).toBeLessThan(TOL);
    compared++;
  }));
  return compared;
}

describe("nested input against TF.js", () => {
  it("conv1d (same) + globalMaxPooling1D per word equals TF.js run on each word alone", () => {
    const chars = input({ shape: [null, null], name: "chars" });
    const e = layers.timeDistributed({ layer: layers.embedding({ inputDim: CHARS, outputDim: 3, embeddingsInitializer: SPREAD, name: "char_emb" }), name: "td_char_emb" }).apply(chars) as SymbolicTensor;
    const c = layers.timeDistributed({ layer: layers.conv1d({ filters: 5, kernelSize: 3, padding: "same", activation: "relu", name: "char_conv" }), name: "td_char_conv" }).apply(e) as SymbolicTensor;
    const p = layers.timeDistributed({ layer: layers.globalMaxPooling1D() }).apply(c) as SymbolicTensor;
    const ours = model({ inputs: chars, outputs: p, seed: 21 });

    const tChars = tf.input({ shape: [null, null] });
    const tE = tf.layers.timeDistributed({ layer: tf.layers.embedding({ inputDim: CHARS, outputDim: 3, name: "char_emb" }), name: "td_char_emb" }).apply(tChars) as tf.SymbolicTensor;
    const tC = tf.layers.timeDistributed({ layer: tf.layers.conv1d({ filters: 5, kernelSize: 3, padding: "same", activation: "relu", name: "char_conv" }), name: "td_char_conv" }).apply(tE) as tf.SymbolicTensor;
    const tP = tf.layers.timeDistributed({ layer: tf.layers.globalMaxPooling1d({}) }).apply(tC) as tf.SymbolicTensor;
    const theirs = tf.model({ inputs: tChars, outputs: tP });
    copyWeights(ours, theirs);

    const data = randomChars(new Random(22), [[3, 1, 6, 2], [5], [2, 7, 1]]);
    const got = ours.predict(data) as number[][][];
    let compared = 0;
    data.forEach((sentence, i) => sentence.forEach((word, t) => {
      const alone = (theirs.predict(tf.tensor3d([[word]])) as tf.Tensor).arraySync() as number[][][];
      expect(maxRelDiff(got[i][t], alone[0][0])).toBeLessThan(TOL);
      compared++;
    }));
    expect(compared).toBe(8);
  });

  it("an LSTM's last state per word equals TF.js on a pre-padded 4-D batch", () => {
    const chars = input({ shape: [null, null], name: "chars" });
    const e = layers.timeDistributed({ layer: layers.embedding({ inputDim: CHARS, outputDim: 3, embeddingsInitializer: SPREAD, name: "char_emb" }), name: "td_char_emb" }).apply(chars) as SymbolicTensor;
    const h = layers.timeDistributed({ layer: layers.lstm({ units: 4, name: "char_lstm" }), name: "td_char_lstm" }).apply(e) as SymbolicTensor;
    const ours = model({ inputs: chars, outputs: h, seed: 23 });
    zeroPadding(ours, 4);

    const tChars = tf.input({ shape: [null, null] });
    const tE = tf.layers.timeDistributed({ layer: tf.layers.embedding({ inputDim: CHARS, outputDim: 3, name: "char_emb" }), name: "td_char_emb" }).apply(tChars) as tf.SymbolicTensor;
    const tH = tf.layers.timeDistributed({ layer: tf.layers.lstm({ units: 4, recurrentActivation: "sigmoid", name: "char_lstm" }), name: "td_char_lstm" }).apply(tE) as tf.SymbolicTensor;
    const theirs = tf.model({ inputs: tChars, outputs: tH });
    copyWeights(ours, theirs);

    const data = randomChars(new Random(24), [[3, 1, 6, 2], [5], [2, 7, 1], []]);
    const got = ours.predict(data) as number[][][];
    const ref = (theirs.predict(pad4(data, true)) as tf.Tensor).arraySync() as number[][][];
    expect(expectRealWordsAgree(got, ref)).toBe(8);
  });

  it("the whole tagger: word embedding + per-word conv/max and LSTM features → bidirectional LSTM → softmax, on words of one length", () => {
    const words = input({ shape: [null], name: "words" });
    const chars = input({ shape: [null, null], name: "chars", sameLengthsAs: words });
    const w = layers.embedding({ inputDim: WORDS, outputDim: 3, embeddingsInitializer: SPREAD, name: "word_emb" }).apply(words) as SymbolicTensor; // no padding: no maskZero (TF.js needs it)
    const e = layers.timeDistributed({ layer: layers.embedding({ inputDim: CHARS, outputDim: 3, embeddingsInitializer: SPREAD, name: "char_emb" }), name: "td_char_emb" }).apply(chars) as SymbolicTensor;
    const c = layers.timeDistributed({ layer: layers.conv1d({ filters: 4, kernelSize: 3, padding: "same", activation: "tanh", name: "char_conv" }), name: "td_char_conv" }).apply(e) as SymbolicTensor;
    const p = layers.timeDistributed({ layer: layers.globalMaxPooling1D() }).apply(c) as SymbolicTensor;
    const l = layers.timeDistributed({ layer: layers.lstm({ units: 2, name: "char_lstm" }), name: "td_char_lstm" }).apply(e) as SymbolicTensor;
    const f = layers.concatenate({ name: "features" }).apply([w, p, l]) as SymbolicTensor;
    const h = layers.bidirectional({ layer: layers.lstm({ units: 3, returnSequences: true }), name: "bilstm" }).apply(f) as SymbolicTensor;
    const out = layers.timeDistributed({ layer: layers.dense({ units: 5, activation: "softmax", name: "tags" }), name: "td_tags" }).apply(h) as SymbolicTensor;
    const ours = model({ inputs: [words, chars], outputs: out, seed: 25 });

    const tWords = tf.input({ shape: [null] });
    const tChars = tf.input({ shape: [null, null] });
    const tW = tf.layers.embedding({ inputDim: WORDS, outputDim: 3, maskZero: true, name: "word_emb" }).apply(tWords) as tf.SymbolicTensor;
    const tE = tf.layers.timeDistributed({ layer: tf.layers.embedding({ inputDim: CHARS, outputDim: 3, name: "char_emb" }), name: "td_char_emb" }).apply(tChars) as tf.SymbolicTensor;
    const tC = tf.layers.timeDistributed({ layer: tf.layers.conv1d({ filters: 4, kernelSize: 3, padding: "same", activation: "tanh", name: "char_conv" }), name: "td_char_conv" }).apply(tE) as tf.SymbolicTensor;
    const tP = tf.layers.timeDistributed({ layer: tf.layers.globalMaxPooling1d({}) }).apply(tC) as tf.SymbolicTensor;
    const tL = tf.layers.timeDistributed({ layer: tf.layers.lstm({ units: 2, recurrentActivation: "sigmoid", name: "char_lstm" }), name: "td_char_lstm" }).apply(tE) as tf.SymbolicTensor;
    const tF = tf.layers.concatenate({ name: "features" }).apply([tW, tP, tL]) as tf.SymbolicTensor;
    const tH = tf.layers.bidirectional({ layer: tf.layers.lstm({ units: 3, returnSequences: true, recurrentActivation: "sigmoid" }) as tf.RNN, name: "bilstm" }).apply(tF) as tf.SymbolicTensor;
    const tOut = tf.layers.timeDistributed({ layer: tf.layers.dense({ units: 5, activation: "softmax", name: "tags" }), name: "td_tags" }).apply(tH) as tf.SymbolicTensor;
    const theirs = tf.model({ inputs: [tWords, tChars], outputs: tOut });
    copyWeights(ours, theirs);

    const rng = new Random(26);
    const counts = [4, 1, 3, 6];
    const data = randomChars(rng, counts.map((n) => new Array(n).fill(4)));
    const wordIds = counts.map((n) => Array.from({ length: n }, () => rng.int(1, WORDS)));
    const got = ours.predict({ words: wordIds, chars: data }) as number[][][];
    const paddedWords = tf.tensor2d(wordIds.map((s) => [...s, ...new Array(6 - s.length).fill(0)]));
    const ref = (theirs.predict([paddedWords, pad4(data, false)]) as tf.Tensor).arraySync() as number[][][];
    expect(expectRealWordsAgree(got, ref)).toBe(14);
  });
});

/** Zero embedding row for id 0 and zero cell-candidate bias (Keras order i, f, c, o): padding keeps the LSTM at zero. */
function zeroPadding(m: LayersModel, units: number): void {
  const emb = m.getLayer("td_char_emb").weights[0].value;
  emb.fill(0, 0, 3);
  const bias = m.getLayer("td_char_lstm").weights[2].value;
  bias.fill(0, 2 * units, 3 * units);
}
