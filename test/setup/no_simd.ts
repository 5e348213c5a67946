/**
 * Setup for `vitest.nosimd.config.ts`: this engine "has no WebAssembly SIMD". Every module that
 * probes for it (src/core/wasm/loader.ts) then finds none, so the library runs on the plain
 * TypeScript reference kernels — the fallback a browser or runtime without SIMD gets.
 */
WebAssembly.validate = () => false;
