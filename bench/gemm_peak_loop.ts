/**
 * The timed GEMM loop of the peak measurement (gemm_peak.ts), shared by the main thread and the
 * worker: ragged's wasm `gemm` export called on operands placed in wasm memory once, so only the
 * kernel is timed.
 */
import { loadRaggedWasm, WasmArena } from "../dist/core/wasm/loader.js";

/** out[M,N] = A[M,K]·B[K,N] */
export interface GemmShape {
  M: number;
  K: number;
  N: number;
  /** What the shape stands for in an RNN step. */
  label: string;
}

/** The shapes of the seed step's big products (rows = the running sequences of a step, 1000 here). */
export const PEAK_SHAPES: readonly GemmShape[] = [
  { M: 1000, K: 32, N: 128, label: "h·U of lstm(32), 1000 rows" },
  { M: 1000, K: 37, N: 128, label: "[x h]·W of lstm(32), 1000 rows" },
  { M: 1000, K: 40, N: 32, label: "[x h]·W of lstm(8) on 32 inputs" },
];

/** The shape's operands placed in a fresh wasm instance's memory once; `call` runs one product on them. */
export function gemmOnce(shape: GemmShape): { call: () => void } {
  const wasm = loadRaggedWasm();
  if (wasm === null) throw new Error("WebAssembly SIMD is not available: no peak to measure");
  const { M, K, N } = shape;
  const arena = new WasmArena(wasm);
  const pOut = arena.floats(M * N);
  const pA = arena.floats(M * K);
  const pB = arena.floats(K * N);
  const pScratch = arena.reserve(wasm.gemmScratchBytes(N, K, 0));
  if (!arena.commit()) throw new Error("wasm memory could not grow for the peak measurement");
  const mem = arena.f32;
  for (let i = 0; i < M * K; i++) mem[(pA >> 2) + i] = ((i * 7919) % 1000) / 1000 - 0.5;
  for (let i = 0; i < K * N; i++) mem[(pB >> 2) + i] = ((i * 104729) % 1000) / 1000 - 0.5;
  return { call: () => wasm.gemm(pOut, pA, pB, M, N, K, 0, 0, 0, pScratch) };
}

/** Calls the kernel for about `ms` milliseconds (after 20 untimed calls); GFLOP/s. */
export function gemmLoop(shape: GemmShape, ms: number): { gflops: number; calls: number } {
  const { M, K, N } = shape;
  const { call } = gemmOnce(shape);
  for (let w = 0; w < 20; w++) call();
  let calls = 0;
  const t0 = performance.now();
  let t = t0;
  while (t - t0 < ms) {
    for (let r = 0; r < 10; r++) call();
    calls += 10;
    t = performance.now();
  }
  const seconds = (t - t0) / 1000;
  return { gflops: (2 * M * N * K * calls) / seconds / 1e9, calls };
}
