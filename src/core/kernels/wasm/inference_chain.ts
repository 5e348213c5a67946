/**
 * NOTE [ inference chains ]
 * A Sequential model that starts with stacked LSTM / GRU / SimpleRNN layers, at inference
 * (predict, evaluate, validation, decoding; models/chained_inference.ts decides when): each layer's
 * inference forward (`lstmInfer`, `gruInfer`: NOTE [ inference keeps nothing ] in lstm.ts;
 * `simpleRnnForward`, which keeps only its output anyway) used to copy its input
 * into wasm memory, run, and copy its output out, for the next layer to copy back in; each with its
 * own block, layout copy, zero states and JavaScript glue. `runInferenceChain` places everything
 * once in one arena — the packed input (written there by the caller: by `predict` straight from
 * the nested arrays), the layout, zero initial states, every layer's weights, outputs and scratch —
 * runs the layers one after another on wasm memory (layer k reads layer k−1's output where it
 * lies) and copies out only the last layer's output. The per-call JavaScript is a handful of
 * functions instead of a few dozen, which is what a request after a pause pays for (code and data
 * back into the caches: NOTE [ lean predict ] in training/lean_predict.ts).
 *
 * The same kernels on the same values in the same order: the result is bit-identical to running
 * the layers one by one (test: training/lean_predict.test.ts).
 */
import type { Act } from "../activations.js";
import type { PackedLayout } from "../../packed_layout.js";
import { lastRows } from "../recurrent_rows.js";
import { floatsAt } from "./_copy.js";
import { knownAct } from "./_fits.js";
import { gruInferSlots, putGruWeights } from "./gru.js";
import { lstmInferSlots, putLstmWeights } from "./lstm.js";
import { putSimpleRnnWeights, simpleRnnWeightSlots } from "./simple_rnn.js";
import { loadRaggedWasm, WasmArena, type RaggedWasmExports } from "../../wasm/loader.js";

/** One recurrent layer of a chain: its kind, size, weights and activations (as its forward gets them). */
export interface ChainLayer {
  kind: "lstm" | "gru" | "simpleRnn";
  H: number;
  weights: { kernel: Float32Array; recurrentKernel: Float32Array; bias: Float32Array | null };
  activation: Act;
  /** LSTM and GRU only. */
  recurrentActivation?: Act;
  /** GRU only. */
  resetAfter?: boolean;
}

export interface ChainArgs {
  layout: PackedLayout;
  /** Features of the input rows. */
  C: number;
  /** Writes the [N, C] packed input at float index `at` of `mem`; false when the input is refused (nothing ran). */
  writeInput: (mem: Float32Array, at: number) => boolean;
  layers: readonly ChainLayer[];
  /** Whether the last layer returns only each sequence's final h ([B, H], sorted order) instead of every row's. */
  lastOnly: boolean;
}

/** What every link reads: the batch's sizes and where its layout lies in the arena. */
interface Shared {
  wasm: RaggedWasmExports;
  B: number;
  N: number;
  T: number;
  offsets: number;
  batchSizes: number;
}

/** One link placed in the arena: its output h [N,H] and zero initial state h0 [B,H], and how it runs once the arena is committed. */
interface Placed {
  hOut: number;
  h0: number;
  /** Zeroes its initial states, writes its weights and runs on `input` [N, C]. */
  run(mem: Float32Array, input: number): void;
}

/**
 * x: [N, C] → the last layer's h: [N, H] (or [B, H] with `lastOnly`); null when wasm is absent or
 * refuses the memory (run the layers one by one), "refused" when `writeInput` refused the input.
 */
export function runInferenceChain(args: ChainArgs): Float32Array | null | "refused" {
  const { layout, C, layers } = args;
  const wasm = loadRaggedWasm();
  const acts = layers.flatMap((l) => [l.activation, l.recurrentActivation ?? l.activation]);
  if (wasm === null || layers.length === 0 || !acts.every(knownAct)) return null;
  const { batch: B, totalSteps: N, maxLength: T } = layout;
  const arena = new WasmArena(wasm);
  const x = arena.floats(N * C);
  const shared: Shared = { wasm, B, N, T, offsets: arena.reserve((T + 1) * 4), batchSizes: arena.reserve(T * 4) };
  const placed: Placed[] = [];
  layers.forEach((l, k) => {
    const inC = k === 0 ? C : layers[k - 1].H;
    placed.push(l.kind === "lstm" ? placeLstm(shared, arena, l, inC) : l.kind === "gru" ? placeGru(shared, arena, l, inC) : placeSimpleRnn(shared, arena, l, inC));
  });
  if (!arena.commit()) return null;
  const mem = arena.f32;
  if (!args.writeInput(mem, x >> 2)) return "refused";
  const i32 = arena.i32;
  i32.set(layout.offsets.subarray(0, T + 1), shared.offsets >> 2);
  i32.set(layout.batchSizes.subarray(0, T), shared.batchSizes >> 2);
  placed.forEach((p, k) => p.run(mem, k === 0 ? x : placed[k - 1].hOut));

  const last = placed[placed.length - 1];
  const H = layers[layers.length - 1].H;
  const h = floatsAt(mem, last.hOut, N * H);
  return args.lastOnly ? lastRows(h, floatsAt(mem, last.h0, B * H), layout, H) : h.slice();
}

/** h [N,H], h0 and c0 [B,H] (zeros), the last c [B,H], and what `lstmInfer` needs besides (`lstmInferSlots`). */
function placeLstm(s: Shared, arena: WasmArena, l: ChainLayer, C: number): Placed {
  const { wasm, B, N, T } = s;
  const H = l.H;
  const p = { hOut: arena.floats(N * H), h0: arena.floats(B * H), c0: arena.floats(B * H), cLast: arena.floats(B * H) };
  const q = lstmInferSlots(wasm, arena, B, C, H);
  return {
    hOut: p.hOut,
    h0: p.h0,
    run: (mem, input) => {
      zero(mem, p.h0, B * H);
      zero(mem, p.c0, B * H);
      putLstmWeights(mem, q, l.weights, C, H);
      wasm.lstmInfer(p.hOut, p.hOut, p.cLast, input, q.W, q.U, q.bias, p.h0, p.c0, s.offsets, s.batchSizes, 0, T, B, C, H, l.activation, l.recurrentActivation ?? l.activation, q.scratch);
    },
  };
}

/** h [N,H], h0 [B,H] (zeros), and what `gruInfer` needs besides (`gruInferSlots`). */
function placeGru(s: Shared, arena: WasmArena, l: ChainLayer, C: number): Placed {
  const { wasm, B, N, T } = s;
  const H = l.H;
  const resetAfter = l.resetAfter ?? true;
  const p = { hOut: arena.floats(N * H), h0: arena.floats(B * H) };
  const q = gruInferSlots(wasm, arena, N, B, C, H, resetAfter);
  return {
    hOut: p.hOut,
    h0: p.h0,
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
function placeSimpleRnn(s: Shared, arena: WasmArena, l: ChainLayer, C: number): Placed {
  const { wasm, B, N, T } = s;
  const H = l.H;
  const p = { hOut: arena.floats(N * H), h0: arena.floats(B * H), scratch: arena.reserve(wasm.simpleRnnScratchBytes(N, C, H)) };
  const q = simpleRnnWeightSlots(arena, C, H, l.weights.bias !== null);
  return {
    hOut: p.hOut,
    h0: p.h0,
    run: (mem, input) => {
      zero(mem, p.h0, B * H);
      putSimpleRnnWeights(mem, q, l.weights, C, H);
      // without a mask the state is the output; no recurrent dropout at inference
      wasm.simpleRnnForward(p.hOut, p.hOut, input, q.W, q.U, q.bias, p.h0, s.offsets, s.batchSizes, 0, 0, 0, T, N, C, H, l.activation, p.scratch);
    },
  };
}

/** Zeros `n` floats at byte address `at`. */
function zero(mem: Float32Array, at: number, n: number): void {
  mem.fill(0, at >> 2, (at >> 2) + n);
}
