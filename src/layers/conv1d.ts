/**
 * Conv1D: a 1-D convolution over time, each sequence convolved within its own length as if it were
 * alone (NOTE [ windows over ragged sequences ] in _internal/windows.ts): `same` and `causal`
 * pad with zeros at the sequence's own edges, and output lengths follow per sequence — a
 * sequence shorter than a `valid` kernel has length 0. Weights as Keras: kernel [k, C, F], bias [F].
 * It runs as one GEMM over the packed windows (kernels().conv1dForward).
 *
 * Porting note: Keras' Conv1D ignores masks, so on a padded batch its edge steps see the padding;
 * ragged's answer equals Keras (and TF.js) run on each sequence alone. `strides > 1` with
 * `dilationRate > 1` is refused, as in Keras.
 *
 * @example
 * sequential([
 *   layers.conv1d({ filters: 16, kernelSize: 3, padding: "causal", activation: "relu", inputShape: [null, 12] }),
 *   layers.lstm({ units: 32 }),
 *   layers.dense({ units: 9, activation: "softmax" }),
 * ]);
 */
import type { Random } from "../core/random.js";
import { RaggedError } from "../core/errors.js";
import { type ActivationName, activateInPlace, parseActivation, preActivationGrad } from "../core/kernels/activations.js";
import { kernels } from "../core/kernels/registry.js";
import { type InitializerSpec, initialize, parseInitializer } from "./initializers.js";
import { type Regularizer, type RegularizerSpec, parseRegularizer } from "./regularizers.js";
import { type BaseLayerArgs, type ForwardContext, type ForwardResult, Layer, type Shape, type Variable, formatShape, lastDim } from "./layer.js";
import type { LayerValue, SequenceValue } from "./values.js";
import { type Window, type WindowPadding, checkWindow, scalarOf, windowOutputDim, windowLengthKey, windowOutputLengths, windowPlan, windowSpan } from "./_internal/windows.js";

export interface Conv1DArgs extends BaseLayerArgs {
  /** F: output features. */
  filters: number;
  /** k: taps per window (a number, or Keras' one-element list). */
  kernelSize: number | [number];
  /** Default 1. */
  strides?: number | [number];
  /** Default "valid". */
  padding?: WindowPadding;
  /** Default 1. */
  dilationRate?: number | [number];
  /** Default "linear". */
  activation?: ActivationName;
  /** Default true. */
  useBias?: boolean;
  /** Default "glorotUniform". */
  kernelInitializer?: InitializerSpec;
  /** Default "zeros". */
  biasInitializer?: InitializerSpec;
  kernelRegularizer?: RegularizerSpec;
  biasRegularizer?: RegularizerSpec;
}

export class Conv1D extends Layer {
  readonly className = "Conv1D";
  readonly filters: number;
  readonly window: Window;
  readonly activation: ActivationName;
  readonly useBias: boolean;
  readonly kernelInitializer: InitializerSpec;
  readonly biasInitializer: InitializerSpec;
  readonly kernelRegularizer: Regularizer | null;
  readonly biasRegularizer: Regularizer | null;
  private kernel!: Variable;
  private bias: Variable | null = null;

  constructor(args: Conv1DArgs) {
    super(args, "conv1d");
    if (!Number.isInteger(args?.filters) || args.filters < 1) {
      throw new RaggedError("INVALID_ARGUMENT", "conv1d needs `filters`, a positive integer.", { received: `filters = ${String(args?.filters)}` });
    }
    this.filters = args.filters;
    const padding = typeof args.padding === "string" ? args.padding.toLowerCase() : (args.padding ?? "valid");
    const w = { size: scalarOf(args.kernelSize), stride: scalarOf(args.strides ?? 1), dilation: scalarOf(args.dilationRate ?? 1), padding };
    checkWindow(`conv1d "${this.name}"`, w, { size: "kernelSize", stride: "strides" }, ["valid", "same", "causal"]);
    this.window = w as Window;
    if (this.window.stride > 1 && this.window.dilation > 1) {
      throw new RaggedError("INVALID_ARGUMENT", `conv1d "${this.name}": strides > 1 cannot be combined with dilationRate > 1 (as in Keras).`, {
        received: `strides = ${this.window.stride}, dilationRate = ${this.window.dilation}`,
        help: "use strides: 1 with a dilation, or dilationRate: 1 with strides",
      });
    }
    this.activation = parseActivation(args.activation ?? "linear", `conv1d "${this.name}"`);
    this.useBias = args.useBias ?? true;
    this.kernelInitializer = parseInitializer(args.kernelInitializer ?? "glorotUniform", "kernelInitializer");
    this.biasInitializer = parseInitializer(args.biasInitializer ?? "zeros", "biasInitializer");
    this.kernelRegularizer = parseRegularizer(args.kernelRegularizer, "kernelRegularizer");
    this.biasRegularizer = parseRegularizer(args.biasRegularizer, "biasRegularizer");
  }

  protected validateInputShape(inputShape: Shape): void {
    if (inputShape.length !== 3) {
      throw new RaggedError("SHAPE_MISMATCH", `conv1d "${this.name}" convolves over time and needs sequences.`, {
        expected: "input shape (batch, timesteps, features)",
        received: `${formatShape(inputShape)}`,
        help: "put it on sequence input, or after a recurrent layer with returnSequences: true",
      });
    }
    lastDim(inputShape, this.name);
    const T = inputShape[1];
    if (T !== null && windowOutputDim(T, this.window) === 0) {
      throw new RaggedError("SHAPE_MISMATCH", `conv1d "${this.name}": the kernel does not fit in the input's ${T} steps.`, {
        expected: `at least ${windowSpan(this.window)} steps for kernelSize ${this.window.size} with dilationRate ${this.window.dilation} and padding "valid"`,
        received: `input shape ${formatShape(inputShape)}`,
        help: 'use padding: "same" or "causal", a smaller kernelSize or dilationRate, or leave the length unknown (null) so short sequences give length 0',
      });
    }
  }

  protected createWeights(inputShape: Shape, rng: Random): void {
    const C = lastDim(inputShape, this.name);
    const shape = [this.window.size, C, this.filters];
    this.kernel = this.addWeight("kernel", shape, initialize(this.kernelInitializer, shape, rng), true, this.kernelRegularizer);
    if (this.useBias) this.bias = this.addWeight("bias", [this.filters], initialize(this.biasInitializer, [this.filters], rng), true, this.biasRegularizer);
  }

  computeOutputShape(inputShape: Shape): Shape {
    return [inputShape[0], windowOutputDim(inputShape[1], this.window), this.filters];
  }

  /** Each sequence's output length (caller order) for its input length. */
  override outputLengths(inputLengths: Int32Array): Int32Array {
    return windowOutputLengths(inputLengths, this.window);
  }

  override get lengthMapKey(): string {
    return windowLengthKey(this.window);
  }

  // x: [Nin, C] packed → y: [Nout, F] packed in the new layout (taps: [Nout, k])
  forward(input: LayerValue, ctx: ForwardContext): ForwardResult {
    if (input.kind !== "sequence") {
      throw new RaggedError("SHAPE_MISMATCH", `conv1d "${this.name}" needs sequences as input, but received one vector per sequence.`, {
        help: "set returnSequences: true on the recurrent layer before it",
      });
    }
    const C = input.width;
    const F = this.filters;
    const k = this.window.size;
    const plan = windowPlan(input.layout, input.mask, this.window);
    const Nin = input.layout.totalSteps;
    const Nout = plan.layout.totalSteps;
    const y = new Float32Array(Nout * F);
    kernels().conv1dForward({ out: y, x: input.data, taps: plan.taps, kernel: this.kernel.value, bias: this.bias?.value ?? null, Nout, k, C, F });
    activateInPlace(this.activation, y, Nout, F);
    const output: SequenceValue = { kind: "sequence", layout: plan.layout, data: y, width: F, mask: plan.mask };
    const backward = (dOutput: LayerValue): LayerValue | null => {
      const dz = preActivationGrad(this.activation, dOutput.data, y, Nout, F);
      const dx = ctx.inputNeedsGrad ? new Float32Array(Nin * C) : null;
      kernels().conv1dBackward({
        dx, dKernel: this.kernel.grad, dBias: this.bias?.grad ?? null, dOut: dz,
        x: input.data, taps: plan.taps, kernel: this.kernel.value, Nin, Nout, k, C, F,
      });
      return dx ? { ...input, data: dx } : null;
    };
    return { output, backward };
  }

  getConfig(): Record<string, unknown> {
    return {
      filters: this.filters,
      kernelSize: [this.window.size],
      strides: [this.window.stride],
      padding: this.window.padding,
      dilationRate: [this.window.dilation],
      activation: this.activation,
      useBias: this.useBias,
      kernelInitializer: this.kernelInitializer,
      biasInitializer: this.biasInitializer,
      kernelRegularizer: this.kernelRegularizer,
      biasRegularizer: this.biasRegularizer,
    };
  }
}
