/**
 * Model inputs: `input({ shape, name })` gives the symbolic tensor a functional model starts from
 * (Keras' `keras.Input`, TF.js' `tf.input`), made by an `InputLayer`. The shape leaves out the
 * batch dimension:
 * - `[null, d]`: sequences of any length with d features per step;
 * - `[null]`: sequences of token ids (one number per step), for an embedding;
 * - `[d]`: one vector of d numbers per sample (static features, an initial state).
 * Each input is packed once, at the model's edge, into its own layout: two inputs of one sample
 * may have different lengths (NOTE [ lengths in a graph ] in symbolic.ts).
 *
 * @example
 * const chars = input({ shape: [null], name: "chars", dtype: "int32" });
 * const features = input({ shape: [null, 5], name: "features" });
 * const state = input({ shape: [32], name: "h0" });
 */
import { RaggedError, describe } from "../core/errors.js";
import type { Random } from "../core/random.js";
import { type BaseLayerArgs, type ForwardContext, type ForwardResult, Layer, type Shape, formatShape } from "./layer.js";
import { Node, SymbolicTensor } from "./symbolic.js";
import type { LayerValue } from "./values.js";

export interface InputArgs {
  /** Shape of one sample without the batch dimension: `[null, d]`, `[null]` or `[d]`. */
  shape?: Shape;
  /** Shape with the batch dimension (`[null, null, d]`); instead of `shape`. */
  batchShape?: Shape;
  /** Unique within a model; `input`, `input_1`, … when omitted. Targets and data may be keyed by it. */
  name?: string;
  /** `"float32"` (default) or `"int32"` (token ids); values are held as float32 either way. */
  dtype?: "float32" | "int32";
}

export class InputLayer extends Layer {
  readonly className = "InputLayer";
  readonly dtype: "float32" | "int32";
  /** The tensor this layer gives. */
  readonly output: SymbolicTensor;

  constructor(args: InputArgs) {
    const shape = batchShapeOf(args);
    super({ name: args?.name, batchInputShape: shape } as BaseLayerArgs, "input");
    const dtype = args?.dtype ?? "float32";
    if (dtype !== "float32" && dtype !== "int32") {
      throw new RaggedError("INVALID_ARGUMENT", "input `dtype` must be \"float32\" or \"int32\".", { received: describe(dtype) });
    }
    this.dtype = dtype;
    this.markBuilt([shape]);
    const node = new Node(this, [], {}, 0);
    this.output = new SymbolicTensor({ shape, dtype, name: this.name, node, outputIndex: 0, lengths: { kind: "input", input: this.name, through: [] } });
    node.outputs = [this.output];
    this.inboundNodes.push(node);
  }

  protected validateInputShape(_inputShape: Shape): void {}
  protected createWeights(_inputShape: Shape, _rng: Random): void {}

  computeOutputShape(inputShape: Shape): Shape {
    return inputShape;
  }

  forward(input: LayerValue, _ctx: ForwardContext): ForwardResult {
    return { output: input, backward: (d) => d };
  }

  override apply(): never {
    throw new RaggedError("INVALID_ARGUMENT", `InputLayer "${this.name}" cannot be applied to tensors; it starts a graph.`, { help: "use input({ shape }) to make a model input" });
  }

  getConfig(): Record<string, unknown> {
    return { batchInputShape: [...(this.batchInputShape as Shape)], dtype: this.dtype, sparse: false };
  }
}

function batchShapeOf(args: InputArgs): Shape {
  if (args === null || typeof args !== "object") {
    throw new RaggedError("INVALID_ARGUMENT", "input() takes { shape, name }.", { received: describe(args) });
  }
  const given = args.batchShape ?? (args.shape ? [null, ...args.shape] : null);
  if (!given || !Array.isArray(given)) {
    throw new RaggedError("INVALID_ARGUMENT", "input() needs a `shape`.", {
      expected: "shape: [null, features] (sequences), [null] (token ids) or [features] (one vector per sample)",
      received: describe(args.shape ?? args.batchShape),
    });
  }
  const ok = (given.length === 2 || given.length === 3) && given.every((d) => d === null || (Number.isInteger(d) && (d as number) > 0));
  const lastKnown = given.length === 2 || given[2] !== null;
  if (!ok || !lastKnown) {
    throw new RaggedError("SHAPE_MISMATCH", "input() takes sequences or vectors.", {
      expected: "shape [null, features], [null] or [features] (batch dimension left out)",
      received: `shape ${formatShape(given.slice(1))}`,
      help: "ragged inputs are sequences of steps (any length) or one vector per sample",
    });
  }
  return [...given];
}

/**
 * A model input (Keras' `keras.Input`, TF.js' `tf.input`).
 * @param args - `{ shape, name, dtype }`; see `InputArgs`.
 * @returns the symbolic tensor to apply layers to.
 * @throws RaggedError `INVALID_ARGUMENT`, `SHAPE_MISMATCH` for a shape ragged cannot take.
 * @example
 * const x = input({ shape: [null, 3], name: "x" });
 * const y = layers.lstm({ units: 4 }).apply(x);
 */
export function input(args: InputArgs): SymbolicTensor {
  return new InputLayer(args).output;
}
