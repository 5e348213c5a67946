/**
 * Compiled metrics ("accuracy", "mae", "mse", "binaryAccuracy", "sparseCategoricalAccuracy") as
 * `fit` History and `evaluate` report them: averaged over real timesteps only — the value a hand
 * computation over the real steps of `predict` gives — and unchanged when the batch is padded to
 * any longer length behind masking, pre or post, or has holes whose targets are garbage
 * (equivalence 5).
 */
import { describe, expect, it } from "vitest";
import { Random } from "../src/core/random.js";
import { layers, padSequences, sequential, type Sequential } from "../src/index.js";
import type { LossSpec } from "../src/training/losses.js";
import { randomOneHot, randomSequences } from "./harness.js";

const argmax = (v: number[]) => v.reduce((b, x, k) => (x > v[b] ? k : b), 0);
const mean = (v: number[]) => v.reduce((s, x) => s + x, 0) / v.length;

interface Setup {
  loss: LossSpec;
  metrics: string[];
  activation: "softmax" | "sigmoid";
  /** Target per real step from the rng. */
  target: (rng: Random) => number[] | number;
  /** Per-row metric values, by hand: name → f(pred, target). */
  byHand: Record<string, (p: number[], y: number[] | number) => number>;
}

const setups: Record<string, Setup> = {
  "categoricalCrossentropy: accuracy, mae, mse": {
    loss: "categoricalCrossentropy",
    metrics: ["accuracy", "mae", "mse"],
    activation: "softmax",
    target: (rng) => {
      const y = [0, 0, 0];
      y[rng.int(0, 3)] = 1;
      return y;
    },
    byHand: {
      accuracy: (p, y) => (argmax(p) === argmax(y as number[]) ? 1 : 0),
      mae: (p, y) => mean(p.map((v, k) => Math.abs(v - (y as number[])[k]))),
      mse: (p, y) => mean(p.map((v, k) => (v - (y as number[])[k]) ** 2)),
    },
  },
  "binaryCrossentropy: accuracy, binaryAccuracy": {
    loss: "binaryCrossentropy",
    metrics: ["accuracy", "binaryAccuracy"],
    activation: "sigmoid",
    target: (rng) => [0, 1, 2].map(() => (rng.uniform() < 0.5 ? 1 : 0)),
    byHand: {
      accuracy: (p, y) => mean(p.map((v, k) => ((v > 0.5 ? 1 : 0) === (y as number[])[k] ? 1 : 0))),
      binaryAccuracy: (p, y) => mean(p.map((v, k) => ((v > 0.5 ? 1 : 0) === (y as number[])[k] ? 1 : 0))),
    },
  },
  "sparseCategoricalCrossentropy: accuracy, sparseCategoricalAccuracy": {
    loss: "sparseCategoricalCrossentropy",
    metrics: ["accuracy", "sparseCategoricalAccuracy"],
    activation: "softmax",
    target: (rng) => rng.int(0, 3),
    byHand: {
      accuracy: (p, y) => (argmax(p) === y ? 1 : 0),
      sparseCategoricalAccuracy: (p, y) => (argmax(p) === y ? 1 : 0),
    },
  },
};

function build(setup: Setup, masking: boolean, seed = 3): Sequential {
  const model = sequential(
    [
      ...(masking ? [layers.masking({ inputShape: [null, 2] })] : []),
      layers.gru({ units: 5, returnSequences: true, ...(masking ? {} : { inputShape: [null, 2] }) }),
      layers.timeDistributed({ layer: layers.dense({ units: 3, activation: setup.activation }) }),
    ],
    { seed },
  );
  model.compile({ loss: setup.loss, optimizer: { name: "sgd", learningRate: 1e-12 }, metrics: setup.metrics });
  return model;
}

describe("metrics over real timesteps", () => {
  for (const [name, setup] of Object.entries(setups)) {
    it(`${name}: evaluate and fit History equal the hand computation over real steps; padding changes nothing`, async () => {
      const rng = new Random(1);
      const lengths = [6, 2, 4, 1, 5, 3];
      const xs = randomSequences(rng, lengths, 2);
      const ys = lengths.map((len) => Array.from({ length: len }, () => setup.target(rng)));
      const model = build(setup, false);

      // by hand over every real step of every sequence
      const out = model.predict(xs) as number[][][];
      const expected: Record<string, number> = {};
      for (const [metric, f] of Object.entries(setup.byHand)) expected[metric] = mean(out.flatMap((seq, i) => seq.map((p, t) => f(p, ys[i][t]))));

      const logs = model.evaluate(xs, ys, { returnDict: true });
      expect(Object.keys(logs)).toEqual(["loss", ...setup.metrics]);
      for (const metric of setup.metrics) expect(Math.abs(logs[metric] - expected[metric]), metric).toBeLessThan(1e-6);
      const asList = model.evaluate(xs, ys) as number[];
      expect(asList).toEqual(Object.values(logs));

      // History of fit (a negligible learning rate, one batch: the same numbers)
      const history = await model.fit(xs, ys, { epochs: 2, batchSize: 64, verbose: 0 });
      for (const key of ["loss", ...setup.metrics]) {
        expect(history.history[key]).toHaveLength(2);
        expect(Math.abs((history.history[key][0] as number) - logs[key]), key).toBeLessThan(1e-6);
      }

      // padded to any longer length, pre or post, behind masking: the same loss and metrics
      const masked = build(setup, true, 4);
      masked.setWeights(model.getWeights());
      const padTarget = setup.loss === "sparseCategoricalCrossentropy" ? 0 : [0, 0, 0];
      for (const padding of ["pre", "post"] as const) {
        for (const maxlen of [6, 9, 20]) {
          const px = padSequences(xs, { padding, maxlen });
          const py = ys.map((y) => (padding === "pre" ? [...Array.from({ length: maxlen - y.length }, () => padTarget), ...y] : [...y, ...Array.from({ length: maxlen - y.length }, () => padTarget)]));
          const padded = masked.evaluate(px, py, { returnDict: true });
          for (const key of ["loss", ...setup.metrics]) expect(Math.abs(padded[key] - logs[key]), `${padding} ${maxlen} ${key}`).toBeLessThan(1e-6);
        }
      }
    });
  }

  it("holes: padding steps inside sequences are skipped by the metrics, whatever their targets", () => {
    const setup = setups["categoricalCrossentropy: accuracy, mae, mse"];
    const rng = new Random(5);
    const lengths = [6, 4, 5];
    const x = padSequences(randomSequences(rng, lengths, 2), { maxlen: 6, padding: "post" });
    x[0][2] = [0, 0];
    x[2][1] = [0, 0];
    const ys = randomOneHot(rng, [6, 6, 6], 3, true) as number[][][];
    const model = build(setup, true);
    const out = model.predict(x) as number[][][];
    const real = (i: number, t: number) => x[i][t].some((v) => v !== 0);
    const logs = model.evaluate(x, ys, { returnDict: true });
    for (const [metric, f] of Object.entries(setup.byHand)) {
      const byHand = mean(out.flatMap((seq, i) => seq.flatMap((p, t) => (real(i, t) ? [f(p, ys[i][t])] : []))));
      expect(Math.abs(logs[metric] - byHand), metric).toBeLessThan(1e-6);
    }
    const garbage = ys.map((seq, i) => seq.map((y, t) => (real(i, t) ? y : [1, 1, 1])));
    const again = model.evaluate(x, garbage, { returnDict: true });
    for (const key of Object.keys(logs)) expect(Math.abs(again[key] - logs[key]), key).toBeLessThan(1e-7);
  });

  it("many-to-one: accuracy over sequences, the same ragged or padded", () => {
    const rng = new Random(6);
    const lengths = [3, 7, 1, 4, 5];
    const xs = randomSequences(rng, lengths, 2);
    const ys = randomOneHot(rng, lengths, 3, false) as number[][];
    const make = (masking: boolean) => {
      const m = sequential(
        [...(masking ? [layers.masking({ inputShape: [null, 2] })] : []), layers.lstm({ units: 4, ...(masking ? {} : { inputShape: [null, 2] }) }), layers.dense({ units: 3, activation: "softmax" })],
        { seed: 7 },
      );
      m.compile({ loss: "categoricalCrossentropy", optimizer: "sgd", metrics: ["accuracy"] });
      return m;
    };
    const ragged = make(false);
    const out = ragged.predict(xs) as number[][];
    const logs = ragged.evaluate(xs, ys, { returnDict: true });
    expect(logs.accuracy).toBeCloseTo(mean(out.map((p, i) => (argmax(p) === argmax(ys[i]) ? 1 : 0))), 6);
    const masked = make(true);
    masked.setWeights(ragged.getWeights());
    const padded = masked.evaluate(padSequences(xs, { maxlen: 10 }), ys, { returnDict: true });
    expect(Math.abs(padded.loss - logs.loss)).toBeLessThan(1e-6);
    expect(padded.accuracy).toBe(logs.accuracy);
  });
});
