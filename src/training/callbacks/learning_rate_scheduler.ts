/**
 * LearningRateScheduler: set the optimizer's learning rate at the start of every epoch from a
 * function of the epoch index and the current rate (Keras 3 `keras.callbacks.LearningRateScheduler`).
 */
import { RaggedError, describe } from "../../core/errors.js";
import type { Callback, CallbackModel, Logs } from "../callbacks.js";
import { type LogFunction, defaultLog, requireModel, requireOptimizer } from "./_internal/common.js";

/** `(epoch, lr) => newLr`: `epoch` is 0-based, `lr` the rate now in effect. */
export type ScheduleFunction = (epoch: number, learningRate: number) => number;

export interface LearningRateSchedulerArgs {
  /** 0 silent (default), 1: say each new rate. */
  verbose?: 0 | 1;
  /** Where verbose messages go. Default `console.warn`. */
  log?: LogFunction;
}

/** The LearningRateScheduler callback; build it with {@link learningRateScheduler}. */
export class LearningRateScheduler implements Callback {
  readonly schedule: ScheduleFunction;
  readonly verbose: 0 | 1;
  private model: CallbackModel | null = null;
  private readonly log: LogFunction;

  /** @throws RaggedError `INVALID_ARGUMENT` when `schedule` is not a function. */
  constructor(schedule: ScheduleFunction, args: LearningRateSchedulerArgs = {}) {
    if (typeof schedule !== "function") {
      throw new RaggedError("INVALID_ARGUMENT", "learningRateScheduler needs a schedule function.", {
        expected: "(epoch, lr) => newLr",
        received: describe(schedule),
      });
    }
    this.schedule = schedule;
    this.verbose = args.verbose ?? 0;
    this.log = args.log ?? defaultLog;
  }

  setModel(model: CallbackModel): void {
    this.model = model;
  }

  /** @throws RaggedError `INVALID_ARGUMENT` when the schedule returns anything but a finite number. */
  onEpochBegin(epoch: number): void {
    const optimizer = requireOptimizer(requireModel(this.model, "LearningRateScheduler"), "LearningRateScheduler");
    const learningRate: unknown = this.schedule(epoch, optimizer.learningRate);
    if (typeof learningRate !== "number" || !Number.isFinite(learningRate)) {
      throw new RaggedError("INVALID_ARGUMENT", "The `schedule` function of learningRateScheduler must return a finite number.", {
        received: `schedule(${epoch}, ${optimizer.learningRate}) = ${describe(learningRate)}`,
      });
    }
    optimizer.learningRate = learningRate;
    if (this.verbose > 0) this.log(`Epoch ${epoch + 1}: LearningRateScheduler setting learning rate to ${learningRate}.`);
  }

  /** Writes the rate used in this epoch to `logs.learning_rate` (History records it). */
  onEpochEnd(_epoch: number, logs?: Logs): void {
    const optimizer = requireOptimizer(requireModel(this.model, "LearningRateScheduler"), "LearningRateScheduler");
    if (logs) logs.learning_rate = optimizer.learningRate;
  }
}

/**
 * Sets the learning rate at the start of each epoch to `schedule(epoch, lr)` (Keras
 * `LearningRateScheduler`), and logs it as `learning_rate` at the end of the epoch.
 *
 * @param schedule - `(epoch, lr) => newLr`, epoch 0-based; it may ignore `lr`.
 * @param args - `{ verbose = 0, log = console.warn }`.
 * @returns the callback.
 * @throws RaggedError `INVALID_ARGUMENT` when `schedule` is not a function, or (during `fit`) when it
 *   returns anything but a finite number.
 * @example
 * // Keep the rate for 10 epochs, then decay it by e^-0.1 per epoch (the Keras docstring example).
 * const schedule = (epoch: number, lr: number) => (epoch < 10 ? lr : lr * Math.exp(-0.1));
 * await model.fit(xs, ys, { epochs: 15, callbacks: [learningRateScheduler(schedule)] });
 * model.optimizer.learningRate; // 0.01 · e^-0.5 ≈ 0.00607 with SGD's default 0.01
 */
export function learningRateScheduler(schedule: ScheduleFunction, args: LearningRateSchedulerArgs = {}): LearningRateScheduler {
  return new LearningRateScheduler(schedule, args);
}
