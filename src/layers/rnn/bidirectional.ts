/**
 * Bidirectional wrapper, Keras 3 semantics: a forward copy of the recurrent layer and a backward
 * one (`goBackwards` flipped, or the `backwardLayer` given), each sequence reversed within its own
 * length, outputs merged by `mergeMode` ("concat" default, "sum", "mul", "ave"). With
 * `returnSequences`, the backward layer's outputs are reversed back so step t of both directions
 * lines up. Weights: the forward layer's, then the backward layer's.
 *
 * With `returnState` on the wrapped layer (in a graph), `apply` gives `[output, ...forwardStates,
 * ...backwardStates]` (LSTM: `[y, hF, cF, hB, cB]`, as Keras), and `initialState` takes the states
 * in that order: the forward direction's, then the backward's. An encoder–decoder whose decoder
 * has twice the units starts from `concatenate([hF, hB])`, `concatenate([cF, cB])`.
 *
 * @example
 * layers.bidirectional({ layer: layers.lstm({ units: 16, returnSequences: true }), inputShape: [null, 8] });
 */
import { RaggedError } from "../../core/errors.js";
import type { Random } from "../../core/random.js";
import { stepArray, stepCopy } from "../../core/step_buffers.js";
import { type MergeMode, mergeDirections, mergeDirectionsBackward } from "../../core/kernels/merge_directions.js";
import type { ChainBidirectional } from "../../core/kernels/wasm/inference_chain.js";
import { reverseRows } from "../../data/rows.js";
import { type BaseLayerArgs, type ForwardContext, type ForwardResult, Layer, type ManyForwardResult, type Shape, type Variable } from "../layer.js";
import type { LayerValue } from "../values.js";
import { RNN } from "./rnn.js";

export type { MergeMode };

export interface BidirectionalArgs extends BaseLayerArgs {
  /** The recurrent layer (lstm, gru, simpleRNN) to run in both directions. */
  layer: RNN;
  /** Default "concat". (`null`, two separate outputs, cannot flow through a Sequential.) */
  mergeMode?: MergeMode;
  /** The backward layer; default a copy of `layer` with `goBackwards` flipped. */
  backwardLayer?: RNN;
}

type RNNClass = new (args: Record<string, unknown>) => RNN;

export class Bidirectional extends Layer {
  readonly className = "Bidirectional";
  readonly forwardLayer: RNN;
  readonly backwardLayer: RNN;
  readonly mergeMode: MergeMode;
  /** The wrapped layer's `returnState`: also output both directions' final states. */
  readonly returnState: boolean;

  constructor(args: BidirectionalArgs) {
    super({ ...args, inputShape: args?.inputShape ?? sliceBatch(args?.layer?.batchInputShape), batchInputShape: args?.batchInputShape }, "bidirectional");
    if (!(args?.layer instanceof RNN)) {
      throw new RaggedError("INVALID_ARGUMENT", "bidirectional needs a recurrent `layer` (lstm, gru or simpleRNN).", {
        received: (args?.layer as unknown) instanceof Layer ? `a ${(args.layer as Layer).className} layer` : String(args?.layer),
        help: "wrap a recurrent layer: layers.bidirectional({ layer: layers.lstm({ units: 16 }) })",
      });
    }
    const mode = args.mergeMode === undefined ? "concat" : args.mergeMode;
    if (!["concat", "sum", "mul", "ave"].includes(mode as string)) {
      throw new RaggedError(mode === null ? "UNSUPPORTED" : "INVALID_ARGUMENT", "Unsupported bidirectional mergeMode.", {
        expected: '"concat", "sum", "mul" or "ave"',
        received: String(mode),
        help: mode === null ? "mergeMode null gives two outputs, which a Sequential model cannot pass on" : undefined,
      });
    }
    this.mergeMode = mode as MergeMode;
    const layer = args.layer;
    this.returnState = layer.returnState;
    const Ctor = layer.constructor as RNNClass;
    const config = layer.getConfig();
    this.forwardLayer = new Ctor({ ...config, name: `forward_${layer.name}` });
    if (args.backwardLayer) {
      if (!(args.backwardLayer instanceof RNN)) throw new RaggedError("INVALID_ARGUMENT", "`backwardLayer` must be a recurrent layer.");
      if (args.backwardLayer.returnSequences !== layer.returnSequences || args.backwardLayer.returnState !== layer.returnState) {
        throw new RaggedError("INVALID_ARGUMENT", "`backwardLayer` must have the same returnSequences and returnState as `layer`.");
      }
      this.backwardLayer = args.backwardLayer;
    } else {
      this.backwardLayer = new Ctor({ ...config, name: `backward_${layer.name}`, goBackwards: !layer.goBackwards });
    }
  }

  get returnSequences(): boolean {
    return this.forwardLayer.returnSequences;
  }

  /**
   * This layer as one link of a wasm inference chain (NOTE [ inference chains ]): both directions
   * chainable, the forward one not reversed and the backward one reversed (the usual pair; a
   * wrapped `goBackwards` layer swaps them, and runs layer by layer).
   */
  chainLink(): ChainBidirectional | null {
    const forward = this.forwardLayer.chainLink(false);
    const backward = this.backwardLayer.chainLink(true);
    if (forward === null || backward === null) return null;
    return { kind: "bidirectional", H: this.mergeMode === "concat" ? forward.H + backward.H : forward.H, forward, backward, mergeMode: this.mergeMode };
  }

  protected validateInputShape(_inputShape: Shape): void {
    // the wrapped layers validate on build
  }

  override get acceptsInitialState(): boolean {
    return true;
  }

  /** States per direction (LSTM 2, GRU / SimpleRNN 1). */
  private get stateCount(): number {
    return this.forwardLayer.stateCount;
  }

  /** `[x]` or `[x, ...forwardStates, ...backwardStates]`. */
  protected override validateInputShapes(inputShapes: Shape[]): void {
    const states = inputShapes.length - 1;
    const n = this.stateCount;
    if (states !== 0 && states !== 2 * n) {
      throw new RaggedError("SHAPE_MISMATCH", `Bidirectional "${this.name}" takes ${2 * n} initial states: ${n} for each direction.`, {
        expected: `initialState: ${n === 2 ? "[hForward, cForward, hBackward, cBackward]" : "[hForward, hBackward]"}`,
        received: `${states} tensor${states === 1 ? "" : "s"}`,
      });
    }
    this.forwardLayer["validateInputShapes"]([inputShapes[0], ...inputShapes.slice(1, 1 + states / 2)]);
    this.backwardLayer["validateInputShapes"]([inputShapes[0], ...inputShapes.slice(1 + states / 2)]);
  }

  override buildMany(inputShapes: Shape[], rng: Random): void {
    if (this.built) return;
    this.validateInputShapes(inputShapes);
    this.build(inputShapes[0], rng);
    this.markBuilt(inputShapes);
  }

  /** `[output]`, or `[output, ...forwardStates, ...backwardStates]` with `returnState`. */
  override computeOutputShapes(inputShapes: Shape[]): Shape[] {
    const out = this.computeOutputShape(inputShapes[0]);
    if (!this.returnState) return [out];
    const f = this.forwardLayer.computeOutputShapes([inputShapes[0]]).slice(1);
    const b = this.backwardLayer.computeOutputShapes([inputShapes[0]]).slice(1);
    return [out, ...f, ...b];
  }

  protected createWeights(inputShape: Shape, rng: Random): void {
    this.forwardLayer.build(inputShape, rng);
    this.backwardLayer.build(inputShape, rng);
  }

  override get weights(): Variable[] {
    return [...this.forwardLayer.weights, ...this.backwardLayer.weights];
  }

  override get trainableWeights(): Variable[] {
    return this.trainable ? [...this.forwardLayer.trainableWeights, ...this.backwardLayer.trainableWeights] : [];
  }

  override countParams(): number {
    return this.forwardLayer.countParams() + this.backwardLayer.countParams();
  }

  override getWeights() {
    return [...this.forwardLayer.getWeights(), ...this.backwardLayer.getWeights()];
  }

  override setWeights(weights: Parameters<Layer["setWeights"]>[0]): void {
    const n = this.forwardLayer.weights.length;
    this.forwardLayer.setWeights(weights.slice(0, n));
    this.backwardLayer.setWeights(weights.slice(n));
  }

  resetStates(): void {
    this.forwardLayer.resetStates();
    this.backwardLayer.resetStates();
  }

  computeOutputShape(inputShape: Shape): Shape {
    const f = this.forwardLayer.computeOutputShape(inputShape);
    const b = this.backwardLayer.computeOutputShape(inputShape);
    const last = f.length - 1;
    if (this.mergeMode === "concat") return [...f.slice(0, last), (f[last] as number) + (b[last] as number)];
    return f;
  }

  forward(input: LayerValue, ctx: ForwardContext): ForwardResult {
    const { outputs, backward } = this.forwardMany([input], ctx);
    return { output: outputs[0], backward: (d) => backward([d, ...outputs.slice(1).map(() => null)])[0] };
  }

  /** `[x, ...forwardStates, ...backwardStates]` → `[output]` or `[output, ...forwardFinal, ...backwardFinal]`. */
  override forwardMany(inputs: LayerValue[], ctx: ForwardContext): ManyForwardResult {
    const [input, ...states] = inputs;
    const half = states.length / 2;
    // each direction owns its kernel cache (per call of this layer in a graph: ctx.slot)
    const fwdMany = this.forwardLayer.forwardMany([input, ...states.slice(0, half)], { ...ctx, slot: directionSlot(ctx.slot, 0) });
    const bwdMany = this.backwardLayer.forwardMany([input, ...states.slice(half)], { ...ctx, slot: directionSlot(ctx.slot, 1) });
    const fwd = { output: fwdMany.outputs[0] };
    const bwd = { output: bwdMany.outputs[0] };
    const stateOutputs = [...fwdMany.outputs.slice(1), ...bwdMany.outputs.slice(1)];
    const n = fwdMany.outputs.length - 1;
    const F = fwd.output.width;
    const Bw = bwd.output.width;
    // A backward layer returns its sequence in processing order: the merge reads it reversed back,
    // so step t of both directions lines up (and its gradient goes back the same way).
    const reverse = this.returnSequences && bwd.output.kind === "sequence" ? reverseRows(bwd.output.layout) : null;
    const a = fwd.output.data;
    const b = bwd.output.data;
    const rows = a.length / F;
    const width = this.mergeMode === "concat" ? F + Bw : F;
    const merged = stepArray(rows * width); // every element written by the merge
    const mode = this.mergeMode;
    mergeDirections({ out: merged, a, b, rows, F, Bw, mode, bRows: reverse });
    const output: LayerValue = { ...fwd.output, data: merged, width };
    const backward = (dOutputs: (LayerValue | null)[]): (LayerValue | null)[] => {
      const d = dOutputs[0]?.data ?? new Float32Array(rows * width);
      const dA = stepArray(a.length); // every element written below
      const dB = stepArray(b.length);
      mergeDirectionsBackward({ d, da: dA, db: dB, a, b, rows, F, Bw, mode, bRows: reverse });
      const dState = dOutputs.slice(1);
      const [dxF, ...dStatesF] = fwdMany.backward([{ ...fwd.output, data: dA } as LayerValue, ...dState.slice(0, n)]);
      const [dxB, ...dStatesB] = bwdMany.backward([{ ...bwd.output, data: dB } as LayerValue, ...dState.slice(n)]);
      const dStatesIn = [...dStatesF, ...dStatesB];
      if (!dxF || !dxB) return [null, ...dStatesIn];
      const sum = stepCopy(dxF.data);
      const other = dxB.data;
      for (let i = 0; i < sum.length; i++) sum[i] += other[i];
      return [{ ...dxF, data: sum } as LayerValue, ...dStatesIn];
    };
    return { outputs: [output, ...stateOutputs], backward };
  }

  getConfig(): Record<string, unknown> {
    return {
      layer: { className: this.forwardLayer.className, config: { ...this.forwardLayer.getConfig(), name: this.forwardLayer.name.replace(/^forward_/, "") } },
      mergeMode: this.mergeMode,
      backwardLayer: { className: this.backwardLayer.className, config: { ...this.backwardLayer.getConfig(), name: this.backwardLayer.name } },
    };
  }
}

const directionSlots = new WeakMap<object, [object, object]>();

/** Two cache owners per call slot (forward and backward direction); none outside a graph. */
function directionSlot(slot: object | undefined, k: 0 | 1): object | undefined {
  if (!slot) return undefined;
  let pair = directionSlots.get(slot);
  if (!pair) {
    pair = [{}, {}];
    directionSlots.set(slot, pair);
  }
  return pair[k];
}

function sliceBatch(shape: Shape | null | undefined): Shape | undefined {
  return shape ? shape.slice(1) : undefined;
}
