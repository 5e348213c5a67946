/**
 * A learning rate that anneals along a cosine to 0 over a training budget: the wall time up to a
 * deadline (set before every batch, so the rate reaches 0 when the budget ends, however many epochs
 * that is), or the epochs (set before every epoch). Shared by the CMUdict examples' `--cosine`.
 */
import type { Callback, CallbackModel } from "ragged-rnn";

export interface CosineAnnealArgs {
  /** The rate at the start. */
  learningRate: number;
  /** Epochs to anneal over when there is no deadline. */
  epochs: number;
  /** `performance.now()` time at which the rate reaches 0; `Infinity` anneals over `epochs` instead. */
  deadline: number;
  /** The clock (default `performance.now`). */
  now?: () => number;
}

/**
 * Learning rate lr · ½(1 + cos(π·f)), f the fraction of training done: of the wall time from the
 * first batch to `deadline`, set before every batch, or of the epochs, set before every epoch.
 */
export function cosineAnneal(args: CosineAnnealArgs): Callback {
  const now = args.now ?? (() => performance.now());
  const rate = (fraction: number) => args.learningRate * 0.5 * (1 + Math.cos(Math.PI * Math.min(1, Math.max(0, fraction))));
  let model: CallbackModel | undefined;
  let begun = NaN;
  const set = (lr: number) => {
    if (model?.optimizer) model.optimizer.learningRate = lr;
  };
  return {
    setModel(m) {
      model = m;
    },
    onEpochBegin(epoch) {
      if (!Number.isFinite(args.deadline)) set(rate(epoch / args.epochs));
    },
    onBatchBegin() {
      if (!Number.isFinite(args.deadline)) return;
      if (Number.isNaN(begun)) begun = now();
      set(rate((now() - begun) / (args.deadline - begun)));
    },
  };
}
