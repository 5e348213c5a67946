/**
 * GRU (Cho et al. 2014), Keras 3 semantics and defaults: kernel [C, 3H], recurrentKernel [H, 3H],
 * gates z | r | h, activation tanh, recurrentActivation sigmoid, `resetAfter: true` (bias [2, 3H]:
 * input bias, recurrent bias; the reset gate applied after the recurrent product — the cuDNN form)
 * or `resetAfter: false` (bias [3H]). The math is in kernels/gru.ts; time in rnn.ts.
 *
 * Porting note: TF.js' GRU has only the `resetAfter: false` form (and defaults
 * `recurrentActivation` to "hardSigmoid"); Keras 3 defaults to `resetAfter: true`, as ragged does.
 *
 * @example
 * layers.gru({ units: 16, returnSequences: true, inputShape: [null, 8] });
 */
import type { Random } from "../../core/random.js";
import { type ActivationName, CELL_ACTIVATIONS, activationId, parseActivation } from "../../core/kernels/activations.js";
import { kernels } from "../../core/kernels/registry.js";
import { initialize } from "../initializers.js";
import type { Variable } from "../layer.js";
import { type KernelCall, RNN, type RNNArgs, type RecurrentPass } from "./rnn.js";

export interface GRUArgs extends RNNArgs {
  /** Default "sigmoid" (Keras 3). */
  recurrentActivation?: ActivationName;
  /** Default true (Keras 3): bias [2, 3H] and the reset gate applied after the recurrent product. */
  resetAfter?: boolean;
}

export class GRU extends RNN {
  readonly className = "GRU";
  readonly stateCount = 1;
  readonly recurrentActivation: ActivationName;
  readonly resetAfter: boolean;
  private kernel!: Variable;
  private recurrentKernel!: Variable;
  private bias: Variable | null = null;

  constructor(args: GRUArgs) {
    super(args, "gru");
    this.recurrentActivation = parseActivation(args.recurrentActivation ?? "sigmoid", `gru "${this.name}" recurrentActivation`, CELL_ACTIVATIONS);
    this.resetAfter = args.resetAfter ?? true;
  }

  protected createCellWeights(C: number, rng: Random): void {
    const H = this.units;
    this.kernel = this.addWeight("kernel", [C, 3 * H], initialize(this.kernelInitializer, [C, 3 * H], rng), true, this.kernelRegularizer);
    this.recurrentKernel = this.addWeight("recurrent_kernel", [H, 3 * H], initialize(this.recurrentInitializer, [H, 3 * H], rng), true, this.recurrentRegularizer);
    if (this.useBias) {
      const shape = this.resetAfter ? [2, 3 * H] : [3 * H];
      this.bias = this.addWeight("bias", shape, initialize(this.biasInitializer, shape, rng), true, this.biasRegularizer);
    }
  }

  protected runKernel(call: KernelCall): RecurrentPass {
    const act = activationId(this.activation);
    const recAct = activationId(this.recurrentActivation);
    const weights = { kernel: this.kernel.value, recurrentKernel: this.recurrentKernel.value, bias: this.bias?.value ?? null };
    const cache = kernels().gruForward({
      layout: call.layout,
      x: call.x,
      C: call.C,
      H: this.units,
      weights,
      activation: act,
      recurrentActivation: recAct,
      resetAfter: this.resetAfter,
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
        const { dx, dh0 } = kernels().gruBackward({
          cache,
          weights,
          activation: act,
          recurrentActivation: recAct,
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
    return { ...this.baseConfig(), recurrentActivation: this.recurrentActivation, resetAfter: this.resetAfter };
  }
}
