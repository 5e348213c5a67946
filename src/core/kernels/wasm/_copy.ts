/**
 * Copying floats into and out of wasm memory. `mem` is a float view of the whole memory
 * (`WasmArena.f32`, taken again after any call that may grow it); `at` is a byte address.
 */

/** Copies the first `n` floats of `src` to `at`. */
export function putFloats(mem: Float32Array, at: number, src: Float32Array, n: number): void {
  mem.set(src.subarray(0, n), at >> 2);
}

/** Copies the first `n` floats of `src` to `at`, or zeros without one (e.g. no gradient from above). */
export function putFloatsOrZeros(mem: Float32Array, at: number, src: Float32Array | null, n: number): void {
  if (src) putFloats(mem, at, src, n);
  else mem.fill(0, at >> 2, (at >> 2) + n);
}

/** A view (not a copy) of the `n` floats at `at`: `.slice()` it to keep it past the next call. */
export function floatsAt(mem: Float32Array, at: number, n: number): Float32Array {
  return mem.subarray(at >> 2, (at >> 2) + n);
}
