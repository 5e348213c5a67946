/**
 * The SimpleRNN in WebAssembly SIMD: `wasmSimpleRnnForward` / `wasmSimpleRnnBackward`, the fast
 * twins of `simpleRnnForward` / `simpleRnnBackward` in ../simple_rnn.ts (the spec). The same
 * structure as the LSTM (wasm/lstm.ts): the cache is `state` and the inputs, kept in a wasm block
 * (see _kept_block.ts), and h and dx handed on in wasm memory in a training step (NOTE [ rows kept
 * in wasm between layers ]).
 */
import { absentOrFits, cacheInputsFit, recurrentBackwardFits, recurrentForwardFits } from "./_fits.js";
import { stepCopy } from "../../step_buffers.js";
import { floatsAt, putFloats, putFloatsOrZeros } from "./_copy.js";
import { backwardOnBlock, keepForBackward, liveBlock, recurrentBlock, releaseSlot, type KeptBlock } from "./_kept_block.js";
import { dxRowsFor, gradInput, keptOutputRows, resultWithDxRows, readableInput, withGradArray, withInputArray, type WasmRows } from "./wasm_rows.js";
import { lastRows } from "../recurrent_rows.js";
import {
  simpleRnnBackward, simpleRnnForward,
  type SimpleRnnBackwardArgs, type SimpleRnnBackwardResult, type SimpleRnnCache, type SimpleRnnForwardArgs,
} from "../simple_rnn.js";
import { loadRaggedWasm, WasmArena, type RaggedWasmExports } from "../../wasm/loader.js";
import type { PackedLayout } from "../../packed_layout.js";

/** state [N,H], x [N,C], h0 [B,H], offsets, batchSizes (i32), mask (u8, or 0), recMask [B,H] (the recurrent dropout mask, or 0). */
type SimpleRnnBlock = KeptBlock<"state" | "x" | "h0" | "offsets" | "batchSizes" | "mask" | "recMask">;

/** A `SimpleRnnCache` whose state stays in wasm memory (without a mask it equals `h`). */
class WasmSimpleRnnCache implements SimpleRnnCache {
  constructor(
    readonly layout: PackedLayout,
    readonly C: number,
    readonly H: number,
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
    private readonly block: SimpleRnnBlock | null,
  ) {}

  get x(): Float32Array {
    return this.xRows ? this.xRows.toArray() : this.xArray;
  }

  get h(): Float32Array {
    return this.hRows ? this.hRows.toArray() : (this.hArray as Float32Array);
  }

  get state(): Float32Array {
    if (!this.mask) return this.h;
    const block = this.liveBlock();
    return block.read(block.p.state, this.layout.totalSteps * this.H);
  }

  /** The block, for backward; throws when it (or the input rows it points at) is gone. */
  liveBlock(): SimpleRnnBlock {
    this.xRows?.requireAlive(); // the block reads x there
    return liveBlock(this.block, "SimpleRNN");
  }

  release(): void {
    this.block?.release();
  }
}

/** Allocates a SimpleRNN block and copies in what forward reads from it (x, h0, the layout, the mask, the recurrent dropout mask). */
function simpleRnnBlock(
  wasm: RaggedWasmExports, layout: PackedLayout, C: number, H: number, x: Float32Array, h0: Float32Array, mask: Uint8Array | null, recMask: Float32Array | undefined, xAt?: number,
): SimpleRnnBlock | null {
  return recurrentBlock(wasm, layout, C, H, x, mask, { state: layout.totalSteps * H }, { h0 }, recMask, xAt);
}

/** Where a forward's weights go: W [C,H], U [H,H], the bias [H] (0: none). */
export function simpleRnnWeightSlots(arena: WasmArena, C: number, H: number, withBias: boolean) {
  return { W: arena.floats(C * H), U: arena.floats(H * H), bias: withBias ? arena.floats(H) : 0 };
}

/** Copies a forward's weights into their slots. */
export function putSimpleRnnWeights(mem: Float32Array, at: ReturnType<typeof simpleRnnWeightSlots>, weights: SimpleRnnForwardArgs["weights"], C: number, H: number): void {
  putFloats(mem, at.W, weights.kernel, C * H);
  putFloats(mem, at.U, weights.recurrentKernel, H * H);
  if (weights.bias) putFloats(mem, at.bias, weights.bias, H);
}

// x: [N,C], W: [C,H], U: [H,H], b: [H], h0: [B,H], mask: [N], recurrentMask: [B,H] → h: [N,H], hLast: [B,H] (state stays in wasm memory)
export function wasmSimpleRnnForward(given: SimpleRnnForwardArgs): SimpleRnnCache {
  const wasm = loadRaggedWasm();
  const args = readableInput(given, wasm, given.layout.totalSteps * given.C); // xRows, if any, usable
  const { layout, x, C, H, weights, activation, xRows } = args;
  const { batch: B, totalSteps: N, maxLength: T } = layout;
  const mask = args.mask ?? null;
  const fits = recurrentForwardFits(args, H, [activation]) && absentOrFits(weights.bias, H);
  if (wasm === null || !fits) return simpleRnnForward(withInputArray(args));
  releaseSlot(args.slot);

  const h0 = args.h0 ?? new Float32Array(B * H);
  const recMask = args.recurrentMask;
  const block = simpleRnnBlock(wasm, layout, C, H, x, h0, mask, recMask, xRows?.ptr);
  if (block === null) return simpleRnnForward(withInputArray(args));
  const { p } = block;
  const arena = new WasmArena(wasm); // above the block
  const q = {
    hOut: mask ? arena.floats(N * H) : p.state,
    ...simpleRnnWeightSlots(arena, C, H, weights.bias !== null),
    dropped: recMask ? arena.floats(B * H) : 0,
    scratch: arena.reserve(wasm.simpleRnnScratchBytes(N, C, H)),
  };
  if (!arena.commit()) {
    block.release();
    return simpleRnnForward(withInputArray(args));
  }
  putSimpleRnnWeights(arena.f32, q, weights, C, H);

  wasm.simpleRnnForward(p.state, q.hOut, p.x, q.W, q.U, q.bias, p.h0, p.offsets, p.batchSizes, p.mask, p.recMask, q.dropped, T, N, C, H, activation, q.scratch);

  const out = arena.f32;
  const hRows = keptOutputRows(block, p.state, N * H, args.needsGrad, mask);
  const h = hRows ? null : stepCopy(floatsAt(out, q.hOut, N * H));
  const hLast = lastRows(floatsAt(out, p.state, N * H), h0, layout, H);
  return keepForBackward(block, args.needsGrad, args.slot, (kept) =>
    new WasmSimpleRnnCache(layout, C, H, x, xRows, h, hRows, mask, h0, hLast, recMask, kept));
}

// dh: [N,H], dhLast: [B,H] → dx: [N,C], dh0: [B,H]; grads += dW [C,H], dU [H,H], db [H]
// (the mask is the one forward ran with; a wasm cache is consumed: its block is freed)
export function wasmSimpleRnnBackward(args: SimpleRnnBackwardArgs): SimpleRnnBackwardResult {
  const { cache } = args;
  return backwardOnBlock(cache instanceof WasmSimpleRnnCache ? cache.liveBlock() : null, {
    fits: (fromArrays) => simpleRnnBackwardFits(args, fromArrays),
    blockFromArrays: (wasm) => simpleRnnBlockFromArrays(wasm, cache),
    run: (wasm, block) => simpleRnnBackwardOnBlock(wasm, args, block),
    reference: () => simpleRnnBackward(withGradArray(args)),
  });
}

function simpleRnnBackwardFits(args: SimpleRnnBackwardArgs, fromArrays: boolean): boolean {
  const { cache, activation, grads } = args;
  const { layout, H } = cache;
  return recurrentBackwardFits(args, H, [activation]) &&
    (!fromArrays || (cacheInputsFit(cache) && cache.state.length >= layout.totalSteps * H)) &&
    absentOrFits(grads.bias, H);
}

/** A block holding a reference cache's arrays (a cache the JS kernel made): the slow path. */
function simpleRnnBlockFromArrays(wasm: RaggedWasmExports, cache: SimpleRnnCache): SimpleRnnBlock | null {
  const { layout, C, H } = cache;
  const block = simpleRnnBlock(wasm, layout, C, H, cache.x, cache.h0, cache.mask, cache.recurrentMask);
  if (block === null) return null;
  block.write(block.p.state, cache.state, layout.totalSteps * H);
  return block;
}

function simpleRnnBackwardOnBlock(wasm: RaggedWasmExports, args: SimpleRnnBackwardArgs, block: SimpleRnnBlock): SimpleRnnBackwardResult {
  const { cache, weights, activation, dhLast, grads } = args;
  const { layout, C, H } = cache;
  const { batch: B, totalSteps: N, maxLength: T } = layout;
  const { p } = block;
  const { dhRows, dh } = gradInput(args, wasm, N * H);
  const dxRows = dxRowsFor(args, wasm, N * C, cache.mask); // below the arena
  const arena = new WasmArena(wasm); // above every block
  const q = {
    dx: dxRows ? dxRows.ptr : args.needInputGrad ? arena.floats(N * C) : 0,
    dhNext: arena.floats(B * H),
    gW: arena.floats(C * H),
    gU: arena.floats(H * H),
    gb: grads.bias ? arena.floats(H) : 0,
    W: arena.floats(C * H),
    U: arena.floats(H * H),
    dh: dhRows ? dhRows.ptr : dh ? arena.floats(N * H) : 0,
    dPre: arena.floats(N * H),
    hPrev: arena.floats(N * H),
    dropped: cache.recurrentMask ? arena.floats(B * H) : 0,
    scratch: arena.reserve(wasm.simpleRnnScratchBytes(N, C, H)),
  };
  if (!arena.commit()) {
    dxRows?.consume();
    return simpleRnnBackward(withGradArray(args));
  }
  const mem = arena.f32;
  putFloatsOrZeros(mem, q.dhNext, dhLast, B * H);
  putFloats(mem, q.gW, grads.kernel, C * H);
  putFloats(mem, q.gU, grads.recurrentKernel, H * H);
  if (grads.bias) putFloats(mem, q.gb, grads.bias, H);
  putFloats(mem, q.W, weights.kernel, C * H);
  putFloats(mem, q.U, weights.recurrentKernel, H * H);
  if (dh) putFloats(mem, q.dh, dh, N * H);

  wasm.simpleRnnBackward(
    q.dx, q.dhNext, q.gW, q.gU, q.gb, p.x, q.W, q.U, p.state, p.h0, q.dh,
    p.offsets, p.batchSizes, p.mask, p.recMask, T, N, C, H, activation, q.dPre, q.hPrev, q.dropped, q.scratch,
  );
  dhRows?.consume();

  const out = arena.f32;
  grads.kernel.set(floatsAt(out, q.gW, C * H));
  grads.recurrentKernel.set(floatsAt(out, q.gU, H * H));
  if (grads.bias) grads.bias.set(floatsAt(out, q.gb, H));
  const dh0 = floatsAt(out, q.dhNext, B * H).slice();
  if (dxRows) return resultWithDxRows(dxRows, { dh0 });
  return { dx: args.needInputGrad ? stepCopy(floatsAt(out, q.dx, N * C)) : null, dh0 };
}
