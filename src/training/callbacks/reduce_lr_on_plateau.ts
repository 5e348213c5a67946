/**
 * ReduceLROnPlateau: multiply the optimizer's learning rate by `factor` when a monitored quantity
 * has stopped improving (Keras 3 `keras.callbacks.ReduceLROnPlateau`, same counters).
 *
 * At each epoch end: the current learning rate is written to `logs.learning_rate` (so History keeps
 * it); during a cooldown the counter ticks down and `wait` stays 0; a value better than the best by
 * more than `minDelta` resets `wait`; otherwise, outside a cooldown, `wait` grows, and when it
 * reaches `patience` the rate becomes `max(lr · factor, minLr)` (unless it is already at `minLr`),
 * `wait` returns to 0 and a cooldown of `cooldown` epochs starts.
 */
import { RaggedError, describe } from "../../core/errors.js";
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
  requireOptimizer,
  resolveMode,
} from "./_internal/common.js";

export interface ReduceLROnPlateauArgs {
  /** The logged quantity to watch. Default `"val_loss"`. */
  monitor?: string;
  /** `newLr = lr · factor`; must be below 1. Default 0.1. */
  factor?: number;
  /** Epochs without improvement after which the rate is reduced. Default 10. */
  patience?: number;
  /**
   * `"min"`, `"max"`, or `"auto"` (default): see NOTE [ auto mode ] in `_internal/common.ts`.
   * Porting note: Keras 3 ReduceLROnPlateau maximises only names containing `acc`; ragged uses the
   * same rule as EarlyStopping, so `auc` is maximised too.
   */
  mode?: MonitorMode;
  /** An improvement must beat the best by more than this. Default 1e-4. */
  minDelta?: number;
  /** Epochs to wait after a reduction before counting again. Default 0. */
  cooldown?: number;
  /** The learning rate never goes below this. Default 0. */
  minLr?: number;
  /** 0 silent (default), 1: say each reduction. */
  verbose?: 0 | 1;
  /** Where warnings and verbose messages go. Default `console.warn`. */
  log?: LogFunction;
}

/** The ReduceLROnPlateau callback; build it with {@link reduceLROnPlateau}. */
export class ReduceLROnPlateau implements Callback {
  readonly monitor: string;
  readonly factor: number;
  readonly patience: number;
  readonly mode: MonitorMode;
  readonly minDelta: number;
  readonly cooldown: number;
  readonly minLr: number;
  readonly verbose: 0 | 1;
  /** Epochs since the last improvement, outside cooldowns. */
  wait = 0;
  /** Epochs of cooldown left. */
  cooldownCounter = 0;
  /** The best monitored value so far (±Infinity before the first). */
  best: number;

  private model: CallbackModel | null = null;
  private readonly log: LogFunction;
  private readonly direction: "min" | "max";

  /** @throws RaggedError `INVALID_ARGUMENT` for a bad option (e.g. `factor >= 1`). */
  constructor(args: ReduceLROnPlateauArgs = {}) {
    const who = "reduceLROnPlateau";
    this.monitor = checkString(args.monitor ?? "val_loss", "monitor", who);
    this.factor = checkFinite(args.factor ?? 0.1, "factor", who);
    if (this.factor >= 1) {
      throw new RaggedError("INVALID_ARGUMENT", "reduceLROnPlateau does not support a factor >= 1.", {
        expected: "a factor below 1 (new learning rate = learning rate · factor)",
        received: `factor = ${describe(this.factor)}`,
      });
    }
    this.patience = checkNonNegativeInt(args.patience ?? 10, "patience", who);
    this.mode = checkMode(args.mode ?? "auto", who);
    this.minDelta = checkFinite(args.minDelta ?? 1e-4, "minDelta", who);
    this.cooldown = checkNonNegativeInt(args.cooldown ?? 0, "cooldown", who);
    this.minLr = checkFinite(args.minLr ?? 0, "minLr", who);
    this.verbose = args.verbose ?? 0;
    this.log = args.log ?? defaultLog;
    this.direction = resolveMode(this.mode, this.monitor);
    this.best = this.direction === "min" ? Infinity : -Infinity;
  }

  setModel(model: CallbackModel): void {
    this.model = model;
  }

  onTrainBegin(): void {
    this.best = this.direction === "min" ? Infinity : -Infinity;
    this.cooldownCounter = 0;
    this.wait = 0;
  }

  onEpochEnd(epoch: number, logs?: Logs): void {
    const optimizer = requireOptimizer(requireModel(this.model, "ReduceLROnPlateau"), "ReduceLROnPlateau");
    const entries: Logs = logs ?? {};
    entries.learning_rate = optimizer.learningRate;
    const current = entries[this.monitor];
    if (current === undefined) {
      this.log(`Learning rate reduction is conditioned on metric \`${this.monitor}\` which is not available. Available metrics are: ${Object.keys(entries).join(",")}.`);
      return;
    }
    if (this.inCooldown()) {
      this.cooldownCounter--;
      this.wait = 0;
    }
    if (this.isImprovement(current)) {
      this.best = current;
      this.wait = 0;
    } else if (!this.inCooldown()) {
      this.wait++;
      if (this.wait >= this.patience) {
        const oldLr = optimizer.learningRate;
        // Keras holds both rates as float32 here: a rate already at minLr is left alone.
        if (Math.fround(oldLr) > Math.fround(this.minLr)) {
          const newLr = Math.max(oldLr * this.factor, this.minLr);
          optimizer.learningRate = newLr;
          if (this.verbose > 0) this.log(`Epoch ${epoch + 1}: ReduceLROnPlateau reducing learning rate to ${newLr}.`);
          this.cooldownCounter = this.cooldown;
          this.wait = 0;
        }
      }
    }
  }

  /** True while epochs of cooldown remain. */
  inCooldown(): boolean {
    return this.cooldownCounter > 0;
  }

  private isImprovement(value: number): boolean {
    return this.direction === "min" ? value < this.best - this.minDelta : value > this.best + this.minDelta;
  }
}

/**
 * Reduces the learning rate when `monitor` stops improving (Keras `ReduceLROnPlateau`). Writes the
 * rate in effect during each epoch to `logs.learning_rate`, so `history.history.learning_rate` has it.
 *
 * @param args - `{ monitor = "val_loss", factor = 0.1, patience = 10, mode = "auto",
 *   minDelta = 1e-4, cooldown = 0, minLr = 0, verbose = 0, log = console.warn }`.
 * @returns the callback.
 * @throws RaggedError `INVALID_ARGUMENT` for `factor >= 1`, a negative or fractional
 *   `patience`/`cooldown`, or an unknown `mode`; `NOT_COMPILED` during training without an optimizer.
 * @example
 * const history = await model.fit(xs, ys, {
 *   epochs: 50,
 *   callbacks: [reduceLROnPlateau({ monitor: "loss", factor: 0.5, patience: 2, minLr: 1e-4 })],
 * });
 * history.history.learning_rate; // the rate of each epoch, e.g. [0.01, 0.01, 0.01, 0.005, …]
 */
export function reduceLROnPlateau(args: ReduceLROnPlateauArgs = {}): ReduceLROnPlateau {
  return new ReduceLROnPlateau(args);
}
