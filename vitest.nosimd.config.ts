// The model-level suite again, on an engine without WebAssembly SIMD (see test/setup/no_simd.ts):
// everything must pass on the plain-TypeScript kernels alone.
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    exclude: ["test/cli/**", "test/cli.test.ts", "test/conv_wasm.test.ts", "test/package/**", "test/examples.test.ts", "test/examples_copyable.test.ts", "test/browser/**"],
    setupFiles: ["test/setup/no_simd.ts", "test/setup/quiet_tfjs.ts"],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: "forks",
  },
});
