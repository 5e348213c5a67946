/**
 * The optimizer contract: `apply(variables)` reads each variable's accumulated `grad`, updates its
 * `value` and leaves the gradient as it found it (the model zeroes gradients before each step).
 * Gradient clipping (`clipnorm` per variable, `clipvalue`, `globalClipnorm`) happens here, before
 * the update, as in Keras 3.
 */
import { RaggedError } from "../../core/errors.js";
import type { Variable } from "../../layers/layer.js";

export interface OptimizerArgs {
  learningRate?: number;
  /** Clip each gradient to this L2 norm. */
  clipnorm?: number;
  /** Clip each gradient element to [−clipvalue, clipvalue]. */
  clipvalue?: number;
  /** Clip all gradients together to this global L2 norm. */
  globalClipnorm?: number;
}

export abstract class Optimizer {
  abstract readonly className: string;
  learningRate: number;
  readonly clipnorm: number | null;
  readonly clipvalue: number | null;
  readonly globalClipnorm: number | null;
  /** Steps taken so far (Keras `iterations`). */
  iterations = 0;
  /** Per-variable state (moments), keyed by variable. */
  protected slots = new Map<Variable, Float32Array[]>();

  constructor(args: OptimizerArgs, defaultLearningRate: number) {
    this.learningRate = positive(args.learningRate ?? defaultLearningRate, "learningRate");
    this.clipnorm = args.clipnorm === undefined ? null : positive(args.clipnorm, "clipnorm");
    this.clipvalue = args.clipvalue === undefined ? null : positive(args.clipvalue, "clipvalue");
    this.globalClipnorm = args.globalClipnorm === undefined ? null : positive(args.globalClipnorm, "globalClipnorm");
  }

  /** One update of every variable from its gradient. */
  apply(variables: readonly Variable[]): void {
    const grads = this.clippedGradients(variables);
    this.iterations++;
    variables.forEach((v, i) => this.update(v, grads[i], this.slotsFor(v)));
  }

  protected abstract slotCount(): number;
  /** Updates `v.value` from `grad` (already clipped) and the variable's slots. */
  protected abstract update(v: Variable, grad: Float32Array, slots: Float32Array[]): void;
  abstract getConfig(): Record<string, unknown>;

  private slotsFor(v: Variable): Float32Array[] {
    let s = this.slots.get(v);
    if (!s) {
      s = Array.from({ length: this.slotCount() }, () => new Float32Array(v.size));
      this.slots.set(v, s);
    }
    return s;
  }

  private clippedGradients(variables: readonly Variable[]): Float32Array[] {
    if (this.clipnorm === null && this.clipvalue === null && this.globalClipnorm === null) return variables.map((v) => v.grad);
    let grads: Float32Array[] = variables.map((v) => Float32Array.from(v.grad));
    if (this.clipvalue !== null) {
      const c = this.clipvalue;
      for (const g of grads) for (let i = 0; i < g.length; i++) g[i] = Math.min(c, Math.max(-c, g[i]));
    }
    if (this.clipnorm !== null) {
      grads = grads.map((g) => scaleToNorm(g, l2(g), this.clipnorm as number));
    }
    if (this.globalClipnorm !== null) {
      const norm = Math.sqrt(grads.reduce((s, g) => s + l2(g) ** 2, 0));
      grads = grads.map((g) => scaleToNorm(g, norm, this.globalClipnorm as number));
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
