// The SimpleRNN layer over a packed batch, forward and backward, entirely in WebAssembly.
// The spec is src/core/kernels/simple_rnn.ts: h_t = σ(x_t·W + b + h_{t−1}·U), same order of sums.
// The caller (src/core/kernels/wasm/simple_rnn.ts) keeps forward's `state` (and the inputs) in wasm memory
// for backward. Masks as in lstm.ts: `mask` points at N bytes or is 0; with a mask the output
// `hOut` is a separate array, zero at masked rows, and `state` carries over them. Recurrent dropout
// as in lstm.ts: `recMask` [B,H] or 0; h_{t−1} ⊙ m enters the GEMM (dropped into `dropped` [B,H]),
// and backward moves the GEMM's gradient to h_{t−1} times m and builds dU from h_{t−1} ⊙ m.
// All pointers are byte addresses; sizes are element counts.
import { ACT_TANH, vdact, vflush } from "./math";
import { gemm, gemmScratchBytes } from "./gemm";
import { activateRow, addColumnSums, addMaskedRows, addRowVector, dropRows, ldv, maskRowsBySequence, previousRows, stv } from "./rows";

/** Bytes of scratch either direction needs (the largest of its GEMMs'). */
export function simpleRnnScratchBytes(N: i32, C: i32, H: i32): i32 {
  let s = gemmScratchBytes(H, C, 0); // x·W
  s = max(s, gemmScratchBytes(H, H, 0)); // h_{t−1}·U
  s = max(s, gemmScratchBytes(H, H, 1)); // dPre·Uᵀ
  s = max(s, gemmScratchBytes(H, N, 0)); // h_prevᵀ·dPre, xᵀ·dPre
  return max(s, gemmScratchBytes(C, H, 1)); // dPre·Wᵀ
}

// x: [N,C], W: [C,H], U: [H,H], bias: [H] (or 0), h0: [B,H], mask: [N] (or 0), recMask: [B,H] (or 0)
//   → state, hOut: [N,H].  dropped: [B,H] scratch (with recMask)
export function simpleRnnForward(
  state: usize, hOut: usize, x: usize, W: usize, U: usize, bias: usize, h0: usize,
  offsets: usize, batchSizes: usize, mask: usize, recMask: usize, dropped: usize, T: i32, N: i32, C: i32, H: i32, act: i32, scratch: usize,
): void {
  gemm(state, x, W, N, H, C, 0, 0, 0, scratch);
  if (bias != 0) addRowVector(state, bias, N, H);
  if (act == ACT_TANH) forwardSteps(state, hOut, U, h0, offsets, batchSizes, mask, recMask, dropped, T, H, ACT_TANH, scratch);
  else forwardSteps(state, hOut, U, h0, offsets, batchSizes, mask, recMask, dropped, T, H, act, scratch);
}

// Inlined twice: with a constant activation id (the common case) the `vact` switch folds away.
@inline function forwardSteps(
  state: usize, hOut: usize, U: usize, h0: usize, offsets: usize, batchSizes: usize, mask: usize,
  recMask: usize, dropped: usize, T: i32, H: i32, act: i32, scratch: usize,
): void {
  const rowH = <usize>H << 2;
  for (let t = 0; t < T; t++) {
    const r0 = load<i32>(offsets + (<usize>t << 2));
    const bt = load<i32>(batchSizes + (<usize>t << 2));
    const prev = t == 0 ? h0 : state + <usize>load<i32>(offsets + (<usize>(t - 1) << 2)) * rowH;
    // pre[rows of t] += (h_{t−1} ⊙ m)[first bt rows] · U
    if (recMask != 0) dropRows(dropped, prev, recMask, bt * H);
    gemm(state + <usize>r0 * rowH, recMask != 0 ? dropped : prev, U, bt, H, H, 0, 0, 1, scratch);
    for (let j = 0; j < bt; j++) {
      const s = state + <usize>(r0 + j) * rowH;
      if (mask != 0 && load<u8>(mask + <usize>(r0 + j)) == 0) {
        memory.copy(s, prev + <usize>j * rowH, rowH); // carry the state, output zero
        memory.fill(hOut + <usize>(r0 + j) * rowH, 0, rowH);
        continue;
      }
      activateRow(s, H, act);
      if (mask != 0) memory.copy(hOut + <usize>(r0 + j) * rowH, s, rowH);
    }
  }
}

// dh: [N,H] (or 0), dhNext: [B,H] = dhLast on entry, dh0 on exit → dx: [N,C] (or 0);
// gW [C,H], gU [H,H], gb [H] (or 0) +=. Scratch: dPre, hPrev [N,H], dropped [B,H] (with recMask) and `scratch`.
export function simpleRnnBackward(
  dx: usize, dhNext: usize, gW: usize, gU: usize, gb: usize,
  x: usize, W: usize, U: usize, state: usize, h0: usize, dh: usize,
  offsets: usize, batchSizes: usize, mask: usize, recMask: usize, T: i32, N: i32, C: i32, H: i32, act: i32,
  dPre: usize, hPrev: usize, dropped: usize, scratch: usize,
): void {
  if (act == ACT_TANH) backwardSteps(dhNext, U, state, dh, offsets, batchSizes, mask, recMask, T, H, ACT_TANH, dPre, dropped, scratch);
  else backwardSteps(dhNext, U, state, dh, offsets, batchSizes, mask, recMask, T, H, act, dPre, dropped, scratch);
  // weight gradients as whole-batch GEMMs over all N rows (masked rows have dPre = 0); dU from
  // the previous states as the recurrent GEMM saw them
  previousRows(hPrev, state, h0, offsets, batchSizes, T, H);
  if (recMask != 0) maskRowsBySequence(hPrev, recMask, offsets, batchSizes, T, H);
  gemm(gU, hPrev, dPre, H, H, N, 1, 0, 1, scratch);
  gemm(gW, x, dPre, C, H, N, 1, 0, 1, scratch);
  if (gb != 0) addColumnSums(gb, dPre, N, H);
  if (dx != 0) gemm(dx, dPre, W, N, C, H, 0, 1, 0, scratch);
}

@inline function backwardSteps(
  dhNext: usize, U: usize, state: usize, dh: usize, offsets: usize, batchSizes: usize, mask: usize,
  recMask: usize, T: i32, H: i32, act: i32, dPre: usize, dropped: usize, scratch: usize,
): void {
  const rowH = <usize>H << 2;
  for (let t = T - 1; t >= 0; t--) {
    const r0 = load<i32>(offsets + (<usize>t << 2));
    const bt = load<i32>(batchSizes + (<usize>t << 2));
    for (let j = 0; j < bt; j++) {
      const r = <usize>(r0 + j);
      const d = dPre + r * rowH;
      const n = dhNext + <usize>j * rowH;
      if (mask != 0 && load<u8>(mask + r) == 0) {
        memory.fill(d, 0, rowH); // dhNext passes through to step t−1 untouched
        continue;
      }
      const s = state + r * rowH;
      const g = dh == 0 ? 0 : dh + r * rowH;
      let u = 0;
      for (; u + 4 <= H; u += 4) cellBackward(d, s, n, g, <usize>u << 2, act, true);
      for (; u < H; u++) cellBackward(d, s, n, g, <usize>u << 2, act, false);
      if (mask != 0) memory.fill(n, 0, rowH); // consumed; the GEMM below adds dh_{t−1} into it
    }
    // dh_{t−1} for the running sequences: dPre[rows of t] · Uᵀ (accumulated with a mask, so that
    // masked rows keep their passed-through gradient; ⊙ m with recurrent dropout)
    if (recMask != 0) {
      gemm(dropped, dPre + <usize>r0 * rowH, U, bt, H, H, 0, 1, 0, scratch);
      addMaskedRows(dhNext, dropped, recMask, bt * H, mask != 0);
    } else {
      gemm(dhNext, dPre + <usize>r0 * rowH, U, bt, H, H, 0, 1, mask != 0 ? 1 : 0, scratch);
    }
  }
}

// dPre = (dhNext + dh) ⊙ σ'(state), at byte offset o of the row; flushed (NOTE [ denormals ]).
@inline function cellBackward(d: usize, s: usize, n: usize, g: usize, o: usize, act: i32, full: bool): void {
  const dht = g == 0 ? ldv(n + o, full) : f32x4.add(ldv(n + o, full), ldv(g + o, full));
  stv(d + o, vflush(f32x4.mul(dht, vdact(act, ldv(s + o, full)))), full);
}
