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
import type { ChainRecurrent } from "../../core/kernels/wasm/inference_chain.js";
import { wasmLstmForward } from "../../core/kernels/wasm/lstm.js";
import { initialize } from "../initializers.js";
import { type KernelCall, RNN, type RNNArgs, type RecurrentPass, kernelPass } from "./rnn.js";

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

  constructor(args: LSTMArgs) {
    super(args, "lstm");
    this.recurrentActivation = parseActivation(args.recurrentActivation ?? "sigmoid", `lstm "${this.name}" recurrentActivation`, CELL_ACTIVATIONS);
    this.unitForgetBias = args.unitForgetBias ?? true;
  }

  protected createCellWeights(C: number, rng: Random): void {
    const H = this.units;
    // Keras' unit_forget_bias: concatenate([bias_init((H,)), ones((H,)), bias_init((2H,))])
    const unitForget = (r: Random) => {
      const b = new Float32Array(4 * H);
      b.set(initialize(this.biasInitializer, [H], r), 0);
      b.fill(1, H, 2 * H);
      b.set(initialize(this.biasInitializer, [2 * H], r), 2 * H);
      return b;
    };
    this.addCellWeights(C, 4, rng, [4 * H], this.unitForgetBias ? unitForget : undefined);
  }

  protected runKernel(call: KernelCall): RecurrentPass {
    const act = activationId(this.activation);
    const recAct = activationId(this.recurrentActivation);
    const args: LstmForwardArgs = { ...this.commonKernelArgs(call), activation: act, recurrentActivation: recAct, c0: call.initial[1] };
    const cache = kernels().lstmForward(args);
    return kernelPass(cache, [cache.hLast, cache.cLast], (dh, dFinal, needInputGrad, rows) => {
      const common = this.commonBackwardArgs(cache, args.weights, dh, dFinal, needInputGrad, rows);
      const result = kernels().lstmBackward({ ...common, activation: act, recurrentActivation: recAct, dcLast: dFinal[1] });
      return { result, dInitial: [result.dh0, result.dc0] };
    });
  }

  protected override readsWasmRows(): boolean {
    return kernels().lstmForward === wasmLstmForward;
  }

  override chainLink(reversed = false): ChainRecurrent | null {
    if (!this.plainInference(reversed) || kernels().lstmForward !== wasmLstmForward) return null;
    return { kind: "lstm", H: this.units, weights: this.cellWeights(), activation: activationId(this.activation), recurrentActivation: activationId(this.recurrentActivation) };
  }

  getConfig(): Record<string, unknown> {
    return { ...this.baseConfig(), recurrentActivation: this.recurrentActivation, unitForgetBias: this.unitForgetBias };
  }
}
