/**
 * CTC as one output of a multi-output functional model (issue 11): a per-step head trained with
 * the ctc loss on ragged label lists beside a per-sequence head with its own loss. The graph's
 * loss is Σ_k lossWeight_k · loss_k with the ctc term exactly the Sequential ctc loss of the same
 * predictions, evaluate reports `<output>_loss` per output, gradients match central differences,
 * and training lowers both losses.
 */
import { describe, expect, it } from "vitest";
import { Random, type SymbolicTensor, input, layers, model } from "../src/index.js";
import { packLayout } from "../src/data/packed.js";
import { ctc } from "../src/training/ctc/ctc_loss.js";
import { checkGradients, modelBatchOf } from "./harness.js";

/** Each id i (1..4) is said as label i, runs of one id as one label; the count target is the number of labels. */
function data(n: number, seed: number): { xs: number[][]; labels: number[][]; counts: number[][] } {
  const rng = new Random(seed);
  const xs: number[][] = [];
  const labels: number[][] = [];
  for (let i = 0; i < n; i++) {
    const x = Array.from({ length: rng.int(2, 8) }, () => rng.int(1, 5));
    xs.push(x);
    labels.push(x.filter((v, t) => t === 0 || v !== x[t - 1]));
  }
  return { xs, labels, counts: labels.map((l) => [l.length / 4]) };
}

function twoHeads(seed: number) {
  const ids = input({ shape: [null], name: "ids" });
  const e = layers.embedding({ inputDim: 5, outputDim: 6 }).apply(ids) as SymbolicTensor;
  const seq = layers.bidirectional({ layer: layers.lstm({ units: 6, returnSequences: true }) }).apply(e) as SymbolicTensor;
  const speech = layers.timeDistributed({ layer: layers.dense({ units: 5, activation: "softmax" }), name: "speech" }).apply(seq) as SymbolicTensor;
  const count = layers.dense({ units: 1, name: "count" }).apply(layers.gru({ units: 4 }).apply(seq) as SymbolicTensor) as SymbolicTensor;
  return model({ inputs: ids, outputs: [speech, count], seed, name: "ctc_and_count" });
}

/** The ctc loss of one sample's predictions, from the loss itself (blank 0). */
function ctcOf(pred: number[][], label: number[]): number {
  const loss = ctc();
  const compute = loss.computeSequences as NonNullable<typeof loss.computeSequences>;
  return compute({ pred: Float32Array.from(pred.flat()), layout: packLayout([pred.length]), labels: Float32Array.from(label), labelOffsets: Int32Array.from([0, label.length]), width: pred[0].length, grad: null, scale: null })[0];
}

describe("ctc as one output of a multi-output graph", () => {
  it("the loss is Σ w_k · loss_k, the ctc term is the ctc loss of the predictions, and evaluate names both", () => {
    const { xs, labels, counts } = data(12, 1);
    const m = twoHeads(3);
    m.compile({ loss: ["ctc", "meanSquaredError"], lossWeights: [1, 0.5], optimizer: "adam" });
    const [speech, count] = m.predict(xs) as unknown as [number[][][], number[][]];
    expect(speech.map((s) => s.length)).toEqual(xs.map((x) => x.length));
    const ctcMean = speech.reduce((a, p, i) => a + ctcOf(p, labels[i]), 0) / xs.length;
    const mse = count.reduce((a, c, i) => a + (c[0] - counts[i][0]) ** 2, 0) / xs.length;
    const logs = m.evaluate(xs, [labels, counts], { batchSize: 5, returnDict: true });
    expect(logs.speech_loss).toBeCloseTo(ctcMean, 4);
    expect(logs.count_loss).toBeCloseTo(mse, 5);
    expect(logs.loss).toBeCloseTo(ctcMean + 0.5 * mse, 4);
  });

  it("gradients through both heads match central differences", () => {
    const { xs, labels, counts } = data(5, 2);
    const m = twoHeads(4);
    m.compile({ loss: ["ctc", "meanSquaredError"], lossWeights: [1, 2], optimizer: "sgd" });
    expect(checkGradients(m, modelBatchOf(m, xs, [labels, counts]))).toBeGreaterThan(20);
  });

  it("fit lowers both losses, with targets keyed by output name", async () => {
    const { xs, labels, counts } = data(64, 3);
    const m = twoHeads(5);
    m.compile({ loss: { speech: "ctc", count: "meanSquaredError" }, optimizer: { name: "adam", learningRate: 0.02 } });
    const h = await m.fit(xs, { speech: labels, count: counts }, { epochs: 12, batchSize: 16, verbose: 0 });
    const speech = h.history.speech_loss as number[];
    const count = h.history.count_loss as number[];
    expect(speech.at(-1)!).toBeLessThan(speech[0] / 2);
    expect(count.at(-1)!).toBeLessThan(count[0]);
  });
});
