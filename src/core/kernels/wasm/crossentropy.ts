/**
 * Probability-form categorical crossentropy in WebAssembly: `wasmCrossentropy`, the fast twin of
 * `crossentropy` in ../crossentropy.ts (the spec). In JavaScript the seed's loss took 2.7–3.0 ms
 * of a 72 ms one-thread step (45–55 ns a row of 2, one `Math.log` each); here the rows, targets and
 * scales are copied in once and the values and gradient out once. Anything the kernel cannot take
 * runs the reference.
 */
import { absentOrFits, isCount } from "./_fits.js";
import { floatsAt, putFloats } from "./_copy.js";
import { crossentropy, type CrossentropyArgs } from "../crossentropy.js";
import { loadRaggedWasm, WasmArena } from "../../wasm/loader.js";

// pred, target: [rows, width], scale: [rows] → out: [rows], grad: [rows, width]
export function wasmCrossentropy(args: CrossentropyArgs): void {
  const { pred, target, rows, width, grad, scale, out } = args;
  const wasm = loadRaggedWasm();
  const n = rows * width;
  const fits = isCount(rows) && isCount(width) && pred.length >= n && target.length >= n && out.length >= rows && absentOrFits(grad, n) && absentOrFits(scale, rows);
  if (wasm === null || !fits) return crossentropy(args);
  if (rows === 0) return;
  const arena = new WasmArena(wasm);
  const p = {
    out: arena.floats(rows),
    grad: grad ? arena.floats(n) : 0,
    pred: arena.floats(n),
    target: arena.floats(n),
    scale: grad && scale ? arena.floats(rows) : 0, // only the gradient reads it
  };
  if (!arena.commit()) return crossentropy(args);
  const mem = arena.f32;
  putFloats(mem, p.pred, pred, n);
  putFloats(mem, p.target, target, n);
  if (p.scale) putFloats(mem, p.scale, scale as Float32Array, rows);
  wasm.crossentropy(p.out, p.grad, p.pred, p.target, p.scale, rows, width);
  const res = arena.f32;
  out.set(floatsAt(res, p.out, rows));
  if (grad) grad.set(floatsAt(res, p.grad, n));
}
