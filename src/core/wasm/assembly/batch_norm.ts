// Batch normalization of each feature over the rows that count, in WebAssembly SIMD. The spec is
// src/core/kernels/batch_norm.ts (read it first): the same formulas. The spec walks each feature
// down the rows (a stride of C floats); here every pass walks the rows in order with the per-feature
// values in [C] vectors, 4 features at a time.
//
//   x: [M,C], rowMask: [M] bytes (1 = the row counts) or 0, gamma, beta: [C] or 0
//
// Sums: the statistics accumulate in f32 row by row, as the spec's Float32Array does; backward's
// sums over all M rows (the spec's are float64) add f32 partial sums of BLOCK rows into f64 totals.
// All pointers are byte addresses.

const BLOCK = 128;

/** Zeroes n floats at p. */
@inline function zero(p: usize, n: i32): void {
  memory.fill(p, 0, <usize>n << 2);
}

// x: [M,C], rowMask: [M] → mean, variance: [C] (written; biased); returns R, the rows that counted
export function batchNormStatistics(mean: usize, variance: usize, x: usize, rowMask: usize, M: i32, C: i32): i32 {
  const rowC = <usize>C << 2;
  const C4 = C & ~3;
  zero(mean, C);
  zero(variance, C);
  let R = 0;
  for (let r = 0; r < M; r++) {
    if (rowMask != 0 && load<u8>(rowMask + <usize>r) == 0) continue;
    R++;
    const xr = x + <usize>r * rowC;
    for (let c = 0; c < C4; c += 4) {
      const o = <usize>c << 2;
      v128.store(mean + o, f32x4.add(v128.load(mean + o), v128.load(xr + o)));
    }
    for (let c = C4; c < C; c++) {
      const o = <usize>c << 2;
      store<f32>(mean + o, load<f32>(mean + o) + load<f32>(xr + o));
    }
  }
  if (R == 0) return 0;
  const Rf = <f32>R;
  for (let c = 0; c < C; c++) store<f32>(mean + (<usize>c << 2), load<f32>(mean + (<usize>c << 2)) / Rf);
  for (let r = 0; r < M; r++) {
    if (rowMask != 0 && load<u8>(rowMask + <usize>r) == 0) continue;
    const xr = x + <usize>r * rowC;
    for (let c = 0; c < C4; c += 4) {
      const o = <usize>c << 2;
      const d = f32x4.sub(v128.load(xr + o), v128.load(mean + o));
      v128.store(variance + o, f32x4.add(v128.load(variance + o), f32x4.mul(d, d)));
    }
    for (let c = C4; c < C; c++) {
      const o = <usize>c << 2;
      const d = load<f32>(xr + o) - load<f32>(mean + o);
      store<f32>(variance + o, load<f32>(variance + o) + d * d);
    }
  }
  for (let c = 0; c < C; c++) store<f32>(variance + (<usize>c << 2), load<f32>(variance + (<usize>c << 2)) / Rf);
  return R;
}

/** rstd[c] = 1/√(variance[c] + ε). */
function reciprocalStd(rstd: usize, variance: usize, C: i32, epsilon: f32): void {
  for (let c = 0; c < C; c++) {
    const o = <usize>c << 2;
    store<f32>(rstd + o, 1 / Mathf.sqrt(load<f32>(variance + o) + epsilon));
  }
}

/** Bytes of scratch `batchNormBackward` needs (`batchNormForward`: C floats). */
export function batchNormBackwardScratchBytes(C: i32): i32 {
  return sumsAt(C) + C * 16;
}

/** Where backward's f64 sums start in its scratch: after rstd, partDy, partDyN [C] f32, 8-aligned. */
@inline function sumsAt(C: i32): i32 {
  return (3 * C * 4 + 7) & ~7;
}

// x: [M,C], mean, variance: [C] → out: [M,C] (may be x itself). scratch: C floats.
export function batchNormForward(out: usize, x: usize, mean: usize, variance: usize, gamma: usize, beta: usize, M: i32, C: i32, epsilon: f32, scratch: usize): void {
  const rowC = <usize>C << 2;
  const C4 = C & ~3;
  const rstd = scratch;
  reciprocalStd(rstd, variance, C, epsilon);
  for (let r = 0; r < M; r++) {
    const xr = x + <usize>r * rowC;
    const orow = out + <usize>r * rowC;
    for (let c = 0; c < C4; c += 4) {
      const o = <usize>c << 2;
      // ((x − mean)·rstd)·gamma + beta, in the spec's order
      let n = f32x4.mul(f32x4.sub(v128.load(xr + o), v128.load(mean + o)), v128.load(rstd + o));
      if (gamma != 0) n = f32x4.mul(n, v128.load(gamma + o));
      if (beta != 0) n = f32x4.add(n, v128.load(beta + o));
      v128.store(orow + o, n);
    }
    for (let c = C4; c < C; c++) {
      const o = <usize>c << 2;
      let n = (load<f32>(xr + o) - load<f32>(mean + o)) * load<f32>(rstd + o);
      if (gamma != 0) n *= load<f32>(gamma + o);
      if (beta != 0) n += load<f32>(beta + o);
      store<f32>(orow + o, n);
    }
  }
}

// dOut: [M,C] → dx: [M,C] (or 0; may be dOut itself), dGamma, dBeta: [C] (+=, or 0).
// scratch: batchNormBackwardScratchBytes(C), 8-byte aligned.
//   with the batch's statistics (training): dx = rstd·(g − [r counts]·(Σ g + x̂·Σ g·x̂)/R), g = dOut·gamma
//   with constants (inference): dx = rstd·g
export function batchNormBackward(
  dx: usize, dGamma: usize, dBeta: usize, dOut: usize, x: usize, mean: usize, variance: usize, gamma: usize,
  rowMask: usize, count: i32, batchStatistics: bool, M: i32, C: i32, epsilon: f32, scratch: usize,
): void {
  const rowC = <usize>C << 2;
  const C4 = C & ~3;
  const rstd = scratch;
  const partDy = scratch + rowC;
  const partDyN = scratch + 2 * rowC;
  const sumDy = scratch + <usize>sumsAt(C); // f64 [C]
  const sumDyN = sumDy + (rowC << 1); // f64 [C]
  reciprocalStd(rstd, variance, C, epsilon);
  memory.fill(sumDy, 0, rowC << 2);
  // Σ dy and Σ dy·x̂ over every row, feature by feature
  for (let r0 = 0; r0 < M; r0 += BLOCK) {
    zero(partDy, 2 * C); // partDy and partDyN
    const r1 = min(M, r0 + BLOCK);
    for (let r = r0; r < r1; r++) {
      const xr = x + <usize>r * rowC;
      const dr = dOut + <usize>r * rowC;
      for (let c = 0; c < C4; c += 4) {
        const o = <usize>c << 2;
        const dy = v128.load(dr + o);
        const n = f32x4.mul(f32x4.sub(v128.load(xr + o), v128.load(mean + o)), v128.load(rstd + o));
        v128.store(partDy + o, f32x4.add(v128.load(partDy + o), dy));
        v128.store(partDyN + o, f32x4.add(v128.load(partDyN + o), f32x4.mul(dy, n)));
      }
      for (let c = C4; c < C; c++) {
        const o = <usize>c << 2;
        const dy = load<f32>(dr + o);
        const n = (load<f32>(xr + o) - load<f32>(mean + o)) * load<f32>(rstd + o);
        store<f32>(partDy + o, load<f32>(partDy + o) + dy);
        store<f32>(partDyN + o, load<f32>(partDyN + o) + dy * n);
      }
    }
    for (let c = 0; c < C; c++) {
      const o = <usize>c << 2;
      const o8 = <usize>c << 3;
      store<f64>(sumDy + o8, load<f64>(sumDy + o8) + <f64>load<f32>(partDy + o));
      store<f64>(sumDyN + o8, load<f64>(sumDyN + o8) + <f64>load<f32>(partDyN + o));
    }
  }
  for (let c = 0; c < C; c++) {
    const o = <usize>c << 2;
    const o8 = <usize>c << 3;
    if (dGamma != 0) store<f32>(dGamma + o, <f32>(<f64>load<f32>(dGamma + o) + load<f64>(sumDyN + o8)));
    if (dBeta != 0) store<f32>(dBeta + o, <f32>(<f64>load<f32>(dBeta + o) + load<f64>(sumDy + o8)));
  }
  if (dx == 0) return;
  // per feature: A = Σ g / R, B = Σ g·x̂ / R (g = dy·gamma), reusing partDy / partDyN
  const stats = batchStatistics && count > 0;
  const A = partDy;
  const Bv = partDyN;
  for (let c = 0; c < C; c++) {
    const o = <usize>c << 2;
    const o8 = <usize>c << 3;
    const g: f64 = gamma != 0 ? <f64>load<f32>(gamma + o) : 1;
    store<f32>(A + o, stats ? <f32>(g * load<f64>(sumDy + o8) / <f64>count) : 0);
    store<f32>(Bv + o, stats ? <f32>(g * load<f64>(sumDyN + o8) / <f64>count) : 0);
  }
  const one = f32x4.splat(1);
  for (let r = 0; r < M; r++) {
    const xr = x + <usize>r * rowC;
    const dr = dOut + <usize>r * rowC;
    const dxr = dx + <usize>r * rowC;
    const counts = stats && (rowMask == 0 || load<u8>(rowMask + <usize>r) != 0);
    for (let c = 0; c < C4; c += 4) {
      const o = <usize>c << 2;
      const s = v128.load(rstd + o);
      const gr = f32x4.mul(v128.load(dr + o), gamma != 0 ? v128.load(gamma + o) : one);
      if (!counts) {
        v128.store(dxr + o, f32x4.mul(s, gr));
        continue;
      }
      const n = f32x4.mul(f32x4.sub(v128.load(xr + o), v128.load(mean + o)), s);
      v128.store(dxr + o, f32x4.mul(s, f32x4.sub(gr, f32x4.add(v128.load(A + o), f32x4.mul(n, v128.load(Bv + o))))));
    }
    for (let c = C4; c < C; c++) {
      const o = <usize>c << 2;
      const s = load<f32>(rstd + o);
      const gr = gamma != 0 ? load<f32>(dr + o) * load<f32>(gamma + o) : load<f32>(dr + o);
      if (!counts) {
        store<f32>(dxr + o, s * gr);
        continue;
      }
      const n = (load<f32>(xr + o) - load<f32>(mean + o)) * s;
      store<f32>(dxr + o, s * (gr - (load<f32>(A + o) + n * load<f32>(Bv + o))));
    }
  }
}
