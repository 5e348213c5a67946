// The LSTM layer over a packed batch, forward and backward, entirely in WebAssembly.
// The spec is src/core/kernels/lstm.ts (read it first): same gate order i | f | c | o, same
// equations, same cache. See NOTE [ the packed layout ] in src/data/packed.ts: the rows of step t
// are offsets[t] .. offsets[t]+bt−1 and the first bt rows of step t−1 feed them.
//
// The caller (src/core/kernels/wasm.ts) copies every input into this module's memory, calls one
// of these functions, and copies the outputs back: one copy in and one copy out per layer call.
// All pointers are byte addresses; sizes are element counts; G = 4H.
import { ACT_SIGMOID, ACT_TANH, vact, vdact } from "./math";
import { aStripBytes, gemm, gemmPanels, gemmScratchBytes, packB, packedBBytes } from "./gemm";

// ---------------------------------------------------------------------------------------------
// Forward
// x: [N,C], W: [C,G], U: [H,G], bias: [G], h0/c0: [B,H] → gates: [N,G], c, cAct, h: [N,H]

/** Bytes of scratch `lstmForward` needs. */
export function lstmForwardScratchBytes(C: i32, H: i32): i32 {
  const G = 4 * H;
  return max(gemmScratchBytes(G, C, 0), packedBBytes(G, H) + aStripBytes());
}

/**
 * One layer forward. `bias` must point at G floats (zeros when the layer has no bias).
 * `offsets` / `batchSizes` are the layout's i32 arrays.
 */
export function lstmForward(
  gates: usize, c: usize, cAct: usize, h: usize,
  x: usize, W: usize, U: usize, bias: usize, h0: usize, c0: usize,
  offsets: usize, batchSizes: usize, T: i32, N: i32, C: i32, H: i32,
  act: i32, recAct: i32, scratch: usize,
): void {
  const G = 4 * H;
  // z = x·W for all N rows at once; the bias is added in the cell pass.
  gemm(gates, x, W, N, G, C, 0, 0, 0, scratch);
  // U packed once into 8-column panels, reused by every step.
  packB(scratch, U, G, 1, H, G);
  const aStrip = scratch + <usize>packedBBytes(G, H);
  if (act == ACT_TANH && recAct == ACT_SIGMOID) {
    forwardSteps(gates, c, cAct, h, bias, h0, c0, offsets, batchSizes, T, H, ACT_TANH, ACT_SIGMOID, scratch, aStrip);
  } else {
    forwardSteps(gates, c, cAct, h, bias, h0, c0, offsets, batchSizes, T, H, act, recAct, scratch, aStrip);
  }
}

// Inlined twice: with constant activation ids (the common case) every `vact` switch folds away.
@inline function forwardSteps(
  gates: usize, c: usize, cAct: usize, h: usize, bias: usize, h0: usize, c0: usize,
  offsets: usize, batchSizes: usize, T: i32, H: i32, act: i32, recAct: i32,
  uPanels: usize, aStrip: usize,
): void {
  const G = 4 * H;
  const rowG = <usize>G << 2;
  const rowH = <usize>H << 2;
  for (let t = 0; t < T; t++) {
    const r0 = load<i32>(offsets + (<usize>t << 2));
    const bt = load<i32>(batchSizes + (<usize>t << 2));
    const prevRow0 = t == 0 ? 0 : load<i32>(offsets + (<usize>(t - 1) << 2));
    const hPrev = (t == 0 ? h0 : h) + <usize>prevRow0 * rowH;
    const cPrev = (t == 0 ? c0 : c) + <usize>prevRow0 * rowH;
    // z[rows of t] += h_{t−1}[first bt rows] · U
    gemmPanels(gates + <usize>r0 * rowG, hPrev, H, 1, uPanels, <usize>H * 32, 32, bt, G, H, true, aStrip);
    for (let j = 0; j < bt; j++) {
      const r = <usize>(r0 + j);
      const z = gates + r * rowG;
      const s = r * rowH;
      const p = cPrev + <usize>j * rowH;
      let u = 0;
      for (; u + 4 <= H; u += 4) {
        const o = <usize>u << 2;
        cellForward(z + o, rowH, bias + o, p + o, c + s + o, cAct + s + o, h + s + o, act, recAct, true);
      }
      for (; u < H; u++) {
        const o = <usize>u << 2;
        cellForward(z + o, rowH, bias + o, p + o, c + s + o, cAct + s + o, h + s + o, act, recAct, false);
      }
    }
  }
}

// Four units of one row (or one unit when !full, computed in lane 0 of a splat).
// z: the i-gate pre-activation; the f, c, o gates are `gs`, 2·gs, 3·gs bytes further.
@inline function cellForward(
  z: usize, gs: usize, bias: usize, cPrev: usize, cOut: usize, aOut: usize, hOut: usize,
  act: i32, recAct: i32, full: bool,
): void {
  const ig = vact(recAct, f32x4.add(ld(z, full), ld(bias, full)));
  const fg = vact(recAct, f32x4.add(ld(z + gs, full), ld(bias + gs, full)));
  const gg = vact(act, f32x4.add(ld(z + 2 * gs, full), ld(bias + 2 * gs, full)));
  const og = vact(recAct, f32x4.add(ld(z + 3 * gs, full), ld(bias + 3 * gs, full)));
  st(z, ig, full);
  st(z + gs, fg, full);
  st(z + 2 * gs, gg, full);
  st(z + 3 * gs, og, full);
  const ct = f32x4.add(f32x4.mul(fg, ld(cPrev, full)), f32x4.mul(ig, gg));
  const at = vact(act, ct);
  st(cOut, ct, full);
  st(aOut, at, full);
  st(hOut, f32x4.mul(og, at), full);
}

@inline function ld(p: usize, full: bool): v128 {
  return full ? v128.load(p) : v128.load32_splat(p);
}

@inline function st(p: usize, v: v128, full: bool): void {
  if (full) v128.store(p, v);
  else v128.store32_lane(p, v, 0);
}

// ---------------------------------------------------------------------------------------------
// Backward
// dh: [N,H], dhLast/dcLast: [B,H] → dx: [N,C], dh0/dc0: [B,H]; gW [C,G], gU [H,G], gb [G] +=

/** Bytes of scratch `lstmBackward` needs (besides dz [N,G] and hPrev [N,H]). */
export function lstmBackwardScratchBytes(N: i32, C: i32, H: i32): i32 {
  const G = 4 * H;
  const steps = packedBBytes(H, G) + aStripBytes();
  const weightGrads = gemmScratchBytes(G, N, 0);
  const inputGrad = gemmScratchBytes(C, G, 1);
  return max(steps, max(weightGrads, inputGrad));
}

/**
 * One layer backward (BPTT). On entry `dhNext` / `dcNext` [B,H] hold dhLast / dcLast (zeros when
 * absent); on exit they hold dh0 / dc0. `dh` is 0 when only the final states receive gradient,
 * `gb` is 0 without bias, `dx` is 0 when the input gradient is not needed.
 * `dz` [N,G] and `hPrev` [N,H] are scratch the caller provides.
 */
export function lstmBackward(
  dx: usize, dhNext: usize, dcNext: usize, gW: usize, gU: usize, gb: usize,
  x: usize, W: usize, U: usize, gates: usize, c: usize, cAct: usize, h: usize, h0: usize, c0: usize,
  dh: usize, offsets: usize, batchSizes: usize, T: i32, N: i32, C: i32, H: i32,
  act: i32, recAct: i32, dz: usize, hPrev: usize, scratch: usize,
): void {
  const G = 4 * H;
  // Uᵀ packed once: dh_{t−1} = dz_t · Uᵀ, op(B) = Uᵀ [G,H].
  packB(scratch, U, 1, G, G, H);
  const aStrip = scratch + <usize>packedBBytes(H, G);
  if (act == ACT_TANH && recAct == ACT_SIGMOID) {
    backwardSteps(dhNext, dcNext, dz, gates, c, cAct, c0, dh, offsets, batchSizes, T, H, ACT_TANH, ACT_SIGMOID, scratch, aStrip);
  } else {
    backwardSteps(dhNext, dcNext, dz, gates, c, cAct, c0, dh, offsets, batchSizes, T, H, act, recAct, scratch, aStrip);
  }
  if (T == 0) return;

  // The weight gradients as whole-batch GEMMs over all N rows.
  const rowH = <usize>H << 2;
  memory.copy(hPrev, h0, <usize>load<i32>(batchSizes) * rowH);
  for (let t = 1; t < T; t++) {
    const from = <usize>load<i32>(offsets + (<usize>(t - 1) << 2)) * rowH;
    const to = <usize>load<i32>(offsets + (<usize>t << 2)) * rowH;
    memory.copy(hPrev + to, h + from, <usize>load<i32>(batchSizes + (<usize>t << 2)) * rowH);
  }
  gemm(gU, hPrev, dz, H, G, N, 1, 0, 1, scratch);
  gemm(gW, x, dz, C, G, N, 1, 0, 1, scratch);
  if (gb != 0) sumRows(gb, dz, N, G);
  if (dx != 0) gemm(dx, dz, W, N, C, G, 0, 1, 0, scratch);
}

@inline function backwardSteps(
  dhNext: usize, dcNext: usize, dz: usize, gates: usize, c: usize, cAct: usize, c0: usize, dh: usize,
  offsets: usize, batchSizes: usize, T: i32, H: i32, act: i32, recAct: i32,
  utPanels: usize, aStrip: usize,
): void {
  const G = 4 * H;
  const rowG = <usize>G << 2;
  const rowH = <usize>H << 2;
  for (let t = T - 1; t >= 0; t--) {
    const r0 = load<i32>(offsets + (<usize>t << 2));
    const bt = load<i32>(batchSizes + (<usize>t << 2));
    const prevRow0 = t == 0 ? 0 : load<i32>(offsets + (<usize>(t - 1) << 2));
    const cPrev = (t == 0 ? c0 : c) + <usize>prevRow0 * rowH;
    for (let j = 0; j < bt; j++) {
      const r = <usize>(r0 + j);
      const zr = r * rowG;
      const s = r * rowH;
      const n = <usize>j * rowH;
      const p = cPrev + n;
      let u = 0;
      for (; u + 4 <= H; u += 4) {
        const o = <usize>u << 2;
        cellBackward(dz + zr + o, gates + zr + o, rowH, cAct + s + o, p + o, dhNext + n + o, dcNext + n + o, dh == 0 ? 0 : dh + s + o, act, recAct, true);
      }
      for (; u < H; u++) {
        const o = <usize>u << 2;
        cellBackward(dz + zr + o, gates + zr + o, rowH, cAct + s + o, p + o, dhNext + n + o, dcNext + n + o, dh == 0 ? 0 : dh + s + o, act, recAct, false);
      }
    }
    // dh_{t−1} for the running sequences: dz[rows of t] · Uᵀ (sequences that ended keep dhLast)
    gemmPanels(dhNext, dz + <usize>r0 * rowG, G, 1, utPanels, <usize>G * 32, 32, bt, H, G, false, aStrip);
  }
}

@inline function cellBackward(
  dz: usize, g: usize, gs: usize, at: usize, cPrev: usize, dhNext: usize, dcNext: usize, dh: usize,
  act: i32, recAct: i32, full: bool,
): void {
  const dht = dh == 0 ? ld(dhNext, full) : f32x4.add(ld(dhNext, full), ld(dh, full));
  const ig = ld(g, full);
  const fg = ld(g + gs, full);
  const gg = ld(g + 2 * gs, full);
  const og = ld(g + 3 * gs, full);
  const a = ld(at, full);
  const dct = f32x4.add(ld(dcNext, full), f32x4.mul(f32x4.mul(dht, og), vdact(act, a)));
  st(dz, f32x4.mul(f32x4.mul(dct, gg), vdact(recAct, ig)), full);
  st(dz + gs, f32x4.mul(f32x4.mul(dct, ld(cPrev, full)), vdact(recAct, fg)), full);
  st(dz + 2 * gs, f32x4.mul(f32x4.mul(dct, ig), vdact(act, gg)), full);
  st(dz + 3 * gs, f32x4.mul(f32x4.mul(dht, a), vdact(recAct, og)), full);
  st(dcNext, f32x4.mul(dct, fg), full);
}

/** out[j] += Σ_i x[i, j] over M rows of width N (N a multiple of 4): the bias gradient. */
function sumRows(out: usize, x: usize, M: i32, N: i32): void {
  // Row by row, so `out` stays in L1 and x is read once, in order; the additions per column happen
  // in the spec's order (rows ascending).
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
