/**
 * Adagrad, Keras 3 arithmetic and defaults (learningRate 0.001, initialAccumulatorValue 0.1,
 * epsilon 1e-7), as `keras/src/optimizers/adagrad.py`:
 *   a starts at initialAccumulatorValue;  a ← a + g²;  w ← w − lr·g / √(a + ε)
 * Note that ε sits inside the square root.
 *
 * @example
 * model.compile({ loss: "mse", optimizer: new Adagrad({ learningRate: 0.05 }) });
 */
import type { Variable } from "../../layers/layer.js";
import { Optimizer, type OptimizerArgs, nonNegative } from "./optimizer.js";

/** Adagrad's options, besides the shared `OptimizerArgs`. */
export interface AdagradArgs extends OptimizerArgs {
  /** Starting value of every accumulator; default 0.1. */
  initialAccumulatorValue?: number;
  /** Added to the accumulator inside the square root; default 1e-7. */
  epsilon?: number;
}

export class Adagrad extends Optimizer {
  readonly className = "Adagrad";
  readonly initialAccumulatorValue: number;
  readonly epsilon: number;

  /**
   * @param args - the options above plus the shared `OptimizerArgs`.
   * @throws RaggedError `INVALID_ARGUMENT` for a negative `initialAccumulatorValue` or `epsilon`.
   */
  constructor(args: AdagradArgs = {}) {
    super(args, 0.001);
    this.initialAccumulatorValue = nonNegative(args.initialAccumulatorValue ?? 0.1, "initialAccumulatorValue");
    this.epsilon = nonNegative(args.epsilon ?? 1e-7, "epsilon");
  }

  protected slotCount(): number {
    return 1;
  }

  protected override initSlots(v: Variable): Float32Array[] {
    return [new Float32Array(v.size).fill(this.initialAccumulatorValue)];
  }

  protected update(v: Variable, g: Float32Array, slots: Float32Array[]): void {
    const lr = this.stepLearningRate;
    const acc = slots[0];
    const w = v.value;
    for (let i = 0; i < w.length; i++) {
      acc[i] += g[i] * g[i];
      w[i] -= (lr * g[i]) / Math.sqrt(acc[i] + this.epsilon);
    }
  }

  getConfig(): Record<string, unknown> {
    return { ...this.baseConfig(), initialAccumulatorValue: this.initialAccumulatorValue, epsilon: this.epsilon };
  }
}
