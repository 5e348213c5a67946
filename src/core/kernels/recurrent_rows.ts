/**
 * Row bookkeeping shared by the recurrent kernels (lstm.ts, gru.ts, simple_rnn.ts) on the packed
 * layout (NOTE [ the packed layout ] in data/packed.ts): argument checks, previous/last rows,
 * masked and dropped rows, and the backward steps every cell ends with.
 *
 * NOTE [ masked rows in the recurrent kernels ]
 * lstm.ts, gru.ts and simple_rnn.ts take an optional per-row `mask` ([N], 1 = real step, 0 =
 * masked), for Keras' general masked case: a padded batch whose mask has holes (the layout then
 * holds every sequence at full length). At a masked row the state is carried unchanged (h_t =
 * h_{t−1}, and c_t = c_{t−1} for the LSTM) and the output row is zero (Keras
 * `zero_output_for_mask=True`). Backward mirrors it: the gradient w.r.t. the carried state passes
 * straight through to h_{t−1} (c_{t−1}), the upstream gradient of the zero output row is dropped,
 * and nothing flows into the weights or dx from that row. Because a masked row's output is zero
 * while the state lives on, a masked forward keeps the carried state in its own array (`state`
 * in the caches); without a mask `state` and `h` are the same array. The final state (`hLast`) is
 * the state after a sequence's last row, masked or not.
 *
 * NOTE [ recurrent dropout in the recurrent kernels ]
 * lstm.ts, gru.ts and simple_rnn.ts take an optional `recurrentMask` ([B, H], sorted order, already
 * scaled by 1/(1−p)): one row per sequence, the same at every step, multiplied into h_{t−1} where
 * it enters the recurrent GEMM (z += (h_{t−1} ⊙ m)·U; the GRU's r ⊙ (h_{t−1} ⊙ m) likewise). Only
 * that input is dropped: the carried state, the LSTM's c_t = f ⊙ c_{t−1} + i ⊙ g, the GRU's
 * z ⊙ h_{t−1} and a masked row's carry all use h_{t−1} itself. Backward mirrors it: dU is built from
 * the dropped previous states, and the gradient reaching h_{t−1} through U is multiplied by the
 * mask; the direct paths are not. Forward drops each step's b_t previous rows into one [B, H]
 * buffer (no per-step allocation); without the option nothing changes. The cache keeps the mask.
 */
import { gemm, sumRows } from "./gemm.js";
import { RaggedError } from "../errors.js";
import type { PackedLayout } from "../packed_layout.js";

/**
 * Validates a kernel's optional per-row mask (see NOTE [ masked rows in the recurrent kernels ]).
 * @returns the mask, or null when omitted.
 * @throws RaggedError `SHAPE_MISMATCH` when it does not have one entry per packed row.
 */
export function checkMask(mask: Uint8Array | undefined, N: number, where: string): Uint8Array | null {
  if (mask === undefined) return null;
  if (mask.length !== N) {
    throw new RaggedError("SHAPE_MISMATCH", `The mask passed to ${where} must have one entry per packed row.`, {
      expected: `${N} entries (layout.totalSteps)`,
      received: `${mask.length} entries`,
      help: "build the mask in the packed row order (row offsets[t] + j is step t of sorted sequence j)",
    });
  }
  return mask;
}

/**
 * Validates a kernel's optional recurrent dropout mask (see NOTE [ recurrent dropout … ]).
 * @returns the mask, or null when omitted.
 * @throws RaggedError `SHAPE_MISMATCH` when it is not [B, H].
 */
export function checkRecurrentMask(mask: Float32Array | undefined, B: number, H: number, where: string): Float32Array | null {
  if (mask === undefined) return null;
  if (mask.length !== B * H) {
    throw new RaggedError("SHAPE_MISMATCH", `The recurrentMask passed to ${where} must have one row of H values per sequence.`, {
      expected: `${B * H} values ([B, H] = [${B}, ${H}])`,
      received: `${mask.length} values`,
      help: "build it in sorted order (row j is sorted sequence j, as the initial states), already scaled by 1/(1 − rate)",
    });
  }
  return mask;
}

/** out[j, :] = rows[rowAt + j, :] ⊙ mask[j, :] for j < bt (h_{t−1} ⊙ m of the running sequences). */
export function dropRows(out: Float32Array, rows: Float32Array, rowAt: number, mask: Float32Array, bt: number, H: number): void {
  const from = rowAt * H;
  for (let k = 0; k < bt * H; k++) out[k] = rows[from + k] * mask[k];
}

/** dst[j, :] (+)= src[j, :] ⊙ mask[j, :] for j < bt: the gradient of h_{t−1} ⊙ m, moved to h_{t−1}. */
export function addMaskedRows(dst: Float32Array, src: Float32Array, mask: Float32Array, bt: number, H: number, accumulate: boolean): void {
  for (let k = 0; k < bt * H; k++) dst[k] = (accumulate ? dst[k] : 0) + src[k] * mask[k];
}

/** rows[r, :] ⊙= mask[j, :] in place, j the sorted sequence of packed row r. */
export function maskRowsBySequence(rows: Float32Array, mask: Float32Array, layout: PackedLayout, H: number): void {
  const { offsets, batchSizes, maxLength } = layout;
  for (let t = 0; t < maxLength; t++) {
    const from = offsets[t] * H;
    for (let k = 0; k < batchSizes[t] * H; k++) rows[from + k] *= mask[k];
  }
}

/** dst[dstAt : dstAt + n] = src[srcAt : srcAt + n], without the view `subarray` would allocate. */
export function copyRow(dst: Float32Array, dstAt: number, src: Float32Array, srcAt: number, n: number): void {
  for (let k = 0; k < n; k++) dst[dstAt + k] = src[srcAt + k];
}

/** [B, H] the row of each sequence's last step (sorted order); `initial` for empty sequences. */
export function lastRows(rows: Float32Array, initial: Float32Array, layout: PackedLayout, H: number): Float32Array {
  const out = new Float32Array(layout.batch * H);
  for (let j = 0; j < layout.batch; j++) {
    const len = layout.sortedLengths[j];
    // copyRow, not set(subarray(…)): a view per sequence was 380 KB of garbage a seed step
    if (len === 0) copyRow(out, j * H, initial, j * H, H);
    else copyRow(out, j * H, rows, (layout.offsets[len - 1] + j) * H, H);
  }
  return out;
}

/** [N, H] for every row, the state that fed it: the row of step t−1 of the same sequence, or h0. */
export function previousRows(rows: Float32Array, initial: Float32Array, layout: PackedLayout, H: number): Float32Array {
  const out = new Float32Array(layout.totalSteps * H);
  const { offsets, batchSizes, maxLength } = layout;
  if (maxLength === 0) return out;
  out.set(initial.subarray(0, batchSizes[0] * H), 0);
  for (let t = 1; t < maxLength; t++) {
    const from = offsets[t - 1] * H;
    out.set(rows.subarray(from, from + batchSizes[t] * H), offsets[t] * H);
  }
  return out;
}

/** Gradient buffers of a recurrent cell, accumulated into (+=): kernel [C, G], recurrent_kernel [H, G], bias. */
export interface RecurrentGrads {
  kernel: Float32Array;
  recurrentKernel: Float32Array;
  bias: Float32Array | null;
}

/**
 * The forward step every cell starts with: out[0:b_t] (+)= h_{t−1}[rows of the b_t running
 * sequences] · U — the previous rows (`prevRow0`, in `prev`) taken as they are, or through the
 * recurrent dropout mask into `dropped` ([B, H]) first (NOTE [ recurrent dropout … ]).
 * // prev: [·, H] rows from prevRow0, U: [H, G] → out: [b_t, G] at outOffset
 */
export function recurrentProduct(args: {
  out: Float32Array;
  outOffset: number;
  prev: Float32Array;
  prevRow0: number;
  recurrentKernel: Float32Array;
  bt: number;
  H: number;
  G: number;
  accumulate: boolean;
  recurrentMask: Float32Array | null;
  dropped: Float32Array | null;
}): void {
  const { out, outOffset, prev, prevRow0, recurrentKernel, bt, H, G, accumulate, recurrentMask, dropped } = args;
  if (recurrentMask && dropped) {
    dropRows(dropped, prev, prevRow0, recurrentMask, bt, H);
    gemm({ out, outOffset, a: dropped, b: recurrentKernel, M: bt, N: G, K: H, accumulate });
  } else {
    gemm({ out, outOffset, a: prev, aOffset: prevRow0 * H, b: recurrentKernel, M: bt, N: G, K: H, accumulate });
  }
}

/**
 * The step of BPTT that hands the gradient to the previous state: dh_{t−1} of the b_t running
 * sequences = dZ[rows of t] · Uᵀ (sequences that end earlier keep their dhLast). With a per-row
 * mask it accumulates, so masked rows keep their passed-through gradient; with recurrent dropout
 * the product is the gradient of h_{t−1} ⊙ m, so it is masked first (into `dropped`, [B, H]).
 */
export function gradToPreviousState(args: {
  /** [B, H] dh of the previous step, written (or added to) for the first b_t rows. */
  dhNext: Float32Array;
  /** [N, G] pre-activation gradients; the rows of step t start at rowAt. */
  dz: Float32Array;
  rowAt: number;
  /** [H, G] */
  recurrentKernel: Float32Array;
  bt: number;
  H: number;
  G: number;
  masked: boolean;
  recurrentMask: Float32Array | null;
  dropped: Float32Array | null;
}): void {
  const { dhNext, dz, rowAt, recurrentKernel, bt, H, G, masked, recurrentMask, dropped } = args;
  if (recurrentMask && dropped) {
    gemm({ out: dropped, a: dz, aOffset: rowAt * G, b: recurrentKernel, M: bt, N: H, K: G, transB: true });
    addMaskedRows(dhNext, dropped, recurrentMask, bt, H, masked);
  } else {
    gemm({ out: dhNext, a: dz, aOffset: rowAt * G, b: recurrentKernel, M: bt, N: H, K: G, transB: true, accumulate: masked });
  }
}

/**
 * The whole-batch end of BPTT for a cell whose pre-activations are x·W + h_{t−1}·U + b: weight
 * gradients as GEMMs over all N rows (masked rows have dZ = 0), dU from the previous states as the
 * recurrent GEMM saw them (dropped, with recurrent dropout), and dx = dZ · Wᵀ when asked.
 * // x: [N,C], dZ: [N,G], state: [N,H], h0: [B,H] → grads += dW [C,G], dU [H,G], db [G]; dx: [N,C]
 */
export function weightAndInputGrads(args: {
  grads: RecurrentGrads;
  dz: Float32Array;
  x: Float32Array;
  kernel: Float32Array;
  state: Float32Array;
  h0: Float32Array;
  layout: PackedLayout;
  C: number;
  H: number;
  G: number;
  recurrentMask: Float32Array | null;
  needInputGrad: boolean;
}): Float32Array | null {
  const { grads, dz, x, kernel, state, h0, layout, C, H, G, recurrentMask } = args;
  const N = layout.totalSteps;
  const hPrev = previousRows(state, h0, layout, H);
  if (recurrentMask) maskRowsBySequence(hPrev, recurrentMask, layout, H);
  gemm({ out: grads.recurrentKernel, a: hPrev, b: dz, M: H, N: G, K: N, transA: true, accumulate: true });
  gemm({ out: grads.kernel, a: x, b: dz, M: C, N: G, K: N, transA: true, accumulate: true });
  if (grads.bias) sumRows(grads.bias, dz, N, G);
  if (!args.needInputGrad) return null;
  const dx = new Float32Array(N * C);
  gemm({ out: dx, a: dz, b: kernel, M: N, N: C, K: G, transB: true });
  return dx;
}
