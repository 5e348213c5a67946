/**
 * The WebAssembly SIMD kernels: the same `Kernels` interface as the plain-TypeScript reference
 * (gemm.ts, lstm.ts — the spec), much faster. Sources: src/core/wasm/assembly/; loading and
 * memory: src/core/wasm/loader.ts (see NOTE [ wasm memory ]).
 *
 * Every kernel here tries the fast path first and falls back to the reference for anything it
 * cannot do — no WebAssembly SIMD, an activation it does not know, arrays shorter than the shapes
 * say, more than 2 GiB of wasm memory, a recurrent dropout mask (`recurrentMask`, training only;
 * a backward given a reference cache that holds one runs the reference too) — as Keras' `backend.lstm` raises NotImplementedError and
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
import {
  gruBackward, gruForward, splitRecurrentKernel,
  type GruBackwardArgs, type GruBackwardResult, type GruCache, type GruForwardArgs,
} from "./gru.js";
import { jsKernels, setKernels, type Kernels } from "./registry.js";
import {
  simpleRnnBackward, simpleRnnForward,
  type SimpleRnnBackwardArgs, type SimpleRnnBackwardResult, type SimpleRnnCache, type SimpleRnnForwardArgs,
} from "./simple_rnn.js";
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

/** The arrays a recurrent forward keeps in wasm memory for its backward: one block, freed once. */
class KeptBlock<K extends string> {
  private released = false;

  constructor(
    readonly wasm: RaggedWasmExports,
    readonly at: number,
    /** The arrays' addresses (0 for one a call does not have). */
    readonly p: Record<K, number>,
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

/** Gates [N,G], c, cAct, state [N,H], x [N,C], h0, c0 [B,H], offsets, batchSizes (i32), mask (u8, or 0). */
type LstmBlock = KeptBlock<"gates" | "c" | "cAct" | "state" | "x" | "h0" | "c0" | "offsets" | "batchSizes" | "mask">;

/** Allocates a block laid out as `sizes` (bytes; null = absent); null when memory is refused. */
function keptBlock<K extends string>(wasm: RaggedWasmExports, sizes: Record<K, number | null>): KeptBlock<K> | null {
  const plan = new WasmBlockPlan();
  const offsets = {} as Record<K, number | null>;
  for (const k of Object.keys(sizes) as K[]) offsets[k] = sizes[k] === null ? null : plan.reserve(sizes[k] as number);
  const placed = plan.place(wasm, offsets);
  return placed === null ? null : new KeptBlock(wasm, placed.at, placed.p);
}

/** Copies the inputs every recurrent block holds: x, initial states, layout, mask. */
function putInputs(
  block: KeptBlock<"x" | "offsets" | "batchSizes" | "mask">, layout: PackedLayout, x: Float32Array, C: number, mask: Uint8Array | null,
  states: [ptr: number, src: Float32Array, n: number][],
): void {
  const { p, wasm } = block;
  const { totalSteps: N, maxLength: T } = layout;
  const buffer = wasm.memory.buffer;
  new Float32Array(buffer, p.x, N * C).set(x.subarray(0, N * C));
  for (const [ptr, src, n] of states) new Float32Array(buffer, ptr, n).set(src.subarray(0, n));
  new Int32Array(buffer, p.offsets, T + 1).set(layout.offsets.subarray(0, T + 1));
  new Int32Array(buffer, p.batchSizes, T).set(layout.batchSizes.subarray(0, T));
  if (mask) new Uint8Array(buffer, p.mask, mask.length).set(mask);
}

/** A cache whose block was never consumed nor replaced (no backward, no slot) is freed when collected. */
const leakGuard = new FinalizationRegistry<KeptBlock<string>>((block) => block.release());
/** The cache each slot's last forward left (see `LstmForwardArgs.slot`). */
const cacheOfSlot = new WeakMap<object, { release(): void }>();

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
    return liveBlock(this.block, "LSTM");
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
    args.recurrentMask === undefined &&
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
  const block = keptBlock(wasm, {
    gates: N * 4 * H * 4, c: N * H * 4, cAct: N * H * 4, state: N * H * 4, x: N * C * 4, h0: B * H * 4, c0: B * H * 4,
    offsets: (T + 1) * 4, batchSizes: T * 4, mask: mask ? N : null,
  });
  if (block === null) return null;
  putInputs(block, layout, x, C, mask, [[block.p.h0, h0, B * H], [block.p.c0, c0, B * H]]);
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
    cache.recurrentMask === undefined && (!fromArrays || cacheArraysFit(cache)) &&
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

// ---------------------------------------------------------------------------------------------
// SimpleRNN: the same structure as the LSTM (the cache is `state` and the inputs, kept in a block).

/** state [N,H], x [N,C], h0 [B,H], offsets, batchSizes (i32), mask (u8, or 0). */
type SimpleRnnBlock = KeptBlock<"state" | "x" | "h0" | "offsets" | "batchSizes" | "mask">;

/** A `SimpleRnnCache` whose state stays in wasm memory (without a mask it equals `h`). */
class WasmSimpleRnnCache implements SimpleRnnCache {
  constructor(
    readonly layout: PackedLayout,
    readonly C: number,
    readonly H: number,
    readonly x: Float32Array,
    readonly h: Float32Array,
    readonly mask: Uint8Array | null,
    readonly h0: Float32Array,
    readonly hLast: Float32Array,
    private readonly block: SimpleRnnBlock | null,
  ) {}

  get state(): Float32Array {
    if (!this.mask) return this.h;
    const block = liveBlock(this.block, "SimpleRNN");
    return block.read(block.p.state, this.layout.totalSteps * this.H);
  }

  liveBlock(): SimpleRnnBlock {
    return liveBlock(this.block, "SimpleRNN");
  }

  release(): void {
    this.block?.release();
  }
}

function simpleRnnBlock(wasm: RaggedWasmExports, layout: PackedLayout, C: number, H: number, x: Float32Array, h0: Float32Array, mask: Uint8Array | null): SimpleRnnBlock | null {
  const { batch: B, totalSteps: N, maxLength: T } = layout;
  const block = keptBlock(wasm, { state: N * H * 4, x: N * C * 4, h0: B * H * 4, offsets: (T + 1) * 4, batchSizes: T * 4, mask: mask ? N : null });
  if (block === null) return null;
  putInputs(block, layout, x, C, mask, [[block.p.h0, h0, B * H]]);
  return block;
}

// x: [N,C], W: [C,H], U: [H,H], b: [H], h0: [B,H], mask: [N] → h: [N,H], hLast: [B,H] (state stays in wasm memory)
export function wasmSimpleRnnForward(args: SimpleRnnForwardArgs): SimpleRnnCache {
  const { layout, x, C, H, weights, activation } = args;
  const { batch: B, totalSteps: N, maxLength: T } = layout;
  const wasm = loadRaggedWasm();
  const mask = args.mask ?? null;
  const fits =
    isCount(C) && isCount(H) && H > 0 && knownAct(activation) && args.recurrentMask === undefined &&
    (mask === null || mask.length === N) && x.length >= N * C && weights.kernel.length >= C * H && weights.recurrentKernel.length >= H * H &&
    (weights.bias === null || weights.bias.length >= H) && (args.h0 === undefined || args.h0.length >= B * H);
  if (wasm === null || !fits) return simpleRnnForward(args);
  if (args.slot) cacheOfSlot.get(args.slot)?.release();

  const h0 = args.h0 ?? new Float32Array(B * H);
  const block = simpleRnnBlock(wasm, layout, C, H, x, h0, mask);
  if (block === null) return simpleRnnForward(args);
  const { p } = block;
  const arena = new WasmArena(wasm); // above the block
  const q = {
    hOut: mask ? arena.floats(N * H) : p.state,
    W: arena.floats(C * H),
    U: arena.floats(H * H),
    bias: weights.bias ? arena.floats(H) : 0,
    scratch: arena.reserve(wasm.simpleRnnScratchBytes(N, C, H)),
  };
  if (!arena.commit()) {
    block.release();
    return simpleRnnForward(args);
  }
  const mem = arena.f32;
  mem.set(weights.kernel.subarray(0, C * H), q.W >> 2);
  mem.set(weights.recurrentKernel.subarray(0, H * H), q.U >> 2);
  if (weights.bias) mem.set(weights.bias.subarray(0, H), q.bias >> 2);

  wasm.simpleRnnForward(p.state, q.hOut, p.x, q.W, q.U, q.bias, p.h0, p.offsets, p.batchSizes, p.mask, T, N, C, H, activation, q.scratch);

  const out = arena.f32;
  const h = out.slice(q.hOut >> 2, (q.hOut >> 2) + N * H);
  const hLast = lastRows(out.subarray(p.state >> 2, (p.state >> 2) + N * H), h0, layout, H);
  const keep = args.needsGrad ?? true;
  if (!keep) block.release();
  const cache = new WasmSimpleRnnCache(layout, C, H, x, h, mask, h0, hLast, keep ? block : null);
  if (keep) {
    leakGuard.register(cache, block, block);
    if (args.slot) cacheOfSlot.set(args.slot, cache);
  }
  return cache;
}

// dh: [N,H], dhLast: [B,H] → dx: [N,C], dh0: [B,H]; grads += dW [C,H], dU [H,H], db [H]
// (the mask is the one forward ran with; a wasm cache is consumed: its block is freed)
export function wasmSimpleRnnBackward(args: SimpleRnnBackwardArgs): SimpleRnnBackwardResult {
  const { cache } = args;
  const block = cache instanceof WasmSimpleRnnCache ? cache.liveBlock() : null;
  try {
    return simpleRnnBackwardInWasm(args, block);
  } finally {
    block?.release();
  }
}

function simpleRnnBackwardInWasm(args: SimpleRnnBackwardArgs, cacheBlock: SimpleRnnBlock | null): SimpleRnnBackwardResult {
  const { cache, weights, activation, dh, dhLast, grads } = args;
  const { layout, C, H } = cache;
  const { batch: B, totalSteps: N, maxLength: T } = layout;
  const wasm = loadRaggedWasm();
  const fromArrays = cacheBlock === null;
  const fits =
    isCount(C) && isCount(H) && H > 0 && knownAct(activation) && cache.recurrentMask === undefined &&
    (!fromArrays || (cache.x.length >= N * C && cache.state.length >= N * H && cache.h0.length >= B * H && (cache.mask === null || cache.mask.length === N))) &&
    weights.kernel.length >= C * H && weights.recurrentKernel.length >= H * H &&
    (dh === null || dh.length >= N * H) && (dhLast === null || dhLast.length >= B * H) &&
    grads.kernel.length >= C * H && grads.recurrentKernel.length >= H * H && (grads.bias === null || grads.bias.length >= H);
  if (wasm === null || !fits) return simpleRnnBackward(args);
  let block = cacheBlock;
  if (block === null) {
    block = simpleRnnBlock(wasm, layout, C, H, cache.x, cache.h0, cache.mask);
    if (block === null) return simpleRnnBackward(args);
    new Float32Array(wasm.memory.buffer, block.p.state, N * H).set(cache.state.subarray(0, N * H));
  }
  try {
    const { p } = block;
    const arena = new WasmArena(wasm); // above every block
    const q = {
      dx: args.needInputGrad ? arena.floats(N * C) : 0,
      dhNext: arena.floats(B * H),
      gW: arena.floats(C * H),
      gU: arena.floats(H * H),
      gb: grads.bias ? arena.floats(H) : 0,
      W: arena.floats(C * H),
      U: arena.floats(H * H),
      dh: dh ? arena.floats(N * H) : 0,
      dPre: arena.floats(N * H),
      hPrev: arena.floats(N * H),
      scratch: arena.reserve(wasm.simpleRnnScratchBytes(N, C, H)),
    };
    if (!arena.commit()) return simpleRnnBackward(args);
    const mem = arena.f32;
    const put = (at: number, src: Float32Array, n: number): void => mem.set(src.subarray(0, n), at >> 2);
    if (dhLast) put(q.dhNext, dhLast, B * H);
    else mem.fill(0, q.dhNext >> 2, (q.dhNext >> 2) + B * H);
    put(q.gW, grads.kernel, C * H);
    put(q.gU, grads.recurrentKernel, H * H);
    if (grads.bias) put(q.gb, grads.bias, H);
    put(q.W, weights.kernel, C * H);
    put(q.U, weights.recurrentKernel, H * H);
    if (dh) put(q.dh, dh, N * H);

    wasm.simpleRnnBackward(
      q.dx, q.dhNext, q.gW, q.gU, q.gb, p.x, q.W, q.U, p.state, p.h0, q.dh,
      p.offsets, p.batchSizes, p.mask, T, N, C, H, activation, q.dPre, q.hPrev, q.scratch,
    );

    const out = arena.f32;
    const get = (at: number, n: number): Float32Array => out.subarray(at >> 2, (at >> 2) + n);
    grads.kernel.set(get(q.gW, C * H));
    grads.recurrentKernel.set(get(q.gU, H * H));
    if (grads.bias) grads.bias.set(get(q.gb, H));
    return { dx: args.needInputGrad ? get(q.dx, N * C).slice() : null, dh0: get(q.dhNext, B * H).slice() };
  } finally {
    if (fromArrays) block.release();
  }
}

// ---------------------------------------------------------------------------------------------
// GRU, both forms: the same structure (the cache is gates, aux = recH or resetState, and state).

/** gates [N,G], aux [N,H], state [N,H], x [N,C], h0 [B,H], offsets, batchSizes (i32), mask (u8, or 0). */
type GruBlock = KeptBlock<"gates" | "aux" | "state" | "x" | "h0" | "offsets" | "batchSizes" | "mask">;

/** A `GruCache` whose gates, recH / resetState and state stay in wasm memory (without a mask state equals `h`). */
class WasmGruCache implements GruCache {
  constructor(
    readonly layout: PackedLayout,
    readonly C: number,
    readonly H: number,
    readonly resetAfter: boolean,
    readonly x: Float32Array,
    readonly h: Float32Array,
    readonly mask: Uint8Array | null,
    readonly h0: Float32Array,
    readonly hLast: Float32Array,
    private readonly block: GruBlock | null,
  ) {}

  get gates(): Float32Array {
    return this.read("gates", 3 * this.H);
  }

  get recH(): Float32Array | null {
    return this.resetAfter ? this.read("aux", this.H) : null;
  }

  get resetState(): Float32Array | null {
    return this.resetAfter ? null : this.read("aux", this.H);
  }

  get state(): Float32Array {
    return this.mask ? this.read("state", this.H) : this.h;
  }

  liveBlock(): GruBlock {
    return liveBlock(this.block, "GRU");
  }

  release(): void {
    this.block?.release();
  }

  private read(name: "gates" | "aux" | "state", width: number): Float32Array {
    const block = this.liveBlock();
    return block.read(block.p[name], this.layout.totalSteps * width);
  }
}

function gruBlock(wasm: RaggedWasmExports, layout: PackedLayout, C: number, H: number, x: Float32Array, h0: Float32Array, mask: Uint8Array | null): GruBlock | null {
  const { batch: B, totalSteps: N, maxLength: T } = layout;
  const block = keptBlock(wasm, {
    gates: N * 3 * H * 4, aux: N * H * 4, state: N * H * 4, x: N * C * 4, h0: B * H * 4,
    offsets: (T + 1) * 4, batchSizes: T * 4, mask: mask ? N : null,
  });
  if (block === null) return null;
  putInputs(block, layout, x, C, mask, [[block.p.h0, h0, B * H]]);
  return block;
}

/** Copies U [H,G] to `U`, and (without resetAfter) its z|r columns to `uZR` [H,2H] and h columns to `uH` [H,H]. */
function putGruRecurrentKernel(mem: Float32Array, U: Float32Array, H: number, resetAfter: boolean, at: { U: number; uZR: number; uH: number }): void {
  const G = 3 * H;
  mem.set(U.subarray(0, H * G), at.U >> 2);
  if (resetAfter) return;
  const { zr, h } = splitRecurrentKernel(U, H);
  mem.set(zr, at.uZR >> 2);
  mem.set(h, at.uH >> 2);
}

// x: [N,C], W: [C,3H], U: [H,3H], b: [2,3H] | [3H], h0: [B,H], mask: [N] → h: [N,H], hLast: [B,H]
// (gates [N,3H], recH | resetState and state [N,H] stay in wasm memory for backward)
export function wasmGruForward(args: GruForwardArgs): GruCache {
  const { layout, x, C, H, weights, activation, recurrentActivation, resetAfter } = args;
  const { batch: B, totalSteps: N, maxLength: T } = layout;
  const G = 3 * H;
  const biasSize = resetAfter ? 2 * G : G;
  const wasm = loadRaggedWasm();
  const mask = args.mask ?? null;
  const fits =
    isCount(C) && isCount(H) && H > 0 && knownAct(activation) && knownAct(recurrentActivation) &&
    args.recurrentMask === undefined &&
    (mask === null || mask.length === N) && x.length >= N * C && weights.kernel.length >= C * G &&
    weights.recurrentKernel.length >= H * G && (weights.bias === null || weights.bias.length === biasSize) &&
    (args.h0 === undefined || args.h0.length >= B * H);
  if (wasm === null || !fits) return gruForward(args);
  if (args.slot) cacheOfSlot.get(args.slot)?.release();

  const h0 = args.h0 ?? new Float32Array(B * H);
  const block = gruBlock(wasm, layout, C, H, x, h0, mask);
  if (block === null) return gruForward(args);
  const { p } = block;
  const arena = new WasmArena(wasm); // above the block
  const q = {
    hOut: mask ? arena.floats(N * H) : p.state,
    W: arena.floats(C * G),
    U: arena.floats(H * G),
    uZR: resetAfter ? 0 : arena.floats(2 * H * H),
    uH: resetAfter ? 0 : arena.floats(H * H),
    bias: arena.floats(2 * G), // zeros without bias
    rec: arena.floats(B * G),
    recHH: arena.floats(B * H),
    scratch: arena.reserve(wasm.gruScratchBytes(N, C, H)),
  };
  if (!arena.commit()) {
    block.release();
    return gruForward(args);
  }
  const mem = arena.f32;
  mem.set(weights.kernel.subarray(0, C * G), q.W >> 2);
  putGruRecurrentKernel(mem, weights.recurrentKernel, H, resetAfter, q);
  mem.fill(0, q.bias >> 2, (q.bias >> 2) + 2 * G);
  if (weights.bias) mem.set(weights.bias, q.bias >> 2);

  wasm.gruForward(
    p.gates, p.aux, p.state, q.hOut, p.x, q.W, q.U, q.uZR, q.uH, q.bias, p.h0,
    p.offsets, p.batchSizes, p.mask, T, N, C, H, activation, recurrentActivation, resetAfter ? 1 : 0, q.rec, q.recHH, q.scratch,
  );

  const out = arena.f32;
  const h = out.slice(q.hOut >> 2, (q.hOut >> 2) + N * H);
  const hLast = lastRows(out.subarray(p.state >> 2, (p.state >> 2) + N * H), h0, layout, H);
  const keep = args.needsGrad ?? true;
  if (!keep) block.release();
  const cache = new WasmGruCache(layout, C, H, resetAfter, x, h, mask, h0, hLast, keep ? block : null);
  if (keep) {
    leakGuard.register(cache, block, block);
    if (args.slot) cacheOfSlot.set(args.slot, cache);
  }
  return cache;
}

// dh: [N,H], dhLast: [B,H] → dx: [N,C], dh0: [B,H]; grads += dW [C,3H], dU [H,3H], db [2,3H] | [3H]
// (the mask and resetAfter are the ones forward ran with; a wasm cache is consumed: its block is freed)
export function wasmGruBackward(args: GruBackwardArgs): GruBackwardResult {
  const { cache } = args;
  const block = cache instanceof WasmGruCache ? cache.liveBlock() : null;
  try {
    return gruBackwardInWasm(args, block);
  } finally {
    block?.release();
  }
}

function gruBackwardInWasm(args: GruBackwardArgs, cacheBlock: GruBlock | null): GruBackwardResult {
  const { cache, weights, activation, recurrentActivation, dh, dhLast, grads } = args;
  const { layout, C, H, resetAfter } = cache;
  const { batch: B, totalSteps: N, maxLength: T } = layout;
  const G = 3 * H;
  const wasm = loadRaggedWasm();
  const fromArrays = cacheBlock === null;
  const aux = fromArrays ? (resetAfter ? cache.recH : cache.resetState) : null;
  const fits =
    isCount(C) && isCount(H) && H > 0 && knownAct(activation) && knownAct(recurrentActivation) &&
    cache.recurrentMask === undefined &&
    (!fromArrays || (cache.x.length >= N * C && cache.gates.length >= N * G && aux !== null && aux.length >= N * H &&
      cache.state.length >= N * H && cache.h0.length >= B * H && (cache.mask === null || cache.mask.length === N))) &&
    weights.kernel.length >= C * G && weights.recurrentKernel.length >= H * G &&
    (dh === null || dh.length >= N * H) && (dhLast === null || dhLast.length >= B * H) &&
    grads.kernel.length >= C * G && grads.recurrentKernel.length >= H * G &&
    (grads.bias === null || grads.bias.length === (resetAfter ? 2 * G : G));
  if (wasm === null || !fits) return gruBackward(args);
  let block = cacheBlock;
  if (block === null) {
    block = gruBlock(wasm, layout, C, H, cache.x, cache.h0, cache.mask);
    if (block === null) return gruBackward(args);
    const f32 = new Float32Array(wasm.memory.buffer);
    f32.set(cache.gates.subarray(0, N * G), block.p.gates >> 2);
    f32.set((aux as Float32Array).subarray(0, N * H), block.p.aux >> 2);
    f32.set(cache.state.subarray(0, N * H), block.p.state >> 2);
  }
  try {
    const { p } = block;
    const arena = new WasmArena(wasm); // above every block
    const q = {
      dx: args.needInputGrad ? arena.floats(N * C) : 0,
      dhNext: arena.floats(B * H),
      gW: arena.floats(C * G),
      gU: arena.floats(H * G),
      gZR: resetAfter ? 0 : arena.floats(2 * H * H),
      gH: resetAfter ? 0 : arena.floats(H * H),
      gb: grads.bias ? arena.floats(grads.bias.length) : 0,
      W: arena.floats(C * G),
      U: arena.floats(H * G),
      uZR: resetAfter ? 0 : arena.floats(2 * H * H),
      uH: resetAfter ? 0 : arena.floats(H * H),
      dh: dh ? arena.floats(N * H) : 0,
      hPrev: arena.floats(N * H),
      dX: arena.floats(N * G),
      dRec: resetAfter ? arena.floats(N * G) : 0,
      dZR: resetAfter ? 0 : arena.floats(N * 2 * H),
      dHH: resetAfter ? 0 : arena.floats(N * H),
      dRs: resetAfter ? 0 : arena.floats(B * H),
      scratch: arena.reserve(wasm.gruScratchBytes(N, C, H)),
    };
    if (!arena.commit()) return gruBackward(args);
    const mem = arena.f32;
    const put = (at: number, src: Float32Array, n: number): void => mem.set(src.subarray(0, n), at >> 2);
    if (dhLast) put(q.dhNext, dhLast, B * H);
    else mem.fill(0, q.dhNext >> 2, (q.dhNext >> 2) + B * H);
    put(q.gW, grads.kernel, C * G);
    if (resetAfter) put(q.gU, grads.recurrentKernel, H * G);
    if (grads.bias) put(q.gb, grads.bias, grads.bias.length);
    put(q.W, weights.kernel, C * G);
    putGruRecurrentKernel(mem, weights.recurrentKernel, H, resetAfter, q);
    if (dh) put(q.dh, dh, N * H);

    wasm.gruBackward(
      q.dx, q.dhNext, q.gW, q.gU, q.gZR, q.gH, q.gb,
      p.x, q.W, q.U, q.uZR, q.uH, p.gates, p.aux, p.state, p.h0, q.dh,
      p.offsets, p.batchSizes, p.mask, T, N, C, H, activation, recurrentActivation, resetAfter ? 1 : 0,
      q.hPrev, q.dX, q.dRec, q.dZR, q.dHH, q.dRs, q.scratch,
    );

    const out = arena.f32;
    const get = (at: number, n: number): Float32Array => out.subarray(at >> 2, (at >> 2) + n);
    grads.kernel.set(get(q.gW, C * G));
    if (resetAfter) grads.recurrentKernel.set(get(q.gU, H * G));
    else {
      // dU = [h_pᵀ·[dz', dr'] | (r⊙h_p)ᵀ·dhh'], added into its column blocks
      const gZR = get(q.gZR, 2 * H * H);
      const gH = get(q.gH, H * H);
      const gU = grads.recurrentKernel;
      for (let k = 0; k < H; k++) {
        for (let c = 0; c < 2 * H; c++) gU[k * G + c] += gZR[k * 2 * H + c];
        for (let c = 0; c < H; c++) gU[k * G + 2 * H + c] += gH[k * H + c];
      }
    }
    if (grads.bias) grads.bias.set(get(q.gb, grads.bias.length));
    return { dx: args.needInputGrad ? get(q.dx, N * C).slice() : null, dh0: get(q.dhNext, B * H).slice() };
  } finally {
    if (fromArrays) block.release();
  }
}

/** A kept block that is still alive, or a RaggedError saying why it is not. */
function liveBlock<K extends string>(block: KeptBlock<K> | null, layer: string): KeptBlock<K> {
  if (block === null) {
    throw new RaggedError("INVALID_ARGUMENT", `This ${layer} forward ran with needsGrad: false, so it kept nothing for backward.`, {
      help: "run forward with needsGrad: true (the default) when backward will follow",
    });
  }
  if (!block.alive) {
    throw new RaggedError("INVALID_ARGUMENT", `This ${layer} cache is gone: backward has consumed it, or a newer forward in the same slot replaced it.`, {
      help: "run backward once per forward, before the next forward of the same layer",
    });
  }
  return block;
}

/**
 * The WebAssembly SIMD kernels; each falls back to the JS reference when it must.
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
  simpleRnnForward: wasmSimpleRnnForward,
  simpleRnnBackward: wasmSimpleRnnBackward,
  gruForward: wasmGruForward,
  gruBackward: wasmGruBackward,
};

function isCount(n: number): boolean {
  return Number.isInteger(n) && n >= 0;
}

function knownAct(id: number): boolean {
  return id === Act.Linear || id === Act.Sigmoid || id === Act.Tanh || id === Act.Relu ||
    id === Act.HardSigmoid || id === Act.HardSigmoidTfjs;
}
