// GEMM in WebAssembly SIMD: out[M,N] (+)= op(A)[M,K] · op(B)[K,N], f32, row-major.
// The spec is src/core/kernels/gemm.ts; this must match it (tests: src/core/kernels/wasm.test.ts).
//
// A(i,k) = a[i·ars + k·acs] and B(k,j) = b[k·brs + j·bcs] (element strides), so one code path
// serves NN, NT, TN and TT.
//
// Layout of the work (measured on a 2-core x86 machine; `npm run bench` times it):
//   - op(B) is read in panels of 8 columns. When B is row-major with N % 8 == 0 the panels are read
//     in place (row stride N); otherwise B is packed once into [K][8] panels, zero-padded.
//   - op(A) is packed per strip of MR rows and KC columns into [KC][MR] (zero rows past M), so
//     the micro-kernel reads it with constant offsets.
//   - The micro-kernel keeps a 5×8 tile in 10 f32x4 registers (mul + add; V8 has 15 vector
//     registers and a 6×8 tile spills without FMA), and is the only unrolling: the k loop is not
//     unrolled by hand (V8 hoists loads and spills). The relaxed-SIMD build (ASC_FEATURE_RELAXED_SIMD,
//     selected at load time where the engine validates it) uses a 6×8 tile with relaxed_madd (FMA).
//   - K is cut into blocks of KC so that the B block being swept (KC × N) stays in L2.
// All pointers are byte addresses in this module's memory; sizes are element counts.

/** Rows of the micro-tile: 6 with FMA (relaxed SIMD), 5 without. */
export const MR: i32 = ASC_FEATURE_RELAXED_SIMD ? 6 : 5;
export const NR: i32 = 8;
export const KC: i32 = 256;

// An MR×8 tile spilled here when it touches the edge of `out` (room for 6 rows).
const EDGE_TILE = memory.data(6 * NR * 4, 16);

/** Bytes of scratch `gemm` needs: the packed B (when B is not read in place) and one A strip. */
export function gemmScratchBytes(N: i32, K: i32, transB: i32): i32 {
  return (bReadInPlace(N, transB) ? 0 : packedBBytes(N, K)) + aStripBytes();
}

export function aStripBytes(): i32 {
  return KC * MR * 4;
}

export function packedBBytes(N: i32, K: i32): i32 {
  return ((N + NR - 1) / NR) * NR * K * 4;
}

@inline function bReadInPlace(N: i32, transB: i32): bool {
  return transB == 0 && N % NR == 0;
}

/**
 * Packs op(B) [K,N] into ceil(N/8) panels; panel p holds columns 8p..8p+7 as [K][8] at
 * dst + p·panelBytes bytes (K·32 when 0: panels back to back). Columns past N are zero. A larger
 * `panelBytes` leaves room in each panel for more rows (the LSTM packs [W; U] as two calls).
 */
export function packB(dst: usize, b: usize, brs: i32, bcs: i32, K: i32, N: i32, panelBytes: usize = 0): void {
  const panels = (N + NR - 1) / NR;
  const stride = panelBytes != 0 ? panelBytes : <usize>K * 32;
  for (let p = 0; p < panels; p++) {
    const j0 = p * NR;
    const cols = min(NR, N - j0);
    let d = dst + <usize>p * stride;
    if (cols == NR && bcs == 1) {
      for (let k = 0; k < K; k++) {
        const s = b + ((<usize>k * brs + j0) << 2);
        v128.store(d, v128.load(s));
        v128.store(d, v128.load(s, 16), 16);
        d += 32;
      }
    } else {
      for (let k = 0; k < K; k++) {
        for (let c = 0; c < NR; c++) {
          const v: f32 = c < cols ? load<f32>(b + ((<usize>k * brs + <usize>(j0 + c) * bcs) << 2)) : 0;
          store<f32>(d + (<usize>c << 2), v);
        }
        d += 32;
      }
    }
  }
}

/**
 * Packs rows i0..i0+rows−1, columns k0..k0+kc−1 of op(A) into dst as [kc][MR]; missing rows are 0.
 * op(A) always has one unit stride (`gemm`: A as is, acs = 1, or transposed, ars = 1), so a full
 * strip is packed from vectors (NOTE [ strips packed in registers ]).
 */
function packAStrip(dst: usize, a: usize, ars: i32, acs: i32, i0: i32, rows: i32, k0: i32, kc: i32): void {
  if (rows == MR) {
    const s = a + ((<usize>i0 * ars + <usize>k0 * acs) << 2);
    if (acs == 1) packRowsFull(dst, s, ars, kc);
    else packColsFull(dst, s, acs, kc); // ars == 1
    return;
  }
  for (let k = 0; k < kc; k++) {
    for (let r = 0; r < MR; r++) {
      const v: f32 = r < rows ? load<f32>(a + ((<usize>(i0 + r) * ars + <usize>(k0 + k) * acs) << 2)) : 0;
      store<f32>(dst + (<usize>(k * MR + r) << 2), v);
    }
  }
}

/**
 * NOTE [ strips packed in registers ]
 * An A strip is MR rows of op(A) transposed into [kc][MR]. Packed one float at a time (a load and
 * a store each) the LSTM's strips took ~9 % of the seed's training step. A full strip is packed
 * from vectors instead: when A's rows are contiguous (`packRowsFull`), four columns of the MR rows
 * are MR loads and a 4×4 transpose of rows 0–3 in shuffles (four 16-byte stores), rows 4–5
 * interleaved (8-byte stores; row 4 alone in the 5-row build: 4-byte lane stores); when op(A) is a
 * transpose, its MR elements at one k are contiguous (`packColsFull`): a 16-byte load and store
 * plus one of 8 (or 4) bytes. The same floats land in the same places, so results are
 * bit-identical; the seed's one-thread step went 76.8–78.7 → 71.6–73.0 ms (medians of 30 steps,
 * three alternating pairs, FMA build).
 */

/** Rows 0..MR−1 of `a` (row stride `rs` elements) over columns 0..kc−1 into dst as [kc][MR]. */
export function packRowsFull(dst: usize, a: usize, rs: i32, kc: i32): void {
  const stride = <usize>rs << 2;
  const kBytes = <usize>MR << 2; // one k of the strip
  let k = 0;
  for (; k + 4 <= kc; k += 4) {
    const s = a + (<usize>k << 2);
    const r0 = v128.load(s);
    const r1 = v128.load(s + stride);
    const r2 = v128.load(s + 2 * stride);
    const r3 = v128.load(s + 3 * stride);
    const r4 = v128.load(s + 4 * stride);
    const t0 = i32x4.shuffle(r0, r1, 0, 4, 1, 5); // r0k0 r1k0 r0k1 r1k1
    const t1 = i32x4.shuffle(r2, r3, 0, 4, 1, 5);
    const t2 = i32x4.shuffle(r0, r1, 2, 6, 3, 7); // r0k2 r1k2 r0k3 r1k3
    const t3 = i32x4.shuffle(r2, r3, 2, 6, 3, 7);
    const d = dst + <usize>k * kBytes;
    v128.store(d, i32x4.shuffle(t0, t1, 0, 1, 4, 5));
    v128.store(d + kBytes, i32x4.shuffle(t0, t1, 2, 3, 6, 7));
    v128.store(d + 2 * kBytes, i32x4.shuffle(t2, t3, 0, 1, 4, 5));
    v128.store(d + 3 * kBytes, i32x4.shuffle(t2, t3, 2, 3, 6, 7));
    if (MR == 6) {
      const r5 = v128.load(s + 5 * stride);
      const u0 = i32x4.shuffle(r4, r5, 0, 4, 1, 5); // r4k0 r5k0 r4k1 r5k1
      const u1 = i32x4.shuffle(r4, r5, 2, 6, 3, 7);
      v128.store64_lane(d, u0, 0, 16);
      v128.store64_lane(d, u0, 1, 40);
      v128.store64_lane(d, u1, 0, 64);
      v128.store64_lane(d, u1, 1, 88);
    } else {
      v128.store32_lane(d, r4, 0, 16);
      v128.store32_lane(d, r4, 1, 36);
      v128.store32_lane(d, r4, 2, 56);
      v128.store32_lane(d, r4, 3, 76);
    }
  }
  for (; k < kc; k++) {
    const s = a + (<usize>k << 2);
    const d = dst + <usize>k * kBytes;
    for (let r = 0; r < MR; r++) store<f32>(d + (<usize>r << 2), load<f32>(s + <usize>r * stride));
  }
}

/** MR contiguous floats at each of kc rows of `a` (row stride `ks` elements) into dst as [kc][MR]. */
export function packColsFull(dst: usize, a: usize, ks: i32, kc: i32): void {
  const step = <usize>ks << 2;
  let s = a;
  let d = dst;
  for (let k = 0; k < kc; k++) {
    v128.store(d, v128.load(s));
    if (MR == 6) v128.store64_lane(d, v128.load64_zero(s, 16), 0, 16);
    else v128.store32_lane(d, v128.load32_zero(s, 16), 0, 16);
    s += step;
    d += MR * 4;
  }
}

/**
 * The micro-kernel: tile[MR,8] = Apack[kc,MR] · Bpanel[kc,8], then out (+)= tile on its `rows` ×
 * `cols` valid corner. `pb` walks B by `sb` bytes per k; `ldo` is out's row stride in bytes.
 */
export function tile(out: usize, ldo: usize, pa: usize, pb: usize, sb: usize, kc: i32, rows: i32, cols: i32, add: bool): void {
  if (ASC_FEATURE_RELAXED_SIMD) tile6x8(out, ldo, pa, pb, sb, kc, rows, cols, add);
  else tile5x8(out, ldo, pa, pb, sb, kc, rows, cols, add);
}

@inline function tile5x8(out: usize, ldo: usize, pa: usize, pb: usize, sb: usize, kc: i32, rows: i32, cols: i32, add: bool): void {
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0);
  let c10 = f32x4.splat(0), c11 = f32x4.splat(0);
  let c20 = f32x4.splat(0), c21 = f32x4.splat(0);
  let c30 = f32x4.splat(0), c31 = f32x4.splat(0);
  let c40 = f32x4.splat(0), c41 = f32x4.splat(0);
  for (let k = 0; k < kc; k++) {
    const b0 = v128.load(pb);
    const b1 = v128.load(pb, 16);
    let x = v128.load32_splat(pa);
    c00 = f32x4.add(c00, f32x4.mul(x, b0));
    c01 = f32x4.add(c01, f32x4.mul(x, b1));
    x = v128.load32_splat(pa, 4);
    c10 = f32x4.add(c10, f32x4.mul(x, b0));
    c11 = f32x4.add(c11, f32x4.mul(x, b1));
    x = v128.load32_splat(pa, 8);
    c20 = f32x4.add(c20, f32x4.mul(x, b0));
    c21 = f32x4.add(c21, f32x4.mul(x, b1));
    x = v128.load32_splat(pa, 12);
    c30 = f32x4.add(c30, f32x4.mul(x, b0));
    c31 = f32x4.add(c31, f32x4.mul(x, b1));
    x = v128.load32_splat(pa, 16);
    c40 = f32x4.add(c40, f32x4.mul(x, b0));
    c41 = f32x4.add(c41, f32x4.mul(x, b1));
    pa += 20;
    pb += sb;
  }
  if (rows == 5 && cols == NR) {
    let o = out;
    if (add) {
      v128.store(o, f32x4.add(v128.load(o), c00)); v128.store(o, f32x4.add(v128.load(o, 16), c01), 16); o += ldo;
      v128.store(o, f32x4.add(v128.load(o), c10)); v128.store(o, f32x4.add(v128.load(o, 16), c11), 16); o += ldo;
      v128.store(o, f32x4.add(v128.load(o), c20)); v128.store(o, f32x4.add(v128.load(o, 16), c21), 16); o += ldo;
      v128.store(o, f32x4.add(v128.load(o), c30)); v128.store(o, f32x4.add(v128.load(o, 16), c31), 16); o += ldo;
      v128.store(o, f32x4.add(v128.load(o), c40)); v128.store(o, f32x4.add(v128.load(o, 16), c41), 16);
    } else {
      v128.store(o, c00); v128.store(o, c01, 16); o += ldo;
      v128.store(o, c10); v128.store(o, c11, 16); o += ldo;
      v128.store(o, c20); v128.store(o, c21, 16); o += ldo;
      v128.store(o, c30); v128.store(o, c31, 16); o += ldo;
      v128.store(o, c40); v128.store(o, c41, 16);
    }
    return;
  }
  const t = EDGE_TILE;
  v128.store(t, c00, 0); v128.store(t, c01, 16);
  v128.store(t, c10, 32); v128.store(t, c11, 48);
  v128.store(t, c20, 64); v128.store(t, c21, 80);
  v128.store(t, c30, 96); v128.store(t, c31, 112);
  v128.store(t, c40, 128); v128.store(t, c41, 144);
  addEdge(out, ldo, rows, cols, add);
}

/** out (+)= the `rows` × `cols` corner of the tile spilled in EDGE_TILE (row stride 32 bytes). */
function addEdge(out: usize, ldo: usize, rows: i32, cols: i32, add: bool): void {
  const t = EDGE_TILE;
  for (let r = 0; r < rows; r++) {
    const o = out + <usize>r * ldo;
    const s = t + (<usize>r << 5);
    for (let c = 0; c < cols; c++) {
      const oc = o + (<usize>c << 2);
      const v = load<f32>(s + (<usize>c << 2));
      store<f32>(oc, add ? load<f32>(oc) + v : v);
    }
  }
}

/**
 * out[M,N] (+)= op(A) · B̂ where B̂ is read in 8-column panels: panel p starts at
 * bPanels + p·panelStride, and row k of a panel is `rowStride` bytes after row k−1.
 * Requires M, N, K > 0. `aStrip` is scratch of `aStripBytes()`.
 */
export function gemmPanels(
  out: usize, a: usize, ars: i32, acs: i32,
  bPanels: usize, panelStride: usize, rowStride: usize,
  M: i32, N: i32, K: i32, accumulate: bool, aStrip: usize,
): void {
  const ldo = <usize>N << 2;
  const panels = (N + NR - 1) / NR;
  for (let k0 = 0; k0 < K; k0 += KC) {
    const kc = min(KC, K - k0);
    const add = accumulate || k0 > 0;
    const bk = bPanels + <usize>k0 * rowStride;
    for (let i0 = 0; i0 < M; i0 += MR) {
      const rows = min(MR, M - i0);
      packAStrip(aStrip, a, ars, acs, i0, rows, k0, kc);
      const o = out + <usize>i0 * ldo;
      if (rows == 1) {
        // one row (M = 1, or a last strip of one): 4 panels at a time, not an MR-row tile of which one row counts
        oneRowPanels(o, ldo, aStrip, bk, panelStride, rowStride, kc, N, add);
        continue;
      }
      for (let p = 0; p < panels; p++) {
        const j0 = p * NR;
        tile(o + (<usize>j0 << 2), ldo, aStrip, bk + <usize>p * panelStride, rowStride, kc, rows, min(NR, N - j0), add);
      }
    }
  }
}

/**
 * out[M,N] (+)= op(A)[M,K] · op(B)[K,N]: the spec's `gemm` on pointers.
 * `scratch` must hold `gemmScratchBytes(N, K, transB)` bytes.
 */
export function gemm(
  out: usize, a: usize, b: usize, M: i32, N: i32, K: i32,
  transA: i32, transB: i32, accumulate: i32, scratch: usize,
): void {
  if (M <= 0 || N <= 0) return;
  if (K <= 0) {
    if (accumulate == 0) memory.fill(out, 0, <usize>M * <usize>N * 4);
    return;
  }
  const ars = transA != 0 ? 1 : K;
  const acs = transA != 0 ? M : 1;
  if (bReadInPlace(N, transB)) {
    gemmPanels(out, a, ars, acs, b, 32, <usize>N << 2, M, N, K, accumulate != 0, scratch);
    return;
  }
  const brs = transB != 0 ? 1 : N;
  const bcs = transB != 0 ? K : 1;
  packB(scratch, b, brs, bcs, K, N);
  const aStrip = scratch + <usize>packedBBytes(N, K);
  gemmPanels(out, a, ars, acs, scratch, <usize>K * 32, 32, M, N, K, accumulate != 0, aStrip);
}

// The FMA micro-kernel of the relaxed-SIMD build: a 6×8 tile in 12 registers (+ 2 B + 1 A).
@inline function tile6x8(out: usize, ldo: usize, pa: usize, pb: usize, sb: usize, kc: i32, rows: i32, cols: i32, add: bool): void {
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0);
  let c10 = f32x4.splat(0), c11 = f32x4.splat(0);
  let c20 = f32x4.splat(0), c21 = f32x4.splat(0);
  let c30 = f32x4.splat(0), c31 = f32x4.splat(0);
  let c40 = f32x4.splat(0), c41 = f32x4.splat(0);
  let c50 = f32x4.splat(0), c51 = f32x4.splat(0);
  for (let k = 0; k < kc; k++) {
    const b0 = v128.load(pb);
    const b1 = v128.load(pb, 16);
    let x = v128.load32_splat(pa);
    c00 = f32x4.relaxed_madd(x, b0, c00);
    c01 = f32x4.relaxed_madd(x, b1, c01);
    x = v128.load32_splat(pa, 4);
    c10 = f32x4.relaxed_madd(x, b0, c10);
    c11 = f32x4.relaxed_madd(x, b1, c11);
    x = v128.load32_splat(pa, 8);
    c20 = f32x4.relaxed_madd(x, b0, c20);
    c21 = f32x4.relaxed_madd(x, b1, c21);
    x = v128.load32_splat(pa, 12);
    c30 = f32x4.relaxed_madd(x, b0, c30);
    c31 = f32x4.relaxed_madd(x, b1, c31);
    x = v128.load32_splat(pa, 16);
    c40 = f32x4.relaxed_madd(x, b0, c40);
    c41 = f32x4.relaxed_madd(x, b1, c41);
    x = v128.load32_splat(pa, 20);
    c50 = f32x4.relaxed_madd(x, b0, c50);
    c51 = f32x4.relaxed_madd(x, b1, c51);
    pa += 24;
    pb += sb;
  }
  if (rows == 6 && cols == NR) {
    let o = out;
    if (add) {
      v128.store(o, f32x4.add(v128.load(o), c00)); v128.store(o, f32x4.add(v128.load(o, 16), c01), 16); o += ldo;
      v128.store(o, f32x4.add(v128.load(o), c10)); v128.store(o, f32x4.add(v128.load(o, 16), c11), 16); o += ldo;
      v128.store(o, f32x4.add(v128.load(o), c20)); v128.store(o, f32x4.add(v128.load(o, 16), c21), 16); o += ldo;
      v128.store(o, f32x4.add(v128.load(o), c30)); v128.store(o, f32x4.add(v128.load(o, 16), c31), 16); o += ldo;
      v128.store(o, f32x4.add(v128.load(o), c40)); v128.store(o, f32x4.add(v128.load(o, 16), c41), 16); o += ldo;
      v128.store(o, f32x4.add(v128.load(o), c50)); v128.store(o, f32x4.add(v128.load(o, 16), c51), 16);
    } else {
      v128.store(o, c00); v128.store(o, c01, 16); o += ldo;
      v128.store(o, c10); v128.store(o, c11, 16); o += ldo;
      v128.store(o, c20); v128.store(o, c21, 16); o += ldo;
      v128.store(o, c30); v128.store(o, c31, 16); o += ldo;
      v128.store(o, c40); v128.store(o, c41, 16); o += ldo;
      v128.store(o, c50); v128.store(o, c51, 16);
    }
    return;
  }
  const t = EDGE_TILE;
  v128.store(t, c00, 0); v128.store(t, c01, 16);
  v128.store(t, c10, 32); v128.store(t, c11, 48);
  v128.store(t, c20, 64); v128.store(t, c21, 80);
  v128.store(t, c30, 96); v128.store(t, c31, 112);
  v128.store(t, c40, 128); v128.store(t, c41, 144);
  v128.store(t, c50, 160); v128.store(t, c51, 176);
  addEdge(out, ldo, rows, cols, add);
}

// ---------------------------------------------------------------------------------------------
// One row: a step where a single sequence is still running (predicting one sequence; the tail
// of a batch of mixed lengths). The MR×8 tile would compute MR rows to keep one; this walks the
// row across 4 panels at once instead (8 independent accumulator chains, one A element and 8 B
// vectors per k).
//
// Every output element is summed over k in the same order and with the same operation as `tile`
// (c = c + a·b, fused in the relaxed build, from 0), so a row gets bit-identical results whichever
// of the two computes it: a sequence's result never depends on how many batch-mates share its step.

@inline function madd(x: v128, b: v128, c: v128): v128 {
  return ASC_FEATURE_RELAXED_SIMD ? f32x4.relaxed_madd(x, b, c) : f32x4.add(c, f32x4.mul(x, b));
}

@inline function storeOrAdd(o: usize, v: v128, add: bool): void {
  v128.store(o, add ? f32x4.add(v128.load(o), v) : v);
}

// out[0, 0..32) (+)= Σ_k a[k]·B̂(k, 4 panels); a[k] at pa + k·sa; panel q row k at pb + q·ps + k·sb.
@inline function row1x32(out: usize, pa: usize, sa: usize, pb: usize, ps: usize, sb: usize, kc: i32, add: bool): void {
  let c0 = f32x4.splat(0), c1 = f32x4.splat(0), c2 = f32x4.splat(0), c3 = f32x4.splat(0);
  let c4 = f32x4.splat(0), c5 = f32x4.splat(0), c6 = f32x4.splat(0), c7 = f32x4.splat(0);
  const p1 = pb + ps;
  const p2 = p1 + ps;
  const p3 = p2 + ps;
  let off: usize = 0;
  for (let k = 0; k < kc; k++) {
    const x = v128.load32_splat(pa);
    c0 = madd(x, v128.load(pb + off), c0);
    c1 = madd(x, v128.load(pb + off, 16), c1);
    c2 = madd(x, v128.load(p1 + off), c2);
    c3 = madd(x, v128.load(p1 + off, 16), c3);
    c4 = madd(x, v128.load(p2 + off), c4);
    c5 = madd(x, v128.load(p2 + off, 16), c5);
    c6 = madd(x, v128.load(p3 + off), c6);
    c7 = madd(x, v128.load(p3 + off, 16), c7);
    pa += sa;
    off += sb;
  }
  storeOrAdd(out, c0, add); storeOrAdd(out + 16, c1, add);
  storeOrAdd(out + 32, c2, add); storeOrAdd(out + 48, c3, add);
  storeOrAdd(out + 64, c4, add); storeOrAdd(out + 80, c5, add);
  storeOrAdd(out + 96, c6, add); storeOrAdd(out + 112, c7, add);
}

/**
 * out[1,N] (+)= a · B̂ for ONE row of A, read from a packed A strip (row 0 of [kc][MR]); B̂ in
 * 8-column panels as `gemmPanels` takes them (panel p at bPanels + p·panelStride, rows
 * `rowStride` bytes apart). Groups of 4 full panels take `row1x32`, the rest the usual tile.
 */
export function oneRowPanels(out: usize, ldo: usize, aStrip: usize, bPanels: usize, panelStride: usize, rowStride: usize, kc: i32, N: i32, add: bool): void {
  const full = N / NR;
  let p = 0;
  for (; p + 4 <= full; p += 4) {
    row1x32(out + (<usize>p << 5), aStrip, MR * 4, bPanels + <usize>p * panelStride, panelStride, rowStride, kc, add);
  }
  for (; p * NR < N; p++) {
    tile(out + (<usize>p << 5), ldo, aStrip, bPanels + <usize>p * panelStride, rowStride, kc, 1, min(NR, N - p * NR), add);
  }
}
