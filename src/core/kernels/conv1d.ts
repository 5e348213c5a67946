/**
 * 1-D convolution over gathered rows, the plain-TypeScript reference (the spec of the wasm kernel).
 *
 *   x: [Nin, C], taps: [Nout, k] (input row of tap i of output row r, −1 = a zero row),
 *   W: [k, C, F] (Keras' Conv1D kernel), b: [F]  →  out: [Nout, F]
 *   out[r, f] = b[f] + Σ_i Σ_c x[taps[r, i], c] · W[i, c, f]
 *
 * The kernel knows nothing of sequences: the layer turns each sequence's window geometry into
 * `taps` (see NOTE [ windows over ragged sequences ] in layers/_internal/windows.ts). It is a GEMM
 * over the packed rows: gather every window into a row of `cols` [Nout, k·C] (im2col), then
 * `cols · W` with W read as [k·C, F]. Backward runs the same GEMMs transposed and scatters the
 * gradient of `cols` back onto the input rows (col2im).
 */
import { gemm, sumRows } from "./gemm.js";

export interface Conv1dForwardArgs {
  /** [Nout, F], overwritten. */
  out: Float32Array;
  /** [Nin, C] */
  x: Float32Array;
  /** [Nout, k] input rows, −1 for a zero tap. */
  taps: Int32Array;
  /** [k, C, F] */
  kernel: Float32Array;
  /** [F], or null for no bias. */
  bias: Float32Array | null;
  Nout: number;
  k: number;
  C: number;
  F: number;
}

export interface Conv1dBackwardArgs {
  /** [Nin, C] gradient of x, overwritten; null when the input needs none. */
  dx: Float32Array | null;
  /** [k, C, F] accumulated. */
  dKernel: Float32Array;
  /** [F] accumulated; null for no bias. */
  dBias: Float32Array | null;
  /** [Nout, F] gradient of out. */
  dOut: Float32Array;
  x: Float32Array;
  taps: Int32Array;
  kernel: Float32Array;
  Nin: number;
  Nout: number;
  k: number;
  C: number;
  F: number;
}

/** cols[r, i·C + c] = x[taps[r, i], c] (0 for a −1 tap): [Nout, k·C]. */
export function im2col(cols: Float32Array, x: Float32Array, taps: Int32Array, Nout: number, k: number, C: number): void {
  const width = k * C;
  for (let r = 0; r < Nout; r++) {
    for (let i = 0; i < k; i++) {
      const src = taps[r * k + i];
      const at = r * width + i * C;
      if (src < 0) {
        cols.fill(0, at, at + C);
      } else {
        const from = src * C;
        for (let c = 0; c < C; c++) cols[at + c] = x[from + c];
      }
    }
  }
}

/** dx[taps[r, i], c] += dCols[r, i·C + c]: the adjoint of `im2col`. */
export function col2im(dx: Float32Array, dCols: Float32Array, taps: Int32Array, Nout: number, k: number, C: number): void {
  const width = k * C;
  for (let r = 0; r < Nout; r++) {
    for (let i = 0; i < k; i++) {
      const dst = taps[r * k + i];
      if (dst < 0) continue;
      const at = r * width + i * C;
      const to = dst * C;
      for (let c = 0; c < C; c++) dx[to + c] += dCols[at + c];
    }
  }
}

// x: [Nin,C], taps: [Nout,k], W: [k,C,F], b: [F] → out: [Nout,F]
export function conv1dForward(args: Conv1dForwardArgs): void {
  const { out, x, taps, kernel, bias, Nout, k, C, F } = args;
  const cols = new Float32Array(Nout * k * C);
  im2col(cols, x, taps, Nout, k, C);
  gemm({ out, a: cols, b: kernel, M: Nout, N: F, K: k * C });
  if (bias) {
    for (let r = 0; r < Nout; r++) for (let f = 0; f < F; f++) out[r * F + f] += bias[f];
  }
}

// dOut: [Nout,F] → dx: [Nin,C] (written), dW: [k,C,F] (+=), db: [F] (+=)
export function conv1dBackward(args: Conv1dBackwardArgs): void {
  const { dx, dKernel, dBias, dOut, x, taps, kernel, Nin, Nout, k, C, F } = args;
  const K = k * C;
  const cols = new Float32Array(Nout * K);
  im2col(cols, x, taps, Nout, k, C);
  // dW[kC, F] += colsᵀ · dOut
  gemm({ out: dKernel, a: cols, b: dOut, M: K, N: F, K: Nout, transA: true, accumulate: true });
  if (dBias) sumRows(dBias, dOut, Nout, F);
  if (dx) {
    // dCols[Nout, kC] = dOut · Wᵀ, then scattered back onto the input rows
    const dCols = cols;
    gemm({ out: dCols, a: dOut, b: kernel, M: Nout, N: K, K: F, transB: true });
    dx.fill(0, 0, Nin * C);
    col2im(dx, dCols, taps, Nout, k, C);
  }
}
