// The module's exports: the kernels on pointers, their scratch sizes, and the test hooks.
// Memory is managed by the caller (src/core/wasm/loader.ts): everything from `heapBase()` up is
// the caller's; this module owns only its static data below it.
export { gemm, gemmScratchBytes } from "./gemm";
export { lstmForward, lstmForwardScratchBytes, lstmInfer, lstmInferScratchBytes, lstmBackward, lstmBackwardScratchBytes } from "./lstm";
export { gruForward, gruInfer, gruBackward, gruScratchBytes } from "./gru";
export { simpleRnnForward, simpleRnnBackward, simpleRnnScratchBytes } from "./simple_rnn";
export { attentionForward, attentionBackward, attentionScratchBytes } from "./attention";
export { conv1dForward, conv1dBackward, conv1dScratchBytes } from "./conv1d";
export { layerNormForward, layerNormBackward } from "./layer_norm";
export { denseForward, denseBackward, denseScratchBytes } from "./dense";
export { batchNormStatistics, batchNormForward, batchNormBackward, batchNormBackwardScratchBytes } from "./batch_norm";
export { crossentropy } from "./crossentropy";
export { activateArray, activateDenseArray, expArray } from "./math";

/** The first byte the caller may use. */
export function heapBase(): usize {
  return (__heap_base + 15) & ~<usize>15;
}
