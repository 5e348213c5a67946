// Vectorised element-wise math for the LSTM cell: f32x4 in → f32x4 out.
//
// Activation ids match `Act` in src/core/kernels/activations.ts (the spec):
//   0 linear, 1 sigmoid, 2 tanh, 3 relu, 4 hardSigmoid (Keras 3: relu6(x+3)/6), 5 hardSigmoidTfjs.
// Derivatives are written through the activation's *output* y, as in the spec.
//
// Accuracy (measured against Math.exp / Math.tanh by src/core/wasm/math.test.ts):
//   exp: Cephes expf polynomial, relative error ≈ 1e-7;
//   tanh: Eigen's rational 13/6 approximation on [−7.9, 7.9], absolute error ≈ 3e-7;
//   sigmoid = ½·tanh(x/2) + ½, absolute error ≈ 1.4e-7 (relative where σ ≥ ½ too).
//
// Vector constants are loaded from a table in linear memory (one load each) rather than
// materialised with v128.const, which V8 turns into several instructions per use.

export const ACT_LINEAR: i32 = 0;
export const ACT_SIGMOID: i32 = 1;
export const ACT_TANH: i32 = 2;
export const ACT_RELU: i32 = 3;
export const ACT_HARD_SIGMOID: i32 = 4;
export const ACT_HARD_SIGMOID_TFJS: i32 = 5;

// Each constant is stored splatted to 4 lanes; index k lives at CONSTS + 16·k.
const CONSTS = memory.data<f32>([
  // 0: exp input range, keeps 2^n a normal float (n ∈ [−126, 127])
  -87.33, -87.33, -87.33, -87.33,
  88.37, 88.37, 88.37, 88.37,
  // 2: log2(e), 3: 1.5·2^23 (round-to-nearest by addition)
  1.44269504088896341, 1.44269504088896341, 1.44269504088896341, 1.44269504088896341,
  12582912.0, 12582912.0, 12582912.0, 12582912.0,
  // 4, 5: ln 2 split in a high part exact in f32 and a low part (Cephes)
  0.693359375, 0.693359375, 0.693359375, 0.693359375,
  -2.12194440e-4, -2.12194440e-4, -2.12194440e-4, -2.12194440e-4,
  // 6..11: expf polynomial, highest degree first
  1.9875691500e-4, 1.9875691500e-4, 1.9875691500e-4, 1.9875691500e-4,
  1.3981999507e-3, 1.3981999507e-3, 1.3981999507e-3, 1.3981999507e-3,
  8.3334519073e-3, 8.3334519073e-3, 8.3334519073e-3, 8.3334519073e-3,
  4.1665795894e-2, 4.1665795894e-2, 4.1665795894e-2, 4.1665795894e-2,
  1.6666665459e-1, 1.6666665459e-1, 1.6666665459e-1, 1.6666665459e-1,
  5.0000001201e-1, 5.0000001201e-1, 5.0000001201e-1, 5.0000001201e-1,
  // 12: 1, 13: 0, 14: 0.5, 15: 1/6, 16: 0.2
  1.0, 1.0, 1.0, 1.0,
  0.0, 0.0, 0.0, 0.0,
  0.5, 0.5, 0.5, 0.5,
  0.16666666666666666, 0.16666666666666666, 0.16666666666666666, 0.16666666666666666,
  0.2, 0.2, 0.2, 0.2,
  // 17, 18: tanh input range
  -7.90531110763549805, -7.90531110763549805, -7.90531110763549805, -7.90531110763549805,
  7.90531110763549805, 7.90531110763549805, 7.90531110763549805, 7.90531110763549805,
  // 19..25: tanh numerator x·(α1 + α3x² + … + α13x¹²), highest degree first
  -2.76076847742355e-16, -2.76076847742355e-16, -2.76076847742355e-16, -2.76076847742355e-16,
  2.00018790482477e-13, 2.00018790482477e-13, 2.00018790482477e-13, 2.00018790482477e-13,
  -8.60467152213735e-11, -8.60467152213735e-11, -8.60467152213735e-11, -8.60467152213735e-11,
  5.12229709037114e-08, 5.12229709037114e-08, 5.12229709037114e-08, 5.12229709037114e-08,
  1.48572235717979e-05, 1.48572235717979e-05, 1.48572235717979e-05, 1.48572235717979e-05,
  6.37261928875436e-04, 6.37261928875436e-04, 6.37261928875436e-04, 6.37261928875436e-04,
  4.89352455891786e-03, 4.89352455891786e-03, 4.89352455891786e-03, 4.89352455891786e-03,
  // 26..29: tanh denominator β0 + β2x² + β4x⁴ + β6x⁶, highest degree first
  1.19825839466702e-06, 1.19825839466702e-06, 1.19825839466702e-06, 1.19825839466702e-06,
  1.18534705686654e-04, 1.18534705686654e-04, 1.18534705686654e-04, 1.18534705686654e-04,
  2.26843463243900e-03, 2.26843463243900e-03, 2.26843463243900e-03, 2.26843463243900e-03,
  4.89352518554385e-03, 4.89352518554385e-03, 4.89352518554385e-03, 4.89352518554385e-03,
  // 30: −3, 31: 3, 32: −2.5, 33: 2.5
  -3.0, -3.0, -3.0, -3.0,
  3.0, 3.0, 3.0, 3.0,
  -2.5, -2.5, -2.5, -2.5,
  2.5, 2.5, 2.5, 2.5,
  // 34: the flush threshold of `vflush`
  1e-20, 1e-20, 1e-20, 1e-20,
], 16);

@inline function K(index: i32): v128 {
  return v128.load(CONSTS + (<usize>index << 4));
}

/** a·b + c; fused (one rounding) in the relaxed-SIMD build. */
@inline function madd(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, c);
  return f32x4.add(f32x4.mul(a, b), c);
}

/** e^x, lanewise. */
@inline export function vexp(x: v128): v128 {
  x = f32x4.pmin(f32x4.pmax(x, K(0)), K(1));
  // t = MAGIC + n with n = round(x·log2 e); its bit pattern carries n in the low mantissa bits.
  const t = f32x4.add(f32x4.mul(x, K(2)), K(3));
  const n = f32x4.sub(t, K(3));
  let r = f32x4.sub(x, f32x4.mul(n, K(4)));
  r = f32x4.sub(r, f32x4.mul(n, K(5)));
  let p = madd(K(6), r, K(7));
  p = madd(p, r, K(8));
  p = madd(p, r, K(9));
  p = madd(p, r, K(10));
  p = madd(p, r, K(11));
  const r2 = f32x4.mul(r, r);
  const y = f32x4.add(madd(p, r2, r), K(12));
  // 2^n as a float: (n + 127) << 23. bits(t) = bits(MAGIC) + n and bits(MAGIC) << 23 wraps to 0.
  const scale = i32x4.shl(i32x4.add(t, i32x4.splat(127)), 23);
  return f32x4.mul(y, scale);
}

/**
 * 1 / (1 + e^−x), lanewise, as ½·tanh(x/2) + ½: one rational function and one division, where
 * e^−x then a division took 1.4× the time (0.94 against 1.35 ns per value over 7 M values; the
 * one-thread seed step 81 against 87 ms, six alternating process pairs, 2026-12-04). The price:
 * an absolute error bound (≈ 1.4e-7) instead of a relative one, so σ of x below ≈ −16 is ≈ 1e-7
 * or 0 instead of e^x — immaterial for the LSTM and GRU gates (and a SimpleRNN's activation),
 * the only places this runs; a dense layer's sigmoid, whose output a loss may take the log of,
 * goes through exp (`vsigmoidExp`).
 */
@inline export function vsigmoid(x: v128): v128 {
  return madd(vtanh(f32x4.mul(x, K(14))), K(14), K(14));
}

/**
 * 1 / (1 + e^−x), lanewise, through exp: relative error ≈ 2e-7 at every x, where `vsigmoid`'s is
 * absolute (≈ 1.4e-7). For a dense layer's output, which a loss may take the log of: σ(−15) must
 * come out as 3.06e-7, not somewhere in 3.06e-7 ± 1.4e-7. (Below x ≈ −87 the clamped exp gives
 * ≈ 4e-39 where float32 holds e^x as a denormal or 0.)
 */
@inline export function vsigmoidExp(x: v128): v128 {
  return f32x4.div(K(12), f32x4.add(K(12), vexp(f32x4.neg(x))));
}

/** act(x), lanewise, for a dense layer's output: `vact` with the sigmoid through exp (`vsigmoidExp`). */
@inline export function vactDense(id: i32, x: v128): v128 {
  return id == ACT_SIGMOID ? vsigmoidExp(x) : vact(id, x);
}

/** tanh x, lanewise: a rational approximation, exact to ≈ 3e-7 absolute. */
@inline export function vtanh(x: v128): v128 {
  x = f32x4.pmin(f32x4.pmax(x, K(17)), K(18));
  const x2 = f32x4.mul(x, x);
  let p = madd(x2, K(19), K(20));
  p = madd(x2, p, K(21));
  p = madd(x2, p, K(22));
  p = madd(x2, p, K(23));
  p = madd(x2, p, K(24));
  p = madd(x2, p, K(25));
  p = f32x4.mul(x, p);
  let q = madd(x2, K(26), K(27));
  q = madd(x2, q, K(28));
  q = madd(x2, q, K(29));
  return f32x4.div(p, q);
}

/**
 * v with every lane of magnitude below 1e-20 set to 0 (NaN and ±Inf kept).
 *
 * NOTE [ denormals ]
 * Wasm has no flush-to-zero mode, and x86 SIMD arithmetic on denormal floats (|v| < 1.2e-38) is
 * ~100× slower. A vanishing gradient reaches that range within a few dozen steps (measured: the
 * layer-1 backward with only a final-state gradient and a small recurrent kernel went from 107 ms
 * to 764 ms). The JS reference computes in f64 and never notices. So the state carried from step
 * to step (c forward; dh, dc and dz backward) is flushed below 1e-20: a change of at most 1e-20
 * absolute, far below f32 resolution of any gradient that matters, and it keeps every product
 * downstream out of the denormal range.
 */
@inline export function vflush(v: v128): v128 {
  return v128.andnot(v, f32x4.lt(f32x4.abs(v), K(34)));
}

/** act(x), lanewise. With a constant `id` (after inlining) the switch folds away. */
@inline export function vact(id: i32, x: v128): v128 {
  switch (id) {
    case ACT_SIGMOID: return vsigmoid(x);
    case ACT_TANH: return vtanh(x);
    case ACT_RELU: return f32x4.pmax(x, K(13));
    case ACT_HARD_SIGMOID: {
      // x ≤ −3 → 0, x ≥ 3 → 1, else x/6 + 0.5
      const y = madd(x, K(15), K(14));
      return f32x4.pmin(f32x4.pmax(y, K(13)), K(12));
    }
    case ACT_HARD_SIGMOID_TFJS: {
      const y = madd(x, K(16), K(14));
      return f32x4.pmin(f32x4.pmax(y, K(13)), K(12));
    }
    default: return x;
  }
}

/** act'(x) written through y = act(x), lanewise (the spec's `derivativeFromOutput`). */
@inline export function vdact(id: i32, y: v128): v128 {
  switch (id) {
    case ACT_SIGMOID: return f32x4.mul(y, f32x4.sub(K(12), y));
    case ACT_TANH: return f32x4.sub(K(12), f32x4.mul(y, y));
    case ACT_RELU: return v128.and(f32x4.gt(y, K(13)), K(12));
    case ACT_HARD_SIGMOID: {
      const inside = v128.and(f32x4.gt(y, K(13)), f32x4.lt(y, K(12)));
      return v128.and(inside, K(15));
    }
    case ACT_HARD_SIGMOID_TFJS: {
      const inside = v128.and(f32x4.gt(y, K(13)), f32x4.lt(y, K(12)));
      return v128.and(inside, K(16));
    }
    default: return K(12);
  }
}

// Exported for the accuracy test: out[i] = act(x[i]) for i < n (n a multiple of 4).
export function activateArray(id: i32, out: usize, x: usize, n: i32): void {
  for (let i = 0; i < n; i += 4) {
    const o = <usize>i << 2;
    v128.store(out + o, vact(id, v128.load(x + o)));
  }
}

// Exported for the accuracy test: out[i] = dense act(x[i]) for i < n (n a multiple of 4).
export function activateDenseArray(id: i32, out: usize, x: usize, n: i32): void {
  for (let i = 0; i < n; i += 4) {
    const o = <usize>i << 2;
    v128.store(out + o, vactDense(id, v128.load(x + o)));
  }
}

// Exported for the accuracy test: out[i] = e^x[i] for i < n (n a multiple of 4).
export function expArray(out: usize, x: usize, n: i32): void {
  for (let i = 0; i < n; i += 4) {
    const o = <usize>i << 2;
    v128.store(out + o, vexp(v128.load(x + o)));
  }
}
