/**
 * Loads the WebAssembly SIMD kernels (built from src/core/wasm/assembly/ by `npm run build:wasm`)
 * synchronously, in Node and in browsers, and manages their linear memory.
 *
 * There are two builds of the same sources: "relaxed-simd" (FMA via relaxed_madd, a 6×8 GEMM
 * tile) is used where the engine validates it — current browsers, Node ≥ 22, or Node 20 started
 * with --experimental-wasm-relaxed-simd (or `v8.setFlagsFromString` before the first kernel
 * call) — and "simd" (mul + add, 5×8 tile) everywhere else SIMD runs. Both are held to the JS
 * reference by the same tests; they differ from each other only by rounding.
 *
 * NOTE [ wasm memory ]
 * The module never allocates: the caller lays out every array in linear memory above
 * `heapBase()`, in two kinds of region, both managed here.
 * - Blocks (`WasmHeap`): data kept between kernel calls, e.g. an LSTM forward's cache that its
 *   backward reads in place (src/core/kernels/wasm/_kept_block.ts). First fit over the live blocks, freed
 *   explicitly; a freed block's pages stay mapped, so the next step's block of the same size
 *   lands on memory that is already resident (no page faults, no zeroing).
 * - Arenas (`WasmArena`): one call's transient arrays, laid out above every live block (above
 *   `WasmHeap.top`) and dead when the call returns. No block may be allocated while an arena is
 *   in use (all of this is synchronous, one call at a time).
 * The memory grows when a region needs it and never shrinks. Views on `memory.buffer` are taken
 * only after growing, because growing detaches the old buffer.
 */
import { RAGGED_WASM_BASE64, RAGGED_WASM_RELAXED_BASE64 } from "./generated/ragged_wasm_bytes.js";

/** The module's exports (pointers are byte addresses, sizes element counts; see assembly/*.ts). */
export interface RaggedWasmExports {
  readonly memory: WebAssembly.Memory;
  heapBase(): number;
  gemm(out: number, a: number, b: number, M: number, N: number, K: number,
    transA: number, transB: number, accumulate: number, scratch: number): void;
  gemmScratchBytes(N: number, K: number, transB: number): number;
  lstmForward(
    gates: number, c: number, cAct: number, state: number, hOut: number,
    x: number, W: number, U: number, bias: number, h0: number, c0: number,
    offsets: number, batchSizes: number, mask: number, recMask: number, T: number, N: number, C: number, H: number,
    act: number, recAct: number, scratch: number,
  ): void;
  lstmForwardScratchBytes(C: number, H: number): number;
  lstmInfer(
    hOut: number, state: number, cLast: number, x: number, W: number, U: number, bias: number, h0: number, c0: number,
    offsets: number, batchSizes: number, mask: number, T: number, B: number, C: number, H: number, act: number, recAct: number, scratch: number,
  ): void;
  lstmInferScratchBytes(C: number, H: number, B: number): number;
  lstmBackward(
    dx: number, dhNext: number, dcNext: number, gWU: number, gb: number,
    x: number, W: number, U: number, gates: number, c: number, cAct: number, state: number, h0: number, c0: number,
    dh: number, offsets: number, batchSizes: number, mask: number, recMask: number, T: number, C: number, H: number,
    act: number, recAct: number, dzStep: number, scratch: number,
  ): void;
  lstmBackwardScratchBytes(C: number, H: number): number;
  simpleRnnForward(
    state: number, hOut: number, x: number, W: number, U: number, bias: number, h0: number,
    offsets: number, batchSizes: number, mask: number, recMask: number, dropped: number, T: number, N: number, C: number, H: number, act: number, scratch: number,
  ): void;
  simpleRnnBackward(
    dx: number, dhNext: number, gW: number, gU: number, gb: number,
    x: number, W: number, U: number, state: number, h0: number, dh: number,
    offsets: number, batchSizes: number, mask: number, recMask: number, T: number, N: number, C: number, H: number, act: number,
    dPre: number, hPrev: number, dropped: number, scratch: number,
  ): void;
  simpleRnnScratchBytes(N: number, C: number, H: number): number;
  gruForward(
    gates: number, aux: number, state: number, hOut: number,
    x: number, W: number, U: number, uZR: number, uH: number, bias: number, h0: number,
    offsets: number, batchSizes: number, mask: number, recMask: number, T: number, N: number, C: number, H: number,
    act: number, recAct: number, resetAfter: number, rec: number, recHH: number, dropped: number, scratch: number,
  ): void;
  gruInfer(
    hOut: number, state: number, x: number, W: number, U: number, uZR: number, uH: number, bias: number, h0: number,
    offsets: number, batchSizes: number, mask: number, T: number, C: number, H: number, act: number, recAct: number, resetAfter: number,
    rec: number, recHH: number, gStep: number, aStep: number, scratch: number,
  ): void;
  gruBackward(
    dx: number, dhNext: number, gW: number, gU: number, gZR: number, gH: number, gb: number,
    x: number, W: number, U: number, uZR: number, uH: number, gates: number, aux: number, state: number, h0: number, dh: number,
    offsets: number, batchSizes: number, mask: number, recMask: number, T: number, N: number, C: number, H: number,
    act: number, recAct: number, resetAfter: number,
    hPrev: number, dX: number, dRec: number, dZR: number, dHH: number, dRs: number, dropped: number, scratch: number,
  ): void;
  gruScratchBytes(N: number, C: number, H: number): number;
  layerNormForward(out: number, mean: number, rstd: number, x: number, gamma: number, beta: number, M: number, C: number, epsilon: number): void;
  layerNormBackward(dx: number, dGamma: number, dBeta: number, dOut: number, x: number, mean: number, rstd: number, gamma: number, M: number, C: number): void;
  denseForward(y: number, x: number, W: number, b: number, M: number, C: number, U: number, act: number, scratch: number): void;
  denseBackward(dx: number, gW: number, gb: number, dz: number, y: number, x: number, W: number, M: number, C: number, U: number, act: number, scratch: number): void;
  denseScratchBytes(M: number, C: number, U: number): number;
  crossentropy(out: number, grad: number, pred: number, target: number, scale: number, rows: number, width: number): void;
  batchNormStatistics(mean: number, variance: number, x: number, rowMask: number, M: number, C: number): number;
  batchNormForward(out: number, x: number, mean: number, variance: number, gamma: number, beta: number, M: number, C: number, epsilon: number, scratch: number): void;
  batchNormBackward(
    dx: number, dGamma: number, dBeta: number, dOut: number, x: number, mean: number, variance: number, gamma: number,
    rowMask: number, count: number, batchStatistics: number, M: number, C: number, epsilon: number, scratch: number,
  ): void;
  batchNormBackwardScratchBytes(C: number): number;
  attentionForward(
    out: number, probs: number, q: number, k: number, v: number,
    qLengths: number, kLengths: number, qStarts: number, kStarts: number, sStarts: number, P: number,
    Dk: number, Dv: number, kind: number, scale: number, w: number, inner: number, causal: number, mask: number,
    maxBlock: number, scratch: number,
  ): void;
  attentionBackward(
    dq: number, dk: number, dv: number, dW: number, dScale: number,
    probs: number, q: number, k: number, v: number, dOut: number, dProbs: number,
    qLengths: number, kLengths: number, qStarts: number, kStarts: number, sStarts: number, P: number,
    Dk: number, Dv: number, kind: number, scale: number, w: number, inner: number, causal: number, mask: number,
    maxBlock: number, scratch: number,
  ): void;
  attentionScratchBytes(maxLq: number, maxLk: number, Dk: number, Dv: number): number;
  conv1dForward(out: number, x: number, taps: number, W: number, bias: number, Nout: number, k: number, C: number, F: number, scratch: number): void;
  conv1dBackward(
    dx: number, dW: number, db: number, dOut: number, x: number, taps: number, W: number,
    Nin: number, Nout: number, k: number, C: number, F: number, scratch: number,
  ): void;
  conv1dScratchBytes(Nout: number, k: number, C: number, F: number): number;
  activateArray(id: number, out: number, x: number, n: number): void;
  activateDenseArray(id: number, out: number, x: number, n: number): void;
  expArray(out: number, x: number, n: number): void;
}

// The smallest module using a SIMD instruction (i8x16.splat, i8x16.popcnt): valid only where
// fixed-width SIMD is supported (the wasm-feature-detect probe).
const SIMD_PROBE = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 10, 1, 8, 0, 65, 0, 253, 15, 253, 98, 11,
]);

/** Whether this engine runs WebAssembly with fixed-width SIMD (Node ≥ 16.4, current browsers). */
export function wasmSimdSupported(): boolean {
  try {
    return typeof WebAssembly === "object" && WebAssembly.validate(SIMD_PROBE);
  } catch {
    return false;
  }
}

function decodeBase64(s: string): Uint8Array<ArrayBuffer> {
  const bin = atob(s);
  const bytes = new Uint8Array(new ArrayBuffer(bin.length));
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  return bytes;
}

/** Which build is loaded. */
export type WasmVariant = "relaxed-simd" | "simd";

let loaded: RaggedWasmExports | null | undefined;
let loadedVariant: WasmVariant | null = null;

/** The bytes of the best build this engine validates, or null when neither validates. */
function pickBuild(): { variant: WasmVariant; bytes: Uint8Array<ArrayBuffer> } | null {
  if (!wasmSimdSupported()) return null;
  const relaxed = decodeBase64(RAGGED_WASM_RELAXED_BASE64);
  if (WebAssembly.validate(relaxed)) return { variant: "relaxed-simd", bytes: relaxed };
  const plain = decodeBase64(RAGGED_WASM_BASE64);
  if (WebAssembly.validate(plain)) return { variant: "simd", bytes: plain };
  return null;
}

/**
 * The kernels' module, compiled and instantiated synchronously on first use; `null` when this
 * engine cannot run it (no WebAssembly, no SIMD, or compilation refused). Never throws.
 */
export function loadRaggedWasm(): RaggedWasmExports | null {
  if (loaded !== undefined) return loaded;
  loaded = null;
  try {
    const build = pickBuild();
    if (build === null) return loaded;
    const module = new WebAssembly.Module(build.bytes);
    const instance = new WebAssembly.Instance(module, {});
    loaded = instance.exports as unknown as RaggedWasmExports;
    loadedVariant = build.variant;
  } catch {
    // e.g. a browser main thread that refuses synchronous compilation: stay on the JS kernels
    loaded = null;
  }
  return loaded;
}

/** The build `loadRaggedWasm` loaded ("relaxed-simd" or "simd"), or null when none is loaded. */
export function wasmVariant(): WasmVariant | null {
  loadRaggedWasm();
  return loadedVariant;
}

/**
 * Compiles the module asynchronously, for engines that refuse synchronous compilation of this
 * size (Chrome's main thread allowed only 4 KB before it raised the limit to 8 MB; each build is
 * about 18 KB). After it resolves, `loadRaggedWasm()` returns the module without compiling.
 * @returns whether the module is available.
 */
export async function preloadRaggedWasm(): Promise<boolean> {
  if (loaded) return true;
  try {
    const build = pickBuild();
    if (build === null) return false;
    const module = await WebAssembly.compile(build.bytes);
    const instance = await WebAssembly.instantiate(module, {});
    loaded = instance.exports as unknown as RaggedWasmExports;
    loadedVariant = build.variant;
  } catch {
    loaded = null;
  }
  return loaded !== null;
}

/** Above this, a call falls back to the JS kernels (wasm32 pointers; see NOTE [ wasm memory ]). */
export const ARENA_LIMIT_BYTES = 2 ** 31 - 2 ** 20;

/** Grows `wasm`'s memory to at least `end` bytes; false past the limit or when the engine refuses. */
function ensureMemory(wasm: RaggedWasmExports, end: number): boolean {
  if (end > ARENA_LIMIT_BYTES) return false;
  const missing = end - wasm.memory.buffer.byteLength;
  if (missing > 0) {
    try {
      wasm.memory.grow(Math.ceil(missing / 65536));
    } catch {
      return false; // the engine refused more memory
    }
  }
  return true;
}

const align16 = (bytes: number): number => Math.ceil(bytes / 16) * 16;

/**
 * The blocks kept in one module instance's memory between calls (see NOTE [ wasm memory ]):
 * first fit over the live blocks, sorted by address. There are only a few (one per layer cache).
 */
export class WasmHeap {
  private readonly base: number;
  /** Live blocks, sorted by address: [start, end) byte ranges. */
  private readonly live: { at: number; end: number }[] = [];

  constructor(private readonly wasm: RaggedWasmExports) {
    this.base = wasm.heapBase();
  }

  /** The end of the highest live block (where arenas start). */
  get top(): number {
    return this.live.length === 0 ? this.base : this.live[this.live.length - 1].end;
  }

  /** A block of `bytes` (16-byte aligned); null when the memory cannot hold it. */
  alloc(bytes: number): number | null {
    const size = align16(Math.max(bytes, 16));
    let at = this.base;
    let i = 0;
    for (; i < this.live.length; i++) {
      if (this.live[i].at - at >= size) break;
      at = this.live[i].end;
    }
    if (!ensureMemory(this.wasm, at + size)) return null;
    this.live.splice(i, 0, { at, end: at + size });
    return at;
  }

  /** Frees the block at `at` (allocated by `alloc`); freeing an address twice is an error. */
  free(at: number): void {
    const i = this.live.findIndex((b) => b.at === at);
    if (i < 0) throw new Error(`WasmHeap: no live block at ${at}`);
    this.live.splice(i, 1);
  }

  /** How many blocks are live (for tests: caches must not leak). */
  get liveBlocks(): number {
    return this.live.length;
  }
}

const heaps = new WeakMap<RaggedWasmExports, WasmHeap>();

/** The block heap of a module instance (one per instance, e.g. per worker thread). */
export function wasmHeap(wasm: RaggedWasmExports): WasmHeap {
  let heap = heaps.get(wasm);
  if (!heap) heaps.set(wasm, (heap = new WasmHeap(wasm)));
  return heap;
}

/**
 * The layout of one block: `floats` / `reserve` hand out offsets from the block's start; `place`
 * allocates the block and turns them into addresses (null offsets, for arrays a call does not
 * need, become 0).
 * @example
 * const plan = new WasmBlockPlan();
 * const rel = { x: plan.floats(n), dx: needDx ? plan.floats(n) : null };
 * const p = plan.place(wasm); // { at, ptr(rel) } or null when memory is refused
 */
export class WasmBlockPlan {
  private size = 0;

  reserve(bytes: number): number {
    const at = this.size;
    this.size += align16(bytes);
    return at;
  }

  floats(count: number): number {
    return this.reserve(count * 4);
  }

  get bytes(): number {
    return this.size;
  }

  /** Allocates the block; returns the addresses of `offsets` and the block's start, or null. */
  place<K extends string>(wasm: RaggedWasmExports, offsets: Record<K, number | null>): { at: number; p: Record<K, number> } | null {
    const at = wasmHeap(wasm).alloc(this.size);
    if (at === null) return null;
    const p = {} as Record<K, number>;
    for (const k of Object.keys(offsets) as K[]) p[k] = offsets[k] === null ? 0 : at + (offsets[k] as number);
    return { at, p };
  }
}

/**
 * One call's transient layout in wasm memory, above every live block: `reserve` every array,
 * then `commit` (grows the memory), then read and write through `f32` / `i32`. See NOTE [ wasm
 * memory ].
 */
export class WasmArena {
  private top: number;
  private committed = false;

  constructor(private readonly wasm: RaggedWasmExports) {
    this.top = wasmHeap(wasm).top;
  }

  /** Reserves `bytes` (16-byte aligned) and returns their address. */
  reserve(bytes: number): number {
    if (this.committed) throw new Error("WasmArena: reserve after commit");
    const at = this.top;
    this.top = at + align16(bytes);
    return at;
  }

  /** Reserves `count` floats. */
  floats(count: number): number {
    return this.reserve(count * 4);
  }

  /** Grows the memory to hold everything reserved; false when it would exceed the limit. */
  commit(): boolean {
    this.committed = true;
    return ensureMemory(this.wasm, this.top);
  }

  /** A float view of the whole memory; take it after `commit` and after every call that may grow. */
  get f32(): Float32Array {
    return new Float32Array(this.wasm.memory.buffer);
  }

  get i32(): Int32Array {
    return new Int32Array(this.wasm.memory.buffer);
  }
}
