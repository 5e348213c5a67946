/**
 * GEMM, the plain-TypeScript reference: out[M,N] (+)= op(A)[M,K] · op(B)[K,N], row-major,
 * where op(A) = A ([M,K]) or Aᵀ (A stored [K,M]); op(B) = B ([K,N]) or Bᵀ (B stored [N,K]).
 *
 * One register-blocked 4×4 micro-tile walks every case through strides, inside cache blocks of
 * `K_BLOCK` × `N_BLOCK` so that the panel of B being reused stays in L1/L2. This is the spec the
 * WebAssembly kernel is held to; it is written to be read first and to be fast second.
 */

export interface GemmArgs {
  /** [M, N] output, starting at `outOffset`, row stride N. */
  out: Float32Array;
  outOffset?: number;
  /** [M, K], or [K, M] when `transA`. */
  a: Float32Array;
  aOffset?: number;
  /** [K, N], or [N, K] when `transB`. */
  b: Float32Array;
  bOffset?: number;
  M: number;
  N: number;
  K: number;
  transA?: boolean;
  transB?: boolean;
  /** Add into `out` instead of overwriting it. */
  accumulate?: boolean;
}

const K_BLOCK = 256;
const N_BLOCK = 64;

export function gemm(args: GemmArgs): void {
  const { out, a, b, M, N, K } = args;
  const oo = args.outOffset ?? 0;
  const ao = args.aOffset ?? 0;
  const bo = args.bOffset ?? 0;
  if (!args.accumulate) out.fill(0, oo, oo + M * N);
  if (M === 0 || N === 0 || K === 0) return;
  // element strides: A(i,k) = a[ao + i*ars + k*acs], B(k,j) = b[bo + k*brs + j*bcs]
  const ars = args.transA ? 1 : K;
  const acs = args.transA ? M : 1;
  const brs = args.transB ? 1 : N;
  const bcs = args.transB ? K : 1;
  for (let k0 = 0; k0 < K; k0 += K_BLOCK) {
    const k1 = Math.min(K, k0 + K_BLOCK);
    for (let j0 = 0; j0 < N; j0 += N_BLOCK) {
      const j1 = Math.min(N, j0 + N_BLOCK);
      gemmBlock(out, oo, N, a, ao, ars, acs, b, bo, brs, bcs, M, j0, j1, k0, k1);
    }
  }
}

function gemmBlock(
  out: Float32Array, oo: number, ldo: number,
  a: Float32Array, ao: number, ars: number, acs: number,
  b: Float32Array, bo: number, brs: number, bcs: number,
  M: number, j0: number, j1: number, k0: number, k1: number,
): void {
  const M4 = M - (M % 4);
  const jEnd4 = j0 + ((j1 - j0) - ((j1 - j0) % 4));
  for (let i = 0; i < M4; i += 4) {
    const a0 = ao + i * ars, a1 = a0 + ars, a2 = a1 + ars, a3 = a2 + ars;
    for (let j = j0; j < jEnd4; j += 4) {
      let c00 = 0, c01 = 0, c02 = 0, c03 = 0;
      let c10 = 0, c11 = 0, c12 = 0, c13 = 0;
      let c20 = 0, c21 = 0, c22 = 0, c23 = 0;
      let c30 = 0, c31 = 0, c32 = 0, c33 = 0;
      let pb = bo + k0 * brs + j * bcs;
      let pa = k0 * acs;
      for (let k = k0; k < k1; k++) {
        const b0 = b[pb], b1 = b[pb + bcs], b2 = b[pb + 2 * bcs], b3 = b[pb + 3 * bcs];
        let x = a[a0 + pa];
        c00 += x * b0; c01 += x * b1; c02 += x * b2; c03 += x * b3;
        x = a[a1 + pa];
        c10 += x * b0; c11 += x * b1; c12 += x * b2; c13 += x * b3;
        x = a[a2 + pa];
        c20 += x * b0; c21 += x * b1; c22 += x * b2; c23 += x * b3;
        x = a[a3 + pa];
        c30 += x * b0; c31 += x * b1; c32 += x * b2; c33 += x * b3;
        pb += brs;
        pa += acs;
      }
      let o = oo + i * ldo + j;
      out[o] += c00; out[o + 1] += c01; out[o + 2] += c02; out[o + 3] += c03;
      o += ldo;
      out[o] += c10; out[o + 1] += c11; out[o + 2] += c12; out[o + 3] += c13;
      o += ldo;
      out[o] += c20; out[o + 1] += c21; out[o + 2] += c22; out[o + 3] += c23;
      o += ldo;
      out[o] += c30; out[o + 1] += c31; out[o + 2] += c32; out[o + 3] += c33;
    }
    // leftover columns of this row block
    for (let j = jEnd4; j < j1; j++) {
      for (let r = 0; r < 4; r++) {
        const ar = ao + (i + r) * ars;
        let s = 0;
        for (let k = k0; k < k1; k++) s += a[ar + k * acs] * b[bo + k * brs + j * bcs];
        out[oo + (i + r) * ldo + j] += s;
      }
    }
  }
  // leftover rows
  for (let i = M4; i < M; i++) {
    const ar = ao + i * ars;
    for (let j = j0; j < j1; j++) {
      let s = 0;
      for (let k = k0; k < k1; k++) s += a[ar + k * acs] * b[bo + k * brs + j * bcs];
      out[oo + i * ldo + j] += s;
    }
  }
}

/** out[j] (+)= Σ_i x[i, j] over M rows of width N: the bias gradient. */
export function sumRows(out: Float32Array, x: Float32Array, M: number, N: number, accumulate = true, xOffset = 0): void {
  if (!accumulate) out.fill(0, 0, N);
  for (let i = 0; i < M; i++) {
    const r = xOffset + i * N;
    for (let j = 0; j < N; j++) out[j] += x[r + j];
  }
}

/** x[i, :] += bias for M rows of width N. */
export function addBias(x: Float32Array, bias: Float32Array, M: number, N: number): void {
  for (let i = 0; i < M; i++) {
    const r = i * N;
    for (let j = 0; j < N; j++) x[r + j] += bias[j];
  }
}
