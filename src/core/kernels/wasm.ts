/**
 * The WebAssembly SIMD kernels: the same `Kernels` interface as the plain-TypeScript reference
 * (gemm.ts, lstm.ts — the spec), much faster. Sources: src/core/wasm/assembly/; loading and
 * memory: src/core/wasm/loader.ts (see NOTE [ wasm memory ]).
 *
 * Every kernel here tries the fast path first and falls back to the reference for anything it
 * cannot do — no WebAssembly SIMD, an activation it does not know, arrays shorter than the shapes
 * say, more than 2 GiB of wasm memory — as Keras' `backend.lstm` raises NotImplementedError and
 * `LSTM.inner_loop` runs the generic loop. A fallback is silent: the result is the spec's.
 *
 * Each call copies its inputs into wasm memory once and runs entirely in wasm (all timesteps of a
 * recurrent layer included). A recurrent forward keeps its cache in wasm memory for its backward
 * (see `LstmCache`) and copies out only what layers read: h and the final states. Inputs are
 * never written.
 */
import { Act } from "./activations.js";
import { gemm, type GemmArgs } from "./gemm.js";
import {
  lastRows, lstmBackward, lstmForward,
  type LstmBackwardArgs, type LstmBackwardResult, type LstmCache, type LstmForwardArgs,
} from "./lstm.js";
import { jsKernels, setKernels, type Kernels } from "./registry.js";
import { RaggedError } from "../errors.js";
import {
  loadRaggedWasm, WasmArena, WasmBlockPlan, wasmHeap, wasmSimdSupported as simdSupported,
  type RaggedWasmExports,
} from "../wasm/loader.js";
import type { PackedLayout } from "../../data/packed.js";

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

// ---------------------------------------------------------------------------------------------
// LSTM. Forward leaves its cache in a wasm block (NOTE [ wasm memory ] in loader.ts) that backward
// reads in place and then frees; only h and the final states are copied out.

/** The arrays an LSTM forward keeps in wasm memory for backward: one block, freed once. */
class LstmBlock {
  private released = false;

  constructor(
    readonly wasm: RaggedWasmExports,
    readonly at: number,
    /** Addresses: gates [N,G], c, cAct, state [N,H], x [N,C], h0, c0 [B,H], offsets, batchSizes (i32), mask (u8, or 0). */
    readonly p: Record<"gates" | "c" | "cAct" | "state" | "x" | "h0" | "c0" | "offsets" | "batchSizes" | "mask", number>,
  ) {}

  get alive(): boolean {
    return !this.released;
  }

  /** A copy of `count` floats at `ptr` (for the lazy cache fields). */
  read(ptr: number, count: number): Float32Array {
    return new Float32Array(this.wasm.memory.buffer, ptr, count).slice();
  }

  release(): void {
    if (this.released) return;
    this.released = true;
    wasmHeap(this.wasm).free(this.at);
    leakGuard.unregister(this);
  }
}

/** A cache whose block was never consumed nor replaced (no backward, no slot) is freed when collected. */
const leakGuard = new FinalizationRegistry<LstmBlock>((block) => block.release());
/** The cache each slot's last forward left (see `LstmForwardArgs.slot`). */
const cacheOfSlot = new WeakMap<object, WasmLstmCache>();

/**
 * An `LstmCache` whose gates, c, σ(c) and state stay in wasm memory (see `LstmCache`): reading them
 * copies them out while the block is alive.
 */
class WasmLstmCache implements LstmCache {
  constructor(
    readonly layout: PackedLayout,
    readonly C: number,
    readonly H: number,
    readonly x: Float32Array,
    readonly h: Float32Array,
    readonly h0: Float32Array,
    readonly c0: Float32Array,
    readonly hLast: Float32Array,
    readonly cLast: Float32Array,
    readonly mask: Uint8Array | undefined,
    /** null when forward ran with `needsGrad: false`. */
    private readonly block: LstmBlock | null,
  ) {}

  get gates(): Float32Array {
    return this.read("gates", 4 * this.H);
  }

  get c(): Float32Array {
    return this.read("c", this.H);
  }

  get cAct(): Float32Array {
    return this.read("cAct", this.H);
  }

  /** Only with a mask (the spec's cache has it only then). */
  get state(): Float32Array | undefined {
    return this.mask ? this.read("state", this.H) : undefined;
  }

  /** The block, for backward; throws when it is gone. */
  liveBlock(): LstmBlock {
    if (this.block === null) {
      throw new RaggedError("INVALID_ARGUMENT", "This LSTM forward ran with needsGrad: false, so it kept nothing for backward.", {
        help: "run forward with needsGrad: true (the default) when backward will follow",
      });
    }
    if (!this.block.alive) {
      throw new RaggedError("INVALID_ARGUMENT", "This LSTM cache is gone: backward has consumed it, or a newer forward in the same slot replaced it.", {
        help: "run backward once per forward, before the next forward of the same layer",
      });
    }
    return this.block;
  }

  release(): void {
    this.block?.release();
  }

  private read(name: "gates" | "c" | "cAct" | "state", width: number): Float32Array {
    const block = this.liveBlock();
    return block.read(block.p[name], this.layout.totalSteps * width);
  }
}

// x: [N,C], W: [C,4H], U: [H,4H], b: [4H], h0/c0: [B,H], mask: [N] → h: [N,H], hLast/cLast: [B,H]
// (gates [N,4H], c, cAct, state [N,H] stay in wasm memory for backward)
export function wasmLstmForward(args: LstmForwardArgs): LstmCache {
  const { layout, x, C, H, weights, activation, recurrentActivation } = args;
  const { batch: B, totalSteps: N, maxLength: T } = layout;
  const G = 4 * H;
  const wasm = loadRaggedWasm();
  const mask = args.mask ?? null;
  const fits =
    isCount(C) && isCount(H) && H > 0 && knownAct(activation) && knownAct(recurrentActivation) &&
    (mask === null || mask.length === N) && x.length >= N * C && weights.kernel.length >= C * G &&
    weights.recurrentKernel.length >= H * G && (weights.bias === null || weights.bias.length >= G) &&
    (args.h0 === undefined || args.h0.length >= B * H) && (args.c0 === undefined || args.c0.length >= B * H);
  if (wasm === null || !fits) return lstmForward(args);
  if (args.slot) cacheOfSlot.get(args.slot)?.release();

  const h0 = args.h0 ?? new Float32Array(B * H);
  const c0 = args.c0 ?? new Float32Array(B * H);
  const block = lstmBlock(wasm, layout, C, H, x, h0, c0, mask);
  if (block === null) return lstmForward(args);
  const { p } = block;
  const arena = new WasmArena(wasm); // above the block
  const q = {
    hOut: mask ? arena.floats(N * H) : p.state,
    W: arena.floats(C * G),
    U: arena.floats(H * G),
    bias: arena.floats(G),
    scratch: arena.reserve(wasm.lstmForwardScratchBytes(C, H)),
  };
  if (!arena.commit()) {
    block.release();
    return lstmForward(args);
  }
  const mem = arena.f32;
  mem.set(weights.kernel.subarray(0, C * G), q.W >> 2);
  mem.set(weights.recurrentKernel.subarray(0, H * G), q.U >> 2);
  if (weights.bias) mem.set(weights.bias.subarray(0, G), q.bias >> 2);
  else mem.fill(0, q.bias >> 2, (q.bias >> 2) + G);

  wasm.lstmForward(
    p.gates, p.c, p.cAct, p.state, q.hOut, p.x, q.W, q.U, q.bias, p.h0, p.c0,
    p.offsets, p.batchSizes, p.mask, T, N, C, H, activation, recurrentActivation, q.scratch,
  );

  const out = arena.f32;
  const view = (at: number, n: number): Float32Array => out.subarray(at >> 2, (at >> 2) + n);
  const h = view(q.hOut, N * H).slice();
  const hLast = lastRows(view(p.state, N * H), h0, layout, H);
  const cLast = lastRows(view(p.c, N * H), c0, layout, H);
  const keep = args.needsGrad ?? true;
  if (!keep) block.release();
  const cache = new WasmLstmCache(layout, C, H, x, h, h0, c0, hLast, cLast, mask ?? undefined, keep ? block : null);
  if (keep) {
    leakGuard.register(cache, block, block);
    if (args.slot) cacheOfSlot.set(args.slot, cache);
  }
  return cache;
}

/** Allocates an LSTM block and copies in what forward reads from it (x, h0, c0, the layout, the mask). */
function lstmBlock(
  wasm: RaggedWasmExports, layout: PackedLayout, C: number, H: number,
  x: Float32Array, h0: Float32Array, c0: Float32Array, mask: Uint8Array | null,
): LstmBlock | null {
  const { batch: B, totalSteps: N, maxLength: T } = layout;
  const plan = new WasmBlockPlan();
  const placed = plan.place(wasm, {
    gates: plan.floats(N * 4 * H),
    c: plan.floats(N * H),
    cAct: plan.floats(N * H),
    state: plan.floats(N * H),
    x: plan.floats(N * C),
    h0: plan.floats(B * H),
    c0: plan.floats(B * H),
    offsets: plan.reserve((T + 1) * 4),
    batchSizes: plan.reserve(T * 4),
    mask: mask ? plan.reserve(N) : null,
  });
  if (placed === null) return null;
  const { p } = placed;
  const block = new LstmBlock(wasm, placed.at, p);
  const buffer = wasm.memory.buffer;
  new Float32Array(buffer, p.x, N * C).set(x.subarray(0, N * C));
  new Float32Array(buffer, p.h0, B * H).set(h0.subarray(0, B * H));
  new Float32Array(buffer, p.c0, B * H).set(c0.subarray(0, B * H));
  new Int32Array(buffer, p.offsets, T + 1).set(layout.offsets.subarray(0, T + 1));
  new Int32Array(buffer, p.batchSizes, T).set(layout.batchSizes.subarray(0, T));
  if (mask) new Uint8Array(buffer, p.mask, N).set(mask);
  return block;
}

/** A block holding a reference cache's arrays (a cache the JS kernel made): the slow path. */
function lstmBlockFromArrays(wasm: RaggedWasmExports, cache: LstmCache): LstmBlock | null {
  const { layout, C, H } = cache;
  const N = layout.totalSteps;
  const block = lstmBlock(wasm, layout, C, H, cache.x, cache.h0, cache.c0, cache.mask ?? null);
  if (block === null) return null;
  const { p } = block;
  const f32 = new Float32Array(wasm.memory.buffer);
  f32.set(cache.gates.subarray(0, N * 4 * H), p.gates >> 2);
  f32.set(cache.c.subarray(0, N * H), p.c >> 2);
  f32.set(cache.cAct.subarray(0, N * H), p.cAct >> 2);
  f32.set((cache.state ?? cache.h).subarray(0, N * H), p.state >> 2);
  return block;
}

// dh: [N,H], dhLast/dcLast: [B,H] → dx: [N,C], dh0/dc0: [B,H]; grads += dW [C,4H], dU [H,4H], db [4H]
// (the mask is the one forward ran with; a wasm cache is consumed: its block is freed)
export function wasmLstmBackward(args: LstmBackwardArgs): LstmBackwardResult {
  const { cache } = args;
  const block = cache instanceof WasmLstmCache ? cache.liveBlock() : null;
  try {
    return lstmBackwardInWasm(args, block);
  } finally {
    block?.release();
  }
}

function lstmBackwardInWasm(args: LstmBackwardArgs, cacheBlock: LstmBlock | null): LstmBackwardResult {
  const { cache, weights, activation, recurrentActivation, dh, dhLast, dcLast, grads } = args;
  const { layout, C, H } = cache;
  const { batch: B, totalSteps: N, maxLength: T } = layout;
  const G = 4 * H;
  const wasm = loadRaggedWasm();
  const fromArrays = cacheBlock === null;
  const fits =
    isCount(C) && isCount(H) && H > 0 && knownAct(activation) && knownAct(recurrentActivation) &&
    (!fromArrays || cacheArraysFit(cache)) &&
    weights.kernel.length >= C * G && weights.recurrentKernel.length >= H * G &&
    (dh === null || dh.length >= N * H) && (dhLast === null || dhLast.length >= B * H) &&
    (dcLast === null || dcLast.length >= B * H) &&
    grads.kernel.length >= C * G && grads.recurrentKernel.length >= H * G &&
    (grads.bias === null || grads.bias.length >= G);
  if (wasm === null || !fits) return lstmBackward(args);
  const block = cacheBlock ?? lstmBlockFromArrays(wasm, cache);
  if (block === null) return lstmBackward(args);
  try {
    const { p } = block;
    const arena = new WasmArena(wasm); // above every block
    const q = {
      dx: args.needInputGrad ? arena.floats(N * C) : 0,
      dhNext: arena.floats(B * H),
      dcNext: arena.floats(B * H),
      gWU: arena.floats((C + H) * G), // [dW; dU]: C rows then H rows
      gb: grads.bias ? arena.floats(G) : 0,
      W: arena.floats(C * G),
      U: arena.floats(H * G),
      dh: dh ? arena.floats(N * H) : 0,
      dzStep: arena.floats(B * G + 8),
      scratch: arena.reserve(wasm.lstmBackwardScratchBytes(C, H)),
    };
    if (!arena.commit()) return lstmBackward(args);
    const mem = arena.f32;
    const put = (at: number, src: Float32Array, n: number): void => mem.set(src.subarray(0, n), at >> 2);
    const gU = q.gWU + C * G * 4;
    if (dhLast) put(q.dhNext, dhLast, B * H);
    else mem.fill(0, q.dhNext >> 2, (q.dhNext >> 2) + B * H);
    if (dcLast) put(q.dcNext, dcLast, B * H);
    else mem.fill(0, q.dcNext >> 2, (q.dcNext >> 2) + B * H);
    put(q.gWU, grads.kernel, C * G);
    put(gU, grads.recurrentKernel, H * G);
    if (grads.bias) put(q.gb, grads.bias, G);
    put(q.W, weights.kernel, C * G);
    put(q.U, weights.recurrentKernel, H * G);
    if (dh) put(q.dh, dh, N * H);

    wasm.lstmBackward(
      q.dx, q.dhNext, q.dcNext, q.gWU, q.gb,
      p.x, q.W, q.U, p.gates, p.c, p.cAct, p.state, p.h0, p.c0,
      q.dh, p.offsets, p.batchSizes, p.mask, T, C, H, activation, recurrentActivation, q.dzStep, q.scratch,
    );

    const out = arena.f32;
    const get = (at: number, n: number): Float32Array => out.subarray(at >> 2, (at >> 2) + n);
    grads.kernel.set(get(q.gWU, C * G));
    grads.recurrentKernel.set(get(gU, H * G));
    if (grads.bias) grads.bias.set(get(q.gb, G));
    return {
      dx: args.needInputGrad ? get(q.dx, N * C).slice() : null,
      dh0: get(q.dhNext, B * H).slice(),
      dc0: get(q.dcNext, B * H).slice(),
    };
  } finally {
    if (fromArrays) block.release();
  }
}

/** Whether a reference cache's arrays are as long as its shapes say (else the reference runs). */
function cacheArraysFit(cache: LstmCache): boolean {
  const { layout, C, H } = cache;
  const { batch: B, totalSteps: N } = layout;
  return cache.x.length >= N * C && cache.gates.length >= N * 4 * H && cache.c.length >= N * H &&
    cache.cAct.length >= N * H && cache.h.length >= N * H && (cache.state === undefined || cache.state.length >= N * H) &&
    cache.h0.length >= B * H && cache.c0.length >= B * H && (cache.mask === undefined || cache.mask.length === N);
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

function knownAct(id: number): boolean {
  return id === Act.Linear || id === Act.Sigmoid || id === Act.Tanh || id === Act.Relu ||
    id === Act.HardSigmoid || id === Act.HardSigmoidTfjs;
}
