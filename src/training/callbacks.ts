/**
 * Callbacks: hooks into the training loop, Keras-style (camelCase as TF.js). Any hook may be async.
 * `logs` carries the current numbers (`loss`, metrics, `val_loss`, …). Set `model.stopTraining = true`
 * from a hook to end `fit` after the current batch.
 *
 * @example
 * await model.fit(xs, ys, { callbacks: [{ onEpochEnd: (epoch, logs) => console.log(epoch, logs?.loss) }] });
 */
import type { Tensor } from "../core/tensor.js";

/** The numbers of the current batch or epoch, by name (`loss`, `val_loss`, `learning_rate`, …). */
export type Logs = Record<string, number>;

/**
 * What a callback may touch on the model being trained (`Sequential` satisfies it), so callbacks
 * need not import the model. The training loop hands it over with `CallbackList.setModel`.
 */
export interface CallbackModel {
  /** Set to true to end `fit` after the current batch. */
  stopTraining: boolean;
  /** Copies of the weights, in Keras order. */
  getWeights(): Tensor[];
  setWeights(weights: readonly Tensor[]): void;
  /** `null` until the model is compiled. */
  readonly optimizer: { learningRate: number } | null;
}

export interface Callback {
  /** Called once by the training loop, before `onTrainBegin`, with the model being trained. */
  setModel?(model: CallbackModel): void;
  onTrainBegin?(logs?: Logs): void | Promise<void>;
  onTrainEnd?(logs?: Logs): void | Promise<void>;
  onEpochBegin?(epoch: number, logs?: Logs): void | Promise<void>;
  onEpochEnd?(epoch: number, logs?: Logs): void | Promise<void>;
  onBatchBegin?(batch: number, logs?: Logs): void | Promise<void>;
  onBatchEnd?(batch: number, logs?: Logs): void | Promise<void>;
}

/** Calls every callback's hook in order, awaiting each. */
export class CallbackList {
  constructor(readonly callbacks: Callback[]) {}

  /** Gives every callback that wants it (`setModel`) the model being trained. */
  setModel(model: CallbackModel): void {
    for (const c of this.callbacks) c.setModel?.(model);
  }

  async trainBegin(logs?: Logs): Promise<void> {
    for (const c of this.callbacks) await c.onTrainBegin?.(logs);
  }
  async trainEnd(logs?: Logs): Promise<void> {
    for (const c of this.callbacks) await c.onTrainEnd?.(logs);
  }
  async epochBegin(epoch: number, logs?: Logs): Promise<void> {
    for (const c of this.callbacks) await c.onEpochBegin?.(epoch, logs);
  }
  async epochEnd(epoch: number, logs?: Logs): Promise<void> {
    for (const c of this.callbacks) await c.onEpochEnd?.(epoch, logs);
  }
  async batchBegin(batch: number, logs?: Logs): Promise<void> {
    for (const c of this.callbacks) await c.onBatchBegin?.(batch, logs);
  }
  async batchEnd(batch: number, logs?: Logs): Promise<void> {
    for (const c of this.callbacks) await c.onBatchEnd?.(batch, logs);
  }
}

/** What `fit` returns: per-epoch numbers, Keras' `History`. */
export class History implements Callback {
  /** Epoch indices (0-based, counting from `initialEpoch`). */
  readonly epoch: number[] = [];
  /** `history.loss[k]` is the loss of the k-th epoch run, and so on for every logged name. */
  readonly history: Record<string, number[]> = {};

  onEpochEnd(epoch: number, logs?: Logs): void {
    this.epoch.push(epoch);
    for (const [key, value] of Object.entries(logs ?? {})) {
      (this.history[key] ??= []).push(value);
    }
  }
}
