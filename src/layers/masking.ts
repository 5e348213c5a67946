/**
 * Masking: marks a timestep as padding when every feature equals `maskValue` (Keras). It must be
 * the model's first layer: the model then turns padded input into packed rows at its edge (pre-
 * or post-padding; a mask with holes falls back to the general masked loop, NOTE [ masks with
 * holes ] in values.ts), so the layers after it only ever see real steps.
 *
 * @example
 * const model = sequential([layers.masking({ maskValue: 0, inputShape: [null, 3] }), layers.lstm({ units: 8 })]);
 */
import type { Random } from "../core/random.js";
import { RaggedError } from "../core/errors.js";
import { type BaseLayerArgs, type ForwardContext, type ForwardResult, Layer, type Shape, formatShape, lastDim } from "./layer.js";
import { kindOfShape } from "./symbolic.js";
import type { LayerValue } from "./values.js";

export interface MaskingArgs extends BaseLayerArgs {
  /** Default 0. */
  maskValue?: number;
}

/** How a model's first layer marks padding steps; the model applies it at its edge. */
export type InputMaskRule = { kind: "allFeaturesEqual"; value: number } | { kind: "zeroId" };

export class Masking extends Layer {
  readonly className = "Masking";
  readonly maskValue: number;
  readonly rowWise = true;

  constructor(args: MaskingArgs = {}) {
    super(args, "masking");
    const v = args.maskValue ?? 0;
    if (typeof v !== "number" || Number.isNaN(v)) {
      throw new RaggedError("INVALID_ARGUMENT", "masking `maskValue` must be a number.", { received: String(v) });
    }
    this.maskValue = v;
  }

  get inputMaskRule(): InputMaskRule {
    return { kind: "allFeaturesEqual", value: this.maskValue };
  }

  /** Steps only: a vector (`[null, d]`, one per sample) has no padding steps to mask, and Keras' mask would drop whole samples. */
  protected validateInputShape(inputShape: Shape): void {
    if (kindOfShape(inputShape) === "vector") {
      throw new RaggedError("UNSUPPORTED", `masking "${this.name}" is applied to ${formatShape(inputShape)}: one vector per sample, which has no padding steps to mask.`, {
        expected: "sequences: input shape (batch, timesteps, features), e.g. input({ shape: [null, 3] })",
        received: formatShape(inputShape),
        help: "for one vector per sample drop the masking layer; for sequences use input({ shape: [null, features] })",
      });
    }
    lastDim(inputShape, this.name);
  }

  protected createWeights(_inputShape: Shape, _rng: Random): void {}

  computeOutputShape(inputShape: Shape): Shape {
    return inputShape;
  }

  /** The mask is read with the data; `forward` is the identity. */
  override get passesThroughAtInference(): boolean {
    return true;
  }

  /** Identity: the mask was applied where the batch was built. */
  forward(input: LayerValue, _ctx: ForwardContext): ForwardResult {
    return { output: input, backward: (d) => d };
  }

  getConfig(): Record<string, unknown> {
    return { maskValue: this.maskValue };
  }
}
