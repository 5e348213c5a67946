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
import type { ChainRecurrent } from "../../core/kernels/wasm/inference_chain.js";
import { wasmSimpleRnnForward } from "../../core/kernels/wasm/simple_rnn.js";
import { type KernelCall, RNN, type RNNArgs, type RecurrentPass, kernelPass } from "./rnn.js";

export type SimpleRNNArgs = RNNArgs;

export class SimpleRNN extends RNN {
  readonly className = "SimpleRNN";
  readonly stateCount = 1;

  constructor(args: SimpleRNNArgs) {
    super(args, "simple_rnn");
  }

  protected createCellWeights(C: number, rng: Random): void {
    this.addCellWeights(C, 1, rng, [this.units]);
  }

  protected runKernel(call: KernelCall): RecurrentPass {
    const act = activationId(this.activation);
    const args = { ...this.commonKernelArgs(call), activation: act };
    const cache = kernels().simpleRnnForward(args);
    return kernelPass(cache, [cache.hLast], (dh, dFinal, needInputGrad, rows) => {
      const common = this.commonBackwardArgs(cache, args.weights, dh, dFinal, needInputGrad, rows);
      const result = kernels().simpleRnnBackward({ ...common, activation: act });
      return { result, dInitial: [result.dh0] };
    });
  }

  protected override readsWasmRows(): boolean {
    return kernels().simpleRnnForward === wasmSimpleRnnForward;
  }

  override chainLink(reversed = false): ChainRecurrent | null {
    if (!this.plainInference(reversed) || kernels().simpleRnnForward !== wasmSimpleRnnForward) return null;
    return { kind: "simpleRnn", H: this.units, weights: this.cellWeights(), activation: activationId(this.activation) };
  }

  getConfig(): Record<string, unknown> {
    return this.baseConfig();
  }
}
