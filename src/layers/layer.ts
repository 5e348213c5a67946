/**
 * The Layer contract. A layer is built once for an input shape, then called on packed values:
 * `forward` returns the output and a `backward` closure that takes the gradient of the output,
 * accumulates weight gradients into its `Variable`s and returns the gradient of the input —
 * forward and backward side by side, as in micrograd and llm.c.
 *
 * Graphs (NOTE [ the layer contract for graphs ]): a layer called on several tensors, or giving
 * several (merge layers, a recurrent layer with initial states or `returnState`, a nested model),
 * implements the `…Many` forms — `buildMany`, `computeOutputShapes`, `forwardMany` — whose
 * defaults wrap the single forms, so a one-in-one-out layer implements only those. A layer whose
 * per-step output has other lengths than its input (strided conv, pooling) says so with
 * `outputLengths`. `apply` on symbolic tensors records a call in a graph.
 *
 * Shapes are Keras shapes with the batch dimension first and `null` for unknown sizes:
 * `[null, null, 5]` is a batch of sequences of any length with 5 features.
 *
 * NOTE [ the layer contract for graphs ]
 * - `forwardMany(inputs, ctx)` gets one packed value per input tensor, in the order the node lists
 *   them (`[x]`, `[a, b, …]` for a merge, `[x, ...initialStates]` for a recurrent layer), and returns
 *   the values of its outputs (`[output]`, or `[output, ...finalStates]` with `returnState`) and a
 *   `backward(dOutputs)` that takes one gradient per output (null when nothing downstream needs
 *   it) and returns one per input (null when the input needs none, e.g. token ids).
 * - Values: see values.ts. A per-step value lives in its packed layout; two per-step inputs of one
 *   layer may have different layouts (attention: query from the decoder, key/value from the
 *   encoder) — sample i sits at sorted position `layout.unsortedIndices[i]` of each. Vectors are in
 *   the sorted order of the layout they carry; the graph hands every layer its vector inputs already
 *   moved into the layout of its first per-step input (or of its first input when it has none),
 *   and moves their gradients back (NOTE [ vectors across layouts ] in values.ts).
 * - `ctx.inputLayouts` maps every model input's name to its packed layout, for layers that
 *   produce steps of another input's length (`repeatVector({ n: "inputLength", inputName })`).
 * - Lengths: see NOTE [ lengths in a graph ] in symbolic.ts.
 * - Nested values (each step itself a sequence: NOTE [ nested values ] in values.ts) reach only
 *   `timeDistributed`, which hands its layer the inner sequences as an ordinary `SequenceValue`.
 */
import { RaggedError, describe } from "../core/errors.js";
import type { Random } from "../core/random.js";
import { Tensor, shapeSize } from "../core/tensor.js";
import type { PackedLayout } from "../data/packed.js";
import type { LayerValue } from "./values.js";
import type { Regularizer } from "./regularizers.js";
import { type LengthSource, Node, SAME_LENGTHS, SymbolicTensor, describeLengths, isSymbolic, sameLengths } from "./symbolic.js";

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
  /** In a graph: the packed layout of every model input, by input name (see NOTE [ the layer contract for graphs ]). */
  inputLayouts?: ReadonlyMap<string, PackedLayout>;
  /**
   * In a graph: an object unique to this call of the layer (its node), to own kernel caches kept
   * for backward — a layer applied twice in one pass (shared) keeps one cache per call.
   */
  slot?: object;
}

export interface ForwardResult {
  output: LayerValue;
  /** Gradient of the output in → gradient of the input out (null when the input needs none). */
  backward: (dOutput: LayerValue) => LayerValue | null;
}

/** `forwardMany`'s result: one value per output, and the way back. */
export interface ManyForwardResult {
  outputs: LayerValue[];
  /** One gradient per output (null: none flows back from it) → one per input (null: not needed). */
  backward: (dOutputs: (LayerValue | null)[]) => (LayerValue | null)[];
}

/** What `apply` takes besides the input tensors (TF.js kwargs). */
export interface ApplyArgs {
  /** Recurrent layers: initial states as symbolic tensors (LSTM: [h, c], each [null, units]). */
  initialState?: SymbolicTensor | SymbolicTensor[];
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
  private builtShapes: Shape[] | null = null;
  /** Shapes recorded by `apply` before the layer is built by its model (NOTE [ building graphs ]). */
  private appliedShapes: Shape[] | null = null;
  /** Every call of this layer in a graph (`apply` on symbolic tensors), in order. */
  readonly inboundNodes: Node[] = [];

  constructor(args: BaseLayerArgs, defaultBase: string) {
    this.name = args.name ?? uniqueLayerName(defaultBase);
    this.trainable = args.trainable ?? true;
    if (args.batchInputShape) this.batchInputShape = [...args.batchInputShape];
    else if (args.inputShape) this.batchInputShape = [null, ...args.inputShape];
    else this.batchInputShape = null;
  }

  get built(): boolean {
    return this.builtShapes !== null;
  }

  get inputShape(): Shape {
    return this.inputShapes[0];
  }

  /** The shapes the layer was built for, one per input (one for most layers). */
  get inputShapes(): Shape[] {
    if (!this.builtShapes) throw new RaggedError("NOT_BUILT", `Layer "${this.name}" has not been built yet.`, { help: "add it to a model with an inputShape on its first layer" });
    return this.builtShapes;
  }

  /** Creates the weights for `inputShape` (drawing initial values from `rng`). Idempotent. */
  build(inputShape: Shape, rng: Random): void {
    if (this.builtShapes) return;
    this.validateInputShape(inputShape);
    this.createWeights(inputShape, rng);
    this.builtShapes = [[...inputShape]];
  }

  /**
   * Builds for several input shapes (graphs). The default takes exactly one and calls `build`;
   * layers with several inputs override it and call `markBuilt`. Idempotent.
   */
  buildMany(inputShapes: Shape[], rng: Random): void {
    this.expectInputCount(inputShapes.length, 1);
    this.build(inputShapes[0], rng);
  }

  /** For `buildMany` overrides: records the shapes once the weights exist. */
  protected markBuilt(inputShapes: Shape[]): void {
    this.builtShapes = inputShapes.map((s) => [...s]);
  }

  /** Output shapes for several inputs; the default wraps `computeOutputShape`. */
  computeOutputShapes(inputShapes: Shape[]): Shape[] {
    this.expectInputCount(inputShapes.length, 1);
    return [this.computeOutputShape(inputShapes[0])];
  }

  /** Forward on several inputs (NOTE [ the layer contract for graphs ]); the default wraps `forward`. */
  forwardMany(inputs: LayerValue[], ctx: ForwardContext): ManyForwardResult {
    this.expectInputCount(inputs.length, 1);
    const { output, backward } = this.forward(inputs[0], ctx);
    return { outputs: [output], backward: ([d]) => [d ? backward(d) : null] };
  }


  /** Whether `apply` may give this layer `initialState` (recurrent layers). */
  get acceptsInitialState(): boolean {
    return false;
  }

  /**
   * Whether `forward` hands its input on unchanged when not training (masking, dropout), so an
   * inference pass may step over the layer (models/chained_inference.ts).
   */
  get passesThroughAtInference(): boolean {
    return false;
  }

  /** Throws INVALID_ARGUMENT unless the layer gets `expected` inputs. */
  protected expectInputCount(received: number, expected: number | { min: number; max?: number }): void {
    const ok = typeof expected === "number" ? received === expected : received >= expected.min && (expected.max === undefined || received <= expected.max);
    if (ok) return;
    const want = typeof expected === "number" ? `${expected}` : expected.max === undefined ? `at least ${expected.min}` : `${expected.min} to ${expected.max}`;
    throw new RaggedError("INVALID_ARGUMENT", `${this.className} "${this.name}" takes ${want} input tensor${want === "1" ? "" : "s"}.`, {
      expected: `${want} input${want === "1" ? "" : "s"}`,
      received: `${received}`,
    });
  }

  /**
   * Calls the layer on symbolic tensors, recording a node of a graph (Keras' `layer(x)`, TF.js'
   * `layer.apply(x)`): checks the shapes, and returns the output
   * tensor, or a list of them when the layer has several outputs (`returnState`). The same layer
   * applied again shares its weights.
   * @param inputs - one symbolic tensor, or a list (merge layers).
   * @param args - `{ initialState }` for recurrent layers.
   * The weights are created when a model is made from the graph (`model({ inputs, outputs })`,
   * drawn from the model's seed), or already exist when the layer was built before.
   * @throws RaggedError `SHAPE_MISMATCH` (shapes the layer cannot take, or other than it was built
   *   for), `LENGTH_MISMATCH` (per-step inputs of different lengths), `INVALID_ARGUMENT`.
   * @example
   * const x = input({ shape: [null, 3] });
   * const [y, h, c] = layers.lstm({ units: 4, returnState: true, returnSequences: true }).apply(x) as SymbolicTensor[];
   */
  apply(inputs: SymbolicTensor | SymbolicTensor[], args: ApplyArgs = {}): SymbolicTensor | SymbolicTensor[] {
    if (!isSymbolic(inputs)) {
      throw new RaggedError("INVALID_ARGUMENT", `${this.className} "${this.name}".apply takes symbolic tensors.`, {
        expected: "a tensor from input({ shape }) or from another layer's apply, or a list of them",
        received: describe(inputs),
        help: "to run a model on data, build it with model({ inputs, outputs }) and call predict",
      });
    }
    const list = Array.isArray(inputs) ? [...inputs] : [inputs];
    const states = args.initialState === undefined ? [] : Array.isArray(args.initialState) ? args.initialState : [args.initialState];
    if (states.length > 0) {
      if (!this.acceptsInitialState) {
        throw new RaggedError("INVALID_ARGUMENT", `${this.className} "${this.name}" takes no initialState.`, { help: "initialState is for recurrent layers (lstm, gru, simpleRNN)" });
      }
      if (!isSymbolic(states)) {
        throw new RaggedError("INVALID_ARGUMENT", `initialState of ${this.className} "${this.name}" must be symbolic tensors.`, {
          expected: "tensors from input({ shape: [units] }) or another layer's states",
          received: describe(args.initialState),
        });
      }
    }
    const all = [...list, ...states];
    const shapes = all.map((t) => [...t.shape]);
    const known = this.builtShapes ?? this.appliedShapes;
    if (known) this.checkShapesForReuse(shapes, known);
    else {
      this.validateInputShapes(shapes);
      this.appliedShapes = shapes.map((s) => [...s]);
    }
    const outShapes = this.computeOutputShapes(shapes);
    const lengths = this.symbolicLengths(all, outShapes);
    const node = new Node(this, all, states.length > 0 ? { initialStateCount: states.length } : {}, this.inboundNodes.length);
    node.outputs = outShapes.map(
      (shape, k) => new SymbolicTensor({ shape, name: `${this.name}/${node.index}/${k}`, node, outputIndex: k, lengths: lengths[k] }),
    );
    this.inboundNodes.push(node);
    return node.outputs.length === 1 ? node.outputs[0] : [...node.outputs];
  }

  /**
   * Where each output's lengths come from (NOTE [ lengths in a graph ]). Default: the first input's
   * source — through this layer when it has `outputLengths` — after checking that every per-step
   * input follows the same lengths. Layers that relate inputs of different lengths (attention)
   * or make new ones (repeatVector) override it.
   */
  protected symbolicLengths(inputs: SymbolicTensor[], outShapes: Shape[]): LengthSource[] {
    const perStep = inputs.filter((t) => t.kind === "sequence");
    const first = perStep[0] ?? inputs[0];
    for (const t of perStep.slice(1)) {
      if (!sameLengths(t.lengths, first.lengths)) {
        throw new RaggedError("LENGTH_MISMATCH", `${this.className} "${this.name}" gets per-step tensors whose lengths come from different inputs.`, {
          expected: `every per-step input with ${describeLengths(first.lengths)} (as "${first.name}")`,
          received: `"${t.name}" with ${describeLengths(t.lengths)}`,
          help: 'merge per-sequence vectors instead, or bring a vector to the other input\'s steps with repeatVector({ n: "inputLength", inputName })',
        });
      }
    }
    let source = first.lengths;
    if (this.outputLengths && this.lengthMapKey !== SAME_LENGTHS && source.kind === "input" && first.kind === "sequence") source = { kind: "input", input: source.input, through: [...source.through, this] };
    return outShapes.map(() => source);
  }

  /** A layer applied again must get inputs of the shapes it was built for (batch and steps may differ). */
  protected checkShapesForReuse(shapes: Shape[], built: Shape[]): void {
    const fits = (a: Shape, b: Shape) => a.length === b.length && a.every((d, k) => k === 0 || d === null || b[k] === null || d === b[k]);
    if (shapes.length !== built.length || shapes.some((s, k) => !fits(s, built[k]))) {
      throw new RaggedError("SHAPE_MISMATCH", `${this.className} "${this.name}" is applied to shapes other than those it was built for.`, {
        expected: built.map(formatShape).join(", "),
        received: shapes.map(formatShape).join(", "),
        help: "a layer applied twice shares its weights, so it needs inputs of the same feature sizes; make a new layer for other shapes",
      });
    }
  }

  /** Throws a clear error when this layer cannot take `inputShape`. */
  protected abstract validateInputShape(inputShape: Shape): void;

  /** Throws a clear error when this layer cannot take `inputShapes`; the default takes one shape. */
  protected validateInputShapes(inputShapes: Shape[]): void {
    this.expectInputCount(inputShapes.length, 1);
    this.validateInputShape(inputShapes[0]);
  }
  protected abstract createWeights(inputShape: Shape, rng: Random): void;
  abstract computeOutputShape(inputShape: Shape): Shape;
  abstract forward(input: LayerValue, ctx: ForwardContext): ForwardResult;
  /**
   * Per-step output lengths for per-step input lengths (both caller order), defined only by
   * layers that change sequence lengths (strided or `valid` convolution, pooling, repeatVector):
   * the model lines per-step targets up with them. Absent: lengths pass through.
   */
  outputLengths?(inputLengths: Int32Array): Int32Array;
  /**
   * For a layer with `outputLengths`: a key naming its length map, equal for layers whose output
   * lengths agree for every input length (so their outputs merge); SAME_LENGTHS when it gives every
   * length back (a stride-1 `same` conv1d: its output then merges with its input); null when only
   * the layer itself is known to agree with itself.
   */
  get lengthMapKey(): string | null {
    return null;
  }
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
