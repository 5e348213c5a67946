/**
 * The block a recurrent forward keeps in wasm memory for its backward (NOTE [ wasm memory ] in
 * src/core/wasm/loader.ts), and its lifecycle, the same for LSTM, GRU and SimpleRNN:
 *
 * - forward allocates one block (`recurrentBlock`): its cache arrays, then its inputs (x, the
 *   initial states, the layout, the mask), and copies the inputs in;
 * - forward's cache keeps the block (`keepForBackward`), or frees it at once with
 *   `needsGrad: false`; a new forward in the same `slot` frees the block the last one left there
 *   (`releaseSlot`), and a cache collected unconsumed frees its block too;
 * - backward reads the block in place and frees it (`backwardOnBlock`): a cache is consumed once.
 *   A backward given a reference cache copies its arrays into a fresh block and frees that too.
 */
import { RaggedError } from "../../errors.js";
import { loadRaggedWasm, WasmBlockPlan, wasmHeap, type RaggedWasmExports } from "../../wasm/loader.js";
import type { PackedLayout } from "../../packed_layout.js";

/** The arrays a recurrent forward keeps in wasm memory for its backward: one block, freed once. */
export class KeptBlock<K extends string> {
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

  /** Copies the first `count` floats of `src` to `ptr` (filling a block from a reference cache). */
  write(ptr: number, src: Float32Array, count: number): void {
    new Float32Array(this.wasm.memory.buffer, ptr, count).set(src.subarray(0, count));
  }

  release(): void {
    if (this.released) return;
    this.released = true;
    wasmHeap(this.wasm).free(this.at);
    leakGuard.unregister(this);
  }
}

/** The inputs every recurrent block holds after its cache arrays (besides the initial states). */
type InputName = "x" | "offsets" | "batchSizes" | "mask" | "recMask";

/**
 * Allocates a block holding `cacheFloats` (the cache arrays, sizes in floats), then x [N,C], the
 * initial `states` ([B,H] each), the layout's offsets and batchSizes (i32), the mask (u8) and the
 * recurrent dropout mask `recMask` ([B,H]; each address 0 without one), and copies the inputs in.
 * With `xAt` (the address of x's rows already in wasm memory: NOTE [ rows kept in wasm between
 * layers ]) the block points there instead of holding x. Null when memory is refused.
 */
export function recurrentBlock<K extends string, S extends string>(
  wasm: RaggedWasmExports, layout: PackedLayout, C: number, H: number, x: Float32Array, mask: Uint8Array | null,
  cacheFloats: Record<K, number>, states: Record<S, Float32Array>, recMask?: Float32Array, xAt?: number,
): KeptBlock<K | S | InputName> | null {
  const { batch: B, totalSteps: N, maxLength: T } = layout;
  const plan = new WasmBlockPlan();
  const offsets = {} as Record<K | S | InputName, number | null>;
  for (const k of Object.keys(cacheFloats) as K[]) offsets[k] = plan.floats(cacheFloats[k]);
  offsets.x = xAt === undefined ? plan.floats(N * C) : null;
  for (const s of Object.keys(states) as S[]) offsets[s] = plan.floats(B * H);
  offsets.offsets = plan.reserve((T + 1) * 4);
  offsets.batchSizes = plan.reserve(T * 4);
  offsets.mask = mask ? plan.reserve(N) : null;
  offsets.recMask = recMask ? plan.floats(B * H) : null;
  const placed = plan.place(wasm, offsets);
  if (placed === null) return null;
  if (xAt !== undefined) placed.p.x = xAt;
  const block = new KeptBlock(wasm, placed.at, placed.p);

  const { p } = block;
  const buffer = wasm.memory.buffer;
  if (xAt === undefined) block.write(p.x, x, N * C);
  for (const s of Object.keys(states) as S[]) block.write(p[s], states[s], B * H);
  new Int32Array(buffer, p.offsets, T + 1).set(layout.offsets.subarray(0, T + 1));
  new Int32Array(buffer, p.batchSizes, T).set(layout.batchSizes.subarray(0, T));
  if (mask) new Uint8Array(buffer, p.mask, mask.length).set(mask);
  if (recMask) block.write(p.recMask, recMask, B * H);
  return block;
}

/** A cache whose block was never consumed nor replaced (no backward, no slot) is freed when collected. */
const leakGuard = new FinalizationRegistry<KeptBlock<string>>((block) => block.release());
/** The cache each slot's last forward left (see `LstmForwardArgs.slot`). */
const cacheOfSlot = new WeakMap<object, { release(): void }>();

/** Frees the block the last forward in `slot` kept, if backward never consumed it. */
export function releaseSlot(slot: object | undefined): void {
  if (slot) cacheOfSlot.get(slot)?.release();
}

/**
 * Makes forward's cache with `makeCache`, handing it `block` to keep for backward — or, with
 * `needsGrad: false`, frees the block now and hands it null. A kept block is freed when the cache
 * is collected unconsumed, or by the next forward in `slot`.
 */
export function keepForBackward<K extends string, Cache extends { release(): void }>(
  block: KeptBlock<K>, needsGrad: boolean | undefined, slot: object | undefined,
  makeCache: (kept: KeptBlock<K> | null) => Cache,
): Cache {
  const keep = needsGrad ?? true;
  if (!keep) block.release();
  const cache = makeCache(keep ? block : null);
  if (keep) {
    leakGuard.register(cache, block, block);
    if (slot) cacheOfSlot.set(slot, cache);
  }
  return cache;
}

/** What `backwardOnBlock` needs from one kernel. */
export interface BackwardSteps<B, R> {
  /** Whether wasm can run this backward (`fromArrays`: the cache is a reference cache). */
  fits(fromArrays: boolean): boolean;
  /** A block holding a reference cache's arrays, or null when memory is refused. */
  blockFromArrays(wasm: RaggedWasmExports): B | null;
  /** The backward in wasm on `block` (it runs the reference itself if its scratch is refused). */
  run(wasm: RaggedWasmExports, block: B): R;
  /** The reference backward: the fallback. */
  reference(): R;
}

/**
 * Runs a recurrent backward on the block holding forward's cache: `own`, a wasm cache's block, or
 * (for a reference cache, `own` null) a fresh block filled from its arrays. Whichever block it is
 * is freed afterwards, whatever happens, fallback included: backward consumes its cache.
 */
export function backwardOnBlock<B extends KeptBlock<string>, R>(own: B | null, steps: BackwardSteps<B, R>): R {
  let block = own;
  try {
    const wasm = loadRaggedWasm();
    if (wasm === null || !steps.fits(own === null)) return steps.reference();
    block ??= steps.blockFromArrays(wasm);
    if (block === null) return steps.reference();
    return steps.run(wasm, block);
  } finally {
    block?.release();
  }
}

/** A kept block that is still alive, or a RaggedError saying why it is not. */
export function liveBlock<K extends string>(block: KeptBlock<K> | null, layer: string): KeptBlock<K> {
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
