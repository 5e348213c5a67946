/**
 * The WebAssembly SIMD kernels: the same `Kernels` interface as the plain-TypeScript reference
 * (gemm.ts, lstm.ts — the spec), much faster. Sources: src/core/wasm/assembly/; loading and
 * memory: src/core/wasm/loader.ts (see NOTE [ wasm memory ]).
 *
 * Every kernel here tries the fast path first and falls back to the reference for anything it
 * cannot do — no WebAssembly SIMD, an activation it does not know, a per-row mask, arrays shorter
 * than the shapes say, more than 2 GiB of wasm memory — as Keras' `backend.lstm` raises NotImplementedError and
 * `LSTM.inner_loop` runs the generic loop. A fallback is silent: the result is the spec's.
 *
 * Each call copies its inputs into wasm memory once, runs entirely in wasm (all timesteps of an
 * LSTM layer included), and copies its outputs out once. Inputs are never written.
 */
import { Act } from "./activations.js";
import { gemm, type GemmArgs } from "./gemm.js";
import {
  lastRows, lstmBackward, lstmForward,
  type LstmBackwardArgs, type LstmBackwardResult, type LstmCache, type LstmForwardArgs,
} from "./lstm.js";
import { jsKernels, setKernels, type Kernels } from "./registry.js";
import { loadRaggedWasm, WasmArena, wasmSimdSupported as simdSupported } from "../wasm/loader.js";

/**
 * Whether the WebAssembly SIMD kernels can run here (SIMD validates and the module loads).
 * @example
 * if (wasmSimdSupported()) setKernels(wasmKernels);
 */
export function wasmSimdSupported(): boolean {
  return simdSupported() && loadRaggedWasm() !== null;
}

/**
 * Compiles the wasm module asynchronously (see `preloadRaggedWasm`); call it once at start-up in
 * a browser whose main thread refuses synchronous compilation, before `useFastKernels()`.
 */
export { preloadRaggedWasm, wasmVariant } from "../wasm/loader.js";

/**
 * Switches `kernels()` to the WebAssembly SIMD kernels when this engine supports them.
 * @returns true when the wasm kernels are now active, false when the JS kernels stay.
 */
export function useFastKernels(): boolean {
  if (!wasmSimdSupported()) return false;
  setKernels(wasmKernels);
  return true;
}

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
  out.set(arena.f32.subarray(pOut >> 2, (pOut >> 2) + M * N), oo);
}

// x: [N,C], W: [C,4H], U: [H,4H], b: [4H], h0/c0: [B,H] → h, c: [N,H], gates: [N,4H], hLast/cLast: [B,H]
export function wasmLstmForward(args: LstmForwardArgs): LstmCache {
  const { layout, x, C, H, weights, activation, recurrentActivation } = args;
  const { batch: B, totalSteps: N, maxLength: T } = layout;
  const G = 4 * H;
  const wasm = loadRaggedWasm();
  const fits =
    isCount(C) && isCount(H) && H > 0 && knownAct(activation) && knownAct(recurrentActivation) &&
    !hasMask(args) && x.length >= N * C && weights.kernel.length >= C * G && weights.recurrentKernel.length >= H * G &&
    (weights.bias === null || weights.bias.length >= G) &&
    (args.h0 === undefined || args.h0.length >= B * H) && (args.c0 === undefined || args.c0.length >= B * H);
  if (wasm === null || !fits) return lstmForward(args);

  const h0 = args.h0 ?? new Float32Array(B * H);
  const c0 = args.c0 ?? new Float32Array(B * H);
  const arena = new WasmArena(wasm);
  const p = {
    gates: arena.floats(N * G),
    c: arena.floats(N * H),
    cAct: arena.floats(N * H),
    h: arena.floats(N * H),
    x: arena.floats(N * C),
    W: arena.floats(C * G),
    U: arena.floats(H * G),
    bias: arena.floats(G),
    h0: arena.floats(B * H),
    c0: arena.floats(B * H),
    offsets: arena.reserve((T + 1) * 4),
    batchSizes: arena.reserve(T * 4),
    scratch: arena.reserve(wasm.lstmForwardScratchBytes(C, H)),
  };
  if (!arena.commit()) return lstmForward(args);
  const mem = arena.f32;
  mem.set(x.subarray(0, N * C), p.x >> 2);
  mem.set(weights.kernel.subarray(0, C * G), p.W >> 2);
  mem.set(weights.recurrentKernel.subarray(0, H * G), p.U >> 2);
  if (weights.bias) mem.set(weights.bias.subarray(0, G), p.bias >> 2);
  else mem.fill(0, p.bias >> 2, (p.bias >> 2) + G);
  mem.set(h0.subarray(0, B * H), p.h0 >> 2);
  mem.set(c0.subarray(0, B * H), p.c0 >> 2);
  arena.i32.set(layout.offsets, p.offsets >> 2);
  arena.i32.set(layout.batchSizes, p.batchSizes >> 2);

  wasm.lstmForward(
    p.gates, p.c, p.cAct, p.h, p.x, p.W, p.U, p.bias, p.h0, p.c0,
    p.offsets, p.batchSizes, T, N, C, H, activation, recurrentActivation, p.scratch,
  );

  const out = arena.f32;
  const gates = out.slice(p.gates >> 2, (p.gates >> 2) + N * G);
  const c = out.slice(p.c >> 2, (p.c >> 2) + N * H);
  const cAct = out.slice(p.cAct >> 2, (p.cAct >> 2) + N * H);
  const h = out.slice(p.h >> 2, (p.h >> 2) + N * H);
  const hLast = lastRows(h, h0, layout, H);
  const cLast = lastRows(c, c0, layout, H);
  return { layout, C, H, x, gates, c, cAct, h, h0, c0, hLast, cLast };
}

// dh: [N,H], dhLast/dcLast: [B,H] → dx: [N,C], dh0/dc0: [B,H]; grads += dW [C,4H], dU [H,4H], db [4H]
export function wasmLstmBackward(args: LstmBackwardArgs): LstmBackwardResult {
  const { cache, weights, activation, recurrentActivation, dh, dhLast, dcLast, grads } = args;
  const { layout, C, H, x, gates, c, cAct, h, h0, c0 } = cache;
  const { batch: B, totalSteps: N, maxLength: T } = layout;
  const G = 4 * H;
  const wasm = loadRaggedWasm();
  const fits =
    isCount(C) && isCount(H) && H > 0 && knownAct(activation) && knownAct(recurrentActivation) &&
    !hasMask(cache) && x.length >= N * C && gates.length >= N * G && c.length >= N * H && cAct.length >= N * H &&
    h.length >= N * H && h0.length >= B * H && c0.length >= B * H &&
    weights.kernel.length >= C * G && weights.recurrentKernel.length >= H * G &&
    (dh === null || dh.length >= N * H) && (dhLast === null || dhLast.length >= B * H) &&
    (dcLast === null || dcLast.length >= B * H) &&
    grads.kernel.length >= C * G && grads.recurrentKernel.length >= H * G &&
    (grads.bias === null || grads.bias.length >= G);
  if (wasm === null || !fits) return lstmBackward(args);

  const arena = new WasmArena(wasm);
  const p = {
    dx: args.needInputGrad ? arena.floats(N * C) : 0,
    dhNext: arena.floats(B * H),
    dcNext: arena.floats(B * H),
    gWU: arena.floats((C + H) * G), // [dW; dU]: C rows then H rows
    gb: grads.bias ? arena.floats(G) : 0,
    x: arena.floats(N * C),
    W: arena.floats(C * G),
    U: arena.floats(H * G),
    gates: arena.floats(N * G),
    c: arena.floats(N * H),
    cAct: arena.floats(N * H),
    h: arena.floats(N * H),
    h0: arena.floats(B * H),
    c0: arena.floats(B * H),
    dh: dh ? arena.floats(N * H) : 0,
    offsets: arena.reserve((T + 1) * 4),
    batchSizes: arena.reserve(T * 4),
    dzStep: arena.floats(B * G + 8),
    scratch: arena.reserve(wasm.lstmBackwardScratchBytes(C, H)),
  };
  if (!arena.commit()) return lstmBackward(args);
  const mem = arena.f32;
  const put = (at: number, src: Float32Array, n: number): void => mem.set(src.subarray(0, n), at >> 2);
  const gU = p.gWU + C * G * 4;
  if (dhLast) put(p.dhNext, dhLast, B * H);
  else mem.fill(0, p.dhNext >> 2, (p.dhNext >> 2) + B * H);
  if (dcLast) put(p.dcNext, dcLast, B * H);
  else mem.fill(0, p.dcNext >> 2, (p.dcNext >> 2) + B * H);
  put(p.gWU, grads.kernel, C * G);
  put(gU, grads.recurrentKernel, H * G);
  if (grads.bias) put(p.gb, grads.bias, G);
  put(p.x, x, N * C);
  put(p.W, weights.kernel, C * G);
  put(p.U, weights.recurrentKernel, H * G);
  put(p.gates, gates, N * G);
  put(p.c, c, N * H);
  put(p.cAct, cAct, N * H);
  put(p.h, h, N * H);
  put(p.h0, h0, B * H);
  put(p.c0, c0, B * H);
  if (dh) put(p.dh, dh, N * H);
  arena.i32.set(layout.offsets, p.offsets >> 2);
  arena.i32.set(layout.batchSizes, p.batchSizes >> 2);

  wasm.lstmBackward(
    p.dx, p.dhNext, p.dcNext, p.gWU, p.gb,
    p.x, p.W, p.U, p.gates, p.c, p.cAct, p.h, p.h0, p.c0,
    p.dh, p.offsets, p.batchSizes, T, C, H, activation, recurrentActivation, p.dzStep, p.scratch,
  );

  const out = arena.f32;
  const get = (at: number, n: number): Float32Array => out.subarray(at >> 2, (at >> 2) + n);
  grads.kernel.set(get(p.gWU, C * G));
  grads.recurrentKernel.set(get(gU, H * G));
  if (grads.bias) grads.bias.set(get(p.gb, G));
  return {
    dx: args.needInputGrad ? get(p.dx, N * C).slice() : null,
    dh0: get(p.dhNext, B * H).slice(),
    dc0: get(p.dcNext, B * H).slice(),
  };
}

/**
 * The WebAssembly SIMD kernels; each falls back to the JS reference when it must. Kernels without
 * a wasm version yet (GRU, SimpleRNN) are the reference ones.
 *
 * This module reads `jsKernels` when it is evaluated, so registry.ts must not import it statically
 * (an import cycle would evaluate this first and hit `jsKernels` uninitialised): switch from an
 * entry point (`useFastKernels()`), or import it dynamically.
 */
export const wasmKernels: Kernels = {
  ...jsKernels,
  name: "wasm-simd",
  gemm: wasmGemm,
  lstmForward: wasmLstmForward,
  lstmBackward: wasmLstmBackward,
  gruForward: jsKernels.gruForward, gruBackward: jsKernels.gruBackward, simpleRnnForward: jsKernels.simpleRnnForward, simpleRnnBackward: jsKernels.simpleRnnBackward, // JS reference until wasm has them
};

function isCount(n: number): boolean {
  return Number.isInteger(n) && n >= 0;
}

/**
 * Whether a per-row mask is in play (forward args or a cache built with one). The wasm kernels do
 * not implement masked rows (Keras' general masked case): the reference runs them.
 */
function hasMask(argsOrCache: object): boolean {
  const { mask, state } = argsOrCache as { mask?: unknown; state?: unknown };
  return mask !== undefined || state !== undefined;
}

function knownAct(id: number): boolean {
  return id === Act.Linear || id === Act.Sigmoid || id === Act.Tanh || id === Act.Relu ||
    id === Act.HardSigmoid || id === Act.HardSigmoidTfjs;
}
