/**
 * Data for functional models with several inputs or outputs: reading the caller's arrays (lists
 * in `inputs` / `outputs` order, or objects keyed by name), validating them once, and packing any
 * subset of samples into one packed batch per input (each input in its own layout: NOTE [ lengths
 * in a graph ] in layers/symbolic.ts) with the targets of every output lined up with that
 * output's rows.
 *
 * A Sequential model keeps the single-input path of samples.ts (`Samples` / `Batch`) — unless it
 * takes one vector per sample, which is read here (NOTE [ vector input ] in models/sequential.ts);
 * both meet in `ModelSamples` / `ModelBatch`, which the training and inference loops take.
 */
import { RaggedError, describe } from "../core/errors.js";
import { packLayout } from "../data/packed.js";
import { resolveLengths } from "../layers/symbolic.js";
import type { InputSpec, LayersModel, OutputSpec } from "../models/functional.js";
import { Sequential } from "../models/sequential.js";
import { checkFixedSteps } from "./fixed_steps.js";
import { isNestedSamples, makeNestedBatch, toNestedSamples } from "./nested_samples.js";
import { type Batch, makeBatch, placeTargets, type Samples, targetSpecFor, toSamples } from "./samples.js";

type SampleWeight = ArrayLike<number | ArrayLike<number>>;

/** Validated samples of a graph model: one `Samples` per input (x only), targets per output. */
export interface GraphSamples {
  readonly kind: "graph";
  readonly count: number;
  readonly inputSpecs: readonly InputSpec[];
  readonly outputSpecs: readonly OutputSpec[];
  readonly inputs: readonly Samples[];
  /** Per output (ys, yWidth, perStep, weights), or null without targets. */
  readonly targets: readonly Samples[] | null;
  /** Σ of each sample's input lengths: what bucketing groups by. */
  readonly lengths: Int32Array;
}

/** The targets of one output in its rows: packed steps, or one row per sequence in sorted order. */
export interface TargetBatch {
  y: Float32Array | null;
  weights: Float32Array | null;
  /** [B + 1] for label-sequence targets (NOTE [ label-sequence targets ] in samples.ts). */
  labelOffsets?: Int32Array | null;
}

/** A packed batch of a graph model: one packed input per model input, one target per output. */
export interface GraphBatch {
  readonly kind: "graph";
  inputs: Batch[];
  /** One entry per input: whether it is one vector per sample. */
  vectorInputs: boolean[];
  targets: TargetBatch[];
  indices: readonly number[];
}

export type ModelSamples = Samples | GraphSamples;
export type ModelBatch = Batch | GraphBatch;

export function isGraphSamples(s: ModelSamples): s is GraphSamples {
  return (s as GraphSamples).kind === "graph";
}

export function isGraphBatch(b: ModelBatch): b is GraphBatch {
  return (b as GraphBatch).kind === "graph";
}

/**
 * Whether the model takes the single-input path: a Sequential model, unless it takes one vector
 * per sample (NOTE [ vector input ] in models/sequential.ts), which reads its data as the
 * functional model on `input({ shape: [d] })` does.
 */
export function usesSinglePath(model: LayersModel): model is Sequential {
  return model instanceof Sequential && !model.takesVectors;
}

export interface ReadArgs {
  sampleWeight?: unknown;
  xName?: string;
  yName?: string;
}

/**
 * The caller's arrays for a model as validated samples (`withTargets`: ys required).
 * @throws RaggedError `INPUT_MISMATCH` (wrong number or names of inputs), `TARGET_MISMATCH`
 *   (wrong number or names of targets, or targets that do not fit an output), `SHAPE_MISMATCH`
 *   (a sample whose steps differ from a count the model or a model nested in it declares: NOTE
 *   [ fixed step counts ] in models/functional.ts), and everything `toSamples` throws.
 */
export function readSamples(model: LayersModel, xs: unknown, ys: unknown, withTargets: boolean, args: ReadArgs = {}): ModelSamples {
  if (usesSinglePath(model)) {
    const xName = args.xName ?? "xs";
    const checkLengths = (lengths: Int32Array) => checkFixedSteps(model.fixedSteps(), () => lengths, () => xName);
    return toSamples(xs, withTargets ? ys : null, { ...model.sampleArgs(withTargets), sampleWeight: withTargets ? (args.sampleWeight as SampleWeight | undefined) : undefined, xName, yName: args.yName, checkLengths });
  }
  return toGraphSamples(model, xs, withTargets ? ys : null, args);
}

function toGraphSamples(model: LayersModel, xs: unknown, ys: unknown, args: ReadArgs): GraphSamples {
  const xName = args.xName ?? "xs";
  const yName = args.yName ?? "ys";
  const inputSpecs = model.inputSpecs();
  const outputSpecs = model.outputSpecs();
  const xList = byName(xs, inputSpecs.map((s) => s.name), xName, "INPUT_MISMATCH", "input");
  const inputs = inputSpecs.map((spec, k) => readInputSamples(spec, xList[k], inputSpecs.length === 1 ? xName : `${xName}.${spec.name}`));
  const { count, lengths } = checkInputSamples(model, inputs, xName);
  let targets: Samples[] | null = null;
  if (ys !== null && ys !== undefined) {
    model.requireCompiled("training or evaluation");
    const names = outputSpecs.map((s) => s.name);
    const yList = byName(ys, names, yName, "TARGET_MISMATCH", "output");
    const weights = sampleWeightsPerOutput(args.sampleWeight, names, count);
    const rawLengths = (name: string) => inputs[inputSpecs.findIndex((s) => s.name === name)].lengths;
    const empty = new Array(count).fill([]);
    targets = outputSpecs.map((spec, j) => {
      const targetLengths = resolveLengths(spec.lengths, rawLengths, count);
      const loss = model.losses[j];
      return toSamples(empty, yList[j], {
        features: 1,
        target: targetSpecFor(loss, spec.kind === "sequence", spec.width),
        sampleWeight: weights[j],
        outputLengths: () => targetLengths,
        xName: inputSpecs.length === 1 ? xName : `${xName} (input "${spec.lengths.kind === "input" ? spec.lengths.input : "?"}")`,
        yName: names.length === 1 ? yName : `${yName}.${spec.name}`,
      });
    });
  }
  return { kind: "graph", count, inputSpecs, outputSpecs, inputs, targets, lengths };
}

/** One model input's data, validated and copied (`name` is how messages call it: `xs.letters`). */
export function readInputSamples(spec: InputSpec, data: unknown, name: string): Samples {
  if (spec.kind === "nested") return toNestedSamples(data, name);
  if (spec.kind === "vector") return toVectorSamples(data, spec.features, name);
  return toSamples(data, null, { features: spec.features, ids: spec.ids, target: null, maskRule: spec.maskRule, xName: name });
}

/**
 * The checks across a graph model's inputs (one entry per sample in each, `sameLengthsAs`, fixed
 * step counts) and the per-sample Σ of input lengths that batching groups by.
 */
function checkInputSamples(model: LayersModel, inputs: readonly Samples[], xName: string): { count: number; lengths: Int32Array } {
  const inputSpecs = model.inputSpecs();
  const count = inputs[0].count;
  inputs.forEach((s, k) => {
    if (s.count !== count) {
      throw new RaggedError("INPUT_MISMATCH", `Every input must have one entry per sample.`, {
        expected: `${count} samples (as input "${inputSpecs[0].name}")`,
        received: `${s.count} in input "${inputSpecs[k].name}"`,
      });
    }
  });
  checkSameLengths(inputSpecs, inputs, xName);
  const inputNamed = (name: string) => inputSpecs.findIndex((s) => s.name === name);
  checkFixedSteps(model.fixedSteps(), (name) => inputs[inputNamed(name)].lengths, (name) => (inputSpecs.length === 1 ? xName : `${xName}.${name}`));
  const lengths = new Int32Array(count);
  for (const s of inputs) for (let i = 0; i < count; i++) lengths[i] += s.lengths[i];
  return { count, lengths };
}

/**
 * A graph model's samples (no targets) from one already-validated `Samples` per input — for callers
 * that validate an input once and reuse it (`stepFromModel`'s contexts); the cross-input checks run.
 */
export function graphSamplesFrom(model: LayersModel, inputs: readonly Samples[], xName = "xs"): GraphSamples {
  const { count, lengths } = checkInputSamples(model, inputs, xName);
  return { kind: "graph", count, inputSpecs: model.inputSpecs(), outputSpecs: model.outputSpecs(), inputs, targets: null, lengths };
}

/** NOTE [ inputs with the same steps ] (layers/input_layer.ts): an input declared `sameLengthsAs` another has its step counts. */
function checkSameLengths(specs: readonly InputSpec[], inputs: readonly Samples[], xName: string): void {
  specs.forEach((spec, k) => {
    if (spec.sameLengthsAs === null) return;
    const m = specs.findIndex((s) => s.name === spec.sameLengthsAs);
    const mine = inputs[k].lengths;
    const theirs = inputs[m].lengths;
    for (let i = 0; i < mine.length; i++) {
      if (mine[i] === theirs[i]) continue;
      throw new RaggedError("LENGTH_MISMATCH", `${xName}.${spec.name}[${i}] and ${xName}.${spec.sameLengthsAs}[${i}] have different numbers of steps.`, {
        expected: `${theirs[i]} steps in ${xName}.${spec.name}[${i}], as in ${xName}.${spec.sameLengthsAs}[${i}] (input "${spec.name}" has sameLengthsAs "${spec.sameLengthsAs}")`,
        received: `${mine[i]} steps`,
        help: "both inputs describe the same steps (e.g. the word ids and the characters of each word of one sentence): build them from the same tokens",
      });
    }
  });
}

/**
 * One entry per name from a list in that order or an object keyed by the names. With one name, the
 * value itself is the entry unless it is an object keyed by that name.
 */
function byName(value: unknown, names: string[], what: string, code: "INPUT_MISMATCH" | "TARGET_MISMATCH", kind: "input" | "output"): unknown[] {
  const isRecord = value !== null && typeof value === "object" && !Array.isArray(value) && !ArrayBuffer.isView(value);
  if (names.length === 1) {
    if (isRecord && names[0] in (value as object)) return [(value as Record<string, unknown>)[names[0]]];
    if (isRecord) {
      throw new RaggedError(code, `${what} names ${kind}s the model does not have.`, { expected: `"${names[0]}"`, received: Object.keys(value as object).map((k) => `"${k}"`).join(", ") });
    }
    return [value];
  }
  if (isRecord) {
    const record = value as Record<string, unknown>;
    const extra = Object.keys(record).filter((k) => !names.includes(k));
    const missing = names.filter((n) => !(n in record));
    if (extra.length || missing.length) {
      throw new RaggedError(code, `${what} must have one entry per model ${kind}, by name.`, {
        expected: names.map((n) => `"${n}"`).join(", "),
        received: Object.keys(record).map((k) => `"${k}"`).join(", ") || "none",
        help: missing.length ? `missing ${missing.map((n) => `"${n}"`).join(", ")}` : `unknown ${extra.map((n) => `"${n}"`).join(", ")}`,
      });
    }
    return names.map((n) => record[n]);
  }
  if (!Array.isArray(value) || value.length !== names.length) {
    throw new RaggedError(code, `${what} must have one entry per model ${kind} (${names.length}).`, {
      expected: `a list [${names.join(", ")}] in the model's ${kind}s order, or an object { ${names.map((n) => `${n}: …`).join(", ")} }`,
      received: Array.isArray(value) ? `a list of ${value.length}` : describe(value),
    });
  }
  return [...value];
}

/** Sample weights for each output: one array for all, or a list / object per output. */
function sampleWeightsPerOutput(sw: unknown, names: string[], count: number): (SampleWeight | undefined)[] {
  if (sw === undefined || sw === null) return names.map(() => undefined);
  const isRecord = typeof sw === "object" && !Array.isArray(sw) && !ArrayBuffer.isView(sw);
  if (isRecord) return byName(sw, names, "sampleWeight", "TARGET_MISMATCH", "output").map((w) => (w ?? undefined) as SampleWeight | undefined);
  const list = sw as ArrayLike<unknown>;
  const perOutput = names.length > 1 && list.length === names.length && count !== names.length && Array.from(list).every((w) => w === null || (typeof w === "object" && (w as ArrayLike<unknown>).length === count));
  return perOutput ? Array.from(list, (w) => (w ?? undefined) as SampleWeight | undefined) : names.map(() => sw as SampleWeight);
}

/** Vector inputs: `xs[i]` is one list of `features` numbers (held as a one-step "sequence"). */
function toVectorSamples(xs: unknown, features: number, name: string): Samples {
  if (xs === null || typeof xs !== "object" || typeof (xs as ArrayLike<unknown>).length !== "number") {
    throw new RaggedError("BAD_INPUT", `${name} must be a list of vectors.`, { expected: `${name}[i] = ${features} numbers`, received: describe(xs) });
  }
  const list = xs as ArrayLike<unknown>;
  for (let i = 0; i < list.length; i++) checkVectorWidth(list[i], features, `${name}[${i}]`);
  const wrapped = Array.from(list, (v) => [v]);
  const s = toSamples(wrapped, null, { features, target: null, xName: name });
  return s;
}

/**
 * A vector sample given at another width, or as a sequence (a list of steps), said as such; the
 * values themselves are checked by `toSamples`.
 */
function checkVectorWidth(v: unknown, features: number, where: string): void {
  if (typeof v === "number" && features !== 1) {
    throw new RaggedError("FEATURE_MISMATCH", `${where} is a single number, but the model takes a vector of ${features} numbers per sample (input shape [${features}]).`, {
      expected: `${where} = ${features} numbers`,
      received: "a single number",
      help: `the data lists samples, each a vector: one sample is [[${Array.from({ length: Math.min(features, 3) }, (_, k) => `x${k}`).join(", ")}${features > 3 ? ", …" : ""}]]`,
    });
  }
  if (v === null || typeof v !== "object" || typeof (v as ArrayLike<unknown>).length !== "number") return;
  const row = v as ArrayLike<unknown>;
  const steps = row.length > 0 && row[0] !== null && typeof row[0] === "object";
  if (row.length === features && !steps) return;
  throw new RaggedError("FEATURE_MISMATCH", `${where} is not a vector of ${features} numbers, which the model takes per sample (input shape [${features}]).`, {
    expected: `${where} = ${features} numbers`,
    received: steps ? `a list of ${row.length} steps (a sequence)` : `${row.length} numbers`,
    help: steps
      ? `a model on sequences needs inputShape: [null, ${features}] (input({ shape: [null, ${features}] })); for one vector per sample give ${where} as ${features} numbers`
      : `give every sample ${features} numbers, or build the model for ${row.length}-wide vectors`,
  });
}

/** `samples[indices]` packed: per input a Batch (its own layout), per output its target rows. */
export function makeGraphBatch(samples: GraphSamples, indices: readonly number[]): GraphBatch {
  const vectorInputs = samples.inputSpecs.map((s) => s.kind === "vector");
  const inputs = samples.inputs.map((s) => (isNestedSamples(s) ? makeNestedBatch(s, indices) : makeBatch(s, indices)));
  const B = indices.length;
  const targets: TargetBatch[] = (samples.targets ?? []).map((t, j) => {
    const spec = samples.outputSpecs[j];
    const byInput = (name: string) => inputs[samples.inputSpecs.findIndex((s) => s.name === name)];
    const lengths = resolveLengths(spec.lengths, (name) => byInput(name).layout.lengths, B);
    const layout = packLayout(lengths);
    const source = spec.lengths.kind === "input" && spec.lengths.through.length === 0 ? byInput(spec.lengths.input) : null;
    const start = source?.padding ? source.padding.start : new Int32Array(B);
    return placeTargets(t, indices, layout, start, source?.mask !== null && source?.mask !== undefined);
  });
  return { kind: "graph", inputs, vectorInputs, targets, indices };
}

/** A batch of either kind. */
export function makeModelBatch(samples: ModelSamples, indices: readonly number[]): ModelBatch {
  return isGraphSamples(samples) ? makeGraphBatch(samples, indices) : makeBatch(samples, indices);
}

/** Σ real steps and the longest sample of a packed batch (History's batch statistics). */
export function batchFigures(batch: ModelBatch): { realSteps: number; maxLength: number; size: number } {
  if (!isGraphBatch(batch)) return { realSteps: batch.layout.totalSteps, maxLength: batch.layout.maxLength, size: batch.layout.batch };
  const seq = batch.inputs.filter((_, k) => !batch.vectorInputs[k]);
  return {
    realSteps: seq.reduce((n, b) => n + b.layout.totalSteps, 0),
    maxLength: seq.reduce((n, b) => n + b.layout.maxLength, 0),
    size: batch.indices.length,
  };
}

/**
 * Σ m of each output over a packed batch (the rows its loss counts: NOTE [ loss reduction ]),
 * known before running the model: per-step outputs count their steps (minus padding rows of a mask
 * with holes), per-sequence outputs count the sequences with at least one step.
 */
export function outputCounts(batch: GraphBatch, specs: readonly OutputSpec[], inputNames: readonly string[]): number[] {
  const B = batch.indices.length;
  const byName = (name: string) => batch.inputs[inputNames.indexOf(name)];
  return specs.map((spec) => {
    const lengths = resolveLengths(spec.lengths, (name) => byName(name).layout.lengths, B);
    if (spec.kind === "vector") return lengths.reduce((n, l) => n + (l > 0 ? 1 : 0), 0);
    let count = lengths.reduce((n, l) => n + l, 0);
    const source = spec.lengths.kind === "input" && spec.lengths.through.length === 0 ? byName(spec.lengths.input) : null;
    if (source?.mask) for (const m of source.mask) count -= m ? 0 : 1;
    return count;
  });
}
