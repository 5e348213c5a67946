/**
 * A dense layer in WebAssembly SIMD: `wasmDenseForward` / `wasmDenseBackward`, the fast twins of
 * `denseForward` / `denseBackward` in ../dense.ts (the spec). One call per layer and direction:
 * the GEMMs, the bias, the activation and its derivative run in wasm memory, with the inputs
 * copied in once and the results out once (before, each GEMM copied its operands in and out and
 * the bias, activation and bias gradient ran in JavaScript: 4.6 of the seed's 72 ms one-thread
 * step for its dense head). Softmax, not element-wise, runs in JavaScript on the output (and its
 * Jacobian on the gradient), the rest in wasm. Anything the kernel cannot take runs the reference.
 */
import { absentOrFits, isCount } from "./_fits.js";
import { floatsAt, putFloats } from "./_copy.js";
import { Act, type ActivationName, activateInPlace, activationId, preActivationGrad } from "../activations.js";
import { denseBackward, denseForward, type DenseBackwardArgs, type DenseForwardArgs } from "../dense.js";
import { loadRaggedWasm, WasmArena } from "../../wasm/loader.js";
import { readableInput, withInputArray } from "./wasm_rows.js";

/**
 * The activation id the wasm kernel applies for `activation`: linear for softmax, which is not
 * element-wise and runs in JavaScript on the kernel's output (its Jacobian on the gradient).
 * The inference chain's dense link (inference_chain.ts) uses it too, so it computes what this does.
 */
export function wasmDenseActivation(activation: ActivationName): number {
  return activation === "softmax" ? Act.Linear : activationId(activation);
}

// x: [M,C], kernel: [C,U], bias: [U] → y: [M,U]
export function wasmDenseForward(given: DenseForwardArgs): void {
  const wasm = loadRaggedWasm();
  const args = readableInput(given, wasm, given.M * given.C); // xRows, if any, read in place
  const { y, x, kernel, bias, M, C, U, activation, xRows } = args;
  const fits = isCount(M) && isCount(C) && isCount(U) && C > 0 && U > 0 && (xRows !== undefined || x.length >= M * C) && y.length >= M * U && kernel.length >= C * U && absentOrFits(bias, U);
  if (wasm === null || !fits) return denseForward(withInputArray(args));
  if (M === 0) return;
  const arena = new WasmArena(wasm);
  const p = { y: arena.floats(M * U), x: xRows ? xRows.ptr : arena.floats(M * C), W: arena.floats(C * U), b: bias ? arena.floats(U) : 0, scratch: arena.reserve(wasm.denseScratchBytes(M, C, U)) };
  if (!arena.commit()) return denseForward(withInputArray(args));
  const mem = arena.f32;
  if (!xRows) putFloats(mem, p.x, x, M * C);
  putFloats(mem, p.W, kernel, C * U);
  if (bias) putFloats(mem, p.b, bias, U);
  wasm.denseForward(p.y, p.x, p.W, p.b, M, C, U, wasmDenseActivation(activation), p.scratch);
  y.set(floatsAt(arena.f32, p.y, M * U));
  if (activation === "softmax") activateInPlace("softmax", y, M, U);
}

// dy: [M,U] → kernelGrad [C,U] +=, biasGrad [U] +=, dx [M,C]
export function wasmDenseBackward(given: DenseBackwardArgs): void {
  const wasm = loadRaggedWasm();
  const args = readableInput(given, wasm, given.M * given.C); // xRows, if any, read in place
  const { dx, kernelGrad, biasGrad, dy, x, y, kernel, M, C, U, activation, xRows } = args;
  const fits = isCount(M) && isCount(C) && isCount(U) && C > 0 && U > 0 && (xRows !== undefined || x.length >= M * C) && y.length >= M * U && dy.length >= M * U &&
    kernel.length >= C * U && kernelGrad.length >= C * U && absentOrFits(biasGrad, U) && absentOrFits(dx, M * C);
  if (wasm === null || !fits) return denseBackward(withInputArray(args));
  if (M === 0) return;
  // softmax's row Jacobian in JavaScript (the spec's), then a linear layer's backward in wasm
  const act = wasmDenseActivation(activation);
  const dz = activation === "softmax" ? preActivationGrad("softmax", dy, y, M, U) : dy;
  const arena = new WasmArena(wasm);
  const p = {
    dz: arena.floats(M * U),
    y: act === Act.Linear ? 0 : arena.floats(M * U),
    x: xRows ? xRows.ptr : arena.floats(M * C),
    W: dx ? arena.floats(C * U) : 0,
    gW: arena.floats(C * U),
    gb: biasGrad ? arena.floats(U) : 0,
    dx: dx ? arena.floats(M * C) : 0,
    scratch: arena.reserve(wasm.denseScratchBytes(M, C, U)),
  };
  if (!arena.commit()) return denseBackward(withInputArray(args));
  const mem = arena.f32;
  putFloats(mem, p.dz, dz, M * U);
  if (p.y) putFloats(mem, p.y, y, M * U);
  if (!xRows) putFloats(mem, p.x, x, M * C);
  if (dx) putFloats(mem, p.W, kernel, C * U);
  putFloats(mem, p.gW, kernelGrad, C * U);
  if (biasGrad) putFloats(mem, p.gb, biasGrad, U);
  wasm.denseBackward(p.dx, p.gW, p.gb, p.dz, p.y, p.x, p.W, M, C, U, act, p.scratch);
  const res = arena.f32;
  kernelGrad.set(floatsAt(res, p.gW, C * U));
  if (biasGrad) biasGrad.set(floatsAt(res, p.gb, U));
  if (dx) dx.set(floatsAt(res, p.dx, M * C));
}
