/**
 * The Layer contract. A layer is built once for an input shape, then called on packed values:
 * `forward` returns the output and a `backward` closure that takes the gradient of the output,
 * accumulates weight gradients into its `Variable`s and returns the gradient of the input —
 * forward and backward side by side, as in micrograd and llm.c.
 *
 * Shapes are Keras shapes with the batch dimension first and `null` for unknown sizes:
 * `[null, null, 5]` is a batch of sequences of any length with 5 features.
 */
import { RaggedError } from "../core/errors.js";
import type { Random } from "../core/random.js";
import { Tensor, shapeSize } from "../core/tensor.js";
import type { LayerValue } from "./values.js";
import type { Regularizer } from "./regularizers.js";

export type Shape = (number | null)[];

/** A weight: its value and the gradient accumulated by the last backward pass. */
export class Variable {
  readonly name: string;
  readonly shape: readonly number[];
  value: Float32Array;
  readonly grad: Float32Array;
  readonly trainable: boolean;
  /** Added to the training loss (and its gradient to `grad`). */
  readonly regularizer: Regularizer | null;

  constructor(name: string, shape: readonly number[], value: Float32Array, trainable = true, regularizer: Regularizer | null = null) {
    this.name = name;
    this.shape = Object.freeze([...shape]);
    this.value = value;
    this.grad = new Float32Array(value.length);
    this.trainable = trainable;
    this.regularizer = regularizer;
  }

  get size(): number {
    return this.value.length;
  }
}

export interface ForwardContext {
  /** Initial states for a recurrent layer called on its own (`layer.apply`), sorted order [B, H] each. */
  initialState?: Float32Array[] | null;
  /** Training mode (dropout on, statistics updated). */
  training: boolean;
  /** Randomness for this call (dropout masks); seeded by the model. */
  rng: Random;
  /** Whether the caller will call `backward` (if not, layers may keep less). */
  needsGrad: boolean;
  /** Whether `backward` must return the input's gradient (false for the first layer). */
  inputNeedsGrad: boolean;
}

export interface ForwardResult {
  output: LayerValue;
  /** Gradient of the output in → gradient of the input out (null when the input needs none). */
  backward: (dOutput: LayerValue) => LayerValue | null;
}

/** Options every layer accepts. */
export interface BaseLayerArgs {
  /** Unique within a model; Keras' default naming (`lstm`, `lstm_1`, …) when omitted. */
  name?: string;
  /** Shape of one input, without the batch dimension: `[null, 5]` for sequences of 5 features. */
  inputShape?: Shape;
  /** Shape with the batch dimension: `[null, null, 5]`. */
  batchInputShape?: Shape;
  trainable?: boolean;
}

const nameCounters = new Map<string, number>();

/** Keras' naming: the first layer of a kind is `lstm`, the next `lstm_1`, and so on. */
export function uniqueLayerName(base: string): string {
  const n = nameCounters.get(base) ?? 0;
  nameCounters.set(base, n + 1);
  return n === 0 ? base : `${base}_${n}`;
}

/** `TimeDistributed` → `time_distributed`, `LSTM` → `lstm`, `SimpleRNN` → `simple_rnn`. */
export function snakeCase(className: string): string {
  return className
    .replace(/([a-z0-9])([A-Z])/g, "$1_$2")
    .replace(/([A-Z]+)([A-Z][a-z])/g, "$1_$2")
    .toLowerCase();
}

export abstract class Layer {
  /** Keras class name, as written to model.json. */
  abstract readonly className: string;
  readonly name: string;
  trainable: boolean;
  /** The batch input shape given by `inputShape`/`batchInputShape`, if any. */
  readonly batchInputShape: Shape | null;
  protected variables: Variable[] = [];
  private builtShape: Shape | null = null;

  constructor(args: BaseLayerArgs, defaultBase: string) {
    this.name = args.name ?? uniqueLayerName(defaultBase);
    this.trainable = args.trainable ?? true;
    if (args.batchInputShape) this.batchInputShape = [...args.batchInputShape];
    else if (args.inputShape) this.batchInputShape = [null, ...args.inputShape];
    else this.batchInputShape = null;
  }

  get built(): boolean {
    return this.builtShape !== null;
  }

  get inputShape(): Shape {
    if (!this.builtShape) throw new RaggedError("NOT_BUILT", `Layer "${this.name}" has not been built yet.`, { help: "add it to a model with an inputShape on its first layer" });
    return this.builtShape;
  }

  /** Creates the weights for `inputShape` (drawing initial values from `rng`). Idempotent. */
  build(inputShape: Shape, rng: Random): void {
    if (this.builtShape) return;
    this.validateInputShape(inputShape);
    this.createWeights(inputShape, rng);
    this.builtShape = [...inputShape];
  }

  /** Throws a clear error when this layer cannot take `inputShape`. */
  protected abstract validateInputShape(inputShape: Shape): void;
  protected abstract createWeights(inputShape: Shape, rng: Random): void;
  abstract computeOutputShape(inputShape: Shape): Shape;
  abstract forward(input: LayerValue, ctx: ForwardContext): ForwardResult;
  /**
   * Per-step output lengths for per-step input lengths (both caller order), defined only by
   * layers that change sequence lengths (strided or `valid` convolution, pooling, repeatVector):
   * the model lines per-step targets up with them. Absent: lengths pass through.
   */
  outputLengths?(inputLengths: Int32Array): Int32Array;
  /** The layer's own config (Keras keys in camelCase; io/ translates to snake_case). */
  abstract getConfig(): Record<string, unknown>;

  /** Weights in Keras order. */
  get weights(): Variable[] {
    return this.variables;
  }

  get trainableWeights(): Variable[] {
    return this.trainable ? this.variables.filter((v) => v.trainable) : [];
  }

  countParams(): number {
    return this.variables.reduce((n, v) => n + v.size, 0);
  }

  protected addWeight(name: string, shape: number[], value: Float32Array, trainable = true, regularizer: Regularizer | null = null): Variable {
    const v = new Variable(name, shape, value, trainable, regularizer);
    this.variables.push(v);
    return v;
  }

  getWeights(): Tensor[] {
    return this.variables.map((v) => new Tensor(v.shape, Float32Array.from(v.value)));
  }

  /** Sets weights in Keras order and shapes; copies, never keeps the caller's arrays. */
  setWeights(weights: readonly Tensor[]): void {
    if (weights.length !== this.variables.length) {
      throw new RaggedError("SHAPE_MISMATCH", `Layer "${this.name}" takes ${this.variables.length} weight arrays.`, {
        expected: this.variables.map((v) => `${v.name} [${v.shape.join(", ")}]`).join(", "),
        received: `${weights.length} arrays`,
      });
    }
    weights.forEach((w, i) => {
      const v = this.variables[i];
      if (w.shape.length !== v.shape.length || w.shape.some((d, k) => d !== v.shape[k]) || w.data.length !== shapeSize(v.shape)) {
        throw new RaggedError("SHAPE_MISMATCH", `Weight ${i} (${v.name}) of layer "${this.name}" has the wrong shape.`, {
          expected: `[${v.shape.join(", ")}]`,
          received: `[${w.shape.join(", ")}]`,
        });
      }
      v.value.set(w.data);
    });
  }
}

/** The last dimension of a shape, which must be known. */
export function lastDim(shape: Shape, layer: string): number {
  const d = shape[shape.length - 1];
  if (d === null || d === undefined) {
    throw new RaggedError("SHAPE_MISMATCH", `Layer "${layer}" needs a known last dimension (features).`, {
      expected: "a shape like [null, null, 5]",
      received: `[${shape.map((s) => (s === null ? "null" : s)).join(", ")}]`,
    });
  }
  return d;
}

export function formatShape(shape: Shape): string {
  const parts = shape.map((d) => (d === null ? "None" : String(d)));
  return `(${parts.join(", ")}${parts.length === 1 ? "," : ""})`;
}
