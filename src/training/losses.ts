/**
 * Losses, Keras 3 arithmetic. Each loss computes one value per row (per real timestep, or per
 * sequence) and, when asked, the gradient of `Σ_r scale_r · ℓ_r` with respect to the predictions.
 * The reduction over rows (NOTE [ loss reduction ] in training/reduction.ts) supplies `scale`.
 *
 * pred: [rows, width], target: [rows, targetWidth(width)] → per-row values: [rows]
 *
 * - categoricalCrossentropy: rows renormalised to sum 1, clipped to [ε, 1−ε], ε = 1e-7, then
 *   −Σ y·log p (what Keras does on non-softmax outputs; the seed's sigmoid model relies on it).
 *   With `fromLogits`: −Σ y·log softmax(z) (tf.nn.softmax_cross_entropy_with_logits).
 * - sparseCategoricalCrossentropy: the same with a class id in place of the one-hot row.
 * - binaryCrossentropy: p clipped to [ε, 1−ε], −mean(y·log(p+ε) + (1−y)·log(1−p+ε)) (Keras 3's
 *   TensorFlow backend formula). With `fromLogits`: mean(max(z,0) − z·y + log(1 + e^−|z|))
 *   (tf.nn.sigmoid_cross_entropy_with_logits).
 * - meanSquaredError: mean((p − y)²); meanAbsoluteError: mean(|p − y|) over the last axis.
 * - huber: mean of ½d² where |d| ≤ δ, δ·|d| − ½δ² elsewhere (d = p − y, δ = `delta`, default 1).
 * - ctc: connectionist temporal classification over label-sequence targets, one value per sequence
 *   (training/ctc/ctc_loss.ts; NOTE [ label-sequence targets ] in samples.ts).
 *
 * Porting note: Keras 3.0–3.3's TensorFlow backend computes binary crossentropy as
 * −(y·log(p+ε) + (1−y)·log(1−p+ε)) after clipping p; later releases dropped the `+ε` inside the
 * logs. ragged keeps the first form (the TF.js oracle tests were written against it). Each log
 * term differs by about ε/p, so the two agree to ~1e-6 unless a prediction is within a few orders
 * of magnitude of 0 or 1.
 *
 * Porting note: for sparse labels without logits, Keras' JAX and torch backends renormalise then
 * clip (as categoricalCrossentropy does); the TensorFlow backend clips, takes logs and applies
 * sparse_softmax_cross_entropy_with_logits (clip, then renormalise). ragged follows the first, so
 * a sparse label always gives exactly the loss of its one-hot row. The two agree whenever no
 * renormalised probability is clipped.
 */
import { RaggedError, describe } from "../core/errors.js";
import { type SequenceLossArgs, ctc } from "./ctc/ctc_loss.js";
import { EPSILON, type RowLossArgs, clip, crossentropyRow, targetAt } from "../core/kernels/crossentropy.js";
import { kernels } from "../core/kernels/registry.js";
import { stepZeros } from "../core/step_buffers.js";

export { ctc, type CTCOptions, type SequenceLossArgs } from "./ctc/ctc_loss.js";

export { EPSILON };

export type LossName =
  | "categoricalCrossentropy"
  | "sparseCategoricalCrossentropy"
  | "binaryCrossentropy"
  | "meanSquaredError"
  | "meanAbsoluteError"
  | "huber"
  | "ctc";

/** Options a loss may take (each loss accepts only the ones it documents). */
export interface LossOptions {
  /** Whether predictions are logits (crossentropies only); default false. */
  fromLogits?: boolean;
  /** Huber's threshold between the quadratic and linear parts; default 1.0. */
  delta?: number;
  /** CTC's blank class; default 0 (negative counts from the end). */
  blankIndex?: number;
  /** CTC: an impossible alignment gives loss 0 instead of +Infinity; default false. */
  zeroInfinity?: boolean;
}

/** A loss named with options, e.g. `{ name: "sparseCategoricalCrossentropy", fromLogits: true }`. */
export interface LossConfig extends LossOptions {
  name: string;
}

/** What `getLoss` (and so `compile`) accepts: a name, a name with options, or a Loss. */
export type LossSpec = string | LossConfig | Loss;

/** What `Loss.compute` takes: predictions, targets, and where the gradient goes (defined with the kernels). */
export type LossArgs = RowLossArgs;

export interface Loss {
  readonly name: LossName;
  /** The options this loss was made with (all of them, defaults filled in); absent on custom losses. */
  readonly options?: Readonly<LossOptions>;
  /** Target values per row for `width` outputs (1 for sparse labels). */
  targetWidth(width: number): number;
  /** Per-row loss values [rows]; fills `grad` when given. */
  compute(args: LossArgs): Float32Array;
  /**
   * What the targets are (NOTE [ label-sequence targets ] in samples.ts): "rows" (the default when
   * absent), one target row per output row; or "labelSequences", per sample a list of class ids of
   * any length (CTC). A "labelSequences" loss implements `readLabels` and `computeSequences`.
   */
  readonly targets?: "rows" | "labelSequences";
  /** Checks and copies one sample's label sequence; `where` names it in errors (`ys[3]`). */
  readLabels?(value: unknown, where: string, width: number): Float32Array;
  /** Per-sequence loss values [B] (sorted order of `layout`); fills `grad` when given. */
  computeSequences?(args: SequenceLossArgs): Float32Array;
}

/**
 * One row of logits-form categorical crossentropy: ℓ = Σy·logsumexp(z) − Σ y·z, gradient
 * s·(softmax(z)·Σy − y).
 */
function crossentropyLogitsRow(pred: Float32Array, o: number, width: number, target: Float32Array, t: number, label: number, grad: Float32Array | null, s: number): number {
  let max = -Infinity;
  for (let k = 0; k < width; k++) if (pred[o + k] > max) max = pred[o + k];
  let sumExp = 0;
  for (let k = 0; k < width; k++) sumExp += Math.exp(pred[o + k] - max);
  const lse = max + Math.log(sumExp);
  let ySum = 0;
  let loss = 0;
  for (let k = 0; k < width; k++) {
    const yk = targetAt(target, t, label, k);
    ySum += yk;
    if (yk !== 0) loss += yk * (lse - pred[o + k]);
  }
  if (grad) {
    for (let k = 0; k < width; k++) grad[o + k] = s * (Math.exp(pred[o + k] - lse) * ySum - targetAt(target, t, label, k));
  }
  return loss;
}

/**
 * Categorical crossentropy on one-hot (or soft) targets, as Keras `categorical_crossentropy`.
 * @param options - `fromLogits` (default false): predictions are logits, not probabilities.
 * @returns a Loss for `compile` or `getLoss`.
 * @example
 * const loss = categoricalCrossentropy();
 * loss.compute({ pred: new Float32Array([0.9, 0.05, 0.05]), target: new Float32Array([1, 0, 0]), rows: 1, width: 3, grad: null, scale: null });
 * // Float32Array [0.10536]
 */
export function categoricalCrossentropy(options: Pick<LossOptions, "fromLogits"> = {}): Loss {
  const fromLogits = options.fromLogits ?? false;
  return {
    name: "categoricalCrossentropy",
    options: { fromLogits },
    targetWidth: (w) => w,
    compute({ pred, target, rows, width, grad, scale }) {
      const out = stepZeros(rows); // recycled inside a training step (NOTE [ step buffers ])
      if (!fromLogits) {
        kernels().crossentropy({ pred, target, rows, width, grad, scale, out }); // a kernel: the seed's loss, one row per step
        return out;
      }
      for (let r = 0; r < rows; r++) {
        const o = r * width;
        out[r] = crossentropyLogitsRow(pred, o, width, target, o, -1, grad, scale ? scale[r] : 1);
      }
      return out;
    },
  };
}

/**
 * Categorical crossentropy with integer class ids as targets, as Keras
 * `sparse_categorical_crossentropy`: the target row holds one value, the class id.
 * @param options - `fromLogits` (default false).
 * @returns a Loss whose `targetWidth` is 1.
 * @throws RaggedError `TARGET_MISMATCH` when a label is not an integer in [0, width).
 * @example
 * const loss = sparseCategoricalCrossentropy({ fromLogits: true });
 * loss.compute({ pred: new Float32Array([2, 1, 0.1]), target: new Float32Array([0]), rows: 1, width: 3, grad: null, scale: null });
 * // Float32Array [0.41703]
 */
export function sparseCategoricalCrossentropy(options: Pick<LossOptions, "fromLogits"> = {}): Loss {
  const fromLogits = options.fromLogits ?? false;
  const row = fromLogits ? crossentropyLogitsRow : crossentropyRow;
  return {
    name: "sparseCategoricalCrossentropy",
    options: { fromLogits },
    targetWidth: () => 1,
    compute({ pred, target, rows, width, grad, scale }) {
      const out = stepZeros(rows); // recycled inside a training step (NOTE [ step buffers ])
      for (let r = 0; r < rows; r++) {
        const label = sparseLabel(target[r], r, width);
        out[r] = row(pred, r * width, width, target, r, label, grad, scale ? scale[r] : 1);
      }
      return out;
    },
  };
}

/** A class id from a Float32 target value, checked. Shared with the sparse accuracy metric. */
export function sparseLabel(value: number, row: number, width: number): number {
  if (!Number.isInteger(value) || value < 0 || value >= width) {
    throw new RaggedError("TARGET_MISMATCH", `Sparse label at target row ${row} is not a class id.`, {
      expected: `an integer in [0, ${width}) (the model has ${width} outputs)`,
      received: `${describe(value)} at target row ${row}`,
      help: "sparse losses and metrics take class ids (0, 1, 2, …); for one-hot targets use categoricalCrossentropy",
    });
  }
  return value;
}

/**
 * Binary crossentropy, averaged over the last axis, as Keras `binary_crossentropy`.
 * @param options - `fromLogits` (default false).
 * @returns a Loss.
 * @example
 * const loss = binaryCrossentropy();
 * loss.compute({ pred: new Float32Array([0.6, 0.4]), target: new Float32Array([0, 1]), rows: 1, width: 2, grad: null, scale: null });
 * // Float32Array [0.91629]
 */
export function binaryCrossentropy(options: Pick<LossOptions, "fromLogits"> = {}): Loss {
  const fromLogits = options.fromLogits ?? false;
  return {
    name: "binaryCrossentropy",
    options: { fromLogits },
    targetWidth: (w) => w,
    compute({ pred, target, rows, width, grad, scale }) {
      const out = stepZeros(rows); // recycled inside a training step (NOTE [ step buffers ])
      for (let r = 0; r < rows; r++) {
        const o = r * width;
        const s = (scale ? scale[r] : 1) / width;
        let loss = 0;
        for (let k = 0; k < width; k++) {
          const y = target[o + k];
          const z = pred[o + k];
          if (fromLogits) {
            loss += Math.max(z, 0) - z * y + Math.log1p(Math.exp(-Math.abs(z)));
            if (grad) grad[o + k] = s * (sigmoid(z) - y);
          } else {
            const p = clip(z);
            loss -= y * Math.log(p + EPSILON) + (1 - y) * Math.log(1 - p + EPSILON);
            if (grad) grad[o + k] = z > EPSILON && z < 1 - EPSILON ? -s * (y / (p + EPSILON) - (1 - y) / (1 - p + EPSILON)) : 0;
          }
        }
        out[r] = loss / width;
      }
      return out;
    },
  };
}

function sigmoid(z: number): number {
  if (z >= 0) return 1 / (1 + Math.exp(-z));
  const e = Math.exp(z);
  return e / (1 + e);
}

/**
 * Mean squared error over the last axis, as Keras `mean_squared_error`.
 * @returns a Loss.
 * @example
 * meanSquaredError().compute({ pred: new Float32Array([1, 2]), target: new Float32Array([0, 0]), rows: 1, width: 2, grad: null, scale: null });
 * // Float32Array [2.5]
 */
export function meanSquaredError(): Loss {
  return elementwise("meanSquaredError", {}, (d) => d * d, (d) => 2 * d);
}

/**
 * Mean absolute error over the last axis, as Keras `mean_absolute_error`. The gradient at
 * p = y is 0 (sign(0), as TensorFlow).
 * @returns a Loss.
 * @example
 * meanAbsoluteError().compute({ pred: new Float32Array([1, -2]), target: new Float32Array([0, 0]), rows: 1, width: 2, grad: null, scale: null });
 * // Float32Array [1.5]
 */
export function meanAbsoluteError(): Loss {
  return elementwise("meanAbsoluteError", {}, (d) => Math.abs(d), (d) => Math.sign(d));
}

/**
 * Huber loss over the last axis, as Keras `huber`: ½d² where |d| ≤ δ, δ·|d| − ½δ² elsewhere.
 * @param options - `delta` (default 1.0), a positive number.
 * @returns a Loss.
 * @throws RaggedError `INVALID_ARGUMENT` when `delta` is not a positive number.
 * @example
 * huber({ delta: 1 }).compute({ pred: new Float32Array([0.5, 3]), target: new Float32Array([0, 0]), rows: 1, width: 2, grad: null, scale: null });
 * // Float32Array [1.3125]  = (0.125 + 2.5) / 2
 */
export function huber(options: Pick<LossOptions, "delta"> = {}): Loss {
  const delta = options.delta ?? 1.0;
  if (typeof delta !== "number" || !Number.isFinite(delta) || delta <= 0) {
    throw new RaggedError("INVALID_ARGUMENT", "Huber `delta` must be a positive number.", { received: `delta = ${describe(delta)}` });
  }
  return elementwise(
    "huber",
    { delta },
    (d) => (Math.abs(d) <= delta ? 0.5 * d * d : delta * Math.abs(d) - 0.5 * delta * delta),
    (d) => (Math.abs(d) <= delta ? d : delta * Math.sign(d)),
  );
}

/** A loss that is the mean over the last axis of f(p − y); `df` is its derivative. */
function elementwise(name: LossName, options: LossOptions, f: (d: number) => number, df: (d: number) => number): Loss {
  return {
    name,
    options,
    targetWidth: (w) => w,
    compute({ pred, target, rows, width, grad, scale }) {
      const out = stepZeros(rows); // recycled inside a training step (NOTE [ step buffers ])
      for (let r = 0; r < rows; r++) {
        const o = r * width;
        const s = (scale ? scale[r] : 1) / width;
        let loss = 0;
        for (let k = 0; k < width; k++) {
          const d = pred[o + k] - target[o + k];
          loss += f(d);
          if (grad) grad[o + k] = df(d) * s;
        }
        out[r] = loss / width;
      }
      return out;
    },
  };
}

interface LossEntry {
  make: (options: LossOptions) => Loss;
  options: (keyof LossOptions)[];
}

const LOSSES: Record<LossName, LossEntry> = {
  categoricalCrossentropy: { make: categoricalCrossentropy, options: ["fromLogits"] },
  sparseCategoricalCrossentropy: { make: sparseCategoricalCrossentropy, options: ["fromLogits"] },
  binaryCrossentropy: { make: binaryCrossentropy, options: ["fromLogits"] },
  meanSquaredError: { make: meanSquaredError, options: [] },
  meanAbsoluteError: { make: meanAbsoluteError, options: [] },
  huber: { make: huber, options: ["delta"] },
  ctc: { make: ctc, options: ["blankIndex", "fromLogits", "zeroInfinity"] },
};

/** Keras snake_case function names, Keras class names and Keras' short aliases. */
const ALIASES: Record<string, LossName> = {
  categorical_crossentropy: "categoricalCrossentropy",
  CategoricalCrossentropy: "categoricalCrossentropy",
  sparse_categorical_crossentropy: "sparseCategoricalCrossentropy",
  SparseCategoricalCrossentropy: "sparseCategoricalCrossentropy",
  binary_crossentropy: "binaryCrossentropy",
  BinaryCrossentropy: "binaryCrossentropy",
  bce: "binaryCrossentropy",
  BCE: "binaryCrossentropy",
  mean_squared_error: "meanSquaredError",
  MeanSquaredError: "meanSquaredError",
  mse: "meanSquaredError",
  MSE: "meanSquaredError",
  mean_absolute_error: "meanAbsoluteError",
  MeanAbsoluteError: "meanAbsoluteError",
  mae: "meanAbsoluteError",
  MAE: "meanAbsoluteError",
  Huber: "huber",
  huber_loss: "huber",
  CTC: "ctc",
};

/** The canonical name for a loss name or alias, or null. */
export function canonicalLossName(name: string): LossName | null {
  if (Object.prototype.hasOwnProperty.call(LOSSES, name)) return name as LossName;
  return Object.prototype.hasOwnProperty.call(ALIASES, name) ? ALIASES[name] : null;
}

/**
 * A loss by name (TF.js camelCase, Keras snake_case or class name), by name with options, or a
 * Loss passed through.
 * @param spec - `"mse"`, `{ name: "sparseCategoricalCrossentropy", fromLogits: true }`, a Loss…
 * @returns the Loss.
 * @throws RaggedError `UNKNOWN_NAME` for an unknown name; `INVALID_ARGUMENT` for an option the
 *   loss does not take or a bad option value.
 * @example
 * getLoss("sparse_categorical_crossentropy").targetWidth(5); // 1
 * getLoss({ name: "huber", delta: 0.5 }).options; // { delta: 0.5 }
 */
export function getLoss(spec: LossSpec): Loss {
  if (typeof spec === "object" && spec !== null && typeof (spec as Loss).compute === "function") return spec as Loss;
  const isConfig = typeof spec === "object" && spec !== null && typeof (spec as LossConfig).name === "string";
  const rawName = typeof spec === "string" ? spec : isConfig ? (spec as LossConfig).name : undefined;
  const name = rawName === undefined ? null : canonicalLossName(rawName);
  if (!name) {
    throw new RaggedError("UNKNOWN_NAME", "Unknown loss.", {
      expected: `one of ${Object.keys(LOSSES).map((n) => JSON.stringify(n)).join(", ")} (or their Keras names), optionally as { name, ...options }`,
      received: typeof spec === "string" ? JSON.stringify(spec) : describe(spec),
    });
  }
  const entry = LOSSES[name];
  const options: LossOptions = {};
  if (isConfig) {
    for (const [key, value] of Object.entries(spec as LossConfig)) {
      if (key === "name" || value === undefined) continue;
      if (!(entry.options as string[]).includes(key)) {
        throw new RaggedError("INVALID_ARGUMENT", `Loss "${name}" does not take the option \`${key}\`.`, {
          expected: entry.options.length ? `options among ${entry.options.map((o) => `\`${o}\``).join(", ")}` : "no options",
          received: `${key} = ${describe(value)}`,
        });
      }
      if (key === "fromLogits" && typeof value !== "boolean") {
        throw new RaggedError("INVALID_ARGUMENT", "Loss option `fromLogits` must be a boolean.", { received: `fromLogits = ${describe(value)}` });
      }
      (options as Record<string, unknown>)[key] = value;
    }
  }
  return entry.make(options);
}

/** Names accepted by `getLoss` (canonical names; Keras aliases are accepted too). */
export function lossNames(): string[] {
  return Object.keys(LOSSES);
}
