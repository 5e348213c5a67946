/**
 * GEMM in WebAssembly SIMD: `wasmGemm`, the fast twin of `gemm` in ../gemm.ts (the spec). Each
 * call copies A, B (and `out` when accumulating) into wasm memory, multiplies, and copies `out`
 * back; it runs the reference for offsets or sizes that are not counts, or arrays shorter than
 * the shapes say.
 */
import { isCount } from "./_fits.js";
import { floatsAt } from "./_copy.js";
import { gemm, type GemmArgs } from "../gemm.js";
import { loadRaggedWasm, WasmArena } from "../../wasm/loader.js";

// out: [M,N] (+)= op(A)[M,K] · op(B)[K,N]; A [M,K] or [K,M] (transA), B [K,N] or [N,K] (transB)
export function wasmGemm(args: GemmArgs): void {
  const { out, a, b, M, N, K } = args;
  const oo = args.outOffset ?? 0;
  const ao = args.aOffset ?? 0;
  const bo = args.bOffset ?? 0;
  const wasm = loadRaggedWasm();
  const fits =
    isCount(M) && isCount(N) && isCount(K) && isCount(oo) && isCount(ao) && isCount(bo) &&
    out.length >= oo + M * N && a.length >= ao + M * K && b.length >= bo + K * N;
  if (wasm === null || !fits) return gemm(args);
  if (M === 0 || N === 0) return;
  if (K === 0) {
    if (!args.accumulate) out.fill(0, oo, oo + M * N);
    return;
  }
  const transB = args.transB ? 1 : 0;
  const arena = new WasmArena(wasm);
  const pOut = arena.floats(M * N);
  const pA = arena.floats(M * K);
  const pB = arena.floats(K * N);
  const pScratch = arena.reserve(wasm.gemmScratchBytes(N, K, transB));
  if (!arena.commit()) return gemm(args);
  const mem = arena.f32;
  mem.set(a.subarray(ao, ao + M * K), pA >> 2);
  mem.set(b.subarray(bo, bo + K * N), pB >> 2);
  if (args.accumulate) mem.set(out.subarray(oo, oo + M * N), pOut >> 2);
  wasm.gemm(pOut, pA, pB, M, N, K, args.transA ? 1 : 0, transB, args.accumulate ? 1 : 0, pScratch);
  out.set(floatsAt(arena.f32, pOut, M * N), oo);
}
