/**
 * SGD with optional momentum and Nesterov momentum, as Keras 3:
 *   momentum 0:   w ← w − lr·g
 *   otherwise:    m ← μ·m − lr·g;  w ← w + m  (Nesterov: w ← w + μ·m − lr·g)
 * Default learning rate 0.01.
 */
import type { Variable } from "../../layers/layer.js";
import { RaggedError } from "../../core/errors.js";
import { Optimizer, type OptimizerArgs } from "./optimizer.js";

/** SGD's options, besides the shared `OptimizerArgs` (its default `learningRate` is 0.01). */
export interface SGDArgs extends OptimizerArgs {
  /** Momentum factor μ in [0, 1]; default 0 (plain gradient descent). */
  momentum?: number;
  /** Nesterov momentum (looks ahead along the velocity); default false. */
  nesterov?: boolean;
}

export class SGD extends Optimizer {
  readonly className = "SGD";
  readonly momentum: number;
  readonly nesterov: boolean;

  constructor(args: SGDArgs = {}) {
    super(args, 0.01);
    this.momentum = args.momentum ?? 0;
    if (!(this.momentum >= 0 && this.momentum <= 1)) {
      throw new RaggedError("INVALID_ARGUMENT", "SGD `momentum` must be in [0, 1].", { received: String(args.momentum) });
    }
    this.nesterov = args.nesterov ?? false;
  }

  protected slotCount(): number {
    return this.momentum > 0 ? 1 : 0;
  }

  protected update(v: Variable, g: Float32Array, slots: Float32Array[]): void {
    const lr = this.stepLearningRate;
    const w = v.value;
    if (this.momentum === 0) {
      for (let i = 0; i < w.length; i++) w[i] -= lr * g[i];
      return;
    }
    const m = slots[0];
    const mu = this.momentum;
    for (let i = 0; i < w.length; i++) {
      m[i] = mu * m[i] - lr * g[i];
      w[i] += this.nesterov ? mu * m[i] - lr * g[i] : m[i];
    }
  }

  getConfig(): Record<string, unknown> {
    return { ...this.baseConfig(), momentum: this.momentum, nesterov: this.nesterov };
  }
}
