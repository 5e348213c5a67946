/**
 * AdamW, Keras 3 (`keras/src/optimizers/adamw.py`): Adam with decoupled weight decay, default
 * weightDecay 0.004. Each step first decays every variable, w ← w − w·weightDecay·lr (the base
 * optimizer's `_apply_weight_decay`, with lr the rate of this step), then applies the Adam update
 * (see adam.ts). Other defaults as Adam: learningRate 0.001, beta1 0.9, beta2 0.999, epsilon 1e-7.
 *
 * @example
 * model.compile({ loss: "mse", optimizer: new AdamW({ learningRate: 0.003, weightDecay: 0.01 }) });
 */
import { Adam, type AdamArgs } from "./adam.js";

/** AdamW's options: Adam's (`AdamArgs`), with `weightDecay` defaulting to 0.004. */
export type AdamWArgs = AdamArgs;

export class AdamW extends Adam {
  override readonly className: string = "AdamW";

  /** @throws RaggedError `INVALID_ARGUMENT` for a negative `weightDecay` (or any Adam option error). */
  constructor(args: AdamWArgs = {}) {
    super({ ...args, weightDecay: args.weightDecay ?? 0.004 });
  }
}
