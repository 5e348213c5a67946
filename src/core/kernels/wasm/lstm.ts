/**
 * The LSTM in WebAssembly SIMD: `wasmLstmForward` / `wasmLstmBackward`, the fast twins of
 * `lstmForward` / `lstmBackward` in ../lstm.ts (the spec; gate order i, f, c, o is written there).
 * Forward leaves its cache in a wasm block (see _kept_block.ts) that backward reads in place and
 * then frees; only h and the final states are copied out — and in a training step not even h,
 * nor dx, when the layers around read them in wasm (NOTE [ rows kept in wasm between layers ]).
 */
import { absentOrFits, cacheInputsFit, recurrentBackwardFits, recurrentForwardFits } from "./_fits.js";
import { stepCopy } from "../../step_buffers.js";
import { floatsAt, putFloats, putFloatsOrZeros } from "./_copy.js";
import { backwardOnBlock, keepForBackward, liveBlock, recurrentBlock, releaseSlot, type KeptBlock } from "./_kept_block.js";
import { dxRowsFor, gradInput, keptOutputRows, resultWithDxRows, readableInput, withGradArray, withInputArray, type WasmRows } from "./wasm_rows.js";
import {
  lstmBackward, lstmForward,
  type LstmBackwardArgs, type LstmBackwardResult, type LstmCache, type LstmForwardArgs,
} from "../lstm.js";
import { lastRows } from "../recurrent_rows.js";
import { loadRaggedWasm, WasmArena, type RaggedWasmExports } from "../../wasm/loader.js";
import type { PackedLayout } from "../../packed_layout.js";

/**
 * Gates [N,G], c, cAct, state [N,H], x [N,C], h0, c0 [B,H], offsets, batchSizes (i32), mask (u8, or
 * 0), recMask [B,H] (the recurrent dropout mask, or 0).
 */
type LstmBlock = KeptBlock<"gates" | "c" | "cAct" | "state" | "x" | "h0" | "c0" | "offsets" | "batchSizes" | "mask" | "recMask">;

/**
 * An `LstmCache` whose gates, c, σ(c) and state stay in wasm memory (see `LstmCache`): reading them
 * copies them out while the block is alive.
 */
class WasmLstmCache implements LstmCache {
  constructor(
    readonly layout: PackedLayout,
    readonly C: number,
    readonly H: number,
    /** x, or (with `xRows`) empty. */
    private readonly xArray: Float32Array,
    /** x's rows in the layer before's block, when forward read them there. */
    readonly xRows: WasmRows | undefined,
    /** h, or null when it stays in the block (`hRows`). */
    private readonly hArray: Float32Array | null,
    readonly hRows: WasmRows | null,
    readonly h0: Float32Array,
    readonly c0: Float32Array,
    readonly hLast: Float32Array,
    readonly cLast: Float32Array,
    readonly mask: Uint8Array | undefined,
    readonly recurrentMask: Float32Array | undefined,
    /** null when forward ran with `needsGrad: false`. */
    private readonly block: LstmBlock | null,
  ) {}

  get x(): Float32Array {
    return this.xRows ? this.xRows.toArray() : this.xArray;
  }

  get h(): Float32Array {
    return this.hRows ? this.hRows.toArray() : (this.hArray as Float32Array);
  }

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

  /** The block, for backward; throws when it (or the input rows it points at) is gone. */
  liveBlock(): LstmBlock {
    this.xRows?.requireAlive(); // the block reads x there
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

/**
 * Allocates an LSTM block and copies in what forward reads from it (x, h0, c0, the layout, the
 * mask, the recurrent dropout mask).
 */
function lstmBlock(
  wasm: RaggedWasmExports, layout: PackedLayout, C: number, H: number,
  x: Float32Array, h0: Float32Array, c0: Float32Array, mask: Uint8Array | null, recMask: Float32Array | undefined, xAt?: number,
): LstmBlock | null {
  const N = layout.totalSteps;
  return recurrentBlock(wasm, layout, C, H, x, mask, { gates: N * 4 * H, c: N * H, cAct: N * H, state: N * H }, { h0, c0 }, recMask, xAt);
}

// x: [N,C], W: [C,4H], U: [H,4H], b: [4H], h0/c0: [B,H], mask: [N], recurrentMask: [B,H] → h: [N,H], hLast/cLast: [B,H]
// (gates [N,4H], c, cAct, state [N,H] stay in wasm memory for backward)
export function wasmLstmForward(given: LstmForwardArgs): LstmCache {
  const wasm = loadRaggedWasm();
  const args = readableInput(given, wasm, given.layout.totalSteps * given.C); // xRows, if any, usable
  const { layout, x, C, H, weights, activation, recurrentActivation, xRows } = args;
  const { batch: B, totalSteps: N, maxLength: T } = layout;
  const G = 4 * H;
  const mask = args.mask ?? null;
  const fits =
    recurrentForwardFits(args, G, [activation, recurrentActivation]) &&
    absentOrFits(weights.bias, G) && absentOrFits(args.c0, B * H);
  if (wasm === null || !fits) return lstmForward(withInputArray(args));
  releaseSlot(args.slot);

  const h0 = args.h0 ?? new Float32Array(B * H);
  const c0 = args.c0 ?? new Float32Array(B * H);
  const recMask = args.recurrentMask;
  if (args.needsGrad === false && recMask === undefined) {
    const inferred = wasmLstmInfer(wasm, withInputArray(args), h0, c0, mask);
    if (inferred !== null) return inferred;
  }
  const block = lstmBlock(wasm, layout, C, H, x, h0, c0, mask, recMask, xRows?.ptr);
  if (block === null) return lstmForward(withInputArray(args));
  const { p } = block;
  const arena = new WasmArena(wasm); // above the block
  const q = {
    hOut: mask ? arena.floats(N * H) : p.state,
    ...lstmWeightSlots(arena, C, H),
    scratch: arena.reserve(wasm.lstmForwardScratchBytes(C, H)),
  };
  if (!arena.commit()) {
    block.release();
    return lstmForward(withInputArray(args));
  }
  putLstmWeights(arena.f32, q, weights, C, H);

  wasm.lstmForward(
    p.gates, p.c, p.cAct, p.state, q.hOut, p.x, q.W, q.U, q.bias, p.h0, p.c0,
    p.offsets, p.batchSizes, p.mask, p.recMask, T, N, C, H, activation, recurrentActivation, q.scratch,
  );

  const out = arena.f32;
  const hRows = keptOutputRows(block, p.state, N * H, args.needsGrad, mask);
  const h = hRows ? null : stepCopy(floatsAt(out, q.hOut, N * H));
  const hLast = lastRows(floatsAt(out, p.state, N * H), h0, layout, H);
  const cLast = lastRows(floatsAt(out, p.c, N * H), c0, layout, H);
  return keepForBackward(block, args.needsGrad, args.slot, (kept) =>
    new WasmLstmCache(layout, C, H, x, xRows, h, hRows, h0, c0, hLast, cLast, mask ?? undefined, recMask, kept));
}

/**
 * NOTE [ inference keeps nothing ]
 * A forward with `needsGrad: false` (predict, evaluate) has no backward to keep gates, c and σ(c)
 * for: 7·H floats per packed row that the training forward writes to memory and nobody reads.
 * Without recurrent dropout (a training option) it runs `lstmInfer` instead, which keeps one strip
 * of gates, two [B,H] buffers of c and the output h (H floats per row; with a mask also the carried
 * state, as the output is zero at masked rows), and hands back each sequence's last c.
 * Same operations in the same order: h, hLast and cLast are bit-identical to the training
 * forward's (tests: ../wasm_recurrent_infer.test.ts). Its cache has no block, like any
 * `needsGrad: false` forward's: reading gates or running backward on it is an error. The GRU does
 * the same (`wasmGruInfer` in gru.ts: 5·H floats per row it no longer writes).
 */
function wasmLstmInfer(wasm: RaggedWasmExports, args: LstmForwardArgs, h0: Float32Array, c0: Float32Array, mask: Uint8Array | null): LstmCache | null {
  const { layout, x, C, H, weights, activation, recurrentActivation } = args;
  const { batch: B, totalSteps: N, maxLength: T } = layout;
  // the output, the carried state (apart from the output only with a mask) and the last c; freed below
  const outputs = mask ? { hOut: N * H, state: N * H, cLast: B * H } : { hOut: N * H, state: 0, cLast: B * H };
  const block = recurrentBlock(wasm, layout, C, H, x, mask, outputs, { h0, c0 });
  if (block === null) return null;
  try {
    const { p } = block;
    const state = mask ? p.state : p.hOut;
    const arena = new WasmArena(wasm); // above the block
    const q = lstmInferSlots(wasm, arena, B, C, H);
    if (!arena.commit()) return null;
    putLstmWeights(arena.f32, q, weights, C, H);

    wasm.lstmInfer(p.hOut, state, p.cLast, p.x, q.W, q.U, q.bias, p.h0, p.c0, p.offsets, p.batchSizes, p.mask, T, B, C, H, activation, recurrentActivation, q.scratch);

    const out = arena.f32;
    const h = stepCopy(floatsAt(out, p.hOut, N * H));
    const hLast = lastRows(mask ? floatsAt(out, state, N * H) : h, h0, layout, H);
    const cLast = floatsAt(out, p.cLast, B * H).slice();
    return new WasmLstmCache(layout, C, H, x, undefined, h, null, h0, c0, hLast, cLast, mask ?? undefined, undefined, null);
  } finally {
    block.release();
  }
}

/** Where a forward's weights go: W [C,4H], U [H,4H], bias [4H]. */
export function lstmWeightSlots(arena: WasmArena, C: number, H: number) {
  const G = 4 * H;
  return { W: arena.floats(C * G), U: arena.floats(H * G), bias: arena.floats(G) };
}

/** What `lstmInfer` needs besides its inputs and outputs: the weights and scratch (its z strip and c buffers). */
export function lstmInferSlots(wasm: RaggedWasmExports, arena: WasmArena, B: number, C: number, H: number) {
  return { ...lstmWeightSlots(arena, C, H), scratch: arena.reserve(wasm.lstmInferScratchBytes(C, H, B)) };
}

/** Copies a forward's weights into their slots (the bias, or zeros without one). */
export function putLstmWeights(mem: Float32Array, at: ReturnType<typeof lstmWeightSlots>, weights: LstmForwardArgs["weights"], C: number, H: number): void {
  const G = 4 * H;
  putFloats(mem, at.W, weights.kernel, C * G);
  putFloats(mem, at.U, weights.recurrentKernel, H * G);
  putFloatsOrZeros(mem, at.bias, weights.bias, G);
}

// dh: [N,H], dhLast/dcLast: [B,H] → dx: [N,C], dh0/dc0: [B,H]; grads += dW [C,4H], dU [H,4H], db [4H]
// (the mask is the one forward ran with; a wasm cache is consumed: its block is freed)
export function wasmLstmBackward(args: LstmBackwardArgs): LstmBackwardResult {
  const { cache } = args;
  return backwardOnBlock(cache instanceof WasmLstmCache ? cache.liveBlock() : null, {
    fits: (fromArrays) => lstmBackwardFits(args, fromArrays),
    blockFromArrays: (wasm) => lstmBlockFromArrays(wasm, cache),
    run: (wasm, block) => lstmBackwardOnBlock(wasm, args, block),
    reference: () => lstmBackward(withGradArray(args)),
  });
}

function lstmBackwardFits(args: LstmBackwardArgs, fromArrays: boolean): boolean {
  const { cache, activation, recurrentActivation, grads } = args;
  const { layout, H } = cache;
  const G = 4 * H;
  return recurrentBackwardFits(args, G, [activation, recurrentActivation]) &&
    (!fromArrays || cacheArraysFit(cache)) &&
    absentOrFits(args.dcLast, layout.batch * H) && absentOrFits(grads.bias, G);
}

/** Whether a reference cache's arrays are as long as its shapes say (else the reference runs). */
function cacheArraysFit(cache: LstmCache): boolean {
  const { layout, H } = cache;
  const { batch: B, totalSteps: N } = layout;
  return cacheInputsFit(cache) && cache.gates.length >= N * 4 * H && cache.c.length >= N * H &&
    cache.cAct.length >= N * H && cache.h.length >= N * H && absentOrFits(cache.state, N * H) && cache.c0.length >= B * H;
}

/** A block holding a reference cache's arrays (a cache the JS kernel made): the slow path. */
function lstmBlockFromArrays(wasm: RaggedWasmExports, cache: LstmCache): LstmBlock | null {
  const { layout, C, H } = cache;
  const N = layout.totalSteps;
  const block = lstmBlock(wasm, layout, C, H, cache.x, cache.h0, cache.c0, cache.mask ?? null, cache.recurrentMask);
  if (block === null) return null;
  const { p } = block;
  block.write(p.gates, cache.gates, N * 4 * H);
  block.write(p.c, cache.c, N * H);
  block.write(p.cAct, cache.cAct, N * H);
  block.write(p.state, cache.state ?? cache.h, N * H);
  return block;
}

function lstmBackwardOnBlock(wasm: RaggedWasmExports, args: LstmBackwardArgs, block: LstmBlock): LstmBackwardResult {
  const { cache, weights, activation, recurrentActivation, dhLast, dcLast, grads } = args;
  const { layout, C, H } = cache;
  const { batch: B, totalSteps: N, maxLength: T } = layout;
  const G = 4 * H;
  const { p } = block;
  const { dhRows, dh } = gradInput(args, wasm, N * H);
  const dxRows = dxRowsFor(args, wasm, N * C, cache.mask); // below the arena
  const arena = new WasmArena(wasm); // above every block
  const q = {
    dx: dxRows ? dxRows.ptr : args.needInputGrad ? arena.floats(N * C) : 0,
    dhNext: arena.floats(B * H),
    dcNext: arena.floats(B * H),
    gWU: arena.floats((C + H) * G), // [dW; dU]: C rows then H rows
    gb: grads.bias ? arena.floats(G) : 0,
    W: arena.floats(C * G),
    U: arena.floats(H * G),
    dh: dhRows ? dhRows.ptr : dh ? arena.floats(N * H) : 0,
    dzStep: arena.floats(B * G + 8),
    scratch: arena.reserve(wasm.lstmBackwardScratchBytes(C, H)),
  };
  if (!arena.commit()) {
    dxRows?.consume();
    return lstmBackward(withGradArray(args));
  }
  const mem = arena.f32;
  const gU = q.gWU + C * G * 4;
  putFloatsOrZeros(mem, q.dhNext, dhLast, B * H);
  putFloatsOrZeros(mem, q.dcNext, dcLast, B * H);
  putFloats(mem, q.gWU, grads.kernel, C * G);
  putFloats(mem, gU, grads.recurrentKernel, H * G);
  if (grads.bias) putFloats(mem, q.gb, grads.bias, G);
  putFloats(mem, q.W, weights.kernel, C * G);
  putFloats(mem, q.U, weights.recurrentKernel, H * G);
  if (dh) putFloats(mem, q.dh, dh, N * H);

  wasm.lstmBackward(
    q.dx, q.dhNext, q.dcNext, q.gWU, q.gb,
    p.x, q.W, q.U, p.gates, p.c, p.cAct, p.state, p.h0, p.c0,
    q.dh, p.offsets, p.batchSizes, p.mask, p.recMask, T, C, H, activation, recurrentActivation, q.dzStep, q.scratch,
  );

  dhRows?.consume();

  const out = arena.f32;
  grads.kernel.set(floatsAt(out, q.gWU, C * G));
  grads.recurrentKernel.set(floatsAt(out, gU, H * G));
  if (grads.bias) grads.bias.set(floatsAt(out, q.gb, G));
  const dh0 = floatsAt(out, q.dhNext, B * H).slice();
  const dc0 = floatsAt(out, q.dcNext, B * H).slice();
  if (dxRows) return resultWithDxRows(dxRows, { dh0, dc0 });
  return { dx: args.needInputGrad ? stepCopy(floatsAt(out, q.dx, N * C)) : null, dh0, dc0 };
}
