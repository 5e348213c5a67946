/**
 * Without WebAssembly SIMD the library selects the plain-TypeScript kernels and still trains; with
 * it, the default is the wasm kernels. (The whole model-level suite also runs on the fallback:
 * vitest.nosimd.config.ts, part of `npm test`.)
 */
import { afterEach, describe, expect, it, vi } from "vitest";

afterEach(() => {
  vi.unstubAllGlobals();
  vi.resetModules();
});

describe("kernel selection", () => {
  it("falls back to the reference kernels where SIMD does not validate, and trains", async () => {
    const realValidate = WebAssembly.validate;
    WebAssembly.validate = () => false;
    try {
      vi.resetModules();
      const ragged = await import("../src/index.js");
      expect(ragged.kernels().name).toBe("js");
      expect(ragged.wasmSimdSupported()).toBe(false);
      expect(ragged.useFastKernels()).toBe(false);
      const model = ragged.sequential([ragged.layers.gru({ units: 4, inputShape: [null, 2] }), ragged.layers.dense({ units: 1 })], { seed: 1 });
      model.compile({ loss: "mse", optimizer: "adam" });
      const history = await model.fit([[[0.1, 0.2], [0.3, 0.4]], [[0.5, 0.6]]], [[0.5], [0.1]], { epochs: 3, verbose: 0, threads: 1 });
      expect(history.history.loss[2]).toBeLessThan(history.history.loss[0]);
    } finally {
      WebAssembly.validate = realValidate;
    }
  });

  it("uses the wasm kernels by default where SIMD validates (on this engine: unless the no-SIMD run stubs it)", async () => {
    vi.resetModules();
    const ragged = await import("../src/index.js");
    const simd = ragged.wasmSimdSupported();
    expect(ragged.kernels().name).toBe(simd ? "wasm-simd" : "js");
    // Node 20 has fixed-width SIMD: outside the no-SIMD run this must be the wasm path
    if (WebAssembly.validate.length > 0 || WebAssembly.validate.toString().includes("[native code]")) expect(simd).toBe(true);
  });
});
