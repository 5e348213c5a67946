/**
 * The SimpleRNN layer kernel over a packed batch (see NOTE [ the packed layout ] in
 * data/packed.ts), in the same shape as lstm.ts: one call runs the whole layer forward, or the
 * whole BPTT backward.
 *
 *   h_t = σ(x_t·W + h_{t−1}·U + b)        σ = activation (Keras default tanh)
 *
 * Forward does x·W + b for all N rows in one GEMM, then per step t only
 * pre[rows of t] += h[rows of t−1, first b_t] · U on the b_t running sequences.
 * Masks: see NOTE [ masked rows in the recurrent kernels ] in lstm.ts; recurrent dropout
 * (h_{t−1} ⊙ m in h_{t−1}·U): NOTE [ recurrent dropout in the recurrent kernels ], also there.
 */
import { Act, applyScalar, derivativeFromOutput } from "./activations.js";
import { addBias, gemm } from "./gemm.js";
import {
  checkMask, checkRecurrentMask, copyRow, lastRows, gradToPreviousState, weightAndInputGrads, recurrentProduct,
} from "./recurrent_rows.js";
import type { RecurrentGrads } from "./recurrent_rows.js";
import type { PackedLayout } from "../packed_layout.js";
import type { BackwardRowsArgs, BackwardRowsResult, CacheRows, ForwardRowsArgs } from "./wasm/wasm_rows.js";

export interface SimpleRnnWeights {
  /** [C, H] */
  kernel: Float32Array;
  /** [H, H] */
  recurrentKernel: Float32Array;
  /** [H], or null without bias */
  bias: Float32Array | null;
}

/**
 * What forward keeps for backward. All row arrays follow the packed layout. The wasm kernels keep
 * `state` in wasm memory (a lazy getter; see `LstmCache`).
 */
export interface SimpleRnnCache extends CacheRows {
  layout: PackedLayout;
  C: number;
  H: number;
  /** [N, C] the input rows (not copied: the caller keeps it alive and unchanged). */
  x: Float32Array;
  /** [N, H] h_t: the layer's per-step output (zero at masked rows). */
  h: Float32Array;
  /** [N, H] the carried state at each row; the same array as `h` without a mask. */
  state: Float32Array;
  /** [N] the mask forward ran with, or null. */
  mask: Uint8Array | null;
  /** [B, H] the recurrent dropout mask forward ran with, if any. */
  recurrentMask?: Float32Array;
  /** [B, H] initial state, sorted order. */
  h0: Float32Array;
  /** [B, H] final state: the state after each sequence's last row; h0 when empty. */
  hLast: Float32Array;
}

export interface SimpleRnnForwardArgs extends ForwardRowsArgs {
  layout: PackedLayout;
  /** [N, C] */
  x: Float32Array;
  C: number;
  H: number;
  weights: SimpleRnnWeights;
  activation: Act;
  /** [B, H] in sorted order; zeros when omitted. */
  h0?: Float32Array;
  /** [N] 1 = real step, 0 = masked (state carried, output zero); all real when omitted. */
  mask?: Uint8Array;
  /** [B, H] recurrent dropout on h_{t−1} where it meets U; see `LstmForwardArgs.recurrentMask`. */
  recurrentMask?: Float32Array;
  /** Whether backward will run on the result; see `LstmForwardArgs.needsGrad`. */
  needsGrad?: boolean;
  /** The cache's owner; see `LstmForwardArgs.slot`. */
  slot?: object;
}

// x: [N,C], W: [C,H], U: [H,H], b: [H], h0: [B,H], mask: [N], recurrentMask: [B,H] → h, state: [N,H], hLast: [B,H]
export function simpleRnnForward(args: SimpleRnnForwardArgs): SimpleRnnCache {
  const { layout, x, C, H, weights, activation } = args;
  const { batch: B, totalSteps: N, maxLength: T, offsets, batchSizes } = layout;
  const mask = checkMask(args.mask, N, "simpleRnnForward");
  const recMask = checkRecurrentMask(args.recurrentMask, B, H, "simpleRnnForward");
  const dropped = recMask ? new Float32Array(B * H) : null; // [b_t, H] h_{t−1} ⊙ m of the current step
  const h0 = args.h0 ?? new Float32Array(B * H);
  // Pre-activations are built in `state`, then activated in place; with a mask the output `h` is a
  // separate array that stays zero at masked rows.
  const state = new Float32Array(N * H);
  const h = mask ? new Float32Array(N * H) : state;

  gemm({ out: state, a: x, b: weights.kernel, M: N, N: H, K: C });
  if (weights.bias) addBias(state, weights.bias, N, H);

  for (let t = 0; t < T; t++) {
    const r0 = offsets[t];
    const bt = batchSizes[t];
    const prev = t === 0 ? h0 : state;
    const prevRow0 = t === 0 ? 0 : offsets[t - 1];
    recurrentProduct({ out: state, outOffset: r0 * H, prev, prevRow0, recurrentKernel: weights.recurrentKernel, bt, H, G: H, accumulate: true, recurrentMask: recMask, dropped });
    for (let j = 0; j < bt; j++) {
      const sr = (r0 + j) * H;
      if (mask && mask[r0 + j] === 0) {
        const pr = (prevRow0 + j) * H;
        copyRow(state, sr, prev, pr, H);
        continue;
      }
      for (let u = 0; u < H; u++) state[sr + u] = applyScalar(activation, state[sr + u]);
      if (mask) copyRow(h, sr, state, sr, H);
    }
  }
  const hLast = lastRows(state, h0, layout, H);
  const cache: SimpleRnnCache = { layout, C, H, x, h, state, mask, h0, hLast };
  if (recMask) cache.recurrentMask = recMask;
  return cache;
}

/** [C, H], [H, H], [H]: accumulated into (+=). */
export type SimpleRnnGrads = RecurrentGrads;

export interface SimpleRnnBackwardArgs extends BackwardRowsArgs {
  cache: SimpleRnnCache;
  weights: SimpleRnnWeights;
  activation: Act;
  /** [N, H] gradient w.r.t. every step's h, or null when only the final state receives gradient. */
  dh: Float32Array | null;
  /** [B, H] gradient w.r.t. the final state (sorted order), or null. */
  dhLast: Float32Array | null;
  /** Weight gradients, accumulated. */
  grads: SimpleRnnGrads;
  /** Whether to compute dx (false for the first layer). */
  needInputGrad: boolean;
}

export interface SimpleRnnBackwardResult extends BackwardRowsResult {
  /** [N, C] or null */
  dx: Float32Array | null;
  /** [B, H] gradient w.r.t. the initial state. */
  dh0: Float32Array;
}

// dh: [N,H], dhLast: [B,H] → dx: [N,C], dh0: [B,H]; grads += dW [C,H], dU [H,H], db [H]
// (the masks are the ones forward ran with, read from the cache)
export function simpleRnnBackward(args: SimpleRnnBackwardArgs): SimpleRnnBackwardResult {
  const { cache, weights, activation, dh, grads } = args;
  const { layout, C, H, x, state, mask, h0 } = cache;
  const { batch: B, totalSteps: N, maxLength: T, offsets, batchSizes } = layout;
  const dhNext = args.dhLast ? Float32Array.from(args.dhLast) : new Float32Array(B * H);
  const dPre = new Float32Array(N * H); // gradient of the pre-activation x·W + h_{t−1}·U + b
  const recMask = cache.recurrentMask ?? null;
  const dDropped = recMask ? new Float32Array(B * H) : null; // [b_t, H] gradient w.r.t. h_{t−1} ⊙ m

  for (let t = T - 1; t >= 0; t--) {
    const r0 = offsets[t];
    const bt = batchSizes[t];
    for (let j = 0; j < bt; j++) {
      const r = r0 + j;
      // masked: dhNext passes through to step t−1 untouched; dPre stays 0
      if (mask && mask[r] === 0) continue;
      const sr = r * H;
      const nr = j * H;
      for (let u = 0; u < H; u++) {
        const dht = dhNext[nr + u] + (dh ? dh[sr + u] : 0);
        dPre[sr + u] = dht * derivativeFromOutput(activation, state[sr + u]);
      }
      if (mask) dhNext.fill(0, nr, nr + H); // consumed; the GEMM below adds dh_{t−1} into it
    }
    // dh_{t−1} for the running sequences: dPre[rows of t] · Uᵀ (sequences that end earlier keep
    // dhLast). With a mask it accumulates, so that masked rows keep their passed-through gradient.
    // With recurrent dropout the GEMM's result is the gradient of h_{t−1} ⊙ m, so it is masked first.
    gradToPreviousState({ dhNext, dz: dPre, rowAt: r0, recurrentKernel: weights.recurrentKernel, bt, H, G: H, masked: mask !== null, recurrentMask: recMask, dropped: dDropped });
  }
  const dx = weightAndInputGrads({ grads, dz: dPre, x, kernel: weights.kernel, state, h0, layout, C, H, G: H, recurrentMask: recMask, needInputGrad: args.needInputGrad });
  return { dx, dh0: dhNext };
}
