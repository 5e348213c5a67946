/**
 * Model inputs: `input({ shape, name })` gives the symbolic tensor a functional model starts from
 * (Keras' `keras.Input`, TF.js' `tf.input`), made by an `InputLayer`. The shape leaves out the
 * batch dimension:
 * - `[null, d]`: sequences of any length with d features per step; `[T, d]`: of exactly T steps,
 *   checked on the data (NOTE [ fixed step counts ] in functional.ts);
 * - `[null]`: sequences of token ids (one number per step), for an embedding;
 * - `[d]`: one vector of d numbers per sample (static features, an initial state) — or, when it
 *   feeds embeddings, d token ids per sample (NOTE [ token ids of a fixed count ] in functional.ts);
 * - `[null, null]`: nested token ids — per sample a list of steps, each itself a list of ids of
 *   any length (sentence → word → character ids), read by `timeDistributed` (NOTE [ nested values ]
 *   in values.ts). Keras' `Input(shape=(None, None))`, without the padding.
 * Each input is packed once, at the model's edge, into its own layout: two inputs of one sample
 * may have different lengths (NOTE [ lengths in a graph ] in symbolic.ts) — unless one says it has
 * the other's (`sameLengthsAs`), which the data is then checked for.
 *
 * NOTE [ inputs with the same steps ]
 * A per-step tensor can only meet another whose lengths come from the same source (a merge of the
 * word embeddings and the per-word character features of one sentence). Two *inputs* are two
 * sources even when the data gives them equal lengths, so an input that always has another
 * input's number of steps says so: `input({ shape: [null, null], name: "chars", sameLengthsAs:
 * words })`. Its tensors then carry the lengths of `words`, merges with `words`' tensors are
 * allowed, and reading data checks, sample by sample, that `chars[i]` has as many steps as
 * `words[i]` (`LENGTH_MISMATCH` naming the sample otherwise). Both are packed into the same layout.
 *
 * @example
 * const chars = input({ shape: [null], name: "chars", dtype: "int32" });
 * const features = input({ shape: [null, 5], name: "features" });
 * const state = input({ shape: [32], name: "h0" });
 * const words = input({ shape: [null], name: "words" });
 * const wordChars = input({ shape: [null, null], name: "word_chars", sameLengthsAs: words }); // number[][][] per batch
 */
import { RaggedError, describe } from "../core/errors.js";
import type { Random } from "../core/random.js";
import { type BaseLayerArgs, type ForwardContext, type ForwardResult, Layer, type Shape, formatShape } from "./layer.js";
import { Node, SymbolicTensor, kindOfShape } from "./symbolic.js";
import type { LayerValue } from "./values.js";

export interface InputArgs {
  /** Shape of one sample without the batch dimension: `[null, d]`, `[null]` or `[d]` (d token ids when it feeds embeddings). */
  shape?: Shape;
  /** Shape with the batch dimension (`[null, null, d]`); instead of `shape`. */
  batchShape?: Shape;
  /** Unique within a model; `input`, `input_1`, … when omitted. Targets and data may be keyed by it. */
  name?: string;
  /** `"float32"` (default) or `"int32"` (token ids); values are held as float32 either way. */
  dtype?: "float32" | "int32";
  /**
   * Another per-step model input whose number of steps this one always has (NOTE [ inputs with
   * the same steps ]): tensors of both may then be merged; the data is checked sample by sample.
   */
  sameLengthsAs?: SymbolicTensor;
}

export class InputLayer extends Layer {
  readonly className = "InputLayer";
  readonly dtype: "float32" | "int32";
  /** The tensor this layer gives. */
  readonly output: SymbolicTensor;
  /** The input whose lengths this one has (`sameLengthsAs`), or null. */
  readonly sameLengthsAs: string | null;

  constructor(args: InputArgs) {
    const shape = batchShapeOf(args);
    super({ name: args?.name, batchInputShape: shape } as BaseLayerArgs, "input");
    const dtype = args?.dtype ?? "float32";
    if (dtype !== "float32" && dtype !== "int32") {
      throw new RaggedError("INVALID_ARGUMENT", "input `dtype` must be \"float32\" or \"int32\".", { received: describe(dtype) });
    }
    this.dtype = dtype;
    this.markBuilt([shape]);
    this.sameLengthsAs = sameLengthsSource(args, shape, this.name);
    const node = new Node(this, [], {}, 0);
    const lengths = { kind: "input", input: this.sameLengthsAs ?? this.name, through: [] } as const;
    this.output = new SymbolicTensor({ shape, dtype, name: this.name, node, outputIndex: 0, lengths });
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
  const nestedIds = given.length === 3 && given[1] === null && given[2] === null;
  const lastKnown = given.length === 2 || given[2] !== null || nestedIds;
  if (!ok || !lastKnown) {
    throw new RaggedError("SHAPE_MISMATCH", "input() takes sequences, vectors or nested token ids.", {
      expected: "shape [null, features], [null], [features] or [null, null] (batch dimension left out)",
      received: `shape ${formatShape(given.slice(1))}`,
      help: "ragged inputs are sequences of steps (any length) or one vector per sample",
    });
  }
  return [...given];
}

/** The name of the input given as `sameLengthsAs`, after checking it is a per-step model input. */
function sameLengthsSource(args: InputArgs, shape: Shape, name: string): string | null {
  const other = args.sameLengthsAs;
  if (other === undefined) return null;
  const otherLayer = other instanceof SymbolicTensor ? other.sourceLayer : null;
  if (!(otherLayer instanceof InputLayer)) {
    throw new RaggedError("INVALID_ARGUMENT", `input "${name}": \`sameLengthsAs\` must be another model input.`, {
      expected: "a tensor made by input({ shape, name })",
      received: other instanceof SymbolicTensor ? `the output of layer "${other.sourceLayer.name}"` : describe(other),
    });
  }
  if (other.kind === "vector" || kindOfShape(shape) === "vector") {
    throw new RaggedError("INVALID_ARGUMENT", `input "${name}": \`sameLengthsAs\` relates inputs with steps.`, {
      expected: "two per-step inputs (shape [null, …])",
      received: `${formatShape(shape.slice(1))} and ${formatShape(other.shape.slice(1))}`,
      help: "a vector input has no steps; it joins per-step tensors through repeatVector",
    });
  }
  return otherLayer.sameLengthsAs ?? otherLayer.name;
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
