// 1-D convolution over gathered rows in WebAssembly SIMD: im2col into `cols`, then the GEMM of
// gemm.ts. The spec is src/core/kernels/conv1d.ts; this must match it (tests:
// src/core/kernels/conv1d.test.ts).
//
//   x: [Nin, C], taps: [Nout, k] i32 (input row, −1 = a zero row), W: [k, C, F], b: [F] → out: [Nout, F]
//
// All pointers are byte addresses in this module's memory; sizes are element counts.
import { gemm, gemmScratchBytes } from "./gemm";
import { addColumnSums, addRowVector } from "./rows";

/** cols[r, i·C + c] = x[taps[r, i], c], 0 for a −1 tap. */
function im2col(cols: usize, x: usize, taps: usize, Nout: i32, k: i32, C: i32): void {
  const rowBytes = <usize>C << 2;
  let dst = cols;
  let tap = taps;
  for (let r = 0; r < Nout; r++) {
    for (let i = 0; i < k; i++) {
      const src = load<i32>(tap);
      if (src < 0) memory.fill(dst, 0, rowBytes);
      else memory.copy(dst, x + <usize>src * rowBytes, rowBytes);
      dst += rowBytes;
      tap += 4;
    }
  }
}

/** dx[taps[r, i], c] += dCols[r, i·C + c]: the adjoint of im2col. */
function col2im(dx: usize, dCols: usize, taps: usize, Nout: i32, k: i32, C: i32): void {
  const rowBytes = <usize>C << 2;
  let s = dCols;
  let tap = taps;
  for (let r = 0; r < Nout; r++) {
    for (let i = 0; i < k; i++) {
      const dst = load<i32>(tap);
      if (dst >= 0) {
        const d = dx + <usize>dst * rowBytes;
        let c = 0;
        for (; c + 4 <= C; c += 4) {
          const o = <usize>c << 2;
          v128.store(d + o, f32x4.add(v128.load(d + o), v128.load(s + o)));
        }
        for (; c < C; c++) {
          const o = <usize>c << 2;
          store<f32>(d + o, load<f32>(d + o) + load<f32>(s + o));
        }
      }
      s += rowBytes;
      tap += 4;
    }
  }
}

/** Bytes of `cols` plus GEMM scratch for a forward or a backward of these sizes. */
export function conv1dScratchBytes(Nout: i32, k: i32, C: i32, F: i32): i32 {
  const K = k * C;
  const cols = ((Nout * K * 4 + 15) / 16) * 16;
  const g = max(gemmScratchBytes(F, K, 0), max(gemmScratchBytes(F, Nout, 0), gemmScratchBytes(K, F, 1)));
  return cols + g;
}

// x: [Nin,C], taps: [Nout,k], W: [k,C,F], b: [F] (bias 0 = none) → out: [Nout,F]
export function conv1dForward(out: usize, x: usize, taps: usize, W: usize, bias: usize, Nout: i32, k: i32, C: i32, F: i32, scratch: usize): void {
  if (Nout == 0) return;
  const K = k * C;
  const cols = scratch;
  const gemmScratch = scratch + <usize>(((Nout * K * 4 + 15) / 16) * 16);
  im2col(cols, x, taps, Nout, k, C);
  gemm(out, cols, W, Nout, F, K, 0, 0, 0, gemmScratch);
  if (bias != 0) addRowVector(out, bias, Nout, F);
}

// dOut: [Nout,F] → dW: [k,C,F] (+=), db: [F] (+=, 0 = none), dx: [Nin,C] (written, 0 = none)
export function conv1dBackward(
  dx: usize, dW: usize, db: usize, dOut: usize, x: usize, taps: usize, W: usize,
  Nin: i32, Nout: i32, k: i32, C: i32, F: i32, scratch: usize,
): void {
  if (dx != 0) memory.fill(dx, 0, <usize>Nin * <usize>C * 4);
  if (Nout == 0) return;
  const K = k * C;
  const cols = scratch;
  const gemmScratch = scratch + <usize>(((Nout * K * 4 + 15) / 16) * 16);
  im2col(cols, x, taps, Nout, k, C);
  gemm(dW, cols, dOut, K, F, Nout, 1, 0, 1, gemmScratch);
  if (db != 0) addColumnSums(db, dOut, Nout, F);
  if (dx == 0) return;
  gemm(cols, dOut, W, Nout, K, F, 0, 1, 0, gemmScratch);
  col2im(dx, cols, taps, Nout, k, C);
}
