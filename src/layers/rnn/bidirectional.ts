/**
 * Bidirectional wrapper, Keras 3 semantics: a forward copy of the recurrent layer and a backward
 * one (`goBackwards` flipped, or the `backwardLayer` given), each sequence reversed within its own
 * length, outputs merged by `mergeMode` ("concat" default, "sum", "mul", "ave"). With
 * `returnSequences`, the backward layer's outputs are reversed back so step t of both directions
 * lines up. Weights: the forward layer's, then the backward layer's.
 *
 * @example
 * layers.bidirectional({ layer: layers.lstm({ units: 16, returnSequences: true }), inputShape: [null, 8] });
 */
import { RaggedError } from "../../core/errors.js";
import type { Random } from "../../core/random.js";
import { gatherRows, reverseRows } from "../../data/rows.js";
import { type BaseLayerArgs, type ForwardContext, type ForwardResult, Layer, type Shape, type Variable } from "../layer.js";
import type { LayerValue } from "../values.js";
import { RNN } from "./rnn.js";

export type MergeMode = "concat" | "sum" | "mul" | "ave";

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
    if (layer.returnState) throw new RaggedError("UNSUPPORTED", "bidirectional does not support returnState on the wrapped layer yet.");
    const Ctor = layer.constructor as RNNClass;
    const { returnState: _rs, ...config } = layer.getConfig();
    this.forwardLayer = new Ctor({ ...config, name: `forward_${layer.name}` });
    if (args.backwardLayer) {
      if (!(args.backwardLayer instanceof RNN)) throw new RaggedError("INVALID_ARGUMENT", "`backwardLayer` must be a recurrent layer.");
      if (args.backwardLayer.returnSequences !== layer.returnSequences) {
        throw new RaggedError("INVALID_ARGUMENT", "`backwardLayer` must have the same returnSequences as `layer`.");
      }
      this.backwardLayer = args.backwardLayer;
    } else {
      this.backwardLayer = new Ctor({ ...config, name: `backward_${layer.name}`, goBackwards: !layer.goBackwards });
    }
  }

  get returnSequences(): boolean {
    return this.forwardLayer.returnSequences;
  }

  protected validateInputShape(_inputShape: Shape): void {
    // the wrapped layers validate on build
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
    // each direction owns its kernel cache (per call of this layer in a graph: ctx.slot)
    const fwd = this.forwardLayer.forward(input, { ...ctx, slot: directionSlot(ctx.slot, 0) });
    const bwd = this.backwardLayer.forward(input, { ...ctx, slot: directionSlot(ctx.slot, 1) });
    const F = fwd.output.width;
    const Bw = bwd.output.width;
    // A backward layer returns its sequence in processing order: reverse it back to line up steps.
    const reverse = this.returnSequences && bwd.output.kind === "sequence" ? reverseRows(bwd.output.layout) : null;
    const bOut = reverse ? gatherRows(bwd.output.data, reverse, Bw) : bwd.output.data;
    const a = fwd.output.data;
    const rows = a.length / F;
    let merged: Float32Array;
    let width: number;
    if (this.mergeMode === "concat") {
      width = F + Bw;
      merged = new Float32Array(rows * width);
      for (let r = 0; r < rows; r++) {
        merged.set(a.subarray(r * F, (r + 1) * F), r * width);
        merged.set(bOut.subarray(r * Bw, (r + 1) * Bw), r * width + F);
      }
    } else {
      width = F;
      merged = new Float32Array(a.length);
      for (let i = 0; i < a.length; i++) {
        const x = a[i];
        const y = bOut[i];
        merged[i] = this.mergeMode === "sum" ? x + y : this.mergeMode === "mul" ? x * y : (x + y) / 2;
      }
    }
    const output: LayerValue = fwd.output.kind === "sequence" ? { ...fwd.output, data: merged, width } : { ...fwd.output, data: merged, width };
    const backward = (dOutput: LayerValue): LayerValue | null => {
      const d = dOutput.data;
      const dA = new Float32Array(a.length);
      let dB: Float32Array = new Float32Array(bOut.length);
      for (let r = 0; r < rows; r++) {
        for (let k = 0; k < F; k++) {
          const i = r * F + k;
          switch (this.mergeMode) {
            case "concat":
              dA[i] = d[r * width + k];
              break;
            case "sum":
              dA[i] = d[i];
              dB[i] = d[i];
              break;
            case "mul":
              dA[i] = d[i] * bOut[i];
              dB[i] = d[i] * a[i];
              break;
            case "ave":
              dA[i] = d[i] / 2;
              dB[i] = d[i] / 2;
              break;
          }
        }
        if (this.mergeMode === "concat") dB.set(d.subarray(r * width + F, (r + 1) * width), r * Bw);
      }
      if (reverse) dB = gatherRows(dB, reverse, Bw);
      const dxF = fwd.backward({ ...fwd.output, data: dA } as LayerValue);
      const dxB = bwd.backward({ ...bwd.output, data: dB } as LayerValue);
      if (!dxF || !dxB) return null;
      const sum = Float32Array.from(dxF.data);
      for (let i = 0; i < sum.length; i++) sum[i] += dxB.data[i];
      return { ...dxF, data: sum } as LayerValue;
    };
    return { output, backward };
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
