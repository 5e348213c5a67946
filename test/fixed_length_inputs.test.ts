/**
 * A declared number of steps is enforced on the data, as Keras enforces it (NOTE [ fixed step
 * counts ] in src/models/functional.ts):
 * - a functional `input({ shape: [T, d] })` takes only samples of T steps, as the Sequential's
 *   `inputShape: [T, d]` always did, and `input({ shape: [T] })` feeding an embedding only T ids;
 * - a model nested on `[T, d]` / `[T]` and applied to a `[null, d]` / `[null]` tensor (which Keras
 *   accepts when the graph is built: None fits any count) takes only data that brings it T steps,
 *   through the layers that change lengths on the way; a different fixed count is refused when
 *   the model is applied;
 * - every door refuses alike, before any batch runs: fit (and its validationData), evaluate,
 *   predict, trainOnBatch, fitDataset, evaluateDataset, predictDataset;
 * - the error is SHAPE_MISMATCH naming the sample, its length, the input (or nested model) and T,
 *   and the shape to declare for any length; Sequential and functional say it alike;
 * - the caller's arrays are not changed, and a refused fit leaves the weights alone.
 * Before the fix a functional `[T, d]` input and a nested model's fixed T took any length.
 */
import { describe, expect, it } from "vitest";
import { Random } from "../src/core/random.js";
import { type LayersModel, RaggedError, type SymbolicTensor, input, layers, model, sequential } from "../src/index.js";
import { randomSequences, refused } from "./harness.js";

const T = 5;
const D = 2;

async function refusedAsync(f: () => Promise<unknown>): Promise<RaggedError> {
  try {
    await f();
  } catch (e) {
    if (e instanceof RaggedError) return e;
    throw e;
  }
  throw new Error("no error");
}

/** input [steps, D] (named "seq") → LSTM → dense: one row per sample. */
function functionalOn(steps: number | null, seed = 1): LayersModel {
  const x = input({ shape: [steps, D], name: "seq" });
  const h = layers.lstm({ units: 3 }).apply(x) as SymbolicTensor;
  const m = model({ inputs: x, outputs: layers.dense({ units: 1 }).apply(h) as SymbolicTensor, seed });
  m.compile({ loss: "meanSquaredError", optimizer: "sgd" });
  return m;
}

function sequentialOn(steps: number | null, seed = 1): LayersModel {
  const m = sequential([layers.lstm({ units: 3, inputShape: [steps, D] }), layers.dense({ units: 1 })], { seed });
  m.compile({ loss: "meanSquaredError", optimizer: "sgd" });
  return m;
}

/** Ids input [T] (named "ids") → embedding → LSTM → dense, functional or Sequential. */
function idsModel(kind: "functional" | "sequential", steps: number | null): LayersModel {
  const emb = () => layers.embedding({ inputDim: 10, outputDim: 3, ...(kind === "sequential" ? { inputShape: [steps] } : {}) });
  if (kind === "sequential") return sequential([emb(), layers.lstm({ units: 3 }), layers.dense({ units: 1 })], { seed: 2 });
  const x = input({ shape: [steps], name: "ids" });
  const h = layers.lstm({ units: 3 }).apply(emb().apply(x) as SymbolicTensor) as SymbolicTensor;
  return model({ inputs: x, outputs: layers.dense({ units: 1 }).apply(h) as SymbolicTensor, seed: 2 });
}

/** outer input [null, D] ("outer") → the model → dense. */
function outerAround(inner: LayersModel, seed = 3): LayersModel {
  const x = input({ shape: [null, D], name: "outer" });
  const y = layers.dense({ units: 1 }).apply(inner.apply(x) as SymbolicTensor) as SymbolicTensor;
  const m = model({ inputs: x, outputs: y, seed });
  m.compile({ loss: "meanSquaredError", optimizer: "sgd" });
  return m;
}

/** A model on [T, D] with one output row per sample (LSTM last state). */
function innerOn(kind: "functional" | "sequential"): LayersModel {
  if (kind === "sequential") return sequential([layers.lstm({ units: 3, inputShape: [T, D] })], { name: "inner", seed: 4 });
  const x = input({ shape: [T, D], name: "inner_in" });
  return model({ inputs: x, outputs: layers.lstm({ units: 3 }).apply(x) as SymbolicTensor, name: "inner", seed: 4 });
}

const rng = new Random(7);
const good = () => randomSequences(rng, [T, T, T], D);
const bad = () => randomSequences(rng, [T, 4, T], D);
const targets = [[0], [1], [0]];

/** Every door with (xs, ys): each must refuse the same data with the same error. */
async function everyDoor(m: LayersModel, xs: unknown, ys: unknown): Promise<RaggedError[]> {
  const mm = m as LayersModel<unknown, unknown>;
  return [
    refused(() => mm.predict(xs)),
    refused(() => mm.evaluate(xs, ys)),
    await refusedAsync(() => mm.fit(xs, ys, { epochs: 1, verbose: 0, threads: 1 })),
    await refusedAsync(() => mm.fit(good(), targets, { epochs: 1, verbose: 0, threads: 1, validationData: [xs, ys] })),
    await refusedAsync(() => mm.trainOnBatch(xs, ys, { threads: 1 })),
    await refusedAsync(() => mm.fitDataset([{ xs, ys }], { epochs: 1, verbose: 0, threads: 1 })),
    await refusedAsync(() => mm.evaluateDataset([{ xs, ys }])),
    await refusedAsync(() => mm.predictDataset([{ xs }])),
  ];
}

async function everyDoorTakes(m: LayersModel, xs: unknown, ys: unknown): Promise<void> {
  const mm = m as LayersModel<unknown, unknown>;
  expect((mm.predict(xs) as number[][]).length).toBe(3);
  expect(Number.isFinite(mm.evaluate(xs, ys) as number)).toBe(true);
  await mm.fit(xs, ys, { epochs: 1, verbose: 0, threads: 1, validationData: [xs, ys] });
  expect(Number.isFinite(await mm.trainOnBatch(xs, ys, { threads: 1 }))).toBe(true);
  await mm.fitDataset([{ xs, ys }], { epochs: 1, verbose: 0, threads: 1 });
  expect(Number.isFinite((await mm.evaluateDataset([{ xs, ys }])) as number)).toBe(true);
  expect(((await mm.predictDataset([{ xs }])) as number[][]).length).toBe(3);
}

describe("functional input({ shape: [T, d] })", () => {
  it("takes samples of exactly T steps in every door", async () => {
    await everyDoorTakes(functionalOn(T), good(), targets);
  });

  it("refuses another length in every door: SHAPE_MISMATCH naming the input, T, the sample and its length", async () => {
    for (const e of await everyDoor(functionalOn(T), bad(), targets)) {
      expect(e.code).toBe("SHAPE_MISMATCH");
      expect(e.message).toMatch(/xs\[1\] has 4 steps, but the model's input "seq" fixes 5\./);
      expect(e.expected).toContain(`input "seq" of shape [${T}, ${D}]`);
      expect(e.received).toBe("4 steps");
      expect(e.help).toContain(`input({ shape: [null, ${D}], name: "seq" })`);
      expect(e.help).toContain(`padSequences({ maxlen: ${T} })`);
    }
  });

  it("names the input's data among several inputs, and checks each input on its own", () => {
    const a = input({ shape: [T, D], name: "a" });
    const b = input({ shape: [null, D], name: "b" });
    const ha = layers.lstm({ units: 2 }).apply(a) as SymbolicTensor;
    const hb = layers.lstm({ units: 2 }).apply(b) as SymbolicTensor;
    const m = model({ inputs: [a, b], outputs: layers.concatenate().apply([ha, hb]) as SymbolicTensor, seed: 5 });
    expect((m.predict({ a: good(), b: randomSequences(rng, [1, 7, 3], D) }) as number[][]).length).toBe(3);
    const e = refused(() => m.predict({ a: randomSequences(rng, [T, T, 6], D), b: good() }));
    expect(e.code).toBe("SHAPE_MISMATCH");
    expect(e.message).toContain(`xs.a[2] has 6 steps, but the model's input "a" fixes ${T}.`);
  });

  it("a flat typed-array sample of another length is refused too", () => {
    const flat = [new Float32Array(T * D), new Float32Array(3 * D)];
    const e = refused(() => functionalOn(T).predict(flat));
    expect(e.code).toBe("SHAPE_MISMATCH");
    expect(e.message).toContain("xs[1] has 3 steps");
  });

  it("[null, d] takes any length, with the numbers of the [T, d] model on T steps", () => {
    const free = functionalOn(null);
    expect((free.predict(randomSequences(rng, [1, 9, 30], D)) as number[][]).length).toBe(3);
    const xs = good();
    expect(free.predict(xs)).toEqual(functionalOn(T).predict(xs));
  });

  it("does not change the caller's arrays, accepted or refused, and a refused fit moves no weight", async () => {
    const m = functionalOn(T);
    const accepted = good();
    const acceptedCopy = structuredClone(accepted);
    await m.fit(accepted, targets, { epochs: 1, verbose: 0, threads: 1 });
    m.predict(accepted);
    expect(accepted).toEqual(acceptedCopy);
    const rejected = bad();
    const rejectedCopy = structuredClone(rejected);
    const ys = structuredClone(targets);
    const before = m.getWeights().map((w) => Array.from(w.data));
    expect((await refusedAsync(() => m.fit(rejected, ys, { epochs: 1, verbose: 0, threads: 1 }))).code).toBe("SHAPE_MISMATCH");
    expect(refused(() => m.predict(rejected)).code).toBe("SHAPE_MISMATCH");
    expect(m.getWeights().map((w) => Array.from(w.data))).toEqual(before);
    expect(rejected).toEqual(rejectedCopy);
    expect(ys).toEqual(targets);
  });
});

describe("Sequential and functional say it alike", () => {
  const normalise = (e: RaggedError, by: string) => ({
    code: e.code,
    // each door names its data ("xs", "validationData xs", "batch 0 xs")
    sentence: e.message.split("\n")[0].replace(by, "BY").replace(/^.*?xs\[/, "xs["),
    received: e.received,
    pad: /padSequences\(\{ maxlen: \d+ \}\)/.exec(e.help ?? "")?.[0],
    anyLength: /\[null(, \d+)?\]/.exec(e.help ?? "")?.[0],
  });

  it("for steps: the same code, sentence, received and fix", async () => {
    const xs = bad();
    const s = refused(() => sequentialOn(T).predict(xs));
    const f = refused(() => functionalOn(T).predict(xs));
    expect(s.message).toContain("xs[1] has 4 steps, but the model's inputShape fixes 5.");
    expect(s.help).toContain(`inputShape: [null, ${D}]`);
    expect(normalise(f, `the model's input "seq"`)).toEqual(normalise(s, "the model's inputShape"));
    await everyDoorTakes(sequentialOn(T), good(), targets);
    for (const e of await everyDoor(sequentialOn(T), xs, targets)) expect(normalise(e, "the model's inputShape")).toEqual(normalise(s, "the model's inputShape"));
  });

  it("for token ids: [T] feeding an embedding takes T ids, and refuses others alike", () => {
    const ids = [[1, 2, 3, 4, 5], [1, 2, 3, 4, 5]];
    const badIds = [[1, 2, 3, 4, 5], [1, 2, 3]];
    const seq = idsModel("sequential", T);
    const fun = idsModel("functional", T);
    expect((seq.predict(ids) as number[][]).length).toBe(2);
    expect((fun.predict(ids) as number[][]).length).toBe(2);
    const s = refused(() => seq.predict(badIds));
    const f = refused(() => fun.predict(badIds));
    expect(s.code).toBe("SHAPE_MISMATCH");
    expect(s.message).toContain(`xs[1] has 3 token ids, but the model's inputShape fixes ${T} per sample.`);
    expect(s.help).toContain("inputShape: [null]");
    expect(f.message).toContain(`xs[1] has 3 token ids, but the model's input "ids" fixes ${T} per sample.`);
    expect(f.help).toContain('input({ shape: [null], name: "ids" })');
    expect(normalise(f, `the model's input "ids"`)).toEqual(normalise(s, "the model's inputShape"));
    expect(badIds).toEqual([[1, 2, 3, 4, 5], [1, 2, 3]]);
  });
});

describe("a model nested on [T, d] inside a model on [null, d]", () => {
  for (const kind of ["functional", "sequential"] as const) {
    it(`(${kind}) takes data of T steps, with the inner model's numbers`, async () => {
      const inner = innerOn(kind);
      const outer = outerAround(inner);
      const xs = good();
      const direct = inner.predict(xs) as number[][];
      const dense = outer.getLayer(outer.layers[outer.layers.length - 1].name);
      const [k, b] = dense.getWeights().map((w) => Array.from(w.data));
      const expected = direct.map((h) => [h.reduce((s, v, j) => s + v * k[j], b[0])]);
      const got = outer.predict(xs) as number[][];
      got.forEach((row, i) => expect(row[0]).toBeCloseTo(expected[i][0], 5));
      await everyDoorTakes(outer, xs, targets);
    });

    it(`(${kind}) refuses another length in every door, naming the nested model, T and the sample`, async () => {
      const outer = outerAround(innerOn(kind));
      const xs = bad();
      const copy = structuredClone(xs);
      const by = kind === "sequential" ? `its inputShape [${T}, ${D}]` : `its input "inner_in" of shape [${T}, ${D}]`;
      for (const e of await everyDoor(outer, xs, targets)) {
        expect(e.code).toBe("SHAPE_MISMATCH");
        expect(e.message).toMatch(/xs\[1\] has 4 steps but model "inner", applied to them, fixes 5/);
        expect(e.message).toContain(by);
        expect(e.received).toBe("4 steps");
        expect(e.help).toContain(`[null, ${D}]`);
      }
      expect(xs).toEqual(copy);
    });
  }

  it("a different fixed count is refused when the model is applied (as Keras), the same count is taken", () => {
    const inner = innerOn("functional");
    expect(refused(() => inner.apply(input({ shape: [7, D] }))).code).toBe("SHAPE_MISMATCH");
    const x = input({ shape: [T, D], name: "outer" });
    const m = model({ inputs: x, outputs: inner.apply(x) as SymbolicTensor });
    expect((m.predict(good()) as number[][]).length).toBe(3);
    expect(refused(() => m.predict(bad())).message).toContain(`xs[1] has 4 steps, but the model's input "outer" fixes ${T}.`);
  });

  it("the lengths that reach it through a strided conv1d are checked, said as such", () => {
    const x = input({ shape: [null, D], name: "outer" });
    const conv = layers.conv1d({ filters: D, kernelSize: 1, strides: 2, name: "halve" });
    const m = model({ inputs: x, outputs: innerOn("functional").apply(conv.apply(x) as SymbolicTensor) as SymbolicTensor, seed: 6 });
    expect((m.predict(randomSequences(rng, [9, 10], D)) as number[][]).length).toBe(2);
    const e = refused(() => m.predict(randomSequences(rng, [10, 8], D)));
    expect(e.code).toBe("SHAPE_MISMATCH");
    expect(e.message).toContain(`xs[1] has 8 steps, which "halve" turns into 4, but model "inner", applied to them, fixes ${T}`);
    expect(e.received).toBe("4 steps");
  });

  it("two levels deep: the innermost fixed T is checked on the outermost data", () => {
    const mid = outerAround(innerOn("functional"), 8);
    const x = input({ shape: [null, D], name: "top" });
    const top = model({ inputs: x, outputs: mid.apply(x) as SymbolicTensor, seed: 9 });
    expect((top.predict(good()) as number[][]).length).toBe(3);
    const e = refused(() => top.predict(bad()));
    expect(e.code).toBe("SHAPE_MISMATCH");
    expect(e.message).toContain('xs[1] has 4 steps but model "inner"');
  });

  it("a model on [T] token ids nested on a [null] ids input takes T ids and refuses others", () => {
    const inner = idsModel("functional", T);
    const x = input({ shape: [null], name: "outer_ids" });
    const m = model({ inputs: x, outputs: inner.apply(x) as SymbolicTensor, seed: 10 });
    const ids = [[1, 2, 3, 4, 5], [5, 4, 3, 2, 1]];
    expect(m.predict(ids)).toEqual(inner.predict(ids));
    const e = refused(() => m.predict([[1, 2, 3, 4, 5], [1, 2, 3, 4, 5, 6]]));
    expect(e.code).toBe("SHAPE_MISMATCH");
    expect(e.message).toContain(`xs[1] has 6 token ids but model "${inner.name}", applied to them, fixes ${T} per sample (its input "ids" of shape [${T}])`);
    expect(e.help).toContain("[null]");
  });

  it("a model nested on [null, d] takes any length", () => {
    const x = input({ shape: [null, D], name: "free_in" });
    const inner = model({ inputs: x, outputs: layers.lstm({ units: 3 }).apply(x) as SymbolicTensor, seed: 11 });
    const outer = outerAround(inner);
    expect((outer.predict(randomSequences(rng, [1, 4, 12], D)) as number[][]).length).toBe(3);
  });
});

describe("a model on a fixed step count applied to every word (timeDistributed over nested input)", () => {
  /** words [null] ids ("words") and chars [null, null] ("chars"); every word's characters go through `inner`. */
  function tagger(inner: LayersModel): LayersModel {
    const words = input({ shape: [null], name: "words" });
    const chars = input({ shape: [null, null], name: "chars", sameLengthsAs: words });
    const perWord = layers.timeDistributed({ layer: inner, name: "per_word" }).apply(chars) as SymbolicTensor;
    const w = layers.embedding({ inputDim: 10, outputDim: 2 }).apply(words) as SymbolicTensor;
    const both = layers.concatenate().apply([w, perWord]) as SymbolicTensor;
    const m = model({ inputs: [words, chars], outputs: layers.lstm({ units: 2, returnSequences: true }).apply(both) as SymbolicTensor, seed: 12 });
    m.compile({ loss: "meanSquaredError", optimizer: "sgd" });
    return m;
  }
  const sentence = (charsPerWord: number[]) => ({ words: charsPerWord.map((_, t) => t + 1), chars: charsPerWord.map((n) => Array.from({ length: n }, (_, c) => 1 + ((c * 3) % 9))) });
  const batch = (sentences: number[][]) => {
    const s = sentences.map(sentence);
    return { words: s.map((x) => x.words), chars: s.map((x) => x.chars) };
  };

  it("(sequential on [T] ids) takes words of T ids, each with the inner model's numbers", () => {
    const inner = idsModel("sequential", 4);
    const words = input({ shape: [null], name: "words" });
    const chars = input({ shape: [null, null], name: "chars", sameLengthsAs: words });
    const perWord = model({ inputs: [words, chars], outputs: layers.timeDistributed({ layer: inner }).apply(chars) as SymbolicTensor });
    const xs = batch([[4, 4], [4]]);
    const out = perWord.predict(xs) as number[][][];
    expect(out.map((s) => s.length)).toEqual([2, 1]);
    out.forEach((s, i) => s.forEach((row, t) => expect(row[0]).toBeCloseTo((inner.predict([xs.chars[i][t]]) as number[][])[0][0], 6)));
    expect((tagger(inner).predict(xs) as number[][][]).map((s) => s.length)).toEqual([2, 1]);
  });

  for (const kind of ["functional", "sequential"] as const) {
    it(`(${kind} on [T] ids) refuses a word of another length in every door: SHAPE_MISMATCH naming the word's step, the model and T`, async () => {
      const inner = idsModel(kind, 4);
      const m = tagger(inner);
      const xs = batch([[4, 4], [4, 3, 4]]);
      const copy = structuredClone(xs);
      const before = m.getWeights().map((w) => Array.from(w.data));
      const ys = [[[0, 0], [0, 0]], [[0, 0], [0, 0], [0, 0]]];
      const by = kind === "sequential" ? "its inputShape [4]" : 'its input "ids" of shape [4]';
      const errors = [
        refused(() => m.predict(xs)),
        refused(() => m.evaluate(xs, ys)),
        await refusedAsync(() => m.fit(xs, ys, { epochs: 1, verbose: 0 })),
        await refusedAsync(() => m.trainOnBatch(xs, ys)),
      ];
      for (const e of errors) {
        expect(e.code).toBe("SHAPE_MISMATCH");
        expect(e.message).toContain(`A word (step 1 of a sequence) has 3 ids but model "${inner.name}", applied to every word by timeDistributed "per_word", fixes 4 (${by}).`);
        expect(e.received).toBe("a word of 3 ids");
        expect(e.help).toContain("[null]");
      }
      expect(xs).toEqual(copy);
      expect(m.getWeights().map((w) => Array.from(w.data))).toEqual(before);
    });
  }

  it("checks the lengths the inner model's own length-changing layers give a model nested in it", () => {
    const fixed = input({ shape: [3, 2], name: "three" });
    const deep = model({ inputs: fixed, outputs: layers.lstm({ units: 2 }).apply(fixed) as SymbolicTensor, name: "deep", seed: 13 });
    const ids = input({ shape: [null], name: "word_chars" });
    const e = layers.embedding({ inputDim: 10, outputDim: 2 }).apply(ids) as SymbolicTensor;
    const narrowed = layers.conv1d({ filters: 2, kernelSize: 2, name: "narrow" }).apply(e) as SymbolicTensor; // valid: L → L − 1
    const inner = model({ inputs: ids, outputs: deep.apply(narrowed) as SymbolicTensor, name: "word_model", seed: 14 });
    const m = tagger(inner);
    expect((m.predict(batch([[4, 4, 4]])) as number[][][])[0].length).toBe(3);
    const err = refused(() => m.predict(batch([[4, 5]])));
    expect(err.code).toBe("SHAPE_MISMATCH");
    expect(err.message).toContain('A word (step 1 of a sequence) has 5 steps, which "narrow" turn into 4, but model "deep"');
  });

  it("an inner model on [null] takes words of any length", () => {
    const m = tagger(idsModel("sequential", null));
    expect((m.predict(batch([[1, 7, 3], [2]])) as number[][][]).map((s) => s.length)).toEqual([3, 1]);
  });
});
