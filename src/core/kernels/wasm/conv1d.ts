/**
 * Conv1D in WebAssembly SIMD: `wasmConv1dForward` / `wasmConv1dBackward`, the fast twins of
 * `conv1dForward` / `conv1dBackward` in ../conv1d.ts (the spec). Each call copies x, the tap
 * table and the kernel into wasm memory once; im2col and the GEMMs run in wasm. Anything they
 * cannot take (sizes that are not counts, arrays shorter than the shapes say, a tap outside x,
 * more memory than wasm may have) runs the reference.
 */
import { isCount } from "./_fits.js";
import { floatsAt, putFloats } from "./_copy.js";
import { conv1dBackward, conv1dForward, type Conv1dBackwardArgs, type Conv1dForwardArgs } from "../conv1d.js";
import { loadRaggedWasm, WasmArena } from "../../wasm/loader.js";

/** Every tap is −1 or a row of x. */
function tapsFit(taps: Int32Array, n: number, Nin: number): boolean {
  if (taps.length < n) return false;
  for (let i = 0; i < n; i++) if (taps[i] >= Nin || taps[i] < -1) return false;
  return true;
}

function sizesFit(Nout: number, k: number, C: number, F: number): boolean {
  return isCount(Nout) && isCount(k) && isCount(C) && isCount(F) && k > 0 && C > 0 && F > 0;
}

// x: [Nin,C], taps: [Nout,k], W: [k,C,F], b: [F] → out: [Nout,F]
export function wasmConv1dForward(args: Conv1dForwardArgs): void {
  const { out, x, taps, kernel, bias, Nout, k, C, F } = args;
  const wasm = loadRaggedWasm();
  const Nin = C > 0 ? Math.floor(x.length / C) : 0;
  const fits = sizesFit(Nout, k, C, F) && out.length >= Nout * F && kernel.length >= k * C * F &&
    (bias === null || bias.length >= F) && tapsFit(taps, Nout * k, Nin);
  if (wasm === null || !fits) return conv1dForward(args);
  if (Nout === 0) return;
  const arena = new WasmArena(wasm);
  const p = {
    out: arena.floats(Nout * F),
    x: arena.floats(Nin * C),
    taps: arena.reserve(Nout * k * 4),
    W: arena.floats(k * C * F),
    bias: bias ? arena.floats(F) : 0,
    scratch: arena.reserve(wasm.conv1dScratchBytes(Nout, k, C, F)),
  };
  if (!arena.commit()) return conv1dForward(args);
  const mem = arena.f32;
  putFloats(mem, p.x, x, Nin * C);
  arena.i32.set(taps.subarray(0, Nout * k), p.taps >> 2);
  putFloats(mem, p.W, kernel, k * C * F);
  if (bias) putFloats(mem, p.bias, bias, F);
  wasm.conv1dForward(p.out, p.x, p.taps, p.W, p.bias, Nout, k, C, F, p.scratch);
  out.set(floatsAt(arena.f32, p.out, Nout * F));
}

// dOut: [Nout,F] → dx: [Nin,C] (written), dW: [k,C,F] (+=), db: [F] (+=)
export function wasmConv1dBackward(args: Conv1dBackwardArgs): void {
  const { dx, dKernel, dBias, dOut, x, taps, kernel, Nin, Nout, k, C, F } = args;
  const wasm = loadRaggedWasm();
  const fits = sizesFit(Nout, k, C, F) && isCount(Nin) && x.length >= Nin * C && dOut.length >= Nout * F &&
    kernel.length >= k * C * F && dKernel.length >= k * C * F && (dBias === null || dBias.length >= F) &&
    (dx === null || dx.length >= Nin * C) && tapsFit(taps, Nout * k, Nin);
  if (wasm === null || !fits) return conv1dBackward(args);
  const arena = new WasmArena(wasm);
  const p = {
    dx: dx ? arena.floats(Nin * C) : 0,
    dW: arena.floats(k * C * F),
    db: dBias ? arena.floats(F) : 0,
    dOut: arena.floats(Nout * F),
    x: arena.floats(Nin * C),
    taps: arena.reserve(Nout * k * 4),
    W: arena.floats(k * C * F),
    scratch: arena.reserve(wasm.conv1dScratchBytes(Nout, k, C, F)),
  };
  if (!arena.commit()) return conv1dBackward(args);
  const mem = arena.f32;
  putFloats(mem, p.dW, dKernel, k * C * F);
  if (dBias) putFloats(mem, p.db, dBias, F);
  putFloats(mem, p.dOut, dOut, Nout * F);
  putFloats(mem, p.x, x, Nin * C);
  arena.i32.set(taps.subarray(0, Nout * k), p.taps >> 2);
  putFloats(mem, p.W, kernel, k * C * F);
  wasm.conv1dBackward(p.dx, p.dW, p.db, p.dOut, p.x, p.taps, p.W, Nin, Nout, k, C, F, p.scratch);
  const after = arena.f32;
  dKernel.set(floatsAt(after, p.dW, k * C * F));
  if (dBias) dBias.set(floatsAt(after, p.db, F));
  if (dx) dx.set(floatsAt(after, p.dx, Nin * C));
}
