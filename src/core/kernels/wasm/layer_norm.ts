/**
 * Layer normalization in WebAssembly SIMD: `wasmLayerNormForward` / `wasmLayerNormBackward`, the
 * fast twins of `layerNormForward` / `layerNormBackward` in ../layer_norm.ts (the spec). Each call
 * copies its inputs into wasm memory once and its results out; anything they cannot take (sizes
 * that are not counts, arrays shorter than the shapes say, more memory than wasm may have) runs
 * the reference.
 */
import { absentOrFits, isCount } from "./_fits.js";
import { floatsAt, putFloats } from "./_copy.js";
import { layerNormBackward, layerNormForward, type LayerNormBackwardArgs, type LayerNormForwardArgs } from "../layer_norm.js";
import { loadRaggedWasm, WasmArena } from "../../wasm/loader.js";

// x: [M,C], gamma, beta: [C] → out: [M,C], mean, rstd: [M]
export function wasmLayerNormForward(args: LayerNormForwardArgs): void {
  const { out, mean, rstd, x, gamma, beta, M, C, epsilon } = args;
  const wasm = loadRaggedWasm();
  const fits = isCount(M) && isCount(C) && C > 0 && x.length >= M * C && out.length >= M * C &&
    mean.length >= M && rstd.length >= M && absentOrFits(gamma, C) && absentOrFits(beta, C);
  if (wasm === null || !fits) return layerNormForward(args);
  if (M === 0) return;
  const arena = new WasmArena(wasm);
  const p = {
    x: arena.floats(M * C), // normalized in place: out
    mean: arena.floats(M),
    rstd: arena.floats(M),
    gamma: gamma ? arena.floats(C) : 0,
    beta: beta ? arena.floats(C) : 0,
  };
  if (!arena.commit()) return layerNormForward(args);
  const mem = arena.f32;
  putFloats(mem, p.x, x, M * C);
  if (gamma) putFloats(mem, p.gamma, gamma, C);
  if (beta) putFloats(mem, p.beta, beta, C);
  wasm.layerNormForward(p.x, p.mean, p.rstd, p.x, p.gamma, p.beta, M, C, epsilon);
  const res = arena.f32;
  out.set(floatsAt(res, p.x, M * C));
  mean.set(floatsAt(res, p.mean, M));
  rstd.set(floatsAt(res, p.rstd, M));
}

// dOut: [M,C] → dx: [M,C] (written), dGamma, dBeta: [C] (+=)
export function wasmLayerNormBackward(args: LayerNormBackwardArgs): void {
  const { dx, dGamma, dBeta, dOut, x, mean, rstd, gamma, M, C } = args;
  const wasm = loadRaggedWasm();
  const fits = isCount(M) && isCount(C) && C > 0 && x.length >= M * C && dOut.length >= M * C &&
    mean.length >= M && rstd.length >= M && absentOrFits(dx, M * C) &&
    absentOrFits(gamma, C) && absentOrFits(dGamma, C) && absentOrFits(dBeta, C);
  if (wasm === null || !fits) return layerNormBackward(args);
  if (M === 0) return;
  const arena = new WasmArena(wasm);
  const p = {
    dOut: arena.floats(M * C), // dx in place
    x: arena.floats(M * C),
    mean: arena.floats(M),
    rstd: arena.floats(M),
    gamma: gamma ? arena.floats(C) : 0,
    dGamma: dGamma ? arena.floats(C) : 0,
    dBeta: dBeta ? arena.floats(C) : 0,
  };
  if (!arena.commit()) return layerNormBackward(args);
  const mem = arena.f32;
  putFloats(mem, p.dOut, dOut, M * C);
  putFloats(mem, p.x, x, M * C);
  putFloats(mem, p.mean, mean, M);
  putFloats(mem, p.rstd, rstd, M);
  if (gamma) putFloats(mem, p.gamma, gamma, C);
  if (dGamma) putFloats(mem, p.dGamma, dGamma, C);
  if (dBeta) putFloats(mem, p.dBeta, dBeta, C);
  wasm.layerNormBackward(dx ? p.dOut : 0, p.dGamma, p.dBeta, p.dOut, p.x, p.mean, p.rstd, p.gamma, M, C);
  const res = arena.f32;
  if (dx) dx.set(floatsAt(res, p.dOut, M * C));
  if (dGamma) dGamma.set(floatsAt(res, p.dGamma, C));
  if (dBeta) dBeta.set(floatsAt(res, p.dBeta, C));
}
