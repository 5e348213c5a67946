// The GRU layer over a packed batch, forward and backward, entirely in WebAssembly, in both of
// Keras' forms. The spec is src/core/kernels/gru.ts (read it first): gates z | r | h, G = 3H, the
// same equations and the same order of sums. Rows, masks and the cache as in lstm.ts / simple_rnn.ts:
// `mask` points at N bytes or is 0; with a mask the output `hOut` is separate (zero at masked
// rows) and `state` carries over them. `aux` [N,H] is the spec's `recH` (resetAfter) or
// `resetState` (r ⊙ h_p, otherwise). All pointers are byte addresses; sizes are element counts.
// Recurrent dropout as in lstm.ts: `recMask` [B,H] or 0. h_p ⊙ m (into `dropped` [B,H]) is what the
// recurrent GEMMs see and what r multiplies (r ⊙ (h_p ⊙ m) without resetAfter); the new state
// z ⊙ h_p + (1 − z) ⊙ hh and dz' use h_p itself. Backward moves the GEMMs' gradients to h_p times m
// and builds dU from h_p ⊙ m.
import { ACT_SIGMOID, ACT_TANH, vact, vdact, vflush } from "./math";
import { gemm, gemmScratchBytes } from "./gemm";
import { addColumnSums, addMaskedRows, addRowVector, dropRows, ldv, maskRowsBySequence, previousRows, stv } from "./rows";

/** Bytes of scratch either direction's GEMMs need (the largest). */
export function gruScratchBytes(N: i32, C: i32, H: i32): i32 {
  const G = 3 * H;
  let s = gemmScratchBytes(G, C, 0); // x·W
  s = max(s, gemmScratchBytes(G, H, 0)); // h_p·U
  s = max(s, gemmScratchBytes(2 * H, H, 0)); // h_p·U_zr
  s = max(s, gemmScratchBytes(H, H, 0)); // (r ⊙ h_p)·U_h
  s = max(s, gemmScratchBytes(H, G, 1)); // dRec·Uᵀ
  s = max(s, gemmScratchBytes(H, H, 1)); // dhh'·U_hᵀ
  s = max(s, gemmScratchBytes(H, 2 * H, 1)); // [dz', dr']·U_zrᵀ
  s = max(s, gemmScratchBytes(G, N, 0)); // h_pᵀ·dRec, xᵀ·dX
  s = max(s, gemmScratchBytes(2 * H, N, 0)); // h_pᵀ·[dz', dr']
  s = max(s, gemmScratchBytes(H, N, 0)); // (r ⊙ h_p)ᵀ·dhh'
  return max(s, gemmScratchBytes(C, G, 1)); // dX·Wᵀ
}

// ---------------------------------------------------------------------------------------------
// Forward
// x: [N,C], W: [C,G], U: [H,G] (and its split U_zr [H,2H], U_h [H,H] when !resetAfter),
// bias: [2,G] (resetAfter) or [G], zeros without bias; h0: [B,H]; mask: [N]; recMask: [B,H] (or 0)
//   → gates [N,G], aux [N,H], state, hOut [N,H].  rec: [B,G], recHH, dropped: [B,H] scratch.
// gruInfer: the same without recMask → hOut, state [N,H] (one array without a mask); gStep [B,G], aStep [B,H] scratch.

export function gruForward(
  gates: usize, aux: usize, state: usize, hOut: usize,
  x: usize, W: usize, U: usize, uZR: usize, uH: usize, bias: usize, h0: usize,
  offsets: usize, batchSizes: usize, mask: usize, recMask: usize, T: i32, N: i32, C: i32, H: i32,
  act: i32, recAct: i32, resetAfter: bool, rec: usize, recHH: usize, dropped: usize, scratch: usize,
): void {
  const G = 3 * H;
  // x-side pre-activations for all rows: gates = x·W + b_in
  gemm(gates, x, W, N, G, C, 0, 0, 0, scratch);
  addRowVector(gates, bias, N, G);
  const common = act == ACT_TANH && recAct == ACT_SIGMOID;
  if (resetAfter) {
    if (common) forwardAfter(gates, aux, state, hOut, U, bias + (<usize>G << 2), h0, offsets, batchSizes, mask, recMask, T, H, ACT_TANH, ACT_SIGMOID, rec, dropped, scratch, false, 0, 0, 0, C);
    else forwardAfter(gates, aux, state, hOut, U, bias + (<usize>G << 2), h0, offsets, batchSizes, mask, recMask, T, H, act, recAct, rec, dropped, scratch, false, 0, 0, 0, C);
  } else {
    if (common) forwardBefore(gates, aux, state, hOut, uZR, uH, h0, offsets, batchSizes, mask, recMask, T, H, ACT_TANH, ACT_SIGMOID, rec, recHH, dropped, scratch, false, 0, 0, 0, C);
    else forwardBefore(gates, aux, state, hOut, uZR, uH, h0, offsets, batchSizes, mask, recMask, T, H, act, recAct, rec, recHH, dropped, scratch, false, 0, 0, 0, C);
  }
}

/**
 * One layer forward for inference (NOTE [ inference keeps nothing ] in src/core/kernels/wasm/lstm.ts):
 * hOut [N,H], and with a mask the carried `state` [N,H] apart from it (without one, `state` is
 * `hOut`). No recurrent dropout (inference has none). Each step computes its rows' x·W + b_in into
 * `gStep` [B,G] just before it needs them and keeps aux in `aStep` [B,H], instead of gates [N,G]
 * and aux [N,H] for every row; the same operations per row, so h is bit-identical to `gruForward`'s.
 */
export function gruInfer(
  hOut: usize, state: usize, x: usize, W: usize, U: usize, uZR: usize, uH: usize, bias: usize, h0: usize,
  offsets: usize, batchSizes: usize, mask: usize, T: i32, C: i32, H: i32, act: i32, recAct: i32, resetAfter: bool,
  rec: usize, recHH: usize, gStep: usize, aStep: usize, scratch: usize,
): void {
  const G = 3 * H;
  const common = act == ACT_TANH && recAct == ACT_SIGMOID;
  if (resetAfter) {
    if (common) forwardAfter(gStep, aStep, state, hOut, U, bias + (<usize>G << 2), h0, offsets, batchSizes, mask, 0, T, H, ACT_TANH, ACT_SIGMOID, rec, 0, scratch, true, x, W, bias, C);
    else forwardAfter(gStep, aStep, state, hOut, U, bias + (<usize>G << 2), h0, offsets, batchSizes, mask, 0, T, H, act, recAct, rec, 0, scratch, true, x, W, bias, C);
  } else {
    if (common) forwardBefore(gStep, aStep, state, hOut, uZR, uH, h0, offsets, batchSizes, mask, 0, T, H, ACT_TANH, ACT_SIGMOID, rec, recHH, 0, scratch, true, x, W, bias, C);
    else forwardBefore(gStep, aStep, state, hOut, uZR, uH, h0, offsets, batchSizes, mask, 0, T, H, act, recAct, rec, recHH, 0, scratch, true, x, W, bias, C);
  }
}

/**
 * infer: the step's x-side pre-activations x_t·W + b_in into `gates` [bt,G] (then indexed by the
 * step's row j, as `aux` is, instead of by the packed row r).
 */
@inline function stepInputs(gates: usize, x: usize, W: usize, xBias: usize, r0: i32, bt: i32, C: i32, G: i32, scratch: usize): void {
  gemm(gates, x + ((<usize>r0 * C) << 2), W, bt, G, C, 0, 0, 0, scratch);
  addRowVector(gates, xBias, bt, G);
}

// resetAfter: rec = (h_p ⊙ m)·U + b_rec; z, r = σr(x + rec); hh = σ(x_h + r ⊙ rec_h); aux = rec_h.
@inline function forwardAfter(
  gates: usize, aux: usize, state: usize, hOut: usize, U: usize, recBias: usize, h0: usize,
  offsets: usize, batchSizes: usize, mask: usize, recMask: usize, T: i32, H: i32, act: i32, recAct: i32,
  rec: usize, dropped: usize, scratch: usize, infer: bool, x: usize, W: usize, xBias: usize, C: i32,
): void {
  const G = 3 * H;
  const rowG = <usize>G << 2;
  const rowH = <usize>H << 2;
  for (let t = 0; t < T; t++) {
    const r0 = load<i32>(offsets + (<usize>t << 2));
    const bt = load<i32>(batchSizes + (<usize>t << 2));
    const prev = t == 0 ? h0 : state + <usize>load<i32>(offsets + (<usize>(t - 1) << 2)) * rowH;
    if (infer) stepInputs(gates, x, W, xBias, r0, bt, C, G, scratch);
    if (recMask != 0) dropRows(dropped, prev, recMask, bt * H);
    gemm(rec, recMask != 0 ? dropped : prev, U, bt, G, H, 0, 0, 0, scratch);
    for (let j = 0; j < bt; j++) {
      const r = <usize>(r0 + j);
      const k = infer ? <usize>j : r; // the row of gates and aux
      const hp = prev + <usize>j * rowH;
      if (isMasked(mask, r)) {
        maskRow(gates + k * rowG, rowG, state + r * rowH, hp, hOut + r * rowH, rowH);
        memory.fill(aux + k * rowH, 0, rowH); // recH too, as the spec's
        continue;
      }
      const g = gates + k * rowG;
      const q = rec + <usize>j * rowG;
      const a = aux + k * rowH;
      const s = state + r * rowH;
      let u = 0;
      for (; u + 4 <= H; u += 4) cellAfter(g, q, recBias, a, hp, s, rowH, <usize>u << 2, act, recAct, true);
      for (; u < H; u++) cellAfter(g, q, recBias, a, hp, s, rowH, <usize>u << 2, act, recAct, false);
      if (mask != 0) memory.copy(hOut + r * rowH, s, rowH);
    }
  }
}

// Four units (or one) at byte offset o of a row; the r and h blocks are `gs`, 2·gs bytes further.
@inline function cellAfter(
  g: usize, q: usize, bR: usize, a: usize, hp: usize, s: usize, gs: usize, o: usize,
  act: i32, recAct: i32, full: bool,
): void {
  const zg = vact(recAct, f32x4.add(f32x4.add(ldv(g + o, full), ldv(q + o, full)), ldv(bR + o, full)));
  const rg = vact(recAct, f32x4.add(f32x4.add(ldv(g + gs + o, full), ldv(q + gs + o, full)), ldv(bR + gs + o, full)));
  const rh = f32x4.add(ldv(q + 2 * gs + o, full), ldv(bR + 2 * gs + o, full));
  const hh = vact(act, f32x4.add(ldv(g + 2 * gs + o, full), f32x4.mul(rg, rh)));
  stv(g + o, zg, full);
  stv(g + gs + o, rg, full);
  stv(g + 2 * gs + o, hh, full);
  stv(a + o, rh, full);
  stv(s + o, newState(zg, ldv(hp + o, full), hh), full);
}

// !resetAfter: z, r = σr(x + (h_p ⊙ m)·U_zr); aux = r ⊙ (h_p ⊙ m); hh = σ(x_h + aux·U_h).
@inline function forwardBefore(
  gates: usize, aux: usize, state: usize, hOut: usize, uZR: usize, uH: usize, h0: usize,
  offsets: usize, batchSizes: usize, mask: usize, recMask: usize, T: i32, H: i32, act: i32, recAct: i32,
  recZR: usize, recHH: usize, dropped: usize, scratch: usize, infer: bool, x: usize, W: usize, xBias: usize, C: i32,
): void {
  const G = 3 * H;
  const rowG = <usize>G << 2;
  const rowH = <usize>H << 2;
  for (let t = 0; t < T; t++) {
    const r0 = load<i32>(offsets + (<usize>t << 2));
    const bt = load<i32>(batchSizes + (<usize>t << 2));
    const prev = t == 0 ? h0 : state + <usize>load<i32>(offsets + (<usize>(t - 1) << 2)) * rowH;
    const seen = recMask != 0 ? dropped : prev; // h_p as the recurrent GEMMs and r see it
    const k0 = infer ? 0 : r0; // the first row of gates and aux for this step
    if (infer) stepInputs(gates, x, W, xBias, r0, bt, C, G, scratch);
    if (recMask != 0) dropRows(dropped, prev, recMask, bt * H);
    gemm(recZR, seen, uZR, bt, 2 * H, H, 0, 0, 0, scratch);
    // z, r and r ⊙ h_p (zero at masked rows, which the next GEMM reads)
    for (let j = 0; j < bt; j++) {
      const r = <usize>(r0 + j);
      const a = aux + <usize>(k0 + j) * rowH;
      if (isMasked(mask, r)) {
        memory.fill(a, 0, rowH);
        continue;
      }
      const g = gates + <usize>(k0 + j) * rowG;
      const q = recZR + <usize>j * (rowH << 1);
      const hs = seen + <usize>j * rowH;
      let u = 0;
      for (; u + 4 <= H; u += 4) cellGates(g, q, a, hs, rowH, <usize>u << 2, recAct, true);
      for (; u < H; u++) cellGates(g, q, a, hs, rowH, <usize>u << 2, recAct, false);
    }
    gemm(recHH, aux + <usize>k0 * rowH, uH, bt, H, H, 0, 0, 0, scratch);
    for (let j = 0; j < bt; j++) {
      const r = <usize>(r0 + j);
      const hp = prev + <usize>j * rowH;
      if (isMasked(mask, r)) {
        maskRow(gates + <usize>(k0 + j) * rowG, rowG, state + r * rowH, hp, hOut + r * rowH, rowH);
        continue;
      }
      const g = gates + <usize>(k0 + j) * rowG;
      const q = recHH + <usize>j * rowH;
      const s = state + r * rowH;
      let u = 0;
      for (; u + 4 <= H; u += 4) cellCandidate(g, q, hp, s, rowH, <usize>u << 2, act, true);
      for (; u < H; u++) cellCandidate(g, q, hp, s, rowH, <usize>u << 2, act, false);
      if (mask != 0) memory.copy(hOut + r * rowH, s, rowH);
    }
  }
}

@inline function cellGates(g: usize, q: usize, a: usize, hp: usize, gs: usize, o: usize, recAct: i32, full: bool): void {
  const zg = vact(recAct, f32x4.add(ldv(g + o, full), ldv(q + o, full)));
  const rg = vact(recAct, f32x4.add(ldv(g + gs + o, full), ldv(q + gs + o, full)));
  stv(g + o, zg, full);
  stv(g + gs + o, rg, full);
  stv(a + o, f32x4.mul(rg, ldv(hp + o, full)), full);
}

@inline function cellCandidate(g: usize, q: usize, hp: usize, s: usize, gs: usize, o: usize, act: i32, full: bool): void {
  const zg = ldv(g + o, full);
  const hh = vact(act, f32x4.add(ldv(g + 2 * gs + o, full), ldv(q + o, full)));
  stv(g + 2 * gs + o, hh, full);
  stv(s + o, newState(zg, ldv(hp + o, full), hh), full);
}

/** h_t = z ⊙ h_p + (1 − z) ⊙ hh, flushed: it is carried (NOTE [ denormals ] in math.ts). */
@inline function newState(zg: v128, hp: v128, hh: v128): v128 {
  return vflush(f32x4.add(f32x4.mul(zg, hp), f32x4.mul(f32x4.sub(f32x4.splat(1), zg), hh)));
}

@inline function isMasked(mask: usize, r: usize): bool {
  return mask != 0 && load<u8>(mask + r) == 0;
}

/** A masked row: gates zero, the state carried from h_p, the output zero. */
@inline function maskRow(g: usize, rowG: usize, s: usize, hp: usize, out: usize, rowH: usize): void {
  memory.fill(g, 0, rowG);
  memory.copy(s, hp, rowH);
  memory.fill(out, 0, rowH);
}

// ---------------------------------------------------------------------------------------------
// Backward
// dh: [N,H] (or 0), dhNext: [B,H] = dhLast on entry, dh0 on exit → dx: [N,C] (or 0);
// gW [C,G] +=, gb [2,G] or [G] (or 0) +=; gU [H,G] += (resetAfter) — otherwise the two blocks of
// dU go to gZR [H,2H] and gH [H,H] (overwritten) for the caller to add into its columns.
// Scratch: hPrev [N,H], dX [N,G], dRec [N,G] (resetAfter) or dZR [N,2H], dHH [N,H], dRs [B,H];
// dropped [B,H] with recMask.

export function gruBackward(
  dx: usize, dhNext: usize, gW: usize, gU: usize, gZR: usize, gH: usize, gb: usize,
  x: usize, W: usize, U: usize, uZR: usize, uH: usize, gates: usize, aux: usize, state: usize, h0: usize, dh: usize,
  offsets: usize, batchSizes: usize, mask: usize, recMask: usize, T: i32, N: i32, C: i32, H: i32,
  act: i32, recAct: i32, resetAfter: bool,
  hPrev: usize, dX: usize, dRec: usize, dZR: usize, dHH: usize, dRs: usize, dropped: usize, scratch: usize,
): void {
  const G = 3 * H;
  previousRows(hPrev, state, h0, offsets, batchSizes, T, H);
  const common = act == ACT_TANH && recAct == ACT_SIGMOID;
  if (resetAfter) {
    if (common) backwardAfter(dhNext, U, gates, aux, hPrev, dh, offsets, batchSizes, mask, recMask, T, H, ACT_TANH, ACT_SIGMOID, dX, dRec, dropped, scratch);
    else backwardAfter(dhNext, U, gates, aux, hPrev, dh, offsets, batchSizes, mask, recMask, T, H, act, recAct, dX, dRec, dropped, scratch);
    // dU from the previous states as the GEMM saw them (the loop above needed h_p itself)
    if (recMask != 0) maskRowsBySequence(hPrev, recMask, offsets, batchSizes, T, H);
    gemm(gU, hPrev, dRec, H, G, N, 1, 0, 1, scratch);
    if (gb != 0) addColumnSums(gb + (<usize>G << 2), dRec, N, G);
  } else {
    if (common) backwardBefore(dhNext, uZR, uH, gates, hPrev, dh, offsets, batchSizes, mask, recMask, T, H, ACT_TANH, ACT_SIGMOID, dZR, dHH, dRs, dropped, scratch);
    else backwardBefore(dhNext, uZR, uH, gates, hPrev, dh, offsets, batchSizes, mask, recMask, T, H, act, recAct, dZR, dHH, dRs, dropped, scratch);
    if (recMask != 0) maskRowsBySequence(hPrev, recMask, offsets, batchSizes, T, H);
    gemm(gZR, hPrev, dZR, H, 2 * H, N, 1, 0, 0, scratch);
    gemm(gH, aux, dHH, H, H, N, 1, 0, 0, scratch);
    joinColumns(dX, dZR, 2 * H, dHH, H, N);
  }
  // x side, shared: dW = xᵀ·dX, db_in = Σ dX, dx = dX·Wᵀ (masked rows have dX = 0)
  gemm(gW, x, dX, C, G, N, 1, 0, 1, scratch);
  if (gb != 0) addColumnSums(gb, dX, N, G);
  if (dx != 0) gemm(dx, dX, W, N, C, G, 0, 1, 0, scratch);
}

@inline function backwardAfter(
  dhNext: usize, U: usize, gates: usize, recH: usize, hPrev: usize, dh: usize,
  offsets: usize, batchSizes: usize, mask: usize, recMask: usize, T: i32, H: i32, act: i32, recAct: i32,
  dX: usize, dRec: usize, dropped: usize, scratch: usize,
): void {
  const G = 3 * H;
  const rowG = <usize>G << 2;
  const rowH = <usize>H << 2;
  for (let t = T - 1; t >= 0; t--) {
    const r0 = load<i32>(offsets + (<usize>t << 2));
    const bt = load<i32>(batchSizes + (<usize>t << 2));
    for (let j = 0; j < bt; j++) {
      const r = <usize>(r0 + j);
      if (isMasked(mask, r)) {
        // dhNext passes through to step t−1 untouched; no gradient into this row
        memory.fill(dX + r * rowG, 0, rowG);
        memory.fill(dRec + r * rowG, 0, rowG);
        continue;
      }
      const g = gates + r * rowG;
      const n = dhNext + <usize>j * rowH;
      const gd = dh == 0 ? 0 : dh + r * rowH;
      const s = r * rowH;
      let u = 0;
      for (; u + 4 <= H; u += 4) cellBackAfter(dX + r * rowG, dRec + r * rowG, g, recH + s, hPrev + s, n, gd, rowH, <usize>u << 2, act, recAct, true);
      for (; u < H; u++) cellBackAfter(dX + r * rowG, dRec + r * rowG, g, recH + s, hPrev + s, n, gd, rowH, <usize>u << 2, act, recAct, false);
    }
    // dh_{t−1} += dRec[rows of t] · Uᵀ (⊙ m with recurrent dropout; sequences that end earlier keep dhLast)
    if (recMask != 0) {
      gemm(dropped, dRec + <usize>r0 * rowG, U, bt, H, G, 0, 1, 0, scratch);
      addMaskedRows(dhNext, dropped, recMask, bt * H, true);
    } else {
      gemm(dhNext, dRec + <usize>r0 * rowG, U, bt, H, G, 0, 1, 1, scratch);
    }
  }
}

@inline function cellBackAfter(
  dx: usize, dr: usize, g: usize, rh: usize, hp: usize, n: usize, gd: usize, gs: usize, o: usize,
  act: i32, recAct: i32, full: bool,
): void {
  const dht = gd == 0 ? ldv(n + o, full) : f32x4.add(ldv(n + o, full), ldv(gd + o, full));
  const zg = ldv(g + o, full);
  const rg = ldv(g + gs + o, full);
  const hh = ldv(g + 2 * gs + o, full);
  const dhhPre = vflush(f32x4.mul(f32x4.mul(dht, f32x4.sub(f32x4.splat(1), zg)), vdact(act, hh)));
  const dzPre = vflush(f32x4.mul(f32x4.mul(dht, f32x4.sub(ldv(hp + o, full), hh)), vdact(recAct, zg)));
  const drPre = vflush(f32x4.mul(f32x4.mul(dhhPre, ldv(rh + o, full)), vdact(recAct, rg)));
  stv(dx + o, dzPre, full);
  stv(dx + gs + o, drPre, full);
  stv(dx + 2 * gs + o, dhhPre, full);
  stv(dr + o, dzPre, full);
  stv(dr + gs + o, drPre, full);
  stv(dr + 2 * gs + o, vflush(f32x4.mul(dhhPre, rg)), full);
  stv(n + o, vflush(f32x4.mul(dht, zg)), full); // the direct path; the GEMM adds the rest
}

@inline function backwardBefore(
  dhNext: usize, uZR: usize, uH: usize, gates: usize, hPrev: usize, dh: usize,
  offsets: usize, batchSizes: usize, mask: usize, recMask: usize, T: i32, H: i32, act: i32, recAct: i32,
  dZR: usize, dHH: usize, dRs: usize, dropped: usize, scratch: usize,
): void {
  const G = 3 * H;
  const rowG = <usize>G << 2;
  const rowH = <usize>H << 2;
  for (let t = T - 1; t >= 0; t--) {
    const r0 = load<i32>(offsets + (<usize>t << 2));
    const bt = load<i32>(batchSizes + (<usize>t << 2));
    for (let j = 0; j < bt; j++) {
      const r = <usize>(r0 + j);
      if (isMasked(mask, r)) {
        memory.fill(dZR + r * (rowH << 1), 0, rowH << 1);
        memory.fill(dHH + r * rowH, 0, rowH);
        continue;
      }
      const g = gates + r * rowG;
      const n = dhNext + <usize>j * rowH;
      const gd = dh == 0 ? 0 : dh + r * rowH;
      let u = 0;
      for (; u + 4 <= H; u += 4) cellBackBefore(dZR + r * (rowH << 1), dHH + r * rowH, g, hPrev + r * rowH, n, gd, rowH, <usize>u << 2, act, recAct, true);
      for (; u < H; u++) cellBackBefore(dZR + r * (rowH << 1), dHH + r * rowH, g, hPrev + r * rowH, n, gd, rowH, <usize>u << 2, act, recAct, false);
    }
    // d(r ⊙ h_p) = dhh' · U_hᵀ, then dr' and its share of dh_{t−1}
    gemm(dRs, dHH + <usize>r0 * rowH, uH, bt, H, H, 0, 1, 0, scratch);
    for (let j = 0; j < bt; j++) {
      const r = <usize>(r0 + j);
      if (isMasked(mask, r)) continue;
      const g = gates + r * rowG;
      const n = dhNext + <usize>j * rowH;
      const d = dRs + <usize>j * rowH;
      const m = recMask == 0 ? 0 : recMask + <usize>j * rowH;
      let u = 0;
      for (; u + 4 <= H; u += 4) cellBackReset(dZR + r * (rowH << 1), g, hPrev + r * rowH, m, n, d, rowH, <usize>u << 2, recAct, true);
      for (; u < H; u++) cellBackReset(dZR + r * (rowH << 1), g, hPrev + r * rowH, m, n, d, rowH, <usize>u << 2, recAct, false);
    }
    // dh_{t−1} += [dz', dr'][rows of t] · U_zrᵀ (⊙ m with recurrent dropout)
    if (recMask != 0) {
      gemm(dropped, dZR + <usize>r0 * (rowH << 1), uZR, bt, H, 2 * H, 0, 1, 0, scratch);
      addMaskedRows(dhNext, dropped, recMask, bt * H, true);
    } else {
      gemm(dhNext, dZR + <usize>r0 * (rowH << 1), uZR, bt, H, 2 * H, 0, 1, 1, scratch);
    }
  }
}

@inline function cellBackBefore(
  dzr: usize, dhh: usize, g: usize, hp: usize, n: usize, gd: usize, gs: usize, o: usize,
  act: i32, recAct: i32, full: bool,
): void {
  const dht = gd == 0 ? ldv(n + o, full) : f32x4.add(ldv(n + o, full), ldv(gd + o, full));
  const zg = ldv(g + o, full);
  const hh = ldv(g + 2 * gs + o, full);
  stv(dhh + o, vflush(f32x4.mul(f32x4.mul(dht, f32x4.sub(f32x4.splat(1), zg)), vdact(act, hh))), full);
  stv(dzr + o, vflush(f32x4.mul(f32x4.mul(dht, f32x4.sub(ldv(hp + o, full), hh)), vdact(recAct, zg))), full);
  stv(n + o, vflush(f32x4.mul(dht, zg)), full);
}

// dr' and the reset path's share of dh_{t−1}; `m` the row's recurrent dropout mask or 0 (r multiplied h_p ⊙ m)
@inline function cellBackReset(dzr: usize, g: usize, hp: usize, m: usize, n: usize, d: usize, gs: usize, o: usize, recAct: i32, full: bool): void {
  const rg = ldv(g + gs + o, full);
  const drs = ldv(d + o, full);
  const hs = m == 0 ? ldv(hp + o, full) : f32x4.mul(ldv(hp + o, full), ldv(m + o, full));
  const toPrev = m == 0 ? f32x4.mul(drs, rg) : f32x4.mul(f32x4.mul(drs, rg), ldv(m + o, full));
  stv(dzr + gs + o, vflush(f32x4.mul(f32x4.mul(drs, hs), vdact(recAct, rg))), full);
  stv(n + o, vflush(f32x4.add(ldv(n + o, full), toPrev)), full);
}

/** out [rows, na+nb] = [a | b] for a [rows, na], b [rows, nb]. */
function joinColumns(out: usize, a: usize, na: i32, b: usize, nb: i32, rows: i32): void {
  const ra = <usize>na << 2;
  const rb = <usize>nb << 2;
  for (let i = 0; i < rows; i++) {
    const o = out + <usize>i * (ra + rb);
    memory.copy(o, a + <usize>i * ra, ra);
    memory.copy(o + ra, b + <usize>i * rb, rb);
  }
}
