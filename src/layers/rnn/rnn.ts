/**
 * The recurrent layer base: cells do the math, this class owns time. It handles, once for every
 * recurrent layer (LSTM, GRU, SimpleRNN):
 * - `returnSequences` (one output per real step, or each sequence's final output),
 * - `goBackwards` (each sequence reversed within its own length; outputs in processing order, as
 *   Keras returns them),
 * - initial states (`apply(xs, { initialState })`) and `stateful` carry-over with `resetStates()`,
 * - input `dropout` (training only, one mask per sequence shared by all its steps, as Keras),
 * - `recurrentDropout` (training only, one [B, H] mask per sequence on h_{t−1} where it enters the
 *   recurrent product, shared by all steps; passed to the kernel, see NOTE [ recurrent dropout in
 *   the recurrent kernels ] in kernels/lstm.ts),
 * - masks with holes (see NOTE [ masks with holes ] in values.ts): passed to the kernel, which
 *   carries the state across padding rows and outputs zeros there,
 * - `returnState`, usable when the layer is called on its own (`apply`), not inside a Sequential.
 *
 * A subclass supplies `runKernel`: one coarse kernel call over the whole packed batch.
 */
import { RaggedError, describe } from "../../core/errors.js";
import { Random } from "../../core/random.js";
import { gatherRows } from "../../core/gather_rows.js";
import { stepArray } from "../../core/step_buffers.js";
import { type PackedLayout, packBatch, rowToArray, unpackRows } from "../../data/packed.js";
import { gatherMask, reverseRows, rowSequences, sortRows, unsortRowsFlat } from "../../data/rows.js";
import { type ActivationName, CELL_ACTIVATIONS, parseActivation } from "../../core/kernels/activations.js";
import { type InitializerSpec, initialize, parseInitializer } from "../initializers.js";
import { type Regularizer, type RegularizerSpec, parseRegularizer } from "../regularizers.js";
import { type ApplyArgs, type BaseLayerArgs, type ForwardContext, type ForwardResult, Layer, type ManyForwardResult, type Shape, type Variable, formatShape, lastDim } from "../layer.js";
import { type SymbolicTensor, isSymbolic } from "../symbolic.js";
import { type LayerValue, ROWS_PLACEHOLDER, type SequenceValue, rowCount, sequenceOfRows, wasmRowsOf, withData } from "../values.js";
import type { WasmRows } from "../../core/kernels/wasm/wasm_rows.js";
import type { ChainRecurrent } from "../../core/kernels/wasm/inference_chain.js";

/** Options shared by every recurrent layer (Keras names, camelCase). */
export interface RNNArgs extends BaseLayerArgs {
  /** H: the size of the hidden state. */
  units: number;
  /** Default "tanh". */
  activation?: ActivationName;
  /** Default true. */
  useBias?: boolean;
  /** Default "glorotUniform". */
  kernelInitializer?: InitializerSpec;
  /** Default "orthogonal". */
  recurrentInitializer?: InitializerSpec;
  /** Default "zeros". */
  biasInitializer?: InitializerSpec;
  kernelRegularizer?: RegularizerSpec;
  recurrentRegularizer?: RegularizerSpec;
  biasRegularizer?: RegularizerSpec;
  /** Output every step (true) or only each sequence's last (false, default). */
  returnSequences?: boolean;
  /** Also return the final states (only when the layer is called on its own, `apply`). */
  returnState?: boolean;
  /** Process each sequence from its last step to its first. */
  goBackwards?: boolean;
  /** Keep the final states of a batch as the initial states of the next call. */
  stateful?: boolean;
  /** Fraction of the inputs dropped in training (one mask per sequence, for all its steps). */
  dropout?: number;
  /**
   * Fraction of the recurrent state dropped in training (default 0): one mask per sequence, drawn
   * once per batch and used at every step, multiplies h_{t−1} where it enters the recurrent
   * product h_{t−1}·U (the carried state itself is not dropped). Not applied in predict/evaluate.
   *
   * Porting note: one mask shared by all gates, as TF.js' LSTM and SimpleRNN; Keras ≥ 3.8
   * (keras-team/keras#20656, #20663) draws one mask per gate (LSTM 4, GRU 3). TF.js' GRU also drops
   * the carried z ⊙ h_{t−1}; ragged, as Keras, does not.
   *
   * @example
   * layers.gru({ units: 16, dropout: 0.2, recurrentDropout: 0.2, inputShape: [null, 8] });
   */
  recurrentDropout?: number;
}

/** What one kernel pass over a batch gives back. */
export interface RecurrentPass {
  /** [N, H] the output at every row (zeros on padding rows of a mask with holes); may be a getter that copies `hRows` out. */
  readonly h: Float32Array;
  /** The output kept in wasm memory, when the kernel kept it (NOTE [ rows kept in wasm between layers ]). */
  readonly hRows?: WasmRows | null;
  /** Final states, [B, H] each, sorted order (LSTM: h, c; GRU / SimpleRNN: h). */
  finalStates: Float32Array[];
  /**
   * dh: [N, H] or null; dFinal: per state [B, H] or null → dx [N, C] (or null) and d(initial states).
   * `rows`: dh kept in wasm memory (then dh is empty), and whether dx may stay there (`dxRows`).
   */
  backward(
    dh: Float32Array | null, dFinal: (Float32Array | null)[], needInputGrad: boolean, rows?: PassRows,
  ): { dx: Float32Array | null; dxRows?: WasmRows; dInitial: Float32Array[] };
}

/** What a backward pass is told about rows kept in wasm memory between layers. */
export interface PassRows {
  dhRows?: WasmRows;
  keepDx: boolean;
}

/**
 * The pass over a kernel's cache: h read only when asked (a wasm kernel may have kept it in wasm
 * memory, `hRows`), and dx handed on as rows when the kernel kept them there. `backward` runs the
 * kernel's backward and returns its result with the initial states' gradients.
 */
export function kernelPass(
  cache: { readonly h: Float32Array; readonly hRows?: WasmRows | null },
  finalStates: Float32Array[],
  backward: (...args: Parameters<RecurrentPass["backward"]>) => { result: { readonly dx: Float32Array | null; readonly dxRows?: WasmRows }; dInitial: Float32Array[] },
): RecurrentPass {
  return {
    get h() {
      return cache.h;
    },
    hRows: cache.hRows ?? null,
    finalStates,
    backward: (dh, dFinal, needInputGrad, rows) => {
      const { result, dInitial } = backward(dh, dFinal, needInputGrad, rows);
      // not destructured: with dxRows, reading dx would copy the rows out
      return result.dxRows ? { dx: null, dxRows: result.dxRows, dInitial } : { dx: result.dx, dInitial };
    },
  };
}

export interface KernelCall {
  layout: PackedLayout;
  /** [N, C] */
  x: Float32Array;
  C: number;
  /** Initial states, [B, H] each, sorted order. */
  initial: Float32Array[];
  /** [N] or null; see NOTE [ masks with holes ]. */
  mask: Uint8Array | null;
  /** [B, H] recurrent dropout mask (sorted order, scaled), or null outside training / at rate 0. */
  recurrentMask: Float32Array | null;
  /** Whether `backward` may follow (false: the kernel need keep no cache). */
  needsGrad: boolean;
  /** Owner of the kernel's cache (`ForwardContext.slot`); default the layer. */
  slot?: object;
  /** x's rows in wasm memory (then `x` is empty); only for a layer whose `readsWasmRows()`. */
  xRows?: WasmRows;
}

/** What `apply` returns: outputs in caller order, and final states when `returnState`. */
export interface RNNApplyResult {
  /** Per-step outputs (`output[i].length === xs[i].length`) or one row per sequence. */
  output: number[][][] | number[][];
  /** Final states, caller order: states[k][i] is state k of sequence i. */
  states: number[][][];
}

export abstract class RNN extends Layer {
  readonly units: number;
  readonly activation: ActivationName;
  readonly useBias: boolean;
  readonly kernelInitializer: InitializerSpec;
  readonly recurrentInitializer: InitializerSpec;
  readonly biasInitializer: InitializerSpec;
  readonly kernelRegularizer: Regularizer | null;
  readonly recurrentRegularizer: Regularizer | null;
  readonly biasRegularizer: Regularizer | null;
  readonly returnSequences: boolean;
  readonly returnState: boolean;
  readonly goBackwards: boolean;
  readonly stateful: boolean;
  readonly dropout: number;
  readonly recurrentDropout: number;
  /** How many state tensors the cell has (LSTM 2, GRU and SimpleRNN 1). */
  abstract readonly stateCount: number;
  /** Stateful layers: the carried states, caller order, [B, H] each. */
  private carried: Float32Array[] | null = null;

  constructor(args: RNNArgs, defaultBase: string) {
    super(args, defaultBase);
    const kind = defaultBase;
    if (!Number.isInteger(args?.units) || args.units < 1) {
      throw new RaggedError("INVALID_ARGUMENT", `${kind} needs \`units\`, a positive integer.`, { received: `units = ${describe(args?.units)}` });
    }
    this.units = args.units;
    this.activation = parseActivation(args.activation ?? "tanh", `${kind} "${this.name}" activation`, CELL_ACTIVATIONS);
    this.useBias = args.useBias ?? true;
    this.kernelInitializer = parseInitializer(args.kernelInitializer ?? "glorotUniform", "kernelInitializer");
    this.recurrentInitializer = parseInitializer(args.recurrentInitializer ?? "orthogonal", "recurrentInitializer");
    this.biasInitializer = parseInitializer(args.biasInitializer ?? "zeros", "biasInitializer");
    this.kernelRegularizer = parseRegularizer(args.kernelRegularizer, "kernelRegularizer");
    this.recurrentRegularizer = parseRegularizer(args.recurrentRegularizer, "recurrentRegularizer");
    this.biasRegularizer = parseRegularizer(args.biasRegularizer, "biasRegularizer");
    this.returnSequences = args.returnSequences ?? false;
    this.returnState = args.returnState ?? false;
    this.goBackwards = args.goBackwards ?? false;
    this.stateful = args.stateful ?? false;
    this.dropout = fraction(args.dropout, "dropout");
    this.recurrentDropout = fraction(args.recurrentDropout, "recurrentDropout");
    if (this.stateful && (!this.batchInputShape || this.batchInputShape[0] === null)) {
      throw new RaggedError("INVALID_ARGUMENT", `A stateful ${kind} needs a fixed batch size.`, {
        expected: "batchInputShape: [batchSize, null, features] on the first layer (or batchSize in inputShape's place)",
        received: this.batchInputShape ? `batch dimension ${String(this.batchInputShape[0])}` : "no batchInputShape",
      });
    }
  }

  protected validateInputShape(inputShape: Shape): void {
    if (inputShape.length !== 3) {
      throw new RaggedError("SHAPE_MISMATCH", `${this.className} "${this.name}" needs sequences as input.`, {
        expected: "input shape (batch, timesteps, features), e.g. inputShape: [null, 5]",
        received: `a ${inputShape.length}-D shape`,
        help: "set returnSequences: true on the recurrent layer before it, or give inputShape: [null, features]",
      });
    }
    lastDim(inputShape, this.name);
  }

  computeOutputShape(inputShape: Shape): Shape {
    return this.returnSequences ? [inputShape[0], inputShape[1], this.units] : [inputShape[0], this.units];
  }

  override get acceptsInitialState(): boolean {
    return true;
  }

  /** `[x]` or `[x, ...initialStates]`, each state `[batch, units]`. */
  protected override validateInputShapes(inputShapes: Shape[]): void {
    const states = inputShapes.length - 1;
    if (states !== 0 && states !== this.stateCount) {
      throw new RaggedError("SHAPE_MISMATCH", `${this.className} "${this.name}" takes ${this.stateCount} initial state${this.stateCount > 1 ? "s" : ""}.`, {
        expected: `initialState: ${this.stateCount === 2 ? "[h, c]" : "[h]"}, each of shape (None, ${this.units})`,
        received: `${states} tensor${states === 1 ? "" : "s"}`,
      });
    }
    this.validateInputShape(inputShapes[0]);
    inputShapes.slice(1).forEach((shape, k) => {
      if (shape.length !== 2 || shape[1] !== this.units) {
        throw new RaggedError("SHAPE_MISMATCH", `initialState[${k}] of ${this.className} "${this.name}" has the wrong shape.`, {
          expected: `(None, ${this.units}): one state vector of ${this.units} per sequence`,
          received: formatShape(shape),
          help: shape.length === 2 && shape[1] === null ? "give the state input a known size: input({ shape: [units] })" : undefined,
        });
      }
    });
  }

  override buildMany(inputShapes: Shape[], rng: Random): void {
    if (this.built) return;
    this.validateInputShapes(inputShapes);
    this.build(inputShapes[0], rng);
    this.markBuilt(inputShapes);
  }

  /** `[output]`, or `[output, ...states]` with `returnState` (each state `[batch, units]`). */
  override computeOutputShapes(inputShapes: Shape[]): Shape[] {
    const out = this.computeOutputShape(inputShapes[0]);
    return this.returnState ? [out, ...Array.from({ length: this.stateCount }, () => [inputShapes[0][0], this.units])] : [out];
  }

  /**
   * `inputs` = `[x, ...initialStates]` (states in x's layout, sorted order: the graph moves them,
   * NOTE [ vectors across layouts ]) → `[output]` or `[output, ...finalStates]`; the way back gives
   * gradients for x and for every initial state.
   */
  override forwardMany(inputs: LayerValue[], ctx: ForwardContext): ManyForwardResult {
    const [x, ...states] = inputs;
    if (states.length !== 0 && states.length !== this.stateCount) this.validateInputShapes(inputs.map((v) => [null, v.kind === "sequence" ? null : v.width]));
    const initialState = states.length ? states.map((s) => s.data) : (ctx.initialState ?? null);
    let dInitial: Float32Array[] = [];
    const result = this.forwardWith(x, { ...ctx, initialState }, (d) => (dInitial = d));
    const finals = this.lastFinalStates;
    const layout = x.layout;
    const outputs: LayerValue[] = [result.output];
    if (this.returnState) for (const f of finals) outputs.push({ kind: "vector", layout, data: f, width: this.units });
    return {
      outputs,
      backward: (dOutputs) => {
        const dOut = dOutputs[0] ?? zerosLike(result.output);
        const dStates = this.returnState ? dOutputs.slice(1).map((d) => d?.data ?? null) : [];
        const dx = result.backward(dOut, dStates);
        const dStatesIn = states.map((s, k): LayerValue | null => (dInitial[k] ? { kind: "vector", layout: s.layout, data: dInitial[k], width: this.units } : null));
        return [dx, ...dStatesIn];
      },
    };
  }

  /** One kernel pass over the whole batch (forward now, backward on demand). */
  protected abstract runKernel(call: KernelCall): RecurrentPass;

  /**
   * This layer as one link of a wasm inference chain (NOTE [ inference chains ] in
   * core/kernels/wasm/inference_chain.ts), or null when its inference forward is not exactly such a
   * link: stateful, kernels other than the wasm ones, or `goBackwards` other than `reversed` (the
   * chain reverses the input only for a Bidirectional layer's backward direction).
   */
  chainLink(_reversed = false): ChainRecurrent | null {
    return null;
  }

  /**
   * Whether the inference forward is the plain one a chain reproduces (see `chainLink`): not
   * stateful, and reversed (`goBackwards`) exactly when the chain reverses its input for it
   * (a Bidirectional layer's backward direction).
   */
  protected plainInference(reversed: boolean): boolean {
    return this.goBackwards === reversed && !this.stateful;
  }

  /** Creates the cell's weights (usually with `addCellWeights`); called by `createWeights`. */
  protected abstract createCellWeights(inputDim: number, rng: Random): void;

  /** The cell's weights, Keras names and order: kernel [C, G], recurrent_kernel [H, G], bias. */
  protected kernel!: Variable;
  protected recurrentKernel!: Variable;
  protected bias: Variable | null = null;

  /**
   * Adds kernel [C, gates·H] and recurrent_kernel [H, gates·H] from their initializers, then the
   * bias (when `useBias`) of `biasShape`: from the bias initializer, or from `makeBias` (drawn in
   * the same order, after the kernels).
   */
  protected addCellWeights(C: number, gates: number, rng: Random, biasShape: number[], makeBias?: (rng: Random) => Float32Array): void {
    const G = gates * this.units;
    this.kernel = this.addWeight("kernel", [C, G], initialize(this.kernelInitializer, [C, G], rng), true, this.kernelRegularizer);
    this.recurrentKernel = this.addWeight("recurrent_kernel", [this.units, G], initialize(this.recurrentInitializer, [this.units, G], rng), true, this.recurrentRegularizer);
    if (this.useBias) {
      const value = makeBias ? makeBias(rng) : initialize(this.biasInitializer, biasShape, rng);
      this.bias = this.addWeight("bias", biasShape, value, true, this.biasRegularizer);
    }
  }

  /** The weight values a kernel call reads. */
  protected cellWeights(): { kernel: Float32Array; recurrentKernel: Float32Array; bias: Float32Array | null } {
    return { kernel: this.kernel.value, recurrentKernel: this.recurrentKernel.value, bias: this.bias?.value ?? null };
  }

  /** The gradient buffers a backward kernel call accumulates into. */
  protected cellGrads(): { kernel: Float32Array; recurrentKernel: Float32Array; bias: Float32Array | null } {
    return { kernel: this.kernel.grad, recurrentKernel: this.recurrentKernel.grad, bias: this.bias?.grad ?? null };
  }

  /** The forward arguments every recurrent kernel takes, from a `KernelCall`. */
  protected commonKernelArgs(call: KernelCall) {
    return {
      layout: call.layout,
      x: call.x,
      C: call.C,
      H: this.units,
      weights: this.cellWeights(),
      h0: call.initial[0],
      ...(call.mask ? { mask: call.mask } : {}),
      ...(call.recurrentMask ? { recurrentMask: call.recurrentMask } : {}),
      needsGrad: call.needsGrad,
      // a forward whose backward never ran is released by the next forward in the same slot: this
      // layer's, or — for a layer called more than once in a graph (shared) — this call's
      slot: call.slot ?? (this as object),
      ...(call.xRows ? { xRows: call.xRows } : {}),
    };
  }

  /**
   * What every cell's backward kernel takes, from what `RecurrentPass.backward` is given; the cell
   * adds its activations and its other states' gradients (LSTM: `dcLast`).
   */
  protected commonBackwardArgs<Cache, Weights>(
    cache: Cache, weights: Weights, dh: Float32Array | null, dFinal: (Float32Array | null)[], needInputGrad: boolean, rows?: PassRows,
  ) {
    return { cache, weights, dh, dhLast: dFinal[0], grads: this.cellGrads(), needInputGrad, ...rows };
  }

  /**
   * Whether this layer's kernel reads input rows and output gradients kept in wasm memory
   * (NOTE [ rows kept in wasm between layers ]); a layer with a wasm kernel that does says so.
   */
  protected readsWasmRows(): boolean {
    return false;
  }

  protected createWeights(inputShape: Shape, rng: Random): void {
    this.createCellWeights(lastDim(inputShape, this.name), rng);
  }

  /** Forgets the carried states of a stateful layer (they restart from zeros). */
  resetStates(): void {
    this.carried = null;
  }

  forward(input: LayerValue, ctx: ForwardContext): ForwardResult {
    return this.forwardWith(input, ctx, () => {});
  }

  /** `forward`, handing the initial states' gradients to `onInitialGrads` during backward. */
  private forwardWith(
    input: LayerValue,
    ctx: ForwardContext,
    onInitialGrads: (dInitial: Float32Array[]) => void,
  ): ForwardResult & { backward: (dOutput: LayerValue, dStates?: (Float32Array | null)[]) => LayerValue | null } {
    const x = expectSequence(input, this.name);
    const { layout } = x;
    const H = this.units;
    const reverse = this.goBackwards ? reverseRows(layout) : null;
    const dropsInput = ctx.training && this.dropout > 0;
    // the input's rows read in place when they are in wasm memory and pass through unchanged
    const rowsIn = !reverse && !dropsInput && !x.mask && this.readsWasmRows();
    const xRows = rowsIn ? (wasmRowsOf(x) ?? undefined) : undefined;
    let xData = xRows ? ROWS_PLACEHOLDER : reverse ? gatherRows(x.data, reverse, x.width, stepArray(x.data.length)) : x.data;
    const mask = x.mask ? (reverse ? gatherMask(x.mask, reverse) : x.mask) : null;
    let dropMask: Float32Array | null = null;
    if (dropsInput) {
      dropMask = dropoutMask(layout.batch, x.width, this.dropout, ctx.rng);
      xData = applySequenceMask(xData, dropMask, layout, x.width);
    }
    // drawn after the input mask, from the same seeded stream
    const recurrentMask = ctx.training && this.recurrentDropout > 0 ? dropoutMask(layout.batch, H, this.recurrentDropout, ctx.rng) : null;
    const initial = this.initialStates(layout, ctx);
    const pass = this.runKernel({ layout, x: xData, C: x.width, initial, mask, recurrentMask, needsGrad: ctx.needsGrad, slot: ctx.slot, xRows });
    if (this.stateful) this.carried = pass.finalStates.map((s) => unsortRowsFlat(s, H, layout));
    const output: LayerValue = !this.returnSequences
      ? { kind: "vector", layout, data: pass.finalStates[0], width: H }
      : pass.hRows
        ? sequenceOfRows(layout, pass.hRows, H, mask)
        : { kind: "sequence", layout, data: pass.h, width: H, mask };
    const backward = (dOutput: LayerValue, dStates: (Float32Array | null)[] = []): LayerValue | null => {
      const dFinal = Array.from({ length: this.stateCount }, (_, k) => dStates[k] ?? null);
      if (dOutput.kind === "vector") dFinal[0] = addOrTake(dFinal[0], dOutput.data);
      const dhRows = dOutput.kind === "sequence" && this.readsWasmRows() ? (wasmRowsOf(dOutput) ?? undefined) : undefined;
      const dh = dOutput.kind !== "sequence" ? null : dhRows ? ROWS_PLACEHOLDER : dOutput.data;
      // dx may stay in wasm memory when the layer before kept x there (it reads dx there too)
      const { dx, dxRows, dInitial } = pass.backward(dh, dFinal, ctx.inputNeedsGrad, { dhRows, keepDx: xRows !== undefined });
      onInitialGrads(dInitial);
      if (dxRows) return sequenceOfRows(layout, dxRows, x.width, null);
      if (!dx) return null;
      let d = dx;
      if (dropMask) d = applySequenceMask(d, dropMask, layout, x.width);
      if (reverse) d = gatherRows(d, reverse, x.width, stepArray(d.length));
      return { kind: "sequence", layout, data: d, width: x.width, mask: x.mask ?? null };
    };
    this.lastFinalStates = pass.finalStates;
    return { output, backward };
  }

  /** Final states of the last `forward`, sorted order (for `apply` with returnState). */
  private lastFinalStates: Float32Array[] = [];

  private initialStates(layout: PackedLayout, ctx: ForwardContext): Float32Array[] {
    const B = layout.batch;
    const H = this.units;
    if (ctx.initialState) return ctx.initialState;
    if (this.stateful) {
      const fixed = this.batchInputShape?.[0];
      if (B !== fixed) {
        throw new RaggedError("BATCH_MISMATCH", `Stateful ${this.className} "${this.name}" was built for batches of ${fixed} sequences.`, {
          expected: `${fixed} sequences per batch`,
          received: `${B}`,
          help: "a stateful layer keeps one state per batch position; keep the batch size fixed (or call resetStates and rebuild)",
        });
      }
      if (this.carried) return this.carried.map((s) => sortRows(s, H, layout));
    }
    return Array.from({ length: this.stateCount }, () => new Float32Array(B * H));
  }

  /**
   * Runs the layer on its own on ragged input: the way to give initial states and to get the final
   * states back (`returnState`).
   * @param xs - xs[i] is one sequence (a list of steps).
   * @param options.initialState - one array per state (LSTM: [h, c]), each [B][units], caller order.
   * @returns outputs in caller order and, when `returnState`, the final states.
   * @throws RaggedError `SHAPE_MISMATCH` for an initialState of the wrong shape.
   * @example
   * const lstm = layers.lstm({ units: 4, returnState: true, inputShape: [null, 2] });
   * const { output, states } = lstm.apply([[[1, 2], [3, 4]]], { initialState: [[[0, 0, 0, 0]], [[0, 0, 0, 0]]] });
   */
  override apply(inputs: SymbolicTensor | SymbolicTensor[], args?: ApplyArgs): SymbolicTensor | SymbolicTensor[];
  override apply(xs: unknown, options?: { initialState?: number[][][]; training?: boolean; rng?: Random }): RNNApplyResult;
  override apply(xs: unknown, options: { initialState?: unknown; training?: boolean; rng?: Random } = {}): RNNApplyResult | SymbolicTensor | SymbolicTensor[] {
    if (isSymbolic(xs)) return super.apply(xs, options as ApplyArgs);
    return this.applyOnData(xs, options as { initialState?: number[][][]; training?: boolean; rng?: Random });
  }

  private applyOnData(xs: unknown, options: { initialState?: number[][][]; training?: boolean; rng?: Random }): RNNApplyResult {
    const features = this.built ? lastDim(this.inputShape, this.name) : lastDim(this.batchInputShape ?? [null, null, null], this.name);
    const packed = packBatch(xs as number[][][], { features });
    const { layout } = packed;
    if (!this.built) this.build(this.batchInputShape as Shape, options.rng ?? defaultRng());
    let initialState: Float32Array[] | null = null;
    if (options.initialState !== undefined) {
      initialState = this.parseInitialState(options.initialState, layout);
    }
    const ctx: ForwardContext = { training: options.training ?? false, rng: options.rng ?? defaultRng(), needsGrad: false, inputNeedsGrad: false, initialState };
    const { output } = this.forward({ kind: "sequence", layout, data: packed.data, width: features }, ctx);
    const H = this.units;
    const out = output.kind === "sequence" ? unpackRows(output.data, H, layout) : toNested(unsortRowsFlat(output.data, H, layout), layout.batch, H);
    const states = this.returnState ? this.lastFinalStates.map((s) => toNested(unsortRowsFlat(s, H, layout), layout.batch, H)) : [];
    return { output: out, states };
  }

  private parseInitialState(value: unknown, layout: PackedLayout): Float32Array[] {
    const B = layout.batch;
    const H = this.units;
    const expected = `${this.stateCount} state${this.stateCount > 1 ? "s" : ""} (${this.stateCount === 2 ? "[h, c]" : "[h]"}), each ${B} rows of ${H} numbers`;
    if (!Array.isArray(value) || value.length !== this.stateCount) {
      throw new RaggedError("SHAPE_MISMATCH", `initialState of ${this.className} "${this.name}" has the wrong shape.`, { expected, received: describe(value) });
    }
    return value.map((state, k) => {
      if (!Array.isArray(state) || state.length !== B) {
        throw new RaggedError("SHAPE_MISMATCH", `initialState[${k}] of ${this.className} "${this.name}" needs one row per sequence.`, { expected, received: describe(state) });
      }
      const flat = new Float32Array(B * H);
      state.forEach((row: unknown, i: number) => {
        if (!Array.isArray(row) || row.length !== H || row.some((v) => typeof v !== "number" || !Number.isFinite(v))) {
          throw new RaggedError("SHAPE_MISMATCH", `initialState[${k}][${i}] must be ${H} finite numbers.`, { expected, received: describe(row) });
        }
        flat.set(row, i * H);
      });
      return sortRows(flat, H, layout);
    });
  }

  override get weights() {
    return this.variables;
  }

  /** The recurrent options every subclass writes into its config. */
  protected baseConfig(): Record<string, unknown> {
    return {
      units: this.units,
      activation: this.activation,
      useBias: this.useBias,
      kernelInitializer: this.kernelInitializer,
      recurrentInitializer: this.recurrentInitializer,
      biasInitializer: this.biasInitializer,
      kernelRegularizer: this.kernelRegularizer,
      recurrentRegularizer: this.recurrentRegularizer,
      biasRegularizer: this.biasRegularizer,
      returnSequences: this.returnSequences,
      returnState: this.returnState,
      goBackwards: this.goBackwards,
      stateful: this.stateful,
      dropout: this.dropout,
      recurrentDropout: this.recurrentDropout,
    };
  }
}

function fraction(v: unknown, name: string): number {
  if (v === undefined) return 0;
  if (typeof v !== "number" || !(v >= 0 && v < 1)) {
    throw new RaggedError("INVALID_ARGUMENT", `\`${name}\` must be a fraction in [0, 1).`, { received: `${name} = ${describe(v)}` });
  }
  return v;
}

let fallbackRng: Random | null = null;
/** Randomness for a layer applied on its own, outside a model (which has its own seeded stream). */
function defaultRng(): Random {
  if (!fallbackRng) fallbackRng = new Random(0);
  return fallbackRng;
}

/** [B, C] inverted-dropout mask: 0 with probability `rate`, else 1/(1−rate). */
export function dropoutMask(rows: number, width: number, rate: number, rng: Random): Float32Array {
  const m = new Float32Array(rows * width);
  rng.fillDropoutScale(m, rate);
  return m;
}

/** Every row times its sequence's mask row: x[r, :] ⊙ m[j(r), :]. */
export function applySequenceMask(x: Float32Array, m: Float32Array, layout: PackedLayout, width: number): Float32Array {
  const seq = rowSequences(layout);
  const out = new Float32Array(x.length);
  for (let r = 0; r < seq.length; r++) {
    const o = r * width;
    const mo = seq[r] * width;
    for (let c = 0; c < width; c++) out[o + c] = x[o + c] * m[mo + c];
  }
  return out;
}

function zerosLike(v: LayerValue): LayerValue {
  return withData(v, new Float32Array(rowCount(v) * v.width), v.width);
}

function addOrTake(a: Float32Array | null, b: Float32Array): Float32Array {
  if (!a) return b;
  const out = Float32Array.from(a);
  for (let i = 0; i < out.length; i++) out[i] += b[i];
  return out;
}

function toNested(flat: Float32Array, rows: number, width: number): number[][] {
  return Array.from({ length: rows }, (_, i) => rowToArray(flat, i * width, width));
}

/** The input of a recurrent layer must be a sequence. */
export function expectSequence(input: LayerValue, layer: string): SequenceValue {
  if (input.kind !== "sequence") {
    throw new RaggedError("SHAPE_MISMATCH", `Layer "${layer}" needs sequences as input, but received one vector per sequence.`, {
      help: "set returnSequences: true on the recurrent layer before it",
    });
  }
  return input;
}
