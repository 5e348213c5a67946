/**
 * From the caller's arrays to validated samples, and from samples to packed batches.
 *
 * `toSamples` checks every sequence and target once, at the boundary (so a bad value is reported
 * before training starts, with its position), and copies them into one Float32Array per sample —
 * the caller's arrays are never kept or changed. `makeBatch` then packs any subset of samples
 * into a PackedBatch and lines the targets up with the model's output rows.
 */
import { RaggedError, describe } from "../core/errors.js";
import { type PackedLayout, type Sequence, packLayout } from "../data/packed.js";

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
}

export interface TargetSpec {
  /** Whether the model outputs one row per step (true) or one per sequence. */
  perStep: boolean;
  /** Values per target row. */
  width: number;
}

export interface ToSamplesArgs {
  features: number;
  target: TargetSpec | null;
  sampleWeight?: ArrayLike<number | ArrayLike<number>> | null;
  /** Names for messages, default "xs" / "ys". */
  xName?: string;
  yName?: string;
}

/** Validates and copies (xs, ys). See the file comment. */
export function toSamples(xs: unknown, ys: unknown, args: ToSamplesArgs): Samples {
  const xName = args.xName ?? "xs";
  const yName = args.yName ?? "ys";
  const list = asList(xs, xName, "a list of sequences (xs[i] = one sequence, a list of steps)");
  const count = list.length;
  const features = args.features;
  const xsOut: Float32Array[] = new Array(count);
  const lengths = new Int32Array(count);
  for (let i = 0; i < count; i++) {
    const seq = list[i] as Sequence;
    if (seq === null || typeof seq !== "object" || typeof seq.length !== "number") {
      throw new RaggedError("BAD_SEQUENCE", `${xName}[${i}] is not a sequence (a list of steps).`, {
        expected: `a list of steps, each a list of ${features} numbers${features === 1 ? " (or a number)" : ""}`,
        received: describe(seq),
      });
    }
    lengths[i] = seq.length;
    xsOut[i] = flattenRows(seq, features, `${xName}[${i}]`, "FEATURE_MISMATCH", "features per step");
  }
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
    for (let i = 0; i < count; i++) {
      const y = ylist[i];
      if (target.perStep) {
        const steps = y as ArrayLike<unknown>;
        if (steps === null || typeof steps !== "object" || typeof steps.length !== "number") {
          throw new RaggedError("TARGET_MISMATCH", `${yName}[${i}] must be a list of per-step targets (the model returns sequences).`, {
            expected: `a list of ${lengths[i]} targets, one per step of ${xName}[${i}]`,
            received: describe(y),
          });
        }
        if (steps.length !== lengths[i]) {
          throw new RaggedError("TARGET_MISMATCH", `${yName}[${i}] must have one target per step of ${xName}[${i}].`, {
            expected: `${lengths[i]} steps`,
            received: `${steps.length} steps`,
            help: "per-step targets follow their sequence's length; to predict one value per sequence use returnSequences: false on the last recurrent layer",
          });
        }
        ysOut[i] = flattenRows(steps as Sequence, target.width, `${yName}[${i}]`, "TARGET_MISMATCH", "values per target step");
      } else {
        ysOut[i] = flattenRow(y, target.width, `${yName}[${i}]`, "TARGET_MISMATCH", "values per target");
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
      if (perStepW && (!target?.perStep || arr.length !== lengths[i])) {
        throw new RaggedError("TARGET_MISMATCH", `sampleWeight[${i}] has the wrong length.`, {
          expected: target?.perStep ? `one number, or ${lengths[i]} per-step weights` : "one number per sequence",
          received: describe(w),
        });
      }
      const out = new Float32Array(arr.length);
      for (let k = 0; k < arr.length; k++) {
        const v = arr[k];
        if (typeof v !== "number" || !Number.isFinite(v) || v < 0) {
          throw new RaggedError("INVALID_ARGUMENT", `sampleWeight[${i}] must hold finite, non-negative numbers.`, { received: describe(v) });
        }
        out[k] = v;
      }
      weights[i] = out;
    }
  }
  return { count, features, xs: xsOut, lengths, ys: ysOut, yWidth: target?.width ?? 0, perStep: target?.perStep ?? false, weights };
}

function asList(v: unknown, name: string, expected: string): ArrayLike<unknown> {
  if (v === null || typeof v !== "object" || typeof (v as ArrayLike<unknown>).length !== "number") {
    throw new RaggedError("BAD_INPUT", `${name} must be a list.`, { expected, received: describe(v) });
  }
  return v as ArrayLike<unknown>;
}

function flattenRows(seq: Sequence, width: number, where: string, code: "FEATURE_MISMATCH" | "TARGET_MISMATCH", what: string): Float32Array {
  const out = new Float32Array(seq.length * width);
  for (let t = 0; t < seq.length; t++) writeRow(out, t * width, seq[t], width, `${where}[${t}]`, code, what);
  return out;
}

function flattenRow(v: unknown, width: number, where: string, code: "FEATURE_MISMATCH" | "TARGET_MISMATCH", what: string): Float32Array {
  const out = new Float32Array(width);
  writeRow(out, 0, v, width, where, code, what);
  return out;
}

function writeRow(out: Float32Array, at: number, step: unknown, width: number, where: string, code: "FEATURE_MISMATCH" | "TARGET_MISMATCH", what: string): void {
  if (typeof step === "number") {
    if (width !== 1) {
      throw new RaggedError(code, `${where} has the wrong number of values.`, { expected: `${width} ${what}`, received: "a single number" });
    }
    if (!Number.isFinite(step)) throw nonFinite(step, where);
    out[at] = step;
    return;
  }
  if (step === null || typeof step !== "object" || typeof (step as ArrayLike<unknown>).length !== "number") {
    throw new RaggedError(code === "FEATURE_MISMATCH" ? "BAD_SEQUENCE" : code, `${where} is not a list of numbers.`, {
      expected: `${width} ${what}`,
      received: describe(step),
    });
  }
  const row = step as ArrayLike<unknown>;
  if (row.length !== width) {
    throw new RaggedError(code, `${where} has the wrong number of values.`, {
      expected: `${width} ${what}`,
      received: `${row.length}`,
      help: code === "FEATURE_MISMATCH" ? "every step must have as many features as the model's inputShape says" : "targets must match the model's output width",
    });
  }
  for (let c = 0; c < width; c++) {
    const v = row[c];
    if (typeof v !== "number" || !Number.isFinite(v)) throw nonFinite(v, `${where}[${c}]`);
    out[at + c] = v;
  }
}

function nonFinite(v: unknown, where: string): RaggedError {
  return new RaggedError("NON_FINITE", `${where} is not a finite number.`, {
    expected: "finite numbers (no NaN, Infinity or non-numbers)",
    received: describe(v),
    help: "clean or impute missing values before training",
  });
}

/** A packed batch of samples, with targets lined up with the model's output rows. */
export interface Batch {
  layout: PackedLayout;
  /** [N, features] */
  x: Float32Array;
  features: number;
  /** [rows, yWidth] in output-row order (packed rows, or sorted sequences); null without targets. */
  y: Float32Array | null;
  /** [rows] per-row weights; null for all ones. */
  weights: Float32Array | null;
  /** Caller indices of the batch's samples, in batch order. */
  indices: readonly number[];
}

/** Packs `samples[indices]` (see NOTE [ the packed layout ]). */
export function makeBatch(samples: Samples, indices: readonly number[]): Batch {
  const lengths = indices.map((i) => samples.lengths[i]);
  const layout = packLayout(lengths);
  const C = samples.features;
  const x = new Float32Array(layout.totalSteps * C);
  const { offsets, sortedIndices, sortedLengths } = layout;
  const U = samples.yWidth;
  const perStep = samples.perStep;
  const rows = perStep ? layout.totalSteps : layout.batch;
  const y = samples.ys ? new Float32Array(rows * U) : null;
  const weights = samples.weights ? new Float32Array(rows) : null;
  for (let j = 0; j < layout.batch; j++) {
    const sample = indices[sortedIndices[j]];
    const xs = samples.xs[sample];
    const len = sortedLengths[j];
    for (let t = 0; t < len; t++) x.set(xs.subarray(t * C, (t + 1) * C), (offsets[t] + j) * C);
    if (y && samples.ys) {
      const ys = samples.ys[sample];
      if (perStep) for (let t = 0; t < len; t++) y.set(ys.subarray(t * U, (t + 1) * U), (offsets[t] + j) * U);
      else y.set(ys, j * U);
    }
    if (weights && samples.weights) {
      const w = samples.weights[sample];
      if (perStep) for (let t = 0; t < len; t++) weights[offsets[t] + j] = w.length === 1 ? w[0] : w[t];
      else weights[j] = w[0];
    }
  }
  return { layout, x, features: C, y, weights, indices };
}
