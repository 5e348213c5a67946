// Functional models: forward/backward through merges, shared layers, states passed between layers
// and nested models (finite differences), fit/evaluate/predict with several inputs and outputs.
import { describe, expect, it } from "vitest";
import { Random } from "../src/core/random.js";
import { type SymbolicTensor, input, layers, model, RaggedError, sequential, Tensor } from "../src/index.js";
import { checkGradients, maxRelDiff, modelBatchOf, randomSequences, randomOneHot, randomTargets } from "./harness.js";

const rng = new Random(5);
const lengthsA = [4, 1, 3, 2, 5];
const lengthsB = [2, 3, 1, 4, 2];
const xa = randomSequences(rng, lengthsA, 3);
const xb = randomSequences(rng, lengthsB, 3);

function expectChecked(n: number): void {
  expect(n).toBeGreaterThan(20);
}

describe("gradients through graphs (central differences)", () => {
  for (const op of ["add", "subtract", "multiply", "average", "maximum", "minimum", "concatenate", "dot"] as const) {
    it(`${op} of two per-sequence vectors from inputs of different lengths`, () => {
      const a = input({ shape: [null, 3], name: "a" });
      const b = input({ shape: [null, 3], name: "b" });
      const va = layers.lstm({ units: 4 }).apply(a) as SymbolicTensor;
      let vb = layers.gru({ units: 4 }).apply(b) as SymbolicTensor;
      // maximum / minimum: keep the inputs apart (by ±3, alternating), so differences never cross a kink
      const apart = layers.dense({ units: 4 });
      if (op === "maximum" || op === "minimum") vb = apart.apply(vb) as SymbolicTensor;
      const merged = (op === "dot" ? layers.dot({ axes: -1 }).apply([va, vb]) : layers[op]([va, vb])) as SymbolicTensor;
      const out = layers.dense({ units: 2, activation: "softmax" }).apply(merged) as SymbolicTensor;
      const m = model({ inputs: [a, b], outputs: out, seed: 3 });
      if (op === "maximum" || op === "minimum") {
        const [kernel] = apart.getWeights();
        apart.setWeights([new Tensor(kernel.shape, kernel.data.map((v) => v * 0.1)), new Tensor([4], Float32Array.of(3, -3, 3, -3))]);
      }
      m.compile({ loss: "categoricalCrossentropy", optimizer: "sgd" });
      expectChecked(checkGradients(m, modelBatchOf(m, [xa, xb], randomOneHot(rng, lengthsA, 2, false))));
    });
  }

  it("dot with normalize (cosine) of a per-step input and a vector input, per-step output", () => {
    const a = input({ shape: [null, 3], name: "a" });
    const v = input({ shape: [4], name: "v" });
    const steps = layers.timeDistributed({ layer: layers.dense({ units: 4 }) }).apply(a) as SymbolicTensor;
    const scores = layers.dot({ axes: -1, normalize: true }).apply([steps, layers.dense({ units: 4 }).apply(v) as SymbolicTensor]) as SymbolicTensor;
    expect(scores.shape).toEqual([null, null]);
    const m = model({ inputs: [a, v], outputs: scores, seed: 9 });
    m.compile({ loss: "meanSquaredError", optimizer: "sgd" });
    const vs = lengthsA.map(() => Array.from({ length: 4 }, () => rng.uniformRange(-1, 1)));
    expectChecked(checkGradients(m, modelBatchOf(m, [xa, vs], randomTargets(rng, lengthsA, 1, true))));
    const out = m.predict({ a: xa, v: vs }) as number[][][];
    expect(out.map((o) => o.length)).toEqual(lengthsA);
    for (const o of out) for (const [s] of o) expect(Math.abs(s)).toBeLessThanOrEqual(1 + 1e-6);
  });

  it("per-step merges and a vector broadcast over steps (add), residual around an LSTM", () => {
    const a = input({ shape: [null, 3], name: "a" });
    const seq = layers.lstm({ units: 3, returnSequences: true }).apply(a) as SymbolicTensor;
    const res = layers.add([a, seq]);
    const vec = layers.simpleRNN({ units: 3 }).apply(a) as SymbolicTensor;
    const both = layers.multiply([res, vec]);
    const cat = layers.concatenate([both, seq]);
    const out = layers.timeDistributed({ layer: layers.dense({ units: 2 }) }).apply(cat) as SymbolicTensor;
    const m = model({ inputs: a, outputs: out, seed: 4 });
    m.compile({ loss: "meanSquaredError", optimizer: "sgd" });
    expectChecked(checkGradients(m, modelBatchOf(m, xa, randomTargets(rng, lengthsA, 2, true))));
  });

  it("a shared embedding and LSTM used by two inputs, states passed to a decoder, a nested model", () => {
    const enc = input({ shape: [null], name: "enc" });
    const dec = input({ shape: [null], name: "dec" });
    const embed = layers.embedding({ inputDim: 7, outputDim: 3 });
    const [, h, c] = layers.lstm({ units: 4, returnState: true }).apply(embed.apply(enc) as SymbolicTensor) as SymbolicTensor[];
    const decoded = layers.lstm({ units: 4, returnSequences: true }).apply(embed.apply(dec) as SymbolicTensor, { initialState: [h, c] }) as SymbolicTensor;
    // a nested model: a dense head used as a layer
    const headIn = input({ shape: [null, 4] });
    const head = model({ inputs: headIn, outputs: layers.dense({ units: 5, activation: "softmax" }).apply(headIn) as SymbolicTensor, seed: 2 });
    const out = head.apply(decoded) as SymbolicTensor;
    expect(out.lengths).toEqual({ kind: "input", input: "dec", through: [] });
    const m = model({ inputs: [enc, dec], outputs: out, seed: 6 });
    expect(m.weights.length).toBe(1 + 3 + 3 + 2);
    m.compile({ loss: "sparseCategoricalCrossentropy", optimizer: "sgd" });
    const ids = (lens: number[]) => lens.map((l) => Array.from({ length: l }, () => rng.int(0, 7)));
    const ys = lengthsB.map((l) => Array.from({ length: l }, () => [rng.int(0, 5)]));
    expectChecked(checkGradients(m, modelBatchOf(m, { enc: ids(lengthsA), dec: ids(lengthsB) }, ys)));
  });
});

describe("Bidirectional with returnState and initialState (central differences)", () => {
  for (const cell of ["lstm", "gru"] as const) {
    it(`a bidirectional ${cell} encoder's states (forward's, then backward's) start a bidirectional decoder and a decoder of twice the units`, () => {
      const enc = input({ shape: [null, 3], name: "enc" });
      const dec = input({ shape: [null, 3], name: "dec" });
      const outs = layers.bidirectional({ layer: layers[cell]({ units: 3, returnState: true }) }).apply(enc) as SymbolicTensor[];
      const states = outs.slice(1);
      expect(outs.length).toBe(cell === "lstm" ? 5 : 3);
      for (const s of states) expect(s.shape).toEqual([null, 3]);
      // the states of each direction start the same direction of a second bidirectional layer ...
      const again = layers.bidirectional({ layer: layers[cell]({ units: 3, returnSequences: true }) }).apply(dec, { initialState: states }) as SymbolicTensor;
      // ... and, concatenated, a decoder of twice the units
      const half = states.length / 2;
      const joined = states.slice(0, half).map((f, k) => layers.concatenate({}).apply([f, states[half + k]]) as SymbolicTensor);
      const decoded = layers[cell]({ units: 6, returnSequences: true }).apply(dec, { initialState: joined }) as SymbolicTensor;
      const both = layers.concatenate({}).apply([again, decoded]) as SymbolicTensor;
      const out = layers.timeDistributed({ layer: layers.dense({ units: 2 }) }).apply(both) as SymbolicTensor;
      const m = model({ inputs: [enc, dec], outputs: out, seed: 8 });
      m.compile({ loss: "meanSquaredError", optimizer: "sgd" });
      expectChecked(checkGradients(m, modelBatchOf(m, [xa, xb], randomTargets(rng, lengthsB, 2, true))));
    });
  }

  it("a Sequential model refuses a bidirectional layer with returnState; a wrong count of initial states is SHAPE_MISMATCH", () => {
    expect(() => sequential([layers.bidirectional({ layer: layers.lstm({ units: 2, returnState: true }), inputShape: [null, 3] })])).toThrowError(
      expect.objectContaining({ code: "UNSUPPORTED" }),
    );
    const x = input({ shape: [null, 3] });
    const [, h, c] = layers.lstm({ units: 2, returnState: true }).apply(x) as SymbolicTensor[];
    expect(() => layers.bidirectional({ layer: layers.lstm({ units: 2 }) }).apply(x, { initialState: [h, c] })).toThrowError(expect.objectContaining({ code: "SHAPE_MISMATCH" }));
  });
});

describe("training graphs", () => {
  it("two inputs, two outputs: fit logs Keras' names, lossWeights weight the total, predict gives both", async () => {
    const a = input({ shape: [null, 3], name: "a" });
    const b = input({ shape: [null, 3], name: "b" });
    const seq = layers.lstm({ units: 4, returnSequences: true }).apply(a) as SymbolicTensor;
    const perStep = layers.timeDistributed({ layer: layers.dense({ units: 2, activation: "softmax" }), name: "tags" }).apply(seq) as SymbolicTensor;
    const both = layers.concatenate([layers.lstm({ units: 3 }).apply(b) as SymbolicTensor, layers.globalAveragePooling1D().apply(seq) as SymbolicTensor]);
    const perSeq = layers.dense({ units: 1, name: "score" }).apply(both) as SymbolicTensor;
    const m = model({ inputs: [a, b], outputs: [perStep, perSeq], seed: 8 });
    expect(m.outputNames).toEqual(["tags", "score"]);
    m.compile({ loss: { tags: "categoricalCrossentropy", score: "meanSquaredError" }, optimizer: "adam", lossWeights: [1, 0.5], metrics: { tags: ["accuracy"] } });
    const ys = { tags: randomOneHot(rng, lengthsA, 2, true), score: randomTargets(rng, lengthsA, 1, false) };
    const history = await m.fit({ a: xa, b: xb }, ys, { epochs: 2, batchSize: 2, verbose: 0, validationData: [[xa, xb], [ys.tags, ys.score]] });
    expect(Object.keys(history.history).sort()).toEqual(["loss", "score_loss", "tags_accuracy", "tags_loss", "val_loss", "val_score_loss", "val_tags_accuracy", "val_tags_loss"]);
    const logs = m.evaluate([xa, xb], [ys.tags, ys.score], { returnDict: true, batchSize: 5 }) as Record<string, number>;
    expect(logs.loss).toBeCloseTo(logs.tags_loss + 0.5 * logs.score_loss, 5);
    const [tags, score] = m.predict([xa, xb]) as unknown as [number[][][], number[][]];
    expect(tags.map((t) => t.length)).toEqual(lengthsA);
    expect(score.map((s) => s.length)).toEqual([1, 1, 1, 1, 1]);
  });

  it("wrong number or names of inputs and targets are coded errors", () => {
    const a = input({ shape: [null, 3], name: "a" });
    const b = input({ shape: [null, 3], name: "b" });
    const out = layers.dense({ units: 1 }).apply(layers.concatenate([layers.lstm({ units: 2 }).apply(a) as SymbolicTensor, layers.lstm({ units: 2 }).apply(b) as SymbolicTensor])) as SymbolicTensor;
    const m = model({ inputs: [a, b], outputs: out });
    m.compile({ loss: "mse", optimizer: "sgd" });
    const code = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        return (e as RaggedError).code;
      }
      return "no error";
    };
    const ys = randomTargets(rng, lengthsA, 1, false);
    expect(code(() => m.evaluate([xa], ys))).toBe("INPUT_MISMATCH");
    expect(code(() => m.evaluate({ a: xa, c: xb }, ys))).toBe("INPUT_MISMATCH");
    expect(code(() => m.evaluate({ a: xa, b: xb.slice(1) }, ys))).toBe("INPUT_MISMATCH");
    expect(code(() => m.evaluate([xa, xb], { nope: ys }))).toBe("TARGET_MISMATCH");
    expect(code(() => m.compile({ loss: { nope: "mse" }, optimizer: "sgd" }))).toBe("TARGET_MISMATCH");
  });
});

describe("functional summary", () => {
  it("prints Keras' table with Connected to, shared layers and several outputs", () => {
    const enc = input({ shape: [null, 3], name: "enc_in" });
    const dec = input({ shape: [null, 2], name: "dec_in" });
    const [, h, c] = layers.lstm({ units: 4, returnState: true, name: "encoder" }).apply(enc) as SymbolicTensor[];
    const seq = layers.lstm({ units: 4, returnSequences: true, name: "decoder" }).apply(dec, { initialState: [h, c] }) as SymbolicTensor;
    const out = layers.timeDistributed({ layer: layers.dense({ units: 5, activation: "softmax" }), name: "probs" }).apply(seq) as SymbolicTensor;
    const m = model({ inputs: [enc, dec], outputs: out, name: "seq2seq", seed: 1 });
    const lines: string[] = [];
    const text = m.summary({ print: (l) => lines.push(l) });
    expect(lines[0]).toBe('Model: "seq2seq"');
    expect(lines[2]).toMatch(/^Layer \(type\)\s+Output Shape\s+Param #\s+Connected to$/);
    expect(text).toMatch(/enc_in \(InputLayer\)\s+\[\(None, None, 3\)\]\s+0/);
    expect(text).toMatch(/encoder \(LSTM\)\s+\[\(None, 4\), \(None, 4 128\s+enc_in\[0\]\[0\]/);
    // the decoder reads dec_in and both encoder states
    const decoderRow = lines.findIndex((l) => l.startsWith("decoder (LSTM)"));
    expect(lines[decoderRow]).toMatch(/\(None, None, 4\)\s+112\s+dec_in\[0\]\[0\]$/);
    expect(lines[decoderRow + 1].trim()).toBe("encoder[0][1]");
    expect(lines[decoderRow + 2].trim()).toBe("encoder[0][2]");
    expect(text).toMatch(/probs \(TimeDistributed\)\s+\(None, None, 5\)\s+25\s+decoder\[0\]\[0\]/);
    expect(text).toContain(`Total params: ${(128 + 112 + 25).toLocaleString("en-US")}`);
  });
});

function errorCode(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    return e instanceof RaggedError ? e.code : `not a RaggedError: ${String(e)}`;
  }
  return "no error";
}

describe("coded errors for bad graphs", () => {
  it("an output not reachable from the inputs, a cycle, merges of bad shapes or of different lengths", () => {
    const a = input({ shape: [null, 3], name: "a" });
    const b = input({ shape: [null, 3], name: "b" });
    const ha = layers.lstm({ units: 4 }).apply(a) as SymbolicTensor;
    const hb = layers.lstm({ units: 4 }).apply(b) as SymbolicTensor;
    const both = layers.add([ha, hb]);
    expect(errorCode(() => model({ inputs: a, outputs: both }))).toBe("GRAPH_DISCONNECTED");
    // a cycle cannot be drawn with apply (it only adds tensors); a corrupted graph (e.g. from a file) is caught
    const x = input({ shape: [null, 3], name: "x" });
    const y = layers.dense({ units: 3 }).apply(x) as SymbolicTensor;
    const z = layers.dense({ units: 3 }).apply(y) as SymbolicTensor;
    (y.node as unknown as { inputs: SymbolicTensor[] }).inputs = [z];
    expect(errorCode(() => model({ inputs: x, outputs: z }))).toBe("GRAPH_CYCLE");
    // shapes at a merge
    const wide = layers.lstm({ units: 5 }).apply(a) as SymbolicTensor;
    expect(errorCode(() => layers.add([ha, wide]))).toBe("SHAPE_MISMATCH");
    const seqA = layers.lstm({ units: 4, returnSequences: true }).apply(a) as SymbolicTensor;
    expect(errorCode(() => layers.concatenate([seqA, ha]))).toBe("SHAPE_MISMATCH");
    expect(errorCode(() => layers.dot({ axes: -1 }).apply([ha, wide]))).toBe("SHAPE_MISMATCH");
    expect(errorCode(() => layers.subtract([ha, hb, ha]))).toBe("INVALID_ARGUMENT");
    // per-step merges of tensors whose lengths come from different inputs
    const seqB = layers.lstm({ units: 4, returnSequences: true }).apply(b) as SymbolicTensor;
    expect(errorCode(() => layers.concatenate([seqA, seqB]))).toBe("LENGTH_MISMATCH");
    expect(errorCode(() => layers.add([seqA, seqB]))).toBe("LENGTH_MISMATCH");
    // …which repeatVector resolves: a vector of input a, repeated to input b's steps
    const onB = layers.repeatVector({ n: "inputLength", inputName: "b" }).apply(ha) as SymbolicTensor;
    expect((layers.concatenate([onB, seqB]) as SymbolicTensor).shape).toEqual([null, null, 8]);
    // …and must name an input the model has: refused when the model is built, not when it first runs
    const onNothing = layers.repeatVector({ n: "inputLength", inputName: "typo", name: "to_typo" }).apply(ha) as SymbolicTensor;
    let refusal: RaggedError | null = null;
    try {
      model({ inputs: a, outputs: onNothing });
    } catch (e) {
      refusal = e as RaggedError;
    }
    expect(refusal?.code).toBe("GRAPH_DISCONNECTED");
    expect(refusal?.message).toContain('layer "to_typo" gives steps with the lengths of input "typo", which is not among the model\'s inputs');
    expect(refusal?.expected).toBe('one of "a"');
  });

  it("a missing initialState shape, and a model input given twice", () => {
    const x = input({ shape: [null, 3], name: "x" });
    const noWidth = input({ shape: [null], name: "ids" });
    expect(errorCode(() => layers.lstm({ units: 4 }).apply(x, { initialState: [noWidth, noWidth] }))).toBe("SHAPE_MISMATCH");
    expect(errorCode(() => layers.lstm({ units: 4 }).apply(x, { initialState: [input({ shape: [4] })] }))).toBe("SHAPE_MISMATCH");
    expect(errorCode(() => model({ inputs: [x, x], outputs: layers.lstm({ units: 2 }).apply(x) as SymbolicTensor }))).toBe("INVALID_ARGUMENT");
    expect(errorCode(() => model({ inputs: layers.dense({ units: 2 }).apply(x) as SymbolicTensor, outputs: x }))).toBe("INVALID_ARGUMENT");
  });
});

describe("the classic decoder pattern", () => {
  it("an encoder model and a one-step decoder model sharing the trained layers equal the teacher-forced graph step by step", async () => {
    const V = 5;
    const H = 6;
    const source = input({ shape: [null, V], name: "source" });
    const target = input({ shape: [null, V], name: "target" });
    const [, h, c] = layers.lstm({ units: H, returnState: true, name: "enc" }).apply(source) as SymbolicTensor[];
    const decoderLstm = layers.lstm({ units: H, returnSequences: true, returnState: true, name: "dec" });
    const [decoded] = decoderLstm.apply(target, { initialState: [h, c] }) as SymbolicTensor[];
    const toProbs = layers.timeDistributed({ layer: layers.dense({ units: V, activation: "softmax" }), name: "probs" });
    const training = model({ inputs: [source, target], outputs: toProbs.apply(decoded) as SymbolicTensor, seed: 12 });
    training.compile({ loss: "categoricalCrossentropy", optimizer: "adam" });
    const r = new Random(13);
    const srcLengths = [4, 2, 6, 3];
    const tgtLengths = [3, 5, 2, 4];
    const oneHots = (lens: number[]) => randomOneHot(r, lens, V, true) as number[][][];
    const xs = oneHots(srcLengths);
    const decIn = oneHots(tgtLengths);
    await training.fit({ source: xs, target: decIn }, oneHots(tgtLengths), { epochs: 2, batchSize: 2, verbose: 0 });
    const teacherForced = training.predict({ source: xs, target: decIn }) as number[][][];

    const encoder = model({ inputs: source, outputs: [h, c] });
    const token = input({ shape: [null, V], name: "token" });
    const hIn = input({ shape: [H], name: "h_in" });
    const cIn = input({ shape: [H], name: "c_in" });
    const [step, h2, c2] = decoderLstm.apply(token, { initialState: [hIn, cIn] }) as SymbolicTensor[];
    const decoder = model({ inputs: [token, hIn, cIn], outputs: [toProbs.apply(step) as SymbolicTensor, h2, c2] });
    expect(decoder.weights.length).toBe(decoderLstm.weights.length + 2);

    let [hs, cs] = encoder.predict(xs) as unknown as number[][][];
    const maxLen = Math.max(...tgtLengths);
    for (let t = 0; t < maxLen; t++) {
      const live = tgtLengths.map((n, i) => (t < n ? i : -1)).filter((i) => i >= 0);
      const [probs, hNext, cNext] = decoder.predict({ token: live.map((i) => [decIn[i][t]]), h_in: live.map((i) => hs[i]), c_in: live.map((i) => cs[i]) }) as unknown as [number[][][], number[][], number[][]];
      live.forEach((i, k) => {
        expect(probs[k].length).toBe(1);
        expect(maxRelDiff(probs[k][0], teacherForced[i][t])).toBeLessThan(1e-5);
        hs = hs.map((row, j) => (j === i ? hNext[k] : row));
        cs = cs.map((row, j) => (j === i ? cNext[k] : row));
      });
    }
  });
});

describe("graph training loops", () => {
  it("fitDataset, callbacks, bucketing by the total length of a sample's inputs, evaluateDataset and predictDataset", async () => {
    const a = input({ shape: [null, 3], name: "a" });
    const b = input({ shape: [null, 3], name: "b" });
    const out = layers.dense({ units: 1, name: "y" }).apply(layers.concatenate([layers.lstm({ units: 3 }).apply(a) as SymbolicTensor, layers.gru({ units: 3 }).apply(b) as SymbolicTensor])) as SymbolicTensor;
    const m = model({ inputs: [a, b], outputs: out, seed: 21 });
    m.compile({ loss: "mse", optimizer: "adam", metrics: ["mae"] });
    const r = new Random(22);
    const n = 32;
    const la = Array.from({ length: n }, () => r.int(1, 9));
    const lb = Array.from({ length: n }, (_, i) => (i % 2 ? 1 : 12));
    const xs = { a: randomSequences(r, la, 3), b: randomSequences(r, lb, 3) };
    const ys = randomTargets(r, la, 1, false);
    const ends: string[][] = [];
    const history = await m.fit(xs, ys, { epochs: 2, batchSize: 8, verbose: 0, callbacks: [{ onEpochEnd: (_e, logs) => void ends.push(Object.keys(logs ?? {}).sort()) }] });
    expect(ends).toEqual([["loss", "mae"], ["loss", "mae"]]);
    const total = la.reduce((s, x) => s + x, 0) + lb.reduce((s, x) => s + x, 0);
    expect(history.batchStats[0].realSteps).toBe(total);
    // batches group samples of similar total length: the b lengths (1 or 12) dominate, so each
    // batch holds only one kind
    const seen: number[][] = [];
    const original = m.runMany.bind(m);
    m.runMany = (values, options) => {
      if (options.training) seen.push(Array.from(values[1].layout.lengths));
      return original(values, options);
    };
    await m.fit(xs, ys, { epochs: 1, batchSize: 8, verbose: 0 });
    m.runMany = original;
    expect(seen.length).toBe(4);
    for (const lengths of seen) expect(new Set(lengths).size).toBe(1);
    function* batches() {
      for (let s = 0; s < n; s += 8) yield { xs: { a: xs.a.slice(s, s + 8), b: xs.b.slice(s, s + 8) }, ys: ys.slice(s, s + 8) };
    }
    const fromDataset = await m.fitDataset(() => batches(), { epochs: 2, verbose: 0 });
    expect(fromDataset.history.loss).toHaveLength(2);
    const evaluated = (await m.evaluateDataset(() => batches(), { returnDict: true })) as Record<string, number>;
    expect(Object.keys(evaluated).sort()).toEqual(["loss", "mae"]);
    const predicted = (await m.predictDataset(() => batches())) as number[][];
    expect(predicted).toHaveLength(n);
    expect(maxRelDiff(predicted.flat(), (m.predict(xs) as number[][]).flat())).toBeLessThan(1e-6);
  });
});

describe("several outputs split across threads", () => {
  it("shares computed with the whole batch's denominators add up to the one-thread loss and gradients", async () => {
    const { shardGradients, computeGradients } = await import("../src/training/train_step.js");
    const { makeGraphBatch, outputCounts, readSamples } = await import("../src/training/graph_samples.js");
    const x = input({ shape: [null, 3], name: "x" });
    const seq = layers.lstm({ units: 4, returnSequences: true }).apply(x) as SymbolicTensor;
    const tags = layers.timeDistributed({ layer: layers.dense({ units: 2, activation: "softmax" }) }).apply(seq) as SymbolicTensor;
    const score = layers.dense({ units: 1 }).apply(layers.lstm({ units: 2 }).apply(seq) as SymbolicTensor) as SymbolicTensor;
    const m = model({ inputs: x, outputs: [tags, score], seed: 31 });
    m.compile({ loss: ["categoricalCrossentropy", "mse"], optimizer: "sgd", lossWeights: [0.7, 2] });
    const samples = readSamples(m, xa, [randomOneHot(rng, lengthsA, 2, true), randomTargets(rng, lengthsA, 1, false)], true) as import("../src/training/graph_samples.js").GraphSamples;
    const all = makeGraphBatch(samples, [0, 1, 2, 3, 4]);
    const whole = computeGradients(m, all);
    const wholeGrads = m.trainableWeights.map((v) => Float32Array.from(v.grad));
    const shares = [[0, 3], [1, 2, 4]].map((ix) => makeGraphBatch(samples, ix));
    const denominators = [0, 1].map((k) => shares.reduce((n, b) => n + outputCounts(b, m.outputSpecs(), m.inputNames)[k], 0));
    expect(denominators).toEqual([lengthsA.reduce((a, b) => a + b, 0), 5]);
    let loss = 0;
    const sums = m.trainableWeights.map((v) => new Float32Array(v.size));
    for (const b of shares) {
      loss += shardGradients(m, b, [], undefined, denominators).loss;
      m.trainableWeights.forEach((v, i) => v.grad.forEach((g, j) => (sums[i][j] += g)));
    }
    expect(Math.abs(loss - whole.loss)).toBeLessThan(1e-6);
    sums.forEach((s, i) => expect(maxRelDiff(s, wholeGrads[i])).toBeLessThan(1e-6));
  });
});

describe("shared recurrent layers in one pass", () => {
  it("one LSTM applied to two inputs, and a bidirectional GRU, keep one kernel cache per call (central differences)", () => {
    const a = input({ shape: [null, 3], name: "a" });
    const b = input({ shape: [null, 3], name: "b" });
    const shared = layers.lstm({ units: 4 });
    const bi = layers.bidirectional({ layer: layers.gru({ units: 3 }) });
    const both = layers.concatenate([shared.apply(a) as SymbolicTensor, shared.apply(b) as SymbolicTensor, bi.apply(a) as SymbolicTensor, bi.apply(b) as SymbolicTensor]);
    const m = model({ inputs: [a, b], outputs: layers.dense({ units: 2, activation: "softmax" }).apply(both) as SymbolicTensor, seed: 41 });
    expect(m.weights.length).toBe(3 + 6 + 2);
    m.compile({ loss: "categoricalCrossentropy", optimizer: "sgd" });
    expectChecked(checkGradients(m, modelBatchOf(m, [xa, xb], randomOneHot(rng, lengthsA, 2, false)), { perVariable: 16 }));
  });
});
