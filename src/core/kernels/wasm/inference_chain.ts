/**
 * NOTE [ inference chains ]
 * A Sequential model that starts with stacked LSTM / GRU layers, at inference (predict, evaluate,
 * validation, decoding; models/chained_inference.ts decides when): each layer's inference forward
 * (`lstmInfer`, `gruInfer`: NOTE [ inference keeps nothing ] in lstm.ts) used to copy its input
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
import { gruWeightSlots, putGruWeights } from "./gru.js";
import { lstmWeightSlots, putLstmWeights } from "./lstm.js";
import { loadRaggedWasm, WasmArena } from "../../wasm/loader.js";

/** One recurrent layer of a chain: its kind, size, weights and activations (as its forward gets them). */
export interface ChainLayer {
  kind: "lstm" | "gru";
  H: number;
  weights: { kernel: Float32Array; recurrentKernel: Float32Array; bias: Float32Array | null };
  activation: Act;
  recurrentActivation: Act;
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

/** Addresses of one layer's arrays in the arena. */
interface Placed {
  hOut: number;
  h0: number;
  c0: number;
  cLast: number;
  slots: ReturnType<typeof lstmWeightSlots> | ReturnType<typeof gruWeightSlots>;
  gru: { rec: number; recHH: number; gStep: number; aStep: number } | null;
  scratch: number;
}

/**
 * x: [N, C] → the last layer's h: [N, H] (or [B, H] with `lastOnly`); null when wasm is absent or
 * refuses the memory (run the layers one by one), "refused" when `writeInput` refused the input.
 */
export function runInferenceChain(args: ChainArgs): Float32Array | null | "refused" {
  const { layout, C, layers } = args;
  const wasm = loadRaggedWasm();
  if (wasm === null || layers.length === 0 || !layers.every((l) => knownAct(l.activation) && knownAct(l.recurrentActivation))) return null;
  const { batch: B, totalSteps: N, maxLength: T } = layout;
  const arena = new WasmArena(wasm);
  const x = arena.floats(N * C);
  const offsets = arena.reserve((T + 1) * 4);
  const batchSizes = arena.reserve(T * 4);
  let inC = C;
  const placed: Placed[] = layers.map((l) => {
    const { H } = l;
    const lstm = l.kind === "lstm";
    const G = (lstm ? 4 : 3) * H;
    const p: Placed = {
      hOut: arena.floats(N * H),
      h0: arena.floats(B * H),
      c0: lstm ? arena.floats(B * H) : 0,
      cLast: lstm ? arena.floats(B * H) : 0,
      slots: lstm ? lstmWeightSlots(arena, inC, H) : gruWeightSlots(arena, inC, H, l.resetAfter ?? true),
      gru: lstm ? null : { rec: arena.floats(B * G), recHH: arena.floats(B * H), gStep: arena.floats(B * G), aStep: arena.floats(B * H) },
      scratch: arena.reserve(lstm ? wasm.lstmInferScratchBytes(inC, H, B) : wasm.gruScratchBytes(N, inC, H)),
    };
    inC = H;
    return p;
  });
  if (!arena.commit()) return null;
  const mem = arena.f32;
  if (!args.writeInput(mem, x >> 2)) return "refused";
  const i32 = arena.i32;
  i32.set(layout.offsets.subarray(0, T + 1), offsets >> 2);
  i32.set(layout.batchSizes.subarray(0, T), batchSizes >> 2);

  let input = x;
  inC = C;
  layers.forEach((l, k) => {
    const p = placed[k];
    const { H } = l;
    mem.fill(0, p.h0 >> 2, (p.h0 >> 2) + B * H);
    if (l.kind === "lstm") {
      mem.fill(0, p.c0 >> 2, (p.c0 >> 2) + B * H);
      const s = p.slots as ReturnType<typeof lstmWeightSlots>;
      putLstmWeights(mem, s, l.weights, inC, H);
      wasm.lstmInfer(p.hOut, p.hOut, p.cLast, input, s.W, s.U, s.bias, p.h0, p.c0, offsets, batchSizes, 0, T, B, inC, H, l.activation, l.recurrentActivation, p.scratch);
    } else {
      const s = p.slots as ReturnType<typeof gruWeightSlots>;
      const g = p.gru as NonNullable<Placed["gru"]>;
      const resetAfter = l.resetAfter ?? true;
      putGruWeights(mem, s, l.weights, inC, H, resetAfter);
      wasm.gruInfer(
        p.hOut, p.hOut, input, s.W, s.U, s.uZR, s.uH, s.bias, p.h0, offsets, batchSizes, 0, T, inC, H,
        l.activation, l.recurrentActivation, resetAfter ? 1 : 0, g.rec, g.recHH, g.gStep, g.aStep, p.scratch,
      );
    }
    input = p.hOut;
    inC = H;
  });

  const last = placed[placed.length - 1];
  const H = layers[layers.length - 1].H;
  const h = floatsAt(mem, last.hOut, N * H);
  return args.lastOnly ? lastRows(h, floatsAt(mem, last.h0, B * H), layout, H) : h.slice();
}
