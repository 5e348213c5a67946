/**
 * MaxPooling1D and AveragePooling1D: windows of `poolSize` steps every `strides` steps (default
 * `poolSize`), each sequence pooled within its own length as if it were alone (NOTE [ windows over
 * ragged sequences ] in _internal/windows.ts). `same` padding leaves the sequence's own edges out
 * of the window, as TensorFlow does (the average divides by the steps present). Output lengths
 * follow per sequence; a sequence shorter than a `valid` window has length 0.
 *
 * Porting note: Keras' pooling layers ignore masks; ragged never pools a batch's padding, and
 * equals Keras run on each sequence alone.
 *
 * @example
 * sequential([layers.conv1d({ filters: 8, kernelSize: 3, inputShape: [null, 4] }), layers.maxPooling1D({ poolSize: 2 })]);
 */
import type { Random } from "../core/random.js";
import { RaggedError } from "../core/errors.js";
import { avgPool1dBackward, avgPool1dForward, maxPool1dBackward, maxPool1dForward } from "../core/kernels/pool1d.js";
import { type BaseLayerArgs, type ForwardContext, type ForwardResult, Layer, type Shape, formatShape, lastDim } from "./layer.js";
import type { LayerValue, SequenceValue } from "./values.js";
import { type Window, type WindowPlan, checkWindow, scalarOf, windowOutputDim, windowLengthKey, windowOutputLengths, windowPlan } from "./_internal/windows.js";

export interface Pooling1DArgs extends BaseLayerArgs {
  /** Steps per window (default 2; a number or Keras' one-element list). */
  poolSize?: number | [number];
  /** Steps between windows (default `poolSize`). */
  strides?: number | [number] | null;
  /** Default "valid". */
  padding?: "valid" | "same";
}

abstract class Pooling1D extends Layer {
  readonly window: Window;

  constructor(args: Pooling1DArgs, base: string) {
    super(args, base);
    const size = scalarOf(args?.poolSize ?? 2);
    const stride = scalarOf(args?.strides ?? size);
    const padding = typeof args?.padding === "string" ? args.padding.toLowerCase() : (args?.padding ?? "valid");
    const w = { size, stride, dilation: 1, padding };
    checkWindow(`${base} "${this.name}"`, w, { size: "poolSize", stride: "strides" }, ["valid", "same"]);
    this.window = w as Window;
  }

  protected validateInputShape(inputShape: Shape): void {
    if (inputShape.length !== 3) {
      throw new RaggedError("SHAPE_MISMATCH", `${this.className} "${this.name}" pools over time and needs sequences.`, {
        expected: "input shape (batch, timesteps, features)",
        received: formatShape(inputShape),
      });
    }
    lastDim(inputShape, this.name);
    const T = inputShape[1];
    if (T !== null && windowOutputDim(T, this.window) === 0) {
      throw new RaggedError("SHAPE_MISMATCH", `${this.className} "${this.name}": the window does not fit in the input's ${T} steps.`, {
        expected: `at least ${this.window.size} steps for poolSize ${this.window.size} with padding "valid"`,
        received: `input shape ${formatShape(inputShape)}`,
        help: 'use padding: "same", a smaller poolSize, or leave the length unknown (null) so short sequences give length 0',
      });
    }
  }

  protected createWeights(_inputShape: Shape, _rng: Random): void {}

  computeOutputShape(inputShape: Shape): Shape {
    return [inputShape[0], windowOutputDim(inputShape[1], this.window), inputShape[2]];
  }

  /** Each sequence's output length (caller order) for its input length. */
  override outputLengths(inputLengths: Int32Array): Int32Array {
    return windowOutputLengths(inputLengths, this.window);
  }

  override get lengthMapKey(): string {
    return windowLengthKey(this.window);
  }

  protected plan(input: LayerValue): { input: SequenceValue; plan: WindowPlan } {
    if (input.kind !== "sequence") {
      throw new RaggedError("SHAPE_MISMATCH", `${this.className} "${this.name}" needs sequences as input, but received one vector per sequence.`);
    }
    return { input, plan: windowPlan(input.layout, input.mask, this.window) };
  }

  getConfig(): Record<string, unknown> {
    return { poolSize: [this.window.size], strides: [this.window.stride], padding: this.window.padding };
  }
}

export class MaxPooling1D extends Pooling1D {
  readonly className = "MaxPooling1D";

  constructor(args: Pooling1DArgs = {}) {
    super(args, "max_pooling1d");
  }

  // x: [Nin, C] → out: [Nout, C] (max over each window's present steps)
  forward(value: LayerValue, ctx: ForwardContext): ForwardResult {
    const { input, plan } = this.plan(value);
    const C = input.width;
    const Nin = input.layout.totalSteps;
    const Nout = plan.layout.totalSteps;
    const out = new Float32Array(Nout * C);
    const argmax = new Int32Array(Nout * C);
    maxPool1dForward({ out, argmax, x: input.data, taps: plan.taps, Nout, k: this.window.size, C });
    return {
      output: { kind: "sequence", layout: plan.layout, data: out, width: C, mask: plan.mask },
      backward: (d) => {
        if (!ctx.inputNeedsGrad) return null;
        const dx = new Float32Array(Nin * C);
        maxPool1dBackward({ dx, dOut: d.data, argmax, Nin, Nout, C });
        return { ...input, data: dx };
      },
    };
  }
}

export class AveragePooling1D extends Pooling1D {
  readonly className = "AveragePooling1D";

  constructor(args: Pooling1DArgs = {}) {
    super(args, "average_pooling1d");
  }

  // x: [Nin, C] → out: [Nout, C] (mean over each window's present steps)
  forward(value: LayerValue, ctx: ForwardContext): ForwardResult {
    const { input, plan } = this.plan(value);
    const C = input.width;
    const Nin = input.layout.totalSteps;
    const Nout = plan.layout.totalSteps;
    const k = this.window.size;
    const out = new Float32Array(Nout * C);
    avgPool1dForward({ out, x: input.data, taps: plan.taps, Nout, k, C });
    return {
      output: { kind: "sequence", layout: plan.layout, data: out, width: C, mask: plan.mask },
      backward: (d) => {
        if (!ctx.inputNeedsGrad) return null;
        const dx = new Float32Array(Nin * C);
        avgPool1dBackward({ dx, dOut: d.data, taps: plan.taps, Nin, Nout, k, C });
        return { ...input, data: dx };
      },
    };
  }
}
