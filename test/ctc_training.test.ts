/**
 * The ctc loss as a model's loss: label-sequence targets through toSamples/makeBatch, the loss
 * reduction (Σ ℓ·w / B), sample weights, metrics, evaluate, threads and errors at the boundary.
 */
import { describe, expect, it } from "vitest";
import { Random, type TargetsData, layers, sequential, terminateWorkers } from "../src/node.js";
import { ctc } from "../src/training/ctc/ctc_loss.js";
import { ctcDecode } from "../src/training/ctc/ctc_decode.js";
import { errorRates } from "../src/training/edit_distance.js";
import { packLayout } from "../src/data/packed.js";

/** A toy task: each input id i (1..4) is spoken as label i, doubled letters ("1 1") as one label. */
function toyData(n: number, seed: number): { xs: number[][]; ys: number[][] } {
  const rng = new Random(seed);
  const xs: number[][] = [];
  const ys: number[][] = [];
  for (let i = 0; i < n; i++) {
    const len = rng.int(2, 7);
    const x = Array.from({ length: len }, () => rng.int(1, 5));
    xs.push(x);
    ys.push(x.filter((v, t) => t === 0 || v !== x[t - 1]));
  }
  return { xs, ys };
}

function toyModel(seed = 3, fromLogits = false) {
  return sequential(
    [
      layers.embedding({ inputDim: 5, outputDim: 8 }),
      layers.bidirectional({ layer: layers.lstm({ units: 12, returnSequences: true }) }),
      layers.timeDistributed({ layer: layers.dense({ units: 5, activation: fromLogits ? "linear" : "softmax" }) }),
    ],
    { seed },
  );
}

describe("ctc as a model loss", () => {
  it("trains a Sequential on ragged label sequences: loss falls, metrics improve, greedy decoding learns the task", async () => {
    const { xs, ys } = toyData(96, 1);
    const model = toyModel();
    model.compile({ loss: "ctc", optimizer: { name: "adam", learningRate: 0.02 }, metrics: ["labelErrorRate", "sequenceErrorRate", "accuracy"] });
    const history = await model.fit(xs, ys, { epochs: 25, batchSize: 16, verbose: 0 });
    const loss = history.history.loss as number[];
    expect(loss[loss.length - 1]).toBeLessThan(loss[0] / 4);
    const ler = history.history.labelErrorRate as number[];
    expect(ler[ler.length - 1]).toBeLessThan(ler[0]);
    const acc = history.history.accuracy as number[];
    const ser = history.history.sequenceErrorRate as number[];
    expect(acc[acc.length - 1]).toBeCloseTo(1 - ser[ser.length - 1], 6);
    const decoded = ctcDecode(model.predict(xs.slice(0, 20)) as number[][][]).paths.map((p) => p[0]);
    expect(decoded.filter((d, i) => d.join() === ys[i].join()).length).toBeGreaterThanOrEqual(16);
  });

  it("evaluate: the loss is the mean over samples of −log p, weighted Σ ℓ·w / B; metrics agree with the decoded predictions", async () => {
    const { xs, ys } = toyData(10, 2);
    const model = toyModel(5);
    model.compile({ loss: "ctc", optimizer: "adam", metrics: ["labelErrorRate", "sequence_error_rate"] });
    const preds = model.predict(xs) as number[][][];
    // per-sample losses from the loss itself, one sequence at a time
    const loss = ctc();
    const perSample = preds.map((p, i) => {
      const layout = packLayout([p.length]);
      const out = (loss.computeSequences as NonNullable<typeof loss.computeSequences>)({ pred: Float32Array.from(p.flat()), layout, labels: Float32Array.from(ys[i]), labelOffsets: Int32Array.from([0, ys[i].length]), width: 5, grad: null, scale: null });
      return out[0];
    });
    const weights = xs.map((_, i) => (i % 3) * 0.5);
    const [l, ler, ser] = model.evaluate(xs, ys, { batchSize: 4 }) as number[];
    expect(l).toBeCloseTo(perSample.reduce((a, b) => a + b) / xs.length, 4);
    const weighted = model.evaluate(xs, ys, { batchSize: 100, sampleWeight: weights }) as number[];
    expect(weighted[0]).toBeCloseTo(perSample.reduce((a, b, i) => a + b * weights[i], 0) / xs.length, 4);
    const decoded = ctcDecode(preds).paths.map((p) => p[0]);
    let edits = 0;
    let length = 0;
    let wrong = 0;
    decoded.forEach((d, i) => {
      const e = levenshtein(ys[i], d);
      edits += e;
      length += ys[i].length;
      wrong += e > 0 ? 1 : 0;
    });
    expect(ler).toBeCloseTo(edits / length, 6);
    expect(ser).toBeCloseTo(wrong / xs.length, 6);
  });

  it("trains with fromLogits on a linear output, and with threads gives the threads-1 loss", async () => {
    const { xs, ys } = toyData(40, 4);
    const a = toyModel(7, true);
    const b = toyModel(7, true);
    a.compile({ loss: { name: "ctc", fromLogits: true }, optimizer: "sgd" });
    b.compile({ loss: { name: "ctc", fromLogits: true }, optimizer: "sgd" });
    const la = await a.trainOnBatch(xs, ys);
    const lb = await b.trainOnBatch(xs, ys, { threads: 2 });
    expect(Number.isFinite(la)).toBe(true);
    expect(lb).toBeCloseTo(la, 4);
    expect(a.evaluate(xs, ys)).toBeCloseTo(b.evaluate(xs, ys) as number, 4);
    terminateWorkers(b);
  });

  it("impossible alignments: Infinity by default (never NaN), skipped with zeroInfinity, ignored with weight 0", async () => {
    const xs = [[1, 2], [3, 4, 1]];
    const ys = [[1, 2, 3, 4], [3, 4]]; // sample 0: 4 labels on 2 steps
    const model = toyModel();
    model.compile({ loss: "ctc", optimizer: "sgd" });
    expect(model.evaluate(xs, ys)).toBe(Infinity);
    expect(model.evaluate(xs, ys, { sampleWeight: [0, 1] })).toBeGreaterThan(0);
    expect(Number.isFinite(model.evaluate(xs, ys, { sampleWeight: [0, 1] }) as number)).toBe(true);
    const zi = toyModel();
    zi.compile({ loss: { name: "ctc", zeroInfinity: true }, optimizer: "sgd" });
    const before = zi.getWeights().map((w) => Array.from(w.data));
    const l = await zi.trainOnBatch([xs[0]], [ys[0]]);
    expect(l).toBe(0);
    expect(zi.getWeights().map((w) => Array.from(w.data))).toEqual(before); // zero gradient: nothing moves
  });

  it("coded errors at the boundary: the blank, out-of-range ids, per-step targets, a per-sequence model, row metrics", async () => {
    const model = toyModel();
    model.compile({ loss: "ctc", optimizer: "sgd" });
    const fit = (ys: TargetsData) => model.fit([[1, 2, 3]], ys, { epochs: 1, verbose: 0 });
    await expect(fit([[1, 0]])).rejects.toMatchObject({ code: "TARGET_MISMATCH", message: expect.stringMatching(/ys\[0\]\[1\] is the blank index 0/) });
    await expect(fit([[7]])).rejects.toMatchObject({ code: "TARGET_MISMATCH", message: expect.stringMatching(/ys\[0\]\[0\] is not a class id of the model's 5 outputs/) });
    await expect(fit([3])).rejects.toMatchObject({ code: "TARGET_MISMATCH", message: expect.stringMatching(/must be a label sequence/) });
    const perSequence = sequential([layers.embedding({ inputDim: 5, outputDim: 4 }), layers.lstm({ units: 3 }), layers.dense({ units: 5, activation: "softmax" })]);
    perSequence.compile({ loss: "ctc", optimizer: "sgd" });
    await expect(perSequence.fit([[1, 2]], [[1]], { verbose: 0 })).rejects.toMatchObject({ code: "TARGET_MISMATCH", message: expect.stringMatching(/needs per-step predictions/) });
    const withRowMetric = toyModel();
    withRowMetric.compile({ loss: "ctc", optimizer: "sgd", metrics: ["mae"] });
    await expect(withRowMetric.fit([[1, 2]], [[1]], { verbose: 0 })).rejects.toMatchObject({ code: "TARGET_MISMATCH", message: expect.stringMatching(/does not fit the compiled loss's targets/) });
    const logitsAsProbs = toyModel(3, true);
    logitsAsProbs.compile({ loss: "ctc", optimizer: "sgd" });
    await expect(logitsAsProbs.fit([[1, 2]], [[1]], { verbose: 0 })).rejects.toMatchObject({ code: "PREDICTION_MISMATCH" });
  });

  it("does not mutate the caller's targets", async () => {
    const { xs, ys } = toyData(8, 9);
    const copy = JSON.stringify(ys);
    const model = toyModel();
    model.compile({ loss: "ctc", optimizer: "sgd" });
    await model.fit(xs, ys, { epochs: 1, verbose: 0 });
    expect(JSON.stringify(ys)).toBe(copy);
  });
});

describe("README: the CTC section runs as shown", () => {
  it("compile with ctc and its metrics, fit on label lists, ctcDecode with beam search, errorRates", async () => {
    const rng = new Random(12);
    const xs = Array.from({ length: 12 }, () => Array.from({ length: rng.int(3, 9) }, () => rng.int(1, 55)));
    const ys = xs.map((x) => Array.from({ length: rng.int(1, Math.floor(x.length / 2) + 1) }, () => rng.int(1, 40)));
    const model = sequential([
      layers.embedding({ inputDim: 55, outputDim: 64 }),
      layers.bidirectional({ layer: layers.lstm({ units: 128, returnSequences: true }) }),
      layers.timeDistributed({ layer: layers.dense({ units: 40, activation: "softmax" }) }), // 39 labels + blank 0
    ]);
    model.compile({ loss: "ctc", optimizer: "adam", metrics: ["labelErrorRate", "sequenceErrorRate"] });
    const history = await model.fit(xs, ys, { verbose: 0 });
    expect(Object.keys(history.history)).toEqual(expect.arrayContaining(["loss", "labelErrorRate", "sequenceErrorRate"]));
    const testXs = xs.slice(0, 3);
    const testYs = ys.slice(0, 3);
    const { paths, logProbabilities } = ctcDecode(model.predict(testXs) as number[][][], { strategy: "beamSearch", beamWidth: 16, topPaths: 3 });
    expect(paths.map((p) => p.length)).toEqual([3, 3, 3]);
    expect(logProbabilities[0][0]).toBeGreaterThanOrEqual(logProbabilities[0][1]);
    const r = errorRates(testYs, paths.map((p) => p[0]));
    expect(r.sequences).toBe(3);
    expect(r.labelErrorRate).toBeGreaterThan(0);
  });
});

function levenshtein(a: number[], b: number[]): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) for (let j = 1; j <= b.length; j++) d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
  return d[a.length][b.length];
}
