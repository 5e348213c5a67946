/**
 * The WebAssembly SIMD kernels: the same `Kernels` interface as the plain-TypeScript reference
 * (gemm.ts, dense.ts, lstm.ts, gru.ts, simple_rnn.ts, attention.ts, conv1d.ts, layer_norm.ts, batch_norm.ts, crossentropy.ts — the spec), much faster. One file
 * per kernel family in wasm/ (wasm/gemm.ts, wasm/lstm.ts, …); this module is their public
 * face. Sources: src/core/wasm/assembly/; loading and memory: src/core/wasm/loader.ts (see NOTE
 * [ wasm memory ]).
 *
 * Every kernel tries the fast path first and falls back to the reference for anything it
 * cannot do — no WebAssembly SIMD, an activation it does not know, arrays shorter than the shapes
 * say, more than 2 GiB of wasm memory — as Keras' `backend.lstm` raises NotImplementedError and
 * `LSTM.inner_loop` runs the generic loop. A fallback is silent: the result is the spec's. The
 * shared checks are in wasm/_fits.ts.
 *
 * Each call copies its inputs into wasm memory once and runs entirely in wasm (all timesteps of a
 * recurrent layer included). A recurrent forward keeps its cache in wasm memory for its backward
 * (see `LstmCache`, and wasm/_kept_block.ts for the block's lifecycle) and copies out only what
 * layers read: h and the final states. Inputs are never written.
 */
import { wasmAttentionBackward, wasmAttentionForward } from "./wasm/attention.js";
import { wasmBatchNormBackward, wasmBatchNormForward, wasmBatchNormStatistics } from "./wasm/batch_norm.js";
import { wasmConv1dBackward, wasmConv1dForward } from "./wasm/conv1d.js";
import { wasmCrossentropy } from "./wasm/crossentropy.js";
import { wasmDenseBackward, wasmDenseForward } from "./wasm/dense.js";
import { wasmGemm } from "./wasm/gemm.js";
import { wasmGruBackward, wasmGruForward } from "./wasm/gru.js";
import { wasmLayerNormBackward, wasmLayerNormForward } from "./wasm/layer_norm.js";
import { wasmLstmBackward, wasmLstmForward } from "./wasm/lstm.js";
import { wasmSimpleRnnBackward, wasmSimpleRnnForward } from "./wasm/simple_rnn.js";
import { jsKernels, setKernels, type Kernels } from "./registry.js";
import { loadRaggedWasm, wasmSimdSupported as simdSupported } from "../wasm/loader.js";

export {
  wasmAttentionBackward, wasmAttentionForward, wasmBatchNormBackward, wasmBatchNormForward, wasmBatchNormStatistics, wasmConv1dBackward, wasmConv1dForward, wasmCrossentropy, wasmDenseBackward, wasmDenseForward, wasmGemm, wasmGruBackward, wasmGruForward,
  wasmLayerNormBackward, wasmLayerNormForward, wasmLstmBackward, wasmLstmForward, wasmSimpleRnnBackward, wasmSimpleRnnForward,
};

/**
 * Whether the WebAssembly SIMD kernels can run here (SIMD validates and the module loads).
 * @example
 * if (wasmSimdSupported()) setKernels(wasmKernels);
 */
export function wasmSimdSupported(): boolean {
  return simdSupported() && loadRaggedWasm() !== null;
}

/**
 * Compiles the wasm module asynchronously (see `preloadRaggedWasm`); call it once at start-up in
 * a browser whose main thread refuses synchronous compilation, before `useFastKernels()`.
 */
export { preloadRaggedWasm, wasmVariant } from "../wasm/loader.js";

/**
 * Switches `kernels()` to the WebAssembly SIMD kernels when this engine supports them.
 * @returns true when the wasm kernels are now active, false when the JS kernels stay.
 */
export function useFastKernels(): boolean {
  if (!wasmSimdSupported()) return false;
  setKernels(wasmKernels);
  return true;
}

/**
 * The WebAssembly SIMD kernels; each falls back to the JS reference when it must.
 *
 * This module reads `jsKernels` when it is evaluated, so registry.ts must not import it statically
 * (an import cycle would evaluate this first and hit `jsKernels` uninitialised): switch from an
 * entry point (`useFastKernels()`), or import it dynamically. (The kernels in wasm/ do not import
 * registry.ts.)
 */
export const wasmKernels: Kernels = {
  ...jsKernels,
  name: "wasm-simd",
  gemm: wasmGemm,
  lstmForward: wasmLstmForward,
  lstmBackward: wasmLstmBackward,
  simpleRnnForward: wasmSimpleRnnForward,
  simpleRnnBackward: wasmSimpleRnnBackward,
  gruForward: wasmGruForward,
  gruBackward: wasmGruBackward,
  attentionForward: wasmAttentionForward,
  attentionBackward: wasmAttentionBackward,
  conv1dForward: wasmConv1dForward,
  conv1dBackward: wasmConv1dBackward,
  layerNormForward: wasmLayerNormForward,
  layerNormBackward: wasmLayerNormBackward,
  denseForward: wasmDenseForward,
  denseBackward: wasmDenseBackward,
  batchNormStatistics: wasmBatchNormStatistics,
  batchNormForward: wasmBatchNormForward,
  batchNormBackward: wasmBatchNormBackward,
  crossentropy: wasmCrossentropy,
};
