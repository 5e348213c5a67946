/**
 * LSTM (Hochreiter & Schmidhuber 1997) with Keras 3 semantics and defaults:
 * kernel [C, 4H], recurrentKernel [H, 4H], bias [4H], gates i | f | c | o (see kernels/lstm.ts),
 * activation tanh, recurrentActivation sigmoid, kernel glorotUniform, recurrent orthogonal,
 * bias zeros with `unitForgetBias` (the forget block starts at 1).
 *
 * Porting note: TF.js defaults `recurrentActivation` to "hardSigmoid"; ragged follows Keras 3
 * ("sigmoid") and writes the value explicitly into saved configs.
 *
 * On a packed batch the layer runs only real timesteps: the input projection for all rows is one
 * GEMM, each step touches only the sequences still running, and a sequence's final state is the
 * state at its own last step (what Keras computes on a masked, padded batch).
 *
 * @example
 * const lstm = layers.lstm({ units: 32, returnSequences: true, inputShape: [null, 5] });
 */
import type { Random } from "../../core/random.js";
import { RaggedError } from "../../core/errors.js";
import { type ActivationName, CELL_ACTIVATIONS, activationId, parseActivation } from "../../core/kernels/activations.js";
import { kernels } from "../../core/kernels/registry.js";
import { type InitializerSpec, initialize, parseInitializer } from "../initializers.js";
import { type BaseLayerArgs, type ForwardContext, type ForwardResult, Layer, type Shape, type Variable, lastDim } from "../layer.js";
import type { LayerValue, SequenceValue } from "../values.js";

export interface LSTMArgs extends BaseLayerArgs {
  /** H: the size of the hidden state. */
  units: number;
  /** Default "tanh". */
  activation?: ActivationName;
  /** Default "sigmoid" (Keras 3). */
  recurrentActivation?: ActivationName;
  /** Default true. */
  useBias?: boolean;
  /** Default "glorotUniform". */
  kernelInitializer?: InitializerSpec;
  /** Default "orthogonal". */
  recurrentInitializer?: InitializerSpec;
  /** Default "zeros". */
  biasInitializer?: InitializerSpec;
  /** Default true: the forget gate's bias starts at 1. */
  unitForgetBias?: boolean;
  /** Output every step (true) or only each sequence's last (false, default). */
  returnSequences?: boolean;
}

export class LSTM extends Layer {
  readonly className = "LSTM";
  readonly units: number;
  readonly activation: ActivationName;
  readonly recurrentActivation: ActivationName;
  readonly useBias: boolean;
  readonly kernelInitializer: InitializerSpec;
  readonly recurrentInitializer: InitializerSpec;
  readonly biasInitializer: InitializerSpec;
  readonly unitForgetBias: boolean;
  readonly returnSequences: boolean;
  private kernel!: Variable;
  private recurrentKernel!: Variable;
  private bias: Variable | null = null;

  constructor(args: LSTMArgs) {
    super(args, "lstm");
    if (!Number.isInteger(args?.units) || args.units < 1) {
      throw new RaggedError("INVALID_ARGUMENT", "lstm needs `units`, a positive integer.", { received: `units = ${String(args?.units)}` });
    }
    this.units = args.units;
    this.activation = parseActivation(args.activation ?? "tanh", `lstm "${this.name}" activation`, CELL_ACTIVATIONS);
    this.recurrentActivation = parseActivation(args.recurrentActivation ?? "sigmoid", `lstm "${this.name}" recurrentActivation`, CELL_ACTIVATIONS);
    this.useBias = args.useBias ?? true;
    this.kernelInitializer = parseInitializer(args.kernelInitializer ?? "glorotUniform", "kernelInitializer");
    this.recurrentInitializer = parseInitializer(args.recurrentInitializer ?? "orthogonal", "recurrentInitializer");
    this.biasInitializer = parseInitializer(args.biasInitializer ?? "zeros", "biasInitializer");
    this.unitForgetBias = args.unitForgetBias ?? true;
    this.returnSequences = args.returnSequences ?? false;
  }

  protected validateInputShape(inputShape: Shape): void {
    if (inputShape.length !== 3) {
      throw new RaggedError("SHAPE_MISMATCH", `lstm "${this.name}" needs sequences as input.`, {
        expected: "input shape (batch, timesteps, features), e.g. inputShape: [null, 5]",
        received: `a ${inputShape.length}-D shape`,
        help: "set returnSequences: true on the recurrent layer before it, or give inputShape: [null, features]",
      });
    }
    lastDim(inputShape, this.name);
  }

  protected createWeights(inputShape: Shape, rng: Random): void {
    const C = lastDim(inputShape, this.name);
    const H = this.units;
    this.kernel = this.addWeight("kernel", [C, 4 * H], initialize(this.kernelInitializer, [C, 4 * H], rng));
    this.recurrentKernel = this.addWeight("recurrent_kernel", [H, 4 * H], initialize(this.recurrentInitializer, [H, 4 * H], rng));
    if (this.useBias) {
      let b: Float32Array;
      if (this.unitForgetBias) {
        // Keras: concatenate([bias_init((H,)), ones((H,)), bias_init((2H,))])
        b = new Float32Array(4 * H);
        b.set(initialize(this.biasInitializer, [H], rng), 0);
        b.fill(1, H, 2 * H);
        b.set(initialize(this.biasInitializer, [2 * H], rng), 2 * H);
      } else {
        b = initialize(this.biasInitializer, [4 * H], rng);
      }
      this.bias = this.addWeight("bias", [4 * H], b);
    }
  }

  computeOutputShape(inputShape: Shape): Shape {
    return this.returnSequences ? [inputShape[0], inputShape[1], this.units] : [inputShape[0], this.units];
  }

  forward(input: LayerValue, ctx: ForwardContext): ForwardResult {
    const x = expectSequence(input, this.name);
    const H = this.units;
    const act = activationId(this.activation);
    const recAct = activationId(this.recurrentActivation);
    const weights = { kernel: this.kernel.value, recurrentKernel: this.recurrentKernel.value, bias: this.bias?.value ?? null };
    const cache = kernels().lstmForward({ layout: x.layout, x: x.data, C: x.width, H, weights, activation: act, recurrentActivation: recAct });
    const output: LayerValue = this.returnSequences
      ? { kind: "sequence", layout: x.layout, data: cache.h, width: H }
      : { kind: "vector", layout: x.layout, data: cache.hLast, width: H };
    const backward = (dOutput: LayerValue): LayerValue | null => {
      const { dx } = kernels().lstmBackward({
        cache,
        weights,
        activation: act,
        recurrentActivation: recAct,
        dh: dOutput.kind === "sequence" ? dOutput.data : null,
        dhLast: dOutput.kind === "vector" ? dOutput.data : null,
        dcLast: null,
        grads: { kernel: this.kernel.grad, recurrentKernel: this.recurrentKernel.grad, bias: this.bias?.grad ?? null },
        needInputGrad: ctx.inputNeedsGrad,
      });
      return dx ? { kind: "sequence", layout: x.layout, data: dx, width: x.width } : null;
    };
    return { output, backward };
  }

  getConfig(): Record<string, unknown> {
    return {
      units: this.units,
      activation: this.activation,
      recurrentActivation: this.recurrentActivation,
      useBias: this.useBias,
      kernelInitializer: this.kernelInitializer,
      recurrentInitializer: this.recurrentInitializer,
      biasInitializer: this.biasInitializer,
      unitForgetBias: this.unitForgetBias,
      returnSequences: this.returnSequences,
    };
  }
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
