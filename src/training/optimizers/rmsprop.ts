/**
 * RMSprop, Keras 3 arithmetic and defaults (learningRate 0.001, rho 0.9, momentum 0,
 * epsilon 1e-7, centered false), as `keras/src/optimizers/rmsprop.py` `update_step`:
 *   v ← ρ·v + (1−ρ)·g²
 *   centered:  a ← ρ·a + (1−ρ)·g;  d = v − a² + ε      otherwise: d = v + ε
 *   Δ = lr·g / √d
 *   momentum > 0:  m ← μ·m + Δ;  w ← w − m               otherwise: w ← w − Δ
 * Note that ε sits inside the square root (unlike Adam).
 *
 * @example
 * model.compile({ loss: "mse", optimizer: new RMSprop({ learningRate: 0.01, rho: 0.95 }) });
 */
import type { Variable } from "../../layers/layer.js";
import { RaggedError } from "../../core/errors.js";
import { Optimizer, type OptimizerArgs, nonNegative } from "./optimizer.js";

/** RMSprop's options, besides the shared `OptimizerArgs`. */
export interface RMSpropArgs extends OptimizerArgs {
  /** Discount of the running mean of squared gradients; default 0.9. */
  rho?: number;
  /** Momentum factor; default 0. */
  momentum?: number;
  /** Added to the denominator inside the square root; default 1e-7. */
  epsilon?: number;
  /** Divide by the estimated variance (v − mean(g)²) instead of v; default false. */
  centered?: boolean;
}

export class RMSprop extends Optimizer {
  readonly className = "RMSprop";
  readonly rho: number;
  readonly momentum: number;
  readonly epsilon: number;
  readonly centered: boolean;

  /**
   * @param args - the options above plus the shared `OptimizerArgs`.
   * @throws RaggedError `INVALID_ARGUMENT` for `rho` or `momentum` outside [0, 1], a negative `epsilon`.
   */
  constructor(args: RMSpropArgs = {}) {
    super(args, 0.001);
    this.rho = unitInterval(args.rho ?? 0.9, "rho");
    this.momentum = unitInterval(args.momentum ?? 0, "momentum");
    this.epsilon = nonNegative(args.epsilon ?? 1e-7, "epsilon");
    this.centered = args.centered ?? false;
  }

  // slots: [velocity, momentum?, averageGradient?]
  protected slotCount(): number {
    return 1 + (this.momentum > 0 ? 1 : 0) + (this.centered ? 1 : 0);
  }

  protected update(v: Variable, g: Float32Array, slots: Float32Array[]): void {
    const lr = this.stepLearningRate;
    const rho = this.rho;
    const velocity = slots[0];
    const mom = this.momentum > 0 ? slots[1] : null;
    const avg = this.centered ? slots[slots.length - 1] : null;
    const w = v.value;
    for (let i = 0; i < w.length; i++) {
      const gi = g[i];
      velocity[i] = rho * velocity[i] + (1 - rho) * gi * gi;
      let denom: number;
      if (avg) {
        avg[i] = rho * avg[i] + (1 - rho) * gi;
        denom = velocity[i] - avg[i] * avg[i] + this.epsilon;
      } else {
        denom = velocity[i] + this.epsilon;
      }
      const increment = (lr * gi) / Math.sqrt(denom);
      if (mom) {
        mom[i] = this.momentum * mom[i] + increment;
        w[i] -= mom[i];
      } else {
        w[i] -= increment;
      }
    }
  }

  getConfig(): Record<string, unknown> {
    return { ...this.baseConfig(), rho: this.rho, momentum: this.momentum, epsilon: this.epsilon, centered: this.centered };
  }
}

function unitInterval(x: number, name: string): number {
  if (!(typeof x === "number" && x >= 0 && x <= 1)) {
    throw new RaggedError("INVALID_ARGUMENT", `RMSprop \`${name}\` must be in [0, 1].`, { received: `${name} = ${String(x)}` });
  }
  return x;
}
