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
import type { ChainRecurrent } from "../../core/kernels/wasm/inference_chain.js";
import { wasmGruForward } from "../../core/kernels/wasm/gru.js";
import { type KernelCall, RNN, type RNNArgs, type RecurrentPass, kernelPass } from "./rnn.js";

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

  constructor(args: GRUArgs) {
    super(args, "gru");
    this.recurrentActivation = parseActivation(args.recurrentActivation ?? "sigmoid", `gru "${this.name}" recurrentActivation`, CELL_ACTIVATIONS);
    this.resetAfter = args.resetAfter ?? true;
  }

  protected createCellWeights(C: number, rng: Random): void {
    const G = 3 * this.units;
    this.addCellWeights(C, 3, rng, this.resetAfter ? [2, G] : [G]);
  }

  protected runKernel(call: KernelCall): RecurrentPass {
    const act = activationId(this.activation);
    const recAct = activationId(this.recurrentActivation);
    const args = { ...this.commonKernelArgs(call), activation: act, recurrentActivation: recAct, resetAfter: this.resetAfter };
    const cache = kernels().gruForward(args);
    return kernelPass(cache, [cache.hLast], (dh, dFinal, needInputGrad, rows) => {
      const common = this.commonBackwardArgs(cache, args.weights, dh, dFinal, needInputGrad, rows);
      const result = kernels().gruBackward({ ...common, activation: act, recurrentActivation: recAct });
      return { result, dInitial: [result.dh0] };
    });
  }

  protected override readsWasmRows(): boolean {
    return kernels().gruForward === wasmGruForward;
  }

  override chainLink(reversed = false): ChainRecurrent | null {
    if (!this.plainInference(reversed) || kernels().gruForward !== wasmGruForward) return null;
    return {
      kind: "gru", H: this.units, weights: this.cellWeights(), activation: activationId(this.activation),
      recurrentActivation: activationId(this.recurrentActivation), resetAfter: this.resetAfter,
    };
  }

  getConfig(): Record<string, unknown> {
    return { ...this.baseConfig(), recurrentActivation: this.recurrentActivation, resetAfter: this.resetAfter };
  }
}
