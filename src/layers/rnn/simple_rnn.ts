/**
 * SimpleRNN, Keras 3: h_t = activation(x_t·W + h_{t−1}·U + b); kernel [C, H], recurrentKernel
 * [H, H], bias [H]; activation tanh. The math is in kernels/simple_rnn.ts; time in rnn.ts.
 *
 * @example
 * layers.simpleRNN({ units: 8, inputShape: [null, 3] });
 */
import type { Random } from "../../core/random.js";
import { activationId } from "../../core/kernels/activations.js";
import { kernels } from "../../core/kernels/registry.js";
import { initialize } from "../initializers.js";
import type { Variable } from "../layer.js";
import { type KernelCall, RNN, type RNNArgs, type RecurrentPass } from "./rnn.js";

export type SimpleRNNArgs = RNNArgs;

export class SimpleRNN extends RNN {
  readonly className = "SimpleRNN";
  readonly stateCount = 1;
  private kernel!: Variable;
  private recurrentKernel!: Variable;
  private bias: Variable | null = null;

  constructor(args: SimpleRNNArgs) {
    super(args, "simple_rnn");
  }

  protected createCellWeights(C: number, rng: Random): void {
    const H = this.units;
    this.kernel = this.addWeight("kernel", [C, H], initialize(this.kernelInitializer, [C, H], rng), true, this.kernelRegularizer);
    this.recurrentKernel = this.addWeight("recurrent_kernel", [H, H], initialize(this.recurrentInitializer, [H, H], rng), true, this.recurrentRegularizer);
    if (this.useBias) this.bias = this.addWeight("bias", [H], initialize(this.biasInitializer, [H], rng), true, this.biasRegularizer);
  }

  protected runKernel(call: KernelCall): RecurrentPass {
    const act = activationId(this.activation);
    const weights = { kernel: this.kernel.value, recurrentKernel: this.recurrentKernel.value, bias: this.bias?.value ?? null };
    const cache = kernels().simpleRnnForward({
      layout: call.layout,
      x: call.x,
      C: call.C,
      H: this.units,
      weights,
      activation: act,
      h0: call.initial[0],
      ...(call.mask ? { mask: call.mask } : {}),
      ...(call.recurrentMask ? { recurrentMask: call.recurrentMask } : {}),
      needsGrad: call.needsGrad,
      slot: this, // a forward whose backward never ran is released by this layer's next forward
    });
    return {
      h: cache.h,
      finalStates: [cache.hLast],
      backward: (dh, dFinal, needInputGrad) => {
        const { dx, dh0 } = kernels().simpleRnnBackward({
          cache,
          weights,
          activation: act,
          dh,
          dhLast: dFinal[0],
          grads: { kernel: this.kernel.grad, recurrentKernel: this.recurrentKernel.grad, bias: this.bias?.grad ?? null },
          needInputGrad,
        });
        return { dx, dInitial: [dh0] };
      },
    };
  }

  getConfig(): Record<string, unknown> {
    return this.baseConfig();
  }
}
