/**
 * Type tests (tsd-style) for the data the model methods take and return. `npm run typecheck`
 * compiles this file (tsconfig.json includes test/): every `// @ts-expect-error` line must be a type
 * error — a wrong data shape the editor catches — and every `expectTypeOf` must hold, or typecheck
 * fails. The calls that only state types sit in functions that never run; the runtime tests below
 * check that what `predict` returns is what its type says, and that `perStep` is checked.
 */
import { describe, expect, expectTypeOf, it } from "vitest";
import {
  type ForwardContext, type ForwardResult, type InputData, Layer, type LayerValue, type Logs, type ModelTargets, RaggedError, Random,
  type SequenceData, type Sequential, type Shape, type SymbolicTensor, type Variable, input, layers, loadModel, model, sequential,
} from "../src/index.js";
import { randomSequences } from "./harness.js";

const rng = new Random(11);
const lengths = [3, 1, 4, 2];
const xs = randomSequences(rng, lengths, 2); // number[][][]
const perStepTargets = lengths.map((n) => Array.from({ length: n }, (_, t) => (t % 2 ? [1, 0] : [0, 1]))); // number[][][]
const classIds = lengths.map((n) => n % 2); // number[]

function perStepModel(): Sequential {
  return sequential([
    layers.lstm({ units: 3, returnSequences: true, inputShape: [null, 2] }),
    layers.timeDistributed({ layer: layers.dense({ units: 2, activation: "softmax" }) }),
  ], { seed: 1 });
}

function perSequenceModel(): Sequential {
  return sequential([layers.gru({ units: 3, inputShape: [null, 2] }), layers.dense({ units: 2, activation: "softmax" })], { seed: 2 });
}

/** Two inputs ("a": steps, "v": one vector per sample) and two outputs ("tags": per step, "score": per sequence). */
function twoByTwo() {
  const a = input({ shape: [null, 2], name: "a" });
  const v = input({ shape: [3], name: "v" });
  const steps = layers.lstm({ units: 4, returnSequences: true }).apply(a) as SymbolicTensor;
  const tags = layers.timeDistributed({ layer: layers.dense({ units: 2, activation: "softmax" }), name: "tags" }).apply(steps) as SymbolicTensor;
  const last = layers.gru({ units: 4 }).apply(a) as SymbolicTensor;
  const score = layers.dense({ units: 1, name: "score" }).apply(layers.concatenate([last, layers.dense({ units: 2 }).apply(v) as SymbolicTensor])) as SymbolicTensor;
  return model({ inputs: [a, v], outputs: [tags, score], seed: 3 });
}
const vectors = lengths.map((_, i) => [i, 1, -i]);

// ---- types only: these functions are compiled, never run ----

function dataShapes(seq: Sequential, ids: Sequential): void {
  // sequences as number[][], token ids as number[], flat typed arrays; targets likewise
  void seq.fit(xs, perStepTargets);
  void seq.fit([Float32Array.of(0.1, 0.2, 0.3, 0.4)], [Float32Array.of(1, 0, 0, 1)]);
  void ids.fit([[4, 8, 15], [16, 23]], [[0, 1, 2], [1, 1]]);
  void seq.fit(xs, classIds);
  void seq.fit(xs, perStepTargets, { validationData: [xs, perStepTargets], sampleWeight: [1, 2, 1, 1] });
  void seq.fitDataset([{ xs, ys: perStepTargets }, [xs, perStepTargets]]);
  const readonlyData: readonly SequenceData[] = xs;
  void seq.predict(readonlyData);

  // @ts-expect-error: one flat list of numbers is not a list of sequences
  void seq.fit([0.1, 0.2, 0.3], perStepTargets);
  // @ts-expect-error: a list around the data (the several-inputs form) — a Sequential model has one input
  void seq.fit([xs], perStepTargets);
  // @ts-expect-error: inputs by name are for functional models
  void seq.fit({ lstm_input: xs }, perStepTargets);
  // @ts-expect-error: a file name is not data (read it with readJsonlFile)
  void seq.fit("train.jsonl", perStepTargets);
  // @ts-expect-error: features must be numbers
  void seq.fit([[["0.1", "0.2"]]], perStepTargets);
  // @ts-expect-error: BigInt arrays cannot hold features
  void seq.predict([new BigInt64Array(4)]);
  // @ts-expect-error: targets nested one level too deep
  void seq.fit(xs, [perStepTargets]);
  // @ts-expect-error: one target where a list of them belongs
  void seq.evaluate(xs, 1);
  // @ts-expect-error: validation data of the wrong shape
  void seq.fit(xs, perStepTargets, { validationData: [[1, 2, 3], perStepTargets] });
  // @ts-expect-error: a dataset item with the wrong shape
  void seq.fitDataset([{ xs: [1, 2, 3], ys: perStepTargets }]);
  // @ts-expect-error: trainOnBatch takes the same data
  void seq.trainOnBatch([xs], perStepTargets);
}

function functionalShapes(m: ReturnType<typeof twoByTwo>): void {
  // several inputs: a list in `inputs` order, or an object keyed by input name; targets likewise by output
  void m.fit([xs, vectors], [perStepTargets, classIds.map((c) => [c])]);
  void m.fit({ a: xs, v: vectors }, { tags: perStepTargets, score: classIds.map((c) => [c]) });
  const targets: ModelTargets = { tags: perStepTargets, score: [[1], [0], [1], [0]] };
  void m.evaluate({ a: xs, v: vectors }, targets, { sampleWeight: { tags: [1, 1, 2, 1], score: [1, 1, 1, 1] } });
  // @ts-expect-error: five levels of lists are no model's data
  void m.fit([[[[[0]]]]], targets);
  // @ts-expect-error: an input given as a string
  void m.predict({ a: xs, v: "vectors" });
}

function resultTypes(seq: Sequential, m: ReturnType<typeof twoByTwo>, data: InputData): void {
  expectTypeOf(seq.predict(data, { perStep: true })).toEqualTypeOf<number[][][]>();
  expectTypeOf(seq.predict(data, { perStep: false, batchSize: 8 })).toEqualTypeOf<number[][]>();
  expectTypeOf(seq.predict(data)).toEqualTypeOf<number[][][] | number[][]>();
  expectTypeOf(m.predict([data, vectors], { perStep: [true, false] })).toEqualTypeOf<[number[][][], number[][]]>();
  expectTypeOf(seq.predict(data, { perStep: [true] })).toEqualTypeOf<[number[][][]]>();
  expectTypeOf(seq.predictDataset([{ xs: data }], { perStep: true })).toEqualTypeOf<Promise<number[][][]>>();
  expectTypeOf(m.predictDataset([{ xs: [data, vectors] }], { perStep: [true, false] })).toEqualTypeOf<Promise<[number[][][], number[][]]>>();
  expectTypeOf(seq.evaluate(data, classIds, { returnDict: true })).toEqualTypeOf<Logs>();
  expectTypeOf(seq.evaluate(data, classIds)).toEqualTypeOf<number | number[]>();
  expectTypeOf(seq.evaluate(data, classIds, { returnDict: false, batchSize: 4 })).toEqualTypeOf<number | number[]>();
  const dict: boolean = Math.random() > 0.5; // not known until run time: either form
  expectTypeOf(seq.evaluate(data, classIds, { returnDict: dict })).toEqualTypeOf<number | number[] | Logs>();
  expectTypeOf(seq.evaluateDataset([{ xs: data, ys: classIds }], { returnDict: dict })).toEqualTypeOf<Promise<number | number[] | Logs>>();
  expectTypeOf(seq.evaluateDataset([{ xs: data, ys: classIds }], { returnDict: true })).toEqualTypeOf<Promise<Logs>>();
  const { loss, accuracy } = seq.evaluate(data, classIds, { returnDict: true });
  expectTypeOf(loss).toEqualTypeOf<number>();
  expectTypeOf(accuracy).toEqualTypeOf<number>();
  // @ts-expect-error: without perStep the result may be either kind, so it is not a number[][][]
  const steps: number[][][] = seq.predict(data);
  void steps;
  // @ts-expect-error: the per-sequence result has no steps
  void seq.predict(data, { perStep: false })[0][0].length;
}

async function loadedModels(): Promise<void> {
  const loaded = await loadModel("file://./model");
  expectTypeOf(loaded.predict([[[1, 2]]], { perStep: true })).toEqualTypeOf<number[][][]>();
  // @ts-expect-error: a loaded model takes the same data
  void loaded.predict([1, 2]);
}

/** A custom layer from the package's exports alone (the README's "Custom layers" section runs one). */
class Gain extends Layer {
  readonly className = "Gain";
  gain: Variable | null = null;
  constructor() {
    super({}, "gain");
  }
  protected validateInputShape(_shape: Shape): void {}
  protected createWeights(shape: Shape, _rng: Random): void {
    this.gain = this.addWeight("gain", [shape[shape.length - 1] ?? 1], new Float32Array(shape[shape.length - 1] ?? 1).fill(1));
  }
  computeOutputShape(shape: Shape): Shape {
    return shape;
  }
  forward(x: LayerValue, _ctx: ForwardContext): ForwardResult {
    return { output: x, backward: (d) => d };
  }
  getConfig(): Record<string, unknown> {
    return {};
  }
}

describe("types (compiled by npm run typecheck)", () => {
  it("the type-only checks above are compiled (they never run)", () => {
    expectTypeOf(dataShapes).toBeFunction();
    expectTypeOf(functionalShapes).toBeFunction();
    expectTypeOf(resultTypes).toBeFunction();
    expectTypeOf(loadedModels).toBeFunction();
    expect(new Gain().className).toBe("Gain");
  });
});

// ---- runtime: what predict returns is what its type says; perStep is checked ----

function code(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    if (e instanceof RaggedError) return e.code;
    throw e;
  }
  return "no error";
}

describe("predict's perStep option", () => {
  it("perStep: true gives one row per step of each sequence, false one row per sequence", () => {
    const steps = perStepModel().predict(xs, { perStep: true });
    expect(steps.map((s) => s.length)).toEqual(lengths);
    for (const s of steps) for (const row of s) expect(row.length).toBe(2);
    const rows = perSequenceModel().predict(xs, { perStep: false });
    expect(rows.length).toBe(lengths.length);
    for (const row of rows) for (const v of row) expect(typeof v).toBe("number");
  });

  it("the same numbers as without the option", () => {
    const m = perStepModel();
    expect(m.predict(xs, { perStep: true })).toEqual(m.predict(xs));
  });

  it("a list gives a list, one entry per output, also for a model with one output", () => {
    const m = twoByTwo();
    const [tags, score] = m.predict([xs, vectors], { perStep: [true, false] });
    expect(tags.map((t) => t.length)).toEqual(lengths);
    expect(score.map((s) => s.length)).toEqual([1, 1, 1, 1]);
    expect([tags, score]).toEqual(m.predict({ a: xs, v: vectors }));
    const one = perStepModel();
    const [only] = one.predict(xs, { perStep: [true] });
    expect(only).toEqual(one.predict(xs));
  });

  it("a kind the model does not output is SHAPE_MISMATCH, naming what the model returns", () => {
    let err: unknown;
    try {
      perSequenceModel().predict(xs, { perStep: true });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(RaggedError);
    expect((err as RaggedError).code).toBe("SHAPE_MISMATCH");
    expect((err as RaggedError).message).toContain("one row per sequence");
    expect((err as RaggedError).expected).toBe("perStep: false");
    expect(code(() => perStepModel().predict(xs, { perStep: false }))).toBe("SHAPE_MISMATCH");
    const m = twoByTwo();
    expect(code(() => m.predict([xs, vectors], { perStep: [false, false] }))).toBe("SHAPE_MISMATCH");
    expect(code(() => m.predict([xs, vectors], { perStep: [true] }))).toBe("SHAPE_MISMATCH");
    expect(code(() => m.predict([xs, vectors], { perStep: true }))).toBe("SHAPE_MISMATCH");
    expect(code(() => m.predict([xs, vectors], { perStep: "yes" as never }))).toBe("INVALID_ARGUMENT");
  });

  it("predictDataset checks it too, before reading a batch", async () => {
    const m = perStepModel();
    const out = await m.predictDataset([{ xs: xs.slice(0, 2) }, { xs: xs.slice(2) }], { perStep: true });
    expect(out.map((s) => s.length)).toEqual(lengths);
    let read = 0;
    const counting = (function* () {
      read++;
      yield { xs };
    })();
    await expect(m.predictDataset(counting, { perStep: false })).rejects.toMatchObject({ code: "SHAPE_MISMATCH" });
    expect(read).toBe(0);
  });
});
