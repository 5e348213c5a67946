/**
 * The kernel interface and the switch between implementations. Layers call `kernels()` and never
 * a specific implementation. The plain-TypeScript kernels are the spec and the fallback; faster
 * implementations (WebAssembly SIMD, threads) register themselves here and must match them.
 *
 * Configuration is passed in (`setKernels`), never read from the environment.
 */
import { attentionBackward, attentionForward } from "./attention.js";
import { conv1dBackward, conv1dForward } from "./conv1d.js";
import { crossentropy } from "./crossentropy.js";
import { gemm } from "./gemm.js";
import { batchNormBackward, batchNormForward, batchNormStatistics } from "./batch_norm.js";
import { gruBackward, gruForward } from "./gru.js";
import { layerNormBackward, layerNormForward } from "./layer_norm.js";
import { denseBackward, denseForward } from "./dense.js";
import { lstmBackward, lstmForward } from "./lstm.js";
import { simpleRnnBackward, simpleRnnForward } from "./simple_rnn.js";

export interface Kernels {
  /** Which implementation this is, e.g. "js" or "wasm-simd". */
  readonly name: string;
  gemm: typeof gemm;
  lstmForward: typeof lstmForward;
  lstmBackward: typeof lstmBackward;
  gruForward: typeof gruForward;
  gruBackward: typeof gruBackward;
  simpleRnnForward: typeof simpleRnnForward;
  simpleRnnBackward: typeof simpleRnnBackward;
  attentionForward: typeof attentionForward;
  attentionBackward: typeof attentionBackward;
  conv1dForward: typeof conv1dForward;
  conv1dBackward: typeof conv1dBackward;
  layerNormForward: typeof layerNormForward;
  layerNormBackward: typeof layerNormBackward;
  denseForward: typeof denseForward;
  denseBackward: typeof denseBackward;
  batchNormStatistics: typeof batchNormStatistics;
  batchNormForward: typeof batchNormForward;
  batchNormBackward: typeof batchNormBackward;
  crossentropy: typeof crossentropy;
}

export const jsKernels: Kernels = {
  name: "js",
  gemm,
  lstmForward,
  lstmBackward,
  gruForward,
  gruBackward,
  simpleRnnForward,
  simpleRnnBackward,
  attentionForward,
  attentionBackward,
  conv1dForward,
  conv1dBackward,
  layerNormForward,
  layerNormBackward,
  denseForward,
  denseBackward,
  batchNormStatistics,
  batchNormForward,
  batchNormBackward,
  crossentropy,
};

let active: Kernels = jsKernels;

/** The kernels in use. */
export function kernels(): Kernels {
  return active;
}

/** Selects the kernels to use from now on; returns the previous ones. */
export function setKernels(next: Kernels): Kernels {
  const previous = active;
  active = next;
  return previous;
}
