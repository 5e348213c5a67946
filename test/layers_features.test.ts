/**
 * What the layers promise beyond their math: stateful streaming and `resetStates`, `goBackwards`
 * reversing each sequence within its own length, dropout only in training and seeded, how masks
 * flow between layers (NOTE [ masks with holes ]), `repeatVector({ n: "inputLength" })`, pooling
 * over real steps only, and the regularization penalty's value. (returnState + initialState
 * against TF.js is in layers_oracle.test.ts.)
 */
import { describe, expect, it } from "vitest";
import { Act } from "../src/core/kernels/activations.js";
import { kernels } from "../src/core/kernels/registry.js";
import { Random } from "../src/core/random.js";
import { packBatch } from "../src/data/packed.js";
import { layers, padSequences, sequential, type Sequential } from "../src/index.js";
import { applySequenceMask, dropoutMask, type RNN } from "../src/layers/rnn/rnn.js";
import type { LayerValue } from "../src/layers/values.js";
import { inputValue } from "../src/training/train_step.js";
import { batchOf, maxRelDiff, randomOneHot, randomSequences } from "./harness.js";

const TOL = 1e-6;

function expectRowsClose(a: number[][], b: number[][], tol = TOL): void {
  expect(a.length).toBe(b.length);
  a.forEach((row, t) => expect(maxRelDiff(row, b[t]), `row ${t}`).toBeLessThan(tol));
}

/** Splits every sequence into chunks of `size` steps: chunk k of all sequences is batch k. */
function chunks(xs: number[][][], size: number): number[][][][] {
  const T = Math.max(...xs.map((s) => s.length));
  const out: number[][][][] = [];
  for (let s = 0; s < T; s += size) out.push(xs.map((x) => x.slice(s, s + size)));
  return out;
}

const recurrentKinds = {
  lstm: (a: object) => layers.lstm(a as { units: number }),
  gru: (a: object) => layers.gru(a as { units: number }),
  simpleRNN: (a: object) => layers.simpleRNN(a as { units: number }),
};

describe("stateful streaming", () => {
  for (const [name, make] of Object.entries(recurrentKinds)) {
    for (const size of [1, 3]) {
      it(`${name}: a sequence fed in chunks of ${size} gives the outputs of the whole sequence; resetStates restarts`, () => {
        const rng = new Random(1);
        // unequal lengths: the later chunks are ragged (7 steps against 5), the last one has a length-0 sequence
        const xs = randomSequences(rng, [7, 5], 3);
        const whole = sequential([make({ units: 4, returnSequences: true, inputShape: [null, 3] })], { seed: 2 });
        const streaming = sequential([make({ units: 4, returnSequences: true, stateful: true, batchInputShape: [2, null, 3] })], { seed: 3 });
        streaming.setWeights(whole.getWeights());
        const expected = whole.predict(xs) as number[][][];

        const run = () => {
          const got: number[][][] = [[], []];
          for (const chunk of chunks(xs, size)) (streaming.predict(chunk) as number[][][]).forEach((out, i) => got[i].push(...out));
          return got;
        };
        const first = run();
        first.forEach((seq, i) => expectRowsClose(seq, expected[i], 1e-5));
        // without a reset the state carries on (the outputs differ); after one they start over
        const carried = run();
        expect(maxRelDiff(carried[0][0], expected[0][0])).toBeGreaterThan(1e-4);
        streaming.resetStates();
        run().forEach((seq, i) => expectRowsClose(seq, expected[i], 1e-5));

        // the layer on its own (apply) streams the same way
        const layer = streaming.layers[0] as RNN;
        layer.resetStates();
        const applied: number[][][] = [[], []];
        for (const chunk of chunks(xs, size)) (layer.apply(chunk).output as number[][][]).forEach((out, i) => applied[i].push(...out));
        applied.forEach((seq, i) => expectRowsClose(seq, expected[i], 1e-5));
      });
    }
  }

  it("many-to-one stateful: the final state after the chunks is the whole sequence's", () => {
    const rng = new Random(4);
    const xs = randomSequences(rng, [6, 4, 5], 2);
    const whole = sequential([layers.lstm({ units: 3, inputShape: [null, 2] })], { seed: 5 });
    const streaming = sequential([layers.lstm({ units: 3, stateful: true, batchInputShape: [3, null, 2] })], { seed: 6 });
    streaming.setWeights(whole.getWeights());
    let last: number[][] = [];
    for (const chunk of chunks(xs, 2)) last = streaming.predict(chunk) as number[][];
    expectRowsClose(last, whole.predict(xs) as number[][], 1e-5);
  });
});

describe("goBackwards", () => {
  for (const [name, make] of Object.entries(recurrentKinds)) {
    it(`${name}: each sequence is reversed within its own length; outputs come in processing order`, () => {
      const rng = new Random(7);
      const lengths = [5, 1, 3, 0, 4];
      const xs = randomSequences(rng, lengths, 3);
      const forward = sequential([make({ units: 4, returnSequences: true, inputShape: [null, 3] })], { seed: 8 });
      const backward = sequential([make({ units: 4, returnSequences: true, goBackwards: true, inputShape: [null, 3] })], { seed: 9 });
      backward.setWeights(forward.getWeights());
      const reversed = xs.map((x) => [...x].reverse());
      const a = backward.predict(xs) as number[][][];
      const b = forward.predict(reversed) as number[][][];
      a.forEach((seq, i) => expectRowsClose(seq, b[i]));
      expect(a[0].length).toBe(5);
    });
  }
});

describe("dropout: only in training, seeded", () => {
  const build = (seed: number, rate: number) =>
    sequential(
      [
        layers.lstm({ units: 6, returnSequences: true, dropout: rate, inputShape: [null, 3] }),
        layers.dropout({ rate }),
        layers.gru({ units: 4, dropout: rate }),
        layers.dropout({ rate }),
        layers.dense({ units: 2, activation: "softmax" }),
      ],
      { seed },
    );
  const rng = new Random(10);
  const lengths = [4, 6, 2, 5, 3, 1];
  const xs = randomSequences(rng, lengths, 3);
  const ys = randomOneHot(rng, lengths, 2, false);

  it("predict and evaluate are unaffected by dropout", () => {
    const withDropout = build(11, 0.5);
    const without = build(11, 0);
    without.setWeights(withDropout.getWeights());
    expect(withDropout.predict(xs)).toEqual(without.predict(xs));
    expect(withDropout.predict(xs)).toEqual(withDropout.predict(xs));
    for (const m of [withDropout, without]) m.compile({ loss: "categoricalCrossentropy", optimizer: "sgd" });
    expect(withDropout.evaluate(xs, ys)).toBe(without.evaluate(xs, ys));
  });

  it("training with dropout differs from without; the same seed gives the same run, another seed another", async () => {
    const fitted = async (seed: number, rate: number) => {
      const m = build(seed, rate);
      if (rate === 0) m.setWeights(build(seed, 0.5).getWeights());
      m.compile({ loss: "categoricalCrossentropy", optimizer: { name: "sgd", learningRate: 0.5 } });
      const h = await m.fit(xs, ys, { epochs: 2, batchSize: 3, verbose: 0, shuffle: false });
      return { loss: h.history.loss as number[], weights: m.getWeights().map((w) => Array.from(w.data)) };
    };
    const a = await fitted(12, 0.5);
    const b = await fitted(12, 0.5);
    const c = await fitted(13, 0.5);
    const none = await fitted(12, 0);
    expect(a).toEqual(b);
    expect(a.loss).not.toEqual(none.loss);
    const sameInit = build(13, 0.5).getWeights().map((w) => Array.from(w.data));
    expect(c.weights).not.toEqual(sameInit);
    expect(c.loss).not.toEqual(a.loss);
  });
});

describe("recurrentDropout: only in training, seeded", () => {
  const build = (seed: number, rate: number) =>
    sequential(
      [
        layers.lstm({ units: 5, returnSequences: true, recurrentDropout: rate, inputShape: [null, 3] }),
        layers.gru({ units: 4, returnSequences: true, dropout: rate / 2, recurrentDropout: rate, resetAfter: false }),
        layers.simpleRNN({ units: 4, returnSequences: true, recurrentDropout: rate }),
        layers.gru({ units: 3, recurrentDropout: rate }),
        layers.dense({ units: 2, activation: "softmax" }),
      ],
      { seed },
    );
  const rng = new Random(15);
  const lengths = [4, 6, 2, 5, 3, 1];
  const xs = randomSequences(rng, lengths, 3);
  const ys = randomOneHot(rng, lengths, 2, false);

  it("predict and evaluate are unaffected", () => {
    const withDropout = build(16, 0.5);
    const without = build(16, 0);
    without.setWeights(withDropout.getWeights());
    expect(withDropout.predict(xs)).toEqual(without.predict(xs));
    for (const m of [withDropout, without]) m.compile({ loss: "categoricalCrossentropy", optimizer: "sgd" });
    expect(withDropout.evaluate(xs, ys)).toBe(without.evaluate(xs, ys));
  });

  it("training with it differs from without; the same seed gives the same weights after fit, another seed others", async () => {
    const fitted = async (seed: number, rate: number) => {
      const m = build(seed, rate);
      if (rate === 0) m.setWeights(build(seed, 0.5).getWeights());
      m.compile({ loss: "categoricalCrossentropy", optimizer: { name: "sgd", learningRate: 0.5 } });
      const h = await m.fit(xs, ys, { epochs: 2, batchSize: 3, verbose: 0, shuffle: false });
      return { loss: h.history.loss as number[], weights: m.getWeights().map((w) => Array.from(w.data)) };
    };
    const a = await fitted(17, 0.5);
    const b = await fitted(17, 0.5);
    const none = await fitted(17, 0);
    expect(a).toEqual(b);
    expect(a.loss).not.toEqual(none.loss);
    expect(a.weights).not.toEqual(none.weights);
    const c = await fitted(18, 0.5);
    const cNone = await fitted(18, 0);
    expect(c.weights).not.toEqual(cNone.weights);
  });

  it("the layer draws one [B, H] mask after the input mask and runs the kernel with it (a known mask)", () => {
    const B = lengths.length;
    const H = 5;
    const layer = layers.lstm({ units: H, returnSequences: true, dropout: 0.3, recurrentDropout: 0.4, inputShape: [null, 3] });
    layer.build([null, null, 3], new Random(19));
    const packed = packBatch(xs, { features: 3 });
    const input: LayerValue = { kind: "sequence", layout: packed.layout, data: packed.data, width: 3, mask: null };
    const out = layer.forward(input, { training: true, rng: new Random(20), needsGrad: false, inputNeedsGrad: false }).output;
    // the same stream: the input mask [B, C] first, then the recurrent mask [B, H]
    const stream = new Random(20);
    const inputMask = dropoutMask(B, 3, 0.3, stream);
    const recurrentMask = dropoutMask(B, H, 0.4, stream);
    expect(recurrentMask.some((v) => v === 0)).toBe(true);
    expect(recurrentMask.every((v) => v === 0 || Math.abs(v - 1 / 0.6) < 1e-6)).toBe(true);
    const [kernel, recurrentKernel, bias] = layer.weights.map((v) => v.value);
    // the kernel the layer runs (wasm where supported: it runs recurrent dropout itself), so results are exact
    const want = kernels().lstmForward({
      layout: packed.layout, x: applySequenceMask(packed.data, inputMask, packed.layout, 3), C: 3, H,
      weights: { kernel, recurrentKernel, bias }, activation: Act.Tanh, recurrentActivation: Act.Sigmoid, recurrentMask,
    });
    expect(out.data).toEqual(want.h);
    // the first step's h_{t−1} is h0 = 0, which the mask cannot change; the later steps it does
    const noRecurrent = kernels().lstmForward({
      layout: packed.layout, x: applySequenceMask(packed.data, inputMask, packed.layout, 3), C: 3, H,
      weights: { kernel, recurrentKernel, bias }, activation: Act.Tanh, recurrentActivation: Act.Sigmoid,
    });
    const firstRows = packed.layout.batchSizes[0] * H;
    expect(out.data.subarray(0, firstRows)).toEqual(noRecurrent.h.subarray(0, firstRows));
    expect(Array.from(out.data)).not.toEqual(Array.from(noRecurrent.h));
  });
});

describe("mask propagation (a padded batch with holes)", () => {
  const rng = new Random(14);
  const x = padSequences(randomSequences(rng, [6, 4, 5], 3), { maxlen: 6, padding: "post" });
  x[0][2] = [0, 0, 0];
  x[2][1] = [0, 0, 0];
  const ys = randomOneHot(rng, [6, 6, 6], 2, true) as number[][][];

  /** Every layer's output for the batch, in order. */
  function outputs(model: Sequential, targets: unknown): LayerValue[] {
    const batch = batchOf(model, x, targets);
    expect(batch.mask).not.toBeNull();
    const values: LayerValue[] = [];
    let v = inputValue(batch);
    model.layers.forEach((layer, i) => {
      v = layer.forward(v, { training: false, rng: new Random(0), needsGrad: false, inputNeedsGrad: i > 0 }).output;
      values.push(v);
    });
    return values;
  }

  it("masking, recurrent layers with returnSequences, dense and timeDistributed pass the mask on; many-to-one ends it", () => {
    const model = sequential(
      [
        layers.masking({ inputShape: [null, 3] }),
        layers.lstm({ units: 4, returnSequences: true }),
        layers.dense({ units: 3, activation: "tanh" }),
        layers.bidirectional({ layer: layers.gru({ units: 3, returnSequences: true }) }),
        layers.timeDistributed({ layer: layers.dense({ units: 3 }) }),
        layers.simpleRNN({ units: 2 }),
      ],
      { seed: 15 },
    );
    model.compile({ loss: "meanSquaredError", optimizer: "sgd" });
    const targets = [[0, 0], [0, 0], [0, 0]];
    const outs = outputs(model, targets);
    const mask = batchOf(model, x, targets).mask as Uint8Array;
    outs.slice(0, 5).forEach((o, i) => {
      expect(o.kind, model.layers[i].name).toBe("sequence");
      expect(Array.from((o as { mask?: Uint8Array | null }).mask ?? []), model.layers[i].name).toEqual(Array.from(mask));
    });
    expect(outs[5].kind).toBe("vector");
    // a recurrent layer outputs zeros on padding rows
    const lstmOut = outs[1].data;
    mask.forEach((m, r) => m || expect(Array.from(lstmOut.subarray(r * 4, (r + 1) * 4))).toEqual([0, 0, 0, 0]));
  });

  it("targets at masked steps change neither loss nor gradients; real targets do", () => {
    const model = sequential([layers.masking({ inputShape: [null, 3] }), layers.lstm({ units: 4, returnSequences: true }), layers.timeDistributed({ layer: layers.dense({ units: 2, activation: "softmax" }) })], { seed: 16 });
    model.compile({ loss: "categoricalCrossentropy", optimizer: "sgd", metrics: ["accuracy"] });
    const base = model.evaluate(x, ys) as number[];
    const flipped = (t: number, i: number) => ys.map((s, k) => s.map((y, u) => (k === i && u === t ? [y[1], y[0]] : y)));
    expect(model.evaluate(x, flipped(2, 0))).toEqual(base); // hole
    expect(model.evaluate(x, flipped(5, 1))).toEqual(base); // post-padding
    expect(model.evaluate(x, flipped(0, 0))).not.toEqual(base); // real
  });
});

describe("repeatVector and pooling", () => {
  it('repeatVector({ n: "inputLength" }): the decoder outputs as many steps as each input had', () => {
    const rng = new Random(17);
    const lengths = [5, 1, 8, 3, 0];
    const xs = randomSequences(rng, lengths, 2);
    const build = (n: number | "inputLength") =>
      sequential([layers.lstm({ units: 4, inputShape: [null, 2] }), layers.repeatVector({ n }), layers.lstm({ units: 3, returnSequences: true }), layers.timeDistributed({ layer: layers.dense({ units: 2 }) })], { seed: 18 });
    const out = build("inputLength").predict(xs) as number[][][];
    out.forEach((seq, i) => expect(seq.length).toBe(lengths[i]));
    const fixed = build(4).predict(xs) as number[][][];
    fixed.forEach((seq) => expect(seq.length).toBe(4));
    // the decoder's first steps do not depend on how long the output is
    expectRowsClose(out[2].slice(0, 4), fixed[2]);
  });

  for (const pooling of ["globalAveragePooling1D", "globalMaxPooling1D"] as const) {
    it(`${pooling} pools over real steps only: padding (pre, post, any length) and holes change nothing`, () => {
      const rng = new Random(19);
      const lengths = [5, 2, 7, 1];
      const xs = randomSequences(rng, lengths, 3);
      const build = (masking: boolean) =>
        sequential(
          [
            ...(masking ? [layers.masking({ inputShape: [null, 3] })] : []),
            layers.lstm({ units: 4, returnSequences: true, ...(masking ? {} : { inputShape: [null, 3] }) }),
            layers[pooling](),
          ],
          { seed: 20 },
        );
      const ragged = build(false);
      const pooled = ragged.predict(xs) as number[][];
      // by hand from the per-step outputs
      const steps = sequential([ragged.layers[0]]).predict(xs) as number[][][];
      steps.forEach((seq, i) => {
        const byHand = [0, 1, 2, 3].map((c) => (pooling === "globalAveragePooling1D" ? seq.reduce((s, r) => s + r[c], 0) / seq.length : Math.max(...seq.map((r) => r[c]))));
        expect(maxRelDiff(pooled[i], byHand)).toBeLessThan(1e-6);
      });
      const masked = build(true);
      masked.setWeights(ragged.getWeights());
      for (const padding of ["pre", "post"] as const) {
        for (const maxlen of [7, 12]) expectRowsClose(masked.predict(padSequences(xs, { padding, maxlen })) as number[][], pooled);
      }
      // holes: a sequence with zero steps inserted pools like the sequence without them... only for the
      // pooling, not the recurrence — so compare with pooling of its own per-step outputs
      const holed = padSequences(xs, { padding: "post", maxlen: 8 });
      holed[2] = [...xs[2].slice(0, 3), [0, 0, 0], ...xs[2].slice(3)];
      const holedSteps = sequential([masked.layers[0], masked.layers[1]]).predict(holed) as number[][][];
      const realSteps = holedSteps[2].filter((_, t) => t !== 3);
      const byHand = [0, 1, 2, 3].map((c) => (pooling === "globalAveragePooling1D" ? realSteps.reduce((s, r) => s + r[c], 0) / realSteps.length : Math.max(...realSteps.map((r) => r[c]))));
      expect(maxRelDiff((masked.predict(holed) as number[][])[2], byHand)).toBeLessThan(1e-6);
    });
  }
});

describe("regularizers", () => {
  it("the penalty l1·Σ|w| + l2·Σw² is added to the loss of evaluate and fit, for every regularized weight", () => {
    const rng = new Random(21);
    const lengths = [3, 4];
    const xs = randomSequences(rng, lengths, 2);
    const ys = randomOneHot(rng, lengths, 2, false);
    const build = (reg: boolean) =>
      sequential(
        [
          layers.lstm({ units: 3, inputShape: [null, 2], ...(reg ? { kernelRegularizer: { l1: 0.1 }, recurrentRegularizer: { l2: 0.2 }, biasRegularizer: "l1l2" as const } : {}) }),
          layers.dense({ units: 2, activation: "softmax" }),
        ],
        { seed: 22 },
      );
    const plain = build(false);
    const reg = build(true);
    for (const m of [plain, reg]) m.compile({ loss: "categoricalCrossentropy", optimizer: "sgd" });
    const [kernel, recurrentKernel, bias] = reg.layers[0].weights.map((v) => Array.from(v.value));
    const sum = (a: number[], f: (v: number) => number) => a.reduce((s, v) => s + f(v), 0);
    const penalty = 0.1 * sum(kernel, Math.abs) + 0.2 * sum(recurrentKernel, (v) => v * v) + 0.01 * sum(bias, Math.abs) + 0.01 * sum(bias, (v) => v * v);
    expect(Math.abs((reg.evaluate(xs, ys) as number) - (plain.evaluate(xs, ys) as number) - penalty)).toBeLessThan(1e-5);
  });
});
