/**
 * The optimizer contract: `apply(variables)` reads each variable's accumulated `grad`, updates its
 * `value` and leaves the gradient as it found it (the model zeroes gradients before each step).
 * One step, in Keras 3's order (`BaseOptimizer.apply`):
 *   1. clip the gradients: `clipvalue` per element, or `clipnorm` per variable, or `globalClipnorm`
 *      over all of them (at most one may be set, as Keras);
 *   2. read the learning rate: a number, or a schedule evaluated at `iterations` (steps taken
 *      before this one, so the first step sees step 0);
 *   3. with `weightDecay`, decay every variable: w ← w − w·weightDecay·lr (`_apply_weight_decay`);
 *   4. count the step (`iterations` + 1), then update each variable with the optimizer's rule.
 */
import { RaggedError, describe } from "../../core/errors.js";
import type { Variable } from "../../layers/layer.js";
import { type LearningRateSchedule, isLearningRateSchedule } from "./schedules.js";

/**
 * The options every optimizer takes (Keras 3 `BaseOptimizer`'s, camelCase). At most one of
 * `clipnorm`, `clipvalue`, `globalClipnorm` may be set.
 * @example
 * new SGD({ learningRate: 0.1, clipnorm: 1 });
 * model.compile({ loss: "mse", optimizer: { name: "adam", learningRate: cosineDecay({ initialLearningRate: 0.01, decaySteps: 1000 }) } });
 */
export interface OptimizerArgs {
  /**
   * The step size: a positive number, or a schedule of the step count (`exponentialDecay`,
   * `piecewiseConstantDecay`, `cosineDecay`). Default 0.01 for SGD, 0.001 for the others (Keras).
   */
  learningRate?: number | LearningRateSchedule;
  /** Clip each variable's gradient to this L2 norm (> 0); default none. */
  clipnorm?: number;
  /** Clip each gradient element to [−clipvalue, clipvalue] (> 0); default none. */
  clipvalue?: number;
  /** Clip all gradients together to this global L2 norm (> 0); default none. */
  globalClipnorm?: number;
  /**
   * Decoupled weight decay (≥ 0): w ← w − w·weightDecay·lr before each update (Keras
   * `weight_decay`); default none, 0.004 for AdamW.
   */
  weightDecay?: number;
}

export abstract class Optimizer {
  abstract readonly className: string;
  readonly clipnorm: number | null;
  readonly clipvalue: number | null;
  readonly globalClipnorm: number | null;
  /** Decoupled weight decay factor, or null for none. */
  readonly weightDecay: number | null;
  /** The schedule given as `learningRate`, or null when the rate is a number. */
  readonly learningRateSchedule: LearningRateSchedule | null;
  /** Steps taken so far (Keras `iterations`). */
  iterations = 0;
  /** Per-variable state (moments), keyed by variable. */
  protected slots = new Map<Variable, Float32Array[]>();
  /** The learning rate of the step being applied (read by `update`). */
  protected stepLearningRate = 0;
  private fixedLearningRate: number;

  constructor(args: OptimizerArgs, defaultLearningRate: number) {
    const lr = args.learningRate ?? defaultLearningRate;
    if (isLearningRateSchedule(lr)) {
      this.learningRateSchedule = lr;
      this.fixedLearningRate = NaN;
    } else {
      this.learningRateSchedule = null;
      this.fixedLearningRate = positive(lr, "learningRate");
    }
    this.clipnorm = args.clipnorm === undefined ? null : positive(args.clipnorm, "clipnorm");
    this.clipvalue = args.clipvalue === undefined ? null : positive(args.clipvalue, "clipvalue");
    this.globalClipnorm = args.globalClipnorm === undefined ? null : positive(args.globalClipnorm, "globalClipnorm");
    this.weightDecay = args.weightDecay === undefined ? null : nonNegative(args.weightDecay, "weightDecay");
    const clips = (["clipnorm", "clipvalue", "globalClipnorm"] as const).filter((k) => this[k] !== null);
    if (clips.length > 1) {
      throw new RaggedError("INVALID_ARGUMENT", "Only one of `clipnorm`, `clipvalue` and `globalClipnorm` can be set.", {
        received: clips.map((k) => `${k} = ${String(this[k])}`).join(", "),
        help: "keep the one you mean (Keras 3 refuses the combination too)",
      });
    }
  }

  /**
   * The learning rate now: the number, or the schedule at `iterations` (Keras `learning_rate`).
   * Settable to a number (e.g. by ReduceLROnPlateau) unless the optimizer was made with a schedule.
   * @throws RaggedError `INVALID_ARGUMENT` when set to a non-positive number, or set at all on an
   *   optimizer made with a schedule (Keras raises TypeError there too).
   */
  get learningRate(): number {
    return this.learningRateSchedule ? this.learningRateSchedule.at(this.iterations) : this.fixedLearningRate;
  }

  set learningRate(value: number) {
    if (this.learningRateSchedule) {
      throw new RaggedError("INVALID_ARGUMENT", `This optimizer was created with a ${this.learningRateSchedule.className} schedule as its learning rate, so its learning rate cannot be set.`, {
        received: `learningRate = ${describe(value)}`,
        help: "create the optimizer with a number as `learningRate` to adjust it from a callback",
      });
    }
    this.fixedLearningRate = positive(value, "learningRate");
  }

  /** One update of every variable from its gradient (see the order at the top of this file). */
  apply(variables: readonly Variable[]): void {
    const grads = this.clippedGradients(variables);
    this.stepLearningRate = this.learningRate;
    if (this.weightDecay !== null && this.weightDecay > 0) {
      const f = this.weightDecay * this.stepLearningRate;
      for (const v of variables) {
        const w = v.value;
        for (let i = 0; i < w.length; i++) w[i] -= w[i] * f;
      }
    }
    this.iterations++;
    variables.forEach((v, i) => this.update(v, grads[i], this.slotsFor(v)));
  }

  /** How many state arrays ("slots") each variable has: Adam 2 (m, v), 3 with amsgrad; SGD 0 or 1. */
  get slotsPerVariable(): number {
    return this.slotCount();
  }

  /**
   * The per-variable state, copied: for each variable updated so far, `slotsPerVariable` arrays
   * of its size, in the optimizer's slot order. With `iterations`, what saving a model needs.
   * @example
   * const state = optimizer.getSlots(); // Map { variable → [m, v] } for Adam
   */
  getSlots(): Map<Variable, Float32Array[]> {
    return new Map([...this.slots].map(([v, s]) => [v, s.map((a) => Float32Array.from(a))]));
  }

  /**
   * Replaces the per-variable state with copies of `slots` (as `getSlots` returns it); a variable
   * not in `slots` starts fresh at its next update.
   * @throws RaggedError `SHAPE_MISMATCH` when an entry has the wrong number of arrays or an array
   *   the wrong size; nothing is changed then.
   */
  setSlots(slots: ReadonlyMap<Variable, readonly Float32Array[]>): void {
    const n = this.slotCount();
    for (const [v, s] of slots) {
      if (s.length !== n || s.some((a) => a.length !== v.size)) {
        throw new RaggedError("SHAPE_MISMATCH", `${this.className} state for weight "${v.name}" has the wrong shape.`, {
          expected: `${n} arrays of ${v.size} numbers`,
          received: `${s.length} arrays of ${s.map((a) => a.length).join(", ")} numbers`,
        });
      }
    }
    this.slots = new Map([...slots].map(([v, s]) => [v, s.map((a) => Float32Array.from(a))]));
  }

  protected abstract slotCount(): number;
  /** Updates `v.value` from `grad` (already clipped) and the variable's slots. */
  protected abstract update(v: Variable, grad: Float32Array, slots: Float32Array[]): void;
  abstract getConfig(): Record<string, unknown>;

  /** Creates a variable's slots; override to start them at something other than 0. */
  protected initSlots(v: Variable): Float32Array[] {
    return Array.from({ length: this.slotCount() }, () => new Float32Array(v.size));
  }

  /**
   * The options every optimizer shares, for `getConfig`: `learningRate` (a number, or
   * `{ className, config }` for a schedule) and the clipping and decay options that are set.
   */
  protected baseConfig(): Record<string, unknown> {
    const config: Record<string, unknown> = {
      learningRate: this.learningRateSchedule ? { className: this.learningRateSchedule.className, config: this.learningRateSchedule.getConfig() } : this.fixedLearningRate,
    };
    if (this.clipnorm !== null) config.clipnorm = this.clipnorm;
    if (this.clipvalue !== null) config.clipvalue = this.clipvalue;
    if (this.globalClipnorm !== null) config.globalClipnorm = this.globalClipnorm;
    if (this.weightDecay !== null) config.weightDecay = this.weightDecay;
    return config;
  }

  private slotsFor(v: Variable): Float32Array[] {
    let s = this.slots.get(v);
    if (!s) {
      s = this.initSlots(v);
      this.slots.set(v, s);
    }
    return s;
  }

  /** Keras 3 `_clip_gradients`: at most one of the three is set. */
  private clippedGradients(variables: readonly Variable[]): Float32Array[] {
    if (this.clipnorm === null && this.clipvalue === null && this.globalClipnorm === null) return variables.map((v) => v.grad);
    const grads: Float32Array[] = variables.map((v) => Float32Array.from(v.grad));
    if (this.clipvalue !== null) {
      const c = this.clipvalue;
      for (const g of grads) for (let i = 0; i < g.length; i++) g[i] = Math.min(c, Math.max(-c, g[i]));
    } else if (this.clipnorm !== null) {
      for (const g of grads) scaleToNorm(g, l2(g), this.clipnorm);
    } else if (this.globalClipnorm !== null) {
      const norm = Math.sqrt(grads.reduce((s, g) => s + l2(g) ** 2, 0));
      for (const g of grads) scaleToNorm(g, norm, this.globalClipnorm);
    }
    return grads;
  }
}

function l2(g: Float32Array): number {
  let s = 0;
  for (let i = 0; i < g.length; i++) s += g[i] * g[i];
  return Math.sqrt(s);
}

function scaleToNorm(g: Float32Array, norm: number, max: number): Float32Array {
  if (norm <= max) return g;
  const f = max / norm;
  for (let i = 0; i < g.length; i++) g[i] *= f;
  return g;
}

export function positive(x: unknown, name: string): number {
  if (typeof x !== "number" || !Number.isFinite(x) || x <= 0) {
    throw new RaggedError("INVALID_ARGUMENT", `Optimizer option \`${name}\` must be a positive number.`, { received: `${name} = ${String(x)}` });
  }
  return x;
}

export function nonNegative(x: unknown, name: string): number {
  if (typeof x !== "number" || !Number.isFinite(x) || x < 0) {
    throw new RaggedError("INVALID_ARGUMENT", `Optimizer option \`${name}\` must be a number ≥ 0.`, { received: `${name} = ${String(x)}` });
  }
  return x;
}
