/**
 * conv1d on the WebAssembly SIMD kernels against finite differences and the reference kernels.
 * Only in the main suite (Node 20 has SIMD): the no-SIMD run excludes this file, having no wasm
 * kernels to compare (vitest.nosimd.config.ts).
 */
import { describe, expect, it } from "vitest";
import { Random } from "../src/core/random.js";
import { layers, sequential } from "../src/index.js";
import { jsKernels, setKernels } from "../src/core/kernels/registry.js";
import { wasmKernels, wasmSimdSupported } from "../src/core/kernels/wasm.js";
import { builtLayer, checkLayerGradients, maxRelDiff, randomPackedInput, randomSequences } from "./harness.js";

const LENGTHS = [7, 2, 0, 5, 9, 1];

describe("conv1d on the WebAssembly SIMD kernels", () => {
  it("conv1d gradients by finite differences, and the same predictions and gradients as the reference kernels", () => {
    expect(wasmSimdSupported()).toBe(true);
    const previous = setKernels(wasmKernels);
    try {
      const layer = builtLayer(layers.conv1d({ filters: 5, kernelSize: 3, strides: 2, padding: "same", biasInitializer: "glorotUniform" }), 3);
      expect(checkLayerGradients(layer, randomPackedInput(5, LENGTHS, 3))).toBeGreaterThan(40);
      const model = sequential([layers.conv1d({ filters: 6, kernelSize: 4, padding: "causal", dilationRate: 2, inputShape: [null, 5] }), layers.lstm({ units: 3 })], { seed: 2 });
      const xs = randomSequences(new Random(3), [30, 4, 17, 0, 9], 5);
      const fast = model.predict(xs) as number[][];
      setKernels(jsKernels);
      const reference = model.predict(xs) as number[][];
      expect(maxRelDiff(fast.flat(), reference.flat())).toBeLessThan(1e-5);
    } finally {
      setKernels(previous);
    }
  });
});
