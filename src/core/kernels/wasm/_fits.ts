/**
 * The fallback checks the wasm kernels share: a kernel runs the reference (the spec) for anything
 * these reject — sizes that are not counts, an activation wasm does not know, arrays shorter than
 * the shapes say, a recurrent dropout mask that is not [B, H]. Each kernel adds its own checks (bias
 * length, c0, a reference cache's arrays) next to these.
 */
import { Act } from "../activations.js";
import type { PackedLayout } from "../../packed_layout.js";

/** A non-negative integer. */
export function isCount(n: number): boolean {
  return Number.isInteger(n) && n >= 0;
}

/** An activation id the wasm kernels implement. */
export function knownAct(id: number): boolean {
  return id === Act.Linear || id === Act.Sigmoid || id === Act.Tanh || id === Act.Relu ||
    id === Act.HardSigmoid || id === Act.HardSigmoidTfjs;
}

/** Absent, or at least `n` long. */
export function absentOrFits(a: ArrayLike<number> | null | undefined, n: number): boolean {
  return a === null || a === undefined || a.length >= n;
}

/** Absent, or one entry per row: [N]. */
export function maskFits(mask: Uint8Array | null | undefined, N: number): boolean {
  return mask === null || mask === undefined || mask.length === N;
}

/** Absent, or exactly [B, H]: any other length goes to the reference, which says what is wrong. */
function recurrentMaskFits(mask: Float32Array | undefined, B: number, H: number): boolean {
  return mask === undefined || mask.length === B * H;
}

/** The arguments every recurrent forward has (LSTM, GRU and SimpleRNN alike). */
interface RecurrentForwardArgs {
  layout: PackedLayout;
  x: Float32Array;
  C: number;
  H: number;
  weights: { kernel: Float32Array; recurrentKernel: Float32Array };
  h0?: Float32Array;
  mask?: Uint8Array;
  recurrentMask?: Float32Array;
  /** x's rows in wasm memory, readable there (`readableInput`; then x may be empty); see NOTE [ rows kept in wasm between layers ]. */
  xRows?: object;
}

// x: [N,C], W: [C,G], U: [H,G], h0: [B,H], mask: [N], recurrentMask: [B,H]; `acts` are the activations the call uses
/** Whether wasm can run a recurrent forward, but for the bias (and LSTM's c0), which differ by kernel. */
export function recurrentForwardFits(args: RecurrentForwardArgs, G: number, acts: number[]): boolean {
  const { layout, x, C, H, weights } = args;
  const { batch: B, totalSteps: N } = layout;
  return isCount(C) && isCount(H) && H > 0 && acts.every(knownAct) && recurrentMaskFits(args.recurrentMask, B, H) &&
    maskFits(args.mask, N) && (args.xRows !== undefined || x.length >= N * C) &&
    weights.kernel.length >= C * G && weights.recurrentKernel.length >= H * G &&
    absentOrFits(args.h0, B * H);
}

/** The arguments every recurrent backward has. */
interface RecurrentBackwardArgs {
  cache: { layout: PackedLayout; C: number; H: number; recurrentMask?: Float32Array };
  weights: { kernel: Float32Array; recurrentKernel: Float32Array };
  grads: { kernel: Float32Array; recurrentKernel: Float32Array };
  dh: Float32Array | null;
  dhLast: Float32Array | null;
  /** dh's rows in wasm memory (then dh may be empty). */
  dhRows?: { readonly alive: boolean; readonly count: number };
}

// W, dW: [C,G], U, dU: [H,G], dh: [N,H], dhLast: [B,H]
/**
 * Whether wasm can run a recurrent backward, but for the bias gradient, LSTM's dcLast and a
 * reference cache's arrays, which differ by kernel.
 */
export function recurrentBackwardFits(args: RecurrentBackwardArgs, G: number, acts: number[]): boolean {
  const { cache, weights, grads } = args;
  const { layout, C, H } = cache;
  const { batch: B, totalSteps: N } = layout;
  return isCount(C) && isCount(H) && H > 0 && acts.every(knownAct) && recurrentMaskFits(cache.recurrentMask, B, H) &&
    weights.kernel.length >= C * G && weights.recurrentKernel.length >= H * G &&
    (args.dhRows ? args.dhRows.alive && args.dhRows.count >= N * H : absentOrFits(args.dh, N * H)) && absentOrFits(args.dhLast, B * H) &&
    grads.kernel.length >= C * G && grads.recurrentKernel.length >= H * G;
}

/** The inputs every reference cache holds: x [N,C], h0 [B,H], mask [N] (before a backward copies them into wasm). */
export function cacheInputsFit(cache: { layout: PackedLayout; C: number; H: number; x: Float32Array; h0: Float32Array; mask?: Uint8Array | null }): boolean {
  const { layout, C, H } = cache;
  const { batch: B, totalSteps: N } = layout;
  return cache.x.length >= N * C && cache.h0.length >= B * H && maskFits(cache.mask, N);
}
