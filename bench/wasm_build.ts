/**
 * Imported first by run.ts: picks the WebAssembly build before any module compiles it.
 * `--wasm-build relaxed` (the default, as "ragged/node" does: NOTE [ relaxed SIMD in Node ]) sets
 * V8's relaxed-SIMD flag on Node 20; `--wasm-build simd` compiles the module at once, before
 * "ragged/node" sets the flag, so this thread keeps the plain-SIMD build (worker threads started
 * later still take the relaxed one: compare the builds on 1-thread rows).
 */
import { setFlagsFromString } from "node:v8";
import { loadRaggedWasm } from "../dist/core/wasm/loader.js";

const at = process.argv.indexOf("--wasm-build");
export const WASM_BUILD = at >= 0 ? process.argv[at + 1] : "relaxed";
if (WASM_BUILD !== "relaxed" && WASM_BUILD !== "simd") throw new Error(`--wasm-build must be relaxed or simd, got "${WASM_BUILD}"`);
if (WASM_BUILD === "relaxed") setFlagsFromString("--experimental-wasm-relaxed-simd");
loadRaggedWasm();
