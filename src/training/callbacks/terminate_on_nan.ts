/**
 * TerminateOnNaN: stop training as soon as a batch's loss is NaN or ±Infinity (Keras 3
 * `keras.callbacks.TerminateOnNaN`).
 */
import { RaggedError } from "../../core/errors.js";
import type { Callback, CallbackModel, Logs } from "../callbacks.js";
import { type LogFunction, defaultLog, requireModel } from "./_internal/common.js";

export interface TerminateOnNaNArgs {
  /**
   * false (default): set `model.stopTraining`, so the epoch ends and `onTrainEnd` hooks still run.
   * true: throw a RaggedError `NON_FINITE` at once, skipping the other callbacks' clean-up.
   */
  raiseError?: boolean;
  /** Where the "Invalid loss" message goes. Default `console.warn`. */
  log?: LogFunction;
}

/** The TerminateOnNaN callback; build it with {@link terminateOnNaN}. */
export class TerminateOnNaN implements Callback {
  readonly raiseError: boolean;
  private model: CallbackModel | null = null;
  private readonly log: LogFunction;

  constructor(args: TerminateOnNaNArgs = {}) {
    this.raiseError = args.raiseError ?? false;
    this.log = args.log ?? defaultLog;
  }

  setModel(model: CallbackModel): void {
    this.model = model;
  }

  /** @throws RaggedError `NON_FINITE` with `raiseError` when `logs.loss` is NaN or ±Infinity. */
  onBatchEnd(batch: number, logs?: Logs): void {
    const loss = logs?.loss;
    if (loss === undefined || Number.isFinite(loss)) return;
    if (this.raiseError) {
      throw new RaggedError("NON_FINITE", `NaN or Inf loss encountered at batch ${batch}. Loss value: ${loss}. Terminating training immediately.`, {
        help: "lower the learning rate, clip gradients (clipnorm), or check the data for NaN/Infinity",
      });
    }
    this.log(`Batch ${batch}: Invalid loss, terminating training`);
    requireModel(this.model, "TerminateOnNaN").stopTraining = true;
  }
}

/**
 * Stops training when a batch loss (`logs.loss` at batch end) is NaN or ±Infinity (Keras
 * `TerminateOnNaN`). The epoch in progress ends at that batch; `onEpochEnd` and `onTrainEnd` still run.
 *
 * @param args - `{ raiseError = false, log = console.warn }`.
 * @returns the callback.
 * @throws RaggedError `NON_FINITE` (during `fit`, only with `raiseError: true`).
 * @example
 * await model.fit(xs, ys, { epochs: 10, callbacks: [terminateOnNaN()] });
 * // "Batch 7: Invalid loss, terminating training" if the loss blows up
 */
export function terminateOnNaN(args: TerminateOnNaNArgs = {}): TerminateOnNaN {
  return new TerminateOnNaN(args);
}
