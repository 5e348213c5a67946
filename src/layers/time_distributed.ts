/**
 * TimeDistributed: applies a layer to every timestep of a sequence independently. On packed rows
 * that is simply the inner layer applied to all N rows at once (one GEMM for a Dense), so padding
 * never reaches it. The layout (mask) passes through.
 *
 * @example
 * layers.timeDistributed({ layer: layers.dense({ units: 2, activation: "sigmoid" }) });
 */
import type { Random } from "../core/random.js";
import { RaggedError } from "../core/errors.js";
import { type BaseLayerArgs, type ForwardContext, type ForwardResult, Layer, type Shape, type Variable } from "./layer.js";
import type { LayerValue } from "./values.js";

export interface TimeDistributedArgs extends BaseLayerArgs {
  /** The per-step layer; it must work row by row (Dense, Dropout, Activation…). */
  layer: Layer;
}

export class TimeDistributed extends Layer {
  readonly className = "TimeDistributed";
  readonly layer: Layer;

  constructor(args: TimeDistributedArgs) {
    super(args, "time_distributed");
    if (!(args?.layer instanceof Layer) || !(args.layer as Layer & { rowWise?: boolean }).rowWise) {
      throw new RaggedError("INVALID_ARGUMENT", "timeDistributed needs a row-wise `layer` (such as dense).", {
        received: `layer = ${args?.layer instanceof Layer ? args.layer.className : String(args?.layer)}`,
      });
    }
    this.layer = args.layer;
  }

  protected validateInputShape(inputShape: Shape): void {
    if (inputShape.length !== 3) {
      throw new RaggedError("SHAPE_MISMATCH", `timeDistributed "${this.name}" needs sequences as input.`, {
        expected: "input shape (batch, timesteps, features)",
        received: `a ${inputShape.length}-D shape`,
        help: "set returnSequences: true on the recurrent layer before it",
      });
    }
  }

  protected createWeights(inputShape: Shape, rng: Random): void {
    this.layer.build([inputShape[0], inputShape[2]], rng);
  }

  override get weights(): Variable[] {
    return this.layer.weights;
  }

  override get trainableWeights(): Variable[] {
    return this.trainable ? this.layer.trainableWeights : [];
  }

  override countParams(): number {
    return this.layer.countParams();
  }

  computeOutputShape(inputShape: Shape): Shape {
    const inner = this.layer.computeOutputShape([inputShape[0], ...inputShape.slice(2)]);
    return [inputShape[0], inputShape[1], ...inner.slice(1)];
  }

  forward(input: LayerValue, ctx: ForwardContext): ForwardResult {
    return this.layer.forward(input, ctx);
  }

  override getWeights() {
    return this.layer.getWeights();
  }

  override setWeights(weights: Parameters<Layer["setWeights"]>[0]): void {
    this.layer.setWeights(weights);
  }

  getConfig(): Record<string, unknown> {
    return { layer: { className: this.layer.className, config: { name: this.layer.name, trainable: this.layer.trainable, ...this.layer.getConfig() } } };
  }
}
