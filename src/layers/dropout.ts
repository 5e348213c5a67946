/**
 * Dropout: in training, zeroes each value with probability `rate` and scales the rest by
 * 1/(1−rate) (inverted dropout, Keras); identity at inference. Seeded by the model.
 *
 * @example
 * layers.dropout({ rate: 0.2 });
 */
import type { Random } from "../core/random.js";
import { RaggedError } from "../core/errors.js";
import { type BaseLayerArgs, type ForwardContext, type ForwardResult, Layer, type Shape } from "./layer.js";
import { type LayerValue, withData } from "./values.js";

export interface DropoutArgs extends BaseLayerArgs {
  /** Fraction dropped, in [0, 1). */
  rate: number;
}

export class Dropout extends Layer {
  readonly className = "Dropout";
  readonly rate: number;
  readonly rowWise = true;

  constructor(args: DropoutArgs) {
    super(args, "dropout");
    if (typeof args?.rate !== "number" || !(args.rate >= 0 && args.rate < 1)) {
      throw new RaggedError("INVALID_ARGUMENT", "dropout `rate` must be a fraction in [0, 1).", { received: `rate = ${String(args?.rate)}` });
    }
    this.rate = args.rate;
  }

  protected validateInputShape(_inputShape: Shape): void {}
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
    const scale = new Float32Array(input.data.length);
    ctx.rng.fillDropoutScale(scale, this.rate);
    const out = new Float32Array(input.data.length);
    for (let i = 0; i < out.length; i++) out[i] = input.data[i] * scale[i];
    return {
      output: withData(input, out, input.width),
      backward: (d) => {
        const dx = new Float32Array(d.data.length);
        for (let i = 0; i < dx.length; i++) dx[i] = d.data[i] * scale[i];
        return withData(input, dx, input.width);
      },
    };
  }

  getConfig(): Record<string, unknown> {
    return { rate: this.rate };
  }
}
