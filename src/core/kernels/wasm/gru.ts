/**
 * The GRU in WebAssembly SIMD, both forms (`resetAfter` true and false): `wasmGruForward` /
 * `wasmGruBackward`, the fast twins of `gruForward` / `gruBackward` in ../gru.ts (the spec).
 * The same structure as the LSTM (wasm/lstm.ts): the cache is gates, aux (recH with resetAfter,
 * resetState without) and state, kept in a wasm block (see _kept_block.ts), and h and dx handed on
 * in wasm memory in a training step (NOTE [ rows kept in wasm between layers ]).
 */
import { cacheInputsFit, recurrentBackwardFits, recurrentForwardFits } from "./_fits.js";
import { stepCopy } from "../../step_buffers.js";
import { floatsAt, putFloats, putFloatsOrZeros } from "./_copy.js";
import { backwardOnBlock, keepForBackward, liveBlock, recurrentBlock, releaseSlot, type KeptBlock } from "./_kept_block.js";
import { dxRowsFor, gradInput, keptOutputRows, resultWithDxRows, readableInput, withGradArray, withInputArray, type WasmRows } from "./wasm_rows.js";
import {
  gruBackward, gruForward, splitRecurrentKernel,
  type GruBackwardArgs, type GruBackwardResult, type GruCache, type GruForwardArgs,
} from "../gru.js";
import { lastRows } from "../recurrent_rows.js";
import { loadRaggedWasm, WasmArena, type RaggedWasmExports } from "../../wasm/loader.js";
import type { PackedLayout } from "../../packed_layout.js";

/**
 * gates [N,G], aux [N,H], state [N,H], x [N,C], h0 [B,H], offsets, batchSizes (i32), mask (u8, or
 * 0), recMask [B,H] (the recurrent dropout mask, or 0).
 */
type GruBlock = KeptBlock<"gates" | "aux" | "state" | "x" | "h0" | "offsets" | "batchSizes" | "mask" | "recMask">;

/** A `GruCache` whose gates, recH / resetState and state stay in wasm memory (without a mask state equals `h`). */
class WasmGruCache implements GruCache {
  constructor(
    readonly layout: PackedLayout,
    readonly C: number,
    readonly H: number,
    readonly resetAfter: boolean,
    /** x, or (with `xRows`) empty. */
    private readonly xArray: Float32Array,
    readonly xRows: WasmRows | undefined,
    /** h, or null when it stays in the block (`hRows`). */
    private readonly hArray: Float32Array | null,
    readonly hRows: WasmRows | null,
    readonly mask: Uint8Array | null,
    readonly h0: Float32Array,
    readonly hLast: Float32Array,
    readonly recurrentMask: Float32Array | undefined,
    private readonly block: GruBlock | null,
  ) {}

  get x(): Float32Array {
    return this.xRows ? this.xRows.toArray() : this.xArray;
  }

  get h(): Float32Array {
    return this.hRows ? this.hRows.toArray() : (this.hArray as Float32Array);
  }

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

  /** The block, for backward; throws when it (or the input rows it points at) is gone. */
  liveBlock(): GruBlock {
    this.xRows?.requireAlive(); // the block reads x there
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

/** Allocates a GRU block and copies in what forward reads from it (x, h0, the layout, the mask, the recurrent dropout mask). */
function gruBlock(
  wasm: RaggedWasmExports, layout: PackedLayout, C: number, H: number, x: Float32Array, h0: Float32Array, mask: Uint8Array | null, recMask: Float32Array | undefined, xAt?: number,
): GruBlock | null {
  const N = layout.totalSteps;
  return recurrentBlock(wasm, layout, C, H, x, mask, { gates: N * 3 * H, aux: N * H, state: N * H }, { h0 }, recMask, xAt);
}

/** Copies U [H,G] to `U`, and (without resetAfter) its z|r columns to `uZR` [H,2H] and h columns to `uH` [H,H]. */
function putGruRecurrentKernel(mem: Float32Array, U: Float32Array, H: number, resetAfter: boolean, at: { U: number; uZR: number; uH: number }): void {
  const G = 3 * H;
  putFloats(mem, at.U, U, H * G);
  if (resetAfter) return;
  const { zr, h } = splitRecurrentKernel(U, H);
  mem.set(zr, at.uZR >> 2);
  mem.set(h, at.uH >> 2);
}

/** Where a forward's weights go: W [C,G], U [H,G], without resetAfter its split U_zr [H,2H] and U_h [H,H], bias [2,G]. */
export function gruWeightSlots(arena: WasmArena, C: number, H: number, resetAfter: boolean) {
  const G = 3 * H;
  return {
    W: arena.floats(C * G),
    U: arena.floats(H * G),
    uZR: resetAfter ? 0 : arena.floats(2 * H * H),
    uH: resetAfter ? 0 : arena.floats(H * H),
    bias: arena.floats(2 * G), // zeros without bias
  };
}

/** Copies a forward's weights into their slots (the bias, or zeros without one). */
export function putGruWeights(mem: Float32Array, at: ReturnType<typeof gruWeightSlots>, weights: GruForwardArgs["weights"], C: number, H: number, resetAfter: boolean): void {
  const G = 3 * H;
  putFloats(mem, at.W, weights.kernel, C * G);
  putGruRecurrentKernel(mem, weights.recurrentKernel, H, resetAfter, at);
  mem.fill(0, at.bias >> 2, (at.bias >> 2) + 2 * G);
  if (weights.bias) mem.set(weights.bias, at.bias >> 2);
}

// x: [N,C], W: [C,3H], U: [H,3H], b: [2,3H] | [3H], h0: [B,H], mask: [N], recurrentMask: [B,H] → h: [N,H], hLast: [B,H]
// (gates [N,3H], recH | resetState and state [N,H] stay in wasm memory for backward)
export function wasmGruForward(given: GruForwardArgs): GruCache {
  const wasm = loadRaggedWasm();
  const args = readableInput(given, wasm, given.layout.totalSteps * given.C); // xRows, if any, usable
  const { layout, x, C, H, weights, activation, recurrentActivation, resetAfter, xRows } = args;
  const { batch: B, totalSteps: N, maxLength: T } = layout;
  const G = 3 * H;
  const mask = args.mask ?? null;
  const fits =
    recurrentForwardFits(args, G, [activation, recurrentActivation]) &&
    (weights.bias === null || weights.bias.length === (resetAfter ? 2 * G : G));
  if (wasm === null || !fits) return gruForward(withInputArray(args));
  releaseSlot(args.slot);

  const h0 = args.h0 ?? new Float32Array(B * H);
  const recMask = args.recurrentMask;
  if (args.needsGrad === false && recMask === undefined) {
    const inferred = wasmGruInfer(wasm, withInputArray(args), h0, mask);
    if (inferred !== null) return inferred;
  }
  const block = gruBlock(wasm, layout, C, H, x, h0, mask, recMask, xRows?.ptr);
  if (block === null) return gruForward(withInputArray(args));
  const { p } = block;
  const arena = new WasmArena(wasm); // above the block
  const q = {
    hOut: mask ? arena.floats(N * H) : p.state,
    ...gruWeightSlots(arena, C, H, resetAfter),
    rec: arena.floats(B * G),
    recHH: arena.floats(B * H),
    dropped: recMask ? arena.floats(B * H) : 0,
    scratch: arena.reserve(wasm.gruScratchBytes(N, C, H)),
  };
  if (!arena.commit()) {
    block.release();
    return gruForward(withInputArray(args));
  }
  const mem = arena.f32;
  putGruWeights(mem, q, weights, C, H, resetAfter);

  wasm.gruForward(
    p.gates, p.aux, p.state, q.hOut, p.x, q.W, q.U, q.uZR, q.uH, q.bias, p.h0,
    p.offsets, p.batchSizes, p.mask, p.recMask, T, N, C, H, activation, recurrentActivation, resetAfter ? 1 : 0, q.rec, q.recHH, q.dropped, q.scratch,
  );

  const out = arena.f32;
  const hRows = keptOutputRows(block, p.state, N * H, args.needsGrad, mask);
  const h = hRows ? null : stepCopy(floatsAt(out, q.hOut, N * H));
  const hLast = lastRows(floatsAt(out, p.state, N * H), h0, layout, H);
  return keepForBackward(block, args.needsGrad, args.slot, (kept) =>
    new WasmGruCache(layout, C, H, resetAfter, x, xRows, h, hRows, mask, h0, hLast, recMask, kept));
}

// dh: [N,H], dhLast: [B,H] → dx: [N,C], dh0: [B,H]; grads += dW [C,3H], dU [H,3H], db [2,3H] | [3H]
// (the mask and resetAfter are the ones forward ran with; a wasm cache is consumed: its block is freed)
export function wasmGruBackward(args: GruBackwardArgs): GruBackwardResult {
  const { cache } = args;
  return backwardOnBlock(cache instanceof WasmGruCache ? cache.liveBlock() : null, {
    fits: (fromArrays) => gruBackwardFits(args, fromArrays),
    blockFromArrays: (wasm) => gruBlockFromArrays(wasm, cache),
    run: (wasm, block) => gruBackwardOnBlock(wasm, args, block),
    reference: () => gruBackward(withGradArray(args)),
  });
}

/** A reference cache's recH (resetAfter) or resetState (not): what the block holds as `aux`. */
function auxOf(cache: GruCache): Float32Array | null {
  return cache.resetAfter ? cache.recH : cache.resetState;
}

function gruBackwardFits(args: GruBackwardArgs, fromArrays: boolean): boolean {
  const { cache, activation, recurrentActivation, grads } = args;
  const { layout, H, resetAfter } = cache;
  const N = layout.totalSteps;
  const G = 3 * H;
  const aux = fromArrays ? auxOf(cache) : null;
  return recurrentBackwardFits(args, G, [activation, recurrentActivation]) &&
    (!fromArrays || (cacheInputsFit(cache) && cache.gates.length >= N * G && aux !== null && aux.length >= N * H &&
      cache.state.length >= N * H)) &&
    (grads.bias === null || grads.bias.length === (resetAfter ? 2 * G : G));
}

/** A block holding a reference cache's arrays (a cache the JS kernel made): the slow path. */
function gruBlockFromArrays(wasm: RaggedWasmExports, cache: GruCache): GruBlock | null {
  const { layout, C, H } = cache;
  const N = layout.totalSteps;
  const block = gruBlock(wasm, layout, C, H, cache.x, cache.h0, cache.mask, cache.recurrentMask);
  if (block === null) return null;
  const { p } = block;
  block.write(p.gates, cache.gates, N * 3 * H);
  block.write(p.aux, auxOf(cache) as Float32Array, N * H);
  block.write(p.state, cache.state, N * H);
  return block;
}

function gruBackwardOnBlock(wasm: RaggedWasmExports, args: GruBackwardArgs, block: GruBlock): GruBackwardResult {
  const { cache, weights, activation, recurrentActivation, dhLast, grads } = args;
  const { layout, C, H, resetAfter } = cache;
  const { batch: B, totalSteps: N, maxLength: T } = layout;
  const G = 3 * H;
  const { p } = block;
  const { dhRows, dh } = gradInput(args, wasm, N * H);
  const dxRows = dxRowsFor(args, wasm, N * C, cache.mask); // below the arena
  const arena = new WasmArena(wasm); // above every block
  const q = {
    dx: dxRows ? dxRows.ptr : args.needInputGrad ? arena.floats(N * C) : 0,
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
    dh: dhRows ? dhRows.ptr : dh ? arena.floats(N * H) : 0,
    hPrev: arena.floats(N * H),
    dX: arena.floats(N * G),
    dRec: resetAfter ? arena.floats(N * G) : 0,
    dZR: resetAfter ? 0 : arena.floats(N * 2 * H),
    dHH: resetAfter ? 0 : arena.floats(N * H),
    dRs: resetAfter ? 0 : arena.floats(B * H),
    dropped: cache.recurrentMask ? arena.floats(B * H) : 0,
    scratch: arena.reserve(wasm.gruScratchBytes(N, C, H)),
  };
  if (!arena.commit()) {
    dxRows?.consume();
    return gruBackward(withGradArray(args));
  }
  const mem = arena.f32;
  putFloatsOrZeros(mem, q.dhNext, dhLast, B * H);
  putFloats(mem, q.gW, grads.kernel, C * G);
  if (resetAfter) putFloats(mem, q.gU, grads.recurrentKernel, H * G);
  if (grads.bias) putFloats(mem, q.gb, grads.bias, grads.bias.length);
  putFloats(mem, q.W, weights.kernel, C * G);
  putGruRecurrentKernel(mem, weights.recurrentKernel, H, resetAfter, q);
  if (dh) putFloats(mem, q.dh, dh, N * H);

  wasm.gruBackward(
    q.dx, q.dhNext, q.gW, q.gU, q.gZR, q.gH, q.gb,
    p.x, q.W, q.U, q.uZR, q.uH, p.gates, p.aux, p.state, p.h0, q.dh,
    p.offsets, p.batchSizes, p.mask, p.recMask, T, N, C, H, activation, recurrentActivation, resetAfter ? 1 : 0,
    q.hPrev, q.dX, q.dRec, q.dZR, q.dHH, q.dRs, q.dropped, q.scratch,
  );
  dhRows?.consume();

  const out = arena.f32;
  grads.kernel.set(floatsAt(out, q.gW, C * G));
  if (resetAfter) grads.recurrentKernel.set(floatsAt(out, q.gU, H * G));
  else {
    // dU = [h_pᵀ·[dz', dr'] | (r⊙h_p)ᵀ·dhh'] (h_p ⊙ m with recurrent dropout), added into its column blocks
    const gZR = floatsAt(out, q.gZR, 2 * H * H);
    const gH = floatsAt(out, q.gH, H * H);
    const gU = grads.recurrentKernel;
    for (let k = 0; k < H; k++) {
      for (let c = 0; c < 2 * H; c++) gU[k * G + c] += gZR[k * 2 * H + c];
      for (let c = 0; c < H; c++) gU[k * G + 2 * H + c] += gH[k * H + c];
    }
  }
  if (grads.bias) grads.bias.set(floatsAt(out, q.gb, grads.bias.length));
  const dh0 = floatsAt(out, q.dhNext, B * H).slice();
  if (dxRows) return resultWithDxRows(dxRows, { dh0 });
  return { dx: args.needInputGrad ? stepCopy(floatsAt(out, q.dx, N * C)) : null, dh0 };
}

/**
 * `needsGrad: false` without recurrent dropout: `gruInfer`, which keeps only h — and with a mask the
 * carried state (NOTE [ inference keeps nothing ] in lstm.ts): per step x·W into a [B,G] buffer and
 * aux into a [B,H] one, instead of gates [N,G] and aux [N,H]. Bit-identical to the training
 * forward's h and hLast.
 */
function wasmGruInfer(wasm: RaggedWasmExports, args: GruForwardArgs, h0: Float32Array, mask: Uint8Array | null): GruCache | null {
  const { layout, x, C, H, weights, activation, recurrentActivation, resetAfter } = args;
  const { batch: B, totalSteps: N, maxLength: T } = layout;
  // the output and the carried state (apart from the output only with a mask); freed below
  const block = recurrentBlock(wasm, layout, C, H, x, mask, { hOut: N * H, state: mask ? N * H : 0 }, { h0 });
  if (block === null) return null;
  try {
    const { p } = block;
    const state = mask ? p.state : p.hOut;
    const arena = new WasmArena(wasm); // above the block
    const q = gruInferSlots(wasm, arena, N, B, C, H, resetAfter);
    if (!arena.commit()) return null;
    putGruWeights(arena.f32, q, weights, C, H, resetAfter);

    wasm.gruInfer(
      p.hOut, state, p.x, q.W, q.U, q.uZR, q.uH, q.bias, p.h0, p.offsets, p.batchSizes, p.mask, T, C, H,
      activation, recurrentActivation, resetAfter ? 1 : 0, q.rec, q.recHH, q.gStep, q.aStep, q.scratch,
    );

    const out = arena.f32;
    const h = stepCopy(floatsAt(out, p.hOut, N * H));
    const hLast = lastRows(mask ? floatsAt(out, state, N * H) : h, h0, layout, H);
    return new WasmGruCache(layout, C, H, resetAfter, x, undefined, h, null, mask, h0, hLast, undefined, null);
  } finally {
    block.release();
  }
}

/** What `gruInfer` needs besides its input and outputs: the weights, its step buffers rec, gStep [B,3H], recHH, aStep [B,H], and scratch. */
export function gruInferSlots(wasm: RaggedWasmExports, arena: WasmArena, N: number, B: number, C: number, H: number, resetAfter: boolean) {
  const G = 3 * H;
  return {
    ...gruWeightSlots(arena, C, H, resetAfter),
    rec: arena.floats(B * G),
    recHH: arena.floats(B * H),
    gStep: arena.floats(B * G),
    aStep: arena.floats(B * H),
    scratch: arena.reserve(wasm.gruScratchBytes(N, C, H)),
  };
}
