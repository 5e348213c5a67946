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
 * state at its own last step (what Keras computes on a masked, padded batch). Time, masks,
 * direction and state handling live in rnn.ts.
 *
 * @example
 * const lstm = layers.lstm({ units: 32, returnSequences: true, inputShape: [null, 5] });
 */
import type { Random } from "../../core/random.js";
import { type ActivationName, CELL_ACTIVATIONS, activationId, parseActivation } from "../../core/kernels/activations.js";
import { kernels } from "../../core/kernels/registry.js";
import type { LstmForwardArgs } from "../../core/kernels/lstm.js";
import { initialize } from "../initializers.js";
import type { Variable } from "../layer.js";
import { type KernelCall, RNN, type RNNArgs, type RecurrentPass } from "./rnn.js";

export interface LSTMArgs extends RNNArgs {
  /** Default "sigmoid" (Keras 3). */
  recurrentActivation?: ActivationName;
  /** Default true: the forget gate's bias starts at 1. */
  unitForgetBias?: boolean;
}

export class LSTM extends RNN {
  readonly className = "LSTM";
  readonly stateCount = 2;
  readonly recurrentActivation: ActivationName;
  readonly unitForgetBias: boolean;
  private kernel!: Variable;
  private recurrentKernel!: Variable;
  private bias: Variable | null = null;

  constructor(args: LSTMArgs) {
    super(args, "lstm");
    this.recurrentActivation = parseActivation(args.recurrentActivation ?? "sigmoid", `lstm "${this.name}" recurrentActivation`, CELL_ACTIVATIONS);
    this.unitForgetBias = args.unitForgetBias ?? true;
  }

  protected createCellWeights(C: number, rng: Random): void {
    const H = this.units;
    this.kernel = this.addWeight("kernel", [C, 4 * H], initialize(this.kernelInitializer, [C, 4 * H], rng), true, this.kernelRegularizer);
    this.recurrentKernel = this.addWeight("recurrent_kernel", [H, 4 * H], initialize(this.recurrentInitializer, [H, 4 * H], rng), true, this.recurrentRegularizer);
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
      this.bias = this.addWeight("bias", [4 * H], b, true, this.biasRegularizer);
    }
  }

  protected runKernel(call: KernelCall): RecurrentPass {
    const act = activationId(this.activation);
    const recAct = activationId(this.recurrentActivation);
    const weights = { kernel: this.kernel.value, recurrentKernel: this.recurrentKernel.value, bias: this.bias?.value ?? null };
    const args: LstmForwardArgs = {
      layout: call.layout,
      x: call.x,
      C: call.C,
      H: this.units,
      weights,
      activation: act,
      recurrentActivation: recAct,
      h0: call.initial[0],
      c0: call.initial[1],
      ...(call.mask ? { mask: call.mask } : {}),
      ...(call.recurrentMask ? { recurrentMask: call.recurrentMask } : {}),
      needsGrad: call.needsGrad,
      slot: this, // a forward whose backward never ran is released by this layer's next forward
    };
    const cache = kernels().lstmForward(args);
    return {
      h: cache.h,
      finalStates: [cache.hLast, cache.cLast],
      backward: (dh, dFinal, needInputGrad) => {
        const { dx, dh0, dc0 } = kernels().lstmBackward({
          cache,
          weights,
          activation: act,
          recurrentActivation: recAct,
          dh,
          dhLast: dFinal[0],
          dcLast: dFinal[1],
          grads: { kernel: this.kernel.grad, recurrentKernel: this.recurrentKernel.grad, bias: this.bias?.grad ?? null },
          needInputGrad,
        });
        return { dx, dInitial: [dh0, dc0] };
      },
    };
  }

  getConfig(): Record<string, unknown> {
    return { ...this.baseConfig(), recurrentActivation: this.recurrentActivation, unitForgetBias: this.unitForgetBias };
  }
}
