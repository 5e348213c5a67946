/**
 * The numbers of an HTML report (render_report.ts draws them): training curves from a
 * TrainingRecorder and the History's batch statistics, and — from predictions on labelled data —
 * a confusion matrix (classifiers) and the metric by sequence length with the length histogram.
 *
 * NOTE [ metric by length ]: sequences are grouped by their length into at most 12 buckets of equal
 * integer width; a bucket's value is the metric over the sequences in it, weighted as the metric is
 * (accuracy: correct rows / rows, so a per-step model counts steps; mse: mean over rows and
 * outputs). The histogram counts sequences per bucket.
 *
 * @example
 * const data = reportData({ title: "vowels", recorder, history, evaluation: analyzePredictions({ predictions, targets, lengths, task: "classification", labels }) });
 */
import { RaggedError } from "../core/errors.js";
import type { Logs } from "../training/callbacks.js";
import type { EpochBatchStats } from "../training/fit.js";
import type { TrainingRecorder } from "./recorder.js";

export interface ReportEpoch {
  epoch: number;
  logs: Logs;
  learningRate: number | null;
  seconds: number | null;
  /** Real steps / (batch × longest) over the epoch's batches; null when unknown. */
  paddingEfficiency: number | null;
}

export interface LengthBucket {
  /** Lengths lo…hi, inclusive. */
  lo: number;
  hi: number;
  /** Sequences in the bucket. */
  count: number;
  /** The metric over the bucket; null when it has no sequence. */
  value: number | null;
}

export interface Evaluation {
  /** What was predicted, e.g. `"validation data (val.jsonl)"`. */
  source: string;
  /** Sequences and rows (steps for a per-step model) evaluated. */
  sequences: number;
  rows: number;
  /** `"accuracy"` for classifiers, `"mse"` otherwise. */
  metric: string;
  /** The metric over everything. */
  overall: number;
  /** Classifiers: `matrix[true][predicted]` counts of rows, with the class names. */
  confusion: { labels: string[]; matrix: number[][] } | null;
  byLength: LengthBucket[];
}

export interface ReportData {
  title: string;
  /** ISO time the report was made. */
  created: string;
  /** The model's summary table, as printed. */
  summary: string | null;
  training: { epochs: ReportEpoch[]; batches: { step: number; epoch: number; logs: Logs }[] } | null;
  /** Loss and metrics of an evaluation (ragged evaluate). */
  logs: Logs | null;
  evaluation: Evaluation | null;
}

export interface PredictionSet {
  /** As `model.predict` returns them: `[N][C]` (one output per sequence) or `[N][T][C]` (per step). */
  predictions: readonly (readonly number[] | readonly (readonly number[])[])[];
  /**
   * Per sequence: a class id, a one-hot row or a number (or row of numbers); per step: a list of
   * those, one per step.
   */
  targets: readonly unknown[];
  /** Input length of every sequence. */
  lengths: readonly number[];
  task: "classification" | "regression";
  /** Class names in class-id order (classifiers); default "0", "1", …. */
  labels?: readonly (string | number)[];
  source?: string;
}

const MAX_BUCKETS = 12;

function argmax(row: readonly number[]): number {
  let best = 0;
  for (let k = 1; k < row.length; k++) if (row[k] > row[best]) best = k;
  return best;
}

/** A target row as a class id: a number is the id, a list is one-hot (argmax). */
function classOf(target: unknown): number {
  if (typeof target === "number") return target;
  if (Array.isArray(target) && target.every((v) => typeof v === "number")) return argmax(target as number[]);
  throw new RaggedError("BAD_INPUT", "A classification target must be a class id or a one-hot row.", { received: JSON.stringify(target)?.slice(0, 80) });
}

function rowsOf(pred: PredictionSet["predictions"][number], target: unknown, perStep: boolean): { preds: number[][]; targets: unknown[] } {
  if (!perStep) return { preds: [pred as number[]], targets: [target] };
  if (!Array.isArray(target) || target.length !== pred.length) {
    throw new RaggedError("TARGET_MISMATCH", "Per-step predictions need one target per step.", { expected: `${pred.length} targets`, received: Array.isArray(target) ? `${target.length}` : typeof target });
  }
  return { preds: pred as number[][], targets: target };
}

/** Equal-width integer buckets covering [min, max] of `lengths`. */
export function lengthBuckets(lengths: readonly number[]): { lo: number; hi: number }[] {
  if (lengths.length === 0) return [];
  let min = Infinity;
  let max = -Infinity;
  for (const l of lengths) {
    min = Math.min(min, l);
    max = Math.max(max, l);
  }
  const width = Math.max(1, Math.ceil((max - min + 1) / MAX_BUCKETS));
  const out: { lo: number; hi: number }[] = [];
  for (let lo = min; lo <= max; lo += width) out.push({ lo, hi: Math.min(max, lo + width - 1) });
  return out;
}

/**
 * Confusion matrix (classifiers) and the metric by length (NOTE [ metric by length ]).
 * @throws RaggedError `BATCH_MISMATCH` when predictions, targets and lengths differ in count.
 */
export function analyzePredictions(set: PredictionSet): Evaluation {
  const n = set.predictions.length;
  if (set.targets.length !== n || set.lengths.length !== n) {
    throw new RaggedError("BATCH_MISMATCH", "analyzePredictions needs one target and one length per prediction.", {
      received: `${n} predictions, ${set.targets.length} targets, ${set.lengths.length} lengths`,
    });
  }
  const perStep = n > 0 && Array.isArray(set.predictions[0][0]);
  const width = n === 0 ? 0 : perStep ? ((set.predictions.find((p) => p.length > 0)?.[0] as number[] | undefined)?.length ?? 0) : (set.predictions[0] as number[]).length;
  const classify = set.task === "classification";
  const labels = classify ? Array.from({ length: width }, (_, k) => String(set.labels?.[k] ?? k)) : [];
  const matrix = labels.map(() => new Array<number>(labels.length).fill(0));
  const buckets = lengthBuckets(set.lengths).map((b) => ({ ...b, count: 0, sum: 0, weight: 0 }));
  const bucketOf = (len: number) => buckets.findIndex((b) => len >= b.lo && len <= b.hi);
  let sum = 0;
  let weight = 0;
  let rows = 0;
  for (let i = 0; i < n; i++) {
    const { preds, targets } = rowsOf(set.predictions[i], set.targets[i], perStep);
    let s = 0;
    let w = 0;
    for (let r = 0; r < preds.length; r++) {
      if (classify) {
        const truth = classOf(targets[r]);
        const guess = argmax(preds[r]);
        if (truth >= 0 && truth < labels.length) matrix[truth][guess]++;
        s += truth === guess ? 1 : 0;
        w += 1;
      } else {
        const t = targets[r];
        const truth = typeof t === "number" ? [t] : (t as number[]);
        for (let k = 0; k < preds[r].length; k++) s += (preds[r][k] - (truth[k] ?? NaN)) ** 2;
        w += preds[r].length;
      }
    }
    rows += preds.length;
    sum += s;
    weight += w;
    const b = buckets[bucketOf(set.lengths[i])];
    b.count++;
    b.sum += s;
    b.weight += w;
  }
  return {
    source: set.source ?? "data",
    sequences: n,
    rows,
    metric: classify ? "accuracy" : "mse",
    overall: weight > 0 ? sum / weight : NaN,
    confusion: classify ? { labels, matrix } : null,
    byLength: buckets.map((b) => ({ lo: b.lo, hi: b.hi, count: b.count, value: b.weight > 0 ? b.sum / b.weight : null })),
  };
}

export interface ReportArgs {
  title: string;
  summary?: string;
  recorder?: TrainingRecorder;
  /** `FitHistory.batchStats` (padding efficiency per epoch). */
  batchStats?: readonly EpochBatchStats[];
  logs?: Logs;
  evaluation?: Evaluation;
}

/** Everything a report shows, as plain JSON-able data. */
export function reportData(args: ReportArgs): ReportData {
  const rec = args.recorder;
  return {
    title: args.title,
    created: new Date().toISOString(),
    summary: args.summary ?? null,
    training: rec
      ? {
          epochs: rec.epochs.map((e, i) => ({ epoch: e.epoch, logs: e.logs, learningRate: e.learningRate, seconds: e.seconds, paddingEfficiency: args.batchStats?.[i]?.paddingEfficiency ?? null })),
          batches: rec.batches.map((b) => ({ step: b.step, epoch: b.epoch, logs: b.logs })),
        }
      : null,
    logs: args.logs ?? null,
    evaluation: args.evaluation ?? null,
  };
}
