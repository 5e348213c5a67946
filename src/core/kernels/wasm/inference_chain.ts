/**
 * NOTE [ inference chains ]
 * A Sequential model (or a functional one that is one line of layers) that starts with stacked
 * LSTM / GRU / SimpleRNN layers (or Bidirectional ones over them), at inference (predict,
 * evaluate, validation, decoding; models/chained_inference.ts decides when): each layer's
 * inference forward (`lstmInfer`, `gruInfer`: NOTE [ inference keeps nothing ] in lstm.ts;
 * `simpleRnnForward`, which keeps only its output anyway) used to copy its input into wasm memory,
 * run, and copy its output out, for the next layer to copy back in; each with its own block,
 * layout copy, zero states and JavaScript glue. `runInferenceChain` places everything once in one
 * arena — the packed input (written there by the caller: by `predict` straight from the nested
 * arrays), the layout, zero initial states, every layer's weights, outputs and scratch — runs the
 * layers one after another on wasm memory (layer k reads layer k−1's output where it lies) and
 * copies out only the last layer's output. A Bidirectional layer runs its two directions there
 * too, the backward one on the input reversed within each sequence, and merges them in place for
 * the next layer (`placeBidirectional`); an Embedding layer first looks its rows up into the arena
 * (`placeEmbedding`), and a Dense layer on the last one's rows multiplies them there
 * (`placeDense`). The per-call JavaScript is a handful of functions instead of a few dozen, which
 * is what a request after a pause pays for (code and data back into the caches: NOTE [ lean
 * predict ] in training/lean_predict.ts).
 *
 * The same kernels on the same values in the same order: the result is bit-identical to running
 * the layers one by one (test: training/lean_predict.test.ts).
 */
import { type Act, type ActivationName, activateInPlace } from "../activations.js";
import { type MergeMode, mergeDirections } from "../merge_directions.js";
import type { PackedLayout } from "../../packed_layout.js";
import { lastRows } from "../recurrent_rows.js";
import { floatsAt, putFloats } from "./_copy.js";
import { wasmDenseActivation } from "./dense.js";
import { gatherRows } from "../../gather_rows.js";
import { knownAct } from "./_fits.js";
import { gruInferSlots, putGruWeights } from "./gru.js";
import { lstmInferSlots, putLstmWeights } from "./lstm.js";
import { putSimpleRnnWeights, simpleRnnWeightSlots } from "./simple_rnn.js";
import { loadRaggedWasm, WasmArena, type RaggedWasmExports } from "../../wasm/loader.js";

/** One recurrent layer of a chain: its kind, size, weights and activations (as its forward gets them). */
export interface ChainRecurrent {
  kind: "lstm" | "gru" | "simpleRnn";
  H: number;
  weights: { kernel: Float32Array; recurrentKernel: Float32Array; bias: Float32Array | null };
  activation: Act;
  /** LSTM and GRU only. */
  recurrentActivation?: Act;
  /** GRU only. */
  resetAfter?: boolean;
}

/**
 * A Bidirectional layer: `forward` on the input, `backward` on each sequence reversed within its
 * own length (its output reversed back to line up the steps), then merged. `H` is the merged
 * width (forward.H + backward.H for concat).
 */
export interface ChainBidirectional {
  kind: "bidirectional";
  H: number;
  forward: ChainRecurrent;
  backward: ChainRecurrent;
  mergeMode: MergeMode;
}

/**
 * An Embedding layer, first in the chain: each input row's token id → that row of `table`
 * [inputDim, H], as the layer's forward copies it.
 */
export interface ChainEmbedding {
  kind: "embedding";
  H: number;
  table: Float32Array;
  /** The ids of `values` ([N] floats), checked as the layer's forward checks them (its errors). */
  tokenIds: (values: Float32Array) => Int32Array;
}

/**
 * A Dense layer (or TimeDistributed over one) on the last recurrent layer's rows, last in the
 * chain: x·kernel by the same wasm GEMM its forward calls, then its bias and activation as its
 * forward adds them (in JavaScript, on the copy out).
 */
export interface ChainDense {
  kind: "dense";
  H: number;
  kernel: Float32Array;
  bias: Float32Array | null;
  activation: ActivationName;
}

/** One layer of a chain. */
export type ChainLayer = ChainRecurrent | ChainBidirectional | ChainEmbedding | ChainDense;

export interface ChainArgs {
  layout: PackedLayout;
  /** Features of the input rows. */
  C: number;
  /** Writes the [N, C] packed input at float index `at` of `mem`; false when the input is refused (nothing ran). */
  writeInput: (mem: Float32Array, at: number) => boolean;
  layers: readonly ChainLayer[];
  /** Whether the last layer returns only each sequence's final h ([B, H], sorted order) instead of every row's. */
  lastOnly: boolean;
  /** [N] the layout's row reversal (`reverseRows` in data/rows.ts): asked for when a Bidirectional layer is in the chain. */
  reversal: () => Int32Array;
}

/** What every link reads: the batch's sizes and where its layout lies in the arena. */
interface Shared {
  wasm: RaggedWasmExports;
  layout: PackedLayout;
  B: number;
  N: number;
  T: number;
  offsets: number;
  batchSizes: number;
  reversal: () => Int32Array;
}

/** One link placed in the arena: where its output [N,H] lies, and how it runs once the arena is committed. */
interface Placed {
  /** Its output, every row (what the next link reads). */
  hOut: number;
  /** Zeroes its initial states, writes its weights and runs on `input` [N, C]. */
  run(mem: Float32Array, input: number): void;
  /** Its output copied out of the arena as the chain's result: every row, or (`lastOnly`) each sequence's last [B,H]. */
  result(mem: Float32Array, lastOnly: boolean): Float32Array;
}

/**
 * x: [N, C] → the last layer's h: [N, H] (or [B, H] with `lastOnly`); null when wasm is absent or
 * refuses the memory (run the layers one by one), "refused" when `writeInput` refused the input.
 */
export function runInferenceChain(args: ChainArgs): Float32Array | null | "refused" {
  const { layout, C, layers } = args;
  const wasm = loadRaggedWasm();
  const acts = layers.flatMap(recurrentLinks).flatMap((l) => [l.activation, l.recurrentActivation ?? l.activation]);
  if (wasm === null || layers.length === 0 || !acts.every(knownAct)) return null;
  const { batch: B, totalSteps: N, maxLength: T } = layout;
  const arena = new WasmArena(wasm);
  const x = arena.floats(N * C);
  const shared: Shared = { wasm, layout, B, N, T, offsets: arena.reserve((T + 1) * 4), batchSizes: arena.reserve(T * 4), reversal: args.reversal };
  const placed: Placed[] = [];
  layers.forEach((l, k) => {
    const inC = k === 0 ? C : layers[k - 1].H;
    const lastOnly = args.lastOnly && k === layers.length - 1;
    placed.push(
      l.kind === "bidirectional" ? placeBidirectional(shared, arena, l, inC, lastOnly)
      : l.kind === "embedding" ? placeEmbedding(shared, arena, l)
      : l.kind === "dense" ? placeDense(shared, arena, l, inC)
      : placeRecurrent(shared, arena, l, inC),
    );
  });
  if (!arena.commit()) return null;
  const mem = arena.f32;
  if (!args.writeInput(mem, x >> 2)) return "refused";
  const i32 = arena.i32;
  i32.set(layout.offsets.subarray(0, T + 1), shared.offsets >> 2);
  i32.set(layout.batchSizes.subarray(0, T), shared.batchSizes >> 2);
  placed.forEach((p, k) => p.run(mem, k === 0 ? x : placed[k - 1].hOut));
  return placed[placed.length - 1].result(mem, args.lastOnly);
}

/** A link's recurrent layers: itself, a Bidirectional layer's two directions, or none (an embedding, a dense layer). */
function recurrentLinks(l: ChainLayer): ChainRecurrent[] {
  return l.kind === "bidirectional" ? [l.forward, l.backward] : l.kind === "embedding" || l.kind === "dense" ? [] : [l];
}

function placeRecurrent(s: Shared, arena: WasmArena, l: ChainRecurrent, C: number): Placed {
  return l.kind === "lstm" ? placeLstm(s, arena, l, C) : l.kind === "gru" ? placeGru(s, arena, l, C) : placeSimpleRnn(s, arena, l, C);
}

/** What a recurrent link gives as the chain's result: every row's h [N,H], or each sequence's last [B,H]. */
function recurrentResult(s: Shared, hOut: number, h0: number, H: number): Placed["result"] {
  return (mem, lastOnly) => {
    const h = floatsAt(mem, hOut, s.N * H);
    return lastOnly ? lastRows(h, floatsAt(mem, h0, s.B * H), s.layout, H) : h.slice();
  };
}

/** h [N,H], h0 and c0 [B,H] (zeros), the last c [B,H], and what `lstmInfer` needs besides (`lstmInferSlots`). */
function placeLstm(s: Shared, arena: WasmArena, l: ChainRecurrent, C: number): Placed {
  const { wasm, B, N, T } = s;
  const H = l.H;
  const p = { hOut: arena.floats(N * H), h0: arena.floats(B * H), c0: arena.floats(B * H), cLast: arena.floats(B * H) };
  const q = lstmInferSlots(wasm, arena, B, C, H);
  return {
    hOut: p.hOut,
    result: recurrentResult(s, p.hOut, p.h0, H),
    run: (mem, input) => {
      zero(mem, p.h0, B * H);
      zero(mem, p.c0, B * H);
      putLstmWeights(mem, q, l.weights, C, H);
      wasm.lstmInfer(p.hOut, p.hOut, p.cLast, input, q.W, q.U, q.bias, p.h0, p.c0, s.offsets, s.batchSizes, 0, T, B, C, H, l.activation, l.recurrentActivation ?? l.activation, q.scratch);
    },
  };
}

/** h [N,H], h0 [B,H] (zeros), and what `gruInfer` needs besides (`gruInferSlots`). */
function placeGru(s: Shared, arena: WasmArena, l: ChainRecurrent, C: number): Placed {
  const { wasm, B, N, T } = s;
  const H = l.H;
  const resetAfter = l.resetAfter ?? true;
  const p = { hOut: arena.floats(N * H), h0: arena.floats(B * H) };
  const q = gruInferSlots(wasm, arena, N, B, C, H, resetAfter);
  return {
    hOut: p.hOut,
    result: recurrentResult(s, p.hOut, p.h0, H),
    run: (mem, input) => {
      zero(mem, p.h0, B * H);
      putGruWeights(mem, q, l.weights, C, H, resetAfter);
      wasm.gruInfer(
        p.hOut, p.hOut, input, q.W, q.U, q.uZR, q.uH, q.bias, p.h0, s.offsets, s.batchSizes, 0, T, C, H,
        l.activation, l.recurrentActivation ?? l.activation, resetAfter ? 1 : 0, q.rec, q.recHH, q.gStep, q.aStep, q.scratch,
      );
    },
  };
}

/** h [N,H], h0 [B,H] (zeros), scratch and the weights' slots, as `wasmSimpleRnnForward` places them. */
function placeSimpleRnn(s: Shared, arena: WasmArena, l: ChainRecurrent, C: number): Placed {
  const { wasm, B, N, T } = s;
  const H = l.H;
  const p = { hOut: arena.floats(N * H), h0: arena.floats(B * H), scratch: arena.reserve(wasm.simpleRnnScratchBytes(N, C, H)) };
  const q = simpleRnnWeightSlots(arena, C, H, l.weights.bias !== null);
  return {
    hOut: p.hOut,
    result: recurrentResult(s, p.hOut, p.h0, H),
    run: (mem, input) => {
      zero(mem, p.h0, B * H);
      putSimpleRnnWeights(mem, q, l.weights, C, H);
      // without a mask the state is the output; no recurrent dropout at inference
      wasm.simpleRnnForward(p.hOut, p.hOut, input, q.W, q.U, q.bias, p.h0, s.offsets, s.batchSizes, 0, 0, 0, T, N, C, H, l.activation, p.scratch);
    },
  };
}

/**
 * A Bidirectional layer: its forward direction on the input, its backward one on the input with
 * each sequence reversed within its own length (`xRev` [N,C]), as the layer's backward copy
 * (`goBackwards`) reads it; then the two merged into `hOut` [N,H] with the backward rows reversed
 * back — or, as the chain's last link giving each sequence's last h, the two directions' last h
 * merged (the backward direction's last is its state after the sequence's first step), as the
 * layer does without `returnSequences`. The merge is the layer's own (`mergeDirections`).
 */
function placeBidirectional(s: Shared, arena: WasmArena, l: ChainBidirectional, C: number, lastOnly: boolean): Placed {
  const { N } = s;
  const fwd = placeRecurrent(s, arena, l.forward, C);
  const bwd = placeRecurrent(s, arena, l.backward, C);
  const xRev = arena.floats(N * C);
  const hOut = lastOnly ? 0 : arena.floats(N * l.H);
  const reverse = s.reversal();
  const merge = (out: Float32Array, a: Float32Array, b: Float32Array, rows: number, bRows: Int32Array | null) =>
    mergeDirections({ out, a, b, rows, F: l.forward.H, Bw: l.backward.H, mode: l.mergeMode, bRows });
  return {
    hOut,
    run: (mem, input) => {
      fwd.run(mem, input);
      gatherRows(floatsAt(mem, input, N * C), reverse, C, floatsAt(mem, xRev, N * C));
      bwd.run(mem, xRev);
      if (!lastOnly) merge(floatsAt(mem, hOut, N * l.H), floatsAt(mem, fwd.hOut, N * l.forward.H), floatsAt(mem, bwd.hOut, N * l.backward.H), N, reverse);
    },
    result: (mem, last) => {
      if (!last) return floatsAt(mem, hOut, N * l.H).slice();
      const out = new Float32Array(s.B * l.H);
      merge(out, fwd.result(mem, true), bwd.result(mem, true), s.B, null);
      return out;
    },
  };
}

/** An embedding on the [N, 1] ids at `input`: its rows [N,H] (`hOut`), copied from the table. */
function placeEmbedding(s: Shared, arena: WasmArena, l: ChainEmbedding): Placed {
  const { N } = s;
  const H = l.H;
  const hOut = arena.floats(N * H);
  return {
    hOut,
    run: (mem, input) => {
      gatherRows(l.table, l.tokenIds(floatsAt(mem, input, N)), H, floatsAt(mem, hOut, N * H));
    },
    result: (mem) => floatsAt(mem, hOut, N * H).slice(),
  };
}

/**
 * A dense layer on [N, C] rows: y [N,H] = act(x·kernel + bias) in the arena, as `wasmDenseForward`
 * computes it (softmax on the copy out, as there).
 */
function placeDense(s: Shared, arena: WasmArena, l: ChainDense, C: number): Placed {
  const { wasm, N } = s;
  const H = l.H;
  const p = { y: arena.floats(N * H), W: arena.floats(C * H), b: l.bias ? arena.floats(H) : 0, scratch: arena.reserve(wasm.denseScratchBytes(N, C, H)) };
  return {
    hOut: p.y,
    run: (mem, input) => {
      putFloats(mem, p.W, l.kernel, C * H);
      if (l.bias) putFloats(mem, p.b, l.bias, H);
      wasm.denseForward(p.y, input, p.W, p.b, N, C, H, wasmDenseActivation(l.activation), p.scratch);
    },
    result: (mem) => {
      const y = floatsAt(mem, p.y, N * H).slice();
      if (l.activation === "softmax") activateInPlace("softmax", y, N, H);
      return y;
    },
  };
}

/** Zeros `n` floats at byte address `at`. */
function zero(mem: Float32Array, at: number, n: number): void {
  mem.fill(0, at >> 2, (at >> 2) + n);
}
