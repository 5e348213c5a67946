/**
 * The LSTM layer kernel over a packed batch (see NOTE [ the packed layout ] in data/packed.ts):
 * one call runs the whole layer forward, or the whole BPTT backward, so a WebAssembly or threaded
 * implementation can replace it with one copy in and one copy out.
 *
 * Gate order, written once here (Keras, TF.js): i | f | c | o, each H wide, G = 4H.
 *   i = σr(zi)  f = σr(zf)  g = σ(zc)  o = σr(zo)     σr = recurrentActivation, σ = activation
 *   c_t = f ⊙ c_{t−1} + i ⊙ g        h_t = o ⊙ σ(c_t)
 * with z = x·W + h_{t−1}·U + b. Forward does x·W for all N rows in one GEMM, then per step t only
 * z[rows of t] += h[rows of t−1, first b_t] · U on the b_t running sequences.
 *
 * Masks and recurrent dropout: NOTE [ masked rows in the recurrent kernels ] and NOTE [ recurrent
 * dropout in the recurrent kernels ] in recurrent_rows.ts.
 */
import { Act, applyScalar, derivativeFromOutput } from "./activations.js";
import { addBias, gemm } from "./gemm.js";
import {
  checkMask, checkRecurrentMask, copyRow, lastRows, gradToPreviousState, weightAndInputGrads, recurrentProduct,
} from "./recurrent_rows.js";
import type { RecurrentGrads } from "./recurrent_rows.js";
import type { PackedLayout } from "../packed_layout.js";
import type { BackwardRowsArgs, BackwardRowsResult, CacheRows, ForwardRowsArgs } from "./wasm/wasm_rows.js";

export interface LstmWeights {
  /** [C, G] */
  kernel: Float32Array;
  /** [H, G] */
  recurrentKernel: Float32Array;
  /** [G], or null without bias */
  bias: Float32Array | null;
}

/**
 * What forward keeps for backward. All row arrays follow the packed layout.
 *
 * The reference keeps every array in JS. The wasm kernels keep `gates`, `c`, `cAct` and `state` in
 * wasm memory, where their backward reads them in place; reading those fields copies them out
 * (a lazy getter), and works only until backward has consumed the cache or another forward has
 * run in the same `slot` (see `LstmForwardArgs.slot`). `hLast` and `cLast` are always plain
 * arrays, and so is `h` unless a wasm training forward kept it in wasm memory (`hRows`, NOTE [ rows
 * kept in wasm between layers ]; then reading `h` copies it out).
 */
export interface LstmCache extends CacheRows {
  layout: PackedLayout;
  C: number;
  H: number;
  /** [N, C] the input rows (not copied: the caller keeps it alive and unchanged). */
  x: Float32Array;
  /** [N, G] gate activations i, f, g, o. */
  gates: Float32Array;
  /** [N, H] cell state c_t. */
  c: Float32Array;
  /** [N, H] σ(c_t). */
  cAct: Float32Array;
  /** [N, H] h_t: the layer's per-step output (zero at masked rows). */
  h: Float32Array;
  /**
   * [N, H] the carried h state at each row, when a mask was given (it differs from `h` at masked
   * rows); absent without a mask, where the state is `h`. See NOTE [ masked rows … ].
   */
  state?: Float32Array;
  /** [N] the mask forward ran with, if any (1 = real step, 0 = masked). */
  mask?: Uint8Array;
  /** [B, H] the recurrent dropout mask forward ran with, if any (see NOTE [ recurrent dropout … ]). */
  recurrentMask?: Float32Array;
  /** [B, H] initial states, sorted order. */
  h0: Float32Array;
  c0: Float32Array;
  /** [B, H] final states (h and c at each sequence's last step; the initial state when empty). */
  hLast: Float32Array;
  cLast: Float32Array;
}

export interface LstmForwardArgs extends ForwardRowsArgs {
  layout: PackedLayout;
  /** [N, C] */
  x: Float32Array;
  C: number;
  H: number;
  weights: LstmWeights;
  activation: Act;
  recurrentActivation: Act;
  /** [B, H] in sorted order; zeros when omitted. */
  h0?: Float32Array;
  c0?: Float32Array;
  /** [N] 1 = real step, 0 = masked (state carried, output zero); all real when omitted. */
  mask?: Uint8Array;
  /**
   * [B, H] recurrent dropout: multiplies h_{t−1} where it enters h_{t−1}·U, one row per sequence
   * (sorted order), already scaled; none when omitted. See NOTE [ recurrent dropout … ].
   */
  recurrentMask?: Float32Array;
  /**
   * Whether backward will run on the result (default true). With false, a kernel that would keep
   * the cache elsewhere (wasm memory) keeps none: inference leaves nothing behind. The reference
   * ignores it.
   */
  needsGrad?: boolean;
  /**
   * An owner for the cache (e.g. the layer): a new forward with the same slot releases the
   * previous forward's cache if backward never consumed it, so a forward without its backward
   * (an exception, a gradient check's extra forwards) does not leak. The reference ignores it.
   */
  slot?: object;
}

// x: [N,C], W: [C,4H], U: [H,4H], b: [4H], h0/c0: [B,H], mask: [N], recurrentMask: [B,H] → h, c: [N,H], gates: [N,4H], hLast/cLast: [B,H]
export function lstmForward(args: LstmForwardArgs): LstmCache {
  const { layout, x, C, H, weights, activation, recurrentActivation } = args;
  const { batch: B, totalSteps: N, maxLength: T, offsets, batchSizes } = layout;
  const G = 4 * H;
  const mask = checkMask(args.mask, N, "lstmForward");
  const recMask = checkRecurrentMask(args.recurrentMask, B, H, "lstmForward");
  const dropped = recMask ? new Float32Array(B * H) : null; // [b_t, H] h_{t−1} ⊙ m of the current step
  const h0 = args.h0 ?? new Float32Array(B * H);
  const c0 = args.c0 ?? new Float32Array(B * H);
  const gates = new Float32Array(N * G);
  const c = new Float32Array(N * H);
  const cAct = new Float32Array(N * H);
  const h = new Float32Array(N * H);
  // The carried h state: the output itself, unless masked rows make the two differ.
  const state = mask ? new Float32Array(N * H) : h;

  gemm({ out: gates, a: x, b: weights.kernel, M: N, N: G, K: C });
  if (weights.bias) addBias(gates, weights.bias, N, G);

  for (let t = 0; t < T; t++) {
    const r0 = offsets[t];
    const bt = batchSizes[t];
    const prev = t === 0 ? h0 : state;
    const prevRow0 = t === 0 ? 0 : offsets[t - 1];
    recurrentProduct({ out: gates, outOffset: r0 * G, prev, prevRow0, recurrentKernel: weights.recurrentKernel, bt, H, G, accumulate: true, recurrentMask: recMask, dropped });
    const cPrev = t === 0 ? c0 : c;
    for (let j = 0; j < bt; j++) {
      const zr = (r0 + j) * G;
      const sr = (r0 + j) * H;
      const pr = (prevRow0 + j) * H;
      if (mask && mask[r0 + j] === 0) {
        // masked: carry h and c, output zero (h and cAct stay 0), no gates
        gates.fill(0, zr, zr + G);
        copyRow(state, sr, prev, pr, H);
        copyRow(c, sr, cPrev, pr, H);
        continue;
      }
      for (let u = 0; u < H; u++) {
        const ig = applyScalar(recurrentActivation, gates[zr + u]);
        const fg = applyScalar(recurrentActivation, gates[zr + H + u]);
        const gg = applyScalar(activation, gates[zr + 2 * H + u]);
        const og = applyScalar(recurrentActivation, gates[zr + 3 * H + u]);
        gates[zr + u] = ig;
        gates[zr + H + u] = fg;
        gates[zr + 2 * H + u] = gg;
        gates[zr + 3 * H + u] = og;
        const ct = fg * cPrev[pr + u] + ig * gg;
        const at = applyScalar(activation, ct);
        c[sr + u] = ct;
        cAct[sr + u] = at;
        h[sr + u] = og * at;
      }
      if (mask) copyRow(state, sr, h, sr, H);
    }
  }
  const hLast = lastRows(state, h0, layout, H);
  const cLast = lastRows(c, c0, layout, H);
  const cache: LstmCache = { layout, C, H, x, gates, c, cAct, h, h0, c0, hLast, cLast };
  if (mask) {
    cache.state = state;
    cache.mask = mask;
  }
  if (recMask) cache.recurrentMask = recMask;
  return cache;
}

/** [C, G], [H, G], [G]: accumulated into (+=). */
export type LstmGrads = RecurrentGrads;

export interface LstmBackwardArgs extends BackwardRowsArgs {
  cache: LstmCache;
  weights: LstmWeights;
  activation: Act;
  recurrentActivation: Act;
  /** [N, H] gradient w.r.t. every step's h, or null when only final states receive gradient. */
  dh: Float32Array | null;
  /** [B, H] gradient w.r.t. the final h / c (sorted order), or null. */
  dhLast: Float32Array | null;
  dcLast: Float32Array | null;
  /** Weight gradients, accumulated. */
  grads: LstmGrads;
  /** Whether to compute dx (false for the first layer). */
  needInputGrad: boolean;
}

export interface LstmBackwardResult extends BackwardRowsResult {
  /** [N, C] or null */
  dx: Float32Array | null;
  /** [B, H] gradients w.r.t. the initial states. */
  dh0: Float32Array;
  dc0: Float32Array;
}

// dh: [N,H], dhLast/dcLast: [B,H] → dx: [N,C], dh0/dc0: [B,H]; grads += dW [C,4H], dU [H,4H], db [4H]
// (the masks are the ones forward ran with, read from the cache)
export function lstmBackward(args: LstmBackwardArgs): LstmBackwardResult {
  const { cache, weights, activation, recurrentActivation, dh, grads } = args;
  const { layout, C, H, x, gates, c, cAct, h0, c0 } = cache;
  const mask = cache.mask ?? null;
  const recMask = cache.recurrentMask ?? null;
  const state = cache.state ?? cache.h;
  const { batch: B, totalSteps: N, maxLength: T, offsets, batchSizes } = layout;
  const G = 4 * H;
  const dhNext = args.dhLast ? Float32Array.from(args.dhLast) : new Float32Array(B * H);
  const dcNext = args.dcLast ? Float32Array.from(args.dcLast) : new Float32Array(B * H);
  const dz = new Float32Array(N * G);
  const dDropped = recMask ? new Float32Array(B * H) : null; // [b_t, H] gradient w.r.t. h_{t−1} ⊙ m

  for (let t = T - 1; t >= 0; t--) {
    const r0 = offsets[t];
    const bt = batchSizes[t];
    const cPrev = t === 0 ? c0 : c;
    const prevRow0 = t === 0 ? 0 : offsets[t - 1];
    for (let j = 0; j < bt; j++) {
      const r = r0 + j;
      const zr = r * G;
      const sr = r * H;
      const pr = (prevRow0 + j) * H;
      const nr = j * H;
      // masked: dhNext, dcNext pass through to step t−1 untouched; dz stays 0
      if (mask && mask[r] === 0) continue;
      for (let u = 0; u < H; u++) {
        const dht = dhNext[nr + u] + (dh ? dh[sr + u] : 0);
        const ig = gates[zr + u];
        const fg = gates[zr + H + u];
        const gg = gates[zr + 2 * H + u];
        const og = gates[zr + 3 * H + u];
        const at = cAct[sr + u];
        const dct = dcNext[nr + u] + dht * og * derivativeFromOutput(activation, at);
        dz[zr + u] = dct * gg * derivativeFromOutput(recurrentActivation, ig);
        dz[zr + H + u] = dct * cPrev[pr + u] * derivativeFromOutput(recurrentActivation, fg);
        dz[zr + 2 * H + u] = dct * ig * derivativeFromOutput(activation, gg);
        dz[zr + 3 * H + u] = dht * at * derivativeFromOutput(recurrentActivation, og);
        dcNext[nr + u] = dct * fg;
      }
      if (mask) dhNext.fill(0, nr, nr + H); // consumed; the GEMM below adds dh_{t−1} into it
    }
    // dh_{t−1} for the running sequences: dz[rows of t] · Uᵀ (sequences that end earlier keep dhLast).
    // With a mask it accumulates, so that masked rows (dz = 0) keep their passed-through gradient.
    // With recurrent dropout the GEMM's result is the gradient of h_{t−1} ⊙ m, so it is masked first.
    gradToPreviousState({ dhNext, dz, rowAt: r0, recurrentKernel: weights.recurrentKernel, bt, H, G, masked: mask !== null, recurrentMask: recMask, dropped: dDropped });
  }
  const dx = weightAndInputGrads({ grads, dz, x, kernel: weights.kernel, state, h0, layout, C, H, G, recurrentMask: recMask, needInputGrad: args.needInputGrad });
  return { dx, dh0: dhNext, dc0: dcNext };
}
