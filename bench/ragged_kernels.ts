/**
 * Which ragged kernels the bench runs on. By default whatever ragged itself activates (the plain
 * TypeScript reference, "js", unless ragged switches on its own); `--kernels wasm` switches to the
 * WebAssembly SIMD kernels through ragged's internal `useFastKernels` (dist/core/kernels/wasm.js).
 */
import { kernels } from "../dist/index.js";

export async function selectKernels(choice: "default" | "wasm"): Promise<string> {
  if (choice === "wasm") {
    const wasm = await import("../dist/core/kernels/wasm.js");
    if (!wasm.useFastKernels()) throw new Error("--kernels wasm: WebAssembly SIMD kernels are not supported here");
  }
  return kernels().name;
}
