/**
 * Metrics, Keras 3 arithmetic. A metric computes one value per row, like a loss (per real timestep,
 * or per sequence), and a `MetricAccumulator` averages them across the batches of an epoch.
 *
 * pred: [rows, width], target: [rows, targetWidth] → per-row values: [rows]
 *
 * NOTE [ metric reduction ]
 * Keras wraps metric functions in `MeanMetricWrapper`, which folds the output mask into the sample
 * weight and feeds `Mean`: total += Σ v·m·w, count += Σ m·w, result = total / count (0 when count
 * is 0). So a metric is averaged over the *weighted* real rows, Σ v·m·w / Σ m·w, while the loss is
 * divided by Σ m (NOTE [ loss reduction ]). With no sample weights the two agree: Σ v·m / Σ m.
 * The totals run across batches until `reset()`, so the epoch value is the mean over every real
 * row of the epoch, not the mean of batch means.
 *
 * Names in logs are the names the user gave (Keras `get_metric`): "accuracy" logs as "accuracy",
 * "acc" as "acc", "mae" as "mae".
 */
import { RaggedError, describe } from "../core/errors.js";
import type { PackedLayout } from "../data/packed.js";
import { type Loss, type LossSpec, canonicalLossName, getLoss, sparseLabel } from "./losses.js";
import { type SequenceMetricValues, labelErrorRate, sequenceAccuracy, sequenceErrorRate } from "./ctc/label_error_rate.js";

export { labelErrorRate, sequenceAccuracy, sequenceErrorRate, type LabelErrorRateOptions, type SequenceMetricValues } from "./ctc/label_error_rate.js";

export interface MetricArgs {
  /** [rows, width] predictions */
  pred: Float32Array;
  /** [rows, targetWidth] targets, laid out as the compiled loss expects them. */
  target: Float32Array;
  rows: number;
  width: number;
  /** The prediction's layout (per-step outputs); read by label-sequence metrics. */
  layout?: PackedLayout;
  /** [B + 1] label offsets when `target` holds label sequences (NOTE [ label-sequence targets ]). */
  labelOffsets?: Int32Array | null;
}

export interface Metric {
  /** The name shown in logs (as the user wrote it, e.g. "acc"). */
  readonly name: string;
  /** Per-row values [rows]. */
  compute(args: MetricArgs): Float32Array;
  /** "labelSequences" for metrics over label-sequence targets (CTC); per-row targets when absent. */
  readonly targets?: "rows" | "labelSequences";
  /**
   * Label-sequence metrics: per sequence a numerator and a denominator; the epoch value is
   * Σ w·numerator / Σ w·denominator (e.g. Σ edits / Σ reference length).
   */
  computeSequences?(args: MetricArgs): SequenceMetricValues;
}

/** Options of `binaryAccuracy`. */
export interface BinaryAccuracyOptions {
  /** Predictions above it count as 1; default 0.5. */
  threshold?: number;
}

function checkTarget(name: string, target: Float32Array, rows: number, perRow: number, hint: string): void {
  if (target.length !== rows * perRow) {
    throw new RaggedError("TARGET_MISMATCH", `Metric "${name}" got targets of the wrong size.`, {
      expected: `${perRow} target value(s) per row (${rows} rows)`,
      received: `${target.length} target values`,
      help: hint,
    });
  }
}

/**
 * Binary accuracy, as Keras `binary_accuracy`: mean over the last axis of [y == (p > threshold)].
 * @param options - `threshold` (default 0.5); `name` for logs (default "binary_accuracy").
 * @returns a Metric.
 * @example
 * binaryAccuracy().compute({ pred: new Float32Array([0.7, 0.2]), target: new Float32Array([1, 1]), rows: 1, width: 2 });
 * // Float32Array [0.5]
 */
export function binaryAccuracy(options: BinaryAccuracyOptions & { name?: string } = {}): Metric {
  const threshold = options.threshold ?? 0.5;
  const name = options.name ?? "binary_accuracy";
  return {
    name,
    compute({ pred, target, rows, width }) {
      checkTarget(name, target, rows, width, "binary accuracy compares each output with a 0/1 target of the same width");
      const out = new Float32Array(rows);
      for (let r = 0; r < rows; r++) {
        let hits = 0;
        for (let k = 0; k < width; k++) {
          const i = r * width + k;
          if (target[i] === (pred[i] > threshold ? 1 : 0)) hits++;
        }
        out[r] = hits / width;
      }
      return out;
    },
  };
}

function argmax(a: Float32Array, o: number, width: number): number {
  let best = 0;
  for (let k = 1; k < width; k++) if (a[o + k] > a[o + best]) best = k;
  return best;
}

/**
 * Categorical accuracy, as Keras `categorical_accuracy`: 1 where argmax(p) == argmax(y) (first
 * maximum on ties, as `argmax`), else 0.
 * @param options - `name` for logs (default "categorical_accuracy").
 * @returns a Metric.
 * @example
 * categoricalAccuracy().compute({ pred: new Float32Array([0.1, 0.9, 0.8, 0.2]), target: new Float32Array([0, 1, 0, 1]), rows: 2, width: 2 });
 * // Float32Array [1, 0]
 */
export function categoricalAccuracy(options: { name?: string } = {}): Metric {
  const name = options.name ?? "categorical_accuracy";
  return {
    name,
    compute({ pred, target, rows, width }) {
      checkTarget(name, target, rows, width, "categorical accuracy takes one-hot targets; for class ids use sparseCategoricalAccuracy");
      const out = new Float32Array(rows);
      for (let r = 0; r < rows; r++) out[r] = argmax(pred, r * width, width) === argmax(target, r * width, width) ? 1 : 0;
      return out;
    },
  };
}

/**
 * Sparse categorical accuracy, as Keras `sparse_categorical_accuracy`: 1 where argmax(p) equals
 * the class id, else 0.
 * @param options - `name` for logs (default "sparse_categorical_accuracy").
 * @returns a Metric.
 * @throws RaggedError `TARGET_MISMATCH` (from `compute`) when a label is not an integer in [0, width).
 * @example
 * sparseCategoricalAccuracy().compute({ pred: new Float32Array([0.1, 0.9, 0.8, 0.2]), target: new Float32Array([1, 1]), rows: 2, width: 2 });
 * // Float32Array [1, 0]
 */
export function sparseCategoricalAccuracy(options: { name?: string } = {}): Metric {
  const name = options.name ?? "sparse_categorical_accuracy";
  return {
    name,
    compute({ pred, target, rows, width }) {
      checkTarget(name, target, rows, 1, "sparse categorical accuracy takes one class id per row; for one-hot targets use categoricalAccuracy");
      const out = new Float32Array(rows);
      for (let r = 0; r < rows; r++) out[r] = argmax(pred, r * width, width) === sparseLabel(target[r], r, width) ? 1 : 0;
      return out;
    },
  };
}

function elementwiseMetric(name: string, f: (d: number) => number): Metric {
  return {
    name,
    compute({ pred, target, rows, width }) {
      checkTarget(name, target, rows, width, "this metric compares each output with a target of the same width");
      const out = new Float32Array(rows);
      for (let r = 0; r < rows; r++) {
        let s = 0;
        for (let k = 0; k < width; k++) s += f(pred[r * width + k] - target[r * width + k]);
        out[r] = s / width;
      }
      return out;
    },
  };
}

/**
 * Mean absolute error over the last axis, as Keras `mean_absolute_error`.
 * @example
 * meanAbsoluteError({ name: "mae" }).compute({ pred: new Float32Array([1, -2]), target: new Float32Array([0, 0]), rows: 1, width: 2 });
 * // Float32Array [1.5]
 */
export function meanAbsoluteError(options: { name?: string } = {}): Metric {
  return elementwiseMetric(options.name ?? "mean_absolute_error", Math.abs);
}

/**
 * Mean squared error over the last axis, as Keras `mean_squared_error`.
 * @example
 * meanSquaredError({ name: "mse" }).compute({ pred: new Float32Array([1, 2]), target: new Float32Array([0, 0]), rows: 1, width: 2 });
 * // Float32Array [2.5]
 */
export function meanSquaredError(options: { name?: string } = {}): Metric {
  return elementwiseMetric(options.name ?? "mean_squared_error", (d) => d * d);
}

/** A loss used as a metric (Keras accepts loss names in `metrics`): its per-row values, no gradient. */
function lossMetric(name: string, loss: Loss): Metric {
  if (loss.targets === "labelSequences") {
    return {
      name,
      targets: "labelSequences",
      compute: (args) => loss.compute({ ...args, grad: null, scale: null }),
      computeSequences({ pred, target, width, layout, labelOffsets }) {
        if (!layout || !labelOffsets || !loss.computeSequences) return { numerators: loss.compute({ pred, target, rows: 0, width, grad: null, scale: null }), denominators: new Float32Array(0) };
        const numerators = loss.computeSequences({ pred, layout, labels: target, labelOffsets, width, grad: null, scale: null });
        return { numerators, denominators: new Float32Array(numerators.length).fill(1) };
      },
    };
  }
  return {
    name,
    compute({ pred, target, rows, width }) {
      checkTarget(name, target, rows, loss.targetWidth(width), "a loss used as a metric takes the targets that loss takes");
      return loss.compute({ pred, target, rows, width, grad: null, scale: null });
    },
  };
}

type MetricFactory = (name: string, context: MetricContext) => Metric;

const METRICS: Record<string, MetricFactory> = {
  binaryAccuracy: (name) => binaryAccuracy({ name }),
  categoricalAccuracy: (name) => categoricalAccuracy({ name }),
  sparseCategoricalAccuracy: (name) => sparseCategoricalAccuracy({ name }),
  meanAbsoluteError: (name) => meanAbsoluteError({ name }),
  meanSquaredError: (name) => meanSquaredError({ name }),
  labelErrorRate: (name, context) => labelErrorRate({ name, blankIndex: ctcBlankIndex(context) }),
  sequenceErrorRate: (name, context) => sequenceErrorRate({ name, blankIndex: ctcBlankIndex(context) }),
};

/** The blank of the compiled ctc loss (its `blankIndex` option), else 0. */
function ctcBlankIndex(context: MetricContext): number {
  const loss = context.loss === undefined || context.loss === null ? null : getLoss(context.loss);
  return loss?.options?.blankIndex ?? 0;
}

const METRIC_ALIASES: Record<string, string> = {
  binary_accuracy: "binaryAccuracy",
  BinaryAccuracy: "binaryAccuracy",
  categorical_accuracy: "categoricalAccuracy",
  CategoricalAccuracy: "categoricalAccuracy",
  sparse_categorical_accuracy: "sparseCategoricalAccuracy",
  SparseCategoricalAccuracy: "sparseCategoricalAccuracy",
  mean_absolute_error: "meanAbsoluteError",
  MeanAbsoluteError: "meanAbsoluteError",
  mae: "meanAbsoluteError",
  MAE: "meanAbsoluteError",
  mean_squared_error: "meanSquaredError",
  MeanSquaredError: "meanSquaredError",
  mse: "meanSquaredError",
  MSE: "meanSquaredError",
  label_error_rate: "labelErrorRate",
  LabelErrorRate: "labelErrorRate",
  ler: "labelErrorRate",
  sequence_error_rate: "sequenceErrorRate",
  SequenceErrorRate: "sequenceErrorRate",
};

/** What `resolveMetric` needs to know about the compiled model to pick an accuracy. */
export interface MetricContext {
  /** The compiled loss (a name, a `{ name, ... }` config or a Loss). */
  loss?: LossSpec | null;
  /** The model's output width (last axis). */
  outputWidth?: number;
}

/**
 * A metric by name, as Keras `compile(metrics=[...])` resolves it. "accuracy" and "acc" pick an
 * accuracy from the model:
 * - output width 1, or a binaryCrossentropy loss → binaryAccuracy (threshold 0.5);
 * - a sparse loss (one class id per target row) → sparseCategoricalAccuracy;
 * - otherwise → categoricalAccuracy.
 * Other names: the metrics above by camelCase, snake_case or Keras class name (`"mae"`, `"mse"`…),
 * or any loss name (the loss's per-row values, as Keras allows). The metric keeps the name given.
 *
 * Porting note: Keras 3 (`compile_utils.get_metric`) decides by shapes only: output width 1 →
 * binary, targets of rank below the output's (or width 1 against a wider output) → sparse,
 * else categorical. ragged knows the loss and also picks binary accuracy for binaryCrossentropy on
 * more than one output (multi-label), where Keras 3 would pick categorical accuracy.
 *
 * @param spec - a metric name, or a Metric passed through.
 * @param context - the compiled loss and output width.
 * @returns the Metric, named as given.
 * @throws RaggedError `UNKNOWN_NAME` for an unknown name.
 * @example
 * resolveMetric("acc", { loss: "sparseCategoricalCrossentropy", outputWidth: 5 }).name; // "acc"
 * // computes sparse categorical accuracy
 */
export function resolveMetric(spec: string | Metric, context: MetricContext = {}): Metric {
  if (typeof spec === "object" && spec !== null && typeof spec.compute === "function") return spec;
  if (typeof spec !== "string") {
    throw new RaggedError("UNKNOWN_NAME", "A metric must be a name or a Metric.", { received: describe(spec) });
  }
  if (spec.toLowerCase() === "accuracy" || spec.toLowerCase() === "acc") return accuracyFor(spec, context);
  const canonical = Object.prototype.hasOwnProperty.call(METRICS, spec) ? spec : METRIC_ALIASES[spec];
  if (canonical !== undefined) return METRICS[canonical](spec, context);
  if (canonicalLossName(spec) !== null) return lossMetric(spec, getLoss(spec));
  throw new RaggedError("UNKNOWN_NAME", "Unknown metric.", {
    expected: `"accuracy", "acc", one of ${Object.keys(METRICS).map((n) => JSON.stringify(n)).join(", ")} (or their Keras names), or a loss name`,
    received: JSON.stringify(spec),
  });
}

function accuracyFor(name: string, { loss, outputWidth }: MetricContext): Metric {
  const resolved = loss === undefined || loss === null ? null : getLoss(loss);
  if (resolved?.targets === "labelSequences") return sequenceAccuracy({ name, blankIndex: resolved.options?.blankIndex ?? 0 });
  const width = outputWidth ?? null;
  if (width === 1 || resolved?.name === "binaryCrossentropy") return binaryAccuracy({ name });
  const sparse = resolved !== null && width !== null ? resolved.targetWidth(width) === 1 : resolved?.name === "sparseCategoricalCrossentropy";
  if (sparse) return sparseCategoricalAccuracy({ name });
  return categoricalAccuracy({ name });
}

/** Names `resolveMetric` accepts besides "accuracy"/"acc" and loss names (canonical forms). */
export function metricNames(): string[] {
  return Object.keys(METRICS);
}

/**
 * Keras `Mean`-style running average of per-row metric values across batches; see
 * NOTE [ metric reduction ].
 * @example
 * const acc = new MetricAccumulator(resolveMetric("accuracy", { loss: "categoricalCrossentropy", outputWidth: 2 }));
 * acc.update(new Float32Array([1, 0, 1]), new Float32Array([1, 1, 0]), null); // rows 0 and 1 are real
 * acc.result(); // 0.5
 * acc.reset();
 */
export class MetricAccumulator {
  readonly metric: Metric;
  /** Which model output it measures (functional models with several outputs). */
  outputIndex = 0;
  private total = 0;
  private count = 0;

  constructor(metric: Metric) {
    this.metric = metric;
  }

  /** The metric's name in logs. */
  get name(): string {
    return this.metric.name;
  }

  /** Forgets everything seen so far (start of an epoch, or of evaluation). */
  reset(): void {
    this.total = 0;
    this.count = 0;
  }

  /**
   * Adds a batch: total += Σ v·m·w, count += Σ m·w.
   * @param values - [rows] per-row metric values (from `metric.compute`).
   * @param mask - [rows] 1 for real rows, 0 for rows that must not count; all real when null.
   * @param weights - [rows] sample weights; all 1 when null.
   */
  update(values: Float32Array, mask: Float32Array | null, weights: Float32Array | null): void {
    for (let r = 0; r < values.length; r++) {
      const mw = (mask ? mask[r] : 1) * (weights ? weights[r] : 1);
      if (mw === 0) continue; // a masked row adds nothing, even if its value is NaN
      this.total += values[r] * mw;
      this.count += mw;
    }
  }

  /**
   * Computes the batch's values with the metric and adds them (see `update`). A label-sequence
   * metric adds Σ w·numerator to the total and Σ w·denominator to the count instead.
   */
  updateFrom(args: MetricArgs & { mask: Float32Array | null; weights: Float32Array | null }): void {
    const labels = args.labelOffsets !== undefined && args.labelOffsets !== null;
    if (labels !== (this.metric.targets === "labelSequences")) {
      throw new RaggedError("TARGET_MISMATCH", `Metric "${this.metric.name}" does not fit the compiled loss's targets.`, {
        expected: labels ? 'a metric over label sequences with a ctc loss ("labelErrorRate", "sequenceErrorRate", "accuracy", "ctc")' : "a metric over per-row targets",
        received: labels ? "a per-row metric" : "a label-sequence metric",
      });
    }
    if (!labels || !this.metric.computeSequences) {
      this.update(this.metric.compute(args), args.mask, args.weights);
      return;
    }
    const { numerators, denominators } = this.metric.computeSequences(args);
    for (let j = 0; j < numerators.length; j++) {
      const w = args.weights ? args.weights[j] : 1;
      if (w === 0) continue;
      this.total += numerators[j] * w;
      this.count += denominators[j] * w;
    }
  }

  /** The running sums (Σ v·m·w, Σ m·w), e.g. to send another accumulator's share across threads. */
  partial(): { total: number; count: number } {
    return { total: this.total, count: this.count };
  }

  /** Adds another accumulator's sums (from `partial`): the result is as if this one had seen its rows. */
  merge(partial: { total: number; count: number }): void {
    this.total += partial.total;
    this.count += partial.count;
  }

  /** Σ v·m·w / Σ m·w so far; 0 before anything real was seen. */
  result(): number {
    return this.count > 0 ? this.total / this.count : 0;
  }
}
