// A dense layer on rows in WebAssembly SIMD, forward and backward each in one call. The spec is
// src/core/kernels/dense.ts (read it first): the same products in the same order, the bias, then
// the activation (softmax stays in the caller: it is not element-wise). The activation is
// `vactDense`: the sigmoid through exp, relative error ≈ 2e-7 (a loss may take its log), tanh and
// the others as the recurrent kernels compute them.
//
// forward:  x: [M,C], W: [C,U], b: [U] (0: none) → y: [M,U] = act(x·W + b)
// backward: dz: [M,U] (dy on entry, dy ⊙ act'(y) after), y: [M,U], x: [M,C], W: [C,U]
//           → gW [C,U] += xᵀ·dz, gb [U] += Σ_rows dz (0: none), dx [M,C] = dz·Wᵀ (0: not wanted)
import { gemm, gemmScratchBytes } from "./gemm";
import { ACT_LINEAR, ACT_SIGMOID, ACT_TANH, vactDense, vdact } from "./math";
import { addColumnSums, addRowVector } from "./rows";

/** Bytes of scratch `denseForward` and `denseBackward` need (their largest GEMM's). */
export function denseScratchBytes(M: i32, C: i32, U: i32): i32 {
  return max(gemmScratchBytes(U, C, 0), max(gemmScratchBytes(U, M, 0), gemmScratchBytes(C, U, 1)));
}

export function denseForward(y: usize, x: usize, W: usize, b: usize, M: i32, C: i32, U: i32, act: i32, scratch: usize): void {
  gemm(y, x, W, M, U, C, 0, 0, 0, scratch);
  if (b != 0) addRowVector(y, b, M, U);
  // element-wise over all M·U values at once: a row of 2 outputs would be all tail
  const n = M * U;
  if (act == ACT_SIGMOID) activateAll(y, n, ACT_SIGMOID);
  else if (act == ACT_TANH) activateAll(y, n, ACT_TANH);
  else if (act != ACT_LINEAR) activateAll(y, n, act);
}

export function denseBackward(
  dx: usize, gW: usize, gb: usize, dz: usize, y: usize, x: usize, W: usize,
  M: i32, C: i32, U: i32, act: i32, scratch: usize,
): void {
  const n = M * U;
  if (act == ACT_SIGMOID) chainAll(dz, y, n, ACT_SIGMOID);
  else if (act == ACT_TANH) chainAll(dz, y, n, ACT_TANH);
  else if (act != ACT_LINEAR) chainAll(dz, y, n, act);
  gemm(gW, x, dz, C, U, M, 1, 0, 1, scratch);
  if (gb != 0) addColumnSums(gb, dz, M, U);
  if (dx != 0) gemm(dx, dz, W, M, C, U, 0, 1, 0, scratch);
}

/** p[0:n] ← act(p[0:n]) (with a constant `id` after inlining, the activation's switch folds away). */
@inline function activateAll(p: usize, n: i32, id: i32): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = p + (<usize>i << 2);
    v128.store(o, vactDense(id, v128.load(o)));
  }
  for (; i < n; i++) {
    const o = p + (<usize>i << 2);
    v128.store32_lane(o, vactDense(id, v128.load32_splat(o)), 0);
  }
}

/** dz[0:n] ← dz ⊙ act'(y), the derivative through the output y. */
@inline function chainAll(dz: usize, y: usize, n: i32, id: i32): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    v128.store(dz + o, f32x4.mul(v128.load(dz + o), vdact(id, v128.load(y + o))));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(dz + o, load<f32>(dz + o) * f32x4.extract_lane(vdact(id, v128.load32_splat(y + o)), 0));
  }
}
