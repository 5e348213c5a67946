/**
 * Dense: y = activation(x·W + b) on the last axis. On sequences it applies to every real timestep
 * (one GEMM over all packed rows), which is what Keras' Dense does on 3-D input; the mask (the
 * layout) passes through unchanged.
 *
 * @example
 * const d = layers.dense({ units: 2, activation: "softmax" });
 */
import type { Random } from "../core/random.js";
import { RaggedError } from "../core/errors.js";
import { type ActivationName, parseActivation } from "../core/kernels/activations.js";
import { kernels } from "../core/kernels/registry.js";
import { wasmDenseForward } from "../core/kernels/wasm/dense.js";
import { stepArray } from "../core/step_buffers.js";
import type { ChainDense } from "../core/kernels/wasm/inference_chain.js";
import { type InitializerSpec, initialize, parseInitializer } from "./initializers.js";
import { type Regularizer, type RegularizerSpec, parseRegularizer } from "./regularizers.js";
import { type BaseLayerArgs, type ForwardContext, type ForwardResult, Layer, type Shape, type Variable, lastDim } from "./layer.js";
import { type LayerValue, ROWS_PLACEHOLDER, rowCount, wasmRowsOf, withData } from "./values.js";

export interface DenseArgs extends BaseLayerArgs {
  /** Output width. */
  units: number;
  /** Default `"linear"`. */
  activation?: ActivationName;
  /** Default true. */
  useBias?: boolean;
  /** Default `"glorotUniform"`. */
  kernelInitializer?: InitializerSpec;
  /** Default `"zeros"`. */
  biasInitializer?: InitializerSpec;
  kernelRegularizer?: RegularizerSpec;
  biasRegularizer?: RegularizerSpec;
}

export class Dense extends Layer {
  readonly className = "Dense";
  readonly units: number;
  readonly activation: ActivationName;
  readonly useBias: boolean;
  readonly kernelInitializer: InitializerSpec;
  readonly biasInitializer: InitializerSpec;
  readonly kernelRegularizer: Regularizer | null;
  readonly biasRegularizer: Regularizer | null;
  /** Row-wise: TimeDistributed may apply it to packed rows directly. */
  readonly rowWise = true;
  private kernel!: Variable;
  private bias: Variable | null = null;

  constructor(args: DenseArgs) {
    super(args, "dense");
    if (!Number.isInteger(args?.units) || args.units < 1) {
      throw new RaggedError("INVALID_ARGUMENT", "dense needs `units`, a positive integer.", { received: `units = ${String(args?.units)}` });
    }
    this.units = args.units;
    this.activation = parseActivation(args.activation ?? "linear", `dense "${this.name}"`);
    this.useBias = args.useBias ?? true;
    this.kernelInitializer = parseInitializer(args.kernelInitializer ?? "glorotUniform", "kernelInitializer");
    this.biasInitializer = parseInitializer(args.biasInitializer ?? "zeros", "biasInitializer");
    this.kernelRegularizer = parseRegularizer(args.kernelRegularizer, "kernelRegularizer");
    this.biasRegularizer = parseRegularizer(args.biasRegularizer, "biasRegularizer");
  }

  protected validateInputShape(inputShape: Shape): void {
    lastDim(inputShape, this.name);
  }

  protected createWeights(inputShape: Shape, rng: Random): void {
    const inDim = lastDim(inputShape, this.name);
    this.kernel = this.addWeight("kernel", [inDim, this.units], initialize(this.kernelInitializer, [inDim, this.units], rng), true, this.kernelRegularizer);
    if (this.useBias) this.bias = this.addWeight("bias", [this.units], initialize(this.biasInitializer, [this.units], rng), true, this.biasRegularizer);
  }

  computeOutputShape(inputShape: Shape): Shape {
    return [...inputShape.slice(0, -1), this.units];
  }

  // x: [M, C] rows (M = N steps or B sequences) → y: [M, U]
  /**
   * This layer as the last link of a wasm inference chain (NOTE [ inference chains ]), or null
   * where its forward would not run the wasm kernel (the link computes what that kernel does).
   */
  chainLink(): ChainDense | null {
    if (kernels().denseForward !== wasmDenseForward) return null;
    return { kind: "dense", H: this.units, kernel: this.kernel.value, bias: this.bias?.value ?? null, activation: this.activation };
  }

  forward(input: LayerValue, ctx: ForwardContext): ForwardResult {
    const C = input.width;
    const U = this.units;
    const M = rowCount(input);
    const y = stepArray(M * U); // every element written by the kernel; recycled inside a training step (NOTE [ step buffers ])
    // the input read where it lies when a recurrent layer kept it in wasm memory (NOTE [ rows kept
    // in wasm between layers ]): forward and backward both read it there, before that layer's backward
    const xRows = kernels().denseForward === wasmDenseForward ? (wasmRowsOf(input) ?? undefined) : undefined;
    const x = xRows ? ROWS_PLACEHOLDER : input.data;
    const shape = { M, C, U, activation: this.activation, ...(xRows ? { xRows } : {}) };
    kernels().denseForward({ y, x, kernel: this.kernel.value, bias: this.bias?.value ?? null, ...shape });
    const output = withData(input, y, U);
    const backward = (dOutput: LayerValue): LayerValue | null => {
      const dx = ctx.inputNeedsGrad ? stepArray(M * C) : null; // a model input: nobody reads dx
      kernels().denseBackward({ dx, kernelGrad: this.kernel.grad, biasGrad: this.bias?.grad ?? null, dy: dOutput.data, x, y, kernel: this.kernel.value, ...shape });
      return dx ? withData(input, dx, C) : null;
    };
    return { output, backward };
  }

  getConfig(): Record<string, unknown> {
    return {
      units: this.units,
      activation: this.activation,
      useBias: this.useBias,
      kernelInitializer: this.kernelInitializer,
      biasInitializer: this.biasInitializer,
      kernelRegularizer: this.kernelRegularizer,
      biasRegularizer: this.biasRegularizer,
    };
  }
}
