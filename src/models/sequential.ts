/**
 * Sequential: a stack of layers, each feeding the next. Built as soon as the first layer knows its
 * input shape. Training, evaluation and prediction live in training/ and work on any model that
 * has this shape; the methods here are the public doors to them.
 *
 * @example
 * const model = sequential([
 *   layers.lstm({ units: 32, returnSequences: true, inputShape: [null, 5] }),
 *   layers.timeDistributed({ layer: layers.dense({ units: 2, activation: "softmax" }) }),
 * ]);
 * model.compile({ loss: "categoricalCrossentropy", optimizer: "adam" });
 */
import { RaggedError } from "../core/errors.js";
import { Layer, type Shape, formatShape } from "../layers/layer.js";
import type { InputData, TargetsData } from "../data/data_types.js";
import type { LayerValue } from "../layers/values.js";
import { Masking, type InputMaskRule } from "../layers/masking.js";
import { Embedding } from "../layers/embedding.js";
import { RNN } from "../layers/rnn/rnn.js";
import { Bidirectional } from "../layers/rnn/bidirectional.js";
import { InputLayer } from "../layers/input_layer.js";
import { type SymbolicTensor, kindOfShape } from "../layers/symbolic.js";
import { LayersModel } from "./functional.js";
import { summary, type SummaryOptions } from "./summary.js";
import type { ToSamplesArgs, TargetSpec } from "../training/samples.js";

export type { CompileArgs } from "./functional.js";

export interface SequentialArgs {
  name?: string;
  /** Seeds weight initialisation, shuffling and dropout. Random when omitted. */
  seed?: number;
}

/** The result of running the stack on a batch: output and the way back. */
export interface ModelPass {
  output: LayerValue;
  backward: (dOutput: LayerValue) => void;
}

/**
 * A stack of layers: the functional model with one input, a chain of layers and one output
 * (Keras 3's `Sequential(Functional)`). `layers` lists the stacked layers (not the input layer).
 * Its data is one input's (`xs[i]` one sequence) and one output's targets (`ys[i]`).
 */
export class Sequential extends LayersModel<InputData, TargetsData> {
  override readonly className: string = "Sequential";
  private stack: Layer[] = [];
  private inputShapeValue: Shape | null = null;
  private inputTensor: SymbolicTensor | null = null;
  private outputTensor: SymbolicTensor | null = null;

  constructor(layers: Layer[] = [], args: SequentialArgs = {}) {
    super({ name: args.name, seed: args.seed }, "sequential");
    for (const layer of layers) this.add(layer);
  }

  /** The stacked layers, in order (without the input layer, as Keras). */
  override get layers(): Layer[] {
    return [...this.stack];
  }

  /** Appends a layer, building it when the input shape is known. */
  add(layer: Layer): this {
    if (!(layer instanceof Layer)) {
      throw new RaggedError("INVALID_ARGUMENT", "sequential() takes layers.", { received: String(layer), help: "create layers with layers.lstm({...}), layers.dense({...}), …" });
    }
    if ((layer instanceof Masking || (layer instanceof Embedding && layer.maskZero)) && this.layers.length > 0) {
      throw new RaggedError("UNSUPPORTED", `${layer.className} "${layer.name}" must be the first layer of the model.`, {
        help: "the model packs padded input into real steps at its edge; put the masking (or embedding with maskZero) layer first",
      });
    }
    if ((layer instanceof RNN || layer instanceof Bidirectional) && layer.returnState) {
      throw new RaggedError("UNSUPPORTED", `${layer.className} "${layer.name}" has returnState: true, which a Sequential model cannot pass on.`, {
        help: "use a functional model (model({ inputs, outputs })) to pass states on, call the layer on its own (layer.apply(xs)), or drop returnState",
      });
    }
    if (this.layers.some((l) => l.name === layer.name)) {
      throw new RaggedError("INVALID_ARGUMENT", `A layer named "${layer.name}" is already in the model.`, { help: "layer names must be unique within a model" });
    }
    if (this.layers.length === 0) {
      if (!layer.batchInputShape) {
        throw new RaggedError("NOT_BUILT", `The first layer ("${layer.name}") needs an inputShape.`, {
          expected: "inputShape: [null, features] for sequences of any length",
          received: "no inputShape",
        });
      }
      checkVectorInputLayer(layer, layer.batchInputShape);
      this.inputShapeValue = layer.batchInputShape;
    }
    const inputShape = this.layers.length === 0 ? (this.inputShapeValue as Shape) : this.outputShape;
    const declared = layer.batchInputShape;
    if (this.layers.length > 0 && declared && declared.length === inputShape.length && declared.some((d, k) => k > 0 && d !== null && inputShape[k] !== null && d !== inputShape[k])) {
      throw new RaggedError("SHAPE_MISMATCH", `Layer "${layer.name}" declares an inputShape that disagrees with the output of the layer before it.`, {
        expected: `${formatShape(inputShape)} (the output of "${this.layers[this.layers.length - 1].name}")`,
        received: `inputShape ${formatShape(declared)}`,
        help: "only the first layer needs an inputShape; drop it on later layers, or make it match",
      });
    }
    layer.build(inputShape, this.rng);
    if (!this.inputTensor) this.inputTensor = new InputLayer({ batchShape: inputShape, name: `${layer.name}_input` }).output;
    const out = layer.apply(this.outputTensor ?? this.inputTensor);
    this.outputTensor = Array.isArray(out) ? out[0] : out;
    this.stack.push(layer);
    this.setGraph([this.inputTensor], [this.outputTensor]);
    return this;
  }

  /** Batch input shape, e.g. [null, null, 5]. */
  override get inputShape(): Shape {
    if (!this.inputShapeValue) throw new RaggedError("NOT_BUILT", "The model has no layers yet.");
    return this.inputShapeValue;
  }

  get outputShape(): Shape {
    const shapes = this.layerOutputShapes();
    return shapes.length ? shapes[shapes.length - 1] : this.inputShape;
  }

  /**
   * Whether each sample is one vector (NOTE [ vector input ]): inputShape `[d]` on any first layer
   * but an embedding, which reads `[T]` as T token ids per sample.
   */
  get takesVectors(): boolean {
    return this.inputShapeValue !== null && kindOfShape(this.inputShapeValue) === "vector" && !(this.stack[0] instanceof Embedding);
  }

  /** Features per input step (1 for token ids). */
  get inputFeatures(): number {
    if (this.inputShape.length === 2) return 1;
    const d = this.inputShape[this.inputShape.length - 1];
    return d ?? 1;
  }

  /** How the first layer marks padding steps (masking, embedding with maskZero), if it does. */
  get inputMaskRule(): InputMaskRule | null {
    const first = this.layers[0];
    if (first instanceof Masking) return first.inputMaskRule;
    if (first instanceof Embedding) return first.inputMaskRule;
    return null;
  }

  /** Per-step output lengths for given input lengths (identity unless a layer changes them: `Layer.outputLengths`). */
  override outputLengths(inputLengths: Int32Array): Int32Array {
    let lengths = inputLengths;
    for (const layer of this.layers) if (layer.outputLengths) lengths = layer.outputLengths(lengths);
    return lengths;
  }

  /**
   * The targets the compiled loss takes: rows, or label sequences (NOTE [ label-sequence targets ]
   * in training/samples.ts; a label-sequence loss on a model with one output per sequence is a
   * TARGET_MISMATCH at the first step).
   */
  private targetSpec(): TargetSpec {
    const loss = this.requireCompiled("training or evaluation").loss;
    const width = this.outputWidth;
    const readLabels = loss.targets === "labelSequences" ? loss.readLabels : undefined;
    if (readLabels) return { perStep: false, width, readLabels: (value, where) => readLabels(value, where, width) };
    return { perStep: this.returnsSequences, width: loss.targetWidth(width) };
  }

  /** How to read (xs, ys) for this model; `withTargets` when ys are given. */
  sampleArgs(withTargets: boolean): ToSamplesArgs {
    const changesLengths = this.layers.some((l) => l.outputLengths !== undefined);
    const first = this.layers[0];
    const loss = withTargets ? this.requireCompiled("training or evaluation").loss : null;
    const sparse = loss?.name === "sparseCategoricalCrossentropy";
    return {
      features: this.inputFeatures,
      ids: first instanceof Embedding ? first.inputDim : undefined,
      target: withTargets ? { ...this.targetSpec(), ...(sparse ? { classes: this.outputWidth } : {}) } : null,
      maskRule: this.inputMaskRule,
      outputLengths: changesLengths ? (l: Int32Array) => this.outputLengths(l) : null,
    };
  }

  /** Whether the model outputs one row per timestep. */
  get returnsSequences(): boolean {
    return this.outputShape.length === 3;
  }

  get outputWidth(): number {
    const shape = this.outputShape;
    return shape[shape.length - 1] ?? 1;
  }

  /**
   * Runs every layer; `backward` of the result propagates and accumulates weight gradients.
   * `rng` (default: the model's) feeds dropout; threads give each share of a batch its own.
   * An inference pass (`training` and `needsGrad` false) runs the leading recurrent layers as one
   * wasm chain when it can (`runMany`: a Sequential model's graph is one line of layers); it has no
   * way back.
   */
  run(input: LayerValue, options: { training: boolean; needsGrad: boolean; rng?: import("../core/random.js").Random }): ModelPass {
    if (this.stack.length === 0) return { output: input, backward: () => {} };
    const pass = this.runMany([input], options);
    return { output: pass.outputs[0], backward: (d: LayerValue) => pass.backward([d]) };
  }

  /** The classic Keras table (Layer (type) | Output Shape | Param #), as the seed shows it. */
  override summary(options: SummaryOptions = {}): string {
    return summary(this, options);
  }

  /** Output shape of each layer, in order. */
  override layerOutputShapes(): Shape[] {
    const shapes: Shape[] = [];
    let shape = this.inputShapeValue as Shape;
    for (const layer of this.stack) {
      shape = layer.computeOutputShape(shape);
      shapes.push(shape);
    }
    return shapes;
  }
}

/**
 * NOTE [ vector input ]
 * A first layer with inputShape `[d]` (batch shape `[null, d]`, Keras' `(batch, d)`) takes one
 * vector of d numbers per sample: `xs[i]` is `number[]` of width d, as for a functional model on
 * `input({ shape: [d] })`. Such a Sequential reads its data on the functional models' path
 * (`usesSinglePath` in training/graph_samples.ts is false for it), so both read, pack and run
 * vectors the same way. An embedding first is the exception: `[T]` is then T token ids per sample
 * (a sequence of fixed length, Keras' `Embedding` on `(batch, T)`), read on the single-input path.
 * A masking layer marks padding steps, and a vector has none: it is refused on vector input.
 */
function checkVectorInputLayer(layer: Layer, batchInputShape: Shape): void {
  if (!(layer instanceof Masking) || kindOfShape(batchInputShape) !== "vector") return;
  throw new RaggedError("UNSUPPORTED", `Masking "${layer.name}" has inputShape ${formatShape(batchInputShape.slice(1))}: one vector per sample, which has no padding steps to mask.`, {
    expected: "inputShape: [null, features] (sequences of any length) on a masking layer",
    received: `inputShape ${formatShape(batchInputShape.slice(1))}`,
    help: "for one vector per sample drop the masking layer; for sequences give inputShape: [null, features] (or [timesteps, features])",
  });
}

/**
 * Creates a Sequential model.
 * @param layers - the layers in order; the first needs `inputShape`.
 * @param args - `{ name, seed }`.
 * @example
 * const model = sequential([layers.lstm({ units: 8, inputShape: [null, 3] }), layers.dense({ units: 1 })], { seed: 1 });
 */
export function sequential(layers: Layer[] = [], args: SequentialArgs = {}): Sequential {
  return new Sequential(layers, args);
}
