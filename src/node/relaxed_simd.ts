/**
 * NOTE [ relaxed SIMD in Node ]
 * The kernels ship two WebAssembly builds; the loader picks the relaxed-SIMD one (real FMA, the
 * 6×8 GEMM tile: ≈ 15 % more GFLOP/s measured on a 2-core x86 machine) wherever the engine validates it.
 * Browsers and Node ≥ 22 do by default; Node 20 only behind this V8 flag, which enables nothing
 * but that instruction set. It must be set before the module is compiled, so "ragged-rnn/node"
 * imports this file before anything else (worker threads started later inherit the flag). FMA
 * rounds once where mul + add rounds twice, so results differ from the plain-SIMD build in the
 * last bits (both are held to the JS reference at the same tolerance: wasm.test.ts and
 * wasm_relaxed.test.ts); on one machine runs stay deterministic.
 */
import { setFlagsFromString } from "node:v8";

if (Number(process.versions.node.split(".")[0]) < 22) setFlagsFromString("--experimental-wasm-relaxed-simd");
