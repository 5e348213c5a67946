/**
 * From the caller's arrays to validated samples, and from samples to packed batches.
 *
 * `toSamples` checks every sequence and target once, at the boundary (so a bad value is reported
 * before training starts, with its position), and copies them into one Float32Array per sample
 * (views of one buffer per call: NOTE [ one buffer per call ] in sample_arena.ts) — the caller's
 * arrays are never kept or changed. `makeBatch` then packs any subset of samples
 * into a PackedBatch and lines the targets up with the model's output rows.
 */
import { RaggedError, describe } from "../core/errors.js";
import { FLOAT32_MAX, fitsFloat32 } from "../core/float32.js";
import { type PackedLayout, type Sequence, packLayout } from "../data/packed.js";
import type { InputMaskRule } from "../layers/masking.js";
import type { Loss } from "./losses.js";
import type { NestedRows } from "./nested_samples.js";
import { SampleArena } from "./sample_arena.js";
import { stepArray } from "../core/step_buffers.js";

export interface Samples {
  readonly count: number;
  readonly features: number;
  /** Per sample, [length, features]. */
  readonly xs: readonly Float32Array[];
  readonly lengths: Int32Array;
  /** Per sample, [length, yWidth] (per-step targets) or [yWidth]; null without targets. */
  readonly ys: readonly Float32Array[] | null;
  readonly yWidth: number;
  readonly perStep: boolean;
  /** Per sample, [length] (per-step weights) or [1]; null for all ones. */
  readonly weights: readonly Float32Array[] | null;
  /** Per sample, [length] 1 = real step, 0 = padding (when the model's first layer masks); else null. */
  readonly masks: readonly Uint8Array[] | null;
  /** Output lengths of the model for given input lengths (identity unless e.g. repeatVector). */
  readonly outputLengths: ((lengths: Int32Array) => Int32Array) | null;
  /** `ys[i]` are label sequences (NOTE [ label-sequence targets ]): class ids, any length. */
  readonly labelSequences?: boolean;
}

export interface TargetSpec {
  /** Whether the model outputs one row per step (true) or one per sequence. */
  perStep: boolean;
  /** Values per target row. */
  width: number;
  /** Sparse labels: each target value is a class id, an integer in [0, classes). */
  classes?: number;
  /**
   * NOTE [ label-sequence targets ]
   * A loss such as CTC does not pair one target row with each output row: its target for a sample
   * is a *label sequence*, a list of class ids whose length has nothing to do with the prediction's
   * (spelling → pronunciation). Such a loss declares `targets: "labelSequences"`; the model then
   * reads `ys[i]` with this function (which checks every id), `Samples.labelSequences` is true and
   * `perStep` false (one target and one sample weight per sequence), and `placeTargets`
   * concatenates the batch's labels in the sorted order of the output layout with `labelOffsets`
   * [B + 1]. The loss receives the packed predictions, their layout and those labels
   * (`Loss.computeSequences`), and returns one value per sequence; metrics likewise
   * (`Metric.computeSequences`). `targetSpecFor` builds the spec from a loss.
   */
  readLabels?: (value: unknown, where: string) => Float32Array;
}

/**
 * The targets a loss takes from an output that is per step (`perStep`) and `width` wide: rows of
 * `loss.targetWidth(width)` values, or label sequences (NOTE [ label-sequence targets ]).
 * @throws RaggedError `TARGET_MISMATCH` for a label-sequence loss on an output with one row per sequence.
 */
export function targetSpecFor(loss: Loss, perStep: boolean, width: number): TargetSpec {
  if (loss.targets !== "labelSequences") return { perStep, width: loss.targetWidth(width) };
  const readLabels = loss.readLabels;
  if (!perStep || !readLabels) {
    throw new RaggedError("TARGET_MISMATCH", `The ${loss.name} loss needs one prediction per step.`, {
      expected: "a model that returns sequences (returnSequences: true on the last recurrent layer, a per-step output layer)",
      received: "a model with one output per sequence",
    });
  }
  return { perStep: false, width, readLabels: (value, where) => readLabels(value, where, width) };
}

export interface ToSamplesArgs {
  features: number;
  /** Token ids: each input value is an integer in [0, ids) (an embedding's inputDim). */
  ids?: number;
  target: TargetSpec | null;
  sampleWeight?: ArrayLike<number | ArrayLike<number>> | null;
  /** Names for messages, default "xs" / "ys". */
  xName?: string;
  yName?: string;
  /** How the model's first layer marks padding (masking, embedding maskZero); none when null. */
  maskRule?: InputMaskRule | null;
  /** The model's output lengths for given input lengths, when they differ from the input's. */
  outputLengths?: ((lengths: Int32Array) => Int32Array) | null;
  /**
   * Checks the lengths of xs as read, before the targets (the model's fixed step counts: NOTE
   * [ fixed step counts ] in models/functional.ts); throws to refuse them.
   */
  checkLengths?: ((lengths: Int32Array) => void) | null;
}

/** Validates and copies (xs, ys). See the file comment. */
export function toSamples(xs: unknown, ys: unknown, args: ToSamplesArgs): Samples {
  const xName = args.xName ?? "xs";
  const yName = args.yName ?? "ys";
  const list = asList(xs, xName, "a list of sequences (xs[i] = one sequence, a list of steps)");
  const count = list.length;
  const features = args.features;
  const ids = args.ids ?? 0;
  const xsOut: Float32Array[] = new Array(count);
  const lengths = new Int32Array(count);
  const xArena = SampleArena.for(list, features); // NOTE [ one buffer per call ]
  for (let i = 0; i < count; i++) {
    const seq = list[i] as Sequence;
    if (seq === null || typeof seq !== "object" || typeof seq.length !== "number" || isBigIntArray(seq)) {
      throw new RaggedError("BAD_SEQUENCE", `${xName}[${i}] is not a sequence (a list of steps).`, {
        expected: `a list of steps, each a list of ${features} numbers${features === 1 ? " (or a number)" : ""}`,
        received: describe(seq),
        help: isBigIntArray(seq) ? "BigInt arrays cannot hold features: convert to a Float32Array (or Float64Array)" : undefined,
      });
    }
    if (isFlat(seq)) {
      xsOut[i] = copyFlat(seq, features, `${xName}[${i}]`, "FEATURE_MISMATCH", "features per step", ids, xArena);
      lengths[i] = xsOut[i].length / features;
    } else {
      lengths[i] = seq.length;
      xsOut[i] = flattenRows(seq, features, `${xName}[${i}]`, "FEATURE_MISMATCH", "features per step", ids, xArena);
    }
  }
  args.checkLengths?.(lengths);
  const masks = args.maskRule ? xsOut.map((x, i) => stepMask(x, lengths[i], features, args.maskRule as InputMaskRule)) : null;
  const targetLengths = args.outputLengths ? args.outputLengths(lengths) : lengths;
  let ysOut: Float32Array[] | null = null;
  const target = args.target;
  if (target) {
    const ylist = asList(ys, yName, target.perStep ? "one list of per-step targets per sequence" : "one target per sequence");
    if (ylist.length !== count) {
      throw new RaggedError("TARGET_MISMATCH", `${yName} must have one entry per sequence of ${xName}.`, {
        expected: `${count} targets`,
        received: `${ylist.length}`,
      });
    }
    ysOut = new Array(count);
    const classes = target.classes ?? 0;
    const yArena = SampleArena.for(target.readLabels ? [] : ylist, target.width, target.perStep); // label sequences are read apart
    for (let i = 0; i < count; i++) {
      const y = ylist[i];
      if (target.readLabels) {
        ysOut[i] = target.readLabels(y, `${yName}[${i}]`); // NOTE [ label-sequence targets ]
        continue;
      }
      if (target.perStep && isFlat(y)) {
        ysOut[i] = copyFlat(y, target.width, `${yName}[${i}]`, "TARGET_MISMATCH", "values per target step", classes, yArena);
        if (ysOut[i].length !== targetLengths[i] * target.width) {
          throw new RaggedError("TARGET_MISMATCH", `${yName}[${i}] must have one target per step of ${xName}[${i}].`, {
            expected: `${targetLengths[i]} steps × ${target.width} values = ${targetLengths[i] * target.width} numbers`,
            received: `${ysOut[i].length} numbers`,
          });
        }
      } else if (target.perStep) {
        const steps = y as ArrayLike<unknown>;
        if (steps === null || typeof steps !== "object" || typeof steps.length !== "number") {
          throw new RaggedError("TARGET_MISMATCH", `${yName}[${i}] must be a list of per-step targets (the model returns sequences).`, {
            expected: `a list of ${targetLengths[i]} targets, one per step of ${xName}[${i}]`,
            received: describe(y),
          });
        }
        if (steps.length !== targetLengths[i]) {
          throw new RaggedError("TARGET_MISMATCH", `${yName}[${i}] must have one target per step of ${xName}[${i}].`, {
            expected: `${targetLengths[i]} steps`,
            received: `${steps.length} steps`,
            help: "per-step targets follow their sequence's length; to predict one value per sequence use returnSequences: false on the last recurrent layer",
          });
        }
        ysOut[i] = flattenRows(steps as Sequence, target.width, `${yName}[${i}]`, "TARGET_MISMATCH", "values per target step", classes, yArena);
      } else {
        ysOut[i] = flattenRow(y, target.width, `${yName}[${i}]`, "TARGET_MISMATCH", "values per target", classes, yArena);
      }
    }
  }
  let weights: Float32Array[] | null = null;
  if (args.sampleWeight !== undefined && args.sampleWeight !== null) {
    const wl = asList(args.sampleWeight, "sampleWeight", "one weight per sequence, or a list of per-step weights");
    if (wl.length !== count) {
      throw new RaggedError("TARGET_MISMATCH", "sampleWeight must have one entry per sequence.", { expected: `${count}`, received: `${wl.length}` });
    }
    weights = new Array(count);
    for (let i = 0; i < count; i++) {
      const w = wl[i];
      const arr = typeof w === "number" ? [w] : (w as ArrayLike<number>);
      const perStepW = typeof w !== "number";
      if (perStepW && (!target?.perStep || arr.length !== targetLengths[i])) {
        throw new RaggedError("TARGET_MISMATCH", `sampleWeight[${i}] has the wrong length.`, {
          expected: target?.perStep ? `one number, or ${targetLengths[i]} per-step weights` : "one number per sequence",
          received: describe(w),
        });
      }
      const out = new Float32Array(arr.length);
      for (let k = 0; k < arr.length; k++) {
        const v = arr[k];
        if (typeof v === "number") out[k] = v;
        if (typeof v !== "number" || !Number.isFinite(out[k]) || v < 0) {
          throw new RaggedError("INVALID_ARGUMENT", `sampleWeight[${i}] must hold finite, non-negative numbers (within float32 range).`, { received: describe(v) });
        }
      }
      weights[i] = out;
    }
  }
  return { count, features, xs: xsOut, lengths, ys: ysOut, yWidth: target?.width ?? 0, perStep: target?.perStep ?? false, weights, masks, outputLengths: args.outputLengths ?? null, labelSequences: target?.readLabels !== undefined };
}

/** [length] 1 where the step is real under `rule`, 0 where it is padding. */
function stepMask(x: Float32Array, length: number, features: number, rule: InputMaskRule): Uint8Array {
  const m = new Uint8Array(length);
  for (let t = 0; t < length; t++) {
    let padding = true;
    for (let c = 0; c < features && padding; c++) {
      const v = x[t * features + c];
      padding = rule.kind === "zeroId" ? v === 0 : v === rule.value;
    }
    m[t] = padding ? 0 : 1;
  }
  return m;
}

/** The single run of real steps of a mask, or null when it has holes. All-padding: length 0. */
function realRun(mask: Uint8Array): { start: number; length: number } | null {
  let first = -1;
  let last = -1;
  for (let t = 0; t < mask.length; t++) {
    if (mask[t]) {
      if (first < 0) first = t;
      last = t;
    }
  }
  if (first < 0) return { start: 0, length: 0 };
  for (let t = first; t <= last; t++) if (!mask[t]) return null;
  return { start: first, length: last - first + 1 };
}

function asList(v: unknown, name: string, expected: string): ArrayLike<unknown> {
  if (v === null || typeof v !== "object" || typeof (v as ArrayLike<unknown>).length !== "number") {
    throw new RaggedError("BAD_INPUT", `${name} must be a list.`, { expected, received: describe(v) });
  }
  return v as ArrayLike<unknown>;
}

/**
 * NOTE [ flat sequences ]: a sequence may also be given as one typed array holding its steps
 * row-major ([steps × features]); it is copied once and checked for finite values, without the
 * per-step walk nested arrays need. The fast way in for generated or decoded data.
 */
function isFlat(v: unknown): v is ArrayLike<number> {
  return ArrayBuffer.isView(v) && !(v instanceof DataView) && !isBigIntArray(v);
}

function isBigIntArray(v: unknown): boolean {
  return v instanceof BigInt64Array || v instanceof BigUint64Array;
}

/**
 * NOTE [ value checks at the boundary ]: every value is checked once, as it is copied: it must be a
 * number that is still finite *as float32* (1e39 is finite in float64 but Infinity in the copy, and
 * one such value turns every weight NaN). Where the model reads ids (an embedding first) or the
 * loss reads class ids (sparse labels), `ids` > 0 also requires an integer in [0, ids), checked on
 * the caller's float64 value (2.0000000001 would round to 2 in float32). Both run before the first
 * training step, so a bad value never changes weights, and the error names its position.
 */
function copyFlat(v: ArrayLike<number>, width: number, where: string, code: "FEATURE_MISMATCH" | "TARGET_MISMATCH", what: string, ids: number, arena: SampleArena): Float32Array {
  if (v.length % width !== 0) {
    throw new RaggedError(code, `${where} (a flat typed array) does not hold whole steps.`, {
      expected: `a multiple of ${width} ${what}`,
      received: `${v.length} numbers`,
      help: "a typed array holds one sequence row-major: steps × values",
    });
  }
  const out = arena.take(v.length);
  // x·0 is ±0 for every finite x and NaN for ±Infinity and NaN: one sum finds out whether to look
  // (another typed array — a Float64Array's values may overflow float32 — is set, then its copy probed in place)
  const probe = v instanceof Float32Array ? copyProbing(v, out) : (out.set(v), copyProbing(out, out));
  if (probe !== 0) {
    for (let k = 0; k < out.length; k++) {
      if (!Number.isFinite(out[k])) throw nonFinite(v[k], flatName(where, k, width));
    }
  }
  if (ids > 0) {
    for (let k = 0; k < v.length; k++) if (!isId(v[k], ids)) throw badId(v[k], flatName(where, k, width), ids, code);
  }
  return out;
}

/**
 * Copies `src` into `out` (the same length, or the same array) and returns Σ x·0 over it, in one pass with four sums
 * so the additions do not wait on each other. An element loop, not `out.set(src)`: into a
 * SharedArrayBuffer (the arena's, NOTE [ one buffer per call ]) V8's set is 2–3× slower (0.44 vs
 * 0.14–0.25 ms for the seed batch's inputs), and the copy then costs no second pass to probe.
 */
function copyProbing(src: Float32Array, out: Float32Array): number {
  const n = src.length;
  let p0 = 0;
  let p1 = 0;
  let p2 = 0;
  let p3 = 0;
  let k = 0;
  for (; k + 4 <= n; k += 4) {
    const a = src[k];
    const b = src[k + 1];
    const c = src[k + 2];
    const d = src[k + 3];
    out[k] = a;
    out[k + 1] = b;
    out[k + 2] = c;
    out[k + 3] = d;
    p0 += a * 0;
    p1 += b * 0;
    p2 += c * 0;
    p3 += d * 0;
  }
  for (; k < n; k++) {
    out[k] = src[k];
    p0 += src[k] * 0;
  }
  return p0 + p1 + p2 + p3;
}

/** The name of element k of a flat [steps × width] array: `xs[3][1][0]`, or `xs[3][1]` for width 1. */
function flatName(where: string, k: number, width: number): string {
  return width === 1 ? `${where}[${k}]` : `${where}[${Math.floor(k / width)}][${k % width}]`;
}

function flattenRows(seq: Sequence, width: number, where: string, code: "FEATURE_MISMATCH" | "TARGET_MISMATCH", what: string, ids: number, arena: SampleArena): Float32Array {
  const out = arena.take(seq.length * width);
  for (let t = 0; t < seq.length; t++) {
    // the common row, a plain list of `width` numbers in float32 range, copied inline (it runs once
    // per step of every sequence); anything else, and every error, takes writeRow
    const row = seq[t];
    if (ids === 0 && Array.isArray(row) && row.length === width && copyNumbers(out, t * width, row, width)) continue;
    writeRow(out, t * width, row, width, where, t, code, what, ids);
  }
  return out;
}

/** Copies `row` to out[at…] and returns true when every value is a number that fits float32; false at the first that does not. */
function copyNumbers(out: Float32Array, at: number, row: unknown[], width: number): boolean {
  for (let c = 0; c < width; c++) {
    const v = row[c];
    if (typeof v !== "number" || !fitsFloat32(v)) return false;
    out[at + c] = v;
  }
  return true;
}

function flattenRow(v: unknown, width: number, where: string, code: "FEATURE_MISMATCH" | "TARGET_MISMATCH", what: string, ids: number, arena: SampleArena): Float32Array {
  const out = arena.take(width);
  writeRow(out, 0, v, width, where, null, code, what, ids);
  return out;
}

/**
 * Checks and copies one row. `where` and `t` name it in messages (`xs[3]` and step 12 → `xs[3][12]`);
 * the name is built only when there is an error, since this runs once per step.
 */
function writeRow(out: Float32Array, at: number, step: unknown, width: number, where: string, t: number | null, code: "FEATURE_MISMATCH" | "TARGET_MISMATCH", what: string, ids: number): void {
  if (typeof step === "number") {
    if (width !== 1) {
      throw new RaggedError(code, `${rowName(where, t)} has the wrong number of values.`, { expected: `${width} ${what}`, received: "a single number" });
    }
    if (!fitsFloat32(step)) throw nonFinite(step, rowName(where, t));
    out[at] = step;
    if (ids > 0 && !isId(step, ids)) throw badId(step, rowName(where, t), ids, code);
    return;
  }
  if (step === null || typeof step !== "object" || typeof (step as ArrayLike<unknown>).length !== "number") {
    throw new RaggedError(code === "FEATURE_MISMATCH" ? "BAD_SEQUENCE" : code, `${rowName(where, t)} is not a list of numbers.`, {
      expected: `${width} ${what}`,
      received: describe(step),
    });
  }
  const row = step as ArrayLike<unknown>;
  if (row.length !== width) {
    throw new RaggedError(code, `${rowName(where, t)} has the wrong number of values.`, {
      expected: `${width} ${what}`,
      received: `${row.length}`,
      help: code === "FEATURE_MISMATCH" ? "every step must have as many features as the model's inputShape says" : "targets must match the model's output width",
    });
  }
  for (let c = 0; c < width; c++) {
    const v = row[c];
    if (typeof v !== "number" || !fitsFloat32(v)) throw nonFinite(v, `${rowName(where, t)}[${c}]`);
    out[at + c] = v;
    if (ids > 0 && !isId(v, ids)) throw badId(v, `${rowName(where, t)}[${c}]`, ids, code);
  }
}

function rowName(where: string, t: number | null): string {
  return t === null ? where : `${where}[${t}]`;
}

function nonFinite(v: unknown, where: string): RaggedError {
  if (typeof v === "number" && Number.isFinite(v)) {
    return new RaggedError("NON_FINITE", `${where} exceeds float32: it is finite in float64 but becomes Infinity as the float32 that training uses.`, {
      expected: `numbers within float32 range (|v| ≤ ${FLOAT32_MAX.toExponential(6)})`,
      received: describe(v),
      help: "rescale or standardise the feature (e.g. divide by its largest value) before training",
    });
  }
  return new RaggedError("NON_FINITE", `${where} is not a finite number.`, {
    expected: "finite numbers (no NaN, Infinity or non-numbers)",
    received: describe(v),
    help: "clean or impute missing values before training",
  });
}

function isId(v: number, limit: number): boolean {
  return Number.isInteger(v) && v >= 0 && v < limit;
}

function badId(v: unknown, where: string, limit: number, code: "FEATURE_MISMATCH" | "TARGET_MISMATCH"): RaggedError {
  if (code === "TARGET_MISMATCH") {
    return new RaggedError("TARGET_MISMATCH", `${where} is not a class id.`, {
      expected: `an integer in [0, ${limit}) (the model has ${limit} outputs)`,
      received: describe(v),
      help: "sparse losses take class ids (0, 1, 2, …); for one-hot targets use categoricalCrossentropy",
    });
  }
  return new RaggedError("BAD_INPUT", `${where} is not a token id.`, {
    expected: `integers in [0, ${limit}) (the embedding's inputDim is ${limit})`,
    received: describe(v),
    help: typeof v === "number" && v >= limit ? "raise inputDim to the vocabulary size (largest id + 1)" : "token ids must be whole numbers ≥ 0",
  });
}

/**
 * Throws EMPTY_DATA unless the samples hold something to learn from: at least one sequence, and at
 * least one real step (sequences of length 0 alone give a loss of 0 and no gradient).
 */
export function requireData(samples: { readonly count: number; readonly lengths: ArrayLike<number> }, where: string): void {
  if (samples.count === 0) {
    throw new RaggedError("EMPTY_DATA", `${where} got no sequences to train on.`, {
      expected: "at least one sequence",
      received: "an empty list",
    });
  }
  let steps = 0;
  for (let i = 0; i < samples.count && steps === 0; i++) steps += samples.lengths[i];
  if (steps === 0) {
    throw new RaggedError("EMPTY_DATA", `${where} got only sequences of length 0: there is nothing to learn from.`, {
      expected: "at least one sequence with one step or more",
      received: `${samples.count} sequences, all of length 0`,
      help: "drop empty sequences from the data (they contribute no loss and no gradient)",
    });
  }
}

/** A packed batch of samples, with targets lined up with the model's output rows. */
export interface Batch {
  layout: PackedLayout;
  /** [N, features] */
  x: Float32Array;
  features: number;
  /** [N] row mask for a padded batch whose mask has holes (NOTE [ masks with holes ]); else null. */
  mask: Uint8Array | null;
  /** [rows, yWidth] in output-row order (packed rows, or sorted sequences); null without targets. */
  y: Float32Array | null;
  /** [rows] per-row weights; null for all ones. */
  weights: Float32Array | null;
  /** Caller indices of the batch's samples, in batch order. */
  indices: readonly number[];
  /**
   * [B + 1] for label-sequence targets (NOTE [ label-sequence targets ]): `y` holds the labels of
   * the sequence at sorted position j of the output layout in y[labelOffsets[j] … labelOffsets[j+1]).
   */
  labelOffsets?: Int32Array | null;
  /**
   * When padded input was packed at the edge: per batch sample, where its real steps started and
   * its padded length, so per-step outputs can be padded back (zeros at padding).
   */
  padding: { start: Int32Array; paddedLength: Int32Array } | null;
  /** A nested input's words as one packed batch (nested_samples.ts); `x` is then its rows. */
  nested?: NestedRows | null;
}

/** out[at … at+width) = src[from … from+width): a plain loop, cheaper than subarray + set for short rows. */
function copyRow(out: Float32Array, at: number, src: Float32Array, from: number, width: number): void {
  for (let k = 0; k < width; k++) out[at + k] = src[from + k];
}

/**
 * Packs `samples[indices]` (see NOTE [ the packed layout ]). Padded, masked samples are packed to
 * their real steps when every mask in the batch is one run (pre- or post-padding); otherwise the
 * batch keeps full lengths with a row mask (NOTE [ masks with holes ]).
 */
export function makeBatch(samples: Samples, indices: readonly number[]): Batch {
  const B = indices.length;
  const runs = samples.masks ? indices.map((i) => realRun((samples.masks as readonly Uint8Array[])[i])) : null;
  const packReal = runs !== null && runs.every((r) => r !== null);
  const holes = runs !== null && !packReal;
  const start = new Int32Array(B);
  const lengths = new Int32Array(B);
  indices.forEach((i, k) => {
    const run = packReal ? (runs as { start: number; length: number }[])[k] : null;
    start[k] = run ? run.start : 0;
    lengths[k] = run ? run.length : samples.lengths[i];
  });
  const layout = packLayout(lengths);
  const C = samples.features;
  const x = stepArray(layout.totalSteps * C); // every row written below; recycled where a training step packs its own batch (NOTE [ step buffers ])
  const mask = holes ? new Uint8Array(layout.totalSteps) : null;
  const { offsets, sortedIndices, sortedLengths } = layout;
  for (let j = 0; j < layout.batch; j++) {
    const k = sortedIndices[j];
    const sample = indices[k];
    const xs = samples.xs[sample];
    for (let t = 0; t < sortedLengths[j]; t++) {
      const s = start[k] + t;
      copyRow(x, (offsets[t] + j) * C, xs, s * C, C);
      if (mask) mask[offsets[t] + j] = (samples.masks as readonly Uint8Array[])[sample][s];
    }
  }
  // targets follow the output layout: the input's, unless the model changes lengths (repeatVector)
  const outLengths = samples.outputLengths ? samples.outputLengths(lengths) : lengths;
  const sameLengths = outLengths === lengths || outLengths.every((l, k) => l === lengths[k]);
  const targetLayout = sameLengths ? layout : packLayout(outLengths);
  const targetStart = sameLengths ? start : new Int32Array(B);
  const { y, weights, labelOffsets } = placeTargets(samples, indices, targetLayout, targetStart, holes);
  const padding = packReal ? { start, paddedLength: Int32Array.from(indices, (i) => samples.lengths[i]) } : null;
  return { layout, x, features: C, mask, y, weights, indices, padding, labelOffsets };
}

/**
 * Targets and weights of `samples[indices]` in the rows of an output: the packed rows of
 * `targetLayout` for per-step targets (step t of a sample read at `targetStart[k] + t` of its
 * targets), else one row per sequence in its sorted order.
 * @param forceWeights - make a weights array even without sample weights (per-step rows of a mask with holes).
 */
export function placeTargets(
  samples: Pick<Samples, "ys" | "yWidth" | "perStep" | "weights" | "labelSequences">,
  indices: readonly number[],
  targetLayout: PackedLayout,
  targetStart: Int32Array,
  forceWeights: boolean,
): { y: Float32Array | null; weights: Float32Array | null; labelOffsets: Int32Array | null } {
  const U = samples.yWidth;
  const perStep = samples.perStep;
  const rows = perStep ? targetLayout.totalSteps : targetLayout.batch;
  const labels = samples.labelSequences && samples.ys ? concatLabels(samples.ys, indices, targetLayout) : null;
  const y = labels ? labels.ids : samples.ys ? stepArray(rows * U) : null; // every row written below
  const weights = samples.weights || (forceWeights && perStep) ? new Float32Array(rows).fill(1) : null;
  for (let j = 0; j < targetLayout.batch; j++) {
    const k = targetLayout.sortedIndices[j];
    const sample = indices[k];
    const len = targetLayout.sortedLengths[j];
    if (y && samples.ys && !labels) {
      const ys = samples.ys[sample];
      if (perStep) {
        for (let t = 0; t < len; t++) {
          const s = targetStart[k] + t;
          copyRow(y, (targetLayout.offsets[t] + j) * U, ys, s * U, U);
        }
      } else y.set(ys, j * U);
    }
    if (weights) {
      const w = samples.weights ? samples.weights[sample] : null;
      if (perStep) {
        for (let t = 0; t < len; t++) {
          const s = targetStart[k] + t;
          const row = targetLayout.offsets[t] + j;
          weights[row] = w ? (w.length === 1 ? w[0] : w[s]) : 1;
        }
      } else weights[j] = w ? w[0] : 1;
    }
  }
  return { y, weights, labelOffsets: labels ? labels.offsets : null };
}

/** The label sequences of `indices`, concatenated in the sorted order of `layout` (NOTE [ label-sequence targets ]). */
function concatLabels(ys: readonly Float32Array[], indices: readonly number[], layout: PackedLayout): { ids: Float32Array; offsets: Int32Array } {
  const offsets = new Int32Array(layout.batch + 1);
  for (let j = 0; j < layout.batch; j++) offsets[j + 1] = offsets[j] + ys[indices[layout.sortedIndices[j]]].length;
  const ids = new Float32Array(offsets[layout.batch]);
  for (let j = 0; j < layout.batch; j++) ids.set(ys[indices[layout.sortedIndices[j]]], offsets[j]);
  return { ids, offsets };
}
