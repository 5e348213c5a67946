// The LSTM layer over a packed batch, forward and backward, entirely in WebAssembly.
// The spec is src/core/kernels/lstm.ts (read it first): same gate order i | f | c | o, same
// equations, same cache. See NOTE [ the packed layout ] in src/data/packed.ts: the rows of step t
// are offsets[t] .. offsets[t]+bt−1 and the first bt rows of step t−1 feed them.
//
// The caller (src/core/kernels/wasm/lstm.ts) copies the inputs into this module's memory and calls one
// of these functions; forward's cache (gates, c, σ(c), the carried state, the inputs) stays in
// wasm memory until backward reads it in place, and only h and the final states are copied out.
// All pointers are byte addresses; sizes are element counts; G = 4H, K = C + H.
//
// Masks (NOTE [ masked rows in the recurrent kernels ] in the spec): `mask` points at N bytes
// (1 = real step, 0 = masked) or is 0 for none. The carried state then lives in `state` and the
// output in `hOut` (zero at masked rows); without a mask the two are the same array.
// Recurrent dropout (NOTE [ recurrent dropout in the recurrent kernels ] in the spec): `recMask`
// points at [B,H] floats (sorted order, already scaled) or is 0 for none. It multiplies h_{t−1} only
// where it enters the GEMM: as the A strip is packed forward, and in backward the gradient the GEMM
// sends to h_{t−1} and the h_{t−1} columns dU is built from.
//
// How it differs from the spec, for speed (the results are the same up to rounding):
//   - Forward computes z_t = [x_t | h_{t−1}] · [W; U] as ONE GEMM per step (K = C + H) instead of
//     x·W for all rows plus h·U per step, and runs the cell math on each strip of MR (5 or 6) rows right
//     after its GEMM tile, while the strip's z is still in L1.
//   - Backward does everything per step on the step's dz_t [bt, G] (never an [N, G] dz): per strip
//     of MR rows the cell math, then [dx_t | dh_{t−1}] = dz_t · [W; U]ᵀ for the strip; then per step
//     [dW; dU] += [x_t | h_{t−1}]ᵀ · dz_t and db += Σ dz_t.
import { ACT_SIGMOID, ACT_TANH, vact, vdact, vflush } from "./math";
import { KC, MR, NR, oneRowPanels, packB, packColsFull, packRowsFull, tile } from "./gemm";
import { dropRows } from "./rows";

// ---------------------------------------------------------------------------------------------
// Forward
// x: [N,C], W: [C,G], U: [H,G], bias: [G], h0/c0: [B,H], mask: [N], recMask: [B,H] → gates: [N,G], c, cAct, state, hOut: [N,H]
// lstmInfer: the same inputs without recMask → hOut, state: [N,H] (the same array without a mask), cLast: [B,H]

/** Bytes of scratch `lstmForward` needs. */
export function lstmForwardScratchBytes(C: i32, H: i32): i32 {
  const K = C + H;
  return panelsBytes(4 * H, K) + K * MR * 4;
}

@inline function panelsBytes(N: i32, K: i32): i32 {
  return ((N + NR - 1) / NR) * K * NR * 4;
}

/**
 * One layer forward. `bias` must point at G floats (zeros when the layer has no bias).
 * `offsets` / `batchSizes` are the layout's i32 arrays.
 */
export function lstmForward(
  gates: usize, c: usize, cAct: usize, state: usize, hOut: usize,
  x: usize, W: usize, U: usize, bias: usize, h0: usize, c0: usize,
  offsets: usize, batchSizes: usize, mask: usize, recMask: usize, T: i32, N: i32, C: i32, H: i32,
  act: i32, recAct: i32, scratch: usize,
): void {
  const panels = scratch;
  const aStrip = packWeights(scratch, W, U, C, H);
  if (act == ACT_TANH && recAct == ACT_SIGMOID) {
    forwardSteps(gates, c, cAct, state, hOut, x, bias, h0, c0, offsets, batchSizes, mask, recMask, T, C, H, ACT_TANH, ACT_SIGMOID, panels, aStrip, false, 0, 0);
  } else {
    forwardSteps(gates, c, cAct, state, hOut, x, bias, h0, c0, offsets, batchSizes, mask, recMask, T, C, H, act, recAct, panels, aStrip, false, 0, 0);
  }
}

/**
 * Packs [W; U] at `scratch` into 8-column panels of [K][8] (W's C rows, then U's H), which every
 * step's GEMM reuses, and zeroes the A strip after them; returns the strip's address. (Rows a strip
 * leaves unwritten keep zeros or an earlier strip's values: see packRowsConcat.)
 */
function packWeights(scratch: usize, W: usize, U: usize, C: i32, H: i32): usize {
  const G = 4 * H;
  const K = C + H;
  const panelBytes = <usize>K << 5;
  packB(scratch, W, G, 1, C, G, panelBytes);
  packB(scratch + (<usize>C << 5), U, G, 1, H, G, panelBytes);
  const aStrip = scratch + <usize>panelsBytes(G, K);
  memory.fill(aStrip, 0, <usize>(K * MR * 4));
  return aStrip;
}

/** Bytes of scratch `lstmInfer` needs: `lstmForward`'s, one z strip [MR,G] and two c buffers [B,H]. */
export function lstmInferScratchBytes(C: i32, H: i32, B: i32): i32 {
  return lstmForwardScratchBytes(C, H) + MR * 4 * H * 4 + 2 * B * H * 4;
}

/**
 * One layer forward for inference: hOut [N,H] and each sequence's last c [B,H] (c0's row for a
 * sequence of length 0), nothing else kept (see `forwardSteps`, infer = true). Without a mask
 * (`mask` 0) `state` is `hOut`; with one it is a separate [N,H] the carried state goes to, as in
 * `lstmForward`. No recurrent dropout (inference has none): the caller runs `lstmForward` for it.
 */
export function lstmInfer(
  hOut: usize, state: usize, cLast: usize, x: usize, W: usize, U: usize, bias: usize, h0: usize, c0: usize,
  offsets: usize, batchSizes: usize, mask: usize, T: i32, B: i32, C: i32, H: i32, act: i32, recAct: i32, scratch: usize,
): void {
  const G = 4 * H;
  const K = C + H;
  const panels = scratch;
  const aStrip = packWeights(scratch, W, U, C, H);
  const zStrip = aStrip + <usize>(K * MR * 4);
  const cBuffers = zStrip + <usize>(MR * G * 4);
  // sequences of length 0 (rows batchSizes[0] .. B − 1) end where they start: at c0
  const rowH = <usize>H << 2;
  const started = T == 0 ? 0 : load<i32>(batchSizes);
  memory.copy(cLast + <usize>started * rowH, c0 + <usize>started * rowH, <usize>(B - started) * rowH);
  if (act == ACT_TANH && recAct == ACT_SIGMOID) {
    forwardSteps(zStrip, cBuffers, 0, state, hOut, x, bias, h0, c0, offsets, batchSizes, mask, 0, T, C, H, ACT_TANH, ACT_SIGMOID, panels, aStrip, true, B, cLast);
  } else {
    forwardSteps(zStrip, cBuffers, 0, state, hOut, x, bias, h0, c0, offsets, batchSizes, mask, 0, T, C, H, act, recAct, panels, aStrip, true, B, cLast);
  }
}

// Inlined four times: with constant activation ids (the common case) every `vact` switch folds
// away, and `infer` (constant too) picks what the rows keep.
//
// infer = false (training): every row keeps its gates, c, σ(c) and state for backward.
// infer = true (inference, no recurrent dropout): nothing is kept but the state (and, with a mask,
// the output). `gates` is then one strip of scratch [MR,G] that each strip's z is computed in and
// consumed from, `c` two [B,H] buffers the steps alternate between (step t writes c + (t&1)·B·H
// and reads the other), σ(c) is not stored, and each sequence's last c is copied to `cLast` [B,H]
// at its last step. The same operations run in the same order, so h is bit-identical to training's.
@inline function forwardSteps(
  gates: usize, c: usize, cAct: usize, h: usize, hOut: usize, x: usize, bias: usize, h0: usize, c0: usize,
  offsets: usize, batchSizes: usize, mask: usize, recMask: usize, T: i32, C: i32, H: i32, act: i32, recAct: i32,
  panels: usize, aStrip: usize, infer: bool, B: i32, cLast: usize,
): void {
  const G = 4 * H;
  const K = C + H;
  const rowG = <usize>G << 2;
  const rowH = <usize>H << 2;
  const rowC = <usize>C << 2;
  const nPanels = (G + NR - 1) / NR;
  const cHalf = <usize>B * rowH; // infer: the distance between the two c buffers
  for (let t = 0; t < T; t++) {
    const r0 = load<i32>(offsets + (<usize>t << 2));
    const bt = load<i32>(batchSizes + (<usize>t << 2));
    const prevRow0 = t == 0 ? 0 : load<i32>(offsets + (<usize>(t - 1) << 2));
    const hPrev = (t == 0 ? h0 : h) + <usize>prevRow0 * rowH;
    const cPrev = infer ? (t == 0 ? c0 : c + <usize>((t - 1) & 1) * cHalf) : (t == 0 ? c0 : c) + <usize>prevRow0 * rowH;
    const cNow = infer ? c + <usize>(t & 1) * cHalf : c + <usize>r0 * rowH; // row j of step t: cNow + j·rowH
    const xt = x + <usize>r0 * rowC;
    for (let i0 = 0; i0 < bt; i0 += MR) {
      const rows = min(MR, bt - i0);
      // z[strip] = [x_t | h_{t−1} ⊙ m][strip] · [W; U]
      packRowsConcat(aStrip, xt + <usize>i0 * rowC, C, hPrev + <usize>i0 * rowH, H, rows, recMask == 0 ? 0 : recMask + <usize>i0 * rowH);
      const zStrip = infer ? gates : gates + <usize>(r0 + i0) * rowG;
      if (rows == 1) {
        oneRowPanels(zStrip, rowG, aStrip, panels, <usize>K << 5, 32, K, G, false);
      } else {
        for (let p = 0; p < nPanels; p++) {
          tile(zStrip + (<usize>p << 5), rowG, aStrip, panels + ((<usize>p * K) << 5), 32, K, rows, min(NR, G - p * NR), false);
        }
      }
      // the cell math on the strip, while its z is in L1
      for (let j = i0; j < i0 + rows; j++) {
        const r = <usize>(r0 + j);
        const z = zStrip + <usize>(j - i0) * rowG;
        const s = r * rowH;
        const pc = cPrev + <usize>j * rowH;
        const cj = cNow + <usize>j * rowH;
        let u = 0;
        for (; u + 4 <= H; u += 4) {
          const o = <usize>u << 2;
          cellForward(z + o, rowH, bias + o, pc + o, cj + o, cAct + s + o, h + s + o, act, recAct, true, !infer);
        }
        for (; u < H; u++) {
          const o = <usize>u << 2;
          cellForward(z + o, rowH, bias + o, pc + o, cj + o, cAct + s + o, h + s + o, act, recAct, false, !infer);
        }
      }
      if (mask != 0) maskStrip(gates, cNow, cAct, h, hOut, hPrev, cPrev, mask, r0, i0, rows, H, infer);
    }
    if (infer) {
      // the sequences whose last step this was: rows bt_{t+1} .. bt_t − 1
      const next = t + 1 < T ? load<i32>(batchSizes + (<usize>(t + 1) << 2)) : 0;
      memory.copy(cLast + <usize>next * rowH, cNow + <usize>next * rowH, <usize>(bt - next) * rowH);
    }
  }
}

/**
 * With a mask, after the strip's cell math (which wrote the state into `h`): a masked row carries
 * h and c over from its previous row and outputs zeros (training: its gates and σ(c) zero too, as
 * the spec's); a real row's state is also its output. Row j's c is at cNow + j·rowH (the packed
 * row's in training, the step's c buffer in inference).
 */
function maskStrip(
  gates: usize, cNow: usize, cAct: usize, h: usize, hOut: usize, hPrev: usize, cPrev: usize,
  mask: usize, r0: i32, i0: i32, rows: i32, H: i32, infer: bool,
): void {
  const rowH = <usize>H << 2;
  for (let j = i0; j < i0 + rows; j++) {
    const r = <usize>(r0 + j);
    const s = r * rowH;
    if (load<u8>(mask + r) != 0) {
      memory.copy(hOut + s, h + s, rowH);
      continue;
    }
    memory.copy(h + s, hPrev + <usize>j * rowH, rowH);
    memory.copy(cNow + <usize>j * rowH, cPrev + <usize>j * rowH, rowH);
    memory.fill(hOut + s, 0, rowH);
    if (infer) continue; // no gates or σ(c) rows to clear
    memory.fill(gates + r * 4 * rowH, 0, 4 * rowH);
    memory.fill(cAct + s, 0, rowH);
  }
}

// Four units of one row (or one unit when !full, computed in lane 0 of a splat).
// z: the i-gate pre-activation; the f, c, o gates are `gs`, 2·gs, 3·gs bytes further.
@inline function cellForward(
  z: usize, gs: usize, bias: usize, cPrev: usize, cOut: usize, aOut: usize, hOut: usize,
  act: i32, recAct: i32, full: bool, keepAct: bool,
): void {
  const ig = vact(recAct, f32x4.add(ld(z, full), ld(bias, full)));
  const fg = vact(recAct, f32x4.add(ld(z + gs, full), ld(bias + gs, full)));
  const gg = vact(act, f32x4.add(ld(z + 2 * gs, full), ld(bias + 2 * gs, full)));
  const og = vact(recAct, f32x4.add(ld(z + 3 * gs, full), ld(bias + 3 * gs, full)));
  st(z, ig, full);
  st(z + gs, fg, full);
  st(z + 2 * gs, gg, full);
  st(z + 3 * gs, og, full);
  // c is carried to the next step: flushed, see NOTE [ denormals ] in math.ts
  const ct = vflush(f32x4.add(f32x4.mul(fg, ld(cPrev, full)), f32x4.mul(ig, gg)));
  const at = vact(act, ct);
  st(cOut, ct, full);
  if (keepAct) st(aOut, at, full);
  st(hOut, f32x4.mul(og, at), full);
}

@inline function ld(p: usize, full: bool): v128 {
  return full ? v128.load(p) : v128.load32_splat(p);
}

@inline function st(p: usize, v: v128, full: bool): void {
  if (full) v128.store(p, v);
  else v128.store32_lane(p, v, 0);
}

/**
 * Packs `rows` (≤ MR) rows of the concatenation [a1 | a2 ⊙ m2] (row widths n1, n2; rows
 * contiguous; m2 [rows, n2] like a2, or 0 for none) into dst as [n1+n2][MR]: the A strip of a
 * step's GEMM. Rows past `rows` are not written: they keep whatever an earlier strip left (the
 * caller zeroes the strip once), and the tile computes them but stores only `rows` rows — so a
 * one-row step (batch 1, the tail of a ragged batch) writes K floats, not MR·K.
 */
function packRowsConcat(dst: usize, a1: usize, n1: i32, a2: usize, n2: i32, rows: i32, m2: usize): void {
  if (rows == MR && m2 == 0) {
    // a full strip: four columns at a time, transposed in registers (NOTE [ strips packed in registers ])
    packRowsFull(dst, a1, n1, n1);
    if (n2 > 0) packRowsFull(dst + ((<usize>n1 * MR) << 2), a2, n2, n2);
    return;
  }
  for (let r = 0; r < rows; r++) {
    let d = dst + (<usize>r << 2);
    let s = a1 + ((<usize>r * n1) << 2);
    for (let k = 0; k < n1; k++) { store<f32>(d, load<f32>(s)); s += 4; d += MR * 4; }
    s = a2 + ((<usize>r * n2) << 2);
    if (m2 == 0) {
      for (let k = 0; k < n2; k++) { store<f32>(d, load<f32>(s)); s += 4; d += MR * 4; }
    } else {
      let m = m2 + ((<usize>r * n2) << 2);
      for (let k = 0; k < n2; k++) { store<f32>(d, load<f32>(s) * load<f32>(m)); s += 4; m += 4; d += MR * 4; }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Backward
// dh: [N,H], dhLast/dcLast: [B,H], mask: [N] → dx: [N,C], dh0/dc0: [B,H]; [dW; dU] [C+H,G], db [G] +=
// (`state` is forward's carried state: its `h` without a mask)

/** Bytes of scratch `lstmBackward` needs besides dzStep. */
export function lstmBackwardScratchBytes(C: i32, H: i32): i32 {
  const G = 4 * H;
  const NO = C + H;
  const panels = panelsBytes(NO, G);
  const aStrip = max(G, KC) * MR * 4;
  const outStrip = MR * ((NO + NR - 1) / NR) * NR * 4;
  return panels + aStrip + outStrip;
}

/**
 * One layer backward (BPTT). On entry `dhNext` / `dcNext` [B,H] hold dhLast / dcLast (zeros when
 * absent); on exit they hold dh0 / dc0. `gWU` is [C+H, G]: the kernel gradient's C rows followed by
 * the recurrent kernel gradient's H rows, accumulated into. `dh` is 0 when only the final states
 * receive gradient, `gb` is 0 without bias, `dx` is 0 when the input gradient is not needed.
 * `dzStep` is scratch for one step's dz: batchSizes[0]·G floats plus 8.
 */
export function lstmBackward(
  dx: usize, dhNext: usize, dcNext: usize, gWU: usize, gb: usize,
  x: usize, W: usize, U: usize, gates: usize, c: usize, cAct: usize, state: usize, h0: usize, c0: usize,
  dh: usize, offsets: usize, batchSizes: usize, mask: usize, recMask: usize, T: i32, C: i32, H: i32,
  act: i32, recAct: i32, dzStep: usize, scratch: usize,
): void {
  const G = 4 * H;
  // op(B) = [Wᵀ | Uᵀ] [G, cx+H] (cx = C when dx is wanted, else 0), packed once into panels [G][8]
  const cx = dx != 0 ? C : 0;
  const NO = cx + H;
  const nPanels = (NO + NR - 1) / NR;
  const panels = scratch;
  for (let p = 0; p < nPanels; p++) {
    for (let k = 0; k < G; k++) {
      const d = panels + ((<usize>p * G + k) << 5);
      for (let cc = 0; cc < NR; cc++) {
        const j = p * NR + cc;
        let v: f32 = 0;
        if (j < NO) v = j < cx ? load<f32>(W + ((<usize>j * G + k) << 2)) : load<f32>(U + ((<usize>(j - cx) * G + k) << 2));
        store<f32>(d + (<usize>cc << 2), v);
      }
    }
  }
  const aStrip = scratch + <usize>panelsBytes(NO, G);
  const outStrip = aStrip + <usize>(max(G, KC) * MR * 4);
  memory.fill(aStrip, 0, <usize>(max(G, KC) * MR * 4)); // see packRowsConcat
  if (act == ACT_TANH && recAct == ACT_SIGMOID) {
    backwardSteps(dx, dhNext, dcNext, gWU, gb, x, gates, c, cAct, state, h0, c0, dh, offsets, batchSizes, mask, recMask, T, C, H, ACT_TANH, ACT_SIGMOID, dzStep, panels, cx, aStrip, outStrip);
  } else {
    backwardSteps(dx, dhNext, dcNext, gWU, gb, x, gates, c, cAct, state, h0, c0, dh, offsets, batchSizes, mask, recMask, T, C, H, act, recAct, dzStep, panels, cx, aStrip, outStrip);
  }
}

@inline function backwardSteps(
  dx: usize, dhNext: usize, dcNext: usize, gWU: usize, gb: usize,
  x: usize, gates: usize, c: usize, cAct: usize, h: usize, h0: usize, c0: usize, dh: usize,
  offsets: usize, batchSizes: usize, mask: usize, recMask: usize, T: i32, C: i32, H: i32, act: i32, recAct: i32,
  dzStep: usize, panels: usize, cx: i32, aStrip: usize, outStrip: usize,
): void {
  const G = 4 * H;
  const rowG = <usize>G << 2;
  const rowH = <usize>H << 2;
  const rowC = <usize>C << 2;
  const NO = cx + H;
  const nPanels = (NO + NR - 1) / NR;
  const rowO = <usize>(nPanels * NR) << 2;
  for (let t = T - 1; t >= 0; t--) {
    const r0 = load<i32>(offsets + (<usize>t << 2));
    const bt = load<i32>(batchSizes + (<usize>t << 2));
    const prevRow0 = t == 0 ? 0 : load<i32>(offsets + (<usize>(t - 1) << 2));
    const cPrev = (t == 0 ? c0 : c) + <usize>prevRow0 * rowH;
    const hPrev = (t == 0 ? h0 : h) + <usize>prevRow0 * rowH;
    for (let i0 = 0; i0 < bt; i0 += MR) {
      const rows = min(MR, bt - i0);
      // dz_t for the strip (reads dhNext / dcNext of its rows, updates dcNext)
      for (let j = i0; j < i0 + rows; j++) {
        const r = <usize>(r0 + j);
        const zr = r * rowG;
        const dzr = dzStep + <usize>j * rowG;
        const s = r * rowH;
        const n = <usize>j * rowH;
        const pc = cPrev + n;
        if (mask != 0 && load<u8>(mask + r) == 0) {
          // masked: no gradient into this row's gates; dhNext / dcNext pass through untouched
          memory.fill(dzr, 0, rowG);
          continue;
        }
        let u = 0;
        for (; u + 4 <= H; u += 4) {
          const o = <usize>u << 2;
          cellBackward(dzr + o, gates + zr + o, rowH, cAct + s + o, pc + o, dhNext + n + o, dcNext + n + o, dh == 0 ? 0 : dh + s + o, act, recAct, true);
        }
        for (; u < H; u++) {
          const o = <usize>u << 2;
          cellBackward(dzr + o, gates + zr + o, rowH, cAct + s + o, pc + o, dhNext + n + o, dcNext + n + o, dh == 0 ? 0 : dh + s + o, act, recAct, false);
        }
      }
      // [dx_t | dh_{t−1}][strip] = dz_t[strip] · [W; U]ᵀ  (dhNext rows of sequences that ended keep dhLast)
      packRowsConcat(aStrip, dzStep + <usize>i0 * rowG, G, 0, 0, rows, 0);
      for (let p = 0; p < nPanels; p++) {
        tile(outStrip + (<usize>p << 5), rowO, aStrip, panels + ((<usize>p * G) << 5), 32, G, MR, NR, false);
      }
      for (let r = 0; r < rows; r++) {
        const o = outStrip + <usize>r * rowO;
        const passThrough = mask != 0 && load<u8>(mask + <usize>(r0 + i0 + r)) == 0;
        if (!passThrough) {
          // with recurrent dropout the GEMM gives the gradient of h_{t−1} ⊙ m: times m, it reaches h_{t−1}
          const dhRow = dhNext + <usize>(i0 + r) * rowH;
          if (recMask == 0) memory.copy(dhRow, o + (<usize>cx << 2), rowH);
          else dropRows(dhRow, o + (<usize>cx << 2), recMask + <usize>(i0 + r) * rowH, H);
        }
        if (cx > 0) memory.copy(dx + <usize>(r0 + i0 + r) * rowC, o, rowC);
      }
    }
    // [dW; dU] += [x_t | h_{t−1} ⊙ m]ᵀ · dz_t   (Aᵀ·B with K = bt, B = dz_t read in place)
    const xt = x + <usize>r0 * rowC;
    const K = C + H;
    for (let k0 = 0; k0 < bt; k0 += KC) {
      const kc = min(KC, bt - k0);
      for (let i0 = 0; i0 < K; i0 += MR) {
        const rows = min(MR, K - i0);
        packColsConcat(aStrip, xt + <usize>k0 * rowC, C, hPrev + <usize>k0 * rowH, H, i0, rows, kc, recMask == 0 ? 0 : recMask + <usize>k0 * rowH);
        const o = gWU + <usize>i0 * rowG;
        const b = dzStep + <usize>k0 * rowG;
        for (let p = 0; p < (G + NR - 1) / NR; p++) {
          tile(o + (<usize>p << 5), rowG, aStrip, b + (<usize>p << 5), rowG, kc, rows, min(NR, G - p * NR), true);
        }
      }
    }
    if (gb != 0) sumRows(gb, dzStep, bt, G);
  }
}

@inline function cellBackward(
  dz: usize, g: usize, gs: usize, at: usize, cPrev: usize, dhNext: usize, dcNext: usize, dh: usize,
  act: i32, recAct: i32, full: bool,
): void {
  // the carried gradients and dz are flushed: see NOTE [ denormals ] in math.ts
  const dht = vflush(dh == 0 ? ld(dhNext, full) : f32x4.add(ld(dhNext, full), ld(dh, full)));
  const ig = ld(g, full);
  const fg = ld(g + gs, full);
  const gg = ld(g + 2 * gs, full);
  const og = ld(g + 3 * gs, full);
  const a = ld(at, full);
  const dct = vflush(f32x4.add(ld(dcNext, full), f32x4.mul(f32x4.mul(dht, og), vdact(act, a))));
  st(dz, vflush(f32x4.mul(f32x4.mul(dct, gg), vdact(recAct, ig))), full);
  st(dz + gs, vflush(f32x4.mul(f32x4.mul(dct, ld(cPrev, full)), vdact(recAct, fg))), full);
  st(dz + 2 * gs, vflush(f32x4.mul(f32x4.mul(dct, ig), vdact(act, gg))), full);
  st(dz + 3 * gs, vflush(f32x4.mul(f32x4.mul(dht, a), vdact(recAct, og))), full);
  st(dcNext, vflush(f32x4.mul(dct, fg)), full);
}

/**
 * Packs columns i0..i0+rows−1 of the concatenation [a1 | a2 ⊙ m2] (row widths n1, n2; m2 like a2,
 * or 0 for none) over its first kc rows into dst as [kc][MR], columns past `rows` zero: the A
 * strip of Aᵀ·B.
 */
function packColsConcat(dst: usize, a1: usize, n1: i32, a2: usize, n2: i32, i0: i32, rows: i32, kc: i32, m2: usize): void {
  // MR columns inside one of the two (NOTE [ strips packed in registers ])
  const inA1 = i0 + MR <= n1;
  if (rows == MR && (inA1 || (i0 >= n1 && i0 - n1 + MR <= n2 && m2 == 0))) {
    if (inA1) packColsFull(dst, a1 + (<usize>i0 << 2), n1, kc);
    else packColsFull(dst, a2 + (<usize>(i0 - n1) << 2), n2, kc);
    return;
  }
  for (let r = 0; r < MR; r++) {
    const i = i0 + r;
    let d = dst + (<usize>r << 2);
    if (r >= rows) {
      for (let k = 0; k < kc; k++) { store<f32>(d, 0); d += MR * 4; }
    } else if (i < n1) {
      let s = a1 + (<usize>i << 2);
      const step = <usize>n1 << 2;
      for (let k = 0; k < kc; k++) { store<f32>(d, load<f32>(s)); s += step; d += MR * 4; }
    } else if (m2 == 0) {
      let s = a2 + (<usize>(i - n1) << 2);
      const step = <usize>n2 << 2;
      for (let k = 0; k < kc; k++) { store<f32>(d, load<f32>(s)); s += step; d += MR * 4; }
    } else {
      let s = a2 + (<usize>(i - n1) << 2);
      let m = m2 + (<usize>(i - n1) << 2);
      const step = <usize>n2 << 2;
      for (let k = 0; k < kc; k++) { store<f32>(d, load<f32>(s) * load<f32>(m)); s += step; m += step; d += MR * 4; }
    }
  }
}

/** out[j] += Σ_i x[i, j] over M rows of width N (N a multiple of 4): the bias gradient. */
function sumRows(out: usize, x: usize, M: i32, N: i32): void {
  // Row by row, so `out` stays in L1 and x is read once, in order.
  const rowN = <usize>N << 2;
  let p = x;
  for (let i = 0; i < M; i++) {
    for (let j = 0; j < N; j += 4) {
      const o = <usize>j << 2;
      v128.store(out + o, f32x4.add(v128.load(out + o), v128.load(p + o)));
    }
    p += rowN;
  }
}
