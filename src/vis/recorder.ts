/**
 * TrainingRecorder: a callback that keeps what a report or a chart draws — every batch's running
 * logs (with a global step), every epoch's logs, the learning rate at the end of each epoch and the
 * seconds each epoch took. `History` keeps only the per-epoch logs.
 *
 * @example
 * const recorder = trainingRecorder();
 * const history = await model.fit(xs, ys, { epochs: 5, callbacks: [recorder] });
 * recorder.batches.length; // batches run
 */
import type { Callback, CallbackModel, Logs } from "../training/callbacks.js";

export interface BatchRecord {
  /** 1, 2, … over the whole run (TensorBoard's global step). */
  step: number;
  epoch: number;
  /** Index within the epoch. */
  batch: number;
  /** The running epoch averages after this batch (what the progress bar shows). */
  logs: Logs;
}

export interface EpochRecord {
  epoch: number;
  logs: Logs;
  /** The optimizer's learning rate when the epoch ended; null without an optimizer. */
  learningRate: number | null;
  /** Wall-clock seconds from the epoch's start to its end (validation included). */
  seconds: number;
}

export class TrainingRecorder implements Callback {
  readonly batches: BatchRecord[] = [];
  readonly epochs: EpochRecord[] = [];
  private model: CallbackModel | null = null;
  private epoch = 0;
  private started = 0;

  setModel(model: CallbackModel): void {
    this.model = model;
  }

  onEpochBegin(epoch: number): void {
    this.epoch = epoch;
    this.started = now();
  }

  onBatchEnd(batch: number, logs: Logs = {}): void {
    const { size: _size, ...rest } = logs;
    this.batches.push({ step: this.batches.length + 1, epoch: this.epoch, batch, logs: rest });
  }

  onEpochEnd(epoch: number, logs: Logs = {}): void {
    const lr = this.model?.optimizer?.learningRate;
    this.epochs.push({ epoch, logs: { ...logs }, learningRate: typeof lr === "number" ? lr : null, seconds: (now() - this.started) / 1000 });
  }
}

function now(): number {
  return typeof performance !== "undefined" ? performance.now() : Date.now();
}

/** A new TrainingRecorder. */
export function trainingRecorder(): TrainingRecorder {
  return new TrainingRecorder();
}
