/**
 * EarlyStopping: stop training when a monitored quantity has stopped improving (Keras 3
 * `keras.callbacks.EarlyStopping`, same rules and counters).
 *
 * At each epoch end from `startFromEpoch` on, the monitored value counts as an improvement when it
 * beats the best so far by more than `minDelta` (the first value always does). `wait` counts the
 * epochs since the last improvement; it is reset only by an improvement that also beats `baseline`.
 * When `wait >= patience` (and the epoch is not the first) training stops after this epoch. With
 * `restoreBestWeights`, the weights of the best epoch are put back at the end of training, whether
 * training stopped early or ran all its epochs (Keras 3 behaviour; Keras 2 restored only on a stop).
 */
import type { Tensor } from "../../core/tensor.js";
import type { Callback, CallbackModel, Logs } from "../callbacks.js";
import {
  type LogFunction,
  type MonitorMode,
  checkFinite,
  checkMode,
  checkNonNegativeInt,
  checkString,
  defaultLog,
  requireModel,
  resolveMode,
} from "./_internal/common.js";

export interface EarlyStoppingArgs {
  /** The logged quantity to watch. Default `"val_loss"`. */
  monitor?: string;
  /** The smallest change that counts as an improvement (its absolute value is used). Default 0. */
  minDelta?: number;
  /** Epochs without improvement after which training stops. Default 0. */
  patience?: number;
  /** `"min"`, `"max"`, or `"auto"` (default): see NOTE [ auto mode ] in `_internal/common.ts`. */
  mode?: MonitorMode;
  /** Training also stops when no epoch beats this value within `patience` epochs. Default none. */
  baseline?: number | null;
  /** Put back the weights of the best epoch when training ends. Default false. */
  restoreBestWeights?: boolean;
  /** Epochs to run before watching (a warm-up). Default 0. */
  startFromEpoch?: number;
  /** 0 silent (default), 1: say when it stops and when it restores weights. */
  verbose?: 0 | 1;
  /** Where warnings and verbose messages go. Default `console.warn`. */
  log?: LogFunction;
}

/**
 * The EarlyStopping callback; build it with {@link earlyStopping}. Its counters are public for
 * inspection after `fit` and are reset by `onTrainBegin`, so an instance can be reused.
 */
export class EarlyStopping implements Callback {
  readonly monitor: string;
  readonly minDelta: number;
  readonly patience: number;
  readonly mode: MonitorMode;
  readonly baseline: number | null;
  readonly restoreBestWeights: boolean;
  readonly startFromEpoch: number;
  readonly verbose: 0 | 1;
  /** Epochs since the last improvement (Keras `wait`). */
  wait = 0;
  /** The best monitored value so far; `null` before the first watched epoch. */
  best: number | null = null;
  /** The epoch index (0-based) at which training was stopped; 0 when it was not stopped. */
  stoppedEpoch = 0;
  /** The epoch index (0-based) of the best monitored value. */
  bestEpoch = 0;
  /** With `restoreBestWeights`: copies of the weights at the end of the best epoch. */
  bestWeights: Tensor[] | null = null;

  private model: CallbackModel | null = null;
  private readonly log: LogFunction;
  /** −|minDelta| in min mode, +|minDelta| in max mode (Keras flips the sign once). */
  private readonly signedDelta: number;
  private readonly direction: "min" | "max";

  /** @throws RaggedError `INVALID_ARGUMENT` for a bad option. */
  constructor(args: EarlyStoppingArgs = {}) {
    const who = "earlyStopping";
    this.monitor = checkString(args.monitor ?? "val_loss", "monitor", who);
    this.minDelta = Math.abs(checkFinite(args.minDelta ?? 0, "minDelta", who));
    this.patience = checkNonNegativeInt(args.patience ?? 0, "patience", who);
    this.mode = checkMode(args.mode ?? "auto", who);
    this.baseline = args.baseline === undefined || args.baseline === null ? null : checkFinite(args.baseline, "baseline", who);
    this.restoreBestWeights = args.restoreBestWeights ?? false;
    this.startFromEpoch = checkNonNegativeInt(args.startFromEpoch ?? 0, "startFromEpoch", who);
    this.verbose = args.verbose ?? 0;
    this.log = args.log ?? defaultLog;
    this.direction = resolveMode(this.mode, this.monitor);
    this.signedDelta = this.direction === "min" ? -this.minDelta : this.minDelta;
  }

  setModel(model: CallbackModel): void {
    this.model = model;
  }

  onTrainBegin(): void {
    // Allow instances to be reused.
    this.wait = 0;
    this.stoppedEpoch = 0;
    this.best = null;
    this.bestWeights = null;
    this.bestEpoch = 0;
  }

  onEpochEnd(epoch: number, logs?: Logs): void {
    const model = requireModel(this.model, "EarlyStopping");
    const current = this.monitorValue(logs);
    if (current === undefined || epoch < this.startFromEpoch) return;
    if (this.restoreBestWeights && this.bestWeights === null) {
      // Best weights never set: the current weights are the best.
      this.bestWeights = model.getWeights();
      this.bestEpoch = epoch;
    }
    this.wait++;
    if (this.isImprovement(current, this.best)) {
      this.best = current;
      this.bestEpoch = epoch;
      if (this.restoreBestWeights) this.bestWeights = model.getWeights();
      // Restart waiting only when the value beats both the previous best and the baseline.
      if (this.baseline === null || this.isImprovement(current, this.baseline)) this.wait = 0;
      return;
    }
    if (this.wait >= this.patience && epoch > 0) {
      this.stoppedEpoch = epoch;
      model.stopTraining = true;
    }
  }

  onTrainEnd(): void {
    if (this.stoppedEpoch > 0 && this.verbose > 0) this.log(`Epoch ${this.stoppedEpoch + 1}: early stopping`);
    if (this.restoreBestWeights && this.bestWeights !== null) {
      if (this.verbose > 0) this.log(`Restoring model weights from the end of the best epoch: ${this.bestEpoch + 1}.`);
      requireModel(this.model, "EarlyStopping").setWeights(this.bestWeights);
    }
  }

  private monitorValue(logs: Logs | undefined): number | undefined {
    const value = logs?.[this.monitor];
    if (value === undefined) {
      this.log(`Early stopping conditioned on metric \`${this.monitor}\` which is not available. Available metrics are: ${Object.keys(logs ?? {}).join(",")}`);
    }
    return value;
  }

  private isImprovement(value: number, reference: number | null): boolean {
    if (reference === null) return true;
    const shifted = value - this.signedDelta;
    return this.direction === "min" ? shifted < reference : shifted > reference;
  }
}

/**
 * Stops training when `monitor` has not improved for `patience` epochs (Keras `EarlyStopping`).
 * Pass it in `fit`'s `callbacks`; it sets `model.stopTraining`, so the epoch in progress finishes.
 *
 * @param args - `{ monitor = "val_loss", minDelta = 0, patience = 0, mode = "auto", baseline,
 *   restoreBestWeights = false, startFromEpoch = 0, verbose = 0, log = console.warn }`.
 * @returns the callback; after `fit`, `stoppedEpoch` and `bestEpoch` say what happened.
 * @throws RaggedError `INVALID_ARGUMENT` for a negative or fractional `patience`/`startFromEpoch`,
 *   a non-finite `minDelta`/`baseline`, or an unknown `mode`.
 * @example
 * const stop = earlyStopping({ monitor: "loss", patience: 3, restoreBestWeights: true });
 * await model.fit(xs, ys, { epochs: 100, callbacks: [stop] });
 * stop.stoppedEpoch; // e.g. 41 (0-based), or 0 when all 100 epochs ran
 */
export function earlyStopping(args: EarlyStoppingArgs = {}): EarlyStopping {
  return new EarlyStopping(args);
}
