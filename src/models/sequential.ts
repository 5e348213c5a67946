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
import { Random } from "../core/random.js";
import type { Tensor } from "../core/tensor.js";
import { type ForwardContext, Layer, type Shape, type Variable, formatShape, uniqueLayerName } from "../layers/layer.js";
import type { LayerValue } from "../layers/values.js";
import { type Loss, type LossSpec, getLoss } from "../training/losses.js";
import type { Optimizer } from "../training/optimizers/optimizer.js";
import { type OptimizerSpec, getOptimizer } from "../training/optimizers/get_optimizer.js";
import { summary, type SummaryOptions } from "./summary.js";
import type { Logs } from "../training/callbacks.js";
import { type Dataset, type FitArgs, type FitDatasetArgs, type FitHistory, fit, fitDataset } from "../training/fit.js";
import { type EvaluateArgs, type PredictArgs, evaluate, evaluateDataset, predict, predictDataset } from "../training/predict.js";
import { type ToSamplesArgs, toSamples } from "../training/samples.js";
import { Masking, type InputMaskRule } from "../layers/masking.js";
import { Embedding } from "../layers/embedding.js";
import { RNN } from "../layers/rnn/rnn.js";
import { Bidirectional } from "../layers/rnn/bidirectional.js";
import { parallelTrainStep } from "../training/parallel/pool.js";
import { resolveThreads } from "../training/parallel/platform.js";

export interface SequentialArgs {
  name?: string;
  /** Seeds weight initialisation, shuffling and dropout. Random when omitted. */
  seed?: number;
}

export interface CompileArgs {
  /** A loss name (`"categoricalCrossentropy"`, Keras' `"categorical_crossentropy"`, …), `{ name, fromLogits }`, or a Loss. */
  loss: LossSpec;
  /** `"adam"`, `"sgd"`, `{ name: "adam", learningRate: 0.01 }`, or an optimizer instance. */
  optimizer: OptimizerSpec;
  /** Metric names, reported beside the loss. */
  metrics?: string[];
}

/** The result of running the stack on a batch: output and the way back. */
export interface ModelPass {
  output: LayerValue;
  backward: (dOutput: LayerValue) => void;
}

export class Sequential {
  readonly name: string;
  readonly layers: Layer[] = [];
  /** Set to true (e.g. from a callback) to stop `fit` after the current batch. */
  stopTraining = false;
  loss: Loss | null = null;
  optimizer: Optimizer | null = null;
  metrics: string[] = [];
  /** The model's random stream (initialisation, then shuffling and dropout). */
  readonly rng: Random;
  readonly seed: number;
  private inputShapeValue: Shape | null = null;
  private userDefinedMetadata: Record<string, unknown> | undefined;

  constructor(layers: Layer[] = [], args: SequentialArgs = {}) {
    this.name = args.name ?? uniqueLayerName("sequential");
    this.seed = args.seed ?? Math.floor(Math.random() * 2 ** 31);
    this.rng = new Random(this.seed);
    for (const layer of layers) this.add(layer);
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
    if (layer instanceof RNN && layer.returnState) {
      throw new RaggedError("UNSUPPORTED", `${layer.className} "${layer.name}" has returnState: true, which a Sequential model cannot pass on.`, {
        help: "call the layer on its own (layer.apply(xs)) to get its states, or drop returnState",
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
    this.layers.push(layer);
    return this;
  }

  /** Batch input shape, e.g. [null, null, 5]. */
  get inputShape(): Shape {
    if (!this.inputShapeValue) throw new RaggedError("NOT_BUILT", "The model has no layers yet.");
    return this.inputShapeValue;
  }

  /** Output shape of each layer, in order. */
  layerOutputShapes(): Shape[] {
    const shapes: Shape[] = [];
    let shape = this.inputShape;
    for (const layer of this.layers) {
      shape = layer.computeOutputShape(shape);
      shapes.push(shape);
    }
    return shapes;
  }

  get outputShape(): Shape {
    const shapes = this.layerOutputShapes();
    return shapes.length ? shapes[shapes.length - 1] : this.inputShape;
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

  /** Per-step output lengths for given input lengths (identity unless a layer changes them: repeatVector, conv1d, pooling). */
  outputLengths(inputLengths: Int32Array): Int32Array {
    let lengths = inputLengths;
    for (const layer of this.layers) if (layer.outputLengths) lengths = layer.outputLengths(lengths);
    return lengths;
  }

  /** How to read (xs, ys) for this model; `withTargets` when ys are given. */
  sampleArgs(withTargets: boolean): ToSamplesArgs {
    const changesLengths = this.layers.some((l) => l.outputLengths !== undefined);
    return {
      features: this.inputFeatures,
      target: withTargets ? { perStep: this.returnsSequences, width: this.requireCompiled("training or evaluation").loss.targetWidth(this.outputWidth) } : null,
      maskRule: this.inputMaskRule,
      outputLengths: changesLengths ? (l: Int32Array) => this.outputLengths(l) : null,
      timesteps: typeof this.inputShape[1] === "number" ? this.inputShape[1] : null,
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

  compile(args: CompileArgs): void {
    if (!args || typeof args !== "object") {
      throw new RaggedError("INVALID_ARGUMENT", "compile() takes { loss, optimizer }.", { received: String(args) });
    }
    this.loss = getLoss(args.loss);
    this.optimizer = getOptimizer(args.optimizer);
    this.metrics = [...(args.metrics ?? [])];
  }

  /** Throws NOT_COMPILED unless `compile` was called. */
  requireCompiled(what: string): { loss: Loss; optimizer: Optimizer } {
    if (!this.loss || !this.optimizer) {
      throw new RaggedError("NOT_COMPILED", `The model must be compiled before ${what}.`, {
        help: 'call model.compile({ loss: "categoricalCrossentropy", optimizer: "adam" }) first',
      });
    }
    return { loss: this.loss, optimizer: this.optimizer };
  }

  /** Whether a layer carries state between calls: its batches must then keep caller order. */
  get stateful(): boolean {
    return this.layers.some((l) => (l instanceof RNN && l.stateful) || (l instanceof Bidirectional && l.forwardLayer.stateful));
  }

  /** Forgets the carried states of every stateful recurrent layer. */
  resetStates(): void {
    for (const layer of this.layers) if ("resetStates" in layer && typeof layer.resetStates === "function") layer.resetStates();
  }

  /**
   * Runs every layer; `backward` of the result propagates and accumulates weight gradients.
   * `rng` (default: the model's) feeds dropout; threads give each share of a batch its own.
   */
  run(input: LayerValue, options: { training: boolean; needsGrad: boolean; rng?: Random }): ModelPass {
    const backs: ((d: LayerValue) => LayerValue | null)[] = [];
    let value = input;
    this.layers.forEach((layer, i) => {
      const ctx: ForwardContext = { training: options.training, rng: options.rng ?? this.rng, needsGrad: options.needsGrad, inputNeedsGrad: i > 0 };
      const result = layer.forward(value, ctx);
      backs.push(result.backward);
      value = result.output;
    });
    return {
      output: value,
      backward: (dOutput: LayerValue) => {
        let d: LayerValue | null = dOutput;
        for (let i = backs.length - 1; i >= 0 && d; i--) d = backs[i](d);
      },
    };
  }

  /** All weights in Keras order (layer by layer). */
  get weights(): Variable[] {
    return this.layers.flatMap((l) => l.weights);
  }

  get trainableWeights(): Variable[] {
    return this.layers.flatMap((l) => l.trainableWeights);
  }

  countParams(): number {
    return this.layers.reduce((n, l) => n + l.countParams(), 0);
  }

  /** Copies of every weight, in Keras order and shapes (`model.get_weights()`). */
  getWeights(): Tensor[] {
    return this.layers.flatMap((l) => l.getWeights());
  }

  /** Sets every weight from a list in Keras order and shapes (copies the data). */
  setWeights(weights: readonly Tensor[]): void {
    const expected = this.weights.length;
    if (!Array.isArray(weights) || weights.length !== expected) {
      throw new RaggedError("SHAPE_MISMATCH", "setWeights needs one array per model weight.", {
        expected: `${expected} arrays (${this.weights.map((v) => `[${v.shape.join(",")}]`).join(" ")})`,
        received: Array.isArray(weights) ? `${weights.length} arrays` : String(weights),
      });
    }
    let k = 0;
    for (const layer of this.layers) {
      const n = layer.weights.length;
      layer.setWeights(weights.slice(k, k + n));
      k += n;
    }
  }

  /** Trains on ragged arrays; see `fit` in training/fit.ts. */
  fit(xs: unknown, ys: unknown, args: FitArgs = {}): Promise<FitHistory> {
    return fit(this, xs, ys, args);
  }

  /** Trains on an (async) iterable of batches; see `fitDataset` in training/fit.ts. */
  fitDataset(dataset: Dataset, args: FitDatasetArgs = {}): Promise<FitHistory> {
    return fitDataset(this, dataset, args);
  }

  /** Ragged outputs of every batch of a dataset, in order; see `predictDataset` in training/predict.ts. */
  predictDataset(dataset: Dataset | Iterable<unknown> | AsyncIterable<unknown>, args: { steps?: number } = {}): Promise<number[][][] | number[][]> {
    return predictDataset(this, dataset, args);
  }

  /** Loss and metrics over a dataset of batches; see `evaluateDataset` in training/predict.ts. */
  evaluateDataset(dataset: Dataset, args: { steps?: number; returnDict?: boolean } = {}): Promise<number | number[] | Logs> {
    return evaluateDataset(this, dataset, args);
  }

  /** Ragged outputs in caller order; see `predict` in training/predict.ts. */
  predict(xs: unknown, args: PredictArgs = {}): number[][][] | number[][] {
    return predict(this, xs, args);
  }

  /**
   * The loss on (xs, ys) — a number without metrics, [loss, …metrics] with them, or a record with
   * `returnDict`; see `evaluate` in training/predict.ts.
   */
  evaluate(xs: unknown, ys: unknown, args: EvaluateArgs & { returnDict: true }): Logs;
  evaluate(xs: unknown, ys: unknown, args?: EvaluateArgs): number | number[];
  evaluate(xs: unknown, ys: unknown, args: EvaluateArgs = {}): number | number[] | Logs {
    return evaluate(this, xs, ys, args);
  }

  /**
   * One optimizer step on exactly this batch (no shuffling, no callbacks); returns its loss.
   * @param args - `{ threads }`: split the batch across this many threads (default 1 here; the
   *   workers stay for the next call until `terminateWorkers(model)`, idle ones do not keep Node alive).
   */
  async trainOnBatch(xs: unknown, ys: unknown, args: { threads?: number } = {}): Promise<number> {
    this.requireCompiled("trainOnBatch()");
    const threads = args.threads === undefined ? 1 : resolveThreads(args.threads);
    const samples = toSamples(xs, ys, this.sampleArgs(true));
    const source = { samples, indices: Array.from({ length: samples.count }, (_, i) => i) };
    return (await parallelTrainStep(this, source, [], threads)).loss;
  }

  /**
   * Sets a JSON object that `save` writes to model.json's `userDefinedMetadata` and `loadModel`
   * restores (TF.js' `setUserDefinedMetadata`), e.g. the class names of a classifier.
   * ragged's own entries live under the `ragged` key, merged with yours on save.
   */
  setUserDefinedMetadata(metadata: Record<string, unknown> | undefined): void {
    if (metadata !== undefined && (metadata === null || typeof metadata !== "object" || Array.isArray(metadata))) {
      throw new RaggedError("INVALID_ARGUMENT", "setUserDefinedMetadata takes a plain JSON object.", { received: String(metadata) });
    }
    this.userDefinedMetadata = metadata === undefined ? undefined : (JSON.parse(JSON.stringify(metadata)) as Record<string, unknown>);
  }

  /** The metadata set with `setUserDefinedMetadata` or loaded with the model (a copy), if any. */
  getUserDefinedMetadata(): Record<string, unknown> | undefined {
    return this.userDefinedMetadata === undefined ? undefined : (JSON.parse(JSON.stringify(this.userDefinedMetadata)) as Record<string, unknown>);
  }

  /** The Keras-style summary table, printed with `print` (default console.log); returns the text. */
  summary(options: SummaryOptions = {}): string {
    return summary(this, options);
  }

  /**
   * Saves the model in the TF.js layers-model format (model.json + weights); see `saveModel` in io/model_io.ts.
   * @param urlOrHandler - `"file://./dir"` (with "ragged-rnn/node"), `"https://…"`, or an IOHandler such as `memory()`.
   * @param config - `{ includeOptimizer }` also saves the optimizer state, so training resumes.
   */
  async save(
    urlOrHandler: string | import("../io/handlers/io_handler.js").IOHandler,
    config: import("../io/artifacts.js").SaveConfig = {},
  ): Promise<import("../io/artifacts.js").SaveResult> {
    // Loaded on demand: io/ sits above models/ (core ← layers ← models ← training ← io).
    const { saveModel } = await import("../io/model_io.js");
    return saveModel(this, urlOrHandler, config);
  }

  /**
   * Copies every weight from another model of the same architecture — a model in memory, or a saved
   * one (`"file://…/model.json"`, a URL, an IOHandler). The models may differ in everything weights
   * do not depend on, such as the input length or the batch size: the seed's "build a new model
   * with other timesteps and inject the learned weights".
   * @throws RaggedError `SHAPE_MISMATCH` when the weights do not fit this model.
   * @example
   * await longer.loadWeights(trained);
   */
  async loadWeights(source: Sequential | string | import("../io/handlers/io_handler.js").IOHandler): Promise<void> {
    if (source instanceof Sequential) {
      this.setWeights(source.getWeights());
      return;
    }
    const { loadModel } = await import("../io/model_io.js");
    this.setWeights((await loadModel(source)).getWeights());
  }
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
