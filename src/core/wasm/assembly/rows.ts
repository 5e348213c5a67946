// Row helpers shared by the recurrent kernels (gru.ts, simple_rnn.ts): rows of `width` floats,
// processed 4 lanes at a time with a scalar tail (one unit in lane 0 of a splat), so any width works.
import { vact, vflush } from "./math";

/** 4 floats at p (full), or the float at p splatted (tail). */
@inline export function ldv(p: usize, full: bool): v128 {
  return full ? v128.load(p) : v128.load32_splat(p);
}

/** 4 floats to p (full), or lane 0 to p (tail). */
@inline export function stv(p: usize, v: v128, full: bool): void {
  if (full) v128.store(p, v);
  else v128.store32_lane(p, v, 0);
}

/** x[r, :] += v for M rows of width N: the bias. */
export function addRowVector(x: usize, v: usize, M: i32, N: i32): void {
  const rowN = <usize>N << 2;
  let p = x;
  for (let i = 0; i < M; i++) {
    let u = 0;
    for (; u + 4 <= N; u += 4) {
      const o = <usize>u << 2;
      v128.store(p + o, f32x4.add(v128.load(p + o), v128.load(v + o)));
    }
    for (; u < N; u++) {
      const o = <usize>u << 2;
      store<f32>(p + o, load<f32>(p + o) + load<f32>(v + o));
    }
    p += rowN;
  }
}

/** out[j] += Σ_i x[i, j] over M rows of width N: a bias gradient. Row by row: out stays in L1. */
export function addColumnSums(out: usize, x: usize, M: i32, N: i32): void {
  const rowN = <usize>N << 2;
  let p = x;
  for (let i = 0; i < M; i++) {
    let u = 0;
    for (; u + 4 <= N; u += 4) {
      const o = <usize>u << 2;
      v128.store(out + o, f32x4.add(v128.load(out + o), v128.load(p + o)));
    }
    for (; u < N; u++) {
      const o = <usize>u << 2;
      store<f32>(out + o, load<f32>(out + o) + load<f32>(p + o));
    }
    p += rowN;
  }
}

/** x[0:n] ← act(x[0:n]), flushed below 1e-20 (the result is carried: NOTE [ denormals ] in math.ts). */
@inline export function activateRow(x: usize, n: i32, act: i32): void {
  let u = 0;
  for (; u + 4 <= n; u += 4) {
    const o = <usize>u << 2;
    v128.store(x + o, vflush(vact(act, v128.load(x + o))));
  }
  for (; u < n; u++) {
    const o = <usize>u << 2;
    v128.store32_lane(x + o, vflush(vact(act, v128.load32_splat(x + o))), 0);
  }
}

/**
 * out [N,H]: for every row, the state that fed it (the row of step t−1 of the same sequence, or
 * h0 at t = 0): the spec's `previousRows`.
 */
export function previousRows(out: usize, rows: usize, h0: usize, offsets: usize, batchSizes: usize, T: i32, H: i32): void {
  const rowH = <usize>H << 2;
  for (let t = 0; t < T; t++) {
    const r0 = load<i32>(offsets + (<usize>t << 2));
    const bt = load<i32>(batchSizes + (<usize>t << 2));
    const from = t == 0 ? h0 : rows + <usize>load<i32>(offsets + (<usize>(t - 1) << 2)) * rowH;
    memory.copy(out + <usize>r0 * rowH, from, <usize>bt * rowH);
  }
}

// Recurrent dropout (NOTE [ recurrent dropout in the recurrent kernels ] in the spec): `mask` is
// [B,H], sorted order, already scaled; row j belongs to the sequence at batch position j.

/** out[k] = a[k] · mask[k] for k < n: the first bt rows of h_{t−1}, dropped (n = bt·H). */
export function dropRows(out: usize, a: usize, mask: usize, n: i32): void {
  let k = 0;
  for (; k + 4 <= n; k += 4) {
    const o = <usize>k << 2;
    v128.store(out + o, f32x4.mul(v128.load(a + o), v128.load(mask + o)));
  }
  for (; k < n; k++) {
    const o = <usize>k << 2;
    store<f32>(out + o, load<f32>(a + o) * load<f32>(mask + o));
  }
}

/** dst[k] (+)= src[k] · mask[k] for k < n: the gradient of h_{t−1} ⊙ m, moved to h_{t−1}. */
export function addMaskedRows(dst: usize, src: usize, mask: usize, n: i32, accumulate: bool): void {
  let k = 0;
  for (; k + 4 <= n; k += 4) {
    const o = <usize>k << 2;
    const v = f32x4.mul(v128.load(src + o), v128.load(mask + o));
    v128.store(dst + o, accumulate ? f32x4.add(v128.load(dst + o), v) : v);
  }
  for (; k < n; k++) {
    const o = <usize>k << 2;
    const v = load<f32>(src + o) * load<f32>(mask + o);
    store<f32>(dst + o, accumulate ? load<f32>(dst + o) + v : v);
  }
}

/** rows [N,H] ⊙= the mask row of each row's sequence: previous states as the recurrent GEMM saw them. */
export function maskRowsBySequence(rows: usize, mask: usize, offsets: usize, batchSizes: usize, T: i32, H: i32): void {
  const rowH = <usize>H << 2;
  for (let t = 0; t < T; t++) {
    const r0 = load<i32>(offsets + (<usize>t << 2));
    const bt = load<i32>(batchSizes + (<usize>t << 2));
    const p = rows + <usize>r0 * rowH;
    dropRows(p, p, mask, bt * H);
  }
}
