/**
 * Activation: y = activation(x), element-wise (softmax: over the last axis), as Keras'
 * `Activation` layer — the `Conv1D → BatchNormalization → Activation("relu")` of LSTM-FCN models.
 * On sequences it applies to every real step (the packed rows) and the layout (and any mask)
 * passes through unchanged; on vectors, to each row. No weights; output shape = input shape.
 * Backward needs only the stored output (each derivative is written in terms of y,
 * core/kernels/activations.ts).
 *
 * @example
 * sequential([layers.conv1d({ filters: 8, kernelSize: 3, padding: "same", inputShape: [null, 2] }), layers.batchNormalization(), layers.activation({ activation: "relu" })]);
 */
import type { Random } from "../core/random.js";
import { RaggedError } from "../core/errors.js";
import { type ActivationName, SUPPORTED_ACTIVATIONS, activateInPlace, activationBackward, parseActivation } from "../core/kernels/activations.js";
import { type BaseLayerArgs, type ForwardContext, type ForwardResult, Layer, type Shape } from "./layer.js";
import { type LayerValue, rowCount, withData } from "./values.js";

export interface ActivationArgs extends BaseLayerArgs {
  /** The function applied (Keras' snake_case spellings are read too: `"hard_sigmoid"`). */
  activation: ActivationName;
}

export class Activation extends Layer {
  readonly className = "Activation";
  readonly activation: ActivationName;
  /** Row-wise: TimeDistributed may apply it to packed rows directly. */
  readonly rowWise = true;

  constructor(args: ActivationArgs) {
    super(args ?? {}, "activation");
    if (args?.activation === undefined) {
      throw new RaggedError("INVALID_ARGUMENT", `activation layer "${this.name}" needs \`activation\`.`, {
        expected: `one of ${SUPPORTED_ACTIVATIONS.map((a) => JSON.stringify(a)).join(", ")}`,
        received: "no activation",
      });
    }
    this.activation = parseActivation(args.activation, `activation layer "${this.name}"`);
  }

  protected validateInputShape(_inputShape: Shape): void {}
  protected createWeights(_inputShape: Shape, _rng: Random): void {}

  computeOutputShape(inputShape: Shape): Shape {
    return inputShape;
  }

  // x: [M, C] rows (M = N steps or B sequences) → y: [M, C]; the input is never written.
  forward(input: LayerValue, _ctx: ForwardContext): ForwardResult {
    if (this.activation === "linear") return { output: input, backward: (d) => d };
    const C = input.width;
    const M = rowCount(input);
    const y = input.data.slice(0, M * C);
    activateInPlace(this.activation, y, M, C);
    const backward = (dOutput: LayerValue): LayerValue => {
      const dx = new Float32Array(M * C);
      activationBackward(this.activation, dx, dOutput.data, y, M, C);
      return withData(input, dx, C);
    };
    return { output: withData(input, y, C), backward };
  }

  getConfig(): Record<string, unknown> {
    return { activation: this.activation };
  }
}
