/**
 * TensorFlow.js as a live oracle for the layers beyond the seed LSTM: GRU (resetAfter false, the
 * only form TF.js has), SimpleRNN, Bidirectional (LSTM concat / sum, GRU), masks with holes,
 * Embedding with maskZero, goBackwards, and returnState + initialState through `layer.apply`.
 * The same weights (setWeights), the same data padded and masked on the TF.js side; outputs at
 * real timesteps, the loss and every weight gradient agree within 1e-4 (absolute, or relative for
 * entries above 1), as in tfjs_oracle.test.ts.
 *
 * Porting notes this test relies on:
 * - TF.js defaults `recurrentActivation` to "hardSigmoid"; the TF.js layers here say "sigmoid".
 * - TF.js does not mask the loss; the TF.js side computes Keras' masked loss Σ ℓ·m / Σ m by hand.
 * - At a masked step TF.js emits the previous output, ragged emits zeros: only real steps are
 *   compared (NOTE [ masks with holes ] in src/layers/values.ts).
 */
import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { Random } from "../src/core/random.js";
import { type InputData, layers, sequential, type Sequential } from "../src/index.js";
import { computeGradients } from "../src/training/train_step.js";
import { batchOf, maxRelDiff, randomOneHot, randomSequences } from "./harness.js";

const TOL = 1e-4;

beforeAll(async () => {
  await tf.setBackend("cpu");
  await tf.ready();
});

/** Post-pads every sequence to T steps of `width` zeros. */
function postPad<T>(seqs: T[][], T: number, pad: () => T): T[][] {
  return seqs.map((s) => [...s, ...Array.from({ length: T - s.length }, pad)]);
}

/** Keras' categorical crossentropy on probability outputs, masked: Σ ℓ·m / Σ m. */
function kerasMaskedCce(pred: tf.Tensor, y: tf.Tensor, mask: tf.Tensor): tf.Scalar {
  const eps = 1e-7;
  const p = tf.clipByValue(tf.div(pred, tf.sum(pred, -1, true)), eps, 1 - eps);
  const perRow = tf.neg(tf.sum(tf.mul(y, tf.log(p)), -1));
  return tf.div(tf.sum(tf.mul(perRow, mask)), tf.sum(mask)) as tf.Scalar;
}

interface OracleCase {
  ours: Sequential;
  theirs: tf.LayersModel;
  /** What ragged gets: ragged sequences, or the padded batch (behind masking / embedding maskZero). */
  oursX: InputData;
  oursY: unknown;
  /** The padded batch TF.js gets, [B, T, C] (or [B, T] token ids). */
  tfX: number[][][] | number[][];
  /** Padded targets: [B, T, K] per step, [B, K] per sequence. */
  tfY: number[][][] | number[][];
  /** [B, T] 1 at real steps (per-step models: the loss mask and the steps compared). */
  mask: number[][];
}

/**
 * Copies ragged's weights into TF.js, then compares outputs at real steps (per-step models) or
 * per sequence, the masked loss, and every weight gradient.
 */
function expectSameAsTfjs(c: OracleCase): void {
  const { ours, theirs, mask } = c;
  theirs.setWeights(ours.getWeights().map((w) => tf.tensor(w.data, [...w.shape])));
  const xT = Array.isArray((c.tfX as number[][][])[0][0]) ? tf.tensor3d(c.tfX as number[][][]) : tf.tensor2d(c.tfX as number[][]);
  const perStep = ours.returnsSequences;

  const theirOut = (theirs.predict(xT) as tf.Tensor).arraySync() as number[][][] | number[][];
  const ourOut = ours.predict(c.oursX);
  let compared = 0;
  mask.forEach((m, i) => {
    if (!perStep) {
      expect(maxRelDiff((ourOut as number[][])[i], (theirOut as number[][])[i]), `sequence ${i}`).toBeLessThan(TOL);
      compared++;
      return;
    }
    m.forEach((real, t) => {
      if (!real) return;
      expect(maxRelDiff((ourOut as number[][][])[i][t], (theirOut as number[][][])[i][t]), `sequence ${i} step ${t}`).toBeLessThan(TOL);
      compared++;
    });
  });
  expect(compared).toBeGreaterThan(0);

  const ourLoss = computeGradients(ours, batchOf(ours, c.oursX, c.oursY)).loss;
  const yT = perStep ? tf.tensor3d(c.tfY as number[][][]) : tf.tensor2d(c.tfY as number[][]);
  const lossMask = perStep ? tf.tensor2d(mask) : tf.ones([mask.length]);
  const { value, grads } = tf.variableGrads(() => kerasMaskedCce(theirs.apply(xT, { training: true }) as tf.Tensor, yT, lossMask));
  expect(Math.abs(ourLoss - value.dataSync()[0])).toBeLessThan(TOL);
  const theirWeights = theirs.trainableWeights;
  expect(theirWeights.length).toBe(ours.trainableWeights.length);
  ours.trainableWeights.forEach((v, i) => {
    const g = grads[theirWeights[i].name];
    expect(g, theirWeights[i].name).toBeDefined();
    expect([...g.shape]).toEqual([...v.shape]);
    expect(maxRelDiff(v.grad, g.dataSync()), `${v.name} (weight ${i})`).toBeLessThan(TOL);
  });
}

/** A ragged batch, post-padded for TF.js, with per-step one-hot targets. */
function raggedCase(seed: number, lengths: number[], C: number, K: number, perStep: boolean) {
  const rng = new Random(seed);
  const xs = randomSequences(rng, lengths, C);
  const ys = randomOneHot(rng, lengths, K, perStep);
  const T = Math.max(...lengths);
  return {
    xs,
    ys,
    tfX: postPad(xs, T, () => new Array(C).fill(0)),
    tfY: perStep ? postPad(ys as number[][][], T, () => new Array(K).fill(0)) : (ys as number[][]),
    mask: lengths.map((len) => Array.from({ length: T }, (_, t) => (t < len ? 1 : 0))),
  };
}

const LENGTHS = [7, 3, 5, 1, 6];
const recurrent = { recurrentActivation: "sigmoid" } as const;

describe("TF.js oracle: GRU, SimpleRNN, Bidirectional on ragged input vs post-padded + masked TF.js", () => {
  it("gru (resetAfter false) → timeDistributed dense, per-step", () => {
    const d = raggedCase(1, LENGTHS, 3, 2, true);
    const ours = sequential([layers.gru({ units: 5, resetAfter: false, returnSequences: true, inputShape: [null, 3] }), layers.timeDistributed({ layer: layers.dense({ units: 2, activation: "sigmoid" }) })], { seed: 2 });
    ours.compile({ loss: "categoricalCrossentropy", optimizer: "sgd" });
    const theirs = tf.sequential({
      layers: [
        tf.layers.masking({ maskValue: 0, inputShape: [null, 3] }),
        tf.layers.gru({ units: 5, returnSequences: true, ...recurrent }),
        tf.layers.timeDistributed({ layer: tf.layers.dense({ units: 2, activation: "sigmoid" }) }),
      ],
    });
    expectSameAsTfjs({ ours, theirs, oursX: d.xs, oursY: d.ys, tfX: d.tfX, tfY: d.tfY, mask: d.mask });
  });

  it("gru (resetAfter false) many-to-one → dense softmax", () => {
    const d = raggedCase(3, LENGTHS, 3, 3, false);
    const ours = sequential([layers.gru({ units: 4, resetAfter: false, inputShape: [null, 3] }), layers.dense({ units: 3, activation: "softmax" })], { seed: 4 });
    ours.compile({ loss: "categoricalCrossentropy", optimizer: "sgd" });
    const theirs = tf.sequential({
      layers: [tf.layers.masking({ maskValue: 0, inputShape: [null, 3] }), tf.layers.gru({ units: 4, ...recurrent }), tf.layers.dense({ units: 3, activation: "softmax" })],
    });
    expectSameAsTfjs({ ours, theirs, oursX: d.xs, oursY: d.ys, tfX: d.tfX, tfY: d.tfY, mask: d.mask });
  });

  it("simpleRNN → simpleRNN → timeDistributed dense, per-step", () => {
    const d = raggedCase(5, LENGTHS, 3, 2, true);
    const ours = sequential(
      [
        layers.simpleRNN({ units: 5, returnSequences: true, inputShape: [null, 3] }),
        layers.simpleRNN({ units: 4, returnSequences: true }),
        layers.timeDistributed({ layer: layers.dense({ units: 2, activation: "softmax" }) }),
      ],
      { seed: 6 },
    );
    ours.compile({ loss: "categoricalCrossentropy", optimizer: "sgd" });
    const theirs = tf.sequential({
      layers: [
        tf.layers.masking({ maskValue: 0, inputShape: [null, 3] }),
        tf.layers.simpleRNN({ units: 5, returnSequences: true }),
        tf.layers.simpleRNN({ units: 4, returnSequences: true }),
        tf.layers.timeDistributed({ layer: tf.layers.dense({ units: 2, activation: "softmax" }) }),
      ],
    });
    expectSameAsTfjs({ ours, theirs, oursX: d.xs, oursY: d.ys, tfX: d.tfX, tfY: d.tfY, mask: d.mask });
  });

  for (const mergeMode of ["concat", "sum"] as const) {
    it(`bidirectional(lstm) ${mergeMode}, per-step`, () => {
      const d = raggedCase(7, LENGTHS, 3, 2, true);
      const ours = sequential(
        [layers.bidirectional({ layer: layers.lstm({ units: 4, returnSequences: true }), mergeMode, inputShape: [null, 3] }), layers.timeDistributed({ layer: layers.dense({ units: 2, activation: "softmax" }) })],
        { seed: 8 },
      );
      ours.compile({ loss: "categoricalCrossentropy", optimizer: "sgd" });
      const theirs = tf.sequential({
        layers: [
          tf.layers.masking({ maskValue: 0, inputShape: [null, 3] }),
          tf.layers.bidirectional({ layer: tf.layers.lstm({ units: 4, returnSequences: true, ...recurrent }) as tf.RNN, mergeMode }),
          tf.layers.timeDistributed({ layer: tf.layers.dense({ units: 2, activation: "softmax" }) }),
        ],
      });
      expectSameAsTfjs({ ours, theirs, oursX: d.xs, oursY: d.ys, tfX: d.tfX, tfY: d.tfY, mask: d.mask });
    });

    it(`bidirectional(lstm) ${mergeMode}, many-to-one`, () => {
      const d = raggedCase(9, LENGTHS, 3, 3, false);
      const ours = sequential([layers.bidirectional({ layer: layers.lstm({ units: 4 }), mergeMode, inputShape: [null, 3] }), layers.dense({ units: 3, activation: "softmax" })], { seed: 10 });
      ours.compile({ loss: "categoricalCrossentropy", optimizer: "sgd" });
      const theirs = tf.sequential({
        layers: [
          tf.layers.masking({ maskValue: 0, inputShape: [null, 3] }),
          tf.layers.bidirectional({ layer: tf.layers.lstm({ units: 4, ...recurrent }) as tf.RNN, mergeMode }),
          tf.layers.dense({ units: 3, activation: "softmax" }),
        ],
      });
      expectSameAsTfjs({ ours, theirs, oursX: d.xs, oursY: d.ys, tfX: d.tfX, tfY: d.tfY, mask: d.mask });
    });
  }

  it("bidirectional(gru resetAfter false) concat, per-step", () => {
    const d = raggedCase(11, LENGTHS, 3, 2, true);
    const ours = sequential(
      [layers.bidirectional({ layer: layers.gru({ units: 3, resetAfter: false, returnSequences: true }), inputShape: [null, 3] }), layers.timeDistributed({ layer: layers.dense({ units: 2, activation: "softmax" }) })],
      { seed: 12 },
    );
    ours.compile({ loss: "categoricalCrossentropy", optimizer: "sgd" });
    const theirs = tf.sequential({
      layers: [
        tf.layers.masking({ maskValue: 0, inputShape: [null, 3] }),
        tf.layers.bidirectional({ layer: tf.layers.gru({ units: 3, returnSequences: true, ...recurrent }) as tf.RNN }),
        tf.layers.timeDistributed({ layer: tf.layers.dense({ units: 2, activation: "softmax" }) }),
      ],
    });
    expectSameAsTfjs({ ours, theirs, oursX: d.xs, oursY: d.ys, tfX: d.tfX, tfY: d.tfY, mask: d.mask });
  });
});

/**
 * A padded batch whose mask has holes: some middle steps are all zeros (and some sequences are
 * post-padded too). TF.js masks the all-zero steps; ragged gets the same padded batch behind
 * `layers.masking()` and takes the general masked path.
 */
function holesCase(seed: number, C: number, K: number, perStep: boolean) {
  const rng = new Random(seed);
  const T = 7;
  const lengths = [7, 5, 6, 3];
  const holes: Record<number, number[]> = { 0: [2, 3], 1: [1], 2: [4], 3: [] };
  const xs = randomSequences(rng, lengths, C);
  const x = postPad(xs, T, () => new Array(C).fill(0));
  for (const [i, ts] of Object.entries(holes)) for (const t of ts) x[Number(i)][t] = new Array(C).fill(0);
  const mask = x.map((s) => s.map((step) => (step.every((v) => v === 0) ? 0 : 1)));
  expect(mask.map((m) => m.join(""))).toEqual(["1100111", "1011100", "1111010", "1110000"]);
  const ys = perStep ? (randomOneHot(rng, lengths.map(() => T), K, true) as number[][][]) : (randomOneHot(rng, lengths, K, false) as number[][]);
  return { x, ys, mask };
}

describe("TF.js oracle: masks with holes (ragged's general masked path)", () => {
  const cells = {
    lstm: { ours: (a: object) => layers.lstm(a as { units: number }), theirs: (a: object) => tf.layers.lstm({ ...(a as { units: number }), ...recurrent }) },
    "gru (resetAfter false)": {
      ours: (a: object) => layers.gru({ ...(a as { units: number }), resetAfter: false }),
      theirs: (a: object) => tf.layers.gru({ ...(a as { units: number }), ...recurrent }),
    },
    simpleRNN: { ours: (a: object) => layers.simpleRNN(a as { units: number }), theirs: (a: object) => tf.layers.simpleRNN(a as { units: number }) },
  };
  for (const [name, cell] of Object.entries(cells)) {
    it(`${name} → ${name} → timeDistributed dense, per-step (outputs at real steps, loss, gradients)`, () => {
      const d = holesCase(21, 3, 2, true);
      const ours = sequential(
        [
          layers.masking({ maskValue: 0, inputShape: [null, 3] }),
          cell.ours({ units: 4, returnSequences: true }),
          cell.ours({ units: 3, returnSequences: true }),
          layers.timeDistributed({ layer: layers.dense({ units: 2, activation: "softmax" }) }),
        ],
        { seed: 22 },
      );
      ours.compile({ loss: "categoricalCrossentropy", optimizer: "sgd" });
      const theirs = tf.sequential({
        layers: [
          tf.layers.masking({ maskValue: 0, inputShape: [null, 3] }),
          cell.theirs({ units: 4, returnSequences: true }),
          cell.theirs({ units: 3, returnSequences: true }),
          tf.layers.timeDistributed({ layer: tf.layers.dense({ units: 2, activation: "softmax" }) }),
        ],
      });
      expectSameAsTfjs({ ours, theirs, oursX: d.x, oursY: d.ys, tfX: d.x, tfY: d.ys, mask: d.mask });
      // ragged outputs zeros at the holes (TF.js repeats the previous output there)
      const out = ours.predict(d.x) as number[][][];
      d.mask.forEach((m, i) => m.forEach((real, t) => real || expect(out[i][t].every((v) => v === 0)).toBe(true)));
    });

    it(`${name} many-to-one → dense softmax (final outputs, loss, gradients)`, () => {
      const d = holesCase(23, 3, 3, false);
      const ours = sequential([layers.masking({ maskValue: 0, inputShape: [null, 3] }), cell.ours({ units: 4 }), layers.dense({ units: 3, activation: "softmax" })], { seed: 24 });
      ours.compile({ loss: "categoricalCrossentropy", optimizer: "sgd" });
      const theirs = tf.sequential({
        layers: [tf.layers.masking({ maskValue: 0, inputShape: [null, 3] }), cell.theirs({ units: 4 }), tf.layers.dense({ units: 3, activation: "softmax" })],
      });
      expectSameAsTfjs({ ours, theirs, oursX: d.x, oursY: d.ys, tfX: d.x, tfY: d.ys, mask: d.mask });
    });
  }
});

describe("TF.js oracle: embedding with maskZero, goBackwards", () => {
  for (const holes of [false, true]) {
    it(`embedding(maskZero) → lstm → dense softmax on padded token ids${holes ? ", with a 0 inside a sequence (holes)" : ""}`, () => {
      const rng = new Random(31);
      const lengths = [6, 2, 4, 1, 5];
      const T = 6;
      const ids = lengths.map((len) => Array.from({ length: T }, (_, t) => (t < len ? rng.int(1, 9) : 0)));
      if (holes) ids[0][2] = 0;
      const ys = randomOneHot(rng, lengths, 3, false) as number[][];
      const ours = sequential([layers.embedding({ inputDim: 9, outputDim: 4, maskZero: true, inputShape: [null] }), layers.lstm({ units: 5 }), layers.dense({ units: 3, activation: "softmax" })], { seed: 32 });
      ours.compile({ loss: "categoricalCrossentropy", optimizer: "sgd" });
      const theirs = tf.sequential({
        layers: [tf.layers.embedding({ inputDim: 9, outputDim: 4, maskZero: true, inputShape: [null] }), tf.layers.lstm({ units: 5, ...recurrent }), tf.layers.dense({ units: 3, activation: "softmax" })],
      });
      expectSameAsTfjs({ ours, theirs, oursX: ids, oursY: ys, tfX: ids, tfY: ys, mask: ids.map((s) => s.map((v) => (v === 0 ? 0 : 1))) });
      // the padding id's row gets no gradient
      const table = ours.trainableWeights[0];
      expect(table.grad.subarray(0, 4).every((v) => v === 0)).toBe(true);
    });
  }

  for (const returnSequences of [true, false]) {
    it(`lstm goBackwards (returnSequences ${returnSequences}) vs TF.js goBackwards, equal lengths`, () => {
      const d = raggedCase(41, [5, 5, 5], 3, 2, returnSequences);
      const head = returnSequences ? layers.timeDistributed({ layer: layers.dense({ units: 2, activation: "softmax" }) }) : layers.dense({ units: 2, activation: "softmax" });
      const ours = sequential([layers.lstm({ units: 4, goBackwards: true, returnSequences, inputShape: [null, 3] }), head], { seed: 42 });
      ours.compile({ loss: "categoricalCrossentropy", optimizer: "sgd" });
      const theirs = tf.sequential({
        layers: [
          tf.layers.lstm({ units: 4, goBackwards: true, returnSequences, inputShape: [null, 3], ...recurrent }),
          returnSequences ? tf.layers.timeDistributed({ layer: tf.layers.dense({ units: 2, activation: "softmax" }) }) : tf.layers.dense({ units: 2, activation: "softmax" }),
        ],
      });
      expectSameAsTfjs({ ours, theirs, oursX: d.xs, oursY: d.ys, tfX: d.tfX, tfY: d.tfY, mask: d.mask });
    });
  }
});

describe("TF.js oracle: returnState + initialState through layer.apply", () => {
  const kinds = {
    lstm: {
      ours: () => layers.lstm({ units: 3, returnSequences: true, returnState: true, inputShape: [null, 2] }),
      theirs: () => tf.layers.lstm({ units: 3, returnSequences: true, returnState: true, ...recurrent }),
      states: 2,
    },
    "gru (resetAfter false)": {
      ours: () => layers.gru({ units: 3, resetAfter: false, returnSequences: true, returnState: true, inputShape: [null, 2] }),
      theirs: () => tf.layers.gru({ units: 3, returnSequences: true, returnState: true, ...recurrent }),
      states: 1,
    },
    simpleRNN: {
      ours: () => layers.simpleRNN({ units: 3, returnSequences: true, returnState: true, inputShape: [null, 2] }),
      theirs: () => tf.layers.simpleRNN({ units: 3, returnSequences: true, returnState: true }),
      states: 1,
    },
  };
  for (const [name, kind] of Object.entries(kinds)) {
    it(`${name}: outputs and final states on a ragged batch equal TF.js run on each sequence alone`, () => {
      const rng = new Random(51);
      const lengths = [4, 1, 3];
      const xs = randomSequences(rng, lengths, 2);
      const initialState = Array.from({ length: kind.states }, () => lengths.map(() => Array.from({ length: 3 }, () => rng.uniformRange(-1, 1))));
      const ours = kind.ours();
      const { output, states } = ours.apply(xs, { initialState, rng: new Random(52) });
      expect(states.length).toBe(kind.states);

      const theirs = kind.theirs();
      const probe = tf.zeros([1, 1, 2]);
      theirs.apply(probe); // builds it
      theirs.setWeights(ours.getWeights().map((w) => tf.tensor(w.data, [...w.shape])));
      xs.forEach((x, i) => {
        const init = initialState.map((s) => tf.tensor2d([s[i]]));
        const [seq, ...finals] = theirs.apply(tf.tensor3d([x]), { initialState: init }) as tf.Tensor[];
        const theirSeq = (seq.arraySync() as number[][][])[0];
        expect((output as number[][][])[i].length).toBe(lengths[i]);
        theirSeq.forEach((row, t) => expect(maxRelDiff((output as number[][][])[i][t], row)).toBeLessThan(TOL));
        finals.forEach((f, k) => expect(maxRelDiff(states[k][i], (f.arraySync() as number[][])[0]), `state ${k} of ${i}`).toBeLessThan(TOL));
      });
      // without initialState both start from zeros, and the states differ from the ones above
      const fromZeros = ours.apply(xs);
      expect(maxRelDiff(fromZeros.states[0][0], states[0][0])).toBeGreaterThan(1e-3);
    });
  }
});
