/**
 * The GRU layer kernel over a packed batch (see NOTE [ the packed layout ] in data/packed.ts), in
 * the same shape as lstm.ts: one call runs the whole layer forward, or the whole BPTT backward.
 *
 * Gate order, written once here (Keras): z | r | h, each H wide, G = 3H. σr = recurrentActivation,
 * σ = activation, h_p = h_{t−1} (or h0 at t = 0), x-side pre-activations x_z, x_r, x_h = x·W + b_in.
 *
 *   resetAfter = true (Keras 3 default; bias [2, G]: row 0 input bias b_in, row 1 recurrent b_rec)
 *     rec = h_p·U + b_rec                      (all three blocks)
 *     z = σr(x_z + rec_z)   r = σr(x_r + rec_r)   hh = σ(x_h + r ⊙ rec_h)
 *   resetAfter = false (bias [G], all on the input side)
 *     z = σr(x_z + h_p·U_z)   r = σr(x_r + h_p·U_r)   hh = σ(x_h + (r ⊙ h_p)·U_h)
 *   both:  h_t = z ⊙ h_p + (1 − z) ⊙ hh
 *
 * Forward does x·W for all N rows in one GEMM; per step t only the recurrent GEMM(s) on the b_t
 * running rows. resetAfter = false needs a second per-step GEMM, (r ⊙ h_p)·U_h, because r depends
 * on the first one; it runs on U split into its z|r columns and its h columns (copied once).
 * Masks: see NOTE [ masked rows in the recurrent kernels ] in lstm.ts. Recurrent dropout (see
 * NOTE [ recurrent dropout in the recurrent kernels ] there) replaces h_p by h_p ⊙ m in h_p·U and in
 * r ⊙ h_p, never in z ⊙ h_p (nor in dz' = dht (h_p − hh) σr'(z) below).
 */
import { Act, applyScalar, derivativeFromOutput } from "./activations.js";
import { addBias, gemm, sumRows } from "./gemm.js";
import {
  checkMask, checkRecurrentMask, addMaskedRows, maskRowsBySequence, copyRow, lastRows, previousRows, recurrentProduct,
} from "./recurrent_rows.js";
import type { RecurrentGrads } from "./recurrent_rows.js";
import { RaggedError } from "../errors.js";
import type { PackedLayout } from "../packed_layout.js";
import type { BackwardRowsArgs, BackwardRowsResult, CacheRows, ForwardRowsArgs } from "./wasm/wasm_rows.js";

export interface GruWeights {
  /** [C, G] */
  kernel: Float32Array;
  /** [H, G] */
  recurrentKernel: Float32Array;
  /** [2, G] when resetAfter (input bias row, then recurrent bias row), [G] otherwise; null without bias. */
  bias: Float32Array | null;
}

/**
 * What forward keeps for backward. All row arrays follow the packed layout. The wasm kernels keep
 * `gates`, `recH` / `resetState` and `state` in wasm memory (lazy getters; see `LstmCache`).
 */
export interface GruCache extends CacheRows {
  layout: PackedLayout;
  C: number;
  H: number;
  resetAfter: boolean;
  /** [N, C] the input rows (not copied: the caller keeps it alive and unchanged). */
  x: Float32Array;
  /** [N, G] gate activations z, r, hh (zero at masked rows). */
  gates: Float32Array;
  /** [N, H] resetAfter only: rec_h = h_p·U_h + b_rec_h, the term r multiplies. Null otherwise. */
  recH: Float32Array | null;
  /** [N, H] resetAfter = false only: r ⊙ h_p, the input of U_h. Null otherwise. */
  resetState: Float32Array | null;
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

export interface GruForwardArgs extends ForwardRowsArgs {
  layout: PackedLayout;
  /** [N, C] */
  x: Float32Array;
  C: number;
  H: number;
  weights: GruWeights;
  activation: Act;
  recurrentActivation: Act;
  /** Keras `reset_after`: apply r after the recurrent matmul (true, the Keras 3 default) or before. */
  resetAfter: boolean;
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

// x: [N,C], W: [C,3H], U: [H,3H], b: [2,3H] | [3H], h0: [B,H], mask: [N], recurrentMask: [B,H] → h, state: [N,H], gates: [N,3H], recH | resetState: [N,H], hLast: [B,H]
export function gruForward(args: GruForwardArgs): GruCache {
  const { layout, x, C, H, weights, activation, recurrentActivation, resetAfter } = args;
  const { batch: B, totalSteps: N, maxLength: T, offsets, batchSizes } = layout;
  const G = 3 * H;
  const mask = checkMask(args.mask, N, "gruForward");
  const recMask = checkRecurrentMask(args.recurrentMask, B, H, "gruForward");
  const dropped = recMask ? new Float32Array(B * H) : null; // [b_t, H] h_p ⊙ m of the current step
  checkGruBias(weights.bias, G, resetAfter, "gruForward");
  const h0 = args.h0 ?? new Float32Array(B * H);
  const gates = new Float32Array(N * G);
  const h = new Float32Array(N * H);
  const state = mask ? new Float32Array(N * H) : h;
  let recH: Float32Array | null = null; // resetAfter
  let resetState: Float32Array | null = null; // !resetAfter

  // x-side pre-activations for all rows: gates = x·W + b_in
  gemm({ out: gates, a: x, b: weights.kernel, M: N, N: G, K: C });
  if (weights.bias) addBias(gates, weights.bias, N, G);

  if (resetAfter) {
    const U = weights.recurrentKernel;
    const recBias = weights.bias ? weights.bias.subarray(G, 2 * G) : new Float32Array(G);
    const rec = new Float32Array(B * G); // [b_t, G] h_p·U of the current step
    const recHRows = (recH = new Float32Array(N * H));
    for (let t = 0; t < T; t++) {
      const r0 = offsets[t];
      const bt = batchSizes[t];
      const prev = t === 0 ? h0 : state;
      const prevRow0 = t === 0 ? 0 : offsets[t - 1];
      recurrentProduct({ out: rec, outOffset: 0, prev, prevRow0, recurrentKernel: U, bt, H, G, accumulate: false, recurrentMask: recMask, dropped });
      for (let j = 0; j < bt; j++) {
        const zr = (r0 + j) * G;
        const sr = (r0 + j) * H;
        const pr = (prevRow0 + j) * H;
        if (mask && mask[r0 + j] === 0) {
          gates.fill(0, zr, zr + G);
          copyRow(state, sr, prev, pr, H);
          continue;
        }
        const qr = j * G;
        for (let u = 0; u < H; u++) {
          const zg = applyScalar(recurrentActivation, gates[zr + u] + rec[qr + u] + recBias[u]);
          const rg = applyScalar(recurrentActivation, gates[zr + H + u] + rec[qr + H + u] + recBias[H + u]);
          const rh = rec[qr + 2 * H + u] + recBias[2 * H + u];
          const hh = applyScalar(activation, gates[zr + 2 * H + u] + rg * rh);
          gates[zr + u] = zg;
          gates[zr + H + u] = rg;
          gates[zr + 2 * H + u] = hh;
          recHRows[sr + u] = rh;
          h[sr + u] = zg * prev[pr + u] + (1 - zg) * hh;
        }
        if (mask) copyRow(state, sr, h, sr, H);
      }
    }
  } else {
    const { zr: uZR, h: uH } = splitRecurrentKernel(weights.recurrentKernel, H);
    const recZR = new Float32Array(B * 2 * H); // [b_t, 2H] h_p·U_zr of the current step
    const recHH = new Float32Array(B * H); // [b_t, H] (r ⊙ h_p)·U_h of the current step
    const rs = (resetState = new Float32Array(N * H));
    for (let t = 0; t < T; t++) {
      const r0 = offsets[t];
      const bt = batchSizes[t];
      const prev = t === 0 ? h0 : state;
      const prevRow0 = t === 0 ? 0 : offsets[t - 1];
      recurrentProduct({ out: recZR, outOffset: 0, prev, prevRow0, recurrentKernel: uZR, bt, H, G: 2 * H, accumulate: false, recurrentMask: recMask, dropped });
      // z, r and r ⊙ h_p (h_p ⊙ m with recurrent dropout; masked rows keep resetState 0)
      for (let j = 0; j < bt; j++) {
        if (mask && mask[r0 + j] === 0) continue;
        const zr = (r0 + j) * G;
        const sr = (r0 + j) * H;
        const pr = (prevRow0 + j) * H;
        const qr = j * 2 * H;
        for (let u = 0; u < H; u++) {
          const zg = applyScalar(recurrentActivation, gates[zr + u] + recZR[qr + u]);
          const rg = applyScalar(recurrentActivation, gates[zr + H + u] + recZR[qr + H + u]);
          gates[zr + u] = zg;
          gates[zr + H + u] = rg;
          rs[sr + u] = rg * (dropped ? dropped[j * H + u] : prev[pr + u]);
        }
      }
      gemm({ out: recHH, a: rs, aOffset: r0 * H, b: uH, M: bt, N: H, K: H });
      for (let j = 0; j < bt; j++) {
        const zr = (r0 + j) * G;
        const sr = (r0 + j) * H;
        const pr = (prevRow0 + j) * H;
        if (mask && mask[r0 + j] === 0) {
          gates.fill(0, zr, zr + G);
          copyRow(state, sr, prev, pr, H);
          continue;
        }
        const qr = j * H;
        for (let u = 0; u < H; u++) {
          const zg = gates[zr + u];
          const hh = applyScalar(activation, gates[zr + 2 * H + u] + recHH[qr + u]);
          gates[zr + 2 * H + u] = hh;
          h[sr + u] = zg * prev[pr + u] + (1 - zg) * hh;
        }
        if (mask) copyRow(state, sr, h, sr, H);
      }
    }
  }
  const hLast = lastRows(state, h0, layout, H);
  const cache: GruCache = { layout, C, H, resetAfter, x, gates, recH, resetState, h, state, mask, h0, hLast };
  if (recMask) cache.recurrentMask = recMask;
  return cache;
}

/** [C, G], [H, G], and [2, G] or [G] as the weights: accumulated into (+=). */
export type GruGrads = RecurrentGrads;

export interface GruBackwardArgs extends BackwardRowsArgs {
  cache: GruCache;
  weights: GruWeights;
  activation: Act;
  recurrentActivation: Act;
  /** [N, H] gradient w.r.t. every step's h, or null when only the final state receives gradient. */
  dh: Float32Array | null;
  /** [B, H] gradient w.r.t. the final state (sorted order), or null. */
  dhLast: Float32Array | null;
  /** Weight gradients, accumulated. */
  grads: GruGrads;
  /** Whether to compute dx (false for the first layer). */
  needInputGrad: boolean;
}

export interface GruBackwardResult extends BackwardRowsResult {
  /** [N, C] or null */
  dx: Float32Array | null;
  /** [B, H] gradient w.r.t. the initial state. */
  dh0: Float32Array;
}

// dh: [N,H], dhLast: [B,H] → dx: [N,C], dh0: [B,H]; grads += dW [C,3H], dU [H,3H], db [2,3H] | [3H]
// (the masks and resetAfter are the ones forward ran with, read from the cache)
//
// With dht the total gradient reaching h_t, per unit:
//   dhh' = dht (1 − z) σ'(hh)      dz' = dht (h_p − hh) σr'(z)      dh_p ← dht z
//   resetAfter:  dr' = dhh' rec_h σr'(r);  d rec = [dz', dr', dhh' r]        dh_p += d rec · Uᵀ
//   otherwise:   d(r⊙h_p) = dhh' · U_hᵀ;   dr' = d(r⊙h_p) h_p σr'(r);  dh_p += d(r⊙h_p) r + [dz', dr'] · U_zrᵀ
// With recurrent dropout the h_p of d rec · Uᵀ, dr', d(r⊙h_p) r and [dz', dr'] · U_zrᵀ is h_p ⊙ m, so
// those terms are multiplied by m on their way to dh_p (dz' and dht z keep h_p itself).
// and dX = [dz', dr', dhh'] is the gradient of the x-side pre-activations (dW = xᵀ·dX, dx = dX·Wᵀ).
export function gruBackward(args: GruBackwardArgs): GruBackwardResult {
  const { cache, weights, activation, recurrentActivation, dh, grads } = args;
  const { layout, C, H, x, gates, state, mask, h0, resetAfter } = cache;
  const { batch: B, totalSteps: N, maxLength: T, offsets, batchSizes } = layout;
  const G = 3 * H;
  checkGruBias(grads.bias, G, resetAfter, "gruBackward (grads)");
  const dhNext = args.dhLast ? Float32Array.from(args.dhLast) : new Float32Array(B * H);
  const recMask = cache.recurrentMask ?? null;
  const hPrev = previousRows(state, h0, layout, H);
  // the previous states as the recurrent GEMMs saw them (h_p ⊙ m with recurrent dropout)
  let hPrevRec = hPrev;
  if (recMask) {
    hPrevRec = Float32Array.from(hPrev);
    maskRowsBySequence(hPrevRec, recMask, layout, H);
  }
  const dDropped = recMask ? new Float32Array(B * H) : null; // [b_t, H] gradient w.r.t. h_p ⊙ m
  let dX: Float32Array;

  if (resetAfter) {
    const recH = requireCached(cache.recH, "recH");
    const U = weights.recurrentKernel;
    dX = new Float32Array(N * G);
    const dRec = new Float32Array(N * G); // gradient of rec = h_p·U + b_rec
    for (let t = T - 1; t >= 0; t--) {
      const r0 = offsets[t];
      const bt = batchSizes[t];
      for (let j = 0; j < bt; j++) {
        const r = r0 + j;
        // masked: dhNext passes through to step t−1 untouched; dX, dRec stay 0
        if (mask && mask[r] === 0) continue;
        const zr = r * G;
        const sr = r * H;
        const nr = j * H;
        for (let u = 0; u < H; u++) {
          const dht = dhNext[nr + u] + (dh ? dh[sr + u] : 0);
          const zg = gates[zr + u];
          const rg = gates[zr + H + u];
          const hh = gates[zr + 2 * H + u];
          const dhhPre = dht * (1 - zg) * derivativeFromOutput(activation, hh);
          const dzPre = dht * (hPrev[sr + u] - hh) * derivativeFromOutput(recurrentActivation, zg);
          const drPre = dhhPre * recH[sr + u] * derivativeFromOutput(recurrentActivation, rg);
          dX[zr + u] = dzPre;
          dX[zr + H + u] = drPre;
          dX[zr + 2 * H + u] = dhhPre;
          dRec[zr + u] = dzPre;
          dRec[zr + H + u] = drPre;
          dRec[zr + 2 * H + u] = dhhPre * rg;
          dhNext[nr + u] = dht * zg; // the direct path; the GEMM below adds the rest
        }
      }
      // dh_{t−1} += dRec[rows of t] · Uᵀ (⊙ m with recurrent dropout; masked rows have dRec = 0;
      // sequences that end earlier keep dhLast)
      if (recMask && dDropped) {
        gemm({ out: dDropped, a: dRec, aOffset: r0 * G, b: U, M: bt, N: H, K: G, transB: true });
        addMaskedRows(dhNext, dDropped, recMask, bt, H, true);
      } else {
        gemm({ out: dhNext, a: dRec, aOffset: r0 * G, b: U, M: bt, N: H, K: G, transB: true, accumulate: true });
      }
    }
    gemm({ out: grads.recurrentKernel, a: hPrevRec, b: dRec, M: H, N: G, K: N, transA: true, accumulate: true });
    if (grads.bias) sumRows(grads.bias.subarray(G, 2 * G), dRec, N, G);
  } else {
    const rs = requireCached(cache.resetState, "resetState");
    const { zr: uZR, h: uH } = splitRecurrentKernel(weights.recurrentKernel, H);
    const dZR = new Float32Array(N * 2 * H); // [dz', dr'] per row
    const dHH = new Float32Array(N * H); // dhh' per row
    const dRs = new Float32Array(B * H); // [b_t, H] d(r ⊙ h_p) of the current step
    for (let t = T - 1; t >= 0; t--) {
      const r0 = offsets[t];
      const bt = batchSizes[t];
      for (let j = 0; j < bt; j++) {
        const r = r0 + j;
        if (mask && mask[r] === 0) continue;
        const zr = r * G;
        const sr = r * H;
        const nr = j * H;
        const qr = r * 2 * H;
        for (let u = 0; u < H; u++) {
          const dht = dhNext[nr + u] + (dh ? dh[sr + u] : 0);
          const zg = gates[zr + u];
          const hh = gates[zr + 2 * H + u];
          dHH[sr + u] = dht * (1 - zg) * derivativeFromOutput(activation, hh);
          dZR[qr + u] = dht * (hPrev[sr + u] - hh) * derivativeFromOutput(recurrentActivation, zg);
          dhNext[nr + u] = dht * zg;
        }
      }
      gemm({ out: dRs, a: dHH, aOffset: r0 * H, b: uH, M: bt, N: H, K: H, transB: true });
      for (let j = 0; j < bt; j++) {
        const r = r0 + j;
        if (mask && mask[r] === 0) continue;
        const zr = r * G;
        const sr = r * H;
        const nr = j * H;
        const qr = r * 2 * H;
        for (let u = 0; u < H; u++) {
          const rg = gates[zr + H + u];
          const drs = dRs[nr + u];
          dZR[qr + H + u] = drs * hPrevRec[sr + u] * derivativeFromOutput(recurrentActivation, rg);
          dhNext[nr + u] += recMask ? drs * rg * recMask[nr + u] : drs * rg;
        }
      }
      // dh_{t−1} += [dz', dr'][rows of t] · U_zrᵀ (⊙ m with recurrent dropout)
      if (recMask && dDropped) {
        gemm({ out: dDropped, a: dZR, aOffset: r0 * 2 * H, b: uZR, M: bt, N: H, K: 2 * H, transB: true });
        addMaskedRows(dhNext, dDropped, recMask, bt, H, true);
      } else {
        gemm({ out: dhNext, a: dZR, aOffset: r0 * 2 * H, b: uZR, M: bt, N: H, K: 2 * H, transB: true, accumulate: true });
      }
    }
    // dU = [h_pᵀ·[dz', dr'] | (r⊙h_p)ᵀ·dhh'], each block one GEMM over all N rows
    const gZR = new Float32Array(H * 2 * H);
    const gH = new Float32Array(H * H);
    gemm({ out: gZR, a: hPrevRec, b: dZR, M: H, N: 2 * H, K: N, transA: true });
    gemm({ out: gH, a: rs, b: dHH, M: H, N: H, K: N, transA: true });
    addColumns(grads.recurrentKernel, G, gZR, 2 * H, 0, H);
    addColumns(grads.recurrentKernel, G, gH, H, 2 * H, H);
    dX = joinColumns(dZR, 2 * H, dHH, H, N);
  }

  // x side, shared: dW = xᵀ·dX, db_in = Σ dX, dx = dX·Wᵀ (masked rows have dX = 0)
  gemm({ out: grads.kernel, a: x, b: dX, M: C, N: G, K: N, transA: true, accumulate: true });
  if (grads.bias) sumRows(grads.bias, dX, N, G);
  let dx: Float32Array | null = null;
  if (args.needInputGrad) {
    dx = new Float32Array(N * C);
    gemm({ out: dx, a: dX, b: weights.kernel, M: N, N: C, K: G, transB: true });
  }
  return { dx, dh0: dhNext };
}

/** U [H, 3H] → its z|r columns [H, 2H] and its h columns [H, H], as contiguous copies. */
export function splitRecurrentKernel(U: Float32Array, H: number): { zr: Float32Array; h: Float32Array } {
  const G = 3 * H;
  const zr = new Float32Array(H * 2 * H);
  const h = new Float32Array(H * H);
  for (let k = 0; k < H; k++) {
    zr.set(U.subarray(k * G, k * G + 2 * H), k * 2 * H);
    h.set(U.subarray(k * G + 2 * H, (k + 1) * G), k * H);
  }
  return { zr, h };
}

/** out[r, from + k] += block[r, k] for `rows` rows; out has row width `outWidth`, block `width`. */
function addColumns(out: Float32Array, outWidth: number, block: Float32Array, width: number, from: number, rows: number): void {
  for (let r = 0; r < rows; r++) {
    const o = r * outWidth + from;
    const b = r * width;
    for (let k = 0; k < width; k++) out[o + k] += block[b + k];
  }
}

/** [rows, wa] and [rows, wb] → [rows, wa + wb], side by side. */
function joinColumns(a: Float32Array, wa: number, b: Float32Array, wb: number, rows: number): Float32Array {
  const w = wa + wb;
  const out = new Float32Array(rows * w);
  for (let r = 0; r < rows; r++) {
    out.set(a.subarray(r * wa, (r + 1) * wa), r * w);
    out.set(b.subarray(r * wb, (r + 1) * wb), r * w + wa);
  }
  return out;
}

function requireCached(rows: Float32Array | null, name: string): Float32Array {
  if (rows === null) {
    throw new RaggedError("INVALID_ARGUMENT", `The GRU cache lacks \`${name}\`: it was not made by gruForward with the same resetAfter.`, {
      help: "pass gruBackward the cache gruForward returned, unchanged",
    });
  }
  return rows;
}

function checkGruBias(bias: Float32Array | null, G: number, resetAfter: boolean, where: string): void {
  if (bias === null) return;
  const want = resetAfter ? 2 * G : G;
  if (bias.length !== want) {
    throw new RaggedError("SHAPE_MISMATCH", `The GRU bias passed to ${where} has the wrong size.`, {
      expected: resetAfter ? `[2, ${G}] = ${want} values (input bias row, then recurrent bias row) with resetAfter` : `[${G}] values without resetAfter`,
      received: `${bias.length} values`,
      help: "Keras 3 GRU layers default to reset_after=True, whose bias has two rows",
    });
  }
}
