/**
 * Symbolic tensors: the placeholders a functional model is drawn with (`input()`, `layer.apply`),
 * before any data exists. A symbolic tensor knows its Keras shape (batch first, `null` unknown),
 * the node that made it, and — the ragged part — which lengths its rows follow.
 *
 * NOTE [ lengths in a graph ]
 * Every symbolic tensor records a `LengthSource`:
 * - a per-step tensor (`[null, null, d]`, or `[null, null]` token ids) has one row per step of a
 *   sequence whose length comes from a model input (`{ kind: "input", input: "chars" }`), possibly
 *   changed by length-changing layers on the way (`through: [conv, pool]`, each with an
 *   `outputLengths` hook; one whose `lengthMapKey` is SAME_LENGTHS, a stride-1 `same` / `causal`
 *   conv1d, is not listed, so a residual `add([x, conv(x)])` merges), or is a fixed number of steps (`repeatVector({ n: 5 })`);
 * - a per-sequence tensor (`[null, d]`) records the input whose packed layout its rows are sorted by
 *   (NOTE [ vectors across layouts ] in values.ts); it can be merged with any other vector.
 * - a nested tensor (`[null, null, null]` ids, `[null, null, null, d]`) records the lengths of its
 *   outer steps (the words of a sentence); the inner lengths (characters) never meet another
 *   tensor's, so they are not tracked. `timeDistributed` of a pooling layer keeps the outer source.
 * Two per-step tensors can be merged (add, concatenate, …) only when their sources are equal;
 * otherwise `LENGTH_MISMATCH`. Two inputs declared of equal step counts (`sameLengthsAs`, NOTE
 * [ inputs with the same steps ] in input_layer.ts) are one source. A vector joins per-step features through `repeatVector`
 * (`n: "inputLength"`, `inputName: "…"`).
 *
 * @example
 * const chars = input({ shape: [null], name: "chars" });      // token ids, per step
 * const h = layers.lstm({ units: 8 }).apply(layers.embedding({ inputDim: 30, outputDim: 4 }).apply(chars));
 * (h as SymbolicTensor).shape;   // [null, 8], one row per sequence
 */
import type { Layer, Shape } from "./layer.js";

/** Where a tensor's per-step lengths come from. See NOTE [ lengths in a graph ]. */
export type LengthSource =
  | { readonly kind: "input"; readonly input: string; readonly through: readonly Layer[] }
  | { readonly kind: "fixed"; readonly n: number };

/**
 * The `lengthMapKey` of a layer that gives every sequence its own length back (a stride-1 `same` or
 * `causal` conv1d): such a layer is not added to a source's path, so its output merges with its input.
 */
export const SAME_LENGTHS = "same lengths";

/**
 * Whether two length sources give the same lengths for every sample: the same input, through
 * layers that are the same or map lengths alike (`lengthMapKey`: a strided `same` conv1d and a
 * `valid` one-step conv1d of that stride both give ⌈L/s⌉ — a 1-D ResNet's shortcut).
 */
export function sameLengths(a: LengthSource, b: LengthSource): boolean {
  if (a.kind === "fixed" || b.kind === "fixed") return a.kind === "fixed" && b.kind === "fixed" && a.n === b.n;
  const alike = (l: Layer, m: Layer) => l === m || (l.lengthMapKey !== null && l.lengthMapKey === m.lengthMapKey);
  return a.input === b.input && a.through.length === b.through.length && a.through.every((l, k) => alike(l, b.through[k]));
}

/** `"chars"`, `"chars → conv1d"`, `"5 steps"`: for messages. */
export function describeLengths(s: LengthSource): string {
  if (s.kind === "fixed") return `${s.n} steps`;
  return [`the lengths of input "${s.input}"`, ...s.through.map((l) => `"${l.name}"`)].join(" → ");
}

/** Per-sample lengths of `source`, from the lengths of every model input (by name). */
export function resolveLengths(source: LengthSource, inputLengths: (name: string) => Int32Array, batch: number): Int32Array {
  if (source.kind === "fixed") return new Int32Array(batch).fill(source.n);
  let lengths = inputLengths(source.input);
  for (const layer of source.through) if (layer.outputLengths) lengths = layer.outputLengths(lengths);
  return lengths;
}

/**
 * A number of steps the data must have somewhere in a model (NOTE [ fixed step counts ] in
 * models/functional.ts): at one of its inputs, or at the input of a model nested in it. Here, by
 * the length sources, so that layers (timeDistributed) can read a nested model's.
 */
export interface FixedSteps {
  /** The number of steps (or token ids) every sample must have there. */
  steps: number;
  /** Whether the steps are token ids (an input of shape `[T]` feeding embeddings). */
  ids: boolean;
  /** Features per step of the declaring input (1 for token ids). */
  features: number;
  /** The model that declares the shape, and its input. */
  model: string;
  input: string;
  /** Whether that model is a Sequential (the shape is its `inputShape`). */
  sequential: boolean;
  /** Whether that model is nested in this one (not this model itself). */
  nested: boolean;
  /** Where the checked lengths come from: this model's input `input`, through length-changing layers. */
  lengths: { readonly input: string; readonly through: readonly Layer[] };
}

/** What a node was called with besides its input tensors (Keras' call kwargs). */
export interface NodeArgs {
  /** The last `initialStateCount` inputs of the node are initial states (recurrent layers). */
  readonly initialStateCount?: number;
}

/**
 * One call of a layer on symbolic tensors (Keras' Node). A layer applied twice has two nodes and
 * one set of weights. `inputs` lists the tensors in the order `forwardMany` receives their values.
 */
export class Node {
  readonly layer: Layer;
  readonly inputs: readonly SymbolicTensor[];
  outputs: readonly SymbolicTensor[] = [];
  readonly args: NodeArgs;
  /** Position in `layer.inboundNodes`. */
  readonly index: number;

  constructor(layer: Layer, inputs: readonly SymbolicTensor[], args: NodeArgs, index: number) {
    this.layer = layer;
    this.inputs = inputs;
    this.args = args;
    this.index = index;
  }
}

/**
 * Per-step (`"sequence"`: rows are timesteps), per-sequence (`"vector"`), or a sequence of
 * sequences (`"nested"`: each step is itself a ragged sequence, NOTE [ nested values ] in values.ts).
 */
export type TensorKind = "sequence" | "vector" | "nested";

/**
 * The kind a Keras shape denotes: rank 3, or rank 2 with unknown steps (token ids), is per-step;
 * rank 4, or rank 3 with unknown inner steps (`[null, null, null]`: token ids per word), is nested.
 */
export function kindOfShape(shape: Shape): TensorKind {
  if (shape.length === 4 || (shape.length === 3 && shape[2] === null)) return "nested";
  return shape.length === 3 || (shape.length === 2 && shape[1] === null) ? "sequence" : "vector";
}

let tensorCounter = 0;

/** A placeholder for the values a graph will carry. Made by `input()` and `layer.apply`. */
export class SymbolicTensor {
  /** Keras shape with the batch dimension: `[null, null, 5]`, `[null, 8]`. */
  readonly shape: Shape;
  readonly dtype: "float32" | "int32";
  /** `"lstm_1/output_0"`-style name, unique per tensor. */
  readonly name: string;
  readonly node: Node;
  /** Which output of `node` this is. */
  readonly outputIndex: number;
  readonly lengths: LengthSource;
  readonly id: number;

  constructor(args: { shape: Shape; dtype?: "float32" | "int32"; name: string; node: Node; outputIndex: number; lengths: LengthSource }) {
    this.shape = Object.freeze([...args.shape]) as Shape;
    this.dtype = args.dtype ?? "float32";
    this.name = args.name;
    this.node = args.node;
    this.outputIndex = args.outputIndex;
    this.lengths = args.lengths;
    this.id = tensorCounter++;
  }

  get kind(): TensorKind {
    return kindOfShape(this.shape);
  }

  /** The layer that produced this tensor (an InputLayer for a model input). */
  get sourceLayer(): Layer {
    return this.node.layer;
  }

  /** Values per row: the last dimension (1 for token ids). */
  get width(): number {
    const last = this.shape[this.shape.length - 1];
    return last === null || last === undefined ? 1 : last;
  }
}

/** Whether `v` is a symbolic tensor or a non-empty list of them. */
export function isSymbolic(v: unknown): v is SymbolicTensor | SymbolicTensor[] {
  if (v instanceof SymbolicTensor) return true;
  return Array.isArray(v) && v.length > 0 && v.every((t) => t instanceof SymbolicTensor);
}
