/**
 * Functional models (Keras 3's `Functional`, TF.js' `LayersModel`): a graph of layers from one or
 * more `input()` tensors to one or more outputs. `Sequential` is its special case (one input, a
 * chain of layers, one output). A model is itself a layer: applied to symbolic tensors inside
 * another graph it runs its whole graph as one node (a nested model, its weights shared).
 *
 * On ragged data every input is packed once, at the model's edge, into its own layout; per-step
 * tensors stay packed in their input's layout through the graph (NOTE [ lengths in a graph ] in
 * layers/symbolic.ts), so no padding exists inside.
 *
 * Training, evaluation, prediction and saving are doors to training/ and io/ (NOTE [ the model
 * engine ] in engine.ts); the arrays they take are in `inputs` / `outputs` order, or objects keyed
 * by input and output names.
 *
 * @example
 * const enc = input({ shape: [null, 8], name: "encoder" });
 * const dec = input({ shape: [null, 6], name: "decoder" });
 * const [, h, c] = layers.lstm({ units: 16, returnState: true }).apply(enc) as SymbolicTensor[];
 * const seq = layers.lstm({ units: 16, returnSequences: true }).apply(dec, { initialState: [h, c] });
 * const probs = layers.timeDistributed({ layer: layers.dense({ units: 6, activation: "softmax" }) }).apply(seq);
 * const m = model({ inputs: [enc, dec], outputs: probs as SymbolicTensor, name: "seq2seq" });
 */
import { RaggedError, describe } from "../core/errors.js";
import { Random } from "../core/random.js";
import type { Tensor } from "../core/tensor.js";
import { Embedding } from "../layers/embedding.js";
import { type ForwardContext, Layer, type ManyForwardResult, type Shape, type Variable, formatShape } from "../layers/layer.js";
import type { InputMaskRule } from "../layers/masking.js";
import { type FixedSteps, type LengthSource, type Node, SymbolicTensor, type TensorKind } from "../layers/symbolic.js";
import type { LayerValue } from "../layers/values.js";
import { engine } from "./engine.js";
import { chainedInference, leadingChain } from "./chained_inference.js";
import { type Graph, type GraphPass, buildGraph, isLinearGraph, runGraph } from "./graph.js";
import { functionalSummary, type SummaryOptions } from "./summary.js";
import type { Loss, LossSpec } from "../training/losses.js";
import type { Optimizer } from "../training/optimizers/optimizer.js";
import type { OptimizerSpec } from "../training/optimizers/get_optimizer.js";
import type { Logs } from "../training/callbacks.js";
import type { ModelInputs, ModelTargets } from "../data/data_types.js";
import type { Dataset, FitArgs, FitDatasetArgs, FitHistory } from "../training/fit.js";
import type {
  EvaluateArgs, EvaluateDatasetArgs, PredictArgs, PredictDataset, PredictDatasetArgs, Predictions, PredictionsFor, SequencePredictions, StepPredictions,
} from "../training/predict.js";
import type { IOHandler } from "../io/handlers/io_handler.js";
import type { SaveConfig, SaveResult } from "../io/artifacts.js";

export interface ModelArgs {
  /** One input tensor or a list (from `input()`). */
  inputs: SymbolicTensor | SymbolicTensor[];
  /** One output tensor or a list. */
  outputs: SymbolicTensor | SymbolicTensor[];
  name?: string;
  /** Seeds weight initialisation (of layers not built yet), shuffling and dropout. Random when omitted. */
  seed?: number;
}

/** Per output, or one for all: a list in `outputs` order, or an object keyed by output name. */
export type PerOutput<T> = T | T[] | Record<string, T>;

/**
 * The options of `model.compile` (Keras 3 `compile`, camelCase). Calling `compile` again replaces
 * all of them; an optimizer given by name starts afresh, an optimizer instance keeps its state.
 * @example
 * model.compile({ loss: "sparseCategoricalCrossentropy", optimizer: { name: "adam", learningRate: 0.01 }, metrics: ["accuracy"] });
 * m.compile({ loss: { tags: "categoricalCrossentropy", score: "mse" }, lossWeights: { score: 0.5 }, optimizer: "rmsprop" });
 */
export interface CompileArgs {
  /**
   * Required. A loss for every output, or one per output (a list in `outputs` order, or an object
   * keyed by output name). Each is a name — `"categoricalCrossentropy"`,
   * `"sparseCategoricalCrossentropy"`, `"binaryCrossentropy"`, `"meanSquaredError"` (`"mse"`),
   * `"meanAbsoluteError"` (`"mae"`), `"huber"`, `"ctc"`, also in Keras' snake_case — or a name with
   * options, `{ name, fromLogits, delta, blankIndex, zeroInfinity }` (see `LossOptions`), or a `Loss`
   * object.
   * @throws RaggedError `UNKNOWN_NAME` for an unknown loss, `TARGET_MISMATCH` for per-output losses
   *   that name outputs the model does not have, or miss one.
   */
  loss: LossSpec | LossSpec[] | Record<string, LossSpec>;
  /**
   * Required. `"adam"`, `"adamw"`, `"sgd"`, `"rmsprop"`, `"adagrad"` (any case), a name with
   * options (`{ name: "adam", learningRate: 0.01, clipnorm: 1 }`: see `OptimizerArgs` and each
   * optimizer's own), or an optimizer instance (`new Adam({ … })`).
   * @throws RaggedError `UNKNOWN_NAME` for an unknown optimizer, `INVALID_ARGUMENT` for an option it
   *   does not take or a value out of range.
   */
  optimizer: OptimizerSpec;
  /**
   * Metrics reported beside the loss (in History, `evaluate`, the progress bar), by name:
   * `"accuracy"` / `"acc"` (the accuracy the loss implies: binary, categorical, sparse categorical,
   * or sequence accuracy for CTC), `"binaryAccuracy"`, `"categoricalAccuracy"`,
   * `"sparseCategoricalAccuracy"`, `"meanAbsoluteError"` (`"mae"`), `"meanSquaredError"` (`"mse"`),
   * `"labelErrorRate"`, `"sequenceErrorRate"`, Keras' snake_case names, or a loss name. A list for
   * every output, a list of lists (one per output), or an object keyed by output name. Default none.
   * Porting note: Keras 3 wants one entry per output when a model has several; ragged also takes
   * one flat list for all outputs (Keras 2's rule).
   * @throws RaggedError `UNKNOWN_NAME` for an unknown metric (when training or evaluation starts).
   */
  metrics?: string[] | string[][] | Record<string, string | string[]>;
  /**
   * Multiplies each output's loss in the total that training minimises (Keras `loss_weights`): a
   * list in `outputs` order or an object keyed by output name; default 1 each.
   */
  lossWeights?: number[] | Record<string, number>;
}

/** What training needs to know about a model input. */
export interface InputSpec {
  name: string;
  kind: TensorKind;
  /** Values per step (sequence) or per sample (vector); 1 for token ids. */
  features: number;
  /** How a masking layer or an embedding with maskZero right after this input marks padding. */
  maskRule: InputMaskRule | null;
  /** The input whose step counts this one has (NOTE [ inputs with the same steps ] in layers/input_layer.ts), or null. */
  sameLengthsAs: string | null;
  /**
   * The number of steps every sample has (an input of shape `[T, d]`, or `[T]` read as T token
   * ids), or null for any; the data is checked against it (NOTE [ fixed step counts ]).
   */
  timesteps: number | null;
  /** Token ids below this (the vocabulary of the embeddings reading it) for an input of shape `[T]`; 0 otherwise. */
  ids: number;
}

export type { FixedSteps } from "../layers/symbolic.js";

/** What training needs to know about a model output. */
export interface OutputSpec {
  name: string;
  kind: TensorKind;
  width: number;
  /** Where its per-step lengths come from (its layout's, for a vector). */
  lengths: LengthSource;
}

/** The result of running the model on a batch: one value per output, and the way back. */
export interface ModelRun {
  outputs: LayerValue[];
  backward: (dOutputs: (LayerValue | null)[]) => void;
}

/**
 * A functional model. `X` and `Y` are the types of the data it takes (`ModelInputs` and
 * `ModelTargets`: one input's data, a list per input, or an object by name); `Sequential` narrows
 * them to one input's `InputData` and one output's `TargetsData`.
 */
export class LayersModel<X = ModelInputs, Y = ModelTargets> extends Layer {
  readonly className: string = "Functional";
  /** Set to true (e.g. from a callback) to stop `fit` after the current batch. */
  stopTraining = false;
  /** Per output, after `compile`. */
  losses: Loss[] = [];
  lossWeights: number[] = [];
  outputMetrics: string[][] = [];
  optimizer: Optimizer | null = null;
  /** The model's random stream (initialisation, then shuffling and dropout). */
  readonly rng: Random;
  readonly seed: number;
  protected graph: Graph | null = null;
  /** Model inputs of shape `[T]` read as T token ids per sample, with their vocabulary size (NOTE [ token ids of a fixed count ]). */
  private idInputs: ReadonlyMap<SymbolicTensor, number> = new Map();
  private fixedStepsList: readonly FixedSteps[] = [];
  private userDefinedMetadata: Record<string, unknown> | undefined;

  constructor(args: Partial<ModelArgs> & { name?: string; seed?: number }, defaultBase = "functional") {
    super({ name: args?.name }, defaultBase);
    this.seed = args?.seed ?? Math.floor(Math.random() * 2 ** 31);
    this.rng = new Random(this.seed);
    if (args?.inputs !== undefined || args?.outputs !== undefined) this.setGraph(asList(args.inputs), asList(args.outputs));
  }

  /** Sets the graph and builds every layer not built yet, in graph order, from the model's seed. */
  protected setGraph(inputs: SymbolicTensor[], outputs: SymbolicTensor[]): void {
    const graph = buildGraph(inputs, outputs, this.name);
    const idInputs = idInputsOf(graph, this.name);
    for (const node of graph.nodes) {
      if (!node.layer.built) node.layer.buildMany(node.inputs.map((t) => [...t.shape]), this.rng);
    }
    this.graph = graph;
    this.idInputs = idInputs;
    this.fixedStepsList = fixedStepsOf(graph, idInputs, this.name, this.className === "Sequential");
    this.markBuilt(inputs.map((t) => [...t.shape]));
  }

  protected requireGraph(): Graph {
    if (!this.graph) throw new RaggedError("NOT_BUILT", `Model "${this.name}" has no layers yet.`);
    return this.graph;
  }

  get inputs(): SymbolicTensor[] {
    return [...this.requireGraph().inputs];
  }

  get outputs(): SymbolicTensor[] {
    return [...this.requireGraph().outputs];
  }

  /** Every layer once, input layers first, in graph order (Keras `model.layers`). */
  get layers(): Layer[] {
    return this.graph ? [...this.graph.layers] : [];
  }

  /** The layer named `name`. @throws RaggedError `UNKNOWN_NAME`. */
  getLayer(name: string): Layer {
    const layer = this.layers.find((l) => l.name === name);
    if (!layer) throw new RaggedError("UNKNOWN_NAME", `Model "${this.name}" has no layer "${name}".`, { expected: this.layers.map((l) => `"${l.name}"`).join(", "), received: `"${name}"` });
    return layer;
  }

  /** Input names (the input layers' names), in `inputs` order. */
  get inputNames(): string[] {
    return this.inputs.map((t) => t.sourceLayer.name);
  }

  /** Output names (the producing layers' names; `name_k` for several outputs of one layer), in `outputs` order. */
  get outputNames(): string[] {
    const outs = this.outputs;
    return outs.map((t) => {
      const base = t.sourceLayer.name;
      const same = outs.filter((o) => o.sourceLayer === t.sourceLayer);
      return same.length > 1 || t.outputIndex > 0 ? `${base}_${t.outputIndex}` : base;
    });
  }

  /** What training reads for each input (NOTE [ masks with holes ]: mask rules apply at the edge). */
  inputSpecs(): InputSpec[] {
    const graph = this.requireGraph();
    const specs = graph.inputs.map((t) => {
      const name = t.sourceLayer.name;
      const sameLengthsAs = t.lengths.kind === "input" && t.lengths.input !== name ? t.lengths.input : null;
      const maskRule = maskRuleOf(t, graph, this.name);
      const ids = this.idInputs.get(t);
      const timesteps = this.fixedStepsList.find((f) => !f.nested && f.input === name)?.steps ?? null;
      if (ids !== undefined) return { name, kind: "sequence" as const, features: 1, maskRule, sameLengthsAs, timesteps, ids };
      return { name, kind: t.kind, features: t.width, maskRule, sameLengthsAs, timesteps, ids: 0 };
    });
    for (const spec of specs) {
      const other = specs.find((s) => s.name === spec.sameLengthsAs);
      if (!other || (spec.maskRule === null && other.maskRule === null)) continue;
      // a mask packs an input to its real steps, so two inputs of equal lengths could be packed differently
      throw new RaggedError("UNSUPPORTED", `model "${this.name}": input "${spec.name}" has the steps of input "${other.name}" (sameLengthsAs), and one of them is masked.`, {
        expected: "no masking layer or embedding with maskZero on inputs related by sameLengthsAs",
        received: `a mask on input "${spec.maskRule ? spec.name : other.name}"`,
        help: "ragged data needs no padding: drop maskZero (or the masking layer) and pass the sequences at their own lengths",
      });
    }
    return specs;
  }

  /**
   * The vocabulary size of the token ids this model reads from its input `k` when that input has
   * shape `[T]` and feeds embeddings (NOTE [ token ids of a fixed count ]); 0 when it does not.
   */
  tokenIdsAt(k: number): number {
    const t = this.requireGraph().inputs[k];
    return t === undefined ? 0 : (this.idInputs.get(t) ?? 0);
  }

  /**
   * Every number of steps the data must have (NOTE [ fixed step counts ]): at this model's inputs
   * of shape `[T, d]` (or `[T]` read as token ids), then at the inputs of the models nested in it,
   * said in this model's input names. Checked when data is read (training/fixed_steps.ts).
   */
  fixedSteps(): readonly FixedSteps[] {
    return this.fixedStepsList;
  }

  outputSpecs(): OutputSpec[] {
    const names = this.outputNames;
    return this.outputs.map((t, k) => ({ name: names[k], kind: t.kind, width: t.width, lengths: t.lengths }));
  }

  /**
   * Runs the graph on one packed value per input; `backward` of the result propagates and
   * accumulates weight gradients. `rng` (default: the model's) feeds dropout.
   */
  runMany(inputs: LayerValue[], options: { training: boolean; needsGrad: boolean; rng?: Random }): ModelRun {
    const chained = !options.training && !options.needsGrad ? this.runChainedGraph(inputs, options.rng) : null;
    if (chained) return { outputs: [chained], backward: refuseBackward };
    const ctx: ForwardContext = { training: options.training, rng: options.rng ?? this.rng, needsGrad: options.needsGrad, inputNeedsGrad: false };
    const pass = runGraph(this.requireGraph(), inputs, ctx);
    return { outputs: pass.outputs, backward: (d) => void pass.backward(d) };
  }

  /**
   * An inference pass of a graph that is one line of layers (`input → a → b → …`: every Sequential
   * model's, and a functional model written so) with its leading recurrent layers as one wasm
   * chain (models/chained_inference.ts), the rest layer by layer: the same floats as `runGraph`'s.
   * Null for any other graph, a masked input, no chainable layers, or when the chain refuses.
   */
  private runChainedGraph(inputs: LayerValue[], rng: Random | undefined): LayerValue | null {
    const input = inputs[0];
    if (inputs.length !== 1 || input.kind !== "sequence" || input.mask || !isLinearGraph(this.requireGraph())) return null;
    const chain = leadingChain(this);
    if (chain === null) return null;
    const n = input.layout.totalSteps * input.width;
    const out = chainedInference(this, chain, input.layout, input.width, rng, (mem, at) => (mem.set(input.data.subarray(0, n), at), true));
    return out === "refused" ? null : out;
  }

  // ---- the model as a layer (nested models) ----

  protected validateInputShape(_inputShape: Shape): void {}
  protected createWeights(_inputShape: Shape, _rng: Random): void {}

  protected override validateInputShapes(inputShapes: Shape[]): void {
    const own = this.inputs;
    this.expectInputCount(inputShapes.length, own.length);
    inputShapes.forEach((shape, k) => {
      const want = own[k].shape;
      if (shape.length !== want.length || shape.some((d, i) => i > 0 && d !== null && want[i] !== null && d !== want[i])) {
        throw new RaggedError("SHAPE_MISMATCH", `Model "${this.name}" applied to a tensor of the wrong shape for its input "${own[k].name}".`, {
          expected: `(${want.map((d) => (d === null ? "None" : d)).join(", ")})`,
          received: `(${shape.map((d) => (d === null ? "None" : d)).join(", ")})`,
        });
      }
    });
  }

  override buildMany(inputShapes: Shape[], _rng: Random): void {
    this.validateInputShapes(inputShapes);
  }

  computeOutputShape(inputShape: Shape): Shape {
    return this.computeOutputShapes([inputShape])[0];
  }

  override computeOutputShapes(_inputShapes: Shape[]): Shape[] {
    return this.outputs.map((t) => [...t.shape]);
  }

  /** The inner outputs' lengths, with the inner inputs replaced by the tensors the model is applied to. */
  protected override symbolicLengths(inputs: SymbolicTensor[], _outShapes: Shape[]): LengthSource[] {
    const inner = this.inputNames;
    return this.outputs.map((t) => {
      const source = t.lengths;
      if (source.kind === "fixed") return source;
      const k = inner.indexOf(source.input);
      const outer = inputs[k].lengths;
      if (outer.kind === "fixed") return source.through.length ? { kind: "input", input: source.input, through: source.through } : outer;
      return { kind: "input", input: outer.input, through: [...outer.through, ...source.through] };
    });
  }

  forward(input: LayerValue, ctx: ForwardContext): { output: LayerValue; backward: (d: LayerValue) => LayerValue | null } {
    const { outputs, backward } = this.forwardMany([input], ctx);
    return { output: outputs[0], backward: (d) => backward([d])[0] };
  }

  override forwardMany(inputs: LayerValue[], ctx: ForwardContext): ManyForwardResult {
    this.expectInputCount(inputs.length, this.inputs.length);
    const pass: GraphPass = runGraph(this.requireGraph(), inputs, ctx);
    return { outputs: pass.outputs, backward: (d) => pass.backward(d) };
  }

  /** Whether a layer carries state between calls: its batches must then keep caller order. */
  get stateful(): boolean {
    const isStateful = (l: Layer): boolean => {
      const x = l as unknown as { stateful?: unknown; forwardLayer?: Layer; layer?: Layer };
      if (x.stateful === true) return true;
      return [x.forwardLayer, x.layer].some((inner) => inner instanceof Layer && isStateful(inner));
    };
    return this.layers.some(isStateful);
  }

  /** Forgets the carried states of every stateful recurrent layer. */
  resetStates(): void {
    for (const layer of this.layers) if ("resetStates" in layer && typeof layer.resetStates === "function") layer.resetStates();
  }

  // ---- weights ----

  /** All weights in Keras order (layer by layer, each shared layer once). */
  override get weights(): Variable[] {
    return this.layers.flatMap((l) => l.weights);
  }

  override get trainableWeights(): Variable[] {
    return this.trainable ? this.layers.flatMap((l) => l.trainableWeights) : [];
  }

  override countParams(): number {
    return this.layers.reduce((n, l) => n + l.countParams(), 0);
  }

  /** Copies of every weight, in Keras order and shapes (`model.get_weights()`). */
  override getWeights(): Tensor[] {
    return this.layers.flatMap((l) => l.getWeights());
  }

  /** Sets every weight from a list in Keras order and shapes (copies the data). */
  override setWeights(weights: readonly Tensor[]): void {
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

  // ---- compile ----

  /** The first output's loss (the only one of a single-output model); null before `compile`. */
  get loss(): Loss | null {
    return this.losses[0] ?? null;
  }

  /** The metric names of a single-output model (the first output's otherwise). */
  get metrics(): string[] {
    return this.outputMetrics[0] ?? [];
  }

  /**
   * Sets losses, optimizer and metrics (installed by training/: NOTE [ the model engine ]).
   * @throws RaggedError `UNKNOWN_NAME` (a loss, optimizer or metric), `TARGET_MISMATCH` (per-output
   *   entries for outputs the model does not have, or missing).
   */
  compile(args: CompileArgs): void {
    engine("compile")(this, args);
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

  // ---- training, inference, io: doors to training/ and io/ ----

  /**
   * Trains on ragged arrays: `xs[i]` one sequence of any length, `ys[i]` its target (per step or
   * per sequence); for several inputs or outputs, lists in `inputs` / `outputs` order or objects by
   * name (see `ModelInputs`, `ModelTargets`). See training/fit.ts.
   * @returns the History (`history.loss`, `history.val_loss`, …, and `batchStats`).
   */
  fit(xs: X, ys: Y, args: FitArgs<X, Y> = {}): Promise<FitHistory> {
    return engine("fit")(this, xs, ys, args);
  }

  /** Trains on an (async) iterable of batches `{ xs, ys }`; see `fitDataset` in training/fit.ts. */
  fitDataset(dataset: Dataset<X, Y>, args: FitDatasetArgs<X, Y> = {}): Promise<FitHistory> {
    return engine("fitDataset")(this, dataset, args);
  }

  /**
   * Ragged outputs in caller order: per step (`out[i]` has one row per step of `xs[i]`) or one row
   * per sequence; a list per output when the model has several. State the kind with `perStep` (checked)
   * and the return type follows: `number[][][]`, `number[][]`, or a tuple for several outputs.
   * @example
   * const steps = model.predict(xs, { perStep: true });         // number[][][]
   * const [tags, score] = m.predict(xs, { perStep: [true, false] }); // [number[][][], number[][]]
   */
  predict(xs: X, args: PredictArgs & { perStep: true }): StepPredictions;
  predict(xs: X, args: PredictArgs & { perStep: false }): SequencePredictions;
  predict<const P extends readonly boolean[]>(xs: X, args: PredictArgs & { perStep: P }): PredictionsFor<P>;
  predict(xs: X, args?: PredictArgs): Predictions;
  predict(xs: X, args: PredictArgs = {}): unknown {
    return engine("predict")(this, xs, args);
  }

  /** Ragged outputs of every batch of a dataset, in order; `perStep` as for `predict`. */
  predictDataset(dataset: PredictDataset<X>, args: PredictDatasetArgs & { perStep: true }): Promise<StepPredictions>;
  predictDataset(dataset: PredictDataset<X>, args: PredictDatasetArgs & { perStep: false }): Promise<SequencePredictions>;
  predictDataset<const P extends readonly boolean[]>(dataset: PredictDataset<X>, args: PredictDatasetArgs & { perStep: P }): Promise<PredictionsFor<P>>;
  predictDataset(dataset: PredictDataset<X>, args?: PredictDatasetArgs): Promise<Predictions>;
  predictDataset(dataset: PredictDataset<X>, args: PredictDatasetArgs = {}): Promise<unknown> {
    return engine("predictDataset")(this, dataset, args);
  }

  /** Loss and metrics over a dataset of batches: as `evaluate`. */
  evaluateDataset(dataset: Dataset<X, Y>, args: EvaluateDatasetArgs & { returnDict: true }): Promise<Logs>;
  evaluateDataset(dataset: Dataset<X, Y>, args?: EvaluateDatasetArgs & { returnDict?: false }): Promise<number | number[]>;
  evaluateDataset(dataset: Dataset<X, Y>, args?: EvaluateDatasetArgs): Promise<number | number[] | Logs>;
  evaluateDataset(dataset: Dataset<X, Y>, args: EvaluateDatasetArgs = {}): Promise<number | number[] | Logs> {
    return engine("evaluateDataset")(this, dataset, args);
  }

  /**
   * The loss on (xs, ys) — a number without metrics, [loss, …metrics] with them (Keras), or with
   * `returnDict: true` a record `{ loss, accuracy, … }` (the form to use in strict code: its type
   * does not depend on what was compiled).
   */
  evaluate(xs: X, ys: Y, args: EvaluateArgs & { returnDict: true }): Logs;
  evaluate(xs: X, ys: Y, args?: EvaluateArgs & { returnDict?: false }): number | number[];
  evaluate(xs: X, ys: Y, args?: EvaluateArgs): number | number[] | Logs;
  evaluate(xs: X, ys: Y, args: EvaluateArgs = {}): number | number[] | Logs {
    return engine("evaluate")(this, xs, ys, args);
  }

  /**
   * One optimizer step on exactly this batch (no shuffling, no callbacks); returns its loss.
   * @param args - `{ threads }` (default 1 here).
   */
  trainOnBatch(xs: X, ys: Y, args: { threads?: number } = {}): Promise<number> {
    return engine("trainOnBatch")(this, xs, ys, args);
  }

  /**
   * Sets a JSON object that `save` writes to model.json's `userDefinedMetadata` and `loadModel`
   * restores (TF.js' `setUserDefinedMetadata`).
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

  /**
   * Keras' functional summary table (Layer (type) | Output Shape | Param # | Connected to), printed
   * with `print` (default console.log); returns the text.
   */
  summary(options: SummaryOptions = {}): string {
    return functionalSummary(this, options);
  }

  /** The graph's nodes in run order (for summaries and serialization). */
  graphNodes(): readonly Node[] {
    return this.requireGraph().nodes;
  }

  /** Output shape of each layer (its first call), in `layers` order. */
  layerOutputShapes(): Shape[] {
    const graph = this.requireGraph();
    return this.layers.map((l) => {
      const node = graph.nodes.find((n) => n.layer === l) ?? l.inboundNodes[0];
      return [...node.outputs[0].shape];
    });
  }

  /**
   * Saves the model in the TF.js layers-model format (model.json + weights); see io/model_io.ts.
   * @param urlOrHandler - `"file://./dir"` (with "ragged-rnn/node"), `"https://…"`, or an IOHandler such as `memory()`.
   * @param config - `{ includeOptimizer }` also saves the optimizer state, so training resumes.
   */
  save(urlOrHandler: string | IOHandler, config: SaveConfig = {}): Promise<SaveResult> {
    return engine("save")(this, urlOrHandler, config);
  }

  /**
   * Copies every weight from another model of the same architecture, in memory or saved
   * (`"file://…/model.json"`, a URL, an IOHandler).
   * @throws RaggedError `SHAPE_MISMATCH` when the weights do not fit this model.
   */
  async loadWeights(source: LayersModel | string | IOHandler): Promise<void> {
    if (source instanceof LayersModel) {
      this.setWeights(source.getWeights());
      return;
    }
    const loaded = (await engine("load")(source)) as LayersModel;
    this.setWeights(loaded.getWeights());
  }

  getConfig(): Record<string, unknown> {
    return { name: this.name };
  }
}

function asList(v: SymbolicTensor | SymbolicTensor[] | undefined): SymbolicTensor[] {
  if (v instanceof SymbolicTensor) return [v];
  if (Array.isArray(v)) return [...v];
  throw new RaggedError("INVALID_ARGUMENT", "model() takes { inputs, outputs }: symbolic tensors.", { received: describe(v) });
}

/**
 * NOTE [ token ids of a fixed count ]
 * Keras reads `Input((T,))` → `Embedding` as T token ids per sample: the embedding gives
 * (batch, T, dim), a sequence of T steps. ragged reads such an input as a per-step input of token
 * ids whose samples all have T steps (checked when the data is read, `SHAPE_MISMATCH` naming the
 * sample), on the path of `input({ shape: [null] })`, as a Sequential with an embedding on
 * `inputShape: [T]` does (NOTE [ vector input ] in sequential.ts). The graph keeps the shape
 * `[null, T]`, so summaries and saved files are Keras'. An input is read one way only: every
 * layer it feeds must read ids (an embedding, or a nested model that feeds its own embeddings
 * from it), and it cannot be a model output; token ids of a vector made inside the graph (a
 * dense layer's output) are refused too. Without these checks the embedding would see one row of
 * T numbers per sample and look up the first id only: silently wrong numbers.
 */

/** The vocabulary size of the ids `layer` reads from its input `k`; 0 when it does not read ids there. */
function tokenIdsRead(layer: Layer, k: number): number {
  if (layer instanceof Embedding) return k === 0 ? layer.inputDim : 0;
  return layer instanceof LayersModel ? layer.tokenIdsAt(k) : 0;
}

/**
 * The model inputs of shape `[T]` read as token ids, with the smallest vocabulary of their readers
 * (NOTE [ token ids of a fixed count ]).
 * @throws RaggedError `UNSUPPORTED` for ids from a vector made inside the graph, or an id input
 *   that another layer reads as a vector (or that is a model output).
 */
function idInputsOf(graph: Graph, modelName: string): Map<SymbolicTensor, number> {
  const ids = new Map<SymbolicTensor, number>();
  for (const node of graph.nodes) {
    node.inputs.forEach((t, k) => {
      const vocabulary = tokenIdsRead(node.layer, k);
      if (vocabulary === 0 || t.kind !== "vector") return;
      if (!graph.inputs.includes(t)) {
        throw new RaggedError("UNSUPPORTED", `model "${modelName}": ${node.layer.className} "${node.layer.name}" reads token ids from the output of ${t.sourceLayer.className} "${t.sourceLayer.name}", one vector per sample.`, {
          expected: "token ids straight from a model input: input({ shape: [timesteps] }) or input({ shape: [null] })",
          received: `a ${formatShape(t.shape.slice(1))} tensor made inside the graph`,
          help: "apply the embedding to a model input of token ids; to map a vector to steps use repeatVector, or a dense layer for features",
        });
      }
      ids.set(t, Math.min(vocabulary, ids.get(t) ?? vocabulary));
    });
  }
  for (const t of ids.keys()) {
    const asVector = graph.nodes.flatMap((node) => node.inputs.flatMap((u, k) => (u === t && tokenIdsRead(node.layer, k) === 0 ? [`${node.layer.className} "${node.layer.name}"`] : [])));
    if (graph.outputs.includes(t)) asVector.push("the model's outputs");
    if (asVector.length === 0) continue;
    const T = t.shape[1] as number;
    throw new RaggedError("UNSUPPORTED", `model "${modelName}": input "${t.sourceLayer.name}" (shape [${T}]) feeds an embedding, which reads it as ${T} token ids per sample, and also ${asVector.join(", ")}, which would read it as one vector of ${T} numbers.`, {
      expected: `input "${t.sourceLayer.name}" read one way: only by embeddings (token ids), or only by layers that take vectors`,
      received: `embedding and ${asVector.join(", ")}`,
      help: `give the token ids and the numeric features as two inputs: input({ shape: [${T}] }) for the ids, another input({ shape: [${T}] }) for the vector`,
    });
  }
  return ids;
}

/**
 * NOTE [ fixed step counts ]
 * Keras checks a declared number of steps: `Input((20, 3))` takes only data of shape
 * (batch, 20, 3), as `inputShape: [20, 3]` on a Sequential's first layer, and `Input((20,))`
 * feeding an embedding takes 20 ids per sample. A nested model keeps its own input's check: Keras
 * accepts applying a model on `(None, 20, 3)` to a tensor of `(None, None, 3)` (None fits any
 * count; a different fixed count is refused when applied, `validateInputShapes`), and refuses data
 * of another length when it runs. ragged reads whole ragged arrays, so it checks every sample when
 * the data is read (`readSamples`, before any batch runs): the steps of a model input, and the
 * lengths reaching a nested model's input — the lengths of an outer input, through the layers
 * that change lengths on the way (strided conv1d, pooling). `SHAPE_MISMATCH` names the sample,
 * its length, the declaring model and input, and the shape to declare for any length.
 * A model applied to every word of nested input by `timeDistributed` sees lengths this check
 * does not track (the words'); TimeDistributed checks them when it runs (`checkFixedWordLengths`).
 */

/** The fixed step counts of a graph: its own inputs', then those of the models nested in it. */
function fixedStepsOf(graph: Graph, idInputs: ReadonlyMap<SymbolicTensor, number>, modelName: string, sequential: boolean): FixedSteps[] {
  const list: FixedSteps[] = [];
  for (const t of graph.inputs) {
    const steps = t.shape[1];
    const ids = idInputs.has(t);
    if (typeof steps !== "number" || (t.kind !== "sequence" && !ids)) continue;
    const input = t.sourceLayer.name;
    list.push({ steps, ids, features: ids ? 1 : t.width, model: modelName, input, sequential, nested: false, lengths: { input, through: [] } });
  }
  for (const node of graph.nodes) {
    if (!(node.layer instanceof LayersModel)) continue;
    const inner = node.layer;
    const innerNames = inner.inputNames;
    for (const f of inner.fixedSteps()) {
      const outer = node.inputs[innerNames.indexOf(f.lengths.input)].lengths;
      // a fixed count (repeatVector) was compared with the declared one when the model was applied
      if (outer.kind === "fixed") continue;
      list.push({ ...f, nested: true, lengths: { input: outer.input, through: [...outer.through, ...f.lengths.through] } });
    }
  }
  return list;
}

/**
 * The mask rule of a model input: that of the masking layer or maskZero embedding it feeds (Keras
 * computes the mask there; ragged packs at the edge instead, NOTE [ masks with holes ]). Every
 * consumer of the input must agree, and a mask-making layer must read a model input directly.
 */
function maskRuleOf(t: SymbolicTensor, graph: Graph, modelName: string): InputMaskRule | null {
  const consumers = graph.nodes.filter((n) => n.inputs.includes(t)).map((n) => n.layer);
  const rules = consumers.map((l) => (l as unknown as { inputMaskRule?: InputMaskRule | null }).inputMaskRule ?? null);
  const rule = rules.find((r) => r !== null) ?? null;
  if (rule && rules.some((r) => JSON.stringify(r) !== JSON.stringify(rule))) {
    throw new RaggedError("UNSUPPORTED", `model "${modelName}": input "${t.name}" feeds both a masking layer and layers that would see its padding.`, {
      help: "apply the masking layer (or the embedding with maskZero) to the input once and use its output everywhere",
    });
  }
  for (const node of graph.nodes) {
    const makes = (node.layer as unknown as { inputMaskRule?: InputMaskRule | null }).inputMaskRule;
    if (makes && node.inputs.some((i) => !graph.inputs.includes(i))) {
      throw new RaggedError("UNSUPPORTED", `model "${modelName}": ${node.layer.className} "${node.layer.name}" must read a model input directly.`, {
        help: "the model packs padded input into real steps at its edge; apply the masking layer (or embedding with maskZero) right to an input()",
      });
    }
  }
  return rule;
}

/**
 * Creates a functional model (TF.js `tf.model`, Keras `keras.Model(inputs, outputs)`).
 * @param args - `{ inputs, outputs, name, seed }`.
 * @throws RaggedError `GRAPH_DISCONNECTED` (an output not computable from the inputs),
 *   `GRAPH_CYCLE`, `INVALID_ARGUMENT`.
 * @example
 * const x = input({ shape: [null, 3] });
 * const m = model({ inputs: x, outputs: layers.dense({ units: 2 }).apply(layers.lstm({ units: 4 }).apply(x)) as SymbolicTensor });
 */
export function model(args: ModelArgs): LayersModel {
  if (args === null || typeof args !== "object") throw new RaggedError("INVALID_ARGUMENT", "model() takes { inputs, outputs, name }.", { received: describe(args) });
  return new LayersModel(args);
}

/** An inference pass keeps nothing for a way back. */
function refuseBackward(): never {
  throw new Error("ragged: backward after an inference pass (run with needsGrad: false)");
}
