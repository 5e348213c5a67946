/**
 * `--report FILE` of `ragged train` and `ragged evaluate`: gathers what the report shows and writes
 * it (node/report.ts). Train: the recorded curves, then predictions on the validation data (or the
 * training data without it) for the confusion matrix and the metric by length. Evaluate: the
 * evaluation's loss and metrics, and the same analysis of its predictions.
 */
import type { LayersModel } from "../models/functional.js";
import { writeReport } from "../node/report.js";
import type { Logs } from "../training/callbacks.js";
import type { FitHistory } from "../training/fit.js";
import type { TrainingRecorder } from "../vis/recorder.js";
import { analyzePredictions, reportData } from "../vis/report_data.js";
import type { Targets } from "./labels.js";

export interface TrainReportArgs {
  title: string;
  model: LayersModel;
  summary: string;
  recorder: TrainingRecorder;
  history: FitHistory;
  targets: Targets;
  /** The sequences to analyse, their encoded targets, and what they are. */
  xs: readonly number[][][];
  ys: readonly unknown[];
  source: string;
}

export async function writeTrainReport(path: string, args: TrainReportArgs): Promise<void> {
  const evaluation = analyzePredictions({
    predictions: args.model.predict(args.xs) as number[][],
    targets: args.ys,
    lengths: args.xs.map((x) => x.length),
    task: args.targets.task.kind,
    labels: args.targets.labels ?? undefined,
    source: args.source,
  });
  await writeReport(path, reportData({ title: args.title, summary: args.summary, recorder: args.recorder, batchStats: args.history.batchStats, evaluation }));
}

/** Collects an evaluation's predictions chunk by chunk (the file is streamed). */
export class EvaluationCollector {
  readonly predictions: (number[] | number[][])[] = [];
  readonly targets: unknown[] = [];
  readonly lengths: number[] = [];

  add(model: LayersModel, xs: readonly number[][][], ys: readonly unknown[]): void {
    this.predictions.push(...(model.predict(xs) as number[][]));
    this.targets.push(...ys);
    this.lengths.push(...xs.map((x) => x.length));
  }

  async write(path: string, args: { title: string; summary: string; logs: Logs; targets: Targets; source: string }): Promise<void> {
    const evaluation = analyzePredictions({ predictions: this.predictions, targets: this.targets, lengths: this.lengths, task: args.targets.task.kind, labels: args.targets.labels ?? undefined, source: args.source });
    await writeReport(path, reportData({ title: args.title, summary: args.summary, logs: args.logs, evaluation }));
  }
}
