/**
 * A dense layer on rows, plain TypeScript (the spec): the layer's forward and backward as one
 * kernel each, so the fast kernels can run a whole dense layer per call (src/core/kernels/wasm/dense.ts).
 *
 *   forward:  x: [M, C], kernel: [C, U], bias: [U] | null  →  y: [M, U] = act(x·kernel + bias)
 *   backward: dy: [M, U], with forward's x and y  →  dz = dy ⊙ act'(y) (softmax: the row Jacobian),
 *             kernelGrad [C, U] += xᵀ·dz,  biasGrad [U] += Σ_rows dz,  dx [M, C] = dz·kernelᵀ
 */
import { type ActivationName, activateInPlace, preActivationGrad } from "./activations.js";
import { addBias, gemm, sumRows } from "./gemm.js";
import type { ForwardRowsArgs } from "./wasm/wasm_rows.js";

/** (`xRows`: NOTE [ rows kept in wasm between layers ]; the same rows in forward and backward.) */
export interface DenseForwardArgs extends ForwardRowsArgs {
  /** [M, U], overwritten. */
  y: Float32Array;
  x: Float32Array;
  kernel: Float32Array;
  bias: Float32Array | null;
  M: number;
  C: number;
  U: number;
  activation: ActivationName;
}

export interface DenseBackwardArgs extends ForwardRowsArgs {
  /** [M, C], overwritten; null when the input needs no gradient. */
  dx: Float32Array | null;
  /** [C, U], accumulated. */
  kernelGrad: Float32Array;
  /** [U], accumulated; null without bias. */
  biasGrad: Float32Array | null;
  /** [M, U], the gradient of the output (not changed). */
  dy: Float32Array;
  /** Forward's input [M, C] and output [M, U]. */
  x: Float32Array;
  y: Float32Array;
  kernel: Float32Array;
  M: number;
  C: number;
  U: number;
  activation: ActivationName;
}

export function denseForward(args: DenseForwardArgs): void {
  const { y, x, kernel, bias, M, C, U, activation } = args;
  gemm({ out: y, a: x, b: kernel, M, N: U, K: C });
  if (bias) addBias(y, bias, M, U);
  activateInPlace(activation, y, M, U);
}

export function denseBackward(args: DenseBackwardArgs): void {
  const { dx, kernelGrad, biasGrad, dy, x, y, kernel, M, C, U, activation } = args;
  const dz = preActivationGrad(activation, dy, y, M, U);
  gemm({ out: kernelGrad, a: x, b: dz, M: C, N: U, K: M, transA: true, accumulate: true });
  if (biasGrad) sumRows(biasGrad, dz, M, U);
  if (dx) gemm({ out: dx, a: dz, b: kernel, M, N: C, K: U, transB: true });
}
