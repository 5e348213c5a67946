/**
 * Batch normalization in WebAssembly SIMD: `wasmBatchNormStatistics` / `wasmBatchNormForward` /
 * `wasmBatchNormBackward`, the fast twins of the functions in ../batch_norm.ts (the spec). Each call
 * copies its inputs into wasm memory once and its results out; anything they cannot take (sizes that
 * are not counts, arrays shorter than the shapes say, more memory than wasm may have) runs the
 * reference.
 */
import { absentOrFits, isCount } from "./_fits.js";
import { floatsAt, putFloats } from "./_copy.js";
import {
  batchNormBackward, batchNormForward, batchNormStatistics,
  type BatchNormBackwardArgs, type BatchNormForwardArgs, type BatchNormStatsArgs,
} from "../batch_norm.js";
import { loadRaggedWasm, WasmArena } from "../../wasm/loader.js";

function shapeFits(M: number, C: number, x: Float32Array, rowMask: Uint8Array | null): boolean {
  return isCount(M) && isCount(C) && C > 0 && x.length >= M * C && (rowMask === null || rowMask.length >= M);
}

// x: [M,C], rowMask: [M] → mean, variance: [C]; returns R, the rows that counted
export function wasmBatchNormStatistics(args: BatchNormStatsArgs): number {
  const { mean, variance, x, rowMask, M, C } = args;
  const wasm = loadRaggedWasm();
  if (wasm === null || !shapeFits(M, C, x, rowMask) || mean.length < C || variance.length < C) return batchNormStatistics(args);
  const arena = new WasmArena(wasm);
  const p = { mean: arena.floats(C), variance: arena.floats(C), x: arena.floats(M * C), rowMask: rowMask ? arena.reserve(M) : 0 };
  if (!arena.commit()) return batchNormStatistics(args);
  putFloats(arena.f32, p.x, x, M * C);
  if (rowMask) new Uint8Array(wasm.memory.buffer, p.rowMask, M).set(rowMask.subarray(0, M));
  const R = wasm.batchNormStatistics(p.mean, p.variance, p.x, p.rowMask, M, C);
  const res = arena.f32;
  mean.set(floatsAt(res, p.mean, C));
  variance.set(floatsAt(res, p.variance, C));
  return R;
}

// x: [M,C], mean, variance: [C] → out: [M,C]
export function wasmBatchNormForward(args: BatchNormForwardArgs): void {
  const { out, x, mean, variance, gamma, beta, M, C, epsilon } = args;
  const wasm = loadRaggedWasm();
  const fits = shapeFits(M, C, x, null) && out.length >= M * C && mean.length >= C && variance.length >= C && absentOrFits(gamma, C) && absentOrFits(beta, C);
  if (wasm === null || !fits) return batchNormForward(args);
  if (M === 0) return;
  const arena = new WasmArena(wasm);
  const p = {
    x: arena.floats(M * C), // normalized in place: out
    mean: arena.floats(C),
    variance: arena.floats(C),
    gamma: gamma ? arena.floats(C) : 0,
    beta: beta ? arena.floats(C) : 0,
    scratch: arena.floats(C),
  };
  if (!arena.commit()) return batchNormForward(args);
  const mem = arena.f32;
  putFloats(mem, p.x, x, M * C);
  putFloats(mem, p.mean, mean, C);
  putFloats(mem, p.variance, variance, C);
  if (gamma) putFloats(mem, p.gamma, gamma, C);
  if (beta) putFloats(mem, p.beta, beta, C);
  wasm.batchNormForward(p.x, p.x, p.mean, p.variance, p.gamma, p.beta, M, C, epsilon, p.scratch);
  out.set(floatsAt(arena.f32, p.x, M * C));
}

// dOut: [M,C] → dx: [M,C] (written), dGamma, dBeta: [C] (+=)
export function wasmBatchNormBackward(args: BatchNormBackwardArgs): void {
  const { dx, dGamma, dBeta, dOut, x, mean, variance, gamma, rowMask, count, batchStatistics, M, C, epsilon } = args;
  const wasm = loadRaggedWasm();
  const fits = shapeFits(M, C, x, rowMask) && dOut.length >= M * C && mean.length >= C && variance.length >= C &&
    absentOrFits(dx, M * C) && absentOrFits(gamma, C) && absentOrFits(dGamma, C) && absentOrFits(dBeta, C) && isCount(count);
  if (wasm === null || !fits) return batchNormBackward(args);
  if (M === 0) return;
  const arena = new WasmArena(wasm);
  const p = {
    dOut: arena.floats(M * C), // dx in place
    x: arena.floats(M * C),
    mean: arena.floats(C),
    variance: arena.floats(C),
    gamma: gamma ? arena.floats(C) : 0,
    dGamma: dGamma ? arena.floats(C) : 0,
    dBeta: dBeta ? arena.floats(C) : 0,
    rowMask: rowMask ? arena.reserve(M) : 0,
    scratch: arena.reserve(wasm.batchNormBackwardScratchBytes(C)),
  };
  if (!arena.commit()) return batchNormBackward(args);
  const mem = arena.f32;
  putFloats(mem, p.dOut, dOut, M * C);
  putFloats(mem, p.x, x, M * C);
  putFloats(mem, p.mean, mean, C);
  putFloats(mem, p.variance, variance, C);
  if (gamma) putFloats(mem, p.gamma, gamma, C);
  if (dGamma) putFloats(mem, p.dGamma, dGamma, C);
  if (dBeta) putFloats(mem, p.dBeta, dBeta, C);
  if (rowMask) new Uint8Array(wasm.memory.buffer, p.rowMask, M).set(rowMask.subarray(0, M));
  wasm.batchNormBackward(dx ? p.dOut : 0, p.dGamma, p.dBeta, p.dOut, p.x, p.mean, p.variance, p.gamma, p.rowMask, count, batchStatistics ? 1 : 0, M, C, epsilon, p.scratch);
  const res = arena.f32;
  if (dx) dx.set(floatsAt(res, p.dOut, M * C));
  if (dGamma) dGamma.set(floatsAt(res, p.dGamma, C));
  if (dBeta) dBeta.set(floatsAt(res, p.dBeta, C));
}
