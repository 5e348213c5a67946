// The relaxed-SIMD build (FMA, 6×8 GEMM tile) against the JS reference: the whole wasm.test.ts
// suite again, in a process where V8 validates relaxed SIMD so that the loader picks that build.
// (Node 20 needs the flag; Node ≥ 22 and current browsers have relaxed SIMD on by default.)
import { setFlagsFromString } from "node:v8";
import { describe, expect, it } from "vitest";

setFlagsFromString("--experimental-wasm-relaxed-simd");
const { wasmVariant, wasmSimdSupported } = await import("../wasm/loader.js");

describe("the relaxed-SIMD build", () => {
  it.runIf(wasmSimdSupported())("is the one loaded once the engine validates it", () => {
    expect(wasmVariant()).toBe("relaxed-simd");
  });
});

await import("./wasm.test.js");
await import("./wasm_rnn.test.js");
await import("./wasm_attention.test.js");
await import("../wasm/math.test.js");
await import("./wasm_dense.test.js");
await import("./wasm_crossentropy.test.js");
