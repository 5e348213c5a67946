/**
 * SpatialDropout1D: in training, drops whole feature channels of a sequence — channel c of sequence
 * i is zeroed at every step with probability `rate`, the kept channels scaled by 1/(1−rate) (Keras'
 * `noise_shape = (batch, 1, channels)`); identity at inference. Each sequence draws its own channels
 * and keeps them at all of its real steps; there are no padded steps to drop.
 *
 * Shapes: x [N, C] packed rows (N = Σ steps of B sequences) → y [N, C]; the mask is [B, C], one row
 * per sequence in the layout's sorted order, applied to each of the sequence's rows.
 *
 * @example
 * layers.spatialDropout1D({ rate: 0.2 });   // after an embedding or a conv1d
 */
import type { Random } from "../core/random.js";
import { RaggedError } from "../core/errors.js";
import type { PackedLayout } from "../core/packed_layout.js";
import { type BaseLayerArgs, type ForwardContext, type ForwardResult, Layer, type Shape, formatShape } from "./layer.js";
import { type LayerValue, withData } from "./values.js";

export interface SpatialDropout1DArgs extends BaseLayerArgs {
  /** Fraction of channels dropped per sequence, in [0, 1). */
  rate: number;
}

export class SpatialDropout1D extends Layer {
  readonly className = "SpatialDropout1D";
  readonly rate: number;

  constructor(args: SpatialDropout1DArgs) {
    super(args, "spatial_dropout1d");
    if (typeof args?.rate !== "number" || !(args.rate >= 0 && args.rate < 1)) {
      throw new RaggedError("INVALID_ARGUMENT", "spatialDropout1D `rate` must be a fraction in [0, 1).", { received: `rate = ${String(args?.rate)}` });
    }
    this.rate = args.rate;
  }

  protected validateInputShape(inputShape: Shape): void {
    if (inputShape.length !== 3) {
      throw new RaggedError("SHAPE_MISMATCH", `spatialDropout1D "${this.name}" drops channels of sequences and needs sequences as input.`, {
        expected: "input shape (batch, timesteps, channels)",
        received: `input shape ${formatShape(inputShape)}`,
        help: "use layers.dropout on one vector per sequence, or set returnSequences: true on the recurrent layer before it",
      });
    }
  }

  protected createWeights(_inputShape: Shape, _rng: Random): void {}

  computeOutputShape(inputShape: Shape): Shape {
    return inputShape;
  }

  /** Dropout applies in training only. */
  override get passesThroughAtInference(): boolean {
    return true;
  }

  forward(input: LayerValue, ctx: ForwardContext): ForwardResult {
    if (!ctx.training || this.rate === 0) return { output: input, backward: (d) => d };
    if (input.kind !== "sequence") {
      throw new RaggedError("SHAPE_MISMATCH", `spatialDropout1D "${this.name}" needs sequences as input.`, { received: `a ${input.kind} value` });
    }
    const C = input.width;
    const mask = new Float32Array(input.layout.batch * C); // [B, C] in sorted order
    ctx.rng.fillDropoutScale(mask, this.rate);
    const apply = (x: Float32Array): Float32Array => scaleRows(x, mask, input.layout, C);
    return { output: withData(input, apply(input.data), C), backward: (d) => withData(input, apply(d.data), C) };
  }

  getConfig(): Record<string, unknown> {
    return { rate: this.rate };
  }
}

// x [N, C] packed, mask [B, C] sorted → out [N, C]: row offsets[t] + q belongs to sorted sequence q
function scaleRows(x: Float32Array, mask: Float32Array, layout: PackedLayout, C: number): Float32Array {
  const out = new Float32Array(layout.totalSteps * C);
  for (let t = 0; t < layout.maxLength; t++) {
    const r0 = layout.offsets[t];
    for (let q = 0; q < layout.batchSizes[t]; q++) {
      const row = (r0 + q) * C;
      const m = q * C;
      for (let c = 0; c < C; c++) out[row + c] = x[row + c] * mask[m + c];
    }
  }
  return out;
}
